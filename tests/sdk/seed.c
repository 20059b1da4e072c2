/*
 * The vendor guide's code (../shared/seeds) must compile unchanged against
 * qvm's installed headers. The quoted parts below are the guide's code as
 * printed (marked "seed"); around them is just enough to make a
 * translation unit. Built with -Wall -Wextra -Werror by tests/integration.sh.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <qvm/gasp.h>
#include <qvm/guest.h>
#include <qvm/log.h>
#include <qvm/types.h>
#include <qvm/utils.h>
#include <qvm/vdev-core.h>
#include <qvm/wdog.h>

/* seed 001: the trace vdev's state, options and factory */
/// One instance of the trace device.
struct trace_state {
	pthread_t thread;	///< The thread id for the vdtrace_thread
	uint32_t counter;	///< A counter that increments for each trace_device read
	int emit_logger;	///< 1 = write to logger (as defined by qvm config file). Default=0
	int emit_trace;		///< 1 = emit a trace event to the hypervisor host. Default=0
	int trace_event;	///< The event to emit (only if emit_trace is specified)
};

enum {
	OPT_LOGGER_IDX,
	OPT_TRACE_EVENT_IDX,
	OPT_NUM_OPTS
};
static const char *const trace_options[OPT_NUM_OPTS + 1] = {
	[OPT_LOGGER_IDX]      = QVM_OPTION_NO_ARG_PREFIX "emit-logger",
	[OPT_TRACE_EVENT_IDX] =                          "emit-trace",
	[OPT_NUM_OPTS]        = NULL,
};

/* scaffolding for seed 002's made-up helper */
static const char *cfg_ptr = "";
static bool parse_guest_config(const char *cfg) { return cfg == NULL; }

static int vdtrace_control(vdev_t *vdp, unsigned ctrl, const char *arg)
{
	(void)arg;
	switch (ctrl) {
	case VDEV_CTRL_OPTIONS_END:
		/* seed 001 */
		if(vdp->v_block.location == QSL_NO_LOCATION) {
			qvm_outf(QVM_OUTI_QVM, "%s: OPTIONS_END no location specified", __func__);
		} else {
			qvm_outf(QVM_OUTI_QVM, "%s: OPTIONS_END Location 0x%lx", __func__, vdp->v_block.location);
			}
		break;
	/* seed 002 */
	case VDEV_CTRL_GUEST_CONFIGURED:
	    vdev_logf(QL_QVM_INFO, vdp, "%s: VDEV_CTRL_GUEST_CONFIGURED", __func__);
	    /* The VM is now fully configured to support the guest system. */
	    bool config_failed = parse_guest_config(cfg_ptr);
	    if (config_failed) {
	        qvm_fatal(QLS_CNF, "%s: config failed", __func__);
	    }
	    break;
	}
	return 0;
}

/* seed 002: from wdog_bite() */
static void bite(vdev_t *vdp, unsigned action, const char *error_str)
{
	switch (action) {
	case WDOG_ACTION_TERMINATE:
	    vdev_logf(QL_QVM_ERR, vdp, "%s: terminating", error_str);
	    guest_terminate(GTC_WATCHDOG);
	    break;
	}
}

static vdev_ref_status_t vdtrace_vread(vdev_t *vdp, unsigned cookie,
		const struct qvm_state_block *vopnd, const struct qvm_state_block *oopnd,
		struct guest_cpu *gcp)
{
	struct trace_state *ts = vdp->v_device;
	(void)cookie;
	guest_cpu_write(gcp, GXF_NONE, oopnd, 1, &ts->counter, vopnd->length);
	bite(vdp, 0, "unused");
	return VRS_NORMAL;
}

static vdev_ref_status_t vdtrace_vwrite(vdev_t *vdp, unsigned cookie,
		const struct qvm_state_block *vopnd, const struct qvm_state_block *oopnd,
		struct guest_cpu *gcp)
{
	uint32_t val;
	(void)vdp;
	(void)cookie;
	guest_cpu_read(gcp, GXF_NONE, oopnd, 1, &val, vopnd->length);
	return VRS_NORMAL;
}

/* seed 001 */
static struct vdev_factory vdtrace_factory = {
	.next = NULL, // Patched
	.control = vdtrace_control,
	.vread = vdtrace_vread,
	.vwrite = vdtrace_vwrite,
	.option_list = trace_options,
	.name = NULL, // Patched
	.factory_flags = VFF_INTR_NO | VFF_MUTEX | VFF_VDEV_MEM,
	// Accept only 32-bit access.
	.acc_sizes = 1u << 4,
	// Make sure that local data space is available for the internal structure.
	.extra_space = sizeof(struct trace_state),
	// For the safety version of vdev-trace, require "safety"; otherwise,
	// don't require "safety".
	.safety = VDEV_SAFETY_SELECTED,
};

static void __attribute__((constructor)) vdtrace_register(void)
{
	/* seed 001 */
	vdev_register_factory(&vdtrace_factory, QVM_VDEV_ABI);
}
