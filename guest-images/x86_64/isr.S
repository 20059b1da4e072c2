/*
 * isr.S - interrupt and exception entry stubs for the qvm x86_64 guest
 * images (see idt.h).
 *
 * Stub N sits at isr_stubs + N * ISR_STUB_SIZE. It makes every frame look
 * the same: a dummy error code of 0 when the CPU pushed none, then the
 * vector. isr_common saves the registers a C function may clobber (the
 * callee-saved ones are preserved by the dispatcher itself), calls
 * isr_dispatch(vector, frame), restores them, drops vector and error code
 * and returns with iretq.
 *
 * Stack alignment: the CPU aligns RSP down to 16 bytes before pushing its
 * 5-quadword frame, so after it RSP = 8 (mod 16); error code and vector
 * make that 8, the 9 saved registers make it 0: aligned for the call, as
 * the ABI wants.
 */
#include "idt.h"

	.text
	.code64

	.balign	ISR_STUB_SIZE
	.globl	isr_stubs
	.type	isr_stubs, @function
isr_stubs:
	.set	vec, 0
	.rept	IDT_VECTORS
	/* .org refuses to move backwards: an oversized stub fails the build
	 * instead of shifting every later stub off its slot. */
	.org	isr_stubs + vec * ISR_STUB_SIZE, 0xcc
	.if	ISR_HAS_ERROR_CODE(vec)
	.else
	pushq	$0
	.endif
	pushq	$vec
	jmp	isr_common
	.set	vec, vec + 1
	.endr
	.org	isr_stubs + IDT_VECTORS * ISR_STUB_SIZE, 0xcc
	.size	isr_stubs, . - isr_stubs

	.type	isr_common, @function
isr_common:
	pushq	%rax
	pushq	%rcx
	pushq	%rdx
	pushq	%rsi
	pushq	%rdi
	pushq	%r8
	pushq	%r9
	pushq	%r10
	pushq	%r11

	/* The interrupted code may have had DF set; C code expects it clear.
	 * iretq restores the interrupted RFLAGS, DF included. */
	cld
	movq	ISR_FRAME_VECTOR(%rsp), %rdi	/* vector */
	movq	%rsp, %rsi			/* struct isr_frame * */
	call	isr_dispatch

	popq	%r11
	popq	%r10
	popq	%r9
	popq	%r8
	popq	%rdi
	popq	%rsi
	popq	%rdx
	popq	%rcx
	popq	%rax
	addq	$16, %rsp			/* vector and error code */
	iretq
	.size	isr_common, . - isr_common

	.section .note.GNU-stack, "", @progbits
