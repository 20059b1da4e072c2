/*
 * Fuzz target: the x86 instruction-length decoder on any bytes (the
 * instruction bytes KVM hands over come from the guest): it must read only
 * what it is given, answer 1 to 15 or an error, and agree with itself when
 * given more bytes than the instruction needs.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "insn_len.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	bool long_mode = data[0] & 1, def32 = data[0] & 2;
	size_t n = size - 1 < X86_MAX_INSN ? size - 1 : X86_MAX_INSN;
	uint8_t *b = malloc(n ? n : 1);	/* exactly n bytes: ASan sees a read past them */
	if (!b)
		return 0;
	memcpy(b, data + 1, n);
	int len = x86_insn_len(b, n, long_mode, def32);
	if (len != -EINVAL && len != -ENOTSUP && (len < 1 || (size_t)len > n))
		abort();
	if (len > 0 && x86_insn_len(b, (size_t)len, long_mode, def32) != len)
		abort();	/* the bytes past it do not change it */
	free(b);
	return 0;
}
