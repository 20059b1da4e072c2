/*
 * print.c - console output for the guest images, over the architecture's
 * serial_putc(). Every console access is a VM exit, so nothing is
 * buffered: the guest has nothing better to do while a byte drains.
 */
#include "guest.h"

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
