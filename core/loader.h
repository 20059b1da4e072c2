/* Loading images into guest memory: ELF64 executables and raw files. */
#ifndef QVM_LOADER_H
#define QVM_LOADER_H

#include <stdbool.h>
#include <stdint.h>

#include "qerr.h"

struct qvm_vm;
struct qvm_blob;

enum load_kind {
	LOAD_IMAGE,	/* untyped `load`: ELF64 at its program headers, else raw; sets the entry */
	LOAD_DATA,	/* `data load`: raw bytes, no entry */
	LOAD_FDT,	/* `fdt load`: the guest's whole FDT (core/devtree.c places it) */
	LOAD_INITRD,	/* `initrd load`: raw, described to the guest (boot.initrd) */
	LOAD_ACPI,	/* `acpi load`: one ACPI table, listed in the XSDT (core/acpi.c) */
};

/*
 * `load` options are planned while the configuration is read and carried
 * out once it is complete (loader_run), so that what they place can
 * depend on the final memory layout. Each keeps the FILE:LINE of its option.
 */
struct qvm_load {
	char *where;		/* "FILE:LINE: " of the option */
	char *path;
	enum load_kind kind;
	bool have_addr;
	uint64_t addr;
};

#define QVM_MAX_LOADS	256
/* An ELF image is read whole to be parsed: bounded so a huge file cannot exhaust the host. */
#define QVM_ELF_MAX_BYTES	(256u << 20)

/* Add a load to vm's plan; where is "FILE:LINE: ". Only checks what the option says. */
int loader_plan(struct qvm_vm *vm, const char *where, const char *path, enum load_kind kind,
		bool have_addr, uint64_t addr, struct qerr *e);
/* Carry out the plan in order; an error names the option's FILE:LINE. */
int loader_run(struct qvm_vm *vm, struct qerr *e);
void loader_free(struct qvm_vm *vm);
/* A range some `load` filled that [gpa, gpa+len) overlaps, or NULL. */
const struct qvm_blob *loader_overlap(const struct qvm_vm *vm, uint64_t gpa, uint64_t len);

/*
 * Load path now. Without have_addr a raw file goes to the start of the
 * lowest ram. Errors name the file and what does not fit.
 */
int loader_load(struct qvm_vm *vm, const char *path, enum load_kind kind,
		bool have_addr, uint64_t addr, struct qerr *e);

#endif
