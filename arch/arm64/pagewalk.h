/*
 * The stage-1 translation of an EL1&0 virtual address, as the vCPU's MMU
 * would do it, for guest_cpu_read/write's QST_VIRTUAL (KVM has no
 * KVM_TRANSLATE on arm64). Pure: the tables are read through a callback,
 * so unit tests feed it tables of their own.
 */
#ifndef QVM_ARM64_PAGEWALK_H
#define QVM_ARM64_PAGEWALK_H

#include <stdbool.h>
#include <stdint.h>

/* The vCPU's translation registers. */
struct arm64_mmu {
	uint64_t sctlr, tcr, ttbr0, ttbr1;
};

/* Read the 8-byte descriptor at guest-physical pa: 0 or -EFAULT. */
typedef int arm64_read_desc_fn(void *ctx, uint64_t pa, uint64_t *desc);

/*
 * The guest-physical address of va (4, 16 and 64 KiB granules, 48-bit
 * output, top-byte-ignore), and in *span the bytes from va to the end of
 * its page or block. With the MMU off, va itself. -EFAULT where the vCPU
 * would take a translation, access-flag or permission fault (a write to a
 * read-only page, unless any_perm).
 */
int arm64_walk(const struct arm64_mmu *mmu, uint64_t va, bool write, bool any_perm,
		arm64_read_desc_fn *read, void *ctx, uint64_t *pa, uint64_t *span);

#endif
