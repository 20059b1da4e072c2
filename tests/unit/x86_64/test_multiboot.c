/*
 * The multiboot header reader (arch/x86/multiboot.c): found anywhere in
 * the first 8 KiB on a 4-byte boundary, or not at all; a wrong checksum,
 * features qvm cannot give and a.out-kludge addresses outside the file or
 * the image refused; every byte of a good header flipped in turn gives a
 * header that is taken or refused, never a crash.
 */
#include <errno.h>
#include <stdlib.h>

#include "multiboot.h"
#include "test.h"

static uint8_t head[MB_SEARCH];

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* A header at off: magic, flags, checksum, and with flag 16 the addresses. */
static void header(size_t off, uint32_t flags, const uint32_t addr[5])
{
	memset(head, 0, sizeof(head));
	put32(head + off, MB_HEADER_MAGIC);
	put32(head + off + 4, flags);
	put32(head + off + 8, -(MB_HEADER_MAGIC + flags));
	for (int i = 0; addr && i < 5; i++)
		put32(head + off + 12 + 4 * i, addr[i]);
}

/* the test kernel's flat image: header first at 1 MiB, 0x2000 bytes of file, bss to 0x104000 */
static const uint32_t aout[5] = { 0x100000, 0x100000, 0x102000, 0x104000, 0x100040 };

TEST(found_or_not)
{
	struct multiboot mb;
	struct qerr e;

	memset(head, 0, sizeof(head));
	CHECK(multiboot_parse(head, sizeof(head), sizeof(head), &mb, &e) == 0);
	header(0x1000, 0x3, NULL);	/* an ELF kernel's: no addresses */
	CHECK(multiboot_parse(head, sizeof(head), 0x10000, &mb, &e) == 1);
	CHECK(mb.offset == 0x1000 && mb.flags == 3 && !mb.aout);
	header(MB_SEARCH - 12, 0, NULL);	/* the last place it may be */
	CHECK(multiboot_parse(head, sizeof(head), 0x10000, &mb, &e) == 1);
	header(2, 0, NULL);			/* not on a 4-byte boundary: not there */
	CHECK(multiboot_parse(head, sizeof(head), 0x10000, &mb, &e) == 0);
	header(0, 0, NULL);			/* a file shorter than a header */
	CHECK(multiboot_parse(head, 8, 8, &mb, &e) == 0);
}

TEST(aout_addresses)
{
	struct multiboot mb;
	struct qerr e;

	header(0, 0x10003, aout);
	CHECK(multiboot_parse(head, sizeof(head), 0x3000, &mb, &e) == 1);
	CHECK(mb.aout && mb.file_off == 0 && mb.copy == 0x2000 && mb.span == 0x4000);
	CHECK(mb.entry == 0x100040 && mb.load_addr == 0x100000);
	/* load_end 0: the rest of the file; bss_end 0: none */
	uint32_t rest[5] = { 0x100010, 0x100000, 0, 0, 0x100020 };
	header(0x10, 0x10000, rest);
	CHECK(multiboot_parse(head, sizeof(head), 0x3000, &mb, &e) == 1);
	CHECK(mb.file_off == 0 && mb.copy == 0x3000 && mb.span == 0x3000);
}

TEST(malformed_refused)
{
	struct multiboot mb;
	struct qerr e;

	header(0, 0x3, NULL);
	head[8] ^= 1;
	CHECK(multiboot_parse(head, sizeof(head), 0x3000, &mb, &e) == -ENOEXEC &&
			strstr(e.msg, "wrong checksum"));
	header(0, 0x4, NULL);			/* a video mode */
	CHECK(multiboot_parse(head, sizeof(head), 0x3000, &mb, &e) == -ENOTSUP &&
			strstr(e.msg, "video mode"));
	header(0, 0x8000, NULL);		/* an unknown need */
	CHECK(multiboot_parse(head, sizeof(head), 0x3000, &mb, &e) == -ENOTSUP);
	header(sizeof(head) - 20, 0x10000, NULL);	/* flag 16, cut short */
	CHECK(multiboot_parse(head, sizeof(head), sizeof(head), &mb, &e) == -ENOEXEC &&
			strstr(e.msg, "cut short"));
	uint32_t bad[][5] = {
		{ 0x100000, 0x100100, 0x102000, 0, 0x100040 },	/* header before the load address */
		{ 0x100100, 0x100000, 0x102000, 0, 0x100140 },	/* load start before the file's start */
		{ 0x100000, 0x100000, 0x100000, 0, 0x100000 },	/* load end not above load start */
		{ 0x100000, 0x100000, 0x110000, 0, 0x100040 },	/* load end past the file */
		{ 0x100000, 0x100000, 0x102000, 0x101000, 0x100040 },	/* bss end below the image */
		{ 0x100000, 0x100000, 0x102000, 0x104000, 0x200000 },	/* entry outside */
		{ 0xfffff000, 0xfffff000, 0, 0, 0xfffff000 },	/* past 4 GiB */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		header(0, 0x10000, bad[i]);
		int r = multiboot_parse(head, sizeof(head), 0x3000, &mb, &e);
		if (r != -ENOEXEC)
			printf("# case %zu: %d %s\n", i, r, e.msg);
		CHECK(r == -ENOEXEC);
	}
}

TEST(every_byte_flipped)
{
	struct multiboot mb;
	struct qerr e;

	for (size_t i = 0; i < 32; i++)
		for (int bit = 0; bit < 8; bit++) {
			header(0, 0x10003, aout);
			head[i] ^= (uint8_t)(1u << bit);
			int r = multiboot_parse(head, sizeof(head), 0x3000, &mb, &e);
			CHECK(r == 0 || r == 1 || r == -ENOEXEC || r == -ENOTSUP);
			if (r == 1 && mb.aout)
				CHECK(mb.file_off + mb.copy <= 0x3000 && mb.copy <= mb.span &&
						mb.entry >= mb.load_addr &&
						mb.entry < mb.load_addr + mb.span);
		}
}

int main(void)
{
	RUN(found_or_not);
	RUN(aout_addresses);
	RUN(malformed_refused);
	RUN(every_byte_flipped);
	TEST_EXIT();
}
