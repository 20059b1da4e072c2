/* Loading images into guest memory: ELF64 executables and raw files. */
#ifndef QVM_LOADER_H
#define QVM_LOADER_H

#include <stdbool.h>
#include <stdint.h>

#include "qerr.h"

struct qvm_vm;

enum load_kind {
	LOAD_IMAGE,	/* untyped `load`: ELF64 at its program headers, else raw; sets the entry */
	LOAD_DATA,	/* `data load`: raw bytes, no entry */
};

/*
 * Load path. Without have_addr a raw file goes to the start of the lowest
 * ram. Errors name the file and what does not fit.
 */
int loader_load(struct qvm_vm *vm, const char *path, enum load_kind kind,
		bool have_addr, uint64_t addr, struct qerr *e);

#endif
