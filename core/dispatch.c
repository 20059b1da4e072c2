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
/* Cold paths stay out of dispatch_access: its frame stays small and its registers few. */
#define COLD __attribute__((noinline, cold))

static COLD void unsupported(struct guest_cpu *cpu, unsigned space, uint64_t addr,
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
		term_request(vm, QVM_EXIT_UNSUPPORTED);
		break;
	}
}

static COLD void vdev_status(struct guest_cpu *cpu, struct qvm_vdev *d, vdev_ref_status_t st,
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
		term_request(cpu->vm, QVM_EXIT_VDEV_ERROR);
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

void dispatch_prepare_region(struct qvm_region *r)
{
	const struct vdev_factory *f = r->vdev ? r->vdev->factory : NULL;
	/* widths the vdev takes: acc_sizes, or 1, 2, 4 and 8 bytes when it is 0 */
	uint16_t widths = f ? (uint16_t)(f->acc_sizes ? f->acc_sizes : 0x116) : 0;

	r->fn[0] = f && (r->flags & REGION_RD) ? f->vread : NULL;
	r->fn[1] = f && (r->flags & REGION_WR) ? f->vwrite : NULL;
	r->ok[0] = r->fn[0] ? widths : 0;
	r->ok[1] = r->fn[1] ? widths : 0;
	if (f && (f->factory_flags & (VFF_MUTEX | VFF_MUTEX_RECURSIVE)))
		r->flags |= REGION_MUTEX;
}

/* Why an access found no taker, for the unsupported-reference message. */
static COLD void refused(struct guest_cpu *cpu, const struct qvm_region *r, unsigned space,
		uint64_t addr, unsigned len, bool write, uint8_t *data)
{
	char why[160];

	if (!r)
		snprintf(why, sizeof(why), "no vdev there");
	else if (!r->vdev && write)
		return;	/* a write to ROM: dropped, as on hardware */
	else if (addr + len - 1 > r->last)
		snprintf(why, sizeof(why), "crosses the end of a vdev's region");
	else if (!(r->flags & (write ? REGION_WR : REGION_RD)))
		snprintf(why, sizeof(why), "the vdev's region does not take %s",
				write ? "writes" : "reads");
	else if (!r->fn[write])
		snprintf(why, sizeof(why), "vdev %s has no %s", r->vdev->name,
				write ? "vwrite" : "vread");
	else
		snprintf(why, sizeof(why), "vdev %s does not accept %u-byte accesses",
				r->vdev->name, len);
	unsupported(cpu, space, addr, len, write, data, why);
}

/* The hint missed: search the map (a new map first forgets the hints). */
static __attribute__((noinline)) const struct qvm_region *search(struct guest_cpu *cpu,
		const struct qvm_regmap *map, unsigned space, uint64_t addr)
{
	if (cpu->hint_map != map) {
		cpu->hint_map = map;
		memset(cpu->hint, 0, sizeof(cpu->hint));
	}
	return regmap_lookup(map, space, addr, &cpu->hint[space]);
}

/* The region holding addr, through the vCPU's hint for this space when it still fits. */
static inline const struct qvm_region *lookup(struct guest_cpu *cpu, unsigned space, uint64_t addr)
{
	const struct qvm_regmap *map = atomic_load_explicit(&cpu->vm->map, memory_order_acquire);
	const struct qvm_region *h = cpu->hint[space];

	if (__builtin_expect(cpu->hint_map == map && h && addr >= h->base && addr <= h->last, 1))
		return h;
	return search(cpu, map, space, addr);
}

void dispatch_access(struct guest_cpu *cpu, unsigned space, uint64_t addr,
		unsigned len, bool write, uint8_t *data)
{
	const struct qvm_region *r = lookup(cpu, space, addr);

	/* One test covers: a region, inside it, the direction trapped, the width accepted. */
	if (__builtin_expect(!r || !(r->ok[write] & (1u << len)) || addr + len - 1 > r->last, 0)) {
		refused(cpu, r, space, addr, len, write, data);
		return;
	}
	struct qvm_vdev *d = r->vdev;
	vdev_ref_status_t st;

	if (!write) {	/* what the guest reads if the vdev hands nothing over */
		switch (len) {
		case 1: *data = 0; break;
		case 2: memset(data, 0, 2); break;
		case 4: memset(data, 0, 4); break;
		case 8: memset(data, 0, 8); break;
		default: memset(data, 0, len); break;
		}
	}
	cpu->data = data;
	cpu->data_len = len;
	struct qvm_state_block *vop = &cpu->vop[space];
	vop->location = addr;
	vop->length = len;
	cpu->oop.length = len;
	vdev_running = d;
	if (r->flags & REGION_MUTEX) {
		pthread_mutex_lock(&d->pub.v_mtx);
		st = r->fn[write](&d->pub, r->cookie, vop, &cpu->oop, cpu);
		pthread_mutex_unlock(&d->pub.v_mtx);
	} else {
		st = r->fn[write](&d->pub, r->cookie, vop, &cpu->oop, cpu);
	}
	/* r is not read past the callback, which may replace the map (core/maps.c). */
	vdev_running = NULL;
	cpu->data = NULL;
	if (__builtin_expect(st != VRS_NORMAL, 0))
		vdev_status(cpu, d, st, space, addr, len, write, data);
}
