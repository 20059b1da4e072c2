/*
 * aarch64 VM and vCPU set-up: the IPA size the memory map needs, vCPUs from
 * KVM's preferred target with PSCI 0.2 handled in the kernel (secondaries
 * powered off until CPU_ON), and what the guest is told of faults.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/ioctl.h>

#include <qvm/log.h>

#include "arm64.h"
#include "gic.h"
#include "vcpu.h"
#include "hostcheck.h"
#include "vm.h"

/* The highest guest-physical address anything of the VM uses, plus one. */
static uint64_t top_of_map(const struct qvm_vm *vm)
{
	uint64_t top = 0;

	for (unsigned i = 0; i < vm->nmem; i++)
		if (vm->mem[i].gpa + vm->mem[i].len > top)
			top = vm->mem[i].gpa + vm->mem[i].len;
	struct gic_range g[2];
	for (int i = gic_ranges(vm, g); i-- > 0;)
		if (g[i].base + g[i].len > top)
			top = g[i].base + g[i].len;
	for (const struct qvm_vdev *d = vm->vdevs; d; d = d->next) {
		const struct qvm_state_block *b = &d->pub.v_block;
		if (b->qst_type == QST_MEMORY && b->location != QSL_NO_LOCATION &&
				b->location + b->length > top)
			top = b->location + b->length;
	}
	return top;
}

int arch_vm_type(struct qvm_vm *vm, struct qerr *e)
{
	int max = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_ARM_VM_IPA_SIZE);
	uint64_t top = top_of_map(vm);
	unsigned bits = 32;	/* KVM's smallest */

	while (bits < 64 && top && (top - 1) >> bits)
		bits++;
	if (bits > (unsigned)(max > 0 ? max : 40))
		return qerr_set(e, -ERANGE, "the memory map reaches 0x%llx, beyond the %d-bit "
				"guest-physical space KVM offers", (unsigned long long)top, max > 0 ? max : 40);
	if (max <= 0) {		/* no choice: KVM's 40 bits */
		vm->arch.ipa_bits = 40;
		return 0;
	}
	vm->arch.ipa_bits = bits;
	return (int)KVM_VM_TYPE_ARM_IPA_SIZE(bits);
}

int arch_config_check(struct qvm_vm *vm, struct qerr *e)
{
	return gic_check(vm, e);
}

int arch_vm_init(struct qvm_vm *vm, struct qerr *e)
{
	if (!vm->halt_exits)
		vm_log(vm, QL_QVM_WARN, "set exit-on-halt off: KVM on arm64 decides itself whether "
				"WFI traps (the host's kvm-arm.wfi_trap_policy): ignored");
	/* undecodable MMIO accesses come to qvm (arch_handle_exit), not as a KVM_RUN error */
	struct kvm_enable_cap cap = { .cap = KVM_CAP_ARM_NISV_TO_USER };
	if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_ARM_NISV_TO_USER) > 0 &&
			ioctl(vm->vm_fd, KVM_ENABLE_CAP, &cap) < 0)
		return qerr_set(e, -errno, "KVM_ENABLE_CAP NISV_TO_USER: %s", strerror(errno));
	return gic_create(vm, e);
}

int arch_vcpu_init(struct guest_cpu *cpu, struct qerr *e)
{
	struct kvm_vcpu_init *init = &cpu->arch.init;

	if (ioctl(cpu->vm->vm_fd, KVM_ARM_PREFERRED_TARGET, init) < 0)
		return qerr_set(e, -errno, "KVM_ARM_PREFERRED_TARGET: %s", strerror(errno));
	init->features[0] |= 1u << KVM_ARM_VCPU_PSCI_0_2;
	if (cpu->index > 0)	/* secondaries wait for PSCI CPU_ON */
		init->features[0] |= 1u << KVM_ARM_VCPU_POWER_OFF;
	if (ioctl(cpu->fd, KVM_ARM_VCPU_INIT, init) < 0)
		return qerr_set(e, -errno, "KVM_ARM_VCPU_INIT: %s", strerror(errno));
	return 0;
}

/*
 * `set counter-offset`: each vCPU's virtual counter is set to the host's
 * count now minus the offset, which KVM keeps as the counter's offset
 * (KVM_REG_ARM_TIMER_CNT, there on every KVM, unlike the VM-wide
 * KVM_ARM_SET_COUNTER_OFFSET of Linux 6.4).
 */
static void set_counter_offset(struct qvm_vm *vm)
{
	for (unsigned i = 0; i < vm->ncpus; i++) {
		uint64_t now;
		__asm__ volatile("isb; mrs %0, cntvct_el0" : "=r"(now));
		uint64_t cnt = now - vm->counter_offset;
		struct kvm_one_reg reg = { .id = KVM_REG_ARM_TIMER_CNT,
			.addr = (uint64_t)(uintptr_t)&cnt };
		if (ioctl(vm->cpus[i].fd, KVM_SET_ONE_REG, &reg) < 0) {
			vm_log(vm, QL_QVM_WARN, "set counter-offset: this KVM cannot set the guest's "
					"counter (KVM_REG_ARM_TIMER_CNT: %s): it starts at 0", strerror(errno));
			return;
		}
	}
}

int arch_vcpus_created(struct qvm_vm *vm, struct qerr *e)
{
	int r = gic_init(vm, e);

	if (!r && vm->counter_offset != ~0ull)
		set_counter_offset(vm);
	if (!r)
		r = arm64_fdt_setup(vm, e);
	if (!r)
		r = arm64_set_core_reg(&vm->cpus[0], offsetof(struct kvm_regs, regs.regs[0]),
				vm->boot.fdt.gpa, "x0", e);
	return r;
}

#define SCTLR_M		1ull		/* the MMU is on */
#define PSTATE_I	0x80ull		/* IRQs masked */
#define INSN_WFI	0xd503207fu

/*
 * Asked on the vCPU's thread after a kick, so KVM_RUN has returned. WFI is
 * handled in the kernel; a vCPU blocked in it comes back with pc just past
 * the WFI (KVM commits the pc step before returning to us). So: powered
 * off (never started, or CPU_OFF), or stopped right after a WFI with IRQs
 * masked. Only with the MMU off, where pc is the guest-physical address of
 * the instruction qvm can read; a guest with its MMU on is never idle.
 */
/* Back from KVM_RUN with pc just past a WFI, the MMU off (pc is physical); masked if asked. */
static bool after_wfi(struct guest_cpu *cpu, bool masked)
{
	uint64_t pc, pstate, sctlr;

	if (arm64_get_reg(cpu, arch_core_reg(offsetof(struct kvm_regs, regs.pc)), &pc) ||
			arm64_get_reg(cpu, arch_core_reg(offsetof(struct kvm_regs, regs.pstate)), &pstate) ||
			arm64_get_reg(cpu, SCTLR_EL1, &sctlr))
		return false;
	if ((sctlr & SCTLR_M) || (masked && !(pstate & PSTATE_I)) || pc < 4)
		return false;
	const uint8_t *insn = vm_gpa_to_hva(cpu->vm, pc - 4, 4);
	if (!insn)
		return false;
	uint32_t w = (uint32_t)insn[0] | (uint32_t)insn[1] << 8 | (uint32_t)insn[2] << 16 |
		(uint32_t)insn[3] << 24;
	return w == INSN_WFI;
}

static bool stopped(struct guest_cpu *cpu)
{
	struct kvm_mp_state mp;

	return ioctl(cpu->fd, KVM_GET_MP_STATE, &mp) == 0 && mp.mp_state == KVM_MP_STATE_STOPPED;
}

bool arch_vcpu_idle(struct guest_cpu *cpu)
{
	return stopped(cpu) || after_wfi(cpu, true);
}

unsigned arch_vcpu_power(struct guest_cpu *cpu)
{
	return stopped(cpu) ? ARCH_POWER_OFF : after_wfi(cpu, false) ? ARCH_POWER_WAIT : 0;
}

const char *arch_instr_name(unsigned git)
{
	static const char *const names[] = { "SMC", "MSR", "MRS" };	/* GIT_ARM_* */

	return git < 3 ? names[git] : NULL;
}

void arch_inject_bus_error(struct guest_cpu *cpu)
{
	struct kvm_vcpu_events ev;

	memset(&ev, 0, sizeof(ev));
	ev.exception.ext_dabt_pending = 1;	/* a synchronous external abort on this access */
	if (ioctl(cpu->fd, KVM_SET_VCPU_EVENTS, &ev) < 0)
		vm_log(cpu->vm, QL_QVM_WARN, "vcpu %u: cannot inject an external abort: %s",
				cpu->index, strerror(errno));
}

void arch_inject_undefined(struct guest_cpu *cpu)
{
	/* KVM has no call for it: the same abort, which the guest sees as a fault too */
	arch_inject_bus_error(cpu);
}

const struct arch_pic *arch_pics(unsigned *n)
{
	static const struct arch_pic pics[] = { { "gic", 32, GIC_MAX_IRQS } };

	*n = 1;
	return pics;
}

int arch_irq_line(struct qvm_vm *vm, unsigned pic, unsigned line, int level)
{
	(void)pic;
	return gic_irq_line(vm, line, level);
}

int arch_fdt_interrupt(struct qvm_vm *vm, unsigned pic, unsigned line, uint32_t *cells, size_t max)
{
	(void)vm;
	(void)pic;
	return gic_fdt_interrupt(line, cells, max);
}

/* arm64 guests are described by an FDT, not ACPI. */
int arch_acpi_gsi(struct qvm_vm *vm, unsigned pic, unsigned line)
{
	(void)vm;
	(void)pic;
	(void)line;
	return -ENOTSUP;
}

/* The vdevs were told; the machine itself has no button (no ACPI). */
void arch_power_button(struct qvm_vm *vm)
{
	(void)vm;
}

const char *arch_range_owner(struct qvm_vm *vm, unsigned space, uint64_t base, uint64_t len)
{
	return space == REGION_MEM ? gic_owner(vm, base, len) : NULL;
}

void arch_vm_destroy(struct qvm_vm *vm)
{
	gic_destroy(vm);
}

void arch_host_check(struct host_report *r, int kvm_fd)
{
	int ipa = host_cap(r, kvm_fd, KVM_CAP_ARM_VM_IPA_SIZE, "guest physical address bits", 0,
			"40 bits at most (1 TiB of guest address space)", 1);

	(void)ipa;
	host_cap(r, kvm_fd, KVM_CAP_ARM_PSCI_0_2, "KVM_CAP_ARM_PSCI_0_2", 1,
			"secondary vCPUs cannot be started (PSCI CPU_ON)", 0);
	host_cap(r, kvm_fd, KVM_CAP_DEVICE_CTRL, "KVM_CAP_DEVICE_CTRL", 1,
			"no in-kernel GIC can be made", 0);
	host_cap(r, kvm_fd, KVM_CAP_ARM_NISV_TO_USER, "KVM_CAP_ARM_NISV_TO_USER", 0,
			"an MMIO access KVM cannot decode ends qvm instead of reaching the "
			"`unsupported instruction` policy", 0);
	if (host_file_has_word("/proc/cpuinfo", "hypervisor") > 0 ||
			access("/sys/hypervisor/type", F_OK) == 0)
		host_line(r, HOST_INFO, "this host is itself a virtual machine: qvm's guests are "
				"nested");
}

int arch_kvm_feature(const char *var, struct qerr *e)
{
	return qerr_set(e, -ENOTSUP, "'%s' is an x86 setting", var);
}

/* arm64's undecodable accesses come as KVM_EXIT_ARM_NISV (arch/arm64/exit.c), not here. */
int arch_skip_instruction(struct guest_cpu *cpu, const char **why)
{
	(void)cpu;
	*why = "KVM reports no instruction here";
	return -ENOTSUP;
}
