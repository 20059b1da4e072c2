/*
 * ser8250 - an 8250/16550 UART with interrupts and input.
 *
 * The guest sees the eight 16550 registers at `loc` (default io:0x3f8) and
 * the register model of uart.c: a 16-byte receive FIFO, the THR-empty,
 * received-data and line-status interrupts on `intr`. Bytes written to
 * THR go to the host output unchanged (no line ending translation); bytes
 * from the host input arrive in the receive FIFO, read by a thread of the
 * vdev that waits while the FIFO is full (nothing typed is lost).
 *
 * Options:
 *   hostdev ...      output and input (vdev/common/hostdev.h; default -,
 *                    qvm's standard output and input)
 *   loc ...          io:PORT (the default space) or mem:ADDR (one byte a
 *                    register; arm64 describes it in the FDT as "ns16550a")
 *   intr PIC:N       its interrupt (the PC's COM1 is ioapic:4); without one
 *                    the guest must poll, as IIR still tells it
 *
 * On x86 it describes itself in the DSDT as a PNP0501 (COM1 to COM4 at
 * the PC's ports). Input from a terminal is read without line editing or
 * echo (the guest echoes), ^C still reaching qvm; the terminal's settings
 * are restored when qvm ends. Only one ser8250 reads qvm's standard input.
 *
 * Several instances (COM1, COM2, ...) may exist at once: all state lives in
 * the instance's v_device, under v_mtx (VFF_MUTEX).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/eventfd.h>
#include <termios.h>
#include <unistd.h>

#include <qvm/types.h>
#include <qvm/vdev-core.h>
#include <qvm/guest.h>
#include <qvm/log.h>

#include "hostdev.h"
#include "uart.h"

struct ser8250 {
	struct uart u;
	struct hostdev dev;
	vdev_t *vdp;
	bool line;		/* the interrupt line as last driven */
	pthread_t reader;
	bool reader_started;
	bool stop;		/* TERMINATE: the reader ends */
	int wake;		/* ... woken through this eventfd */
	pthread_cond_t room;	/* the guest took a byte from the FIFO */
	struct termios saved;	/* the input terminal's settings, to restore */
	bool tty_raw;
};

/* qvm's standard input goes to one instance: the first to start. */
static atomic_bool stdin_taken;

static const char *const ser8250_options[] = {
	"hostdev",	/* VDEV_CTRL_FIRST_OPTIDX + 0 */
	NULL,
};

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

/* Terminal input byte by byte, without echo; ^C and ^\ still signal qvm. */
static void tty_raw(struct ser8250 *s)
{
	struct termios t;

	if (!isatty(s->dev.in_fd) || tcgetattr(s->dev.in_fd, &s->saved) != 0)
		return;
	t = s->saved;
	t.c_lflag &= (tcflag_t)~(ICANON | ECHO | ECHONL | IEXTEN);
	t.c_iflag &= (tcflag_t)~(ICRNL | INLCR | IXON);
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	if (tcsetattr(s->dev.in_fd, TCSANOW, &t) == 0)
		s->tty_raw = true;
	/* read() in the background then fails with EIO instead of stopping all of qvm */
	signal(SIGTTIN, SIG_IGN);
}

/* Wait up to ms for input or the wake pipe: false once TERMINATE asked to stop. */
static bool wait_input(struct ser8250 *s, int ms)
{
	struct pollfd p[2] = { { .fd = s->dev.in_fd, .events = POLLIN },
			       { .fd = s->wake, .events = POLLIN } };

	while (poll(ms < 0 ? p : p + 1, ms < 0 ? 2 : 1, ms) < 0 && errno == EINTR)
		;
	return !__atomic_load_n(&s->stop, __ATOMIC_ACQUIRE);
}

/* The host input into the receive FIFO, until it ends or TERMINATE. */
static void *reader(void *arg)
{
	struct ser8250 *s = arg;
	uint8_t buf[64];

	while (wait_input(s, -1)) {
		ssize_t n = read(s->dev.in_fd, buf, sizeof(buf));
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0 && errno == EIO) {	/* a terminal qvm is in the background of */
			if (!wait_input(s, 200))
				break;
			continue;
		}
		if (n <= 0)
			break;	/* the end of the input, or an error: no more */
		pthread_mutex_lock(&s->vdp->v_mtx);
		for (ssize_t i = 0; i < n && !s->stop; i++) {
			while (!uart_rx(&s->u, buf[i]) && !s->stop)
				pthread_cond_wait(&s->room, &s->vdp->v_mtx);
			update_irq(s);
		}
		pthread_mutex_unlock(&s->vdp->v_mtx);
	}
	return NULL;
}

static void start_reader(vdev_t *vdp, struct ser8250 *s)
{
	if (s->dev.in_fd < 0)
		return;
	if (s->dev.in_fd == STDIN_FILENO && !s->dev.in_owned && atomic_exchange(&stdin_taken, true)) {
		vdev_logf(QL_QVM_DEBUG, vdp, "ser8250: qvm's standard input goes to another ser8250");
		return;
	}
	s->wake = eventfd(0, EFD_CLOEXEC);
	if (s->wake < 0) {
		vdev_logf(QL_QVM_WARN, vdp, "ser8250: no input: %s", strerror(errno));
		return;
	}
	tty_raw(s);
	int r = vdev_thread_create(vdp, "ser8250-in", &s->reader, NULL, reader, s);
	if (r) {
		vdev_logf(QL_QVM_WARN, vdp, "ser8250: no input: cannot make its thread: %s", strerror(r));
		return;
	}
	s->reader_started = true;
}

static void stop_reader(struct ser8250 *s)
{
	if (s->reader_started) {
		pthread_mutex_lock(&s->vdp->v_mtx);
		__atomic_store_n(&s->stop, true, __ATOMIC_RELEASE);
		pthread_cond_broadcast(&s->room);
		pthread_mutex_unlock(&s->vdp->v_mtx);
		eventfd_write(s->wake, 1);
		pthread_join(s->reader, NULL);
		s->reader_started = false;
	}
	if (s->tty_raw) {
		tcsetattr(s->dev.in_fd, TCSANOW, &s->saved);
		s->tty_raw = false;
	}
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

	switch (ctrl) {
	case VDEV_CTRL_OPTIONS_START:
		vdp->v_block.location = 0x3f8;
		vdp->v_block.length = UART_NREGS;
		vdp->v_block.qst_type = QST_X86_IO;
		memset(s, 0, sizeof(*s));
		s->vdp = vdp;
		s->wake = -1;
		uart_reset(&s->u);
		hostdev_default(&s->dev);
		pthread_cond_init(&s->room, NULL);
		break;
	case VDEV_CTRL_FIRST_OPTIDX + 0:
		if (arg == NULL)
			return EINVAL;
		hostdev_set(&s->dev, "ser8250", arg, true);
		break;
	case VDEV_CTRL_GEN_FDT:
		gen_fdt(vdp, (int)(uintptr_t)arg);
		break;
	case VDEV_CTRL_GEN_ACPI:
		gen_acpi(vdp);
		break;
	case VDEV_CTRL_GUEST_STARTING:
		start_reader(vdp, s);
		break;
	case VDEV_CTRL_TERMINATE:
		stop_reader(s);
		hostdev_close(&s->dev);
		if (s->wake >= 0)
			close(s->wake);
		s->wake = -1;
		break;
	default:
		break;
	}
	return 0;
}

static void tx(void *ctx, uint8_t c)
{
	hostdev_put(&((struct ser8250 *)ctx)->dev, c);
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
		pthread_cond_signal(&s->room);
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
		pthread_cond_signal(&s->room);
	update_irq(s);
	return VRS_NORMAL;
}

static struct vdev_factory ser8250_factory = {
	.control = ser8250_control,
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
