/*
 * The x86 instruction-length decoder (arch/x86/insn_len.c) against the
 * lengths GNU as gave these encodings (64-bit and 32-bit code, with
 * prefixes, REX, VEX, EVEX, every ModRM/SIB/displacement form and the
 * immediates), with more bytes after each; one byte short, each is
 * -EINVAL; 16-bit code is -ENOTSUP.
 */
#include <errno.h>
#include <string.h>

#include "insn_len.h"
#include "../test.h"

static const struct { bool long_mode; int len; const char *bytes, *what; } insns[] = {
	{ true, 1, "\x90", "nop" },
	{ true, 2, "\x89\xc3", "mov    %eax,%ebx" },
	{ true, 2, "\x8b\x03", "mov    (%rbx),%eax" },
	{ true, 3, "\x8b\x43\x10", "mov    0x10(%rbx),%eax" },
	{ true, 6, "\x8b\x83\x00\x10\x00\x00", "mov    0x1000(%rbx),%eax" },
	{ true, 3, "\x8b\x04\x8b", "mov    (%rbx,%rcx,4),%eax" },
	{ true, 7, "\x8b\x04\x25\x78\x56\x34\x12", "mov    0x12345678,%eax" },
	{ true, 6, "\x8b\x05\x10\x00\x00\x00", "mov    0x10(%rip),%eax        # 0x2e" },
	{ true, 3, "\x8b\x04\x24", "mov    (%rsp),%eax" },
	{ true, 3, "\x8b\x45\x00", "mov    0x0(%rbp),%eax" },
	{ true, 4, "\x4d\x8b\x4d\x08", "mov    0x8(%r13),%r9" },
	{ true, 10, "\x48\xb8\x88\x77\x66\x55\x44\x33\x22\x11", "movabs $0x1122334455667788,%rax" },
	{ true, 5, "\xbb\x78\x56\x34\x12", "mov    $0x12345678,%ebx" },
	{ true, 4, "\x66\xbb\x34\x12", "mov    $0x1234,%bx" },
	{ true, 5, "\x66\xc7\x03\x34\x12", "movw   $0x1234,(%rbx)" },
	{ true, 7, "\xc7\x43\x10\x78\x56\x34\x12", "movl   $0x12345678,0x10(%rbx)" },
	{ true, 9, "\x48\xc7\x44\xcb\x10\x78\x56\x34\x12", "movq   $0x12345678,0x10(%rbx,%rcx,8)" },
	{ true, 3, "\xc6\x03\x12", "movb   $0x12,(%rbx)" },
	{ true, 2, "\x04\x12", "add    $0x12,%al" },
	{ true, 5, "\x05\x78\x56\x34\x12", "add    $0x12345678,%eax" },
	{ true, 4, "\x66\x05\x34\x12", "add    $0x1234,%ax" },
	{ true, 3, "\x83\x03\x05", "addl   $0x5,(%rbx)" },
	{ true, 6, "\x81\x03\x45\x23\x01\x00", "addl   $0x12345,(%rbx)" },
	{ true, 3, "\xf6\x03\x01", "testb  $0x1,(%rbx)" },
	{ true, 6, "\xf7\x03\x01\x00\x00\x00", "testl  $0x1,(%rbx)" },
	{ true, 5, "\x66\xf7\x03\x01\x00", "testw  $0x1,(%rbx)" },
	{ true, 2, "\xf7\x13", "notl   (%rbx)" },
	{ true, 6, "\x69\xc3\x45\x23\x01\x00", "imul   $0x12345,%ebx,%eax" },
	{ true, 3, "\x6b\xc3\x12", "imul   $0x12,%ebx,%eax" },
	{ true, 3, "\xc1\xe0\x03", "shl    $0x3,%eax" },
	{ true, 2, "\xd1\xe0", "shl    %eax" },
	{ true, 5, "\xe8\xfb\xff\xff\xff", "call   0x85" },
	{ true, 2, "\xeb\xfe", "jmp    0x8a" },
	{ true, 2, "\x74\xfe", "je     0x8c" },
	{ true, 6, "\x0f\x85\xfa\x0f\x00\x00", "jne    0x108e" },
	{ true, 3, "\xc2\x08\x00", "ret    $0x8" },
	{ true, 4, "\xc8\x10\x00\x01", "enter  $0x10,$0x1" },
	{ true, 2, "\xcd\x80", "int    $0x80" },
	{ true, 2, "\xe4\x60", "in     $0x60,%al" },
	{ true, 2, "\xe6\x64", "out    %al,$0x64" },
	{ true, 9, "\xa0\x88\x77\x66\x55\x44\x33\x22\x11", "movabs 0x1122334455667788,%al" },
	{ true, 9, "\xa3\x88\x77\x66\x55\x44\x33\x22\x11", "movabs %eax,0x1122334455667788" },
	{ true, 4, "\xf0\x0f\xb1\x0b", "lock cmpxchg %ecx,(%rbx)" },
	{ true, 2, "\x0f\xa2", "cpuid" },
	{ true, 2, "\x0f\x31", "rdtsc" },
	{ true, 2, "\x0f\x05", "syscall" },
	{ true, 2, "\x0f\xc8", "bswap  %eax" },
	{ true, 5, "\xf2\x0f\x38\xf1\x03", "crc32l (%rbx),%eax" },
	{ true, 5, "\xf2\x0f\x38\xf0\x03", "crc32b (%rbx),%eax" },
	{ true, 4, "\xf3\x0f\xb8\x03", "popcnt (%rbx),%eax" },
	{ true, 4, "\xf3\x0f\x6f\x03", "movdqu (%rbx),%xmm0" },
	{ true, 5, "\x66\x0f\x6f\x4b\x10", "movdqa 0x10(%rbx),%xmm1" },
	{ true, 5, "\x66\x0f\x70\x03\x1b", "pshufd $0x1b,(%rbx),%xmm0" },
	{ true, 5, "\x66\x0f\x73\xd2\x04", "psrlq  $0x4,%xmm2" },
	{ true, 6, "\x66\x0f\x3a\x0f\x03\x03", "palignr $0x3,(%rbx),%xmm0" },
	{ true, 6, "\x66\x0f\x3a\x16\x03\x01", "pextrd $0x1,%xmm0,(%rbx)" },
	{ true, 4, "\xc5\xfe\x6f\x03", "vmovdqu (%rbx),%ymm0" },
	{ true, 8, "\xc5\x7e\x6f\x83\x00\x01\x00\x00", "vmovdqu 0x100(%rbx),%ymm8" },
	{ true, 5, "\xc5\xfd\x70\x03\x01", "vpshufd $0x1,(%rbx),%ymm0" },
	{ true, 6, "\xc4\xe3\xfd\x00\x03\x01", "vpermq $0x1,(%rbx),%ymm0" },
	{ true, 6, "\xc4\xe3\x7d\x02\x0b\x01", "vpblendd $0x1,(%rbx),%ymm0,%ymm1" },
	{ true, 3, "\xc5\xf8\x77", "vzeroupper" },
	{ true, 6, "\x62\xf1\x7e\x48\x6f\x03", "vmovdqu32 (%rbx),%zmm0" },
	{ true, 7, "\x62\xf1\xfe\x48\x6f\x4b\x01", "vmovdqu64 0x40(%rbx),%zmm1" },
	{ true, 7, "\x62\xf3\x75\x48\x25\x13\x12", "vpternlogd $0x12,(%rbx),%zmm1,%zmm2" },
	{ true, 4, "\x0f\xa4\x03\x03", "shld   $0x3,%eax,(%rbx)" },
	{ true, 4, "\x0f\xba\x23\x03", "btl    $0x3,(%rbx)" },
	{ true, 4, "\x48\x0f\xc7\x0b", "cmpxchg16b (%rbx)" },
	{ true, 2, "\x87\x03", "xchg   %eax,(%rbx)" },
	{ true, 3, "\x0f\xb6\x03", "movzbl (%rbx),%eax" },
	{ true, 5, "\x48\x0f\xbe\x43\x01", "movsbq 0x1(%rbx),%rax" },
	{ true, 5, "\x48\x8d\x44\x4b\x08", "lea    0x8(%rbx,%rcx,2),%rax" },
	{ true, 2, "\x6a\x12", "push   $0x12" },
	{ true, 5, "\x68\x78\x56\x34\x12", "push   $0x12345678" },
	{ true, 2, "\xdd\x03", "fldl   (%rbx)" },
	{ true, 2, "\xdd\xd9", "fstp   %st(1)" },
	{ true, 3, "\x0f\x01\xd0", "xgetbv" },
	{ true, 2, "\x0f\x09", "wbinvd" },
	{ true, 2, "\x0f\x0b", "ud2" },
	{ true, 3, "\x0f\xc3\x03", "movnti %eax,(%rbx)" },
	{ true, 3, "\x0f\x18\x0b", "prefetcht0 (%rbx)" },
	{ true, 3, "\x0f\x20\xc0", "mov    %cr0,%rax" },
	{ true, 2, "\xf3\xa4", "rep movsb %ds:(%rsi),%es:(%rdi)" },
	{ true, 8, "\x64\x8b\x04\x25\x10\x00\x00\x00", "mov    %fs:0x10,%eax" },
	{ true, 3, "\x67\x8b\x03", "mov    (%ebx),%eax" },
	{ false, 1, "\x90", "nop" },
	{ false, 2, "\x8b\x03", "mov    (%ebx),%eax" },
	{ false, 3, "\x8b\x43\x10", "mov    0x10(%ebx),%eax" },
	{ false, 3, "\x8b\x04\x8b", "mov    (%ebx,%ecx,4),%eax" },
	{ false, 5, "\xa1\x78\x56\x34\x12", "mov    0x12345678,%eax" },
	{ false, 5, "\xbb\x78\x56\x34\x12", "mov    $0x12345678,%ebx" },
	{ false, 4, "\x66\xbb\x34\x12", "mov    $0x1234,%bx" },
	{ false, 5, "\x66\xc7\x03\x34\x12", "movw   $0x1234,(%ebx)" },
	{ false, 5, "\x66\x81\x03\x34\x12", "addw   $0x1234,(%ebx)" },
	{ false, 4, "\x67\x66\x8b\x00", "mov    (%bx,%si),%ax" },
	{ false, 4, "\x67\x8b\x46\x10", "mov    0x10(%bp),%eax" },
	{ false, 4, "\x67\xa1\x34\x12", "addr16 mov 0x1234,%eax" },
	{ false, 7, "\x9a\x78\x56\x34\x12\x10\x00", "lcall  $0x10,$0x12345678" },
	{ false, 7, "\xea\x34\x12\x00\x00\x10\x00", "ljmp   $0x10,$0x1234" },
	{ false, 5, "\xa0\x78\x56\x34\x12", "mov    0x12345678,%al" },
	{ false, 1, "\x06", "push   %es" },
	{ false, 1, "\x60", "pusha" },
	{ false, 2, "\xd4\x0a", "aam    $0xa" },
	{ false, 5, "\xf2\x0f\x38\xf1\x03", "crc32l (%ebx),%eax" },
	{ false, 2, "\xc4\x03", "les    (%ebx),%eax" },
	{ false, 2, "\x62\x03", "bound  %eax,(%ebx)" },
	{ false, 4, "\xc5\xfe\x6f\x03", "vmovdqu (%ebx),%ymm0" },
	{ false, 5, "\xe8\xfb\xff\xff\xff", "call   0x51" },
	{ false, 6, "\x0f\x85\xfa\x0f\x00\x00", "jne    0x1056" },
	/* the corners a review found (GNU as; the last two by the manuals) */
	{ true, 6, "\x67\xa1\x78\x56\x34\x12", "addr32 mov 0x12345678,%eax" },
	{ true, 6, "\x8f\xe8\x78\xc0\xc1\x01", "vprotb $0x1,%xmm1,%xmm0 (XOP)" },
	{ true, 6, "\x8f\xe8\x70\xa2\xc2\x30", "vpcmov (XOP, is4)" },
	{ true, 9, "\x8f\xea\x78\x10\xd8\x34\x12\x00\x00", "bextr $0x1234,%eax,%ebx (XOP)" },
	{ true, 5, "\x8f\xe9\x78\x80\x03", "vfrczps (%rbx),%xmm0 (XOP)" },
	{ true, 8, "\x66\x48\xc7\xc0\x01\x00\x00\x00", "REX.W over 0x66: mov $1,%rax" },
	{ true, 3, "\x48\x66\x90", "a REX before a prefix is ignored" },
	{ true, 3, "\x40\x48\x90", "two REX: the last counts" },
};

TEST(lengths_as_the_assembler_gave_them)
{
	for (size_t i = 0; i < sizeof(insns) / sizeof(insns[0]); i++) {
		uint8_t b[32];
		memset(b, 0x90, sizeof(b));	/* what follows must not count */
		memcpy(b, insns[i].bytes, (size_t)insns[i].len);
		int got = x86_insn_len(b, sizeof(b), insns[i].long_mode, true);
		if (got != insns[i].len)
			printf("# %s (%s): %d, wanted %d\n", insns[i].what,
					insns[i].long_mode ? "64-bit" : "32-bit", got, insns[i].len);
		CHECK(got == insns[i].len);
	}
}

TEST(one_byte_short_is_an_error)
{
	for (size_t i = 0; i < sizeof(insns) / sizeof(insns[0]); i++) {
		int got = x86_insn_len((const uint8_t *)insns[i].bytes, (size_t)insns[i].len - 1,
				insns[i].long_mode, true);
		if (got != -EINVAL)
			printf("# %s short by one: %d\n", insns[i].what, got);
		CHECK(got == -EINVAL);
	}
}

TEST(sixteen_bit_code_is_not_decoded)
{
	static const uint8_t nop[] = { 0x90 };
	CHECK(x86_insn_len(nop, 1, false, false) == -ENOTSUP);
	/* 64-bit mode has no 0x06 (push es) and 15 bytes is the limit */
	static const uint8_t es[] = { 0x06 };
	CHECK(x86_insn_len(es, 1, true, true) == -EINVAL);
	uint8_t many[20];
	memset(many, 0x66, sizeof(many));
	CHECK(x86_insn_len(many, sizeof(many), true, true) == -EINVAL);
}

int main(void)
{
	RUN(lengths_as_the_assembler_gave_them);
	RUN(one_byte_short_is_an_error);
	RUN(sixteen_bit_code_is_not_decoded);
	TEST_EXIT();
}
