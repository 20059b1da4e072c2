/*
 * The length of an x86 instruction from its bytes (arch/x86/insn_len.c).
 */
#ifndef QVM_X86_INSN_LEN_H
#define QVM_X86_INSN_LEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define X86_MAX_INSN	15	/* the architecture's limit */

/*
 * The length of the instruction at b (n bytes of it available, more are
 * not read) in 64-bit code (long_mode) or 32-bit code (def32): 1 to 15,
 * -EINVAL when the bytes run out or are no instruction, -ENOTSUP for
 * 16-bit code.
 */
int x86_insn_len(const uint8_t *b, size_t n, bool long_mode, bool def32);

#endif
