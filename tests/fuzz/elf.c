/*
 * Fuzz target: the ELF64 loader on any bytes, placing segments into a
 * 4 MiB guest memory at 0. A segment must only be written where the
 * memory callback said it may, which ASan checks for us.
 */
#include <elf.h>
#include <stdint.h>
#include <stdlib.h>

#include "elf_load.h"

#define MEM_SIZE (4u << 20)

static uint8_t *mem;

static void *dest(void *ctx, uint64_t gpa, uint64_t len)
{
	(void)ctx;
	if (gpa > MEM_SIZE || len > MEM_SIZE - gpa)
		return NULL;
	return mem + gpa;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct qerr e = { { 0 } };
	uint64_t entry;

	if (!mem && !(mem = malloc(MEM_SIZE)))
		return 0;
	if (elf64_load("fuzz.elf", data, size, EM_X86_64, "x86_64", dest, NULL, &entry, &e) &&
			!e.msg[0])
		abort();
	return 0;
}
