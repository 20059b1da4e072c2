/*
 * Parsing and placing ELF executables, 64-bit and (for a boot protocol
 * that takes them) 32-bit; no VM needed (the benchmark baseline uses it too).
 */
#ifndef QVM_ELF_LOAD_H
#define QVM_ELF_LOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "qerr.h"

/* Where [gpa, gpa+len) lives in the host, or NULL if it is not guest memory. */
typedef void *elf_dest_fn(void *ctx, uint64_t gpa, uint64_t len);

/*
 * Copy each PT_LOAD of the ELF64 image buf (named name in messages) to
 * dest(p_paddr), zero-filling up to p_memsz; machine must match e_machine
 * (arch names it in messages). *entry gets e_entry.
 */
int elf64_load(const char *name, const uint8_t *buf, size_t size, unsigned machine,
		const char *arch, elf_dest_fn *dest, void *ctx, uint64_t *entry, struct qerr *e);

/*
 * Has the ELF image (either class; anything at all, checked) a PT_NOTE
 * segment with a note of this owner ("Linux": a vmlinux)?
 */
bool elf_has_note(const uint8_t *buf, size_t size, const char *owner);
/* The same for an ELF64 image of machine or, if machine32 is not 0, an ELF32 one of machine32. */
int elf_load(const char *name, const uint8_t *buf, size_t size, unsigned machine,
		unsigned machine32, const char *arch, elf_dest_fn *dest, void *ctx, uint64_t *entry,
		struct qerr *e);

#endif
