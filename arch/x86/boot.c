/*
 * x86_64 entry state: qvm starts guests directly in 64-bit long mode,
 * because on hosts whose KVM emulates 16/32-bit code (see README) a boot
 * through real mode is far too slow, and it saves every bare-metal guest
 * its own mode-switch code.
 *
 * The boot area is a 64 KiB hole below the IOAPIC, outside guest RAM:
 *   +0x0000  PML4          +0x1000  PDPT       +0x2000..+0x5fff  4 PDs
 *   +0x6000  GDT (null, 0x08 64-bit code, 0x10 flat data)
 *   +0x8000  3 pages for KVM_SET_TSS_ADDR, +0xb000 identity-map page
 *            (used by KVM on Intel hosts; not a memory slot)
 * The PDs identity-map the first 4 GiB with 2 MiB pages, writable and
 * user-accessible, so a guest can run code at CPL3 without its own tables.
 */
#include <errno.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "vm.h"

#define BOOT_SIZE	0x10000ull
#define BOOT_SLOT_SIZE	((uint64_t)ARCH_BOOT_SLOT_SIZE)
#define BOOT_GDT	0x6000ull
#define BOOT_TSS	0x8000ull
#define BOOT_IDMAP	0xb000ull
#define BOOT_SLOT	(QVM_MAX_MEM)	/* memory slot number of the boot area */
#define IOAPIC_BASE	0xfec00000ull

#define PTE_P	0x1ull
#define PTE_RW	0x2ull
#define PTE_US	0x4ull
#define PTE_A	0x20ull
#define PTE_D	0x40ull
#define PTE_PS	0x80ull
/*
 * Accessed and dirty are preset: the tables sit in a read-only slot, and a
 * CPU setting them during a page walk would otherwise fault into qvm.
 */
#define PTE_TABLE	(PTE_P | PTE_RW | PTE_US | PTE_A)
#define PTE_2M		(PTE_TABLE | PTE_D | PTE_PS)

#define CR0_PE	0x1ull
#define CR0_MP	0x2ull
#define CR0_ET	0x10ull
#define CR0_NE	0x20ull
#define CR0_WP	0x10000ull
#define CR0_PG	0x80000000ull
#define CR4_PAE	0x20ull
#define CR4_OSFXSR	0x200ull
#define CR4_OSXMMEXCPT	0x400ull
#define EFER_LME	0x100ull
#define EFER_LMA	0x400ull

static const uint64_t gdt[] = {
	0,
	0x00af9b000000ffffull,	/* 0x08: 64-bit code, DPL0 */
	0x00cf93000000ffffull,	/* 0x10: flat data, DPL0 */
};

static void build_tables(uint8_t *b, uint64_t base)
{
	uint64_t *pml4 = (uint64_t *)b, *pdpt = (uint64_t *)(b + 0x1000);

	pml4[0] = (base + 0x1000) | PTE_TABLE;
	for (unsigned i = 0; i < 4; i++) {
		uint64_t *pd = (uint64_t *)(b + 0x2000 + 0x1000 * i);
		pdpt[i] = (base + 0x2000 + 0x1000 * i) | PTE_TABLE;
		for (unsigned j = 0; j < 512; j++)
			pd[j] = (((uint64_t)i << 30) + ((uint64_t)j << 21)) | PTE_2M;
	}
	memcpy(b + BOOT_GDT, gdt, sizeof(gdt));
}

int arch_vm_finalize(struct qvm_vm *vm, struct qerr *e)
{
	struct arch_vm *a = &vm->arch;
	uint64_t base;

	if (vm->fdt_dump_file)
		vm_log(vm, QL_QVM_WARN, "set fdt-dump-file: x86 guests are described by ACPI, not an "
				"FDT; nothing is written to %s", vm->fdt_dump_file);

	for (base = IOAPIC_BASE - BOOT_SIZE; base >= 0x100000; base -= BOOT_SIZE)
		if (!vm_range_owner(vm, REGION_MEM, base, BOOT_SIZE))
			break;
	if (base < 0x100000)
		return qerr_set(e, -ENOSPC, "no free 64 KiB below 0x%llx for the boot page tables",
				IOAPIC_BASE);

	a->boot_hva = mmap(NULL, BOOT_SLOT_SIZE, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (a->boot_hva == MAP_FAILED) {
		a->boot_hva = NULL;
		return qerr_set(e, -errno, "cannot allocate the boot area: %s", strerror(errno));
	}
	build_tables(a->boot_hva, base);
	a->boot_gpa = base;

	struct kvm_userspace_memory_region slot = {
		.slot = BOOT_SLOT,
		.flags = KVM_MEM_READONLY,
		.guest_phys_addr = base,
		.memory_size = BOOT_SLOT_SIZE,
		.userspace_addr = (uintptr_t)a->boot_hva,
	};
	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &slot) < 0) {
		/* Read-only slots are an optimisation here: fall back to writable. */
		slot.flags = 0;
		if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &slot) < 0)
			return qerr_set(e, -errno, "KVM_SET_USER_MEMORY_REGION (boot area): %s",
					strerror(errno));
	}
	if (ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, (unsigned long)(base + BOOT_TSS)) < 0)
		return qerr_set(e, -errno, "KVM_SET_TSS_ADDR: %s", strerror(errno));
	uint64_t idmap = base + BOOT_IDMAP;
	if (ioctl(vm->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &idmap) < 0 && errno != EINVAL)
		return qerr_set(e, -errno, "KVM_SET_IDENTITY_MAP_ADDR: %s", strerror(errno));
	return 0;
}

static void set_seg(struct kvm_segment *s, uint16_t sel, uint8_t type, bool code)
{
	*s = (struct kvm_segment){
		.base = 0, .limit = 0xffffffff, .selector = sel, .type = type,
		.present = 1, .dpl = 0, .db = code ? 0 : 1, .s = 1, .l = code ? 1 : 0, .g = 1,
	};
}

int arch_boot_regs(struct guest_cpu *cpu, struct qerr *e)
{
	struct qvm_vm *vm = cpu->vm;
	struct kvm_sregs sr;
	struct kvm_regs r;
	struct kvm_fpu fpu;

	if (ioctl(cpu->fd, KVM_GET_SREGS, &sr) < 0)
		return qerr_set(e, -errno, "KVM_GET_SREGS: %s", strerror(errno));
	set_seg(&sr.cs, 0x08, 0xb, true);
	set_seg(&sr.ds, 0x10, 0x3, false);
	sr.es = sr.fs = sr.gs = sr.ss = sr.ds;
	sr.gdt.base = vm->arch.boot_gpa + BOOT_GDT;
	sr.gdt.limit = sizeof(gdt) - 1;
	sr.idt.base = 0;
	sr.idt.limit = 0;
	sr.cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_PG;
	sr.cr3 = vm->arch.boot_gpa;
	sr.cr4 = CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT;
	sr.efer = EFER_LME | EFER_LMA;
	if (ioctl(cpu->fd, KVM_SET_SREGS, &sr) < 0)
		return qerr_set(e, -errno, "KVM_SET_SREGS: %s", strerror(errno));

	memset(&fpu, 0, sizeof(fpu));
	fpu.fcw = 0x37f;
	fpu.mxcsr = 0x1f80;
	if (ioctl(cpu->fd, KVM_SET_FPU, &fpu) < 0)
		return qerr_set(e, -errno, "KVM_SET_FPU: %s", strerror(errno));

	memset(&r, 0, sizeof(r));
	r.rip = vm->entry;
	r.rflags = 0x2;
	r.rdi = cpu->index;
	r.rsi = vm->ncpus;
	if (ioctl(cpu->fd, KVM_SET_REGS, &r) < 0)
		return qerr_set(e, -errno, "KVM_SET_REGS: %s", strerror(errno));
	return 0;
}
