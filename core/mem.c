/*
 * Guest memory: `ram` and `rom` ranges backed by anonymous host memory,
 * mapped while the configuration is read and handed to KVM as memory
 * slots once the VM is built (mem_register_slots).
 */
#include <errno.h>
#include <linux/kvm.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "vm.h"

int vm_add_mem(struct qvm_vm *vm, bool have_start, uint64_t start, uint64_t len,
		bool rom, struct qerr *e)
{
	const char *what = rom ? "rom" : "ram";
	const uint64_t page = 4096;
	struct qvm_mem *m;

	if (!have_start) {
		start = vm->nmem ? 0 : ARCH_RAM_BASE;
		for (unsigned i = 0; i < vm->nmem; i++)
			if (vm->mem[i].gpa + vm->mem[i].len > start)
				start = vm->mem[i].gpa + vm->mem[i].len;
		/* past every `reserve loc` in the way (each moves it up: at most nresv) */
		const struct qvm_resv *rv;
		for (unsigned n = 0; n <= vm->nresv &&
				(rv = reserve_overlap(vm, REGION_MEM, start, len ? len : 1)); n++)
			start = (rv->base + rv->len + page - 1) & ~(page - 1);
	}
	if (len == 0)
		return qerr_set(e, -EINVAL, "%s length must not be 0", what);
	if ((start | len) & (page - 1))
		return qerr_set(e, -EINVAL, "%s 0x%llx,0x%llx: start and length must be multiples of 4K",
				what, (unsigned long long)start, (unsigned long long)len);
	if (start + len < start)
		return qerr_set(e, -ERANGE, "%s 0x%llx,0x%llx: ends past the top of the address space",
				what, (unsigned long long)start, (unsigned long long)len);
	for (unsigned i = 0; i < vm->nmem; i++) {
		const struct qvm_mem *o = &vm->mem[i];
		if (start < o->gpa + o->len && o->gpa < start + len)
			return qerr_set(e, -EEXIST, "%s 0x%llx-0x%llx overlaps %s 0x%llx-0x%llx", what,
					(unsigned long long)start, (unsigned long long)(start + len - 1),
					o->rom ? "rom" : "ram", (unsigned long long)o->gpa,
					(unsigned long long)(o->gpa + o->len - 1));
	}
	const char *arch_owner = arch_range_owner(vm, REGION_MEM, start, len);
	if (arch_owner)
		return qerr_set(e, -EEXIST, "%s 0x%llx-0x%llx overlaps %s", what,
				(unsigned long long)start, (unsigned long long)(start + len - 1), arch_owner);
	if (vm->nmem == QVM_MAX_MEM)
		return qerr_set(e, -ENOSPC, "too many ram/rom ranges (at most %d)", QVM_MAX_MEM);

	m = &vm->mem[vm->nmem];
	m->hva = mmap(NULL, len, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (m->hva == MAP_FAILED) {
		m->hva = NULL;
		return qerr_set(e, -errno, "%s 0x%llx bytes: cannot allocate host memory: %s", what,
				(unsigned long long)len, strerror(errno));
	}
	m->gpa = start;
	m->len = len;
	m->rom = rom;

	vm->nmem++;
	if (rom) {
		/* Guest writes to ROM exit as MMIO: drop them quietly, as hardware does. */
		int r = region_add(&vm->regions, REGION_MEM, start, len, NULL, 0, 0, NULL);
		if (r)
			return qerr_set(e, r, "rom 0x%llx: %s", (unsigned long long)start, strerror(-r));
	}
	return 0;
}

int vm_slot_set(struct qvm_vm *vm, unsigned slot, uint64_t gpa, uint64_t len, void *hva,
		bool readonly)
{
	struct kvm_userspace_memory_region r = {
		.slot = slot, .flags = readonly ? KVM_MEM_READONLY : 0,
		.guest_phys_addr = gpa, .memory_size = len, .userspace_addr = (uintptr_t)hva,
	};

	return ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0 ? -errno : 0;
}

const struct qvm_mem *vm_mem_at(const struct qvm_vm *vm, uint64_t gpa)
{
	for (unsigned i = 0; vm && i < vm->nmem; i++)
		if (gpa >= vm->mem[i].gpa && gpa - vm->mem[i].gpa < vm->mem[i].len)
			return &vm->mem[i];
	return NULL;
}

void *vm_gpa_to_hva(struct qvm_vm *vm, uint64_t gpa, uint64_t len)
{
	const struct qvm_mem *m = vm_mem_at(vm, gpa);

	return m && len <= m->len - (gpa - m->gpa) ? m->hva + (gpa - m->gpa) : NULL;
}

const char *vm_range_owner(struct qvm_vm *vm, unsigned space, uint64_t base, uint64_t len)
{
	const struct qvm_region *r;

	for (unsigned i = 0; space == REGION_MEM && i < vm->npass; i++)
		if (base < vm->pass[i].gpa + vm->pass[i].len && vm->pass[i].gpa < base + len)
			return "a pass-through region";
	if (space == REGION_MEM) {
		for (unsigned i = 0; i < vm->nmem; i++) {
			const struct qvm_mem *m = &vm->mem[i];
			if (base < m->gpa + m->len && m->gpa < base + len)
				return m->rom ? "rom" : "ram";
		}
	}
	r = region_find_overlap(&vm->regions, space, base, len);
	if (r)
		return r->vdev ? r->vdev->name : "rom";
	if (space == REGION_MEM && gram_owner(vm, base, len))
		return gram_owner(vm, base, len);
	return arch_range_owner(vm, space, base, len);
}

void mem_destroy(struct qvm_vm *vm)
{
	for (unsigned i = 0; i < vm->nmem; i++)
		munmap(vm->mem[i].hva, vm->mem[i].len);
	vm->nmem = 0;
}
