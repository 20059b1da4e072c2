/* The stage-1 page-table walk (see pagewalk.h); the Arm ARM's VMSAv8-64 rules. */
#include "pagewalk.h"

#include <errno.h>

#define SCTLR_M		1ull
#define DESC_VALID	1ull
#define DESC_TABLE	2ull		/* at levels 0-2; a page at level 3 */
#define DESC_AP_RO	(1ull << 7)	/* AP[2]: read-only */
#define DESC_AF		(1ull << 10)
#define TABLE_AP_RO	(1ull << 62)	/* APTable[1]: read-only below */
#define OA_MASK		0x0000ffffffffffffull
#define TCR_HA		(1ull << 39)	/* the hardware sets access flags */

/* The granule's log2 from TCR_EL1.TG0 or TG1 (their encodings differ). */
static unsigned granule(uint64_t tcr, int hi)
{
	if (!hi) {
		unsigned tg0 = (unsigned)(tcr >> 14) & 3;
		return tg0 == 1 ? 16 : tg0 == 2 ? 14 : 12;
	}
	unsigned tg1 = (unsigned)(tcr >> 30) & 3;
	return tg1 == 1 ? 14 : tg1 == 3 ? 16 : 12;
}

/* Can a block descriptor stand at level for granule g (48-bit addresses)? */
static bool block_ok(unsigned g, int level)
{
	return level == 2 || (g == 12 && level == 1);
}

int arm64_walk(const struct arm64_mmu *mmu, uint64_t va, bool write, bool any_perm,
		arm64_read_desc_fn *read, void *ctx, uint64_t *pa, uint64_t *span)
{
	if (!(mmu->sctlr & SCTLR_M)) {
		*pa = va;
		*span = 4096 - (va & 4095);
		return 0;
	}
	int hi = (int)((va >> 55) & 1);
	unsigned tsz = (unsigned)(mmu->tcr >> (hi ? 16 : 0)) & 0x3f;
	bool epd = (mmu->tcr >> (hi ? 23 : 7)) & 1;
	bool tbi = (mmu->tcr >> (hi ? 38 : 37)) & 1;
	unsigned g = granule(mmu->tcr, hi);
	unsigned ia = 64 - tsz;		/* input address bits */

	if (epd || tsz < 16 || ia <= g)
		return -EFAULT;
	/* the bits above the input address must all equal bit 55 (up to bit 55 with TBI) */
	unsigned top = tbi ? 55 : 63;
	for (unsigned b = ia; b <= top; b++)
		if ((int)((va >> b) & 1) != hi)
			return -EFAULT;

	unsigned stride = g - 3;
	int levels = (int)((ia - g + stride - 1) / stride);
	int level = 4 - levels;
	uint64_t table = (hi ? mmu->ttbr1 : mmu->ttbr0) & OA_MASK & ~1ull;
	bool ro = false;

	for (;; level++) {
		unsigned shift = g + stride * (unsigned)(3 - level);
		unsigned bits = level == 4 - levels ? ia - shift : stride;
		uint64_t idx = (va >> shift) & ((1ull << bits) - 1);
		uint64_t desc;

		if (read(ctx, table + idx * 8, &desc))
			return -EFAULT;
		if (!(desc & DESC_VALID))
			return -EFAULT;
		if (level < 3 && (desc & DESC_TABLE)) {
			ro |= (desc & TABLE_AP_RO) != 0;
			table = desc & OA_MASK & ~((1ull << g) - 1);
			continue;
		}
		if (level == 3 ? !(desc & DESC_TABLE) : !block_ok(g, level))
			return -EFAULT;
		if (!(desc & DESC_AF) && !(mmu->tcr & TCR_HA))
			return -EFAULT;
		ro |= (desc & DESC_AP_RO) != 0;
		if (write && ro && !any_perm)
			return -EFAULT;
		uint64_t size = 1ull << shift;
		*pa = (desc & OA_MASK & ~(size - 1)) | (va & (size - 1));
		*span = size - (va & (size - 1));
		return 0;
	}
}
