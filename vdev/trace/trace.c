/*
 * vdev trace: one 32-bit register, the example device of the vendor's vdev
 * guide. A thread made after GUEST_CONFIGURED increments a counter every
 * second; a guest read returns the counter; writes are accepted.
 *
 * Options:
 *   loc ADDR       where the register is (required; memory space)
 *   emit-logger    log every access (info level)
 *   emit-trace N   write a line for each access to the host's tracefs
 *                  trace_marker, tagged with event number N
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <qvm/guest.h>
#include <qvm/log.h>
#include <qvm/utils.h>
#include <qvm/vdev-core.h>

/*
 * Its ACPI _HID [ours]: guests on x86 find the register by it (arm64: the
 * FDT's compatible "qvm,trace").
 */
#define TRACE_ACPI_HID	"QVM0001"

/* Per-instance state (the factory's extra_space). Guarded by v_mtx. */
struct trace_state {
	pthread_t thread;	/* ticks the counter */
	uint32_t counter;	/* what a guest read returns; +1 per second */
	int emit_logger;	/* emit-logger given */
	int emit_trace;		/* emit-trace given */
	int trace_event;	/* its event number */
	int marker_fd;		/* tracefs trace_marker, -1 if not writable */
	bool thread_running;
	bool stop;		/* TERMINATE asks the thread to end */
	pthread_cond_t wake;	/* lets TERMINATE cut the thread's sleep short */
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

static const char *const marker_paths[] = {
	"/sys/kernel/tracing/trace_marker",
	"/sys/kernel/debug/tracing/trace_marker",
};

/* Bump the counter once a second until TERMINATE. */
static void *vdtrace_thread(void *arg)
{
	vdev_t *vdp = arg;
	struct trace_state *ts = vdp->v_device;
	struct timespec next;

	clock_gettime(CLOCK_MONOTONIC, &next);
	pthread_mutex_lock(&vdp->v_mtx);
	while (!ts->stop) {
		next.tv_sec += 1;
		while (!ts->stop &&
		       pthread_cond_timedwait(&ts->wake, &vdp->v_mtx, &next) != ETIMEDOUT)
			;
		if (!ts->stop)
			ts->counter++;
	}
	pthread_mutex_unlock(&vdp->v_mtx);
	return NULL;
}

static void open_marker(vdev_t *vdp, struct trace_state *ts)
{
	int err = ENOENT;

	for (size_t i = 0; i < sizeof(marker_paths) / sizeof(marker_paths[0]); i++) {
		ts->marker_fd = open(marker_paths[i], O_WRONLY | O_CLOEXEC);
		if (ts->marker_fd >= 0)
			return;
		if (errno != ENOENT)
			err = errno;
	}
	vdev_logf(QL_QVM_WARN, vdp, "emit-trace %d: cannot write the tracefs trace_marker (%s): "
			"no trace events will be emitted", ts->trace_event, strerror(err));
}

static int vdtrace_control(vdev_t *vdp, unsigned ctrl, const char *arg)
{
	struct trace_state *ts = vdp->v_device;
	uint64_t num;

	switch (ctrl) {
	case VDEV_CTRL_OPTIONS_START:
		vdp->v_block.location = QSL_NO_LOCATION;
		vdp->v_block.length = sizeof(uint32_t);
		ts->marker_fd = -1;
		pthread_condattr_t ca;
		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&ts->wake, &ca);
		pthread_condattr_destroy(&ca);
		break;
	case VDEV_CTRL_FIRST_OPTIDX + OPT_LOGGER_IDX:
		ts->emit_logger = 1;
		break;
	case VDEV_CTRL_FIRST_OPTIDX + OPT_TRACE_EVENT_IDX:
		/* An invalid number ends qvm here with the option's file and line. */
		if (qvm_parse_num(arg, QPNF_NONE, &num) == NULL || num > INT32_MAX)
			return EINVAL;
		ts->emit_trace = 1;
		ts->trace_event = (int)num;
		break;
	case VDEV_CTRL_OPTIONS_END:
		if (vdp->v_block.location == QSL_NO_LOCATION)
			qvm_fatal(QLS_CNF, "%s: OPTIONS_END no location specified (give `loc ADDR`)",
					__func__);
		vdev_logf(QL_QVM_DEBUG, vdp, "%s: OPTIONS_END Location 0x%" PRIx64, __func__,
				vdp->v_block.location);
		break;
	case VDEV_CTRL_GEN_FDT: {
		/* arm64: a node the guest finds the register by */
		int parent = (int)(uintptr_t)arg;
		int node = gfdt_update_node(parent, "trace", vdp->v_block.location);
		if (node >= 0) {
			gfdt_update_prop_string(node, "compatible", "qvm,trace");
			gfdt_update_reg(parent, node, vdp->v_block.location, vdp->v_block.length,
					QSL_NO_LOCATION);
		}
		break;
	}
	case VDEV_CTRL_GEN_ACPI:
		/* x86: a device the guest finds the register by; the address tells instances apart */
		acpi_describe_vdev(vdp, NULL, TRACE_ACPI_HID, vdp->v_block.location);
		break;
	case VDEV_CTRL_GUEST_CONFIGURED:
		vdev_logf(QL_QVM_DEBUG, vdp, "%s: VDEV_CTRL_GUEST_CONFIGURED", __func__);
		if (ts->emit_trace)
			open_marker(vdp, ts);
		int r = vdev_thread_create(vdp, "trace", &ts->thread, NULL, vdtrace_thread, vdp);
		if (r)
			qvm_fatal(QLS_QVM, "%s: cannot create the counter thread: %s", __func__, strerror(r));
		ts->thread_running = true;
		break;
	case VDEV_CTRL_TERMINATE:
		if (ts->thread_running) {
			pthread_mutex_lock(&vdp->v_mtx);
			ts->stop = true;
			pthread_cond_signal(&ts->wake);
			pthread_mutex_unlock(&vdp->v_mtx);
			pthread_join(ts->thread, NULL);
			ts->thread_running = false;
		}
		if (ts->marker_fd >= 0)
			close(ts->marker_fd);
		ts->marker_fd = -1;
		pthread_cond_destroy(&ts->wake);
		break;
	default:
		break;
	}
	return 0;
}

/* The guest touched the register: log and trace it as asked. v_mtx is held. */
static void note_access(vdev_t *vdp, struct trace_state *ts, const char *what,
		uint64_t addr, uint32_t val)
{
	if (ts->emit_logger)
		vdev_logf(QL_QVM_INFO, vdp, "%s 0x%08" PRIx32 " at 0x%" PRIx64, what, val, addr);
	if (ts->emit_trace && ts->marker_fd >= 0) {
		char line[128];
		int n = snprintf(line, sizeof(line), "qvm trace %s event %d: %s 0x%08" PRIx32 " at 0x%"
				PRIx64 "\n", vdev_name(vdp), ts->trace_event, what, val, addr);
		if (write(ts->marker_fd, line, (size_t)n) < 0) {
			/* tracing switched off under us: stop trying */
			close(ts->marker_fd);
			ts->marker_fd = -1;
		}
	}
}

static vdev_ref_status_t vdtrace_vread(vdev_t *vdp, unsigned cookie,
		const struct qvm_state_block *vopnd, const struct qvm_state_block *oopnd,
		struct guest_cpu *gcp)
{
	struct trace_state *ts = vdp->v_device;
	uint32_t val = ts->counter;

	(void)cookie;
	note_access(vdp, ts, "read", vopnd->location, val);
	guest_cpu_write(gcp, GXF_NONE, oopnd, 1, &val, (unsigned)vopnd->length);
	return VRS_NORMAL;
}

static vdev_ref_status_t vdtrace_vwrite(vdev_t *vdp, unsigned cookie,
		const struct qvm_state_block *vopnd, const struct qvm_state_block *oopnd,
		struct guest_cpu *gcp)
{
	struct trace_state *ts = vdp->v_device;
	uint32_t val = 0;

	(void)cookie;
	guest_cpu_read(gcp, GXF_NONE, oopnd, 1, &val, (unsigned)vopnd->length);
	note_access(vdp, ts, "write", vopnd->location, val);
	return VRS_NORMAL;
}

static struct vdev_factory vdtrace_factory = {
	.next = NULL,		/* qvm links factories here */
	.control = vdtrace_control,
	.vread = vdtrace_vread,
	.vwrite = vdtrace_vwrite,
	.option_list = trace_options,
	.name = NULL,		/* qvm names it "trace" after vdev-trace.so */
	.factory_flags = VFF_INTR_NO | VFF_MUTEX | VFF_VDEV_MEM,
	.acc_sizes = 1u << 4,	/* the register is 32 bits wide: nothing else reaches us */
	.extra_space = sizeof(struct trace_state),
	.safety = VDEV_SAFETY_SELECTED,
};

static void __attribute__((constructor)) vdtrace_register(void)
{
	vdev_register_factory(&vdtrace_factory, QVM_VDEV_ABI);
}
