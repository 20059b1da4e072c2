/*
 * The multiboot kernel's entry: 32-bit protected mode, paging off, EAX the
 * boot loader's magic and EBX its information (the spec's state); a stack
 * of its own, then mb_main(magic, info), then halt.
 */
	.code32
	.section .text.start, "ax"
	.globl _start
_start:
	mov	$stack_top, %esp
	push	%ebx
	push	%eax
	call	mb_main
1:	cli
	hlt
	jmp	1b

	.bss
	.align 16
	.space 4096
stack_top:
