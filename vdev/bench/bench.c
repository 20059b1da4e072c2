/*
 * vdev bench: the host side of `make bench` (tools/bench/bench-abi.h).
 * Registers, 64-bit accesses only:
 *   +0x00 R  the host's CLOCK_MONOTONIC in ns: the guest calibrates its TSC
 *   +0x08 W  the guest's results are at this guest address: qvm copies the
 *            struct bench_results to the `out` file and ends the run (exit 0)
 * Options: loc (default 0xfa0f0000), out FILE (required).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <qvm/guest.h>
#include <qvm/log.h>
#include <qvm/vdev-core.h>

#include "../../tools/bench/bench-abi.h"

struct bench {
	char *out;
	int fd;		/* out, opened before the guest runs: a vCPU thread opens nothing */
};

static const char *const bench_options[] = { "out", NULL };

static int bench_control(vdev_t *vdp, unsigned ctrl, const char *arg)
{
	struct bench *b = vdp->v_device;

	switch (ctrl) {
	case VDEV_CTRL_OPTIONS_START:
		b->fd = -1;
		vdp->v_block.location = BENCH_DEV_GPA;
		vdp->v_block.length = 0x1000;
		break;
	case VDEV_CTRL_FIRST_OPTIDX + 0:
		free(b->out);
		b->out = strdup(arg);
		break;
	case VDEV_CTRL_OPTIONS_END:
		if (!b->out)
			qvm_fatal(QLS_CNF, "no `out FILE` for the results");
		break;
	case VDEV_CTRL_GUEST_STARTING:
		b->fd = open(b->out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (b->fd < 0)
			qvm_fatal(QLS_QVM, "cannot open %s: %s", b->out, strerror(errno));
		break;
	case VDEV_CTRL_TERMINATE:
		if (b->fd >= 0)
			close(b->fd);
		b->fd = -1;
		free(b->out);
		b->out = NULL;
		break;
	}
	return 0;
}

static vdev_ref_status_t bench_vread(vdev_t *vdp, unsigned cookie,
		const struct qvm_state_block *vopnd, const struct qvm_state_block *oopnd,
		struct guest_cpu *gcp)
{
	struct timespec ts;
	uint64_t v = 0;

	(void)cookie;
	if (vopnd->location - vdp->v_block.location == BENCH_REG_CLOCK) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		v = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	}
	guest_cpu_write(gcp, GXF_NONE, oopnd, 1, &v, sizeof(v));
	return VRS_NORMAL;
}

/* Copy the results out of guest memory into the `out` file. */
static int save(const struct bench *b, uint64_t gpa)
{
	static struct bench_results r;	/* 200 KB: not on a vCPU's stack */
	struct qvm_state_block blk = { .location = gpa, .length = sizeof(r), .qst_type = QST_MEMORY };
	int err = guest_cpu_read(NULL, GXF_NONE, &blk, 1, &r, sizeof(r));

	if (err)
		return err;
	if (r.magic != BENCH_MAGIC)
		return EBADMSG;
	ssize_t n = pwrite(b->fd, &r, sizeof(r), 0);
	err = n == (ssize_t)sizeof(r) ? 0 : n < 0 ? errno : EIO;
	if (!err && fsync(b->fd))
		err = errno;
	return err;
}

static vdev_ref_status_t bench_vwrite(vdev_t *vdp, unsigned cookie,
		const struct qvm_state_block *vopnd, const struct qvm_state_block *oopnd,
		struct guest_cpu *gcp)
{
	struct bench *b = vdp->v_device;
	uint64_t gpa = 0;

	(void)cookie;
	guest_cpu_read(gcp, GXF_NONE, oopnd, 1, &gpa, sizeof(gpa));
	if (vopnd->location - vdp->v_block.location != BENCH_REG_DONE)
		return VRS_NORMAL;
	int err = save(b, gpa);
	if (err) {
		vdev_logf(QL_QVM_ERR, vdp, "cannot save the results from 0x%llx to %s: %s",
				(unsigned long long)gpa, b->out, strerror(err));
		guest_terminate(GTC_VDEV_ERROR);
	} else {
		guest_terminate(GTC_NORMAL_EXIT);
	}
	return VRS_NORMAL;
}

static struct vdev_factory bench_factory = {
	.control = bench_control,
	.vread = bench_vread,
	.vwrite = bench_vwrite,
	.option_list = bench_options,
	.factory_flags = VFF_VDEV_MEM | VFF_INTR_NO | VFF_MUTEX,
	.acc_sizes = 1u << 8,
	.extra_space = sizeof(struct bench),
	.safety = VDEV_SAFETY_SELECTED,
};

static void __attribute__((constructor)) bench_register(void)
{
	vdev_register_factory(&bench_factory, QVM_VDEV_ABI);
}
