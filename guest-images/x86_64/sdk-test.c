/*
 * sdk-test.c - qvm x86_64 guest exercising the vdev SDK through the
 * "sdktest" vdev: registers of two instances, DMA into guest memory, an
 * I/O-port region with its own cookie, timers, a vdev thread, a level
 * interrupt through the IOAPIC, vdev_path() and guest_terminate().
 *
 * Only vCPU 0 runs the test; it prints one line per step and tests grep
 * those lines, so their format must not change. A step that does not get
 * the expected answer prints a different line instead, one that does not
 * contain the expected one (never hangs: every wait is bounded), and the
 * test goes on. The last step asks the vdev to end qvm with exit code 42.
 *
 * All sdktest registers are 32 bits wide and only ever accessed with 32-bit
 * moves (mmio_read32/mmio_write32).
 */
#include <stdbool.h>

#include "idt.h"
#include "guest.h"

/* ---- The sdktest vdev ---- */

#define SDK_BASE        0xfa100000UL    /* instance 1 */
#define SDK2_BASE       0xfa101000UL    /* instance 2 */

#define SDK_ID          0x00    /* R: SDK_ID_VALUE */
#define SDK_SCRATCH     0x04    /* RW: reads the last value written */
#define SDK_DMA_ADDR    0x08    /* W: guest-physical address of a buffer */
#define SDK_DMA_LEN     0x0c    /* W: its length in bytes */
#define SDK_DMA_CMD     0x10    /* W: SDK_CMD_* on that buffer */
#define SDK_DMA_SUM     0x14    /* R: byte sum of the buffer before the last command */
#define SDK_ONESHOT     0x18    /* W: one-shot timer, N ms */
#define SDK_PERIODIC    0x1c    /* W: periodic timer, N ms (0 stops it) */
#define SDK_TICKS       0x20    /* R: timer callbacks so far, both timers */
#define SDK_IRQ         0x24    /* W: 1 asserts the interrupt line, 0 deasserts */
#define SDK_THREAD      0x28    /* R: +1 every 100 ms by a vdev thread */
#define SDK_PATH_OK     0x2c    /* R: 1 if a file could be made in vdev_path() */
#define SDK_REGION      0x30    /* R: 1 if guest address 0 is a RAM region */
#define SDK_EXIT        0x34    /* W: guest_terminate(value) */
#define SDK_SOFT        0x38    /* W: 1 claims SDK_SOFT_PORT while running, 0 drops it */
#define SDK_BUSERR      0x3c    /* R: the vdev answers VRS_BUS_ERROR: a #GP here */

#define SDK_ID_VALUE    0x53444b31u     /* "SDK1" */
#define SDK_CMD_UPPER_CONTIG 1          /* uppercase, via gasp_map_contig */
#define SDK_CMD_UPPER_SYS    2          /* uppercase, via gasp_map_sys */
#define SDK_CMD_REVERSE      3          /* reverse, via guest_cpu_read/write */

#define SDK_IO_PORT     0x510   /* the vdev's I/O region (0x510-0x513) */
#define SDK_SOFT_PORT   0x520   /* claimed with gasp_region_set_soft (cookie + 1) */
#define TRACE_A         0xfa000000u     /* two instances of the trace vdev */
#define TRACE_B         0xfa001000u
#define SDK_IRQ_PIN     10      /* intr ioapic:10, level, active high */
#define SDK_EXIT_CODE   42

#define SCRATCH1_VALUE  0x1234abcdu
#define SCRATCH2_VALUE  0x0badf00du
#define ONESHOT_MS      30
#define PERIODIC_MS     20
#define PERIODIC_TICKS  5

/* ---- Interrupt controllers (KVM's in-kernel ones) ---- */

#define LAPIC_BASE      0xfee00000UL
#define LAPIC_TPR       0x80
#define LAPIC_EOI       0xb0
#define LAPIC_SVR       0xf0
#define LAPIC_LVT_LINT0 0x350
#define LAPIC_SVR_ENABLE 0x100
#define LAPIC_LVT_MASKED 0x10000

#define IOAPIC_BASE     0xfec00000UL
#define IOAPIC_REGSEL   0x00
#define IOAPIC_WIN      0x10
#define IOAPIC_REDTBL(pin) (0x10 + 2 * (pin))   /* low dword; high is +1 */
#define IOAPIC_LEVEL    (1u << 15)              /* trigger mode: level */

#define PIC1_DATA       0x21    /* 8259 master, interrupt mask (OCW1) */
#define PIC2_DATA       0xa1    /* 8259 slave */

#define SDK_VECTOR      0x40
#define SPURIOUS_VECTOR 0xff

/* ---- Waiting ---- */

/* pause instructions between two polls of a register: every poll is a VM
 * exit, and on hosts where the guest's code is emulated one pause already
 * costs a microsecond or two. */
#define POLL_PAUSES     100

/* Upper bounds of the waits are measured with the TSC, whose rate is not
 * known here: assume 3 GHz (it is ~2.6 GHz on the test machines), which
 * keeps a bound within a small factor of what it says. Bounds are generous,
 * they only turn a hang into a failure line. */
#define TSC_PER_MS      3000000ull
#define TIMER_WAIT_MS   2000
#define THREAD_WAIT_MS  1000
#define IRQ_WAIT_MS     1000
#define IRQ_QUIET_MS    20      /* how long a storm has to show itself */
/* Deliveries after the handler dropped the line that still count as "no
 * storm". On hosts whose /dev/kvm is PVM (kvm_pvm), a level-triggered
 * IOAPIC interrupt is delivered once more ~0.6 ms after the first handler
 * deasserted it and sent the EOI (the LAPIC keeps the vector in IRR), and
 * then never again; a line that is really left asserted comes back every
 * ~0.6 ms there, and right after each EOI on hardware. */
#define IRQ_REPEATS_TOLERATED 1

/* DMA buffers: 16 bytes of text and a guard the vdev must leave alone. The
 * alignment keeps each one inside a single page. */
#define DMA_LEN         16
#define GUARD_BYTE      '#'

struct dma_buf {
	char data[DMA_LEN] __attribute__((nonstring));
	char guard[16] __attribute__((nonstring));
} __attribute__((aligned(32)));

/* In .data, where the vdev reads and writes them by guest-physical address
 * (identity mapping: the address of the object is that address). */
static struct dma_buf dma_buf1 = {
	.data = "hello, dma world",
	.guard = "################",
};
static struct dma_buf dma_buf2 = {
	.data = "mixed Case text!",
	.guard = "################",
};

/* irq_line_up: the guest asserted the line and no handler has dropped it
 * yet. irq_count: deliveries while it was up (the one expected);
 * irq_repeats: deliveries after it was dropped. */
static volatile bool irq_line_up;
static volatile unsigned irq_count;
static volatile unsigned irq_repeats;

static uint32_t sdk_read(uint32_t reg)
{
	return mmio_read32(SDK_BASE + reg);
}

static void sdk_write(uint32_t reg, uint32_t val)
{
	mmio_write32(SDK_BASE + reg, val);
}

static void poll_delay(void)
{
	for (unsigned i = 0; i < POLL_PAUSES; i++)
		cpu_relax();
}

static uint64_t deadline_after(unsigned ms)
{
	return rdtsc() + ms * TSC_PER_MS;
}

static bool expired(uint64_t deadline)
{
	return (int64_t)(rdtsc() - deadline) >= 0;
}

/* Wait for THREAD to advance n times (n >= 2 means at least (n-1) * 100 ms
 * passed). False if it did not within timeout_ms. */
static bool wait_thread(unsigned n, unsigned timeout_ms)
{
	uint32_t start = sdk_read(SDK_THREAD);
	uint64_t deadline = deadline_after(timeout_ms);

	while (sdk_read(SDK_THREAD) - start < n) {
		if (expired(deadline))
			return false;
		poll_delay();
	}
	return true;
}

/* Poll TICKS until it went up by count from base (wrap-safe) or timeout_ms
 * passed; returns the last value read. */
static uint32_t wait_ticks(uint32_t base, uint32_t count, unsigned timeout_ms)
{
	uint64_t deadline = deadline_after(timeout_ms);
	uint32_t now;

	while ((now = sdk_read(SDK_TICKS)) - base < count && !expired(deadline))
		poll_delay();
	return now;
}

/* ---- Output ---- */

static void put_hex32(uint32_t val)
{
	serial_puts("0x");
	serial_put_hex(val, 8);
}

static void put_line_hex(const char *prefix, uint32_t val)
{
	serial_puts(prefix);
	put_hex32(val);
	serial_puts("\n");
}

static void put_line_dec(const char *prefix, uint64_t val)
{
	serial_puts(prefix);
	serial_put_dec(val);
	serial_puts("\n");
}

/* ---- Steps ---- */

static void test_scratch(void)
{
	mmio_write32(SDK_BASE + SDK_SCRATCH, SCRATCH1_VALUE);
	mmio_write32(SDK2_BASE + SDK_SCRATCH, SCRATCH2_VALUE);
	uint32_t v1 = mmio_read32(SDK_BASE + SDK_SCRATCH);
	uint32_t v2 = mmio_read32(SDK2_BASE + SDK_SCRATCH);

	serial_puts("sdk scratch: ");
	put_hex32(v1);
	serial_puts(" ");
	put_hex32(v2);
	serial_puts("\n");
}

/* Run one DMA command on buf; returns DMA_SUM as read afterwards. */
static uint32_t dma_command(struct dma_buf *buf, uint32_t cmd)
{
	sdk_write(SDK_DMA_ADDR, (uint32_t)(uintptr_t)buf->data);
	sdk_write(SDK_DMA_LEN, DMA_LEN);
	sdk_write(SDK_DMA_CMD, cmd);
	/* mmio_write32's memory clobber makes the reads below see what the
	 * vdev wrote. */
	for (unsigned i = 0; i < sizeof(buf->guard); i++) {
		if (buf->guard[i] != GUARD_BYTE) {
			serial_puts("sdk dma: command ");
			serial_put_dec(cmd);
			serial_puts(" wrote past the buffer\n");
			break;
		}
	}
	return sdk_read(SDK_DMA_SUM);
}

static void put_dma_line(const char *prefix, const struct dma_buf *buf)
{
	serial_puts(prefix);
	for (unsigned i = 0; i < DMA_LEN; i++)
		serial_putc(buf->data[i]);
}

static uint32_t byte_sum(const struct dma_buf *buf)
{
	uint32_t sum = 0;

	for (unsigned i = 0; i < DMA_LEN; i++)
		sum += (uint8_t)buf->data[i];
	return sum;
}

static void test_dma(void)
{
	uint32_t expect = byte_sum(&dma_buf1);
	uint32_t sum = dma_command(&dma_buf1, SDK_CMD_UPPER_CONTIG);

	put_dma_line("sdk dma contig: ", &dma_buf1);
	serial_puts(" sum=");
	serial_put_dec(sum);
	serial_puts("\n");
	if (sum != expect)
		put_line_dec("sdk dma contig: expected sum=", expect);

	dma_command(&dma_buf1, SDK_CMD_REVERSE);
	put_dma_line("sdk dma reverse: ", &dma_buf1);
	serial_puts("\n");

	dma_command(&dma_buf2, SDK_CMD_UPPER_SYS);
	put_dma_line("sdk dma sys: ", &dma_buf2);
	serial_puts("\n");
}

static void test_timers(void)
{
	uint32_t t0 = sdk_read(SDK_TICKS);
	uint32_t now;

	sdk_write(SDK_ONESHOT, ONESHOT_MS);
	now = wait_ticks(t0, 1, TIMER_WAIT_MS);
	if (now == t0) {
		serial_puts("sdk oneshot: did not fire\n");
	} else {
		/* Give a one-shot that wrongly repeats (every 30 ms) time to
		 * do so: at least 100 ms. */
		if (!wait_thread(2, THREAD_WAIT_MS))
			serial_puts("sdk timers: THREAD did not advance\n");
		now = sdk_read(SDK_TICKS);
		if (now - t0 == 1)
			serial_puts("sdk oneshot: fired\n");
		else
			put_line_dec("sdk oneshot: wrong tick count: ", now - t0);
	}

	uint32_t base = sdk_read(SDK_TICKS);

	sdk_write(SDK_PERIODIC, PERIODIC_MS);
	now = wait_ticks(base, PERIODIC_TICKS, TIMER_WAIT_MS);
	sdk_write(SDK_PERIODIC, 0);
	if (now - base >= PERIODIC_TICKS)
		serial_puts("sdk periodic: 5 ticks\n");
	else
		put_line_dec("sdk periodic: only ticks: ", now - base);

	/* At 20 ms a running timer would tick at least 5 times in 100 ms. A
	 * timed-out wait took a whole second, long enough as well. */
	uint32_t before = sdk_read(SDK_TICKS);
	wait_thread(2, THREAD_WAIT_MS);
	uint32_t after = sdk_read(SDK_TICKS);

	if (after == before)
		serial_puts("sdk periodic: stopped\n");
	else
		serial_puts("sdk periodic: still running\n");
}

static void lapic_write(uint32_t reg, uint32_t val)
{
	mmio_write32(LAPIC_BASE + reg, val);
}

static void ioapic_write(uint32_t reg, uint32_t val)
{
	mmio_write32(IOAPIC_BASE + IOAPIC_REGSEL, reg);
	mmio_write32(IOAPIC_BASE + IOAPIC_WIN, val);
}

/* Level-triggered: the line stays asserted until the vdev is told to drop
 * it, so quiet the device before the EOI or the IOAPIC delivers again. */
static void sdk_irq_handler(struct isr_frame *frame)
{
	(void)frame;
	if (irq_line_up) {
		irq_line_up = false;
		irq_count = irq_count + 1;
	} else {
		irq_repeats = irq_repeats + 1;
	}
	sdk_write(SDK_IRQ, 0);
	lapic_write(LAPIC_EOI, 0);
}

/* The LAPIC's spurious vector: no EOI for those. */
static void spurious_handler(struct isr_frame *frame)
{
	(void)frame;
}

static void test_irq(void)
{
	idt_init();
	idt_set_handler(SDK_VECTOR, sdk_irq_handler);
	idt_set_handler(SPURIOUS_VECTOR, spurious_handler);

	/* KVM also routes GSIs 0-15 to its 8259s, which start unmasked and
	 * reach vCPU 0 through LINT0 (ExtINT): shut that second path so the
	 * line only arrives through the IOAPIC. */
	outb(PIC1_DATA, 0xff);
	outb(PIC2_DATA, 0xff);

	lapic_write(LAPIC_SVR, LAPIC_SVR_ENABLE | SPURIOUS_VECTOR);
	lapic_write(LAPIC_TPR, 0);
	lapic_write(LAPIC_LVT_LINT0, LAPIC_LVT_MASKED);

	/* High dword first (destination APIC ID 0 in bits 56-63), then the low
	 * one, which unmasks the entry: fixed delivery, physical destination,
	 * active high, level triggered. */
	ioapic_write(IOAPIC_REDTBL(SDK_IRQ_PIN) + 1, 0);
	ioapic_write(IOAPIC_REDTBL(SDK_IRQ_PIN), SDK_VECTOR | IOAPIC_LEVEL);

	irq_line_up = true;
	__asm__ volatile("sti" ::: "memory");
	sdk_write(SDK_IRQ, 1);

	uint64_t deadline = deadline_after(IRQ_WAIT_MS);
	while (irq_count == 0 && !expired(deadline))
		cpu_relax();
	/* A line that is not really dropped comes back after the EOI: keep
	 * interrupts on a little longer to catch that. */
	deadline = deadline_after(IRQ_QUIET_MS);
	while (!expired(deadline))
		cpu_relax();
	__asm__ volatile("cli" ::: "memory");

	unsigned n = irq_count, repeats = irq_repeats;
	if (n == 0) {
		serial_puts("sdk irq: no interrupt\n");
	} else if (repeats > IRQ_REPEATS_TOLERATED) {
		put_line_dec("sdk irq: storm, deliveries after the deassert: ", repeats);
	} else {
		serial_puts("sdk irq: 1 interrupt\n");
		if (repeats)
			serial_puts("sdk irq: note: delivered once more after deassert and EOI "
					"(kvm_pvm quirk, tolerated)\n");
	}
}

static void test_thread(void)
{
	uint32_t first = sdk_read(SDK_THREAD);

	if (wait_thread(1, THREAD_WAIT_MS))
		serial_puts("sdk thread: advancing\n");
	else
		put_line_dec("sdk thread: stuck at ", first);
}

/*
 * A vdev's VRS_BUS_ERROR reaches the guest as #GP after the access
 * completed: the handler counts it and returns past the faulting read.
 */
static volatile unsigned gp_count;
static volatile uint64_t gp_rip;

static void gp_handler(struct isr_frame *frame)
{
	if (gp_count && frame->rip == gp_rip) {
		serial_puts("sdk bus error: the fault repeats at the same RIP\n");
		halt_forever();
	}
	gp_count++;
	gp_rip = frame->rip;
}

static void test_bus_error(void)
{
	idt_set_handler(13, gp_handler);
	(void)sdk_read(SDK_BUSERR);
	if (gp_count == 1)
		serial_puts("sdk bus error: #GP delivered\n");
	else
		put_line_dec("sdk bus error: faults seen: ", gp_count);
}

_Noreturn static void sdk_test(void)
{
	serial_init();
	serial_puts("sdk test: start\n");

	put_line_hex("sdk id: ", sdk_read(SDK_ID));
	test_scratch();
	test_dma();
	put_line_hex("sdk region: ", inl(SDK_IO_PORT));
	put_line_dec("sdk region info: ", sdk_read(SDK_REGION));
	/* A region added and removed while the guest runs (gasp_region_set_soft). */
	sdk_write(SDK_SOFT, 1);
	put_line_hex("sdk soft region: ", inl(SDK_SOFT_PORT));
	sdk_write(SDK_SOFT, 0);
	put_line_hex("sdk soft removed: ", inl(SDK_SOFT_PORT));
	/* Two trace instances: each answers at its own loc (only tr-a logs). */
	mmio_read32(TRACE_A);
	mmio_read32(TRACE_B);
	serial_puts("sdk traces: read\n");
	test_timers();
	test_irq();
	test_bus_error();
	test_thread();
	put_line_dec("sdk path: ", sdk_read(SDK_PATH_OK));

	serial_puts("sdk test: done\n");
	sdk_write(SDK_EXIT, SDK_EXIT_CODE);

	serial_puts("sdk test: still running after EXIT\n");
	halt_forever();
}

_Noreturn void guest_main(unsigned cpu, unsigned ncpus)
{
	(void)ncpus;
	if (cpu != 0)
		halt_forever();
	sdk_test();
}
