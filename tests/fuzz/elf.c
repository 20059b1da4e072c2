/*
 * Fuzz target: the ELF loader on any bytes, 64-bit and 32-bit images,
 * placing segments into a 4 MiB guest memory at 0, and the search for a
 * vmlinux's "Linux" note. A segment must only be written where the memory
 * callback said it may, and notes only read inside the file, which ASan
 * checks for us.
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
	if (elf_load("fuzz.elf", data, size, EM_X86_64, EM_386, "x86_64", dest, NULL, &entry, &e) &&
			!e.msg[0])
		abort();
	(void)elf_has_note(data, size, "Linux");
	return 0;
}
