/*
 * Fuzz target: the multiboot header reader on any bytes as a file's
 * start (the file's size from the first bytes): a header it takes with
 * its load addresses must copy only what the file has, into the image,
 * and enter inside it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "multiboot.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct multiboot mb;
	struct qerr e;

	if (size < 4)
		return 0;
	uint64_t file = size - 4 + (data[0] | (uint64_t)data[1] << 8);	/* maybe more than we see */
	if (multiboot_parse(data + 4, size - 4, file, &mb, &e) != 1 || !mb.aout)
		return 0;
	if (mb.file_off > file || mb.copy > file - mb.file_off || mb.copy > mb.span ||
			mb.entry < mb.load_addr || mb.entry >= mb.load_addr + mb.span ||
			mb.load_addr + mb.copy > 0x100000000ull)
		abort();
	return 0;
}
