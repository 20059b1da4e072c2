/*
 * x86_64 entry state: qvm starts guests directly in 64-bit long mode,
 * because on hosts whose KVM emulates 16/32-bit code (see README) a boot
 * through real mode is far too slow, and it saves every bare-metal guest
 * its own mode-switch code. The state itself is in longmode.c; here the
 * boot area finds its place: the highest free 64 KiB below the IOAPIC.
 */
#include <errno.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "elf_load.h"
#include "linux.h"
#include "longmode.h"
#include "vm.h"
#include "x86.h"


int arch_boot_setup(struct qvm_vm *vm, struct qvm_boot *boot, struct qerr *e)
{
	struct arch_vm *a = &vm->arch;
	uint64_t base;

	if (boot->proto == QVM_BOOT_BARE && boot->initrd.len)
		vm_log(vm, QL_QVM_WARN, "initrd load: only a Linux or multiboot kernel is told where "
				"its initrd is; this guest finds it at 0x%llx by itself or not at all",
				(unsigned long long)boot->initrd.gpa);
	if (vm->fdt_dump_file)
		vm_log(vm, QL_QVM_WARN, "set fdt-dump-file: x86 guests are described by ACPI, not an "
				"FDT; nothing is written to %s", vm->fdt_dump_file);

	if (x86_find_hole(vm, LM_AREA_SIZE, LM_AREA_SIZE, IOAPIC_DEFAULT_BASE, &base))
		return qerr_set(e, -ENOSPC, "no free 64 KiB below 0x%llx for the boot page tables",
				IOAPIC_DEFAULT_BASE);

	a->boot_hva = mmap(NULL, LM_SLOT_SIZE, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (a->boot_hva == MAP_FAILED) {
		a->boot_hva = NULL;
		return qerr_set(e, -errno, "cannot allocate the boot area: %s", strerror(errno));
	}
	lm_build_tables(a->boot_hva, base);
	a->boot_gpa = base;

	/*
	 * Writable, like the guest's own RAM: with nested paging (AMD NPT) the
	 * guest's page walks through a KVM_MEM_READONLY slot went wrong, and
	 * its first MMIO read returned its own PML4 entry (README, "Testing").
	 */
	struct kvm_userspace_memory_region slot = {
		.slot = BOOT_SLOT,
		.guest_phys_addr = base,
		.memory_size = LM_SLOT_SIZE,
		.userspace_addr = (uintptr_t)a->boot_hva,
	};
	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &slot) < 0)
		return qerr_set(e, -errno, "KVM_SET_USER_MEMORY_REGION (boot area): %s",
				strerror(errno));
	if (ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, (unsigned long)(base + LM_TSS)) < 0)
		return qerr_set(e, -errno, "KVM_SET_TSS_ADDR: %s", strerror(errno));
	uint64_t idmap = base + LM_IDMAP;
	if (ioctl(vm->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &idmap) < 0 && errno != EINVAL)
		return qerr_set(e, -errno, "KVM_SET_IDENTITY_MAP_ADDR: %s", strerror(errno));
	pm_init(&a->pm);
	int r = x86_acpi_setup(vm, boot, e);
	if (r)
		return r;
	if (boot->proto == QVM_BOOT_LINUX)
		return linux_boot_setup(vm, boot, e);
	if (boot->proto == QVM_BOOT_MULTIBOOT)
		return multiboot_boot_setup(vm, boot, e);
	return 0;
}

int x86_find_hole(struct qvm_vm *vm, uint64_t len, uint64_t align, uint64_t below,
		uint64_t *base)
{
	if (len > below)
		return -ENOSPC;
	for (uint64_t b = (below - len) & ~(align - 1); b >= 0x100000; b -= align) {
		if (!vm_range_owner(vm, REGION_MEM, b, len)) {
			*base = b;
			return 0;
		}
		if (b < align)
			break;
	}
	return -ENOSPC;
}

int arch_vcpu_boot(struct guest_cpu *cpu, const struct qvm_boot *boot, struct qerr *e)
{
	struct qvm_vm *vm = cpu->vm;
	struct kvm_sregs sr;
	struct kvm_regs r;
	struct kvm_fpu fpu;

	if (ioctl(cpu->fd, KVM_GET_SREGS, &sr) < 0)
		return qerr_set(e, -errno, "KVM_GET_SREGS: %s", strerror(errno));
	bool linux = boot->proto == QVM_BOOT_LINUX, mb = boot->proto == QVM_BOOT_MULTIBOOT;
	/*
	 * Linux and multiboot kernels bring up their other vCPUs themselves,
	 * with INIT/SIPI through the in-kernel LAPIC: they wait for it, in KVM's
	 * reset state.
	 */
	if ((linux || mb) && cpu->index > 0) {
		struct kvm_mp_state wait = { .mp_state = KVM_MP_STATE_UNINITIALIZED };
		if (ioctl(cpu->fd, KVM_SET_MP_STATE, &wait) < 0)
			return qerr_set(e, -errno, "KVM_SET_MP_STATE: %s", strerror(errno));
		return 0;
	}
	if (linux)
		lm_entry_sregs_linux(&sr, vm->arch.boot_gpa);
	else if (mb)
		lm_entry_sregs_protected(&sr, vm->arch.boot_gpa);
	else
		lm_entry_sregs(&sr, vm->arch.boot_gpa);
	if (ioctl(cpu->fd, KVM_SET_SREGS, &sr) < 0)
		return qerr_set(e, -errno, "KVM_SET_SREGS: %s", strerror(errno));
	lm_entry_fpu(&fpu);
	if (ioctl(cpu->fd, KVM_SET_FPU, &fpu) < 0)
		return qerr_set(e, -errno, "KVM_SET_FPU: %s", strerror(errno));
	lm_entry_regs(&r, boot->entry, cpu->index, vm->ncpus);
	if (linux) {	/* boot.rst: RSI the zero page, the rest undefined (0 here) */
		r.rdi = 0;
		r.rsi = boot->params.gpa;
	}
	if (mb) {	/* the multiboot spec: EAX the magic, EBX the information */
		r.rdi = r.rsi = 0;
		r.rax = MB_BOOT_MAGIC;
		r.rbx = boot->params.gpa;
	}
	if (ioctl(cpu->fd, KVM_SET_REGS, &r) < 0)
		return qerr_set(e, -errno, "KVM_SET_REGS: %s", strerror(errno));
	/*
	 * With the in-kernel LAPIC, vCPUs other than 0 wait for INIT/SIPI.
	 * Bare-metal images start on every vCPU at once (see README).
	 */
	struct kvm_mp_state mp = { .mp_state = KVM_MP_STATE_RUNNABLE };
	if (ioctl(cpu->fd, KVM_SET_MP_STATE, &mp) < 0)
		return qerr_set(e, -errno, "KVM_SET_MP_STATE: %s", strerror(errno));
	return 0;
}

/* A multiboot kernel as a flat image: its header says where it goes. */
static int multiboot_flat(struct qvm_vm *vm, const struct multiboot *mb, bool have_addr,
		uint64_t *addr, uint64_t *skip, uint64_t *copy, uint64_t *span, struct qerr *e)
{
	if (!mb->aout)
		return qerr_set(e, -ENOEXEC, "a multiboot kernel that is not an ELF image needs "
				"its load addresses in its header (flag 16)");
	if (have_addr)
		vm_log(vm, QL_QVM_WARN, "load 0x%llx: a multiboot kernel loads where its header "
				"says (0x%x); the address is ignored", (unsigned long long)*addr,
				mb->load_addr);
	*addr = mb->load_addr;
	*skip = mb->file_off;
	*copy = mb->copy;
	*span = mb->span;
	vm->boot.proto = QVM_BOOT_MULTIBOOT;
	return 1;
}

/*
 * A 32-bit ELF image boots only as a multiboot kernel; a 64-bit one with a
 * "Linux" note (a vmlinux) through the Linux 64-bit boot protocol, at its
 * ELF entry (startup_64) with a zero page; any other as a bare-metal image.
 * All load by their program headers.
 */
int arch_elf_image(struct qvm_vm *vm, const uint8_t *buf, size_t size, struct qerr *e)
{
	if (size > EI_CLASS && buf[EI_CLASS] == ELFCLASS64) {
		if (elf_has_note(buf, size, "Linux")) {
			bzimage_vmlinux(&vm->arch.bz);
			vm->boot.proto = QVM_BOOT_LINUX;
		}
		return 0;
	}
	int r = multiboot_parse(buf, size < MB_SEARCH ? size : MB_SEARCH, size, &vm->arch.mb, e);
	if (r < 0)
		return r;
	if (r == 0)
		return qerr_set(e, -ENOEXEC, "a 32-bit ELF image boots only as a multiboot kernel, "
				"and this one has no multiboot header in its first 8 KiB");
	vm->arch.mb.aout = false;	/* the ELF program headers say where it goes */
	vm->boot.proto = QVM_BOOT_MULTIBOOT;
	return 0;
}

/*
 * A Linux bzImage goes where its setup header says, its real-mode setup
 * code left out (the zero page takes the header); anything else is raw
 * bytes at the address given, else at the start of ram.
 */
int arch_raw_image(struct qvm_vm *vm, const uint8_t *head, size_t headlen, uint64_t size,
		uint64_t ram, bool have_addr, uint64_t *addr, uint64_t *skip, uint64_t *copy,
		uint64_t *span, struct qerr *e)
{
	struct bzimage *bz = &vm->arch.bz;
	struct multiboot *mb = &vm->arch.mb;
	int r = bzimage_parse(head, headlen, size, bz, e);

	if (r < 0)
		return r;
	if (r == 0) {
		r = multiboot_parse(head, headlen, size, mb, e);
		if (r < 0)
			return r;
		if (r == 1)
			return multiboot_flat(vm, mb, have_addr, addr, skip, copy, span, e);
		if (!have_addr)
			*addr = ram;
		*span = size;
		return 0;
	}
	if (have_addr)
		vm_log(vm, QL_QVM_WARN, "load 0x%llx: a bzImage loads where its setup header says "
				"(0x%llx); the address is ignored", (unsigned long long)*addr,
				(unsigned long long)bz->load_addr);
	*addr = bz->load_addr;
	*skip = bz->setup_size;
	*span = bz->init_size;
	vm->boot.proto = QVM_BOOT_LINUX;
	return 1;
}
