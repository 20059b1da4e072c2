/*
 * The ser8250's 16550 register model (vdev/ser8250/uart.c) on its own:
 * what Linux's 8250 driver probes (IER read back, loopback, the THRE test),
 * the interrupt priorities and how each is cleared, the receive FIFO and
 * its trigger levels, overruns, and host input held back while the FIFO is
 * full or loopback is on.
 */
#include "uart.h"
#include "test.h"

static uint8_t sent[64];
static unsigned nsent;

static void tx(void *ctx, uint8_t c)
{
	(void)ctx;
	if (nsent < sizeof(sent))
		sent[nsent++] = c;
}

static struct uart fresh(void)
{
	struct uart u;

	uart_reset(&u);
	nsent = 0;
	return u;
}

TEST(probe_as_linux_does)
{
	struct uart u = fresh();

	/* IER keeps only its four bits; the scratch register holds a byte */
	uart_write(&u, UART_IER_DLM, 0xff, tx, NULL);
	CHECK(uart_read(&u, UART_IER_DLM) == 0x0f);
	uart_write(&u, UART_IER_DLM, 0, tx, NULL);
	uart_write(&u, UART_SCR, 0xa5, tx, NULL);
	CHECK(uart_read(&u, UART_SCR) == 0xa5);
	/* the divisor behind DLAB, 115200 baud to start with */
	uart_write(&u, UART_LCR, 0x80, tx, NULL);
	CHECK(uart_read(&u, UART_RBR_THR_DLL) == 12 && uart_read(&u, UART_IER_DLM) == 0);
	uart_write(&u, UART_RBR_THR_DLL, 1, tx, NULL);
	CHECK(uart_read(&u, UART_RBR_THR_DLL) == 1 && nsent == 0);
	uart_write(&u, UART_LCR, 0x03, tx, NULL);
	/* loopback: MSR follows MCR's outputs (0x1f -> 0xf0 less the deltas), THR comes back */
	uart_write(&u, UART_MCR, 0x1f, tx, NULL);
	CHECK((uart_read(&u, UART_MSR) & 0xf0) == 0xf0);
	uart_write(&u, UART_MCR, 0x10 | 0x0a, tx, NULL);
	CHECK((uart_read(&u, UART_MSR) & 0xf0) == 0x90);	/* what the kernel checks */
	uart_write(&u, UART_RBR_THR_DLL, 'L', tx, NULL);
	CHECK((uart_read(&u, UART_LSR) & 0x01) && uart_read(&u, UART_RBR_THR_DLL) == 'L');
	CHECK(nsent == 0 && !(uart_read(&u, UART_LSR) & 0x01));
	/* host input waits while loopback is on */
	CHECK(!uart_rx(&u, 'h'));
	uart_write(&u, UART_MCR, 0x0b, tx, NULL);
	CHECK(uart_rx(&u, 'h'));
	/* FIFOs on: IIR's top bits say so */
	uart_write(&u, UART_IIR_FCR, 0x01, tx, NULL);
	CHECK((uart_iir(&u) & 0xc0) == 0xc0);
}

TEST(thre_interrupt_as_the_kernel_tests_it)
{
	struct uart u = fresh();

	CHECK(!uart_irq(&u) && uart_read(&u, UART_IIR_FCR) == 0x01);
	/* enabling THRI with THR empty raises it at once; reading IIR clears it */
	uart_write(&u, UART_IER_DLM, 0x02, tx, NULL);
	CHECK(uart_irq(&u) && uart_take_event(&u));
	CHECK(uart_read(&u, UART_IIR_FCR) == 0x02 && !uart_irq(&u));
	uart_write(&u, UART_IER_DLM, 0, tx, NULL);
	uart_write(&u, UART_IER_DLM, 0x02, tx, NULL);	/* and again: no UART_BUG_THRE */
	CHECK(uart_read(&u, UART_IIR_FCR) == 0x02);
	/* each byte sent is a new THR-empty interrupt, a new edge */
	uart_take_event(&u);
	uart_write(&u, UART_RBR_THR_DLL, 'a', tx, NULL);
	CHECK(uart_irq(&u) && uart_take_event(&u) && nsent == 1 && sent[0] == 'a');
	CHECK(!uart_take_event(&u));
	/* LSR: THR and the transmitter always empty */
	CHECK((uart_read(&u, UART_LSR) & 0x60) == 0x60);
	/* THRI off: no interrupt though THR is empty */
	uart_write(&u, UART_IER_DLM, 0, tx, NULL);
	CHECK(!uart_irq(&u));
}

TEST(received_data_by_priority_and_trigger_level)
{
	struct uart u = fresh();

	/* no FIFO: room for one byte */
	CHECK(uart_rx(&u, '1') && !uart_rx(&u, '2'));
	CHECK(!uart_irq(&u));			/* RDI not enabled */
	uart_write(&u, UART_IER_DLM, 0x03, tx, NULL);
	CHECK(uart_read(&u, UART_IIR_FCR) == 0x04);	/* data before THR empty */
	CHECK(uart_read(&u, UART_RBR_THR_DLL) == '1');
	CHECK(uart_read(&u, UART_IIR_FCR) == 0x02);	/* now THR empty */
	CHECK(!uart_irq(&u));
	/* FIFO with a trigger level of 4: below it the character timeout (0x0c) */
	uart_write(&u, UART_IIR_FCR, 0x41, tx, NULL);
	for (int i = 0; i < 3; i++)
		CHECK(uart_rx(&u, (uint8_t)('a' + i)));
	CHECK(uart_iir(&u) == 0xcc);
	CHECK(uart_rx(&u, 'd') && uart_iir(&u) == 0xc4);
	for (int i = 4; i < UART_FIFO; i++)
		CHECK(uart_rx(&u, 'x'));
	CHECK(!uart_rx(&u, 'y'));	/* full: the host waits */
	CHECK(uart_read(&u, UART_RBR_THR_DLL) == 'a' && uart_rx(&u, 'y'));
	/* FCR bit 1 empties the FIFO */
	uart_write(&u, UART_IIR_FCR, 0x43, tx, NULL);
	CHECK(!(uart_read(&u, UART_LSR) & 0x01) && !uart_irq(&u));
}

TEST(overrun_in_loopback_is_a_line_status_interrupt)
{
	struct uart u = fresh();

	uart_write(&u, UART_IER_DLM, 0x05, tx, NULL);
	uart_write(&u, UART_MCR, 0x10, tx, NULL);
	uart_write(&u, UART_RBR_THR_DLL, '1', tx, NULL);
	uart_write(&u, UART_RBR_THR_DLL, '2', tx, NULL);	/* no FIFO: '2' is lost */
	CHECK(uart_read(&u, UART_IIR_FCR) == 0x06);		/* line status first */
	CHECK(uart_read(&u, UART_LSR) & 0x02);			/* OE, cleared by reading LSR */
	CHECK(uart_read(&u, UART_IIR_FCR) == 0x04);
	CHECK(uart_read(&u, UART_RBR_THR_DLL) == '1' && !uart_irq(&u));
}

int main(void)
{
	RUN(probe_as_linux_does);
	RUN(thre_interrupt_as_the_kernel_tests_it);
	RUN(received_data_by_priority_and_trigger_level);
	RUN(overrun_in_loopback_is_a_line_status_interrupt);
	TEST_EXIT();
}
