/*
 * The bzImage setup-header reader and the e820 map (arch/x86): a header as
 * a kernel has it, then each field corrupted, cut short or out of range;
 * the map of ram, rom, the boot area and the ACPI tables.
 */
#include <errno.h>
#include <stdlib.h>

#include "bzimage.h"
#include "linux.h"
#include "test.h"
#include "vm.h"

#define SIZE	(8u << 20)	/* the file's length */

static uint8_t head[BZ_HEAD_MIN + 0x40];

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)v); put16(p + 2, (uint16_t)(v >> 16)); }
static void put64(uint8_t *p, uint64_t v) { put32(p, (uint32_t)v); put32(p + 4, (uint32_t)(v >> 32)); }

/* A header like Debian's 6.1 kernel: protocol 2.15, relocatable, 16 MiB preferred. */
static void good(void)
{
	memset(head, 0, sizeof(head));
	head[0x1f1] = 27;			/* setup_sects */
	put16(head + 0x1fe, 0xaa55);
	head[0x200] = 0xeb;			/* jmp short to the end of the header */
	head[0x201] = 0x6a;
	put32(head + 0x202, 0x53726448);	/* "HdrS" */
	put16(head + 0x206, 0x020f);
	head[0x211] = 0x01;			/* LOADED_HIGH */
	put32(head + 0x22c, 0x7fffffff);	/* initrd_addr_max */
	put32(head + 0x230, 0x200000);		/* kernel_alignment */
	head[0x234] = 1;			/* relocatable */
	put16(head + 0x236, 0x7f);		/* xloadflags: 64-bit, above 4G, ... */
	put32(head + 0x238, 2047);		/* cmdline_size */
	put64(head + 0x258, 0x1000000);		/* pref_address */
	put32(head + 0x260, 0x2c4c000);		/* init_size */
}

static struct bzimage bz;
static struct qerr e;

static int parse(uint64_t size)
{
	e.msg[0] = 0;
	return bzimage_parse(head, sizeof(head), size, &bz, &e);
}

TEST(a_kernel_header)
{
	good();
	CHECK(parse(SIZE) == 1);
	CHECK(bz.version == 0x020f && bz.setup_size == 28 * 512);
	CHECK_EQ_U64(bz.load_addr, 0x1000000);
	CHECK_EQ_U64(bz.init_size, 0x2c4c000);
	CHECK(bz.above_4g && bz.initrd_max == 0x7fffffff && bz.cmdline_max == 2047);
	CHECK(bz.hdr_len == 0x202 + 0x6a - 0x1f1 && bz.hdr[0] == 27);
	/* init_size below the file's kernel bytes: the bytes count */
	put32(head + 0x260, 0x1000);
	CHECK(parse(SIZE) == 1 && bz.init_size == SIZE - 28 * 512);
	/* setup_sects 0 means 4 */
	good();
	head[0x1f1] = 0;
	CHECK(parse(SIZE) == 1 && bz.setup_size == 5 * 512);
	/* not relocatable, or a preferred address it cannot have: 1 MiB */
	good();
	head[0x234] = 0;
	CHECK(parse(SIZE) == 1 && bz.load_addr == 0x100000);
	good();
	put64(head + 0x258, 0x1001000);		/* not kernel_alignment-aligned */
	CHECK(parse(SIZE) == 1 && bz.load_addr == 0x100000);
	good();
	put64(head + 0x258, 0x100000000ull);	/* above 4 GiB */
	CHECK(parse(SIZE) == 1 && bz.load_addr == 0x100000);
}

TEST(not_a_bzimage)
{
	good();
	put32(head + 0x202, 0x53726449);
	CHECK(parse(SIZE) == 0);
	good();
	put16(head + 0x1fe, 0x55aa);
	CHECK(parse(SIZE) == 0);
	good();
	CHECK(bzimage_parse(head, 0x100, SIZE, &bz, &e) == 0);	/* a short file */
}

TEST(malformed_or_unbootable)
{
	good();
	put16(head + 0x206, 0x020b);
	CHECK(parse(SIZE) == -ENOEXEC);
	CHECK_STR(e.msg, "Linux boot protocol 2.11: qvm needs 2.12 or later (the 64-bit entry)");
	good();
	put16(head + 0x236, 0x7e);
	CHECK(parse(SIZE) == -ENOEXEC);
	CHECK_STR(e.msg, "not a 64-bit kernel (xloadflags has no XLF_KERNEL_64)");
	good();
	head[0x211] = 0;
	CHECK(parse(SIZE) == -ENOEXEC);
	CHECK_STR(e.msg, "a zImage (loaded low) cannot boot through the 64-bit entry");
	good();
	head[0x1f1] = 65;
	CHECK(parse(SIZE) == -ENOEXEC);
	CHECK_STR(e.msg, "bzImage setup_sects 65 is more than 64");
	good();
	CHECK(parse(28 * 512 + 0x100) == -ENOEXEC);
	CHECK_STR(e.msg, "truncated bzImage: 14592 bytes, the setup code alone is 14336");
	CHECK(parse(0x200) == -ENOEXEC);
	CHECK_STR(e.msg, "truncated bzImage (512 bytes)");
	CHECK(bzimage_parse(head, 0x210, SIZE, &bz, &e) == -ENOEXEC);	/* header cut short */
	good();
	head[0x201] = 0x10;		/* a header that ends before init_size */
	CHECK(parse(SIZE) == -ENOEXEC);
	CHECK_STR(e.msg, "bzImage setup header of a strange length (jump 0xeb 0x10 at 0x200)");
	good();
	head[0x200] = 0x90;
	CHECK(parse(SIZE) == -ENOEXEC);
	good();
	head[0x201] = 0xff;		/* past what the zero page can take */
	CHECK(parse(SIZE) == -ENOEXEC);
	good();
	put32(head + 0x260, 0x40000001);
	CHECK(parse(SIZE) == -ENOEXEC);
	CHECK_STR(e.msg, "bzImage init_size 1073741825 is more than 1 GiB");
	good();
	put32(head + 0x230, 0x300000);
	CHECK(parse(SIZE) == -ENOEXEC);
	CHECK_STR(e.msg, "bzImage kernel_alignment 0x300000 is not a power of 2");
}

/* Every byte of the header changed in turn: an answer, never a crash. */
TEST(every_byte_flipped)
{
	for (size_t i = 0; i < sizeof(head); i++) {
		for (unsigned v = 0; v < 256; v += 51) {
			good();
			head[i] = (uint8_t)v;
			int r = parse(SIZE);
			CHECK(r == 1 || r == 0 || r == -ENOEXEC);
			if (r == 1)
				CHECK(bz.setup_size < SIZE && bz.load_addr >= 0x100000 &&
						bz.hdr_len <= BZ_HDR_MAX);
		}
	}
}

TEST(e820_map)
{
	struct qvm_mem mem[] = {
		{ .gpa = 0x100000000ull, .len = 0x10000000 },	/* ram above 4 GiB */
		{ .gpa = 0, .len = 0x10000000 },		/* 256 MiB from 0 */
		{ .gpa = 0xfffc0000, .len = 0x40000, .rom = true },
	};
	struct e820_entry m[E820_MAX];
	const struct e820_entry areas[2] = {
		{ 0xfebf0000, 0x10000, E820_RESERVED },	/* the boot page tables */
		{ 0xfebef000, 0x1000, E820_ACPI },	/* the ACPI tables */
	};
	int n = e820_build(mem, 3, areas, 2, m, E820_MAX);

	CHECK(n == 6);
	CHECK(m[0].addr == 0 && m[0].size == 0x9fc00 && m[0].type == E820_RAM);
	CHECK(m[1].addr == 0x100000 && m[1].size == 0x10000000 - 0x100000 && m[1].type == E820_RAM);
	CHECK(m[2].addr == 0xfebef000 && m[2].size == 0x1000 && m[2].type == E820_ACPI);
	CHECK(m[3].addr == 0xfebf0000 && m[3].size == 0x10000 && m[3].type == E820_RESERVED);
	CHECK(m[4].addr == 0xfffc0000 && m[4].type == E820_RESERVED);
	CHECK(m[5].addr == 0x100000000ull && m[5].type == E820_RAM);
	/* ram only inside the BIOS's area: reserved; a table too small: -ENOSPC */
	struct qvm_mem bios = { .gpa = 0xa0000, .len = 0x20000 };
	CHECK(e820_build(&bios, 1, NULL, 0, m, E820_MAX) == 1 && m[0].type == E820_RESERVED);
	CHECK(e820_build(mem, 3, areas, 2, m, 4) == -ENOSPC);
}

int main(void)
{
	RUN(a_kernel_header);
	RUN(not_a_bzimage);
	RUN(malformed_or_unbootable);
	RUN(every_byte_flipped);
	RUN(e820_map);
	TEST_EXIT();
}
