/*
 * A vCPU's registers and address translation for the vdevs'
 * guest_cpu_read/write (QST_CPUREGS, QST_VIRTUAL).
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/ioctl.h>

#include "vm.h"

#define PAGE	4096ull
#define SLOTS	(sizeof(X86_64_CPU_REGISTERS) / 8)

/* The kvm_regs field of each 8-byte slot of X86_64_CPU_REGISTERS; -1: a selector. */
static const int slot_field[SLOTS] = {
	offsetof(struct kvm_regs, rdi), offsetof(struct kvm_regs, rsi),
	offsetof(struct kvm_regs, rdx), offsetof(struct kvm_regs, r10),
	offsetof(struct kvm_regs, r8), offsetof(struct kvm_regs, r9),
	offsetof(struct kvm_regs, rax), offsetof(struct kvm_regs, rbx),
	offsetof(struct kvm_regs, rbp), offsetof(struct kvm_regs, rcx),
	offsetof(struct kvm_regs, r11), offsetof(struct kvm_regs, r12),
	offsetof(struct kvm_regs, r13), offsetof(struct kvm_regs, r14),
	offsetof(struct kvm_regs, r15), offsetof(struct kvm_regs, rip),
	-1, offsetof(struct kvm_regs, rflags), offsetof(struct kvm_regs, rsp), -1,
};
_Static_assert(sizeof(X86_64_CPU_REGISTERS) == 160, "QNX's layout");
_Static_assert(offsetof(X86_64_CPU_REGISTERS, cs) == 16 * 8 &&
		offsetof(X86_64_CPU_REGISTERS, ss) == 19 * 8, "the selectors' slots");

static int copy_in(struct guest_cpu *cpu)
{
	struct kvm_regs r;
	struct kvm_sregs s;
	uint64_t *slot = (uint64_t *)&cpu->arch.copy;

	if (ioctl(cpu->fd, KVM_GET_REGS, &r) < 0 || ioctl(cpu->fd, KVM_GET_SREGS, &s) < 0)
		return -errno;
	memset(&cpu->arch.copy, 0, sizeof(cpu->arch.copy));
	for (unsigned i = 0; i < SLOTS; i++)
		if (slot_field[i] >= 0)
			memcpy(&slot[i], (uint8_t *)&r + slot_field[i], 8);
	cpu->arch.copy.cs = s.cs.selector;
	cpu->arch.copy.ss = s.ss.selector;
	cpu->arch.written = 0;
	cpu->regs = VCPU_REGS_COPIED;
	return 0;
}

int arch_cpu_regs(struct guest_cpu *cpu, uint64_t off, void *buf, size_t len, bool write)
{
	X86_64_CPU_REGISTERS *q = &cpu->arch.copy;
	int r;

	if (off > sizeof(*q) || len > sizeof(*q) - off)
		return -EINVAL;
	if (cpu->regs == VCPU_REGS_KVM && (r = copy_in(cpu)))
		return r;
	if (!write) {
		memcpy(buf, (uint8_t *)q + off, len);
		return 0;
	}
	if (!len)
		return 0;
	X86_64_CPU_REGISTERS n = *q;
	memcpy((uint8_t *)&n + off, buf, len);
	/* a selector alone is not a segment: KVM_SET_SREGS needs its descriptor */
	if (n.cs != q->cs || n.ss != q->ss || n.rsvd1 != q->rsvd1 || n.rsvd2 != q->rsvd2)
		return -EINVAL;
	*q = n;
	for (size_t i = off / 8; i <= (off + len - 1) / 8; i++)
		cpu->arch.written |= 1u << i;
	cpu->regs = VCPU_REGS_WRITTEN;
	return 0;
}

int arch_cpu_regs_commit(struct guest_cpu *cpu)
{
	struct kvm_regs r;
	const uint64_t *slot = (const uint64_t *)&cpu->arch.copy;

	/* KVM's registers now have the access's result and the next rip; the writes go over them */
	if (ioctl(cpu->fd, KVM_GET_REGS, &r) < 0)
		return -errno;
	for (unsigned i = 0; i < SLOTS; i++)
		if ((cpu->arch.written >> i & 1) && slot_field[i] >= 0)
			memcpy((uint8_t *)&r + slot_field[i], &slot[i], 8);
	cpu->arch.written = 0;
	return ioctl(cpu->fd, KVM_SET_REGS, &r) < 0 ? -errno : 0;
}

int arch_translate(struct guest_cpu *cpu, uint64_t va, bool write, bool any_perm,
		uint64_t *gpa, uint64_t *span)
{
	struct kvm_translation t = { .linear_address = va };

	if (ioctl(cpu->fd, KVM_TRANSLATE, &t) < 0)
		return -errno;
	if (!t.valid || (write && !t.writeable && !any_perm))
		return -EFAULT;
	*gpa = t.physical_address;
	*span = PAGE - (va & (PAGE - 1));	/* a large page is translated again per 4 KiB */
	return 0;
}
