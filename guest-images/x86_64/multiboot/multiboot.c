/*
 * multiboot.c - a multiboot (version 1) test kernel, 32-bit code: prints
 * what the boot loader handed it (the magic, the memory sizes and map, the
 * command line, the modules, the loader's name) on COM1 by polling, then
 * ends qvm through the sdktest vdev's EXIT register at MB_EXIT_REG (exit
 * 42). Built twice (guest-images/x86_64/multiboot/Makefile rules in the
 * top Makefile): an ELF32 image, and a flat binary whose header carries
 * the load addresses (flag 16, MB_AOUT_KLUDGE).
 */
#include <stdint.h>

#define MB_MAGIC	0x1badb002u
#define MB_BOOT_MAGIC	0x2badb002u
#define MB_PAGE_ALIGN	(1u << 0)
#define MB_MEMORY_INFO	(1u << 1)
#define MB_AOUT		(1u << 16)
#ifdef MB_AOUT_KLUDGE
#define MB_FLAGS	(MB_PAGE_ALIGN | MB_MEMORY_INFO | MB_AOUT)
#else
#define MB_FLAGS	(MB_PAGE_ALIGN | MB_MEMORY_INFO)
#endif
#define MB_EXIT_REG	0xfb100034u	/* sdktest at 0xfb100000: EXIT */
#define MB_EXIT_CODE	42

#define COM1		0x3f8

extern char _start[], _edata[], _end[], mb_header[];

/* The header, first in the image (multiboot.ld). */
__attribute__((section(".multiboot"), used, aligned(4)))
static const uint32_t header[] = {
	MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS),
#ifdef MB_AOUT_KLUDGE
	(uint32_t)(uintptr_t)mb_header, (uint32_t)(uintptr_t)mb_header,	/* header, load */
	(uint32_t)(uintptr_t)_edata, (uint32_t)(uintptr_t)_end,		/* load end, bss end */
	(uint32_t)(uintptr_t)_start,						/* entry */
#endif
};

struct mb_info {
	uint32_t flags, mem_lower, mem_upper, boot_device, cmdline, mods_count, mods_addr;
	uint32_t syms[4], mmap_length, mmap_addr, drives_length, drives_addr, config_table;
	uint32_t boot_loader_name;
};

struct mb_mod {
	uint32_t start, end, string, reserved;
};

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static void putc(char c)
{
	while (!(inb(COM1 + 5) & 0x20))
		;
	outb(COM1, (uint8_t)c);
}

static void puts(const char *s)
{
	while (*s)
		putc(*s++);
}

static void hex(uint32_t v, int digits)
{
	puts("0x");
	for (int i = digits - 1; i >= 0; i--)
		putc("0123456789abcdef"[(v >> (4 * i)) & 15]);
}

static void dec(uint32_t v)
{
	char buf[11];
	int n = 0;

	do
		buf[n++] = (char)('0' + v % 10);
	while ((v /= 10) && n < 10);
	while (n)
		putc(buf[--n]);
}

static void hex64(uint32_t lo, uint32_t hi)
{
	hex(hi, 8);
	for (int i = 7; i >= 0; i--)
		putc("0123456789abcdef"[(lo >> (4 * i)) & 15]);
}

static void str(uint32_t addr)
{
	putc('"');
	puts((const char *)(uintptr_t)addr);
	putc('"');
}

void mb_main(uint32_t magic, const struct mb_info *mb)
{
	puts("multiboot: magic ");
	hex(magic, 8);
	puts(" flags ");
	hex(mb->flags, 8);
	puts("\n");
	if (magic != MB_BOOT_MAGIC)
		return;
	if (mb->flags & (1u << 0)) {
		puts("multiboot: mem_lower ");
		dec(mb->mem_lower);
		puts(" KiB, mem_upper ");
		dec(mb->mem_upper);
		puts(" KiB\n");
	}
	if (mb->flags & (1u << 2)) {
		puts("multiboot: cmdline ");
		str(mb->cmdline);
		puts("\n");
	}
	if (mb->flags & (1u << 6)) {
		/* entries of size + 4 bytes: base, length (64-bit each), type */
		for (uint32_t off = 0; off < mb->mmap_length;) {
			const uint32_t *e = (const uint32_t *)(uintptr_t)(mb->mmap_addr + off);
			puts("multiboot: mmap ");
			hex64(e[1], e[2]);
			puts(" length ");
			hex64(e[3], e[4]);
			puts(" type ");
			dec(e[5]);
			puts("\n");
			off += e[0] + 4;
		}
	}
	if (mb->flags & (1u << 3)) {
		const struct mb_mod *m = (const struct mb_mod *)(uintptr_t)mb->mods_addr;
		for (uint32_t i = 0; i < mb->mods_count; i++) {
			puts("multiboot: module ");
			hex(m[i].start, 8);
			puts("-");
			hex(m[i].end, 8);
			puts(" ");
			str(m[i].string);
			puts(" first bytes \"");
			for (uint32_t k = 0; k < 8 && m[i].start + k < m[i].end; k++) {
				char c = ((const char *)(uintptr_t)m[i].start)[k];
				putc(c >= ' ' && c < 127 ? c : '.');
			}
			puts("\"\n");
		}
	}
	if (mb->flags & (1u << 9)) {
		puts("multiboot: loader ");
		str(mb->boot_loader_name);
		puts("\n");
	}
	puts("multiboot: done\n");
	*(volatile uint32_t *)(uintptr_t)MB_EXIT_REG = MB_EXIT_CODE;
}
