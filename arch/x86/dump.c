/* x86_64 registers in a guest core dump: NT_PRSTATUS as gdb reads it. */
#include <string.h>
#include <sys/ioctl.h>
#include <sys/procfs.h>
#include <sys/user.h>

#include "vm.h"

void arch_vcpu_save_regs(struct guest_cpu *cpu)
{
	cpu->arch.saved = ioctl(cpu->fd, KVM_GET_REGS, &cpu->arch.regs) == 0 &&
		ioctl(cpu->fd, KVM_GET_SREGS, &cpu->arch.sregs) == 0;
}

size_t arch_core_prstatus(const struct guest_cpu *cpu, void *buf, size_t len)
{
	const struct kvm_regs *r = &cpu->arch.regs;
	const struct kvm_sregs *s = &cpu->arch.sregs;
	struct elf_prstatus pr;
	struct user_regs_struct u;

	if (len < sizeof(pr))
		return 0;
	memset(&pr, 0, sizeof(pr));
	memset(&u, 0, sizeof(u));
	pr.pr_pid = (int)cpu->index + 1;	/* gdb's "thread" N is vCPU N-1 */
	if (cpu->arch.saved) {
		u = (struct user_regs_struct){
			.r15 = r->r15, .r14 = r->r14, .r13 = r->r13, .r12 = r->r12,
			.rbp = r->rbp, .rbx = r->rbx, .r11 = r->r11, .r10 = r->r10,
			.r9 = r->r9, .r8 = r->r8, .rax = r->rax, .rcx = r->rcx,
			.rdx = r->rdx, .rsi = r->rsi, .rdi = r->rdi, .orig_rax = ~0ull,
			.rip = r->rip, .cs = s->cs.selector, .eflags = r->rflags,
			.rsp = r->rsp, .ss = s->ss.selector, .fs_base = s->fs.base,
			.gs_base = s->gs.base, .ds = s->ds.selector, .es = s->es.selector,
			.fs = s->fs.selector, .gs = s->gs.selector,
		};
	}
	_Static_assert(sizeof(u) == sizeof(pr.pr_reg), "user_regs_struct is the gregset");
	memcpy(&pr.pr_reg, &u, sizeof(u));
	memcpy(buf, &pr, sizeof(pr));
	return sizeof(pr);
}
