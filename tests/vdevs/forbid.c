/*
 * vdev-forbid: a test vdev that makes a system call the sandbox forbids
 * (socket()), to show what `set sandbox on|log` does with it. Options:
 *   at-configured  make the call in GUEST_CONFIGURED, on the main thread,
 *                  rather than in the first guest access (on a vCPU thread)
 *   early-thread   start a thread of its own in OPTIONS_END, before qvm
 *                  drops its privileges (which qvm must refuse)
 *   fatal          instead of socket(), make a vdev_path() directory in
 *                  GUEST_CONFIGURED and call qvm_fatal() in the first access:
 *                  the shutdown runs on the vCPU thread
 * It logs "forbid: socket: ok" or the error; reads return all ones.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <qvm/guest.h>
#include <qvm/log.h>
#include <qvm/utils.h>
#include <qvm/vdev-core.h>

struct forbid {
	int at_configured, early_thread, fatal;
	atomic_int done;
	pthread_t thread;
	int thread_started;
	atomic_int stop;
};

static const char *const forbid_options[] = {
	QVM_OPTION_NO_ARG_PREFIX "at-configured", QVM_OPTION_NO_ARG_PREFIX "early-thread",
	QVM_OPTION_NO_ARG_PREFIX "fatal", NULL,
};

static void call(vdev_t *vdp)
{
	struct forbid *f = vdp->v_device;

	if (atomic_exchange(&f->done, 1))
		return;
	if (f->fatal)
		qvm_fatal(QLS_QVM, "forbid: fatal in an access");
	int s = socket(AF_UNIX, SOCK_DGRAM, 0);
	if (s < 0) {
		vdev_logf(QL_QVM_INFO, vdp, "forbid: socket: %s", strerror(errno));
		return;
	}
	close(s);
	vdev_logf(QL_QVM_INFO, vdp, "forbid: socket: ok");
}

static void *idle(void *arg)
{
	struct forbid *f = arg;

	while (!atomic_load(&f->stop))
		usleep(10000);
	return NULL;
}

static int forbid_control(vdev_t *vdp, unsigned ctrl, const char *arg)
{
	struct forbid *f = vdp->v_device;

	(void)arg;
	switch (ctrl) {
	case VDEV_CTRL_FIRST_OPTIDX + 0:
		f->at_configured = 1;
		break;
	case VDEV_CTRL_FIRST_OPTIDX + 1:
		f->early_thread = 1;
		break;
	case VDEV_CTRL_OPTIONS_END:
		if (f->early_thread && pthread_create(&f->thread, NULL, idle, f) == 0)
			f->thread_started = 1;
		break;
	case VDEV_CTRL_FIRST_OPTIDX + 2:
		f->fatal = 1;
		break;
	case VDEV_CTRL_GEN_FDT: {
		/* arm64: where the guests look for the trace register, which it stands in for */
		int parent = (int)(uintptr_t)arg;
		int node = gfdt_update_node(parent, "forbid", vdp->v_block.location);
		if (node >= 0) {
			gfdt_update_prop_strings(node, "compatible", "qvm,forbid", "qvm,trace", NULL);
			gfdt_update_reg(parent, node, vdp->v_block.location, vdp->v_block.length);
		}
		break;
	}
	case VDEV_CTRL_GUEST_CONFIGURED:
		if (f->fatal)
			vdev_logf(QL_QVM_INFO, vdp, "forbid: path %s", vdev_path(vdp));
		if (f->at_configured)
			call(vdp);
		break;
	case VDEV_CTRL_TERMINATE:
		if (f->thread_started) {
			atomic_store(&f->stop, 1);
			pthread_join(f->thread, NULL);
			f->thread_started = 0;
		}
		break;
	}
	return 0;
}

static vdev_ref_status_t forbid_vread(vdev_t *vdp, unsigned cookie,
		const struct qvm_state_block *vopnd, const struct qvm_state_block *oopnd,
		struct guest_cpu *gcp)
{
	uint64_t ones = ~(uint64_t)0;

	(void)cookie;
	(void)vopnd;
	call(vdp);
	guest_cpu_write(gcp, GXF_NONE, oopnd, 1, &ones, oopnd->length);
	return VRS_NORMAL;
}

static vdev_ref_status_t forbid_vwrite(vdev_t *vdp, unsigned cookie,
		const struct qvm_state_block *vopnd, const struct qvm_state_block *oopnd,
		struct guest_cpu *gcp)
{
	(void)cookie;
	(void)vopnd;
	(void)oopnd;
	(void)gcp;
	call(vdp);
	return VRS_NORMAL;
}

static struct vdev_factory forbid_factory = {
	.control = forbid_control,
	.vread = forbid_vread,
	.vwrite = forbid_vwrite,
	.option_list = forbid_options,
	.factory_flags = VFF_VDEV_MEM | VFF_INTR_NO,
	.extra_space = sizeof(struct forbid),
};

static void __attribute__((constructor)) forbid_register(void)
{
	vdev_register_factory(&forbid_factory, QVM_VDEV_ABI);
}
