/*
 * bzimage.h - a Linux x86 bzImage's setup header (Documentation/arch/x86/
 * boot.rst), read and checked before anything is loaded, for the 64-bit
 * boot protocol: the file past the real-mode setup code goes to the load
 * address and runs from +0x200 with RSI at a zero page qvm builds.
 */
#ifndef QVM_X86_BZIMAGE_H
#define QVM_X86_BZIMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "qerr.h"

#define BZ_HEAD_MIN	0x268		/* the header up to init_size and handover_offset */
#define BZ_HDR_START	0x1f1		/* the setup header, as copied into the zero page */
#define BZ_HDR_MAX	(0x290 - BZ_HDR_START)	/* how far the header can reach (protocol 2.15) */
#define BZ_ENTRY_64	0x200		/* the 64-bit entry, past the load address */

struct bzimage {
	uint16_t version;		/* the boot protocol, 0x020c or later */
	uint64_t setup_size;		/* file bytes before the protected-mode kernel */
	uint64_t load_addr;		/* where that kernel goes */
	uint64_t init_size;		/* what it needs from there (>= its file bytes) */
	uint64_t initrd_max;		/* the highest address an initrd may use */
	uint32_t cmdline_max;		/* the longest command line, NUL excluded */
	bool above_4g;			/* XLF_CAN_BE_LOADED_ABOVE_4G (and the initrd) */
	uint8_t hdr[BZ_HDR_MAX];	/* the setup header, from BZ_HDR_START */
	size_t hdr_len;
	bool vmlinux;			/* an ELF vmlinux: entered at its ELF entry */
};

/*
 * head: the file's first headlen bytes, size: its length. 1 and *bz for a
 * bzImage qvm can boot, 0 for a file that is not one (no "HdrS" and boot
 * flag), -errno with e for one that is malformed or cannot boot here.
 */
int bzimage_parse(const uint8_t *head, size_t headlen, uint64_t size, struct bzimage *bz,
		struct qerr *e);

/*
 * An ELF vmlinux has no setup header: the one a boot loader would find in
 * its bzImage (protocol 2.15, loaded high, a 64-bit kernel, a 2047-byte
 * command line, an initrd below 2 GiB), for the zero page.
 */
void bzimage_vmlinux(struct bzimage *bz);

#endif
