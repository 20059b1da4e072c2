/*
 * What core/ needs from an architecture. Each arch/NAME directory has an
 * arch-types.h (picked by the include path) defining struct arch_vm,
 * struct arch_vcpu and ARCH_ELF_MACHINE, and implements these functions.
 */
#ifndef QVM_ARCH_H
#define QVM_ARCH_H

#include <stdbool.h>
#include <stdint.h>

#include "arch-types.h"
#include "qerr.h"

struct qvm_vm;
struct guest_cpu;

/* The KVM_CREATE_VM machine type for this VM's memory (arm64: its IPA size); -errno. */
int arch_vm_type(struct qvm_vm *vm, struct qerr *e);
/* After KVM_CREATE_VM and the memory slots, before any vCPU: irqchip and the like. */
int arch_vm_init(struct qvm_vm *vm, struct qerr *e);
/* Configuration complete, before vCPUs are created: boot structures. */
int arch_vm_finalize(struct qvm_vm *vm, struct qerr *e);
/* After KVM_CREATE_VCPU: CPUID and the entry state. */
int arch_vcpu_init(struct guest_cpu *cpu, struct qerr *e);
/* On the vCPU's thread: keep its registers in cpu->arch for a core dump. */
void arch_vcpu_save_regs(struct guest_cpu *cpu);
/* The NT_PRSTATUS descriptor of a saved vCPU into buf; its size, 0 if too small. */
size_t arch_core_prstatus(const struct guest_cpu *cpu, void *buf, size_t len);
/* Is the vCPU halted with interrupts off (it will never run again)? */
bool arch_vcpu_idle(struct guest_cpu *cpu);
/* Make the guest see a bus error on its current access. */
void arch_inject_bus_error(struct guest_cpu *cpu);
/* Make the guest see an undefined-instruction fault at its current instruction. */
void arch_inject_undefined(struct guest_cpu *cpu);
void arch_vm_destroy(struct qvm_vm *vm);

/* The interrupt controllers the VM has built in (in the kernel), by `intr` name. */
struct arch_pic {
	const char *name;	/* "ioapic", "8259", "gic" */
	unsigned lines;
};
const struct arch_pic *arch_pics(unsigned *n);
/* Drive line of built-in controller pic (index into arch_pics) to level 0/1. */
int arch_irq_line(struct qvm_vm *vm, unsigned pic, unsigned line, int level);

/* What the architecture itself occupies in space at [base, base+len), or NULL. */
const char *arch_range_owner(struct qvm_vm *vm, unsigned space, uint64_t base, uint64_t len);

#endif
