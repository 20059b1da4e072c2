/*
 * user.S - a GDT with user segments, and the one-way drop to CPL3.
 *
 * The hypervisor's GDT only has ring-0 descriptors, so enter_user() loads
 * this one, reloads CS (far return) and the data segments from it, and
 * irets to CPL3. There is no TSS and no IDT: nothing at CPL3 may fault or
 * be interrupted (IF stays 0), and nothing ever comes back to CPL0.
 *
 * void enter_user(void (*entry)(void), void *stack_top)   -- never returns
 */

#define KERNEL_CS	0x08
#define KERNEL_DS	0x10
#define USER_DS		(0x18 | 3)
#define USER_CS		(0x20 | 3)
/* IOPL=3 (in/out at CPL3 without an I/O bitmap), IF=0, bit 1 reserved-1. */
#define USER_RFLAGS	0x3002

	.section .data
	.balign	16
	.type	user_gdt, @object
user_gdt:
	.quad	0			/* null */
	.quad	0x00af9b000000ffff	/* 0x08: 64-bit code, DPL0 */
	.quad	0x00cf93000000ffff	/* 0x10: flat data, DPL0 */
	.quad	0x00cff3000000ffff	/* 0x18: flat data, DPL3 */
	.quad	0x00affb000000ffff	/* 0x20: 64-bit code, DPL3 */
user_gdt_end:
	.size	user_gdt, . - user_gdt

	.balign	16
	.type	user_gdt_ptr, @object
user_gdt_ptr:
	.word	user_gdt_end - user_gdt - 1
	.quad	user_gdt
	.size	user_gdt_ptr, . - user_gdt_ptr

	.text
	.code64
	.globl	enter_user
	.type	enter_user, @function
enter_user:
	lgdt	user_gdt_ptr(%rip)

	/* Reload CS from the new table. */
	pushq	$KERNEL_CS
	leaq	1f(%rip), %rax
	pushq	%rax
	lretq
1:
	movl	$KERNEL_DS, %eax
	movl	%eax, %ss
	movl	$USER_DS, %eax
	movl	%eax, %ds
	movl	%eax, %es
	xorl	%eax, %eax
	movl	%eax, %fs
	movl	%eax, %gs

	/* The entry is a C function that sees a call's stack layout: RSP+8
	 * 16-byte aligned, so leave a (never used) return-address slot. */
	andq	$-16, %rsi
	subq	$8, %rsi

	pushq	$USER_DS		/* SS */
	pushq	%rsi			/* RSP */
	pushq	$USER_RFLAGS		/* RFLAGS */
	pushq	$USER_CS		/* CS */
	pushq	%rdi			/* RIP */
	iretq
	.size	enter_user, . - enter_user

	.section .note.GNU-stack, "", @progbits
