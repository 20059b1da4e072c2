/*
 * arm64-probe: checks, inside the emulated arm64 machine, the KVM facts the
 * aarch64 port builds on (issue: the aarch64 port), with no qvm code: a VM
 * with 64 KiB of RAM at 0x40000000, one vCPU from KVM_ARM_PREFERRED_TARGET
 * with PSCI 0.2, started at the RAM's start in EL1h. Its guest stores a
 * 32-bit value to an address with no memory (a KVM_EXIT_MMIO with its
 * address, width and data), then calls PSCI SYSTEM_OFF with HVC (a
 * KVM_EXIT_SYSTEM_EVENT of type SHUTDOWN, KVM handling PSCI). Prints one
 * "probe ..." line per fact and "probe ok" at the end; exit 1 on the first
 * one that does not hold.
 *
 * Built static with aarch64-linux-gnu-gcc (tests/nested/arm64-kvm.sh).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#define RAM_GPA		0x40000000ull
#define RAM_SIZE	0x10000ull
#define MMIO_GPA	0x09000000ull	/* nothing there: the store exits */

/* The guest, encoded by hand (as aarch64-linux-gnu-objdump shows them). */
static const uint32_t guest_code[] = {
	0xd2a12001,	/* movz x1, #0x0900, lsl #16	x1 = MMIO_GPA */
	0x52800842,	/* movz w2, #0x42 */
	0xb9000022,	/* str w2, [x1]			the MMIO exit */
	0xd2800100,	/* movz x0, #0x0008 */
	0xf2b08000,	/* movk x0, #0x8400, lsl #16	PSCI 0.2 SYSTEM_OFF, 0x84000008 */
	0xd4000002,	/* hvc #0 */
	0x14000000,	/* b . */
};

static void on_alarm(int sig)
{
	(void)sig;	/* only to break KVM_RUN with EINTR */
}

static int fail(const char *what)
{
	printf("probe FAILED: %s: %s\n", what, strerror(errno));
	return 1;
}

static uint64_t core_reg(uint64_t off)
{
	return KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | (off / sizeof(uint32_t));
}

int main(void)
{
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		return fail("open /dev/kvm");
	printf("probe api %d, ipa %d bits, psci_0_2 %d, nisv_to_user %d\n",
			ioctl(kvm, KVM_GET_API_VERSION, 0),
			ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_ARM_VM_IPA_SIZE),
			ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_ARM_PSCI_0_2),
			ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_ARM_NISV_TO_USER));
	int vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0)
		return fail("KVM_CREATE_VM");
	void *ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ram == MAP_FAILED)
		return fail("mmap");
	memcpy(ram, guest_code, sizeof(guest_code));
	struct kvm_userspace_memory_region mr = { .slot = 0, .guest_phys_addr = RAM_GPA,
		.memory_size = RAM_SIZE, .userspace_addr = (uintptr_t)ram };
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &mr) < 0)
		return fail("KVM_SET_USER_MEMORY_REGION");
	int cpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (cpu < 0)
		return fail("KVM_CREATE_VCPU");
	struct kvm_vcpu_init init;
	if (ioctl(vm, KVM_ARM_PREFERRED_TARGET, &init) < 0)
		return fail("KVM_ARM_PREFERRED_TARGET");
	init.features[0] |= 1u << KVM_ARM_VCPU_PSCI_0_2;
	if (ioctl(cpu, KVM_ARM_VCPU_INIT, &init) < 0)
		return fail("KVM_ARM_VCPU_INIT");
	printf("probe vcpu target %u\n", init.target);
	uint64_t pc = RAM_GPA, pstate = 0x3c5;	/* EL1h, D A I F masked */
	struct kvm_one_reg r = { core_reg(offsetof(struct kvm_regs, regs.pc)), (uintptr_t)&pc };
	if (ioctl(cpu, KVM_SET_ONE_REG, &r) < 0)
		return fail("KVM_SET_ONE_REG pc");
	r = (struct kvm_one_reg){ core_reg(offsetof(struct kvm_regs, regs.pstate)), (uintptr_t)&pstate };
	if (ioctl(cpu, KVM_SET_ONE_REG, &r) < 0)
		return fail("KVM_SET_ONE_REG pstate");
	uint64_t back = 0;
	r = (struct kvm_one_reg){ core_reg(offsetof(struct kvm_regs, regs.pc)), (uintptr_t)&back };
	ioctl(cpu, KVM_GET_ONE_REG, &r);
	printf("probe pc 0x%llx\n", (unsigned long long)back);
	int size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	struct kvm_run *run = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED, cpu, 0);
	if (size < 0 || run == MAP_FAILED)
		return fail("mmap kvm_run");

	bool saw_mmio = false;
	struct sigaction sa = { .sa_handler = on_alarm };
	sigaction(SIGALRM, &sa, NULL);
	alarm(10);	/* the guest takes microseconds: stuck, it is reported with its pc */
	for (int exits = 0; exits < 16; exits++) {
		if (ioctl(cpu, KVM_RUN, 0) < 0) {
			if (errno != EINTR)
				return fail("KVM_RUN");
			uint64_t at = 0, elr = 0, esr = 0;
			r = (struct kvm_one_reg){ core_reg(offsetof(struct kvm_regs, regs.pc)), (uintptr_t)&at };
			ioctl(cpu, KVM_GET_ONE_REG, &r);
			r = (struct kvm_one_reg){ core_reg(offsetof(struct kvm_regs, elr_el1)), (uintptr_t)&elr };
			ioctl(cpu, KVM_GET_ONE_REG, &r);
			r = (struct kvm_one_reg){ ARM64_SYS_REG(3, 0, 5, 2, 0), (uintptr_t)&esr };	/* ESR_EL1 */
			ioctl(cpu, KVM_GET_ONE_REG, &r);
			uint64_t x1 = 0;
			r = (struct kvm_one_reg){ core_reg(offsetof(struct kvm_regs, regs.regs[1])), (uintptr_t)&x1 };
			ioctl(cpu, KVM_GET_ONE_REG, &r);
			printf("probe FAILED: the guest still runs after 10 s, at pc 0x%llx "
					"(last exception from 0x%llx, ESR_EL1 0x%llx, x1 0x%llx)\n",
					(unsigned long long)at, (unsigned long long)elr, (unsigned long long)esr,
					(unsigned long long)x1);
			return 1;
		}
		switch (run->exit_reason) {
		case KVM_EXIT_MMIO: {
			uint32_t v = 0;
			memcpy(&v, run->mmio.data, run->mmio.len < 4 ? run->mmio.len : 4);
			printf("probe mmio %s 0x%llx len %u data 0x%x\n", run->mmio.is_write ? "write" : "read",
					(unsigned long long)run->mmio.phys_addr, run->mmio.len, v);
			if (!run->mmio.is_write || run->mmio.phys_addr != MMIO_GPA || run->mmio.len != 4 ||
					v != 0x42) {
				printf("probe FAILED: not the guest's 4-byte store of 0x42 at 0x%llx\n",
						(unsigned long long)MMIO_GPA);
				return 1;
			}
			saw_mmio = true;
			break;
		}
		case KVM_EXIT_SYSTEM_EVENT:
			printf("probe system event %u (%s)\n", run->system_event.type,
					run->system_event.type == KVM_SYSTEM_EVENT_SHUTDOWN ? "shutdown" : "other");
			if (run->system_event.type != KVM_SYSTEM_EVENT_SHUTDOWN || !saw_mmio) {
				printf("probe FAILED: wanted the MMIO exit, then SYSTEM_OFF's shutdown\n");
				return 1;
			}
			printf("probe ok\n");
			return 0;
		default:
			printf("probe FAILED: unexpected exit %u\n", run->exit_reason);
			return 1;
		}
	}
	printf("probe FAILED: no SYSTEM_OFF after 16 exits\n");
	return 1;
}
