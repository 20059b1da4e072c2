/*
 * ser8250 - an 8250/16550 UART with interrupts and input.
 *
 * The guest sees the eight 16550 registers at `loc` (default io:0x3f8) and
 * the register model of uart.c: a 16-byte receive FIFO, the THR-empty,
 * received-data and line-status interrupts on `intr`. Bytes written to
 * THR go to the host output unchanged (no line ending translation); bytes
 * from the host input arrive in the receive FIFO as the guest makes room
 * (the SDK's qvm/cdev.h reads and holds them: nothing typed is lost).
 *
 * Options:
 *   hostdev, delayed, batch
 *                    output and input (qvm/cdev.h; default hostdev -, qvm's
 *                    standard output and input)
 *   loc ...          io:PORT (the default space) or mem:ADDR (one byte a
 *                    register; arm64 describes it in the FDT as "ns16550a")
 *   intr PIC:N       its interrupt (the PC's COM1 is ioapic:4); without one
 *                    the guest must poll, as IIR still tells it
 *
 * On x86 it describes itself in the DSDT as a PNP0501 (COM1 to COM4 at
 * the PC's ports). Input from a terminal is read without line editing or
 * echo (the guest echoes), ^C still reaching qvm; the terminal's settings
 * are restored when qvm ends. Only one vdev reads qvm's standard input.
 *
 * Several instances (COM1, COM2, ...) may exist at once: all state lives in
 * the instance's v_device, under v_mtx (VFF_MUTEX).
 */
#include <errno.h>
#include <string.h>

#include <qvm/cdev.h>
#include <qvm/guest.h>
#include <qvm/log.h>
#include <qvm/types.h>
#include <qvm/vdev-core.h>

#include "uart.h"

struct ser8250 {
	struct uart u;
	struct cdev_state cdev;
	vdev_t *vdp;
	bool line;		/* the interrupt line as last driven */
	int pending;		/* a byte of input the FIFO had no room for, or -1 */
};

static const char *const ser8250_options[] = { CDEV_OPTIONS, NULL };

/*
 * Drive the line from the chip's state; v_mtx held. A new condition while
 * the line is already high lowers it first: the PC's controllers take ISA
 * lines by their edges.
 */
static void update_irq(struct ser8250 *s)
{
	bool level = uart_irq(&s->u), fresh = uart_take_event(&s->u);
	guest_intr_t *intr = &s->vdp->v_intr;

	if (!intr->pic)
		return;
	if (level && fresh && s->line) {
		guest_intr_signal(intr, GIS_OFF);
		s->line = false;
	}
	if (level != s->line) {
		guest_intr_signal(intr, level ? GIS_ON : GIS_OFF);
		s->line = level;
	}
}

/* The host's input into the receive FIFO while it has room; v_mtx held. */
static void fill(struct ser8250 *s)
{
	for (;;) {
		uint8_t c;
		if (s->pending < 0) {
			if (cdev_read(&s->cdev, &c, 1) != 1)
				break;
			s->pending = c;
		}
		if (!uart_rx(&s->u, (uint8_t)s->pending))
			break;	/* full (or loopback): it waits for the guest */
		s->pending = -1;
	}
	update_irq(s);
}

/*
 * x86: a PNP0501 device with the registers and the interrupt, so that the
 * guest's OS finds it; the PC's COM1-COM4 by their names and numbers.
 */
static void gen_acpi(vdev_t *vdp)
{
	static const uint16_t com[4] = { 0x3f8, 0x2f8, 0x3e8, 0x2e8 };
	static const char *const names[4] = { "COM1", "COM2", "COM3", "COM4" };

	for (unsigned i = 0; i < 4; i++)
		if (vdp->v_block.qst_type == QST_X86_IO && vdp->v_block.location == com[i]) {
			acpi_describe_vdev(vdp, names[i], "PNP0501", i + 1);
			return;
		}
	acpi_describe_vdev(vdp, NULL, "PNP0501", vdp->v_block.location);
}

/* arm64, in memory space: the 16550 binding Linux's of_serial takes. */
static void gen_fdt(vdev_t *vdp, int parent)
{
	if (vdp->v_block.qst_type != QST_MEMORY)
		return;
	int node = gfdt_update_node(parent, "serial", vdp->v_block.location);
	if (node >= 0) {
		uint32_t clock = 1843200;
		gfdt_update_prop_string(node, "compatible", "ns16550a");
		gfdt_update_reg(parent, node, vdp->v_block.location, vdp->v_block.length,
				QSL_NO_LOCATION);
		gfdt_update_prop_cells(node, "clock-frequency", &clock, sizeof(clock));
		gfdt_update_interrupts(node, &vdp->v_intr, NULL);
	}
}

static int ser8250_control(vdev_t *vdp, unsigned ctrl, const char *arg)
{
	struct ser8250 *s = vdp->v_device;

	if (ctrl == VDEV_CTRL_OPTIONS_START) {
		vdp->v_block.location = 0x3f8;
		vdp->v_block.length = UART_NREGS;
		vdp->v_block.qst_type = QST_X86_IO;
		memset(s, 0, sizeof(*s));
		s->vdp = vdp;
		s->pending = -1;
		uart_reset(&s->u);
		return cdev_setup(&s->cdev, vdp, 0);
	}
	cdev_control(&s->cdev, ctrl, arg);	/* its options, input from GUEST_STARTING to TERMINATE */
	switch (ctrl) {
	case VDEV_CTRL_GEN_FDT:
		gen_fdt(vdp, (int)(uintptr_t)arg);
		break;
	case VDEV_CTRL_GEN_ACPI:
		gen_acpi(vdp);
		break;
	default:
		break;
	}
	return 0;
}

static void tx(void *ctx, uint8_t c)
{
	cdev_write(&((struct ser8250 *)ctx)->cdev, &c, 1);
}

/* The cdev has input (v_mtx held: VFF_MUTEX). */
static int ser8250_pulse(vdev_t *vdp, const struct _pulse *pulse)
{
	if (pulse->code == CDEV_INPUT_AVAILABLE_PULSE_CODE)
		fill(vdp->v_device);
	return EOK;
}

static vdev_ref_status_t ser8250_vread(vdev_t *vdp, unsigned cookie,
		const struct qvm_state_block *vopnd,
		const struct qvm_state_block *oopnd, struct guest_cpu *gcp)
{
	struct ser8250 *s = vdp->v_device;
	unsigned off = (unsigned)(vopnd->location - vdp->v_block.location);
	unsigned had = s->u.rx_count;
	uint8_t val = uart_read(&s->u, off);
	int rc = guest_cpu_write(gcp, GXF_NONE, oopnd, 1, &val, 1);

	(void)cookie;
	if (s->u.rx_count < had)	/* room for the host's next byte */
		fill(s);
	update_irq(s);
	return rc == 0 ? VRS_NORMAL : (vdev_ref_status_t)(VRS_ERRNO + rc);
}

static vdev_ref_status_t ser8250_vwrite(vdev_t *vdp, unsigned cookie,
		const struct qvm_state_block *vopnd,
		const struct qvm_state_block *oopnd, struct guest_cpu *gcp)
{
	struct ser8250 *s = vdp->v_device;
	uint8_t val = 0;
	int rc = guest_cpu_read(gcp, GXF_NONE, oopnd, 1, &val, 1);

	(void)cookie;
	if (rc != 0)
		return (vdev_ref_status_t)(VRS_ERRNO + rc);
	unsigned off = (unsigned)(vopnd->location - vdp->v_block.location);
	uart_write(&s->u, off, val, tx, s);
	/* a FIFO cleared or turned on, loopback turned off: room for the host's input */
	if (off == UART_IIR_FCR || off == UART_MCR)
		fill(s);
	update_irq(s);
	return VRS_NORMAL;
}

static struct vdev_factory ser8250_factory = {
	.control = ser8250_control,
	.pulse = ser8250_pulse,
	.vread = ser8250_vread,
	.vwrite = ser8250_vwrite,
	.option_list = ser8250_options,
	.name = NULL,	/* from the file name: vdev-ser8250.so */
	.factory_flags = VFF_VDEV_X86_IO | VFF_VDEV_MEM | VFF_MUTEX,
	.acc_sizes = 1u << 1,	/* 8-bit accesses only, as on the real chip */
	.extra_space = sizeof(struct ser8250),
};

__attribute__((constructor))
static void ser8250_register(void)
{
	vdev_register_factory(&ser8250_factory, QVM_VDEV_ABI);
}
