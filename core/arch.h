/*
 * What core/ needs from an architecture. Each arch/NAME directory has an
 * arch-types.h (picked by the include path) defining struct arch_vm,
 * struct arch_vcpu, ARCH_NAME, ARCH_ELF_MACHINE and ARCH_IO_QST (the
 * qst_type of a trapped port access, QST_NO_TYPE where there are no
 * ports), and implements these functions; nothing in core/ tests the
 * architecture. arch/arm64/README.md says what each is on arm64.
 */
#ifndef QVM_ARCH_H
#define QVM_ARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arch-types.h"
#include "qerr.h"

struct qvm_vm;
struct guest_cpu;
struct qvm_boot;

/*
 * In lifecycle order. Before any of these the configuration has been read
 * and checked (core needs no KVM for that): memory, vCPU count, vdevs with
 * their options, loads carried out into struct qvm_boot.
 */

/*
 * The configuration is complete (loads done, vdevs assigned; no KVM yet):
 * what the architecture itself refuses in it (arm64: the GIC's ranges), as
 * a configuration error.
 */
int arch_config_check(struct qvm_vm *vm, struct qerr *e);
/* The KVM_CREATE_VM machine type for this VM's memory (arm64: its IPA size); -errno. */
int arch_vm_type(struct qvm_vm *vm, struct qerr *e);
/*
 * An untyped `load` of a file that is not ELF: size bytes, head its first
 * headlen (up to QVM_IMAGE_HEAD). ram is the start of the lowest ram;
 * *addr comes in as the option's address (have_addr) and goes out as where
 * the file goes, from its byte *skip on (0 unless the architecture says),
 * *copy bytes of it (the rest of the file unless it says); *span is what
 * it covers from there (a kernel's bss too). Returns 1 for a kernel image
 * of the architecture's boot protocol (boot->proto set), 0 for plain
 * bytes, -errno (with e) for a malformed image.
 */
#define QVM_IMAGE_HEAD	8192	/* a multiboot header is within the first 8 KiB */
int arch_raw_image(struct qvm_vm *vm, const uint8_t *head, size_t headlen, uint64_t size,
		uint64_t ram, bool have_addr, uint64_t *addr, uint64_t *skip, uint64_t *copy,
		uint64_t *span, struct qerr *e);
/*
 * An untyped `load` of an ELF image (the whole file, size bytes at buf),
 * before it is loaded: which boot protocol it takes (boot->proto; x86: a
 * 32-bit one is a multiboot kernel, a 64-bit one with a "Linux" note a
 * vmlinux for the Linux boot protocol). 0, or -errno with e for one the
 * architecture does not boot.
 */
int arch_elf_image(struct qvm_vm *vm, const uint8_t *buf, size_t size, struct qerr *e);
/*
 * After KVM_CREATE_VM and the ram/rom slots: the boot structures, placed
 * from the final memory layout: x86 its boot page tables and GDT (a slot of
 * their own); the protocol's tables (zero page, multiboot info, FDT) as
 * blobs in boot, with the registers that point at them.
 */
int arch_boot_setup(struct qvm_vm *vm, struct qvm_boot *boot, struct qerr *e);
/*
 * After the last memory slot, before any vCPU: the in-kernel interrupt
 * controllers (x86: KVM_CREATE_IRQCHIP; arm64: the vGIC device at its
 * configured addresses) and what KVM reports once per VM (CPUID). Slots
 * added once an irqchip exists cost KVM milliseconds each, hence the order.
 */
int arch_vm_init(struct qvm_vm *vm, struct qerr *e);
/* After KVM_CREATE_VCPU: the vCPU's features (x86 CPUID; arm64 KVM_ARM_VCPU_INIT). */
int arch_vcpu_init(struct guest_cpu *cpu, struct qerr *e);
/*
 * Once every vCPU exists (arm64: KVM_DEV_ARM_VGIC_CTRL_INIT); also where
 * `set counter-offset` is applied (vm->counter_offset: guest counter =
 * host counter - offset; all ones, the default, leaves KVM's start at 0).
 */
int arch_vcpus_created(struct qvm_vm *vm, struct qerr *e);
/*
 * A vendor `set` variable that only the host's KVM module decides
 * ("posted-interrupts", "virtual-interrupts"): 1 on, 0 off, with e->msg
 * saying where that was read; -ENOTSUP with e->msg saying why not.
 */
int arch_kvm_feature(const char *var, struct qerr *e);
/*
 * The vCPU's entry state for boot: registers, and whether it runs at once
 * (x86 bare-metal images start on every vCPU; arm64 secondaries wait for
 * PSCI CPU_ON).
 */
int arch_vcpu_boot(struct guest_cpu *cpu, const struct qvm_boot *boot, struct qerr *e);

/* What arch_handle_exit made of an exit. */
enum arch_exit {
	ARCH_EXIT_CONTINUE,	/* handled: run the vCPU again */
	ARCH_EXIT_STOP,		/* handled, the vCPU must stop (an end was requested) */
	ARCH_EXIT_UNKNOWN,	/* not an exit of this architecture: core reports it */
};
/*
 * On the vCPU's thread: an exit core does not handle itself (core knows
 * MMIO, system events, internal errors and failed entries). x86: port I/O,
 * HLT, SHUTDOWN (triple fault).
 */
enum arch_exit arch_handle_exit(struct guest_cpu *cpu);

/* On the vCPU's thread: keep its registers in cpu->arch for a core dump. */
void arch_vcpu_save_regs(struct guest_cpu *cpu);
/* The NT_PRSTATUS descriptor of a saved vCPU into buf; its size, 0 if too small. */
size_t arch_core_prstatus(const struct guest_cpu *cpu, void *buf, size_t len);
/*
 * On the vCPU's thread, in an exit: len bytes at byte off of its registers
 * as the SDK's CPU_REGISTERS (qvm/cpuregs.h), read into buf or (write)
 * taken from it. The first call of an exit takes a copy from KVM
 * (cpu->regs = VCPU_REGS_COPIED); writes change the copy
 * (VCPU_REGS_WRITTEN), and arch_cpu_regs_commit gives KVM the fields
 * written once the trapped access has completed. -EINVAL for a range
 * outside the structure or a write that changes a field that cannot be
 * (the x86 segment selectors); -errno of KVM.
 */
int arch_cpu_regs(struct guest_cpu *cpu, uint64_t off, void *buf, size_t len, bool write);
/* The fields written into the copy, to KVM (after KVM completed the access). 0 or -errno. */
int arch_cpu_regs_commit(struct guest_cpu *cpu);
/*
 * On the vCPU's thread: the guest-physical address of virtual address va
 * under the vCPU's current translation, and in *span how many bytes from
 * va on translate alike (to the end of its page at least). -EFAULT if the
 * guest would fault there (not mapped, or a write to a read-only page
 * unless any_perm); -errno.
 */
int arch_translate(struct guest_cpu *cpu, uint64_t va, bool write, bool any_perm,
		uint64_t *gpa, uint64_t *span);
/* Is the vCPU halted with interrupts off (it will never run again)? */
bool arch_vcpu_idle(struct guest_cpu *cpu);
/*
 * On the vCPU's thread, after a kick: is it waiting for an interrupt
 * (HLT, WFI) or powered off? ARCH_POWER_* bits, the values of the SDK's
 * GPSC_WAIT and GPSC_OFF.
 */
#define ARCH_POWER_WAIT	0x1u
#define ARCH_POWER_OFF	0x2u
unsigned arch_vcpu_power(struct guest_cpu *cpu);
/* Make the guest see a bus error on its current access. */
void arch_inject_bus_error(struct guest_cpu *cpu);
/* Make the guest see an undefined-instruction fault at its current instruction. */
void arch_inject_undefined(struct guest_cpu *cpu);
/*
 * After KVM_INTERNAL_ERROR_EMULATION: step over the instruction KVM could
 * not run (`unsupported instruction ignore`), its registers as they were.
 * 0, or -errno with *why saying why not (then the guest gets the fault).
 */
int arch_skip_instruction(struct guest_cpu *cpu, const char **why);
void arch_vm_destroy(struct qvm_vm *vm);

/* The interrupt controllers the VM has built in (in the kernel), by `intr` name. */
struct arch_pic {
	const char *name;	/* "ioapic", "8259", "gic" */
	unsigned first, lines;	/* a vdev's `intr` may use lines first to lines - 1 */
};
const struct arch_pic *arch_pics(unsigned *n);
/*
 * The FDT `interrupts` cells of line of built-in controller pic into
 * cells (room for max): how many, or -errno (no FDT on this architecture).
 */
int arch_fdt_interrupt(struct qvm_vm *vm, unsigned pic, unsigned line, uint32_t *cells, size_t max);
/*
 * The ACPI interrupt number (GSI) of line of built-in controller pic, or
 * -errno (no ACPI on this architecture).
 */
int arch_acpi_gsi(struct qvm_vm *vm, unsigned pic, unsigned line);
/* Drive line of built-in controller pic (index into arch_pics) to level 0/1. */
int arch_irq_line(struct qvm_vm *vm, unsigned pic, unsigned line, int level);

/*
 * The power button was pressed (SIGTERM, SIGINT), after the vdevs were
 * told: x86 raises the ACPI power button event; on the signal thread.
 */
void arch_power_button(struct qvm_vm *vm);

/* The instruction guest_instr_register's type git names here ("CPUID", "SMC"), or NULL. */
const char *arch_instr_name(unsigned git);

/*
 * qvm --check-host, the architecture's part (core/hostcheck.h): the CPU's
 * virtualization features, whether the host is a VM, the capabilities the
 * architecture's code uses (kvm_fd: /dev/kvm).
 */
struct host_report;
void arch_host_check(struct host_report *r, int kvm_fd);

/* What the architecture itself occupies in space at [base, base+len), or NULL. */
const char *arch_range_owner(struct qvm_vm *vm, unsigned space, uint64_t base, uint64_t len);

#endif
