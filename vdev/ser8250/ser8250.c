/*
 * ser8250 - an 8250/16550 UART, enough for a polling guest to print.
 *
 * The guest sees the eight 16550 registers at `loc` (default io:0x3f8);
 * every byte written to THR goes to the host output unchanged (no line
 * ending translation). There is no input source yet: RBR reads 0 and
 * LSR.DR is only ever set by the loopback mode (MCR bit 4), which is what
 * probing drivers such as Linux's 8250 use to detect the chip.
 *
 * Options:
 *   hostdev ...      where the output goes (vdev/common/hostdev.h; default -,
 *                    qvm's standard output)
 *   loc mem:ADDR     the registers in memory space, one byte apart (arm64;
 *                    described in the FDT as an "ns16550a")
 *
 * Interrupts are not modelled yet (VFF_INTR_NO): IIR always says "none
 * pending", so the guest must poll LSR. They come in a later change.
 *
 * Several instances (COM1, COM2, ...) may exist at once: all state lives in
 * the instance's v_device.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <qvm/types.h>
#include <qvm/vdev-core.h>
#include <qvm/guest.h>
#include <qvm/log.h>

#include "hostdev.h"

/* Register offsets from the base. */
enum {
	REG_RBR_THR_DLL = 0,
	REG_IER_DLM = 1,
	REG_IIR_FCR = 2,
	REG_LCR = 3,
	REG_MCR = 4,
	REG_LSR = 5,
	REG_MSR = 6,
	REG_SCR = 7,
	NREGS = 8,
};

enum {
	LCR_DLAB = 0x80,
	MCR_LOOP = 0x10,
	MCR_MASK = 0x1f,
	IER_MASK = 0x0f,
	FCR_ENABLE = 0x01,
	FCR_CLEAR = 0x06,	/* clear RX FIFO | clear TX FIFO */
	IIR_NO_INT = 0x01,
	IIR_FIFO = 0xc0,
	LSR_DR = 0x01,
	LSR_THRE = 0x20,
	LSR_TEMT = 0x40,
	MSR_CTS = 0x10,
	MSR_DSR = 0x20,
	MSR_RI = 0x40,
	MSR_DCD = 0x80,
};

/* 115200 baud from the usual 1.8432 MHz clock, what firmware leaves set. */
#define DEFAULT_DIVISOR	12

struct ser8250 {
	struct hostdev out;	/* where THR bytes go */
	bool rx_full;		/* a loopback byte waits in rbr */
	bool fifo_on;		/* FCR bit 0 as last written */
	uint8_t rbr;
	uint8_t ier;
	uint8_t lcr;
	uint8_t mcr;
	uint8_t scr;
	uint8_t dll;
	uint8_t dlm;
};

static const char *const ser8250_options[] = {
	"hostdev",	/* VDEV_CTRL_FIRST_OPTIDX + 0 */
	NULL,
};

static void set_defaults(vdev_t *vdp, struct ser8250 *s)
{
	vdp->v_block.location = 0x3f8;
	vdp->v_block.length = NREGS;
	vdp->v_block.qst_type = QST_X86_IO;
	memset(s, 0, sizeof(*s));
	hostdev_default(&s->out);
	s->dll = DEFAULT_DIVISOR;
}

static int ser8250_control(vdev_t *vdp, unsigned ctrl, const char *arg)
{
	struct ser8250 *s = vdp->v_device;

	switch (ctrl) {
	case VDEV_CTRL_OPTIONS_START:
		set_defaults(vdp, s);
		break;
	case VDEV_CTRL_FIRST_OPTIDX + 0:
		if (arg == NULL)
			return EINVAL;
		hostdev_set(&s->out, "ser8250", arg);
		break;
	case VDEV_CTRL_GEN_FDT: {
		/* arm64, in memory space: the 16550 binding Linux's of_serial takes */
		int parent = (int)(uintptr_t)arg;
		if (vdp->v_block.qst_type != QST_MEMORY)
			break;
		int node = gfdt_update_node(parent, "serial", vdp->v_block.location);
		if (node >= 0) {
			uint32_t clock = 1843200;
			gfdt_update_prop_string(node, "compatible", "ns16550a");
			gfdt_update_reg(parent, node, vdp->v_block.location, vdp->v_block.length,
					QSL_NO_LOCATION);
			gfdt_update_prop_cells(node, "clock-frequency", &clock, sizeof(clock));
		}
		break;
	}
	case VDEV_CTRL_TERMINATE:
		hostdev_close(&s->out);
		break;
	default:
		break;
	}
	return 0;
}

/* The modem status lines as the loopback wiring feeds MCR back into them. */
static uint8_t loopback_msr(uint8_t mcr)
{
	uint8_t msr = 0;

	if (mcr & 0x02)
		msr |= MSR_CTS;
	if (mcr & 0x01)
		msr |= MSR_DSR;
	if (mcr & 0x04)
		msr |= MSR_RI;
	if (mcr & 0x08)
		msr |= MSR_DCD;
	return msr;
}

static uint8_t read_rbr(struct ser8250 *s)
{
	uint8_t c = s->rx_full ? s->rbr : 0;

	s->rx_full = false;
	s->rbr = 0;
	return c;
}

static uint8_t reg_read(struct ser8250 *s, uint64_t off)
{
	bool dlab = (s->lcr & LCR_DLAB) != 0;

	switch (off) {
	case REG_RBR_THR_DLL:
		return dlab ? s->dll : read_rbr(s);
	case REG_IER_DLM:
		return dlab ? s->dlm : s->ier & IER_MASK;
	case REG_IIR_FCR:
		return IIR_NO_INT | (s->fifo_on ? IIR_FIFO : 0);
	case REG_LCR:
		return s->lcr;
	case REG_MCR:
		return s->mcr;
	case REG_LSR:
		return LSR_THRE | LSR_TEMT | (s->rx_full ? LSR_DR : 0);
	case REG_MSR:
		/* Without loopback: a peer that is always there and ready. */
		if (s->mcr & MCR_LOOP)
			return loopback_msr(s->mcr);
		return MSR_DCD | MSR_DSR | MSR_CTS;
	case REG_SCR:
		return s->scr;
	default:
		return 0xff;	/* like an unpopulated bus */
	}
}

static void write_thr(struct ser8250 *s, uint8_t val)
{
	if (s->mcr & MCR_LOOP) {
		/* A single-byte "FIFO": a second byte overruns the first. */
		s->rbr = val;
		s->rx_full = true;
		return;
	}
	hostdev_put(&s->out, val);
}

static void write_fcr(struct ser8250 *s, uint8_t val)
{
	s->fifo_on = (val & FCR_ENABLE) != 0;
	if (val & FCR_CLEAR) {
		s->rx_full = false;
		s->rbr = 0;
	}
}

static void reg_write(struct ser8250 *s, uint64_t off, uint8_t val)
{
	bool dlab = (s->lcr & LCR_DLAB) != 0;

	switch (off) {
	case REG_RBR_THR_DLL:
		if (dlab)
			s->dll = val;
		else
			write_thr(s, val);
		break;
	case REG_IER_DLM:
		if (dlab)
			s->dlm = val;
		else
			s->ier = val & IER_MASK;
		break;
	case REG_IIR_FCR:
		write_fcr(s, val);
		break;
	case REG_LCR:
		s->lcr = val;
		break;
	case REG_MCR:
		s->mcr = val & MCR_MASK;
		break;
	case REG_SCR:
		s->scr = val;
		break;
	default:
		break;	/* LSR, MSR are read-only; out of range is ignored */
	}
}

static vdev_ref_status_t ser8250_vread(vdev_t *vdp, unsigned cookie,
		const struct qvm_state_block *vopnd,
		const struct qvm_state_block *oopnd, struct guest_cpu *gcp)
{
	uint8_t val = reg_read(vdp->v_device,
			vopnd->location - vdp->v_block.location);
	int rc = guest_cpu_write(gcp, GXF_NONE, oopnd, 1, &val, 1);

	(void)cookie;
	return rc == 0 ? VRS_NORMAL : (vdev_ref_status_t)(VRS_ERRNO + rc);
}

static vdev_ref_status_t ser8250_vwrite(vdev_t *vdp, unsigned cookie,
		const struct qvm_state_block *vopnd,
		const struct qvm_state_block *oopnd, struct guest_cpu *gcp)
{
	uint8_t val = 0;
	int rc = guest_cpu_read(gcp, GXF_NONE, oopnd, 1, &val, 1);

	(void)cookie;
	if (rc != 0)
		return (vdev_ref_status_t)(VRS_ERRNO + rc);
	reg_write(vdp->v_device, vopnd->location - vdp->v_block.location, val);
	return VRS_NORMAL;
}

static struct vdev_factory ser8250_factory = {
	.control = ser8250_control,
	.vread = ser8250_vread,
	.vwrite = ser8250_vwrite,
	.option_list = ser8250_options,
	.name = NULL,	/* from the file name: vdev-ser8250.so */
	/* VFF_INTR_NO until interrupts are modelled in a later change. */
	.factory_flags = VFF_VDEV_X86_IO | VFF_VDEV_MEM | VFF_MUTEX | VFF_INTR_NO,
	.acc_sizes = 1u << 1,	/* 8-bit accesses only, as on the real chip */
	.extra_space = sizeof(struct ser8250),
};

__attribute__((constructor))
static void ser8250_register(void)
{
	vdev_register_factory(&ser8250_factory, QVM_VDEV_ABI);
}
