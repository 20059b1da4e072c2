/* x86_64 VM and vCPU set-up around KVM: irqchip, CPUID, halt detection. */
#include <errno.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "longmode.h"
#include "hostcheck.h"
#include "vm.h"
#include "insn_len.h"
#include "x86.h"

#define CPUID_MAX_ENTRIES	256
#define RFLAGS_IF		0x200ull

/* x86 has one machine type. */
int arch_vm_type(struct qvm_vm *vm, struct qerr *e)
{
	(void)vm;
	(void)e;
	return 0;
}

int arch_vm_init(struct qvm_vm *vm, struct qerr *e)
{
	struct kvm_cpuid2 *c;

	/*
	 * `set exit-on-halt off` (the vendor's): a guest's HLT stays in the
	 * guest, the physical CPU halting for it, as KVM allows before any
	 * vCPU exists. qvm then cannot see that the vCPU halted.
	 */
	if (!vm->halt_exits) {
		struct kvm_enable_cap cap = { .cap = KVM_CAP_X86_DISABLE_EXITS,
			.args = { KVM_X86_DISABLE_EXITS_HLT } };
		int have = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_X86_DISABLE_EXITS);
		if (have < 0 || !(have & KVM_X86_DISABLE_EXITS_HLT) ||
				ioctl(vm->vm_fd, KVM_ENABLE_CAP, &cap) < 0)
			vm_log(vm, QL_QVM_WARN, "set exit-on-halt off: this KVM cannot leave HLT in "
					"the guest: a halting vCPU exits to the host as with on");
		else if (vm->quit_on_halt)
			vm_log(vm, QL_QVM_WARN, "set exit-on-halt off: quit-on-halt cannot see halted "
					"vCPUs, whose HLT stays in the guest");
	}
	/* The in-kernel LAPIC, IOAPIC and 8259s: interrupts never need a userspace round trip. */
	if (ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0)
		return qerr_set(e, -errno, "KVM_CREATE_IRQCHIP: %s", strerror(errno));
	/* `vdev timer8254`: the 8254 and a speaker port (0x61) in the kernel too */
	struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };
	if (vm->arch.pit && ioctl(vm->vm_fd, KVM_CREATE_PIT2, &pit) < 0)
		return qerr_set(e, -errno, "KVM_CREATE_PIT2: %s", strerror(errno));

	c = calloc(1, sizeof(*c) + CPUID_MAX_ENTRIES * sizeof(c->entries[0]));
	if (!c)
		return qerr_set(e, -ENOMEM, "out of memory");
	c->nent = CPUID_MAX_ENTRIES;
	if (ioctl(vm->kvm_fd, KVM_GET_SUPPORTED_CPUID, c) < 0) {
		int err = errno;
		free(c);
		return qerr_set(e, -err, "KVM_GET_SUPPORTED_CPUID: %s", strerror(err));
	}
	vm->arch.cpuid = c;
	return 0;
}

/* The supported CPUID, with this vCPU's APIC ID and the hypervisor bit. */
static int set_cpuid(struct guest_cpu *cpu, struct qerr *e)
{
	const struct kvm_cpuid2 *sup = cpu->vm->arch.cpuid;
	size_t size = sizeof(*sup) + sup->nent * sizeof(sup->entries[0]);
	struct kvm_cpuid2 *c = malloc(size);
	int r = 0;

	if (!c)
		return qerr_set(e, -ENOMEM, "out of memory");
	memcpy(c, sup, size);
	for (unsigned i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *en = &c->entries[i];
		if (en->function == 1) {
			en->ebx = (en->ebx & 0x00ffffffu) | (cpu->index << 24);
			en->ecx |= 1u << 31;	/* running under a hypervisor */
		} else if (en->function == 0xb || en->function == 0x1f) {
			en->edx = cpu->index;	/* x2APIC ID */
		}
	}
	if (ioctl(cpu->fd, KVM_SET_CPUID2, c) < 0)
		r = qerr_set(e, -errno, "KVM_SET_CPUID2: %s", strerror(errno));
	free(c);
	return r;
}

int arch_vcpu_init(struct guest_cpu *cpu, struct qerr *e)
{
	return set_cpuid(cpu, e);
}

/* The in-kernel irqchip needs nothing once the vCPUs exist. */
int arch_vcpus_created(struct qvm_vm *vm, struct qerr *e)
{
	(void)e;
	if (vm->counter_offset == ~0ull)
		return 0;	/* KVM starts each vCPU's TSC at 0, the vendor's default */
	/* KVM adds its offset to the host's TSC: the vendor's is subtracted */
	uint64_t off = 0 - vm->counter_offset;
	struct kvm_device_attr a = { .group = KVM_VCPU_TSC_CTRL, .attr = KVM_VCPU_TSC_OFFSET,
		.addr = (uint64_t)(uintptr_t)&off };
	for (unsigned i = 0; i < vm->ncpus; i++)
		if (ioctl(vm->cpus[i].fd, KVM_SET_DEVICE_ATTR, &a) < 0) {
			vm_log(vm, QL_QVM_WARN, "set counter-offset: this KVM cannot offset the "
					"guest's TSC (KVM_VCPU_TSC_OFFSET: %s): the guest's starts at 0",
					strerror(errno));
			break;
		}
	return 0;
}

/* Both are the APIC virtualization of the CPU (Intel APICv, AMD AVIC), a kvm module parameter. */
int arch_kvm_feature(const char *var, struct qerr *e)
{
	static const char *const params[] = { "kvm_intel/parameters/enable_apicv",
			"kvm_amd/parameters/avic" };

	if (strcmp(var, "posted-interrupts") && strcmp(var, "virtual-interrupts"))
		return qerr_set(e, -ENOTSUP, "not a KVM feature");
	for (size_t i = 0; i < sizeof(params) / sizeof(params[0]); i++) {
		char path[80], v[8] = "";
		snprintf(path, sizeof(path), "/sys/module/%s", params[i]);
		FILE *f = fopen(path, "r");
		if (!f)
			continue;
		bool ok = fgets(v, sizeof(v), f) != NULL;
		fclose(f);
		if (!ok)
			continue;
		bool on = v[0] == 'Y' || v[0] == 'y' || v[0] == '1';
		const char *mod = params[i];
		qerr_set(e, 0, "%.*s.%s=%c", (int)(strchr(mod, '/') - mod), mod,
				strrchr(mod, '/') + 1, on ? 'Y' : 'N');
		return on;
	}
	return qerr_set(e, -ENOTSUP, "the host's KVM module reports no APIC virtualization "
			"setting (neither kvm_intel.enable_apicv nor kvm_amd.avic)");
}

unsigned arch_vcpu_power(struct guest_cpu *cpu)
{
	struct kvm_mp_state mp;

	if (ioctl(cpu->fd, KVM_GET_MP_STATE, &mp) < 0)
		return 0;
	switch (mp.mp_state) {
	case KVM_MP_STATE_HALTED:
		return ARCH_POWER_WAIT;
	case KVM_MP_STATE_UNINITIALIZED:	/* an AP before its INIT and SIPI */
	case KVM_MP_STATE_INIT_RECEIVED:
	case KVM_MP_STATE_SIPI_RECEIVED:
		return ARCH_POWER_OFF;
	default:
		return 0;
	}
}

bool arch_vcpu_idle(struct guest_cpu *cpu)
{
	struct kvm_mp_state mp;
	struct kvm_regs r;

	if (ioctl(cpu->fd, KVM_GET_MP_STATE, &mp) < 0 || mp.mp_state != KVM_MP_STATE_HALTED)
		return false;
	if (ioctl(cpu->fd, KVM_GET_REGS, &r) < 0)
		return false;
	return !(r.rflags & RFLAGS_IF);
}

static void inject(struct guest_cpu *cpu, uint8_t vector, bool has_error_code)
{
	struct kvm_vcpu_events ev;

	if (ioctl(cpu->fd, KVM_GET_VCPU_EVENTS, &ev) < 0)
		return;
	ev.exception.injected = 1;
	ev.exception.nr = vector;
	ev.exception.has_error_code = has_error_code;
	ev.exception.error_code = 0;
	ev.flags = 0;
	ioctl(cpu->fd, KVM_SET_VCPU_EVENTS, &ev);
}

const char *arch_instr_name(unsigned git)
{
	return git == 0 ? "CPUID" : NULL;	/* GIT_X86_CPUID */
}

/* x86 has no bus error: a #GP(0) is what the guest sees for a refused access. */
void arch_inject_bus_error(struct guest_cpu *cpu)
{
	inject(cpu, 13, true);
}

void arch_inject_undefined(struct guest_cpu *cpu)
{
	inject(cpu, 6, false);
}

/* The instruction's length from the bytes KVM fetched (arch/x86/insn_len.c). */
int arch_skip_instruction(struct guest_cpu *cpu, const char **why)
{
	const struct kvm_run *run = cpu->run;
	struct kvm_sregs s;
	struct kvm_regs r;

	if (!(run->emulation_failure.flags & KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES) ||
			run->emulation_failure.insn_size == 0) {
		*why = "KVM gave no instruction bytes";
		return -ENODATA;
	}
	if (ioctl(cpu->fd, KVM_GET_SREGS, &s) < 0 || ioctl(cpu->fd, KVM_GET_REGS, &r) < 0) {
		*why = "its registers cannot be read";
		return -errno;
	}
	bool long_mode = (s.efer & (1u << 10)) && s.cs.l;	/* EFER.LMA, a 64-bit CS */
	size_t n = run->emulation_failure.insn_size;
	int len = x86_insn_len(run->emulation_failure.insn_bytes,
			n < sizeof(run->emulation_failure.insn_bytes) ? n :
			sizeof(run->emulation_failure.insn_bytes), long_mode, s.cs.db || long_mode);
	if (len < 0) {
		*why = len == -ENOTSUP ? "16-bit code is not decoded" : "its bytes do not decode";
		return len;
	}
	r.rip += (uint64_t)len;
	if (!long_mode)
		r.rip &= 0xffffffffu;
	if (ioctl(cpu->fd, KVM_SET_REGS, &r) < 0) {
		*why = "its registers cannot be written";
		return -errno;
	}
	return 0;
}

/*
 * KVM's default routing sends GSIs 0-15 to both the 8259s and the IOAPIC,
 * 16-23 to the IOAPIC only: either name reaches the guest through the GSI.
 */
const struct arch_pic *arch_pics(unsigned *n)
{
	static const struct arch_pic pics[] = { { "ioapic", 0, 24 }, { "8259", 0, 16 } };
	*n = sizeof(pics) / sizeof(pics[0]);
	return pics;
}

int arch_irq_line(struct qvm_vm *vm, unsigned pic, unsigned line, int level)
{
	struct kvm_irq_level irq = { .irq = line, .level = (uint32_t)level };

	(void)pic;
	if (ioctl(vm->vm_fd, KVM_IRQ_LINE, &irq) < 0)
		return -errno;
	return 0;
}

/*
 * The in-kernel devices' ranges are checked as vdevs are placed; here what
 * a multiboot kernel asks of its modules.
 */
int arch_config_check(struct qvm_vm *vm, struct qerr *e)
{
	const struct qvm_boot *b = &vm->boot;

	if (b->proto != QVM_BOOT_MULTIBOOT)
		return 0;
	if (b->mods_dropped)
		return qerr_set(e, -E2BIG, "a multiboot kernel takes at most %d modules (`data load` "
				"and `initrd load`)", QVM_MAX_MODULES);
	for (unsigned i = 0; i < b->nmods; i++)
		if (multiboot_module_misaligned(&vm->arch.mb, b->mods[i].gpa))
			return qerr_set(e, -EINVAL, "%s'%s' at 0x%llx: this multiboot kernel wants its "
					"modules on 4 KiB boundaries", b->mods[i].where ? b->mods[i].where : "",
					b->mods[i].name, (unsigned long long)b->mods[i].gpa);
	return 0;
}

/* The ACPI power button event, for the guest's OS to shut down (pm.c). */
void arch_power_button(struct qvm_vm *vm)
{
	pm_power_button(vm);
}

/* x86 guests are described by ACPI, not an FDT. */
int arch_fdt_interrupt(struct qvm_vm *vm, unsigned pic, unsigned line, uint32_t *cells, size_t max)
{
	(void)vm;
	(void)pic;
	(void)line;
	(void)cells;
	(void)max;
	return -ENOTSUP;
}

void arch_vm_destroy(struct qvm_vm *vm)
{
	free(vm->arch.cpuid);
	vm->arch.cpuid = NULL;
	if (vm->arch.boot_hva)
		munmap(vm->arch.boot_hva, LM_SLOT_SIZE);
	vm->arch.boot_hva = NULL;
	if (vm->arch.acpi_hva)
		munmap(vm->arch.acpi_hva, vm->arch.acpi_len);
	vm->arch.acpi_hva = NULL;
}

/* The ports of the in-kernel 8254 and its speaker port (`vdev timer8254`). */
static const struct { uint64_t port, len; } pit[] = { { 0x40, 4 }, { 0x61, 1 } };

/*
 * The in-kernel irqchip's devices and qvm's own areas and registers: a
 * vdev placed there would never see an access.
 */
const char *arch_range_owner(struct qvm_vm *vm, unsigned space, uint64_t base, uint64_t len)
{
	static const struct { unsigned space; uint64_t base, len; const char *name; } fixed[] = {
		{ REGION_MEM, LAPIC_DEFAULT_BASE, 0x1000, "the in-kernel LAPIC" },
		{ REGION_IO, 0x20, 2, "the in-kernel 8259 PIC" },
		{ REGION_IO, 0xa0, 2, "the in-kernel 8259 PIC" },
		{ REGION_IO, 0x4d0, 2, "the in-kernel 8259 ELCR" },
		{ REGION_IO, PM_BASE, PM_LEN, "the ACPI PM registers" },
	};
	const struct arch_vm *a = &vm->arch;
	uint64_t last = base + len - 1, ioapic = x86_ioapic_base(vm);

	if (space == REGION_MEM && a->boot_hva && base < a->boot_gpa + LM_AREA_SIZE &&
	    a->boot_gpa <= last)
		return "the boot page tables";
	if (space == REGION_MEM && a->acpi_hva && base < a->acpi_gpa + a->acpi_len &&
	    a->acpi_gpa <= last)
		return "the ACPI tables";
	if (space == REGION_MEM && base < ioapic + IOAPIC_LEN && ioapic <= last)
		return "the in-kernel IOAPIC";
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		if (fixed[i].space == space && base < fixed[i].base + fixed[i].len &&
		    fixed[i].base <= last)
			return fixed[i].name;
	for (size_t i = 0; a->pit && space == REGION_IO && i < sizeof(pit) / sizeof(pit[0]); i++)
		if (base < pit[i].port + pit[i].len && pit[i].port <= last)
			return "the in-kernel 8254 PIT";
	return NULL;
}

uint64_t x86_ioapic_base(const struct qvm_vm *vm)
{
	(void)vm;
	return IOAPIC_DEFAULT_BASE;
}

/* Y or 1 in a module parameter file. */
static int param_on(const char *path)
{
	FILE *f = fopen(path, "r");
	int c = f ? fgetc(f) : EOF;

	if (f)
		fclose(f);
	return c == EOF ? -1 : c == 'Y' || c == 'y' || c == '1';
}

void arch_host_check(struct host_report *r, int kvm_fd)
{
	int vmx = host_file_has_word("/proc/cpuinfo", "vmx"), svm = host_file_has_word("/proc/cpuinfo", "svm");

	if (vmx > 0 || svm > 0)
		host_line(r, HOST_PASS, "the CPU has %s", vmx > 0 ? "Intel VT-x (vmx)" : "AMD-V (svm)");
	else
		host_line(r, HOST_INFO, "the CPU shows no vmx or svm flag (KVM may run without them, "
				"e.g. kvm_pvm, but slowly)");
	int ept = param_on("/sys/module/kvm_intel/parameters/ept");
	int npt = param_on("/sys/module/kvm_amd/parameters/npt");
	if (ept > 0 || npt > 0)
		host_line(r, HOST_PASS, "nested paging: %s on", ept > 0 ? "EPT" : "NPT");
	else if (ept == 0 || npt == 0)
		host_line(r, HOST_WARN, "nested paging is off: KVM shadows the guest's page tables "
				"(slower)");
	if (host_file_has_word("/proc/cpuinfo", "hypervisor") > 0)
		host_line(r, HOST_INFO, "this host is itself a virtual machine: qvm's guests are "
				"nested");
	host_cap(r, kvm_fd, KVM_CAP_EXT_CPUID, "KVM_CAP_EXT_CPUID", 1, "no CPUID for the guest", 0);
	host_cap(r, kvm_fd, KVM_CAP_PIT2, "KVM_CAP_PIT2", 0, "`vdev timer8254` is refused", 0);
	host_cap(r, kvm_fd, KVM_CAP_SIGNAL_MSI, "KVM_CAP_SIGNAL_MSI", 0,
			"guest_msi_signal() delivers nothing", 0);
}
