/*
 * kvm-baseline on aarch64: a GICv3 in the kernel where qvm puts it, one vCPU
 * from KVM's preferred target with PSCI 0.2, entered in EL1h at the image's
 * entry with no FDT (x0 = 0: the guest then uses its default console), and
 * the PL011's data and flag registers answered inline.
 */
#include <stddef.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "baseline.h"
#include "bench-abi.h"

#define GICD_GPA	0x08000000ull
#define GICR_GPA	0x080a0000ull
#define PSTATE_EL1H_MASKED 0x3c5

const unsigned baseline_elf_machine = EM_AARCH64;
const char baseline_arch_name[] = "aarch64";
static int gic_fd = -1;

unsigned long baseline_vm_type(int kvm)
{
	(void)kvm;
	return 0;	/* KVM's default 40-bit IPA covers everything */
}

static void gic_attr(uint32_t group, uint64_t attr, void *val, const char *what)
{
	struct kvm_device_attr a = { .group = group, .attr = attr, .addr = (uintptr_t)val };

	if (ioctl(gic_fd, KVM_SET_DEVICE_ATTR, &a) < 0)
		die(what);
}

void baseline_vm_setup(int kvm, int vm)
{
	struct kvm_create_device cd = { .type = KVM_DEV_TYPE_ARM_VGIC_V3 };
	uint64_t dist = GICD_GPA, redist = GICR_GPA;
	uint32_t nirqs = 32 + 256;

	(void)kvm;
	if (ioctl(vm, KVM_CREATE_DEVICE, &cd) < 0)
		die("KVM_CREATE_DEVICE (vGIC v3)");
	gic_fd = (int)cd.fd;
	gic_attr(KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST, &dist, "GICD address");
	gic_attr(KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST, &redist, "GICR address");
	gic_attr(KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0, &nirqs, "vGIC IRQ count");
}

static void set_reg(int cpu, size_t off, uint64_t v)
{
	struct kvm_one_reg r = {
		KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | (off / sizeof(uint32_t)),
		(uintptr_t)&v,
	};

	if (ioctl(cpu, KVM_SET_ONE_REG, &r) < 0)
		die("KVM_SET_ONE_REG");
}

void baseline_vcpu_setup(int kvm, int vm, int cpu, uint64_t entry)
{
	struct kvm_vcpu_init init;

	(void)kvm;
	if (ioctl(vm, KVM_ARM_PREFERRED_TARGET, &init) < 0)
		die("KVM_ARM_PREFERRED_TARGET");
	init.features[0] |= 1u << KVM_ARM_VCPU_PSCI_0_2;
	if (ioctl(cpu, KVM_ARM_VCPU_INIT, &init) < 0)
		die("KVM_ARM_VCPU_INIT");
	gic_attr(KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_CTRL_INIT, NULL, "vGIC CTRL_INIT");
	set_reg(cpu, offsetof(struct kvm_regs, regs.pc), entry);
	set_reg(cpu, offsetof(struct kvm_regs, regs.pstate), PSTATE_EL1H_MASKED);
	for (int i = 0; i < 4; i++)
		set_reg(cpu, offsetof(struct kvm_regs, regs.regs[i]), 0);
}

bool baseline_console(uint64_t addr, bool is_write, const uint8_t *data, uint64_t *v)
{
	if (addr < BENCH_UART_GPA || addr >= BENCH_UART_GPA + 0x1000)
		return false;
	if (is_write && addr == BENCH_UART_GPA && write(1, data, 1) < 0)
		die("stdout");
	*v = 0;		/* FR: never full; the rest reads as zero */
	return true;
}

bool baseline_exit(struct kvm_run *run)
{
	(void)run;
	return false;	/* no ports; PSCI is in the kernel */
}
