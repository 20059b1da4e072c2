/*
 * console.c - the aarch64 guest console: a polled PL011, found in the FDT.
 */
#include "guest.h"

#define PL011_DR	0x000
#define PL011_FR	0x018
#define PL011_CR	0x030
#define PL011_IMSC	0x038
#define FR_TXFF		(1u << 5)
#define CR_UARTEN_TXE	0x101

void serial_init(void)
{
	if (!uart_base)
		return;
	mmio_write32(uart_base + PL011_IMSC, 0);	/* we poll */
	mmio_write32(uart_base + PL011_CR, CR_UARTEN_TXE);
}

void serial_putc(char c)
{
	if (!uart_base)
		return;	/* no console in the FDT: output goes nowhere */
	while (mmio_read32(uart_base + PL011_FR) & FR_TXFF)
		cpu_relax();
	mmio_write32(uart_base + PL011_DR, (uint8_t)c);
}
