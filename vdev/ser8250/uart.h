/*
 * uart.h - the 16550 register model of the ser8250 vdev, without the SDK,
 * so that it is tested on its own (tests/unit/test_uart.c).
 *
 * Transmission takes no time: THR is always empty again by the time the
 * guest looks (LSR.THRE and TEMT always set), and each byte written starts
 * a new THR-empty interrupt. Received bytes wait in a FIFO of 16 bytes (1
 * with FCR.0 clear). In loopback (MCR.4) transmitted bytes are received,
 * the host's input waits, and MSR follows MCR's outputs.
 *
 * Interrupts, by priority as IIR reports them: line status (an overrun,
 * IER.2), received data (IER.0: 0x4 at the FCR trigger level, else 0x0c,
 * the character timeout, at once), THR empty (IER.1; cleared by reading
 * IIR or writing THR). Modem-status changes are not modelled.
 */
#ifndef QVM_UART_H
#define QVM_UART_H

#include <stdbool.h>
#include <stdint.h>

#define UART_FIFO	16

enum {
	UART_RBR_THR_DLL = 0, UART_IER_DLM = 1, UART_IIR_FCR = 2, UART_LCR = 3, UART_MCR = 4,
	UART_LSR = 5, UART_MSR = 6, UART_SCR = 7, UART_NREGS = 8,
};

struct uart {
	uint8_t rx[UART_FIFO];
	unsigned rx_head, rx_count;
	uint8_t ier, lcr, mcr, scr, dll, dlm, fcr;
	bool thre;		/* a THR-empty interrupt is due */
	bool overrun;		/* LSR.OE until LSR is read */
	bool event;		/* a new interrupt condition since uart_take_event */
};

/* What a transmitted byte becomes outside loopback. */
typedef void uart_tx_fn(void *ctx, uint8_t c);

/* The chip after reset, its divisor as firmware leaves it (115200 baud). */
void uart_reset(struct uart *u);
uint8_t uart_read(struct uart *u, unsigned off);
void uart_write(struct uart *u, unsigned off, uint8_t val, uart_tx_fn *tx, void *ctx);
/* A byte from the host: false when there is no room for it now (wait, then again). */
bool uart_rx(struct uart *u, uint8_t c);
/* IIR as a read would return it, without a read's effect. */
uint8_t uart_iir(const struct uart *u);
/* Is an interrupt pending (the line asserted)? */
bool uart_irq(const struct uart *u);
/*
 * Did a new interrupt condition arise since the last call (a byte written,
 * a byte received)? The line must then rise again even if it is high, so
 * that an edge-triggered controller sees it.
 */
bool uart_take_event(struct uart *u);

#endif
