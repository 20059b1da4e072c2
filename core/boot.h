/*
 * What a boot protocol hands the guest: where it starts, the blobs placed
 * in its memory and which registers point at them. Filled by the loader
 * (the image and its kind) and by the architecture (arch_boot_setup: the
 * tables it builds), read by arch_vcpu_boot for each vCPU's entry state.
 */
#ifndef QVM_BOOT_H
#define QVM_BOOT_H

#include <stdbool.h>
#include <stdint.h>

enum qvm_boot_proto {
	/*
	 * An ELF or raw image entered at its entry point, with no tables: x86_64
	 * in long mode with RDI = vCPU index, RSI = vCPU count (docs/platforms.md).
	 */
	QVM_BOOT_BARE,
	QVM_BOOT_LINUX,		/* x86 bzImage (zero page in RSI), arm64 Image (FDT in x0) */
	QVM_BOOT_MULTIBOOT,	/* x86 multiboot (info in EBX) */
};

/* A blob in guest memory; len 0 = none. */
struct qvm_blob {
	uint64_t gpa, len;
};

/* A `data load` or `initrd load`, a module to a multiboot kernel. */
struct qvm_module {
	uint64_t gpa, len;
	const char *name;	/* the file (the load plan's, alive as long as the VM) */
	const char *where;	/* "FILE:LINE: " of its option */
};
#define QVM_MAX_MODULES	32

struct qvm_boot {
	enum qvm_boot_proto proto;
	uint64_t entry;
	bool have_entry;
	struct qvm_blob initrd;		/* `initrd load` */
	bool initrd_default;		/* ... placed by qvm (no ADDR) */
	struct qvm_blob cmdline;	/* `cmdline`, NUL-terminated, once placed */
	struct qvm_blob fdt;		/* generated or `fdt load`: arm64 x0 */
	struct qvm_blob acpi;		/* RSDP, generated or `acpi load` */
	struct qvm_blob params;		/* x86 zero page (RSI) or multiboot info (EBX) */
	struct qvm_module mods[QVM_MAX_MODULES];	/* data and initrd loads, in order */
	unsigned nmods;
	bool mods_dropped;		/* more than QVM_MAX_MODULES of them */
};

#endif
