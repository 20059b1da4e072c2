/* The in-kernel vGIC and the implicit `gic` vdev (gic.c). */
#ifndef QVM_ARM64_GIC_H
#define QVM_ARM64_GIC_H

#include <stddef.h>
#include <stdint.h>

#include "qerr.h"

struct qvm_vm;

/*
 * The interrupt IDs KVM is given (its most: a multiple of 32 below 1024);
 * a vdev's `intr gic:N` is an SPI, 32 to this - 1.
 */
#define GIC_MAX_IRQS	992

struct gic_range {
	uint64_t base, len;
	const char *name;
};

unsigned gic_version(const struct qvm_vm *vm);
/* The distributor, and the redistributors (v3) or the CPU interface (v2). */
int gic_ranges(const struct qvm_vm *vm, struct gic_range r[2]);
/* Which part of the GIC is at [base, base+len), or NULL. */
const char *gic_owner(const struct qvm_vm *vm, uint64_t base, uint64_t len);
/* Once the configuration is read: its ranges clear of ram, rom and vdevs. */
int gic_check(struct qvm_vm *vm, struct qerr *e);
/* KVM_CREATE_DEVICE, its addresses and IRQ count (before the vCPUs). */
int gic_create(struct qvm_vm *vm, struct qerr *e);
/* KVM_DEV_ARM_VGIC_CTRL_INIT, once every vCPU exists. */
int gic_init(struct qvm_vm *vm, struct qerr *e);
void gic_destroy(struct qvm_vm *vm);
/* An SPI (interrupt ID 32 and up) to level. */
int gic_irq_line(struct qvm_vm *vm, unsigned intid, int level);
/* The three `interrupts` cells of interrupt ID intid. */
int gic_fdt_interrupt(unsigned intid, uint32_t *cells, size_t max);

#endif
