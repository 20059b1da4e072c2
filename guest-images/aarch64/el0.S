/*
 * el0.S - the one-way drop to EL0 of the measuring guest: its enter_user().
 *
 * void enter_user(void (*entry)(void), void *stack_top)   -- never returns
 *
 * EL0 may read the virtual counter and its frequency (CNTKCTL_EL1.EL0VCTEN),
 * and runs with D, A, I and F masked: there is nothing to take an exception
 * to, and nothing comes back to EL1.
 */
	.text
	.globl	enter_user
	.type	enter_user, %function
enter_user:
	mrs	x2, cntkctl_el1
	orr	x2, x2, #(1 << 1)	/* EL0VCTEN */
	msr	cntkctl_el1, x2
	and	x1, x1, #~15
	msr	sp_el0, x1
	msr	elr_el1, x0
	mov	x2, #0x3c0		/* EL0t, DAIF masked */
	msr	spsr_el1, x2
	isb
	eret
	.size	enter_user, . - enter_user

	.section .note.GNU-stack, "", %progbits
