/*
 * aarch64 entry state, the Linux arm64 boot protocol's for every image
 * (Documentation/arch/arm64/booting.rst): pc = the entry, EL1h with D, A,
 * I and F masked, the MMU and caches off (KVM's reset state), x0 = the
 * FDT's address, x1-x3 = 0. Secondaries stay off until PSCI CPU_ON.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/ioctl.h>

#include <qvm/log.h>

#include "arm64.h"
#include "le.h"
#include "vm.h"

#define PSTATE_EL1H_MASKED	0x3c5
#define MIB2			(2ull << 20)
/* A raw image without a header: where QEMU's virt machine puts it. */
#define RAW_LOAD_OFFSET		0x80000ull

int arm64_set_core_reg(struct guest_cpu *cpu, size_t off, uint64_t v, const char *name,
		struct qerr *e)
{
	int r = arm64_put_reg(cpu, arch_core_reg(off), v);

	return r ? qerr_set(e, r, "KVM_SET_ONE_REG %s: %s", name, strerror(-r)) : 0;
}

/*
 * The arm64 Image header (booting.rst): code0, code1, text_offset,
 * image_size, flags, res2-4, the magic "ARM\x64" at 56, res5. The image
 * goes text_offset past a 2 MiB-aligned base; image_size covers its bss.
 */
int arch_raw_image(struct qvm_vm *vm, const uint8_t *head, size_t headlen, uint64_t size,
		uint64_t ram, bool have_addr, uint64_t *addr, uint64_t *skip, uint64_t *copy,
		uint64_t *span, struct qerr *e)
{
	(void)skip;	/* an Image is loaded whole */
	(void)copy;
	*span = size;
	if (headlen < 64 || memcmp(head + 56, "ARM\x64", 4) != 0) {
		if (!have_addr)
			*addr = ram + RAW_LOAD_OFFSET;
		return 0;
	}
	uint64_t text_offset = le64(head + 8), image_size = le64(head + 16);
	if (image_size == 0)	/* kernels before 3.17: text_offset unreliable */
		text_offset = RAW_LOAD_OFFSET;
	if (text_offset >= MIB2 * 1024 || (text_offset & 0xfff))
		return qerr_set(e, -ENOEXEC, "arm64 Image header: text_offset 0x%llx is not a "
				"page-aligned offset", (unsigned long long)text_offset);
	if (image_size && image_size < size)
		return qerr_set(e, -ENOEXEC, "arm64 Image header: image_size %llu is smaller than "
				"the file (%llu bytes)", (unsigned long long)image_size,
				(unsigned long long)size);
	if (have_addr)
		vm_log(vm, QL_QVM_WARN, "load 0x%llx: an arm64 Image loads where its header says "
				"(2 MiB-aligned RAM start + text_offset); the address is ignored",
				(unsigned long long)*addr);
	*addr = ((ram + MIB2 - 1) & ~(MIB2 - 1)) + text_offset;
	if (image_size > size)
		*span = image_size;
	vm->boot.proto = QVM_BOOT_LINUX;
	return 1;
}

/* Every ELF64 image boots the same way (x0 = the FDT); ELF32 ones not at all. */
int arch_elf_image(struct qvm_vm *vm, const uint8_t *buf, size_t size, struct qerr *e)
{
	(void)vm;
	if (size > EI_CLASS && buf[EI_CLASS] == ELFCLASS32)
		return qerr_set(e, -ENOEXEC, "32-bit ELF images do not boot on arm64");
	return 0;
}

int arch_boot_setup(struct qvm_vm *vm, struct qvm_boot *boot, struct qerr *e)
{
	(void)vm;
	(void)boot;
	(void)e;
	return 0;	/* the FDT needs every vCPU's MPIDR: arch_vcpus_created */
}

int arch_vcpu_boot(struct guest_cpu *cpu, const struct qvm_boot *boot, struct qerr *e)
{
	int r = 0;

	if (cpu->index > 0)
		return 0;	/* powered off: PSCI CPU_ON gives it its entry */
	r = arm64_set_core_reg(cpu, offsetof(struct kvm_regs, regs.pc), boot->entry, "pc", e);
	if (!r)
		r = arm64_set_core_reg(cpu, offsetof(struct kvm_regs, regs.pstate),
				PSTATE_EL1H_MASKED, "pstate", e);
	/* x0 is the FDT's address once it is placed (arch_vcpus_created) */
	for (int i = 0; i < 4 && !r; i++)
		r = arm64_set_core_reg(cpu, offsetof(struct kvm_regs, regs.regs[i]), 0, "x0-x3", e);
	return r;
}
