/*
 * vdev pckeyboard: the PC's 8042 keyboard controller, x86 only, as the
 * vendor's: "minimal emulation", enough for a guest to find the
 * controller (Linux's i8042 probe: self-test, interface test, the command
 * byte), talk to a keyboard that answers but has no keys, and reset the
 * machine through it. No mouse (AUX) port.
 *
 *   loc PORT    the data port (default io:0x60); the command and status
 *               port is PORT + 4 (io:0x64), as on the PC
 *   intr PIC:N  the keyboard's interrupt (the PC's is ioapic:1), raised
 *               while a byte waits and the command byte enables it
 *
 * A reset (0xfe, or the output port's reset line cleared with 0xd1) ends
 * qvm with exit 0, as a reset with no controller does (README, "Exit
 * codes").
 */
#include <stdint.h>
#include <string.h>

#include <qvm/acpi.h>
#include <qvm/gasp.h>
#include <qvm/guest.h>
#include <qvm/log.h>
#include <qvm/utils.h>
#include <qvm/vdev-core.h>

#define DATA	0	/* the cookies of the two ports */
#define CMD	1

#define ST_OBF		0x01	/* a byte waits in the output buffer */
#define ST_SYS		0x04	/* the self-test passed */
#define ST_A2		0x08	/* the last write was a command */
#define CTR_KBD_INT	0x01
#define CTR_SYS		0x04
#define CTR_KBD_OFF	0x10
#define CTR_XLATE	0x40
#define OUTQ		16

struct kbc {
	vdev_t *vdp;
	uint8_t ctr, status, outport;
	uint8_t pending;		/* a command waiting for its data byte, or 0 */
	uint8_t kbd_pending;		/* a keyboard command waiting for its argument */
	uint8_t q[OUTQ];
	unsigned head, count;
};

static void irq_update(struct kbc *k)
{
	guest_intr_t *intr = &k->vdp->v_intr;

	if (intr->pic)
		guest_intr_signal(intr, (k->count && (k->ctr & CTR_KBD_INT)) ? GIS_ON : GIS_OFF);
}

static void put(struct kbc *k, uint8_t b)
{
	if (k->count < OUTQ)
		k->q[(k->head + k->count++) % OUTQ] = b;
}

static uint8_t take(struct kbc *k)
{
	if (!k->count)
		return 0;
	uint8_t b = k->q[k->head];
	k->head = (k->head + 1) % OUTQ;
	k->count--;
	return b;
}

static void reset_machine(struct kbc *k, uint8_t how)
{
	vdev_logf(QL_QVM_INFO, k->vdp, "the guest reset the machine through the keyboard "
			"controller (0x%02x): exiting", how);
	guest_terminate(GTC_NORMAL_EXIT);
}

static void command(struct kbc *k, uint8_t c)
{
	switch (c) {
	case 0x20: put(k, k->ctr); break;		/* read the command byte */
	case 0x60: case 0xd1: case 0xd2:		/* write CTR, output port, our buffer */
		k->pending = c;
		break;
	case 0xa7: k->ctr |= 0x20; break;		/* AUX off (there is none) */
	case 0xa8: break;				/* AUX on: there is none */
	case 0xaa:					/* self-test */
		k->status |= ST_SYS;
		put(k, 0x55);
		break;
	case 0xab: put(k, 0x00); break;		/* keyboard interface test: fine */
	case 0xad: k->ctr |= CTR_KBD_OFF; break;
	case 0xae: k->ctr &= (uint8_t)~CTR_KBD_OFF; break;
	case 0xd0: put(k, k->outport); break;
	default:
		if (c >= 0xf0) {			/* pulse output lines; bit 0 low is reset */
			if (!(c & 1))
				reset_machine(k, c);
			break;
		}
		/* 0xa9 (AUX test), 0xd3 (AUX loop) and the rest: no answer, as with no AUX */
		break;
	}
}

/* A byte for the keyboard: it answers, with no keys to press. */
static void keyboard(struct kbc *k, uint8_t b)
{
	if (k->kbd_pending) {		/* the argument of LEDs, typematic rate, scan set */
		k->kbd_pending = 0;
		put(k, 0xfa);
		return;
	}
	switch (b) {
	case 0xff: put(k, 0xfa); put(k, 0xaa); break;		/* reset: ack, self-test passed */
	case 0xf2: put(k, 0xfa); put(k, 0xab); put(k, 0x83); break;	/* identify: MF2 */
	case 0xed: case 0xf3: case 0xf0: k->kbd_pending = b; put(k, 0xfa); break;
	case 0xee: put(k, 0xee); break;				/* echo */
	default: put(k, 0xfa); break;
	}
}

static void write_port(struct kbc *k, unsigned cookie, uint8_t v)
{
	if (cookie == CMD) {
		k->status |= ST_A2;
		k->pending = 0;
		command(k, v);
		return;
	}
	k->status &= (uint8_t)~ST_A2;
	switch (k->pending) {
	case 0x60:
		k->ctr = v;
		k->status = (uint8_t)((k->status & ~ST_SYS) | (v & CTR_SYS));
		break;
	case 0xd1:
		k->outport = v;
		if (!(v & 1))
			reset_machine(k, 0xd1);
		break;
	case 0xd2:
		put(k, v);
		break;
	default:
		keyboard(k, v);
		break;
	}
	k->pending = 0;
}

static uint8_t read_port(struct kbc *k, unsigned cookie)
{
	if (cookie == CMD)
		return (uint8_t)(k->status | (k->count ? ST_OBF : 0));
	return take(k);
}

static int pckbd_control(vdev_t *vdp, unsigned ctrl, const char *arg)
{
	struct kbc *k = vdp->v_device;

	(void)arg;
	switch (ctrl) {
	case VDEV_CTRL_OPTIONS_START:
		k->vdp = vdp;
		k->ctr = CTR_KBD_INT | CTR_SYS | CTR_XLATE;
		k->status = ST_SYS;
		k->outport = 0x03;	/* the reset line high, A20 on */
		vdp->v_block.location = 0x60;
		vdp->v_block.length = 1;
		vdp->v_block.qst_type = QST_X86_IO;
		break;
	case VDEV_CTRL_OPTIONS_END: {
		uint64_t base = vdp->v_block.location;
		if (base > 0xfffb)
			qvm_fatal(QLS_CNF, "loc io:0x%llx: its command port (loc + 4) is past io:0xffff",
					(unsigned long long)base);
		/* two ports 4 apart: the PC's speaker port (0x61) between them is the 8254's */
		struct gasp_region r[2];
		memset(r, 0, sizeof(r));
		for (unsigned i = 0; i < 2; i++) {
			r[i].grf_flags = GRF_VIRT_RD | GRF_VIRT_WR;
			r[i].cookie = i;
			r[i].vdev = vdp;
			r[i].guest = (struct qvm_state_block){ .location = base + 4 * i, .length = 1,
				.qst_type = QST_X86_IO };
		}
		gasp_region_set(2, r);
		break;
	}
	case VDEV_CTRL_GEN_ACPI:
		acpi_describe_vdev(vdp, "KBD", "PNP0303", 0);
		break;
	default:
		break;
	}
	return 0;
}

static vdev_ref_status_t pckbd_vread(vdev_t *vdp, unsigned cookie,
		const struct qvm_state_block *vopnd, const struct qvm_state_block *oopnd,
		struct guest_cpu *gcp)
{
	struct kbc *k = vdp->v_device;
	uint8_t v = read_port(k, cookie);
	int rc;

	(void)vopnd;
	irq_update(k);
	rc = guest_cpu_write(gcp, GXF_NONE, oopnd, 1, &v, 1);
	return rc == 0 ? VRS_NORMAL : (vdev_ref_status_t)(VRS_ERRNO + rc);
}

static vdev_ref_status_t pckbd_vwrite(vdev_t *vdp, unsigned cookie,
		const struct qvm_state_block *vopnd, const struct qvm_state_block *oopnd,
		struct guest_cpu *gcp)
{
	struct kbc *k = vdp->v_device;
	uint8_t v = 0;
	int rc = guest_cpu_read(gcp, GXF_NONE, oopnd, 1, &v, 1);

	(void)vopnd;
	if (rc != 0)
		return (vdev_ref_status_t)(VRS_ERRNO + rc);
	write_port(k, cookie, v);
	irq_update(k);
	return VRS_NORMAL;
}

static struct vdev_factory pckbd_factory = {
	.control = pckbd_control,
	.vread = pckbd_vread,
	.vwrite = pckbd_vwrite,
	.name = NULL,	/* vdev-pckeyboard.so */
	/* a command and its data byte belong together: one access at a time */
	.factory_flags = VFF_VDEV_X86_IO | VFF_MUTEX | VFF_MANUAL_REGION,
	.acc_sizes = 1u << 1,
	.extra_space = sizeof(struct kbc),
};

__attribute__((constructor))
static void pckbd_register(void)
{
	vdev_register_factory(&pckbd_factory, QVM_VDEV_ABI);
}
