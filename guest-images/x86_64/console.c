/*
 * console.c - the x86_64 guest console: a polled 16550 on the COM1 ports.
 *
 * Every port access is a VM exit, so the output path is kept to one LSR
 * poll per byte plus the THR write; there is no buffering on purpose, as
 * the guest has nothing better to do while a byte drains.
 */
#include "guest.h"

/* Only the boot vCPU calls this, before anyone prints. Minimal setup a real
 * driver would do; the divisor is left alone because the emulated UART has
 * no baud rate to get wrong. */
void serial_init(void)
{
	outb(UART_LCR, UART_LCR_8N1);      /* also clears DLAB */
	outb(UART_IER, 0);                 /* we poll, never take interrupts */
	outb(UART_FCR, UART_FCR_ENABLE_CLEAR);
}

void serial_putc(char c)
{
	while (!(inb(UART_LSR) & UART_LSR_THRE))
		cpu_relax();
	outb(UART_THR, (uint8_t)c);
}

/* quit-on-halt (the demo configurations set it) ends qvm once every vCPU halted. */
_Noreturn void guest_finish(void)
{
	halt_forever();
}
