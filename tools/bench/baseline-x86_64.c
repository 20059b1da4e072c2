/*
 * kvm-baseline on x86_64: KVM's irqchip, the long-mode entry state of
 * arch/x86/longmode.c with its boot area where qvm puts it (a writable
 * slot, as qvm's: a read-only one breaks guests under nested paging), the
 * CPUID KVM supports, and the 8250 console and scratch port in port space.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "baseline.h"
#include "bench-abi.h"
#include "longmode.h"

#define BOOT_GPA	0xfebf0000ull	/* where qvm puts it for this guest too */
#define CPUID_MAX	256

const unsigned baseline_elf_machine = EM_X86_64;
const char baseline_arch_name[] = "x86_64";
static uint32_t scratch_port;

unsigned long baseline_vm_type(int kvm)
{
	(void)kvm;
	return 0;
}

void baseline_vm_setup(int kvm, int vm)
{
	(void)kvm;
	if (ioctl(vm, KVM_CREATE_IRQCHIP, 0) < 0)
		die("KVM_CREATE_IRQCHIP");
	uint8_t *boot = mmap(NULL, LM_SLOT_SIZE, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (boot == MAP_FAILED)
		die("mmap");
	lm_build_tables(boot, BOOT_GPA);
	slot(vm, 1, BOOT_GPA, LM_SLOT_SIZE, boot);
	if (ioctl(vm, KVM_SET_TSS_ADDR, (unsigned long)(BOOT_GPA + LM_TSS)) < 0)
		die("KVM_SET_TSS_ADDR");
}

void baseline_vcpu_setup(int kvm, int vm, int cpu, uint64_t entry)
{
	struct kvm_cpuid2 *cpuid;
	struct kvm_sregs sr;
	struct kvm_regs regs;
	struct kvm_fpu fpu;

	(void)vm;
	cpuid = calloc(1, sizeof(*cpuid) + CPUID_MAX * sizeof(cpuid->entries[0]));
	if (!cpuid)
		die("calloc");
	cpuid->nent = CPUID_MAX;
	if (ioctl(kvm, KVM_GET_SUPPORTED_CPUID, cpuid) < 0 || ioctl(cpu, KVM_SET_CPUID2, cpuid) < 0)
		die("CPUID");
	free(cpuid);
	if (ioctl(cpu, KVM_GET_SREGS, &sr) < 0)
		die("KVM_GET_SREGS");
	lm_entry_sregs(&sr, BOOT_GPA);
	lm_entry_regs(&regs, entry, 0, 1);
	lm_entry_fpu(&fpu);
	if (ioctl(cpu, KVM_SET_SREGS, &sr) < 0 || ioctl(cpu, KVM_SET_REGS, &regs) < 0 ||
	    ioctl(cpu, KVM_SET_FPU, &fpu) < 0)
		die("entry state");
}

bool baseline_console(uint64_t addr, bool is_write, const uint8_t *data, uint64_t *v)
{
	(void)addr;
	(void)is_write;
	(void)data;
	(void)v;
	return false;	/* the console is in port space */
}

bool baseline_exit(struct kvm_run *run)
{
	if (run->exit_reason != KVM_EXIT_IO)
		return false;
	uint8_t *d = (uint8_t *)run + run->io.data_offset;

	for (uint32_t i = 0; i < run->io.count; i++, d += run->io.size) {
		uint16_t port = run->io.port;
		if (run->io.direction == KVM_EXIT_IO_OUT) {
			if (port == 0x3f8 && write(1, d, 1) < 0)
				die("stdout");
			else if (port == BENCH_PORT)
				scratch_port = *d;
		} else {
			memset(d, 0xff, run->io.size);
			if (port == 0x3fd)
				*d = 0x60;	/* the 8250's transmitter is always empty */
			else if (port == BENCH_PORT)
				*d = (uint8_t)scratch_port;
		}
	}
	return true;
}
