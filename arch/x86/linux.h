/*
 * linux.h - the Linux x86 64-bit boot protocol's data (Documentation/arch/
 * x86/boot.rst, zero-page.rst): the zero page with the kernel's setup
 * header, the command line and the e820 memory map, placed in low RAM.
 */
#ifndef QVM_X86_LINUX_H
#define QVM_X86_LINUX_H

#include <stdint.h>

#include "boot.h"
#include "x86.h"
#include "qerr.h"

struct qvm_vm;
struct qvm_mem;

#define LINUX_ZERO_PAGE	0x7000ull	/* boot_params, 4 KiB */
#define LINUX_CMDLINE	0x20000ull	/* the command line, up to its cmdline_size */

/* The zero page and command line of a QVM_BOOT_LINUX boot, in guest RAM. */
int linux_boot_setup(struct qvm_vm *vm, struct qvm_boot *boot, struct qerr *e);

#endif
