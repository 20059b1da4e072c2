/* The aarch64 exits core leaves to the architecture. */
#include <linux/kvm.h>

#include <qvm/log.h>

#include "vcpu.h"

enum arch_exit arch_handle_exit(struct guest_cpu *cpu)
{
	switch (cpu->run->exit_reason) {
	case KVM_EXIT_ARM_NISV:
		/* A data abort KVM cannot decode (no syndrome): a load/store pair, a
		 * writeback or a cache operation on MMIO. */
		vm_log(cpu->vm, QL_QVM_ERR, "vcpu %u: an access at 0x%llx that KVM cannot decode "
				"(no instruction syndrome: use single loads and stores for device registers)",
				cpu->index, (unsigned long long)cpu->run->arm_nisv.fault_ipa);
		term_request(cpu->vm, QVM_EXIT_UNSUPPORTED);
		return ARCH_EXIT_STOP;
	default:
		return ARCH_EXIT_UNKNOWN;
	}
}
