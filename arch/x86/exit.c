/* The x86 exits core leaves to the architecture: port I/O, HLT, SHUTDOWN. */
#include <linux/kvm.h>

#include <qvm/log.h>

#include "pm.h"
#include "vcpu.h"
#include "vm.h"

#define I8042_CMD	0x64	/* the keyboard controller's command port */
#define I8042_RESET	0xfe	/* pulse the reset line */
#define RESET_CONTROL	0xcf9	/* the chipset's reset control register */
#define RC_RESET	0x04	/* ... its "reset the CPU" bit */

/*
 * The two ways a PC guest without ACPI resets the machine (Linux tries the
 * keyboard controller, then 0xcf9): where no vdev owns the port, a request
 * that ends qvm with exit 0, as a reset does on arm64 (README, "Exit codes").
 */
static bool reset_request(struct guest_cpu *cpu, uint16_t port, uint32_t size, const uint8_t *data)
{
	if (size != 1 || !((port == I8042_CMD && data[0] == I8042_RESET) ||
			   (port == RESET_CONTROL && (data[0] & RC_RESET))))
		return false;
	if (vm_range_owner(cpu->vm, REGION_IO, port, 1))
		return false;
	vm_log(cpu->vm, QL_QVM_INFO, "vcpu %u: the guest asked for a system reset (0x%02x to "
			"io:0x%x): exiting", cpu->index, data[0], port);
	term_request(cpu->vm, QVM_EXIT_NORMAL);
	return true;
}

/* false when the access ended the guest (a reset) */
static bool handle_io(struct guest_cpu *cpu)
{
	struct kvm_run *run = cpu->run;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	bool write = run->io.direction == KVM_EXIT_IO_OUT;

	if (write && reset_request(cpu, run->io.port, run->io.size, data))
		return false;
	/* rep ins/outs come as count elements of size bytes */
	for (uint32_t i = 0; i < run->io.count; i++) {
		uint8_t *d = data + (size_t)i * run->io.size;
		if ((unsigned)(run->io.port - PM_BASE) < PM_LEN) {
			if (!pm_io(cpu, run->io.port, run->io.size, write, d))
				return false;
			continue;
		}
		dispatch_access(cpu, REGION_IO, run->io.port, run->io.size, write, d);
	}
	return true;
}

enum arch_exit arch_handle_exit(struct guest_cpu *cpu)
{
	switch (cpu->run->exit_reason) {
	case KVM_EXIT_IO:
		return handle_io(cpu) ? ARCH_EXIT_CONTINUE : ARCH_EXIT_STOP;
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
