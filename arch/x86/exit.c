/* The x86 exits core leaves to the architecture: port I/O, HLT, SHUTDOWN. */
#include <linux/kvm.h>

#include <qvm/log.h>

#include "vcpu.h"

static void handle_io(struct guest_cpu *cpu)
{
	struct kvm_run *run = cpu->run;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	bool write = run->io.direction == KVM_EXIT_IO_OUT;

	/* rep ins/outs come as count elements of size bytes */
	for (uint32_t i = 0; i < run->io.count; i++)
		dispatch_access(cpu, REGION_IO, run->io.port, run->io.size, write,
				data + (size_t)i * run->io.size);
}

enum arch_exit arch_handle_exit(struct guest_cpu *cpu)
{
	switch (cpu->run->exit_reason) {
	case KVM_EXIT_IO:
		handle_io(cpu);
		return ARCH_EXIT_CONTINUE;
	case KVM_EXIT_HLT:
		/* Only without an in-kernel LAPIC; the guest halted for good. */
		return ARCH_EXIT_CONTINUE;
	case KVM_EXIT_SHUTDOWN:
		vm_log(cpu->vm, QL_QVM_ERR, "vcpu %u: the guest shut down the CPU (triple fault)",
				cpu->index);
		term_request(cpu->vm, QVM_EXIT_FATAL_RUNNING);
		return ARCH_EXIT_STOP;
	default:
		return ARCH_EXIT_UNKNOWN;
	}
}
