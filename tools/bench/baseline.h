/*
 * kvm-baseline's architecture half (tools/bench/baseline-ARCH.c): the VM's
 * in-kernel interrupt controller and boot memory as qvm makes them, the
 * vCPU's entry state, and the exits only that architecture has.
 */
#ifndef QVM_BASELINE_H
#define QVM_BASELINE_H

#include <elf.h>
#include <linux/kvm.h>
#include <stdbool.h>
#include <stdint.h>

extern const unsigned baseline_elf_machine;
extern const char baseline_arch_name[];

/* The KVM_CREATE_VM machine type. */
unsigned long baseline_vm_type(int kvm);
/* After the RAM slot, before the vCPU. */
void baseline_vm_setup(int kvm, int vm);
/* After KVM_CREATE_VCPU: its features and entry state. */
void baseline_vcpu_setup(int kvm, int vm, int cpu, uint64_t entry);
/* An exit that is not MMIO: handled (true) or unexpected (false). */
bool baseline_exit(struct kvm_run *run);
/* An MMIO access to the console: handled (true, *v the read's value) or not ours. */
bool baseline_console(uint64_t addr, bool is_write, const uint8_t *data, uint64_t *v);

/* kvm-baseline.c */
_Noreturn void die(const char *what);
void slot(int vm, unsigned n, uint64_t gpa, uint64_t len, void *hva);

#endif
