/*
 * guest_cpu_read/write at an address a vdev owns: the access goes to that
 * vdev's vread or vwrite on the calling thread, as if the guest had made
 * it. A DMA engine reading a FIFO, a bridge forwarding to its devices.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <time.h>

#include <qvm/log.h>

#include "vcpu.h"

/* Nesting of such accesses on one thread (a vdev reading one that reads one...). */
#define PEER_DEPTH_MAX	4
#define PEER_LOCK_WAIT_S	1	/* for another vdev's v_mtx while holding one's own */
static _Thread_local unsigned depth;

/* What the access's caller learns of the vdev's answer; see qvm/guest.h. */
static int answer(struct qvm_vm *vm, struct qvm_vdev *d, vdev_ref_status_t st, unsigned space,
		uint64_t addr, bool write)
{
	switch (st) {
	case VRS_NORMAL:
	case VRS_NO_ADVANCE:
		return 0;
	case VRS_TERMINATE:
		vm_log(vm, QL_QVM_ERR, "vdev %s ended the guest (VRS_TERMINATE) on a %s at %s:0x%"
				PRIx64 " by another vdev", d->name, write ? "write" : "read",
				space == REGION_IO ? "io" : "mem", addr);
		term_request(vm, QVM_EXIT_VDEV_ERROR);
		return EIO;
	default:
		if ((unsigned)st > VRS_ERRNO && (unsigned)st < VRS_ERRNO + 4096)
			return (int)st - VRS_ERRNO;
		return -1;	/* VRS_BUS_ERROR, VRS_ABORT, VRS_CONTINUE: no answer there */
	}
}

int peer_access(struct qvm_vm *vm, struct guest_cpu *gcp, unsigned space, uint64_t addr,
		uint8_t *data, unsigned len, bool write)
{
	struct qvm_region r;
	bool found = false;

	if (!len || len >= 16)	/* acc_sizes has a bit per width up to 15 */
		return EINVAL;
	/*
	 * vCPUs read the map without a lock, from points where it cannot be
	 * freed under them; any thread may get here, so look it up under the
	 * lock that publishing holds, and copy the region out.
	 */
	pthread_mutex_lock(&vm->regions_lock);
	const struct qvm_regmap *map = atomic_load_explicit(&vm->map, memory_order_acquire);
	const struct qvm_region *hint = NULL, *p = map ? regmap_lookup(map, space, addr, &hint) : NULL;
	if (p) {
		r = *p;
		found = true;
	}
	pthread_mutex_unlock(&vm->regions_lock);
	if (!found || !r.vdev || !(r.ok[write] & (1u << len)) || addr + len - 1 > r.last)
		return -1;
	if (depth >= PEER_DEPTH_MAX)
		return ELOOP;

	/* The vdev's callback gets a guest_cpu: the caller's vCPU, or one standing in for none. */
	struct guest_cpu stand_in = { .vm = vm, .fd = -1 };
	/*
	 * Never another thread's vCPU (its own dispatch may be using its
	 * fields): this thread's, or a stand-in of an outer call here.
	 */
	struct guest_cpu *cpu = gcp && (gcp == vcpu_self || gcp->fd < 0) ? gcp : vcpu_self;
	if (!cpu || cpu->vm != vm) {
		vcpu_init_operands(&stand_in);
		cpu = &stand_in;
	}
	uint8_t *saved_data = cpu->data;
	unsigned saved_len = cpu->data_len;
	struct qvm_state_block saved_vop = cpu->vop[space];
	uint64_t saved_oop_len = cpu->oop.length;
	struct qvm_vdev *saved_running = vdev_running;
	struct qvm_vdev *d = r.vdev;
	vdev_ref_status_t st;

	/*
	 * v_mtx is error-checking (core/vdev.c): the caller's own fails rather
	 * than hangs. A caller inside a callback of its own VFF_MUTEX vdev holds
	 * that mutex: waiting on another's without bound could close a cycle
	 * (that vdev reaching back), so it waits a second at most.
	 */
	if (r.flags & REGION_MUTEX) {
		int e;
		if (saved_running && (saved_running->factory->factory_flags &
				(VFF_MUTEX | VFF_MUTEX_RECURSIVE))) {
			struct timespec until;
			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_sec += PEER_LOCK_WAIT_S;
			e = pthread_mutex_timedlock(&d->pub.v_mtx, &until);
			if (e == ETIMEDOUT)
				e = EDEADLK;
		} else {
			e = pthread_mutex_lock(&d->pub.v_mtx);
		}
		if (e)
			return e;
	}
	if (!write)
		memset(data, 0, len);
	cpu->data = data;
	cpu->data_len = len;
	cpu->vop[space].location = addr;
	cpu->vop[space].length = len;
	cpu->oop.length = len;
	vdev_running = d;
	depth++;
	st = r.fn[write](&d->pub, r.cookie, &cpu->vop[space], &cpu->oop, cpu);
	depth--;
	vdev_running = saved_running;
	cpu->data = saved_data;
	cpu->data_len = saved_len;
	cpu->vop[space] = saved_vop;
	cpu->oop.length = saved_oop_len;
	if (r.flags & REGION_MUTEX)
		pthread_mutex_unlock(&d->pub.v_mtx);
	return answer(vm, d, st, space, addr, write);
}
