/*
 * The hot path: a trapped MMIO or port access to the vdev that owns it.
 *
 * One acquire load of the published region map, a per-vCPU hint check (or
 * a binary search), one bit test for acc_sizes, and the call. No lock
 * unless the factory asks for VFF_MUTEX, no allocation, no syscall, no
 * logging unless something is wrong.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <qvm/guest.h>
#include <qvm/log.h>

#include "vcpu.h"

static const char *const space_name[REGION_SPACES] = { "mem", "io" };

/* Remember addr; true if it was not seen before (warn once per address). */
static bool first_time(struct qvm_vm *vm, unsigned space, uint64_t addr)
{
	uint64_t key = (addr << 1 | space) + 1;	/* never 0: 0 marks a free slot */
	size_t h = (size_t)((key * 0x9e3779b97f4a7c15ull) >> 54) % QVM_UNSUPP_SLOTS;

	for (size_t i = 0; i < QVM_UNSUPP_SLOTS; i++) {
		_Atomic uint64_t *slot = &vm->unsupp_seen[(h + i) % QVM_UNSUPP_SLOTS];
		uint64_t cur = atomic_load_explicit(slot, memory_order_relaxed);
		if (cur == key)
			return false;
		if (cur == 0) {
			if (atomic_compare_exchange_strong(slot, &cur, key))
				return true;
			if (cur == key)
				return false;
		}
	}
	/* Table full: say so once, then stay quiet. */
	bool was = atomic_exchange(&vm->unsupp_full, true);
	if (!was)
		vm_log(vm, QL_QVM_WARN, "more than %d addresses with unsupported references: "
				"no further warnings", QVM_UNSUPP_SLOTS);
	return false;
}

/*
 * An access nobody takes: apply the `unsupported reference` policy.
 * Reads see all ones whatever the policy.
 */
static void unsupported(struct guest_cpu *cpu, unsigned space, uint64_t addr,
		unsigned len, bool write, uint8_t *data, const char *why)
{
	struct qvm_vm *vm = cpu->vm;
	enum qvm_unsupp_action act = vm->unsupp[UNSUPP_REFERENCE];
	char val[40] = "";

	if (write) {
		uint64_t v = 0;
		memcpy(&v, data, len < 8 ? len : 8);
		snprintf(val, sizeof(val), " of 0x%" PRIx64, v);
	} else {
		memset(data, 0xff, len);
	}
	switch (act) {
	case UNSUPP_IGNORE:
		if (first_time(vm, space, addr))
			vm_log(vm, QL_QVM_WARN, "vcpu %u: %u-byte %s%s at %s:0x%" PRIx64 ": %s "
					"(unsupported reference: ignored%s)", cpu->index, len,
					write ? "write" : "read", val, space_name[space], addr, why,
					write ? "" : ", reads all ones");
		break;
	case UNSUPP_FAIL:
		if (first_time(vm, space, addr))
			vm_log(vm, QL_QVM_WARN, "vcpu %u: %u-byte %s%s at %s:0x%" PRIx64 ": %s "
					"(unsupported reference: fault delivered to the guest)",
					cpu->index, len, write ? "write" : "read", val,
					space_name[space], addr, why);
		arch_inject_bus_error(cpu);
		break;
	case UNSUPP_ABORT:
		vm_log(vm, QL_QVM_ERR, "vcpu %u: %u-byte %s%s at %s:0x%" PRIx64 ": %s "
				"(unsupported reference: abort)", cpu->index, len,
				write ? "write" : "read", val, space_name[space], addr, why);
		vm_request_exit(vm, GTC_UNSUPPORTED);
		break;
	}
}

static void vdev_status(struct guest_cpu *cpu, struct qvm_vdev *d, vdev_ref_status_t st,
		unsigned space, uint64_t addr, unsigned len, bool write, uint8_t *data)
{
	char why[160];

	switch (st) {
	case VRS_NORMAL:
	case VRS_NO_ADVANCE:	/* KVM completes the instruction regardless */
		return;
	case VRS_BUS_ERROR:
		if (!write)
			memset(data, 0xff, len);
		arch_inject_bus_error(cpu);
		return;
	case VRS_TERMINATE:
		vm_log(cpu->vm, QL_QVM_ERR, "vdev %s ended the guest (VRS_TERMINATE) on a %s at %s:0x%"
				PRIx64, d->name, write ? "write" : "read", space_name[space], addr);
		vm_request_exit(cpu->vm, GTC_VDEV_ERROR);
		return;
	default:
		if ((unsigned)st >= VRS_ERRNO)
			snprintf(why, sizeof(why), "vdev %s failed it: %s", d->name,
					strerror((int)st - VRS_ERRNO));
		else
			snprintf(why, sizeof(why), "vdev %s refused it (status %d)", d->name, (int)st);
		unsupported(cpu, space, addr, len, write, data, why);
	}
}

void dispatch_access(struct guest_cpu *cpu, unsigned space, uint64_t addr,
		unsigned len, bool write, uint8_t *data)
{
	const struct qvm_regmap *map = atomic_load_explicit(&cpu->vm->map, memory_order_acquire);
	const struct qvm_region *r;
	struct qvm_vdev *d;

	if (cpu->hint_map != map) {
		cpu->hint_map = map;
		memset(cpu->hint, 0, sizeof(cpu->hint));
	}
	r = regmap_lookup(map, space, addr, &cpu->hint[space]);
	if (__builtin_expect(!r || addr + len - 1 > r->last ||
			!(r->flags & (write ? REGION_WR : REGION_RD)), 0)) {
		if (r && !r->vdev)
			return;	/* a write to ROM */
		unsupported(cpu, space, addr, len, write, data, !r ? "no vdev there" :
				addr + len - 1 > r->last ? "crosses the end of a vdev's region" :
				write ? "the vdev's region does not take writes" :
				"the vdev's region does not take reads");
		return;
	}
	d = r->vdev;

	const struct vdev_factory *f = d->factory;
	vdev_ref_func_t *fn = write ? f->vwrite : f->vread;
	if (__builtin_expect((f->acc_sizes && !(f->acc_sizes & (1u << len))) || !fn, 0)) {
		char why[160];
		if (!fn)
			snprintf(why, sizeof(why), "vdev %s has no %s", d->name, write ? "vwrite" : "vread");
		else
			snprintf(why, sizeof(why), "vdev %s does not accept %u-byte accesses",
					d->name, len);
		unsupported(cpu, space, addr, len, write, data, why);
		return;
	}

	const struct qvm_state_block vop = {
		.location = addr, .length = len,
		.qst_type = space == REGION_IO ? QST_X86_IO : QST_MEMORY,
	};
	const struct qvm_state_block oop = {
		.location = 0, .length = len, .qst_type = QST_IMMEDIATE,
	};
	vdev_ref_status_t st;

	if (!write)
		memset(data, 0, len);
	cpu->data = data;
	cpu->data_len = len;
	vdev_running = d;
	if (f->factory_flags & VFF_MUTEX) {
		pthread_mutex_lock(&d->pub.v_mtx);
		st = fn(&d->pub, r->cookie, &vop, &oop, cpu);
		pthread_mutex_unlock(&d->pub.v_mtx);
	} else {
		st = fn(&d->pub, r->cookie, &vop, &oop, cpu);
	}
	vdev_running = NULL;
	cpu->data = NULL;
	if (__builtin_expect(st != VRS_NORMAL, 0))
		vdev_status(cpu, d, st, space, addr, len, write, data);
}
