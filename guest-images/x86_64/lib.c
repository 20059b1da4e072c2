/*
 * lib.c - polled 16550 console output for the qvm x86_64 guest images.
 *
 * Every port access is a VM exit, so the output path is kept to one LSR
 * poll per byte plus the THR write; there is no buffering on purpose, as
 * the guest has nothing better to do while a byte drains.
 */
#include "lib.h"

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

/* No "\n" -> "\r\n" translation: the output lands in a Linux pipe/terminal
 * and tests grep for the exact lines. */
void serial_puts(const char *s)
{
	while (*s)
		serial_putc(*s++);
}

void serial_put_hex(uint64_t val, unsigned digits)
{
	static const char hex[] = "0123456789abcdef";

	if (digits > 16)        /* keep the shift below 64 bits */
		digits = 16;
	while (digits--)
		serial_putc(hex[(val >> (digits * 4)) & 0xf]);
}

void serial_put_dec(uint64_t val)
{
	char buf[20];   /* 2^64 - 1 has 20 decimal digits */
	unsigned n = 0;

	/* Digits come out least significant first, so stash then reverse. */
	do {
		buf[n++] = (char)('0' + val % 10);
		val /= 10;
	} while (val);

	while (n)
		serial_putc(buf[--n]);
}
