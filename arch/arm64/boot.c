/*
 * aarch64 entry state (the Linux arm64 boot protocol's, for every image):
 * pc = the entry, EL1h with D, A, I and F masked, the MMU off (KVM's reset
 * state), x0 = the FDT's address (none yet: 0), x1-x3 = 0.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/ioctl.h>

#include "vm.h"

#define PSTATE_EL1H_MASKED	0x3c5

static int set_reg(struct guest_cpu *cpu, size_t off, uint64_t v, const char *name, struct qerr *e)
{
	struct kvm_one_reg r = { arch_core_reg(off), (uintptr_t)&v };

	if (ioctl(cpu->fd, KVM_SET_ONE_REG, &r) < 0)
		return qerr_set(e, -errno, "KVM_SET_ONE_REG %s: %s", name, strerror(errno));
	return 0;
}

int arch_boot_setup(struct qvm_vm *vm, struct qvm_boot *boot, struct qerr *e)
{
	(void)vm;
	(void)boot;
	(void)e;
	return 0;	/* the FDT comes with VDEV_CTRL_GEN_FDT */
}

int arch_vcpu_boot(struct guest_cpu *cpu, const struct qvm_boot *boot, struct qerr *e)
{
	int r = 0;

	if (cpu->index > 0)
		return 0;	/* powered off: PSCI CPU_ON gives it its entry */
	r = set_reg(cpu, offsetof(struct kvm_regs, regs.pc), boot->entry, "pc", e);
	if (!r)
		r = set_reg(cpu, offsetof(struct kvm_regs, regs.pstate), PSTATE_EL1H_MASKED, "pstate", e);
	for (int i = 0; i < 4 && !r; i++)
		r = set_reg(cpu, offsetof(struct kvm_regs, regs.regs[i]), 0, "x0-x3", e);
	return r;
}
