/*
 * vdev-ticker: an example vdev. One 32-bit register at `loc` that counts
 * the seconds since the guest was configured; a thread of the vdev bumps
 * it. Reads return the count, writes are accepted and logged. It is the
 * shape of the trace vdev the demo guest reads, so the demo runs with it:
 *
 *   cc -shared -fPIC $(pkg-config --cflags qvm-vdev) ticker.c -o vdev-ticker.so
 *   QVM_VDEV_PATH=$PWD qvm @vm.qvmconf      # with: vdev ticker loc 0xfa000000
 *
 * Options: `step N` (default 1), what each second adds.
 */
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <qvm/guest.h>
#include <qvm/log.h>
#include <qvm/utils.h>
#include <qvm/vdev-core.h>

struct ticker {
	uint32_t count;		/* under v_mtx: VFF_MUTEX holds it around vread/vwrite too */
	uint64_t step;
	pthread_t thread;
	int running, stop;
};

static const char *const ticker_options[] = { "step", NULL };

static void *tick(void *arg)
{
	vdev_t *vdp = arg;
	struct ticker *t = vdp->v_device;

	for (;;) {
		sleep(1);
		pthread_mutex_lock(&vdp->v_mtx);
		int stop = t->stop;
		if (!stop)
			t->count += (uint32_t)t->step;
		pthread_mutex_unlock(&vdp->v_mtx);
		if (stop)
			return NULL;
	}
}

static int ticker_control(vdev_t *vdp, unsigned ctrl, const char *arg)
{
	struct ticker *t = vdp->v_device;	/* extra_space bytes, zeroed */

	switch (ctrl) {
	case VDEV_CTRL_OPTIONS_START:
		vdp->v_block.location = QSL_NO_LOCATION;
		vdp->v_block.length = 4;
		t->step = 1;
		break;
	case VDEV_CTRL_FIRST_OPTIDX + 0:	/* step: a bad number is FILE:LINE, exit 65 */
		qvm_parse_num(arg, QPNF_NONE, &t->step);
		break;
	case VDEV_CTRL_OPTIONS_END:
		if (vdp->v_block.location == QSL_NO_LOCATION)
			qvm_fatal(QLS_CNF, "ticker: give it a `loc`");
		break;
	case VDEV_CTRL_GUEST_CONFIGURED:	/* threads only from here on */
		if (vdev_thread_create(vdp, "ticker", &t->thread, NULL, tick, vdp) == EOK)
			t->running = 1;
		break;
	case VDEV_CTRL_TERMINATE:
		if (t->running) {
			pthread_mutex_lock(&vdp->v_mtx);
			t->stop = 1;
			pthread_mutex_unlock(&vdp->v_mtx);
			pthread_join(t->thread, NULL);
			t->running = 0;
		}
		break;
	}
	return EOK;
}

static vdev_ref_status_t ticker_vread(vdev_t *vdp, unsigned cookie,
		const struct qvm_state_block *vopnd, const struct qvm_state_block *oopnd,
		struct guest_cpu *gcp)
{
	struct ticker *t = vdp->v_device;

	(void)cookie;
	(void)vopnd;
	int r = guest_cpu_write(gcp, GXF_NONE, oopnd, 1, &t->count, sizeof(t->count));
	/* guest_cpu_to_vrs() takes errors only */
	return r == EOK ? VRS_NORMAL : guest_cpu_to_vrs(r);
}

static vdev_ref_status_t ticker_vwrite(vdev_t *vdp, unsigned cookie,
		const struct qvm_state_block *vopnd, const struct qvm_state_block *oopnd,
		struct guest_cpu *gcp)
{
	uint32_t v = 0;

	(void)cookie;
	(void)vopnd;
	int r = guest_cpu_read(gcp, GXF_NONE, oopnd, 1, &v, sizeof(v));
	if (r != EOK)
		return guest_cpu_to_vrs(r);
	vdev_logf(QL_QVM_INFO, vdp, "ticker: the guest wrote 0x%08x", v);
	return VRS_NORMAL;
}

static struct vdev_factory ticker_factory = {
	.control = ticker_control,
	.vread = ticker_vread,
	.vwrite = ticker_vwrite,
	.option_list = ticker_options,
	.factory_flags = VFF_INTR_NO | VFF_VDEV_MEM | VFF_MUTEX,
	.acc_sizes = 1u << 4,			/* 32-bit accesses only */
	.extra_space = sizeof(struct ticker),
};

static void __attribute__((constructor)) ticker_register(void)
{
	vdev_register_factory(&ticker_factory, QVM_VDEV_ABI);
}
