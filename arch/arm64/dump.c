/* aarch64 registers in a guest core dump: NT_PRSTATUS with user_pt_regs, as gdb reads it. */
#include <stddef.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/procfs.h>

#include "arm64.h"
#include "vm.h"

static bool get_reg(struct guest_cpu *cpu, size_t off, uint64_t *v)
{
	return arm64_get_reg(cpu, arch_core_reg(off), v) == 0;
}

void arch_vcpu_save_regs(struct guest_cpu *cpu)
{
	struct arch_vcpu *a = &cpu->arch;
	bool ok = true;

	for (int i = 0; i < 31; i++)
		ok &= get_reg(cpu, offsetof(struct kvm_regs, regs.regs[i]), &a->regs[i]);
	ok &= get_reg(cpu, offsetof(struct kvm_regs, sp_el1), &a->sp);
	ok &= get_reg(cpu, offsetof(struct kvm_regs, regs.pc), &a->pc);
	ok &= get_reg(cpu, offsetof(struct kvm_regs, regs.pstate), &a->pstate);
	a->saved = ok;
}

size_t arch_core_prstatus(const struct guest_cpu *cpu, void *buf, size_t len)
{
	const struct arch_vcpu *a = &cpu->arch;
	struct elf_prstatus pr;
	uint64_t g[34] = { 0 };	/* x0-x30, sp, pc, pstate: the arm64 gregset */

	if (len < sizeof(pr))
		return 0;
	memset(&pr, 0, sizeof(pr));
	pr.pr_pid = (int)cpu->index + 1;	/* gdb's "thread" N is vCPU N-1 */
	if (a->saved) {
		memcpy(g, a->regs, sizeof(a->regs));
		g[31] = a->sp;
		g[32] = a->pc;
		g[33] = a->pstate;
	}
	_Static_assert(sizeof(g) == sizeof(pr.pr_reg), "x0-x30, sp, pc, pstate is the gregset");
	memcpy(&pr.pr_reg, g, sizeof(g));
	memcpy(buf, &pr, sizeof(pr));
	return sizeof(pr);
}
