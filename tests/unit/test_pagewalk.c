/*
 * The arm64 stage-1 walk behind QST_VIRTUAL (arch/arm64/pagewalk.c), on
 * page tables the test writes into a sparse guest memory of its own: the
 * three granules, blocks and pages, both halves of the address space,
 * top-byte-ignore, and every fault a vCPU would take.
 */
#include <errno.h>

#include "pagewalk.h"
#include "test.h"

#define V	1ull			/* valid */
#define T	2ull			/* table (levels 0-2), page (level 3) */
#define AF	(1ull << 10)
#define RO	(1ull << 7)		/* AP[2] */
#define APT_RO	(1ull << 62)		/* APTable[1] */
#define PAGE4K(pa)	((pa) | V | T | AF)
#define BLOCK(pa)	((pa) | V | AF)
#define TABLE(pa)	((pa) | V | T)

#define TG0_64K	(1ull << 14)
#define TG0_16K	(2ull << 14)
#define TG1_4K	(2ull << 30)
#define EPD0	(1ull << 7)
#define TBI0	(1ull << 37)
#define HA	(1ull << 39)

/* Guest memory: the descriptors the test put there, 0 (invalid) elsewhere. */
static struct { uint64_t pa, v; } mem[32];
static unsigned nmem;

static void put(uint64_t table, uint64_t idx, uint64_t desc)
{
	mem[nmem].pa = table + idx * 8;
	mem[nmem++].v = desc;
}

static int rd(void *ctx, uint64_t pa, uint64_t *desc)
{
	(void)ctx;
	if (pa < 0x40000000ull)
		return -EFAULT;	/* not RAM */
	*desc = 0;
	for (unsigned i = 0; i < nmem; i++)
		if (mem[i].pa == pa)
			*desc = mem[i].v;
	return 0;
}

static int walk(const struct arm64_mmu *m, uint64_t va, bool write, bool any, uint64_t *pa,
		uint64_t *span)
{
	return arm64_walk(m, va, write, any, rd, NULL, pa, span);
}

/* 4 KiB granule, 39-bit addresses: the walk starts at level 1. */
#define L1	0x40001000ull
#define L2	0x40002000ull
#define L3	0x40003000ull
static const struct arm64_mmu mmu4k = { .sctlr = 1, .tcr = 25, .ttbr0 = L1 };

static void tables4k(void)
{
	nmem = 0;
	put(L1, 0, TABLE(L2));
	put(L1, 2, BLOCK(0x80000000ull));		/* 1 GiB */
	put(L2, 1, TABLE(L3));
	put(L2, 3, BLOCK(0x40600000ull));		/* 2 MiB */
	put(L2, 4, TABLE(L3) | APT_RO);			/* the same pages, read-only below */
	put(L3, 5, PAGE4K(0x40123000ull));
	put(L3, 6, PAGE4K(0x40124000ull) | RO);
	put(L3, 7, 0x40125000ull | V | T);		/* access flag clear */
	put(L3, 8, 0x40126000ull | V | AF);		/* bit 1 clear at level 3: reserved */
}

TEST(mmu_off_is_identity)
{
	struct arm64_mmu m = { .sctlr = 0 };
	uint64_t pa, span;

	CHECK(walk(&m, 0x40001234, true, false, &pa, &span) == 0);
	CHECK_EQ_U64(pa, 0x40001234);
	CHECK_EQ_U64(span, 0x1000 - 0x234);
}

TEST(granule_4k_page_and_blocks)
{
	uint64_t pa, span;

	tables4k();
	CHECK(walk(&mmu4k, (1ull << 21) | (5 << 12) | 0x234, false, false, &pa, &span) == 0);
	CHECK_EQ_U64(pa, 0x40123234);
	CHECK_EQ_U64(span, 0x1000 - 0x234);
	CHECK(walk(&mmu4k, (2ull << 30) | 0x12345, true, false, &pa, &span) == 0);
	CHECK_EQ_U64(pa, 0x80012345);
	CHECK_EQ_U64(span, (1ull << 30) - 0x12345);
	CHECK(walk(&mmu4k, (3ull << 21) | 0x1234, false, false, &pa, &span) == 0);
	CHECK_EQ_U64(pa, 0x40601234);
	CHECK_EQ_U64(span, (2ull << 20) - 0x1234);
}

TEST(faults)
{
	uint64_t pa, span;

	tables4k();
	CHECK(walk(&mmu4k, 1ull << 30, false, false, &pa, &span) == -EFAULT);	/* L1[1] invalid */
	CHECK(walk(&mmu4k, (1ull << 21) | (9 << 12), false, false, &pa, &span) == -EFAULT);
	CHECK(walk(&mmu4k, (1ull << 21) | (7 << 12), false, false, &pa, &span) == -EFAULT);
	CHECK(walk(&mmu4k, (1ull << 21) | (8 << 12), false, false, &pa, &span) == -EFAULT);
	CHECK(walk(&mmu4k, 1ull << 39, false, false, &pa, &span) == -EFAULT);	/* above 39 bits */
	struct arm64_mmu ha = mmu4k;
	ha.tcr |= HA;	/* the hardware sets the access flag: no fault for it */
	CHECK(walk(&ha, (1ull << 21) | (7 << 12), false, false, &pa, &span) == 0);
	CHECK_EQ_U64(pa, 0x40125000);
	struct arm64_mmu off = mmu4k;
	off.tcr |= EPD0;	/* walks of TTBR0 disabled */
	CHECK(walk(&off, (1ull << 21) | (5 << 12), false, false, &pa, &span) == -EFAULT);
	struct arm64_mmu bad = mmu4k;
	bad.ttbr0 = 0x1000;	/* tables outside RAM */
	CHECK(walk(&bad, 0, false, false, &pa, &span) == -EFAULT);
}

TEST(read_only_pages)
{
	uint64_t pa, span;
	uint64_t ro_page = (1ull << 21) | (6 << 12), below_ro_table = (4ull << 21) | (5 << 12);

	tables4k();
	CHECK(walk(&mmu4k, ro_page, false, false, &pa, &span) == 0);
	CHECK(walk(&mmu4k, ro_page, true, false, &pa, &span) == -EFAULT);
	CHECK(walk(&mmu4k, ro_page, true, true, &pa, &span) == 0);	/* GXF_GDB */
	CHECK_EQ_U64(pa, 0x40124000);
	CHECK(walk(&mmu4k, below_ro_table, false, false, &pa, &span) == 0);
	CHECK_EQ_U64(pa, 0x40123000);
	CHECK(walk(&mmu4k, below_ro_table, true, false, &pa, &span) == -EFAULT);
}

TEST(level0_has_no_blocks)
{
	struct arm64_mmu m = { .sctlr = 1, .tcr = 16, .ttbr0 = L1 };	/* 48 bits: from level 0 */
	uint64_t pa, span;

	nmem = 0;
	put(L1, 1, BLOCK(0x8000000000ull));
	CHECK(walk(&m, 1ull << 39, false, false, &pa, &span) == -EFAULT);
	put(L1, 0, TABLE(L2));
	put(L2, 0, TABLE(L3));
	put(L3, 0, TABLE(0x40010000ull));
	put(0x40010000ull, 0, PAGE4K(0x40777000ull));
	CHECK(walk(&m, 0x42, false, false, &pa, &span) == 0);
	CHECK_EQ_U64(pa, 0x40777042);
}

TEST(upper_half_through_ttbr1)
{
	struct arm64_mmu m = { .sctlr = 1, .tcr = (25ull << 16) | TG1_4K | EPD0, .ttbr1 = L1 };
	uint64_t pa, span;

	nmem = 0;
	put(L1, 511, BLOCK(0xc0000000ull));
	CHECK(walk(&m, 0xffffffffc0001234ull, false, false, &pa, &span) == 0);
	CHECK_EQ_U64(pa, 0xc0001234);
	CHECK(walk(&m, 0xff7fffffc0001234ull, false, false, &pa, &span) == -EFAULT);
}

TEST(top_byte_ignore)
{
	struct arm64_mmu m = mmu4k;
	uint64_t pa, span, va = 0xab00000000000000ull | (2ull << 30) | 0x10;

	tables4k();
	CHECK(walk(&m, va, false, false, &pa, &span) == -EFAULT);
	m.tcr |= TBI0;
	CHECK(walk(&m, va, false, false, &pa, &span) == 0);
	CHECK_EQ_U64(pa, 0x80000010);
}

TEST(granule_64k)
{
	/* 42 bits: level 2 (13 bits) then level 3, 64 KiB pages */
	struct arm64_mmu m = { .sctlr = 1, .tcr = 22 | TG0_64K, .ttbr0 = 0x40010000ull };
	uint64_t pa, span;

	nmem = 0;
	put(0x40010000ull, 1, TABLE(0x40020000ull));
	put(0x40020000ull, 2, (0x40330000ull | V | T | AF));
	CHECK(walk(&m, (1ull << 29) | (2 << 16) | 0x1234, false, false, &pa, &span) == 0);
	CHECK_EQ_U64(pa, 0x40331234);
	CHECK_EQ_U64(span, 0x10000 - 0x1234);
}

TEST(granule_16k)
{
	/* 36 bits: level 2 (11 bits), 32 MiB blocks */
	struct arm64_mmu m = { .sctlr = 1, .tcr = 28 | TG0_16K, .ttbr0 = 0x40004000ull };
	uint64_t pa, span;

	nmem = 0;
	put(0x40004000ull, 3, BLOCK(0x42000000ull));
	CHECK(walk(&m, (3ull << 25) | 0x5678, false, false, &pa, &span) == 0);
	CHECK_EQ_U64(pa, 0x42005678);
	CHECK_EQ_U64(span, (32ull << 20) - 0x5678);
}

int main(void)
{
	RUN(mmu_off_is_identity);
	RUN(granule_4k_page_and_blocks);
	RUN(faults);
	RUN(read_only_pages);
	RUN(level0_has_no_blocks);
	RUN(upper_half_through_ttbr1);
	RUN(top_byte_ignore);
	RUN(granule_64k);
	RUN(granule_16k);
	TEST_EXIT();
}
