/* What the arm64 files share among themselves. */
#ifndef QVM_ARM64_H
#define QVM_ARM64_H

#include <stddef.h>
#include <stdint.h>
#include <linux/kvm.h>

#include "qerr.h"

/* System registers the arm64 files read (KVM_GET_ONE_REG ids). */
#define SCTLR_EL1	ARM64_SYS_REG(3, 0, 1, 0, 0)

struct qvm_vm;
struct guest_cpu;

/* Build (or take `fdt load`'s), place and write the guest's FDT (fdt.c). */
int arm64_fdt_setup(struct qvm_vm *vm, struct qerr *e);
/* KVM_GET_ONE_REG and KVM_SET_ONE_REG of register id: 0 or -errno (regs.c). */
int arm64_get_reg(struct guest_cpu *cpu, uint64_t id, uint64_t *v);
int arm64_put_reg(struct guest_cpu *cpu, uint64_t id, uint64_t v);
/* KVM_SET_ONE_REG of the core register at offset off of struct kvm_regs (boot.c). */
int arm64_set_core_reg(struct guest_cpu *cpu, size_t off, uint64_t v, const char *name,
		struct qerr *e);

#endif
