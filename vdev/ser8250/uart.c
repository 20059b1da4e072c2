/* The 16550 register model (uart.h). */
#include "uart.h"

#include <string.h>

enum {
	LCR_DLAB = 0x80,
	MCR_LOOP = 0x10,
	MCR_MASK = 0x1f,
	IER_RDI = 0x01, IER_THRI = 0x02, IER_RLSI = 0x04, IER_MASK = 0x0f,
	FCR_ENABLE = 0x01, FCR_CLEAR_RX = 0x02, FCR_TRIGGER = 0xc0,
	IIR_NO_INT = 0x01, IIR_MSI = 0x00, IIR_THRI = 0x02, IIR_RDI = 0x04, IIR_RLSI = 0x06,
	IIR_TIMEOUT = 0x0c, IIR_FIFO = 0xc0,
	LSR_DR = 0x01, LSR_OE = 0x02, LSR_THRE = 0x20, LSR_TEMT = 0x40,
	MSR_CTS = 0x10, MSR_DSR = 0x20, MSR_RI = 0x40, MSR_DCD = 0x80,
};

/* 115200 baud from the usual 1.8432 MHz clock, what firmware leaves set. */
#define DEFAULT_DIVISOR	12

void uart_reset(struct uart *u)
{
	memset(u, 0, sizeof(*u));
	u->dll = DEFAULT_DIVISOR;
}

static unsigned capacity(const struct uart *u)
{
	return (u->fcr & FCR_ENABLE) ? UART_FIFO : 1;
}

/* Into the receive FIFO: false if it is full. */
static bool push(struct uart *u, uint8_t c)
{
	if (u->rx_count >= capacity(u))
		return false;
	u->rx[(u->rx_head + u->rx_count++) % UART_FIFO] = c;
	u->event = true;
	return true;
}

static uint8_t pop(struct uart *u)
{
	if (!u->rx_count)
		return 0;
	uint8_t c = u->rx[u->rx_head];
	u->rx_head = (u->rx_head + 1) % UART_FIFO;
	u->rx_count--;
	return c;
}

uint8_t uart_iir(const struct uart *u)
{
	static const unsigned trigger[4] = { 1, 4, 8, 14 };
	uint8_t fifo = (u->fcr & FCR_ENABLE) ? IIR_FIFO : 0;

	if ((u->ier & IER_RLSI) && u->overrun)
		return fifo | IIR_RLSI;
	if ((u->ier & IER_RDI) && u->rx_count) {
		unsigned level = (u->fcr & FCR_ENABLE) ? trigger[u->fcr >> 6] : 1;
		return fifo | (u->rx_count >= level ? IIR_RDI : IIR_TIMEOUT);
	}
	if ((u->ier & IER_THRI) && u->thre)
		return fifo | IIR_THRI;
	return fifo | IIR_NO_INT;
}

bool uart_irq(const struct uart *u)
{
	return !(uart_iir(u) & IIR_NO_INT);
}

bool uart_take_event(struct uart *u)
{
	bool e = u->event;

	u->event = false;
	return e;
}

/* The modem status lines as the loopback wiring feeds MCR back into them. */
static uint8_t loopback_msr(uint8_t mcr)
{
	uint8_t msr = 0;

	if (mcr & 0x02)
		msr |= MSR_CTS;
	if (mcr & 0x01)
		msr |= MSR_DSR;
	if (mcr & 0x04)
		msr |= MSR_RI;
	if (mcr & 0x08)
		msr |= MSR_DCD;
	return msr;
}

uint8_t uart_read(struct uart *u, unsigned off)
{
	bool dlab = (u->lcr & LCR_DLAB) != 0;
	uint8_t v;

	switch (off) {
	case UART_RBR_THR_DLL:
		return dlab ? u->dll : pop(u);
	case UART_IER_DLM:
		return dlab ? u->dlm : u->ier;
	case UART_IIR_FCR:
		v = uart_iir(u);
		if ((v & 0x0f) == IIR_THRI)
			u->thre = false;	/* reading IIR that says so clears it */
		return v;
	case UART_LCR:
		return u->lcr;
	case UART_MCR:
		return u->mcr;
	case UART_LSR:
		v = LSR_THRE | LSR_TEMT | (u->rx_count ? LSR_DR : 0) | (u->overrun ? LSR_OE : 0);
		u->overrun = false;
		return v;
	case UART_MSR:
		/* Without loopback: a peer that is always there and ready. */
		return (u->mcr & MCR_LOOP) ? loopback_msr(u->mcr) : MSR_DCD | MSR_DSR | MSR_CTS;
	case UART_SCR:
		return u->scr;
	default:
		return 0xff;	/* like an unpopulated bus */
	}
}

static void transmit(struct uart *u, uint8_t c, uart_tx_fn *tx, void *ctx)
{
	if (u->mcr & MCR_LOOP) {
		if (!push(u, c)) {
			u->overrun = true;	/* the byte is lost, as on the chip */
			u->event = true;
		}
	} else if (tx) {
		tx(ctx, c);
	}
	u->thre = true;		/* sent at once: THR is empty again */
	u->event = true;
}

void uart_write(struct uart *u, unsigned off, uint8_t val, uart_tx_fn *tx, void *ctx)
{
	bool dlab = (u->lcr & LCR_DLAB) != 0;

	switch (off) {
	case UART_RBR_THR_DLL:
		if (dlab)
			u->dll = val;
		else
			transmit(u, val, tx, ctx);
		break;
	case UART_IER_DLM:
		if (dlab) {
			u->dlm = val;
			break;
		}
		/* enabling the THR-empty interrupt with THR empty raises it at once */
		if (!(u->ier & IER_THRI) && (val & IER_THRI))
			u->thre = true;
		if ((val & ~u->ier) & IER_MASK)
			u->event = true;
		u->ier = val & IER_MASK;
		break;
	case UART_IIR_FCR:
		/* turning the FIFOs on or off empties them */
		if ((val ^ u->fcr) & FCR_ENABLE)
			val |= FCR_CLEAR_RX;
		if (val & FCR_CLEAR_RX)
			u->rx_count = u->rx_head = 0;
		u->fcr = val & (FCR_ENABLE | FCR_TRIGGER);
		break;
	case UART_LCR:
		u->lcr = val;
		break;
	case UART_MCR:
		u->mcr = val & MCR_MASK;
		break;
	case UART_SCR:
		u->scr = val;
		break;
	default:
		break;	/* LSR, MSR are read-only; out of range is ignored */
	}
}

bool uart_rx(struct uart *u, uint8_t c)
{
	if (u->mcr & MCR_LOOP)
		return false;	/* the receiver hears the transmitter only */
	return push(u, c);
}
