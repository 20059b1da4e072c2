/*
 * x86.h - what the files of arch/x86 share: the machine's fixed places,
 * qvm's own memory slots, the ACPI tables (acpi.c) and the e820 map
 * (linux.c) every boot protocol hands over.
 */
#ifndef QVM_X86_H
#define QVM_X86_H

#include <stdint.h>

#include "boot.h"
#include "qerr.h"

struct qvm_vm;

#define IOAPIC_DEFAULT_BASE	0xfec00000ull
#define IOAPIC_LEN		0x1000ull	/* its page (KVM decodes its first 0x100 bytes) */
#define LAPIC_DEFAULT_BASE	0xfee00000ull

/* Memory slots beyond those of ram and rom. */
#define BOOT_SLOT	(QVM_MAX_MEM)		/* the boot page tables and GDT */
#define ACPI_SLOT	(QVM_MAX_MEM + 1)	/* the ACPI tables */

/* Where the VM's IOAPIC is (`vdev ioapic loc`, else the default). */
uint64_t x86_ioapic_base(const struct qvm_vm *vm);

/*
 * The highest free range of len bytes, aligned to align, below 'below'
 * and from 1 MiB up: 0 with *base, or -ENOSPC.
 */
int x86_find_hole(struct qvm_vm *vm, uint64_t len, uint64_t align, uint64_t below,
		uint64_t *base);

/*
 * The ACPI tables in their area (vm->arch.acpi_*), boot->acpi the RSDP,
 * written to `set acpi-dump-dir`; x86_acpi_setup also gives the guest the
 * area (a memory slot) and a copy of the RSDP at 0xe0000.
 */
int x86_acpi_build(struct qvm_vm *vm, struct qvm_boot *boot, struct qerr *e);
int x86_acpi_setup(struct qvm_vm *vm, struct qvm_boot *boot, struct qerr *e);

enum { E820_RAM = 1, E820_RESERVED = 2, E820_ACPI = 3 };
struct e820_entry {
	uint64_t addr, size;
	uint32_t type;
};
#define E820_MAX	128	/* the zero page's table */

/*
 * The e820 map of nmem ram and rom ranges (in any order) and nextra other
 * ranges (the boot area, the ACPI tables), sorted by address, into out
 * (room for max): how many entries, or -ENOSPC. RAM below 1 MiB stops at
 * 0x9fc00, as on a PC (the rest is the BIOS's).
 */
struct qvm_mem;
int e820_build(const struct qvm_mem *mem, unsigned nmem, const struct e820_entry *extra,
		unsigned nextra, struct e820_entry *out, unsigned max);
/*
 * [gpa, gpa+len) is ram no `load` filled, for a kernel of this kind's
 * what; else -errno with e naming both.
 */
int x86_free_ram(struct qvm_vm *vm, uint64_t gpa, uint64_t len, const char *kind,
		const char *what, struct qerr *e);
/* This VM's map (e820_build with qvm's own areas): entries, or -errno with e. */
int x86_e820(struct qvm_vm *vm, struct e820_entry *out, unsigned max, struct qerr *e);

#endif
