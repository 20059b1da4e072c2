/*
 * idt.h - a minimal 64-bit interrupt descriptor table for the qvm x86_64
 * guest images.
 *
 * isr.S has one entry stub per vector, ISR_STUB_SIZE bytes apart; every
 * stub funnels into a common path that saves the caller-saved registers and
 * calls isr_dispatch(). idt_init() installs the 32 exception vectors, whose
 * default handler prints "guest exception N at RIP 0x..." and halts;
 * idt_set_handler() installs any other vector. Vectors that were never
 * installed stay not-present, so a stray interrupt on one of them shows up
 * as exception 11 (#NP) instead of going unnoticed.
 *
 * The constants block is also included by isr.S.
 */
#ifndef QVM_GUEST_IDT_H
#define QVM_GUEST_IDT_H

#define IDT_VECTORS      256
#define IDT_EXCEPTIONS   32     /* vectors 0-31 are the CPU's exceptions */
#define ISR_STUB_SIZE    16     /* bytes between two stubs in isr.S */

/* Exceptions for which the CPU pushes an error code: #DF #TS #NP #SS #GP
 * #PF #AC #CP #VC #SX. Their stubs must not push a dummy one. */
#define ISR_HAS_ERROR_CODE(v) \
	((v) == 8 || (v) == 10 || (v) == 11 || (v) == 12 || (v) == 13 || \
	 (v) == 14 || (v) == 17 || (v) == 21 || (v) == 29 || (v) == 30)

/* Byte offsets in struct isr_frame, for isr.S. */
#define ISR_FRAME_VECTOR 72
#define ISR_FRAME_SIZE   128

#ifndef __ASSEMBLER__

#include <stddef.h>
#include <stdint.h>

/*
 * The stack as isr.S leaves it for isr_dispatch(), lowest address first:
 * the saved caller-saved registers, the vector and error code the stub
 * pushed (0 if the CPU pushed none), then the CPU's own interrupt frame.
 * A handler may change the saved registers or rip; they are restored.
 */
struct isr_frame {
	uint64_t r11, r10, r9, r8, rdi, rsi, rdx, rcx, rax;
	uint64_t vector;
	uint64_t error_code;
	uint64_t rip, cs, rflags, rsp, ss;
};

_Static_assert(offsetof(struct isr_frame, vector) == ISR_FRAME_VECTOR,
		"isr.S and struct isr_frame disagree");
_Static_assert(sizeof(struct isr_frame) == ISR_FRAME_SIZE,
		"isr.S and struct isr_frame disagree");

/* Runs with interrupts off (interrupt gates). An interrupt handler must
 * quiet its source and send the EOI itself; this layer knows no APIC. */
typedef void (*idt_handler_t)(struct isr_frame *frame);

/* Fill the exception vectors with the default handler and lidt the table.
 * Call once, with interrupts off, before idt_set_handler(). */
void idt_init(void);

/* Route vector (any of 0-255, an exception included) to handler. */
void idt_set_handler(unsigned vector, idt_handler_t handler);

/* Called by isr.S only. */
void isr_dispatch(uint64_t vector, struct isr_frame *frame);

#endif /* !__ASSEMBLER__ */

#endif /* QVM_GUEST_IDT_H */
