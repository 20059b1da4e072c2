/*
 * vectors.S - an EL1 exception vector table for the tests that expect a
 * fault or an interrupt: a synchronous exception from the current EL (SPx)
 * calls fault_handler(esr, far, elr) in C, which returns the address to go
 * on at; an IRQ calls irq_handler() (by default: park); anything else
 * parks. 2 KiB aligned, 16 entries of 128 bytes.
 */
/* the caller-saved registers C may use, and the link register */
	.macro	save_regs
	sub	sp, sp, #176
	stp	x0, x1, [sp, #0]
	stp	x2, x3, [sp, #16]
	stp	x4, x5, [sp, #32]
	stp	x6, x7, [sp, #48]
	stp	x8, x9, [sp, #64]
	stp	x10, x11, [sp, #80]
	stp	x12, x13, [sp, #96]
	stp	x14, x15, [sp, #112]
	stp	x16, x17, [sp, #128]
	stp	x18, x30, [sp, #144]
	.endm
	.macro	restore_regs
	ldp	x0, x1, [sp, #0]
	ldp	x2, x3, [sp, #16]
	ldp	x4, x5, [sp, #32]
	ldp	x6, x7, [sp, #48]
	ldp	x8, x9, [sp, #64]
	ldp	x10, x11, [sp, #80]
	ldp	x12, x13, [sp, #96]
	ldp	x14, x15, [sp, #112]
	ldp	x16, x17, [sp, #128]
	ldp	x18, x30, [sp, #144]
	add	sp, sp, #176
	.endm

	.section .text.vectors, "ax", %progbits
	.balign	2048
	.globl	el1_vectors
el1_vectors:
	.rept	4			/* current EL with SP_EL0: unused */
	.balign	128
	b	vec_park
	.endr
	.balign	128			/* current EL with SPx: synchronous */
	b	vec_sync
	.balign	128			/* IRQ */
	b	vec_irq
	.rept	2			/* FIQ, SError */
	.balign	128
	b	vec_park
	.endr
	.rept	8			/* lower EL: unused */
	.balign	128
	b	vec_park
	.endr

vec_sync:
	save_regs
	mrs	x0, esr_el1
	mrs	x1, far_el1
	mrs	x2, elr_el1
	bl	fault_handler
	msr	elr_el1, x0
	restore_regs
	eret
/* ELR and SPSR are not touched by irq_handler(): eret returns to them */
vec_irq:
	save_regs
	bl	irq_handler
	restore_regs
	eret

/* an image without interrupts of its own */
	.weak	irq_handler
	.type	irq_handler, %function
irq_handler:
vec_park:
	wfi
	b	vec_park

	.section .note.GNU-stack, "", %progbits
