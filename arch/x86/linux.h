/*
 * linux.h - the Linux x86 64-bit boot protocol's data (Documentation/arch/
 * x86/boot.rst, zero-page.rst): the zero page with the kernel's setup
 * header, the command line and the e820 memory map, placed in low RAM.
 */
#ifndef QVM_X86_LINUX_H
#define QVM_X86_LINUX_H

#include <stdint.h>

#include "boot.h"
#include "qerr.h"

struct qvm_vm;
struct qvm_mem;

#define LINUX_ZERO_PAGE	0x7000ull	/* boot_params, 4 KiB */
#define LINUX_CMDLINE	0x20000ull	/* the command line, up to its cmdline_size */

enum { E820_RAM = 1, E820_RESERVED = 2 };
struct e820_entry {
	uint64_t addr, size;
	uint32_t type;
};
#define E820_MAX	128	/* the zero page's table */

/*
 * The e820 map of nmem ram and rom ranges (in any order) and one reserved
 * range [resv, resv + resv_len) (the boot area; none if resv_len is 0),
 * sorted by address, into out (room for max): how many entries, or -ENOSPC.
 * RAM below 1 MiB stops at 0x9fc00, as on a PC (the rest is the BIOS's).
 */
int e820_build(const struct qvm_mem *mem, unsigned nmem, uint64_t resv, uint64_t resv_len,
		struct e820_entry *out, unsigned max);

/* The zero page and command line of a QVM_BOOT_LINUX boot, in guest RAM. */
int linux_boot_setup(struct qvm_vm *vm, struct qvm_boot *boot, struct qerr *e);

#endif
