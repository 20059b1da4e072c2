/* The aarch64 exits core leaves to the architecture. */
#include <linux/kvm.h>
#include <stddef.h>
#include <string.h>
#include <sys/ioctl.h>

#include <qvm/log.h>

#include "arm64.h"
#include "vcpu.h"

/*
 * A data abort KVM cannot decode (no instruction syndrome: a load/store
 * pair, a writeback, a cache operation on MMIO), which KVM hands to us
 * with KVM_CAP_ARM_NISV_TO_USER: the `unsupported instruction` policy.
 * `fail` makes it the external abort the guest would take on such a bus;
 * `ignore` skips it (every arm64 instruction is 4 bytes), its registers as
 * they were.
 */
static enum arch_exit undecodable(struct guest_cpu *cpu)
{
	struct qvm_vm *vm = cpu->vm;
	enum qvm_unsupp_action act = vm->unsupp[UNSUPP_INSTRUCTION];
	static const char *const what[] = {
		[UNSUPP_ABORT] = "abort", [UNSUPP_FAIL] = "external abort delivered",
		[UNSUPP_IGNORE] = "skipped",
	};

	vm_log(vm, act == UNSUPP_ABORT ? QL_QVM_ERR : QL_QVM_WARN, "vcpu %u: an access at 0x%llx "
			"that KVM cannot decode: use single loads and stores for device registers "
			"(unsupported instruction: %s)", cpu->index,
			(unsigned long long)cpu->run->arm_nisv.fault_ipa, what[act]);
	if (act == UNSUPP_ABORT) {
		term_request(vm, QVM_EXIT_UNSUPPORTED);
		return ARCH_EXIT_STOP;
	}
	if (act == UNSUPP_FAIL) {
		arch_inject_bus_error(cpu);
		return ARCH_EXIT_CONTINUE;
	}
	uint64_t pc;
	struct qerr e;
	if (arm64_get_reg(cpu, arch_core_reg(offsetof(struct kvm_regs, regs.pc)), &pc) ||
			arm64_set_core_reg(cpu, offsetof(struct kvm_regs, regs.pc), pc + 4, "pc", &e)) {
		vm_log(vm, QL_QVM_ERR, "vcpu %u: cannot step over the access", cpu->index);
		term_request(vm, QVM_EXIT_UNEXPECTED);
		return ARCH_EXIT_STOP;
	}
	return ARCH_EXIT_CONTINUE;
}

enum arch_exit arch_handle_exit(struct guest_cpu *cpu)
{
	switch (cpu->run->exit_reason) {
	case KVM_EXIT_ARM_NISV:
		return undecodable(cpu);
	default:
		return ARCH_EXIT_UNKNOWN;
	}
}
