/*
 * A vCPU's registers through KVM's ONE_REG interface: the helpers the
 * arm64 files share, and the vdevs' guest_cpu_read/write of QST_CPUREGS
 * and QST_VIRTUAL.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/ioctl.h>

#include <qvm/cpuregs.h>

#include "arm64.h"
#include "pagewalk.h"
#include "vm.h"

#define PSTATE_MODE	0xfull
#define PSTATE_EL1H	0x5ull		/* EL1 on SP_EL1 */
#define TTBR0_EL1	ARM64_SYS_REG(3, 0, 2, 0, 0)
#define TTBR1_EL1	ARM64_SYS_REG(3, 0, 2, 0, 1)
#define TCR_EL1		ARM64_SYS_REG(3, 0, 2, 0, 2)

int arm64_get_reg(struct guest_cpu *cpu, uint64_t id, uint64_t *v)
{
	struct kvm_one_reg r = { id, (uintptr_t)v };

	return ioctl(cpu->fd, KVM_GET_ONE_REG, &r) < 0 ? -errno : 0;
}

int arm64_put_reg(struct guest_cpu *cpu, uint64_t id, uint64_t v)
{
	struct kvm_one_reg r = { id, (uintptr_t)&v };

	return ioctl(cpu->fd, KVM_SET_ONE_REG, &r) < 0 ? -errno : 0;
}

/* The KVM register of slot i of AARCH64_CPU_REGISTERS (31: the stack pointer in use). */
static uint64_t slot_reg(unsigned i, uint64_t pstate)
{
	if (i < 31)
		return arch_core_reg(offsetof(struct kvm_regs, regs.regs) + 8 * i);
	if (i == 31)
		return arch_core_reg((pstate & PSTATE_MODE) == PSTATE_EL1H ?
				offsetof(struct kvm_regs, sp_el1) : offsetof(struct kvm_regs, regs.sp));
	if (i == 32)
		return arch_core_reg(offsetof(struct kvm_regs, regs.pc));
	return arch_core_reg(offsetof(struct kvm_regs, regs.pstate));
}

#define SLOT_PSTATE	33
_Static_assert(sizeof(AARCH64_CPU_REGISTERS) == 34 * 8, "QNX's layout");

/* Slot i of the exit's copy, read from KVM on first use (a ONE_REG call each). */
static int have(struct guest_cpu *cpu, unsigned i)
{
	uint64_t *slot = (uint64_t *)&cpu->arch.copy;
	int r;

	if (cpu->regs == VCPU_REGS_KVM) {
		cpu->arch.have = cpu->arch.written = 0;
		cpu->regs = VCPU_REGS_COPIED;
	}
	/* pstate first: it says which stack pointer slot 31 is */
	if (!(cpu->arch.have >> SLOT_PSTATE & 1)) {
		r = arm64_get_reg(cpu, slot_reg(SLOT_PSTATE, 0), &slot[SLOT_PSTATE]);
		if (r)
			return r;
		cpu->arch.have |= 1ull << SLOT_PSTATE;
	}
	if (cpu->arch.have >> i & 1)
		return 0;
	r = arm64_get_reg(cpu, slot_reg(i, slot[SLOT_PSTATE]), &slot[i]);
	if (!r)
		cpu->arch.have |= 1ull << i;
	return r;
}

int arch_cpu_regs(struct guest_cpu *cpu, uint64_t off, void *buf, size_t len, bool write)
{
	uint8_t *copy = (uint8_t *)&cpu->arch.copy;
	int r;

	if (off > sizeof(cpu->arch.copy) || len > sizeof(cpu->arch.copy) - off)
		return -EINVAL;
	if (!len)
		return 0;
	for (unsigned i = (unsigned)(off / 8); i <= (off + len - 1) / 8; i++)
		if ((r = have(cpu, i)))
			return r;
	if (!write) {
		memcpy(buf, copy + off, len);
		return 0;
	}
	/* only once every slot is in: a failed read must leave nothing marked written */
	for (unsigned i = (unsigned)(off / 8); i <= (off + len - 1) / 8; i++)
		cpu->arch.written |= 1ull << i;
	memcpy(copy + off, buf, len);
	cpu->regs = VCPU_REGS_WRITTEN;
	return 0;
}

int arch_cpu_regs_commit(struct guest_cpu *cpu)
{
	const uint64_t *slot = (const uint64_t *)&cpu->arch.copy;
	int r = 0;

	/* KVM has completed the access (and stepped pc): the writes go over that */
	for (unsigned i = 0; i < 34 && !r; i++)
		if (cpu->arch.written >> i & 1)
			r = arm64_put_reg(cpu, slot_reg(i, slot[SLOT_PSTATE]), slot[i]);
	cpu->arch.written = 0;
	return r;
}

static int read_desc(void *ctx, uint64_t pa, uint64_t *desc)
{
	struct guest_cpu *cpu = ctx;
	const uint8_t *p = vm_gpa_to_hva(cpu->vm, pa, 8);

	if (!p || (pa & 7))
		return -EFAULT;
	memcpy(desc, p, 8);	/* little-endian guest on a little-endian host */
	return 0;
}

int arch_translate(struct guest_cpu *cpu, uint64_t va, bool write, bool any_perm,
		uint64_t *gpa, uint64_t *span)
{
	struct arm64_mmu m;
	int r;

	if ((r = arm64_get_reg(cpu, SCTLR_EL1, &m.sctlr)) ||
			(r = arm64_get_reg(cpu, TCR_EL1, &m.tcr)) ||
			(r = arm64_get_reg(cpu, TTBR0_EL1, &m.ttbr0)) ||
			(r = arm64_get_reg(cpu, TTBR1_EL1, &m.ttbr1)))
		return r;
	return arm64_walk(&m, va, write, any_perm, read_desc, cpu, gpa, span);
}
