/*
 * idt.c - the IDT and the C side of interrupt dispatch (see idt.h).
 *
 * One table for every vCPU: it is built once and only ever read by the
 * CPUs, so vCPUs other than the one that built it may lidt it too.
 */
#include "idt.h"
#include "guest.h"

#define KERNEL_CS        0x08   /* the boot GDT's 64-bit code segment */
#define GATE_INTERRUPT64 0x8e   /* present, DPL0, 64-bit interrupt gate (clears IF) */
#define VECTOR_PF        14

/* One 16-byte long-mode gate descriptor. */
struct idt_gate {
	uint16_t offset_lo;
	uint16_t selector;
	uint8_t ist;            /* 0: stay on the current stack */
	uint8_t type_attr;
	uint16_t offset_mid;
	uint32_t offset_hi;
	uint32_t reserved;
};

_Static_assert(sizeof(struct idt_gate) == 16, "a long-mode gate is 16 bytes");

/* The operand of lidt. */
struct idt_pointer {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

extern const char isr_stubs[];  /* isr.S */

static struct idt_gate idt[IDT_VECTORS] __attribute__((aligned(16)));
static idt_handler_t handlers[IDT_VECTORS];

static void set_gate(unsigned vector)
{
	uint64_t stub = (uintptr_t)isr_stubs + (uint64_t)vector * ISR_STUB_SIZE;
	struct idt_gate *g = &idt[vector];

	g->offset_lo = (uint16_t)stub;
	g->selector = KERNEL_CS;
	g->ist = 0;
	g->offset_mid = (uint16_t)(stub >> 16);
	g->offset_hi = (uint32_t)(stub >> 32);
	g->reserved = 0;
	/* Present last, so a half-written gate is never live. */
	barrier();
	g->type_attr = GATE_INTERRUPT64;
}

void idt_init(void)
{
	struct idt_pointer ptr = {
		.limit = sizeof(idt) - 1,
		.base = (uintptr_t)idt,
	};

	for (unsigned v = 0; v < IDT_EXCEPTIONS; v++)
		set_gate(v);
	__asm__ volatile("lidt %0" : : "m"(ptr) : "memory");
}

void idt_set_handler(unsigned vector, idt_handler_t handler)
{
	if (vector >= IDT_VECTORS)
		return;
	/* The handler must be in place before its gate can be taken. */
	handlers[vector] = handler;
	barrier();
	set_gate(vector);
}

/* The default for vectors nobody claimed: report and stop this vCPU. */
_Noreturn static void unhandled(uint64_t vector, const struct isr_frame *f)
{
	serial_puts(vector < IDT_EXCEPTIONS ? "guest exception " : "guest interrupt ");
	serial_put_dec(vector);
	serial_puts(" at RIP 0x");
	serial_put_hex(f->rip, 16);
	serial_puts("\n");
	if (vector < IDT_EXCEPTIONS && ISR_HAS_ERROR_CODE(vector)) {
		serial_puts("guest exception error code 0x");
		serial_put_hex(f->error_code, 8);
		serial_puts("\n");
	}
	if (vector == VECTOR_PF) {
		uint64_t cr2;
		__asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
		serial_puts("guest exception address 0x");
		serial_put_hex(cr2, 16);
		serial_puts("\n");
	}
	halt_forever();
}

void isr_dispatch(uint64_t vector, struct isr_frame *frame)
{
	idt_handler_t h = handlers[vector % IDT_VECTORS];

	if (h)
		h(frame);
	else
		unhandled(vector, frame);
}
