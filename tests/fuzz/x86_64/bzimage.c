/*
 * Fuzz target: the bzImage setup-header reader (arch/x86/bzimage.c) on any
 * bytes, the input's length as the file's: an answer for every input, and
 * for a bzImage it takes, a layout that stays inside the file.
 */
#include <stdint.h>
#include <stdlib.h>

#include "bzimage.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct qerr e = { { 0 } };
	struct bzimage bz;
	size_t headlen = size < 8192 ? size : 8192;
	int r = bzimage_parse(data, headlen, size, &bz, &e);

	if (r < 0 && !e.msg[0])
		abort();
	if (r == 1 && (bz.setup_size + BZ_ENTRY_64 >= size || bz.hdr_len > BZ_HDR_MAX ||
			bz.init_size < size - bz.setup_size || bz.load_addr < 0x100000))
		abort();
	return 0;
}
