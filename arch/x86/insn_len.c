/*
 * The length of one x86 instruction from its bytes, for `unsupported
 * instruction ignore`: KVM hands qvm the bytes of an instruction its
 * emulator cannot run, and the vendor's `ignore` steps over it. Only the
 * length is decoded (prefixes, REX, VEX and EVEX, the opcode maps, ModRM,
 * SIB, displacement and immediate sizes), for 64-bit and 32-bit code.
 */
#include "insn_len.h"

#include <errno.h>
#include <stdbool.h>

/* 256-bit sets, one bit per opcode. */
#define BIT(set, op)	(((set)[(op) >> 5] >> ((op) & 31)) & 1u)

/* One-byte map: has ModRM (62, C4 and C5 in 32-bit code: BOUND, LES, LDS). */
static const uint32_t map1_modrm[8] = {
	0x0f0f0f0f, 0x0f0f0f0f, 0x00000000, 0x00000a0c,
	0x0000ffff, 0x00000000, 0xff0f00f3, 0xc0c00000,
};
/* Two-byte map (0F xx): has no ModRM (syscall, cpuid, jcc rel32, bswap...). */
static const uint32_t map2_no_modrm[8] = {
	0x00004ff0, 0x00ff0000, 0x00000000, 0x00800000,
	0x0000ffff, 0x00000707, 0x0000ff00, 0x00000000,
};

static unsigned modrm_len(const uint8_t *p, const uint8_t *end, bool addr16, int *err)
{
	if (p >= end) {
		*err = -EINVAL;
		return 0;
	}
	unsigned mod = p[0] >> 6, rm = p[0] & 7, n = 1;

	if (mod == 3)
		return n;
	if (addr16) {
		if (mod == 1)
			return n + 1;
		return n + ((mod == 2 || rm == 6) ? 2 : 0);
	}
	if (rm == 4) {		/* SIB */
		if (p + 1 >= end) {
			*err = -EINVAL;
			return 0;
		}
		n++;
		if (mod == 0 && (p[1] & 7) == 5)
			return n + 4;
	}
	if (mod == 1)
		return n + 1;
	if (mod == 2 || (mod == 0 && rm == 5))
		return n + 4;
	return n;
}

enum map { M1, M0F, M0F38, M0F3A };

static bool is_legacy_prefix(uint8_t c)
{
	return c == 0x66 || c == 0x67 || c == 0xf0 || c == 0xf2 || c == 0xf3 || c == 0x2e ||
		c == 0x36 || c == 0x3e || c == 0x26 || c == 0x64 || c == 0x65;
}

int x86_insn_len(const uint8_t *b, size_t n, bool long_mode, bool def32)
{
	const uint8_t *p = b, *end = b + (n < X86_MAX_INSN ? n : X86_MAX_INSN);
	bool op16 = !def32, addr16 = !def32 && !long_mode, a32 = false, rexw = false, vex = false;
	enum map map = M1;
	unsigned imm = 0;
	int err = 0;

	if (!long_mode && !def32)
		return -ENOTSUP;	/* 16-bit code: not decoded */
	for (; p < end; p++) {		/* legacy prefixes, and REX, which counts only last */
		uint8_t c = *p;
		if (long_mode && (c & 0xf0) == 0x40) {
			rexw = c & 8;
			if (p + 1 < end && !is_legacy_prefix(p[1]) && (p[1] & 0xf0) != 0x40) {
				p++;
				break;
			}
			rexw = false;	/* a prefix after it: this REX is ignored */
			continue;
		}
		if (c == 0x66)
			op16 = def32;
		else if (c == 0x67)
			addr16 = !long_mode && def32, a32 = long_mode;
		else if (!is_legacy_prefix(c))
			break;
	}
	if (p >= end)
		return -EINVAL;
	uint8_t op = *p++;
	/* VEX (C5, C4) and EVEX (62); in 32-bit code only where ModRM's mod would be 3 */
	if ((op == 0xc4 || op == 0xc5 || op == 0x62) && p < end && (long_mode || (*p >> 6) == 3)) {
		long plen = op == 0xc5 ? 1 : op == 0xc4 ? 2 : 3;
		if (end - p < plen + 1)
			return -EINVAL;
		unsigned m = op == 0xc5 ? 1 : p[0] & (op == 0x62 ? 7 : 0x1f);
		if (op == 0xc4)
			rexw = p[1] & 0x80;
		if (m == 1)
			map = M0F;
		else if (m == 2 || (op == 0x62 && (m == 5 || m == 6)))
			map = M0F38;	/* ModRM, no immediate */
		else if (m == 3)
			map = M0F3A;
		else
			return -EINVAL;
		p += plen;
		op = *p++;
		vex = true;
	} else if (op == 0x8f && p < end && (p[0] & 0x1f) >= 8) {
		/* AMD's XOP: 3 bytes like VEX's, maps 8 (imm8), 9 (none) and 0xA (imm32) */
		unsigned m = p[0] & 0x1f;
		if (end - p < 3 || m > 0xa)
			return -EINVAL;
		p += 2;
		p++;	/* the opcode */
		unsigned m_len = modrm_len(p, end, addr16, &err);
		if (err)
			return err;
		size_t need = (size_t)(p - b) + m_len + (m == 8 ? 1 : m == 0xa ? 4 : 0);
		return need > (size_t)(end - b) ? -EINVAL : (int)need;
	} else if (op == 0x0f) {
		if (p >= end)
			return -EINVAL;
		op = *p++;
		map = M0F;
		if (op == 0x38 || op == 0x3a) {
			map = op == 0x38 ? M0F38 : M0F3A;
			if (p >= end)
				return -EINVAL;
			op = *p++;
		} else if (op == 0x0f) {	/* 3DNow!: ModRM, then the opcode as a suffix */
			unsigned m = modrm_len(p, end, addr16, &err);
			size_t need = (size_t)(p - b) + m + 1;
			if (err || need > (size_t)(end - b))
				return -EINVAL;
			return (int)need;
		}
	}

	bool has_modrm;
	unsigned osz = op16 && !rexw ? 2 : 4;	/* REX.W wins over 0x66 */
	switch (map) {
	case M1:
		if (long_mode && (op == 0x06 || op == 0x07 || op == 0x0e || op == 0x16 ||
				op == 0x17 || op == 0x1e || op == 0x1f || op == 0x27 || op == 0x2f ||
				op == 0x37 || op == 0x3f || op == 0x60 || op == 0x61 || op == 0x82 ||
				op == 0x9a || op == 0xce || op == 0xd4 || op == 0xd5 || op == 0xd6 ||
				op == 0xea))
			return -EINVAL;		/* not instructions in 64-bit mode */
		has_modrm = BIT(map1_modrm, op);
		if (op < 0x40 && (op & 7) == 4)
			imm = 1;			/* ALU al, imm8 */
		else if (op < 0x40 && (op & 7) == 5)
			imm = osz;			/* ALU eax, imm */
		else if (op == 0x68 || op == 0x69 || op == 0x81 || op == 0xc7 || op == 0xa9 ||
				op == 0xe8 || op == 0xe9)
			imm = osz;
		else if (op == 0x6a || op == 0x6b || (op >= 0x70 && op <= 0x7f) || op == 0x80 ||
				op == 0x82 || op == 0x83 || op == 0xa8 || (op >= 0xb0 && op <= 0xb7) ||
				op == 0xc0 || op == 0xc1 || op == 0xc6 || op == 0xcd || op == 0xd4 ||
				op == 0xd5 || (op >= 0xe0 && op <= 0xe7) || op == 0xeb)
			imm = 1;
		else if (op >= 0xb8 && op <= 0xbf)
			imm = rexw ? 8 : osz;
		else if (op == 0xc2 || op == 0xca)
			imm = 2;
		else if (op == 0xc8)
			imm = 3;
		else if (op >= 0xa0 && op <= 0xa3)
			imm = long_mode ? (a32 ? 4 : 8) : (addr16 ? 2 : 4);	/* moffs */
		else if (op == 0x9a || op == 0xea)
			imm = osz + 2;			/* ptr16:16 or ptr16:32 */
		if ((op == 0xf6 || op == 0xf7) && p < end && ((*p >> 3) & 7) < 2)
			imm = op == 0xf6 ? 1 : osz;	/* test r/m, imm */
		break;
	case M0F:
		has_modrm = vex ? op != 0x77 : !BIT(map2_no_modrm, op);
		if (!vex && op >= 0x80 && op <= 0x8f)
			imm = osz;		/* jcc rel16/32 */
		else if ((op >= 0x70 && op <= 0x73) || op == 0xa4 || op == 0xac || op == 0xba ||
				op == 0xc2 || (op >= 0xc4 && op <= 0xc6))
			imm = 1;
		break;
	case M0F38:
		has_modrm = true;
		break;
	default:
		has_modrm = true;
		imm = 1;
		break;
	}
	/* counted in offsets: no pointer is made past the bytes given */
	size_t need = (size_t)(p - b) + imm;
	if (has_modrm)
		need += modrm_len(p, end, addr16, &err);
	if (err)
		return err;
	return need > (size_t)(end - b) ? -EINVAL : (int)need;
}
