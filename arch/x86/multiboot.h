/*
 * multiboot.h - Multiboot (version 1) kernels (the Multiboot Specification
 * 0.6.96): the header in a file's first 8 KiB, read and checked before
 * anything is loaded (multiboot_parse: no VM, fuzzed on its own), and the
 * information structure the kernel is started with (multiboot.c).
 */
#ifndef QVM_X86_MULTIBOOT_H
#define QVM_X86_MULTIBOOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "boot.h"
#include "qerr.h"

struct qvm_vm;

#define MB_HEADER_MAGIC		0x1badb002u
#define MB_BOOT_MAGIC		0x2badb002u	/* EAX at entry */
#define MB_SEARCH		8192u		/* the header is within these bytes */
#define MB_INFO_ADDR		0x9000ull	/* the information and what it points at, to 0x9fc00 */

struct multiboot {
	uint32_t offset;	/* of the header in the file */
	uint32_t flags;
	bool aout;		/* flag 16: the header's addresses say where it goes */
	uint32_t header_addr, load_addr, load_end, bss_end, entry;
	/* with aout: the file's bytes from file_off, copy of them, at load_addr; span to bss_end */
	uint64_t file_off, copy, span;
};

/*
 * The multiboot header in head (the file's first headlen bytes; the file
 * is size bytes long): 1 with mb filled and checked (a kernel qvm can
 * boot, its addresses inside the file and 32 bits), 0 if there is none,
 * -errno with e for a header that is there and wrong.
 */
int multiboot_parse(const uint8_t *head, size_t headlen, uint64_t size, struct multiboot *mb,
		struct qerr *e);

/* Does the kernel want modules page-aligned, and is one at gpa not? */
bool multiboot_module_misaligned(const struct multiboot *mb, uint64_t gpa);

/*
 * The information structure (memory sizes and map, command line, modules,
 * boot loader name) at MB_INFO_ADDR, boot->params; the entry from the header
 * for a flat image.
 */
int multiboot_boot_setup(struct qvm_vm *vm, struct qvm_boot *boot, struct qerr *e);

#endif
