/*
 * start.S - entry point of the qvm x86_64 guest images.
 *
 * Every vCPU enters here at the same time, already in 64-bit long mode with
 * identity paging, flat segments, IF=0, no IDT and RSP=0. RDI holds the vCPU
 * index and RSI the vCPU count, which happen to be exactly the first two
 * SysV arguments of guest_main(cpu, ncpus), so they are left untouched.
 */
#include "arch.h"

	/* .text.start is placed first by guest.ld, so _start is the lowest
	 * address of the image (0x100000). */
	.section .text.start, "ax", @progbits
	.code64
	.globl	_start
	.type	_start, @function
_start:
	/* Interrupts are already off, but with no IDT any interrupt would be
	 * a triple fault, so make it explicit. cld is what the ABI expects of
	 * DF on entry to C code. */
	cli
	cld

	/* Only MAX_CPUS stacks exist; extra vCPUs park instead of sharing a
	 * stack and corrupting someone else's frames. */
	cmpq	$MAX_CPUS, %rdi
	jae	park

	/* Stack top = base + (index + 1) * STACK_SIZE. Each top is 16-byte
	 * aligned, which is the alignment the ABI requires just before a
	 * call. The image is linked below 2 GiB, so the 32-bit
	 * sign-extended displacement form of lea can reach `stacks`. */
	leaq	1(%rdi), %rax
	shlq	$14, %rax		/* * STACK_SIZE (16 KiB) */
	leaq	stacks(%rax), %rsp

	/* Terminate frame-pointer chains for anyone walking the stack. */
	xorl	%ebp, %ebp
	call	guest_main

	/* guest_main never returns; fall through to park just in case. */
park:
	cli
	hlt
	jmp	park
	.size	_start, . - _start

	/* The shift above hard-codes log2(STACK_SIZE). */
	.if	STACK_SIZE != (1 << 14)
	.error	"STACK_SIZE changed: update the shift in _start"
	.endif

	/* In .bss so it costs nothing in the ELF file; the loader and the
	 * zero-filled guest RAM provide the (irrelevant) initial contents. */
	.section .bss
	.balign	4096
	.type	stacks, @object
stacks:
	.skip	MAX_CPUS * STACK_SIZE
	.size	stacks, . - stacks

	/* No executable stack needed; silences the linker's warning. */
	.section .note.GNU-stack, "", @progbits
