/*
 * gram_*: guest-physical ranges a vdev reserves at startup (qvm/gasp.h),
 * for memory of its own it will describe to the guest. A reservation is
 * only a claim: nothing else (a vdev's loc, gasp_region_set, another
 * reservation, qvm's own areas) is placed there; the guest sees nothing
 * at it until the vdev puts something there.
 */
#include <errno.h>
#include <stdlib.h>

#include <qvm/gasp.h>

#include "vm.h"

static struct qvm_vm *startup_vm(const char *fn)
{
	struct qvm_vm *vm = vm_current();

	if (vm && vm_phase(vm) != QVM_PHASE_STARTUP) {
		api_violation(vm, vdev_running ? &vdev_running->pub : NULL, fn,
				"may only be called during startup (before VDEV_CTRL_GUEST_CONFIGURED)");
		return NULL;
	}
	return vm;
}

/* Claim [loc, loc+size) if it is free: EOK, EEXIST, ENOMEM, EINVAL. */
static int claim(struct qvm_vm *vm, uint64_t loc, uint64_t size)
{
	if (size == 0 || loc + (size - 1) < loc)
		return EINVAL;
	if (vm_range_owner(vm, REGION_MEM, loc, size))
		return EEXIST;
	if (vm->ngram == vm->gram_cap) {
		unsigned cap = vm->gram_cap ? vm->gram_cap * 2 : 8;
		struct qvm_gram *g = realloc(vm->gram, cap * sizeof(*g));
		if (!g)
			return ENOMEM;
		vm->gram = g;
		vm->gram_cap = cap;
	}
	vm->gram[vm->ngram++] = (struct qvm_gram){ loc, size, vdev_running };
	return EOK;
}

int gram_reserve(uint64_t loc, uint64_t size)
{
	struct qvm_vm *vm = startup_vm("gram_reserve()");

	return vm ? claim(vm, loc, size) : EPERM;
}

uint64_t gram_find_free_range(uint64_t size, uint64_t align, gram_hint_flags_t flags,
		uint64_t range_start, uint64_t range_end)
{
	struct qvm_vm *vm = startup_vm("gram_find_free_range()");

	if (!vm)
		return QSL_NO_LOCATION;
	if ((flags & GRAM_HINT_BELOW_4G) && range_end > 0xffffffffull)
		range_end = 0xffffffffull;
	uint64_t at = gasp_find_free_range(QST_MEMORY, size, align, range_start, range_end);
	if (at != QSL_NO_LOCATION && claim(vm, at, size) != EOK)
		return QSL_NO_LOCATION;
	return at;
}

uint64_t gram_find_free(uint64_t size, uint64_t align, gram_hint_flags_t flags)
{
	/* as gasp_find_free: clear of the first MiB */
	return gram_find_free_range(size, align, flags, 0x100000, (1ull << 46) - 1);
}

const char *gram_owner(const struct qvm_vm *vm, uint64_t base, uint64_t len)
{
	for (unsigned i = 0; i < vm->ngram; i++) {
		const struct qvm_gram *g = &vm->gram[i];
		if (base < g->gpa + g->len && g->gpa < base + len)
			return "a gram_reserve() range";
	}
	return NULL;
}

void gram_free(struct qvm_vm *vm)
{
	free(vm->gram);
	vm->gram = NULL;
	vm->ngram = vm->gram_cap = 0;
}
