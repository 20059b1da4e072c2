/*
 * pl011 - the ARM PrimeCell PL011 UART (DDI 0183), enough for Linux's
 * amba-pl011 driver and for a polling guest.
 *
 * Every byte written to DR goes to the host output at once, so the
 * transmit FIFO is always empty (FR.TXFE, never TXFF or BUSY) and the
 * transmit interrupt (RIS.TX) is raised by each write to DR until the
 * guest clears it in ICR. There is no input yet: FR.RXFE stays set and DR
 * reads 0. In loopback (CR.LBE) written bytes go nowhere. The line (`intr`)
 * follows MIS = RIS & IMSC; Linux's driver needs one to open the tty (its
 * console works without). Registers take 8-, 16- and 32-bit accesses; a
 * narrow write changes only its own bytes. The peripheral and PrimeCell ID
 * registers say PL011 r1p5, which is what the AMBA bus probe of Linux matches.
 *
 * Options:
 *   loc ADDR         the 4 KiB of registers (required; memory space)
 *   intr gic:N       its interrupt (e.g. gic:33); without one, poll FR
 *   hostdev, delayed, batch
 *                    where the output goes (qvm/cdev.h; it takes no input)
 *
 * In the FDT: "arm,pl011", "arm,primecell" with a fixed 24 MHz apb_pclk
 * and uartclk, so Linux binds it; /chosen/stdout-path names the first one.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <qvm/cdev.h>
#include <qvm/guest.h>
#include <qvm/log.h>
#include <qvm/vdev-core.h>

#include "primecell.h"

#define PL011_SIZE	0x1000u
#define PL011_CLOCK	24000000u

enum {
	REG_DR = 0x000, REG_RSR = 0x004, REG_FR = 0x018, REG_ILPR = 0x020,
	REG_IBRD = 0x024, REG_FBRD = 0x028, REG_LCR_H = 0x02c, REG_CR = 0x030,
	REG_IFLS = 0x034, REG_IMSC = 0x038, REG_RIS = 0x03c, REG_MIS = 0x040,
	REG_ICR = 0x044, REG_DMACR = 0x048, REG_ID = 0xfe0,
};

enum {
	FR_RXFE = 1u << 4, FR_TXFE = 1u << 7, CR_LBE = 1u << 7,
	INT_TX = 1u << 5, INT_ALL = 0x7ff,
	CR_RESET = 0x300,	/* TXE, RXE */
	IFLS_RESET = 0x12,	/* FIFOs half full */
};

/* PeriphID0-3 (PL011 r1p5), then PCellID0-3: one byte per word. */
static const uint8_t id_bytes[8] = { 0x11, 0x10, 0x34, 0x00, 0x0d, 0xf0, 0x05, 0xb1 };

struct pl011 {
	struct cdev_state out;
	uint32_t ibrd, fbrd, lcr_h, cr, ifls, imsc, ris, dmacr, ilpr;
	bool line;		/* the level last given to the interrupt */
};

static const char *const pl011_options[] = { CDEV_OPTIONS, NULL };

static void update_irq(vdev_t *vdp, struct pl011 *u)
{
	bool level = (u->ris & u->imsc) != 0;

	if (level == u->line || !vdp->v_intr.pic)
		return;
	u->line = level;
	guest_intr_signal(&vdp->v_intr, level ? GIS_ON : GIS_OFF);
}

static uint32_t reg_read(const struct pl011 *u, uint32_t off)
{
	if (off >= REG_ID && off < REG_ID + 0x20)
		return id_bytes[(off - REG_ID) / 4];
	switch (off) {
	case REG_DR: return 0;		/* no input */
	case REG_RSR: return 0;
	case REG_FR: return FR_RXFE | FR_TXFE;
	case REG_ILPR: return u->ilpr;
	case REG_IBRD: return u->ibrd;
	case REG_FBRD: return u->fbrd;
	case REG_LCR_H: return u->lcr_h;
	case REG_CR: return u->cr;
	case REG_IFLS: return u->ifls;
	case REG_IMSC: return u->imsc;
	case REG_RIS: return u->ris;
	case REG_MIS: return u->ris & u->imsc;
	case REG_DMACR: return u->dmacr;
	default: return 0;		/* reserved: read as zero */
	}
}

static void reg_write(struct pl011 *u, uint32_t off, uint32_t val)
{
	switch (off) {
	case REG_DR:
		if (!(u->cr & CR_LBE)) {
			uint8_t c = (uint8_t)val;
			cdev_write(&u->out, &c, 1);
		}
		u->ris |= INT_TX;	/* the FIFO drained at once: below any level */
		break;
	case REG_ILPR: u->ilpr = val & 0xff; break;
	case REG_IBRD: u->ibrd = val & 0xffff; break;
	case REG_FBRD: u->fbrd = val & 0x3f; break;
	case REG_LCR_H: u->lcr_h = val & 0xff; break;
	case REG_CR: u->cr = val & 0xff87; break;
	case REG_IFLS: u->ifls = val & 0x3f; break;
	case REG_IMSC: u->imsc = val & INT_ALL; break;
	case REG_ICR: u->ris &= ~(val & INT_ALL); break;
	case REG_DMACR: u->dmacr = val & 0x7; break;
	default: break;		/* RSR/ECR clears errors we never have; the rest is read-only */
	}
}

static int pl011_control(vdev_t *vdp, unsigned ctrl, const char *arg)
{
	struct pl011 *u = vdp->v_device;

	if (ctrl == VDEV_CTRL_OPTIONS_START) {
		vdp->v_block.location = QSL_NO_LOCATION;
		vdp->v_block.length = PL011_SIZE;
		memset(u, 0, sizeof(*u));
		u->cr = CR_RESET;
		u->ifls = IFLS_RESET;
		return cdev_setup(&u->out, vdp, 0);
	}
	cdev_control(&u->out, ctrl, arg);	/* its options; TERMINATE closes the output */
	switch (ctrl) {
	case VDEV_CTRL_OPTIONS_END:
		if (vdp->v_block.location == QSL_NO_LOCATION)
			qvm_fatal(QLS_CNF, "pl011: no location given (use `loc ADDR`)");
		break;
	case VDEV_CTRL_GEN_FDT:
		primecell_gen_fdt(vdp, arg, "pl011", "arm,pl011", PL011_CLOCK, "uartclk");
		break;
	default:
		break;
	}
	return 0;
}

/* The access's byte offset within its 32-bit register, and the register. */
static void split(const vdev_t *vdp, const struct qvm_state_block *vopnd, uint32_t *reg,
		unsigned *shift)
{
	uint32_t off = (uint32_t)(vopnd->location - vdp->v_block.location);

	*reg = off & ~3u;
	*shift = (off & 3u) * 8;
}

static vdev_ref_status_t pl011_vread(vdev_t *vdp, unsigned cookie,
		const struct qvm_state_block *vopnd, const struct qvm_state_block *oopnd,
		struct guest_cpu *gcp)
{
	uint32_t reg, val;
	unsigned shift;

	(void)cookie;
	split(vdp, vopnd, &reg, &shift);
	val = reg_read(vdp->v_device, reg) >> shift;
	int rc = guest_cpu_write(gcp, GXF_NONE, oopnd, 1, &val, vopnd->length);
	return rc == 0 ? VRS_NORMAL : (vdev_ref_status_t)(VRS_ERRNO + rc);
}

static vdev_ref_status_t pl011_vwrite(vdev_t *vdp, unsigned cookie,
		const struct qvm_state_block *vopnd, const struct qvm_state_block *oopnd,
		struct guest_cpu *gcp)
{
	struct pl011 *u = vdp->v_device;
	uint32_t reg, val = 0;
	unsigned shift;

	(void)cookie;
	int rc = guest_cpu_read(gcp, GXF_NONE, oopnd, 1, &val, vopnd->length);
	if (rc != 0)
		return (vdev_ref_status_t)(VRS_ERRNO + rc);
	split(vdp, vopnd, &reg, &shift);
	if (vopnd->length < 4) {
		/* a narrow write changes its own bytes only */
		uint32_t mask = ((1u << (vopnd->length * 8)) - 1) << shift;
		if (reg == REG_DR && shift)
			return VRS_NORMAL;	/* the data is DR's low byte; above it, read-only flags */
		if (reg == REG_ICR)
			val = (val << shift) & mask;	/* clears what it names, nothing else */
		else if (reg != REG_DR)
			val = (reg_read(u, reg) & ~mask) | ((val << shift) & mask);
	}
	reg_write(u, reg, val);
	update_irq(vdp, u);
	return VRS_NORMAL;
}

static struct vdev_factory pl011_factory = {
	.control = pl011_control,
	.vread = pl011_vread,
	.vwrite = pl011_vwrite,
	.option_list = pl011_options,
	.name = NULL,	/* from the file name: vdev-pl011.so */
	.factory_flags = VFF_VDEV_MEM | VFF_MUTEX,
	.acc_sizes = (1u << 1) | (1u << 2) | (1u << 4),
	.extra_space = sizeof(struct pl011),
	.safety = VDEV_SAFETY_SELECTED,
};

__attribute__((constructor))
static void pl011_register(void)
{
	vdev_register_factory(&pl011_factory, QVM_VDEV_ABI);
}
