/*
 * start.S - entry points of the qvm aarch64 guest images.
 *
 * _start: the boot vCPU, as the Linux arm64 boot protocol leaves it: EL1h,
 * MMU off, interrupts masked, x0 = the FDT. _secondary: a vCPU started
 * with PSCI CPU_ON by boot.c, x0 = its index (the context id). Each gets
 * its own stack and enters C: arm64_boot(fdt) or arm64_secondary(index).
 */
#include "arch.h"

	.section .text.start, "ax", %progbits
	.globl	_start
	.type	_start, %function
_start:
	msr	daifset, #0xf
	mov	x19, x0
	/* no FP/SIMD traps: the compiler may use them for copies */
	mov	x1, #(3 << 20)
	msr	cpacr_el1, x1
	isb
	adrp	x1, stacks
	add	x1, x1, :lo12:stacks
	mov	x2, #STACK_SIZE
	add	sp, x1, x2
	mov	x0, x19
	bl	arm64_boot
	b	park
	.size	_start, . - _start

	.globl	_secondary
	.type	_secondary, %function
_secondary:
	msr	daifset, #0xf
	mov	x1, #(3 << 20)
	msr	cpacr_el1, x1
	isb
	cmp	x0, #MAX_CPUS
	b.hs	park
	adrp	x1, stacks
	add	x1, x1, :lo12:stacks
	add	x2, x0, #1
	lsl	x2, x2, #14		/* * STACK_SIZE */
	add	sp, x1, x2
	bl	arm64_secondary
park:
	wfi
	b	park
	.size	_secondary, . - _secondary

	.if	STACK_SIZE != (1 << 14)
	.error	"STACK_SIZE changed: update the shift in _secondary"
	.endif

	.section .bss
	.balign	16
	.type	stacks, %object
stacks:
	.skip	MAX_CPUS * STACK_SIZE
	.size	stacks, . - stacks

	.section .note.GNU-stack, "", %progbits
