/*
 * vdev-lifecycle: a test vdev that logs every control callback it gets, in
 * order, so tests can check the lifecycle qvm drives. Options:
 *   opt-a VALUE    (with an argument)
 *   opt-b          (without)
 *   fail-at CTRL   return EIO from that control callback (a number)
 *   sleep-at CTRL  sleep that many tenths of a second... see sleep-for
 *   sleep-for DS   how long sleep-at sleeps, in tenths of a second (default 15)
 *   exit-at CTRL   guest_terminate(33) in that control callback
 *   button-exits   answer the power button like a guest that powers off:
 *                  guest_terminate(GTC_NORMAL_EXIT)
 *   dump-on-status guest_write_core_file() in VDEV_CTRL_STATUS (SIGUSR1), its
 *                  result logged
 * VDEV_CTRL_STATUS is answered with qvm_report().
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <sys/stat.h>
#include <unistd.h>

#include <qvm/guest.h>
#include <qvm/log.h>
#include <qvm/utils.h>
#include <qvm/vdev-core.h>

struct lc {
	uint64_t fail_at, sleep_at, sleep_for, exit_at;
	int fail_set, sleep_set, button_exits, exit_set, terminated, dump_on_status;
};

static const char *const lc_options[] = {
	"opt-a", QVM_OPTION_NO_ARG_PREFIX "opt-b", "fail-at", "sleep-at", "sleep-for",
	QVM_OPTION_NO_ARG_PREFIX "button-exits", "exit-at",
	QVM_OPTION_NO_ARG_PREFIX "dump-on-status", NULL,
};

static const char *const names[] = {
	"OPTIONS_START", "OPTIONS_END", "GUEST_CONFIGURED", "TERMINATE", "STATUS",
	"GEN_ACPI", "GEN_FDT", "BUTTON", "ASSIGN", "GUEST_STARTING", "PCI_BARS",
};

static int lc_control(vdev_t *vdp, unsigned ctrl, const char *arg)
{
	struct lc *s = vdp->v_device;

	if (ctrl >= VDEV_CTRL_FIRST_OPTIDX)
		vdev_logf(QL_QVM_INFO, vdp, "lifecycle: option %u %s", ctrl - VDEV_CTRL_FIRST_OPTIDX,
				arg ? arg : "(none)");
	else if (ctrl < sizeof(names) / sizeof(names[0]))
		vdev_logf(QL_QVM_INFO, vdp, "lifecycle: %s", names[ctrl]);
	if (ctrl == VDEV_CTRL_OPTIONS_START)
		s->sleep_for = 15;
	if (ctrl == VDEV_CTRL_FIRST_OPTIDX + 2) {
		qvm_parse_num(arg, QPNF_NONE, &s->fail_at);
		s->fail_set = 1;
	}
	if (ctrl == VDEV_CTRL_FIRST_OPTIDX + 3) {
		qvm_parse_num(arg, QPNF_NONE, &s->sleep_at);
		s->sleep_set = 1;
	}
	if (ctrl == VDEV_CTRL_FIRST_OPTIDX + 4)
		qvm_parse_num(arg, QPNF_NONE, &s->sleep_for);
	if (ctrl == VDEV_CTRL_FIRST_OPTIDX + 5)
		s->button_exits = 1;
	if (ctrl == VDEV_CTRL_FIRST_OPTIDX + 6) {
		qvm_parse_num(arg, QPNF_NONE, &s->exit_at);
		s->exit_set = 1;
	}
	if (ctrl == VDEV_CTRL_FIRST_OPTIDX + 7)
		s->dump_on_status = 1;
	if (s->terminated)	/* nothing may follow TERMINATE */
		vdev_logf(QL_QVM_ERR, vdp, "lifecycle: control %u after TERMINATE", ctrl);
	if (ctrl == VDEV_CTRL_TERMINATE)
		s->terminated = 1;
	if (s->exit_set && ctrl == s->exit_at)
		guest_terminate(33);
	if (s->sleep_set && ctrl == s->sleep_at)
		usleep((useconds_t)(s->sleep_for * 100000));
	if (ctrl == VDEV_CTRL_STATUS)
		qvm_report("lifecycle %s: alive", vdev_name(vdp));
	if (ctrl == VDEV_CTRL_STATUS && s->dump_on_status)
		vdev_logf(QL_QVM_INFO, vdp, "lifecycle: guest_write_core_file() = %d",
				guest_write_core_file());
	if (ctrl == VDEV_CTRL_BUTTON && s->button_exits)
		guest_terminate(GTC_NORMAL_EXIT);
	if (ctrl == VDEV_CTRL_GUEST_CONFIGURED) {
		const char *p = vdev_path(vdp);
		struct stat st;
		/* the directory must exist while the vdev runs */
		vdev_logf(QL_QVM_INFO, vdp, "lifecycle: path %s", p && stat(p, &st) == 0 &&
				S_ISDIR(st.st_mode) ? p : "(none)");
	}
	if (s->fail_set && ctrl == s->fail_at)
		return EIO;
	return 0;
}

static struct vdev_factory lc_factory = {
	.control = lc_control,
	.option_list = lc_options,
	.factory_flags = VFF_LOC_NO | VFF_INTR_NO,
	.extra_space = sizeof(struct lc),
};

static void __attribute__((constructor)) lc_register(void)
{
	vdev_register_factory(&lc_factory, QVM_VDEV_ABI);
}
