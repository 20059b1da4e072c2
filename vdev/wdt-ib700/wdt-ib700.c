/*
 * vdev wdt-ib700: the watchdog of the IB700 single-board computer, as an
 * x86 guest's ib700 driver expects it. Three I/O ports from loc (default
 * io:0x441):
 *   loc + 2 (0x443)  write N: select a timeout of 30 - 2 * (N & 15) seconds
 *                    from the card's table and start or restart the count
 *                    (a kick); 15 gives 0 s, an immediate bite
 *   loc + 0 (0x441)  write anything: stop the count
 * No register reads back (reads are unsupported references: all ones).
 * The timer is created at OPTIONS_END; as on the card, it counts only once
 * the guest has written the timeout port. When it runs out, the watchdog
 * bites: `action [dump,]terminate` (the default is terminate: exit 4).
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <qvm/guest.h>
#include <qvm/log.h>
#include <qvm/utils.h>
#include <qvm/vdev-core.h>
#include <qvm/wdog.h>

#define PORT_STOP	0
#define PORT_START	2
#define NS_PER_S	1000000000ull

struct ib700 {
	struct wdog_state wdog;
	struct guest_timer *timer;
	unsigned timeout_s;	/* of the last start */
	unsigned kicks;
};

enum { OPT_ACTION };
static const char *const ib700_options[] = { "action", NULL };

static int ib700_control(vdev_t *vdp, unsigned ctrl, const char *arg)
{
	struct ib700 *s = vdp->v_device;
	uint64_t res;

	switch (ctrl) {
	case VDEV_CTRL_OPTIONS_START:
		vdp->v_block.location = 0x441;
		vdp->v_block.length = 3;
		vdp->v_block.qst_type = QST_X86_IO;
		s->wdog.ws_vdev = vdp;
		s->wdog.ws_action = WDOG_ACTION_TERMINATE;
		break;
	case VDEV_CTRL_FIRST_OPTIDX + OPT_ACTION:
		if (wdog_parse_action(&s->wdog, arg) != 0 ||
		    (s->wdog.ws_action & WDOG_ACTION_MASK) != WDOG_ACTION_TERMINATE)
			qvm_fatal(QLS_CNF, "action '%s': expected [dump,]terminate "
					"(the IB700 has no interrupt)", arg);
		break;
	case VDEV_CTRL_OPTIONS_END:
		s->timer = guest_timer_create(NULL, vdp, NULL, &res);
		if (!s->timer)
			qvm_fatal(QLS_QVM, "cannot create its timer: %s", strerror((int)res));
		break;
	}
	return 0;
}

static vdev_ref_status_t ib700_vwrite(vdev_t *vdp, unsigned cookie,
		const struct qvm_state_block *vopnd, const struct qvm_state_block *oopnd,
		struct guest_cpu *gcp)
{
	struct ib700 *s = vdp->v_device;
	uint32_t v = 0;

	(void)cookie;
	guest_cpu_read(gcp, GXF_NONE, oopnd, 1, &v, sizeof(v));
	switch (vopnd->location - vdp->v_block.location) {
	case PORT_START:
		s->timeout_s = 30 - 2 * (v & 15);
		s->kicks++;
		vdev_logf(QL_QVM_DEBUG, vdp, "kick %u: %u s", s->kicks, s->timeout_s);
		/* 0 s bites at once: arm for 1 ns, as 0 would mean "cancel" */
		guest_timer_notify(s->timer, NULL, s->timeout_s ? s->timeout_s * NS_PER_S : 1);
		break;
	case PORT_STOP:
		vdev_logf(QL_QVM_DEBUG, vdp, "stopped");
		guest_timer_notify(s->timer, NULL, 0);
		break;
	}
	return VRS_NORMAL;
}

static void ib700_timer(vdev_t *vdp, void *data, const struct guest_timer_data *tdp,
		struct guest_cpu *gcp)
{
	struct ib700 *s = vdp->v_device;

	(void)data;
	(void)tdp;
	(void)gcp;
	vdev_logf(QL_QVM_ERR, vdp, "not kicked for %u s", s->timeout_s);
	wdog_bite(&s->wdog);
}

static struct vdev_factory ib700_factory = {
	.control = ib700_control,
	.vwrite = ib700_vwrite,
	.timer = ib700_timer,
	.option_list = ib700_options,
	.factory_flags = VFF_VDEV_X86_IO | VFF_INTR_NO | VFF_MUTEX,
	.acc_sizes = 1u << 1 | 1u << 2 | 1u << 4,
	.extra_space = sizeof(struct ib700),
	.safety = VDEV_SAFETY_SELECTED,
};

static void __attribute__((constructor)) ib700_register(void)
{
	vdev_register_factory(&ib700_factory, QVM_VDEV_ABI);
}
