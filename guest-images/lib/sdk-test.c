/*
 * sdk-test.c - qvm guest (x86_64 and aarch64) exercising the vdev SDK
 * through the "sdktest" vdev: registers of two instances, DMA into guest
 * memory, a region of its own with its own cookie (I/O ports on x86,
 * memory on arm64), timers, a vdev thread, a level interrupt (through the
 * IOAPIC, or the GIC), a bus error's fault, vdev_path() and
 * guest_terminate(). What differs by architecture is in
 * guest-images/<arch>/sdk-arch.c (sdk-test.h).
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

#include "guest.h"
#include "sdk-test.h"

/* ---- The sdktest vdev ---- */

#define SDK_ID          0x00    /* R: SDK_ID_VALUE */
#define SDK_SCRATCH     0x04    /* RW: reads the last value written */
#define SDK_DMA_ADDR    0x08    /* W: guest-physical address of a buffer */
#define SDK_DMA_LEN     0x0c    /* W: its length in bytes */
#define SDK_DMA_CMD     0x10    /* W: SDK_CMD_* on that buffer */
#define SDK_DMA_SUM     0x14    /* R: byte sum of the buffer before the last command */
#define SDK_ONESHOT     0x18    /* W: one-shot timer, N ms */
#define SDK_PERIODIC    0x1c    /* W: periodic timer, N ms (0 stops it) */
#define SDK_TICKS       0x20    /* R: timer callbacks so far, both timers */
#define SDK_THREAD      0x28    /* R: +1 every 100 ms by a vdev thread */
#define SDK_PATH_OK     0x2c    /* R: 1 if a file could be made in vdev_path() */
#define SDK_REGION      0x30    /* R: 1 if the last DMA address is in a RAM region */
#define SDK_EXIT        0x34    /* W: guest_terminate(value) */
#define SDK_SOFT        0x38    /* W: 1 claims the run-time region, 0 drops it */
#define SDK_BUSERR      0x3c    /* R: the vdev answers VRS_BUS_ERROR: a #GP here */
#define SDK_PULSE       0x40    /* W: a timer whose pulse comes back; R: pulses << 8 | code */
#define SDK_MSI_ADDR    0x44    /* W: the address of the MSI below */
#define SDK_MSI         0x48    /* W: guest_msi_signal(the address, this data) */
#define SDK_CPUREG_OFF  0x4c    /* W: an offset into CPU_REGISTERS */
#define SDK_CPUREG      0x50    /* R: the register there (low half); it is written back + 1 */
#define SDK_CPUREG_ERR  0x54    /* R: errors of the last CPUREG: read << 8 | write-back */
#define SDK_VIRT_LO     0x58    /* W: a guest-virtual address, low half */
#define SDK_VIRT_HI     0x5c    /* W: its high half */
#define SDK_VIRT        0x60    /* RW: 4 bytes there, through the vdev */
#define SDK_PEER_ADDR   0x64    /* W: an address of another vdev */
#define SDK_PEER_SPACE  0x68    /* W: its space (a qst_type) */
#define SDK_PEER        0x6c    /* RW: 4 bytes there, through the vdev */
#define SDK_PEER_ERR    0x70    /* R: the errno of the last PEER access */
#define SDK_CPUREG_ADD  0x74    /* W: what CPUREG adds to the register (1 at first) */
#define SDK_RAM_ADDR    0x78    /* W: a page of RAM */
#define SDK_RAM_PERM    0x7c    /* W: its permissions: 1 read-only (writes to the vdev),
                                   2 all, 3 none (reads to the vdev) */
#define SDK_RAM_ERR     0x80    /* R: errno of the last RAM_PERM */
#define SDK_RAM_WRITES  0x84    /* R: writes the vdev saw on the page */
#define SDK_RAM_LAST    0x88    /* R: the last of them */
#define SDK_BILL        0x8c    /* W: N ms of billable vdev work (guest_clock_start/stop) */
#define SDK_POWER_NOW   0x90    /* R: vCPUs waiting or off, now */
#define SDK_POWER_SEEN  0x94    /* R: notifications of vCPU 1 waiting or off */
#define SDK_POWER_LAST  0x98    /* R: the state the last one saw */
#define SDK_SPLIT       0xfa110000u     /* `split`: 3 pages, the middle one removed */

#define SDK_ID_VALUE    0x53444b31u     /* "SDK1" */
#define SDK_CMD_UPPER_CONTIG 1          /* uppercase, via gasp_map_contig */
#define SDK_CMD_UPPER_SYS    2          /* uppercase, via gasp_map_sys */
#define SDK_CMD_REVERSE      3          /* reverse, via guest_cpu_read/write */
#define SDK_CMD_UPPER_VDMA   4          /* uppercase, via the 8.0 gasp_map_vdma */
#define SDK_CMD_LOWER_HANDLE 5          /* lowercase, via a gasp_map handle */

#define SDK_SOFT_OFF    0x10    /* the run-time region (gasp_region_set_soft, cookie + 1) */
#define TRACE_A         0xfa000000u     /* two instances of the trace vdev */
#define TRACE_B         0xfa001000u
#define SDK_EXIT_CODE   42
#define NOWHERE         0xfa200000u     /* no vdev, no memory */

#define SCRATCH1_VALUE  0x1234abcdu
#define SCRATCH2_VALUE  0x0badf00du
#define ONESHOT_MS      30
#define PERIODIC_MS     20
#define PERIODIC_TICKS  5

/* ---- Waiting ---- */

/* pause instructions between two polls of a register: every poll is a VM
 * exit, and on hosts where the guest's code is emulated one pause already
 * costs a microsecond or two. */
#define POLL_PAUSES     100

/* Upper bounds of the waits, by the architecture's clock (sdk_arch_ticks).
 * Bounds are generous: they only turn a hang into a failure line. */
#define TIMER_WAIT_MS   2000
#define THREAD_WAIT_MS  1000
#define IRQ_WAIT_MS     1000
#define IRQ_QUIET_MS    20      /* how long a storm has to show itself */
#define UART_WAIT_MS    3000    /* for the console's input (its vdev's `delayed 500`) */
/* Deliveries after the handler dropped the line that still count as "no
 * storm". On x86 hosts whose /dev/kvm is PVM (kvm_pvm), a level-triggered
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
static struct dma_buf dma_buf3 = {
	.data = "The 8.0 Mapping.",
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
	return sdk_arch_ticks() + ms * sdk_arch_ticks_per_ms();
}

static bool expired(uint64_t deadline)
{
	return (int64_t)(sdk_arch_ticks() - deadline) >= 0;
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

	dma_command(&dma_buf3, SDK_CMD_UPPER_VDMA);
	put_dma_line("sdk dma vdma: ", &dma_buf3);
	serial_puts("\n");
	dma_command(&dma_buf3, SDK_CMD_LOWER_HANDLE);
	put_dma_line("sdk dma handle: ", &dma_buf3);
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

/* Level-triggered: the line stays asserted until the vdev is told to drop
 * it, so quiet the device before the end of interrupt (the architecture's
 * handler sends it after this) or the controller delivers again. */
void sdk_irq(void)
{
	if (irq_line_up) {
		irq_line_up = false;
		irq_count = irq_count + 1;
	} else {
		irq_repeats = irq_repeats + 1;
	}
	sdk_write(SDK_IRQ, 0);
}

static void test_irq(void)
{
	sdk_arch_irq_init();
	irq_line_up = true;
	sdk_arch_irq_enable(true);
	sdk_write(SDK_IRQ, 1);

	uint64_t deadline = deadline_after(IRQ_WAIT_MS);
	while (irq_count == 0 && !expired(deadline))
		cpu_relax();
	/* A line that is not really dropped comes back after the EOI: keep
	 * interrupts on a little longer to catch that. */
	deadline = deadline_after(IRQ_QUIET_MS);
	while (!expired(deadline))
		cpu_relax();
	sdk_arch_irq_enable(false);

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

static volatile unsigned msi_count;

void sdk_msi(void)
{
	msi_count = msi_count + 1;
}

/* guest_msi_signal(): the message interrupts this vCPU at its vector, once. */
static void test_msi(void)
{
	uint32_t addr, data;

	if (!sdk_arch_msi(&addr, &data)) {
		serial_puts("sdk msi: none on this architecture\n");
		return;
	}
	sdk_arch_irq_enable(true);
	sdk_write(SDK_MSI_ADDR, addr);
	sdk_write(SDK_MSI, data);
	uint64_t deadline = deadline_after(IRQ_WAIT_MS);
	while (msi_count == 0 && !expired(deadline))
		cpu_relax();
	deadline = deadline_after(IRQ_QUIET_MS);	/* no second one */
	while (!expired(deadline))
		cpu_relax();
	sdk_arch_irq_enable(false);
	put_line_dec("sdk msi: interrupts ", msi_count);
}

/* A POSIX timer whose event vdev_pulse() made calls the vdev back with its code. */
static void test_pulse(void)
{
	uint64_t deadline = deadline_after(THREAD_WAIT_MS);
	uint32_t v;

	sdk_write(SDK_PULSE, 1);
	while (((v = sdk_read(SDK_PULSE)) >> 8) == 0 && !expired(deadline))
		poll_delay();
	put_line_dec("sdk pulse: code ", v & 0xff);
	put_line_dec("sdk pulses: ", v >> 8);
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
 * A vdev's VRS_BUS_ERROR reaches the guest as a fault (#GP on x86 after the
 * access completed, a synchronous external abort on arm64): the
 * architecture's handler reports it here and the guest goes on past the
 * faulting read.
 */
static volatile unsigned fault_count;
static volatile uint64_t fault_pc;

void sdk_bus_fault(uint64_t pc)
{
	if (fault_count && pc == fault_pc) {
		serial_puts("sdk bus error: the fault repeats at the same pc\n");
		halt_forever();
	}
	fault_count++;
	fault_pc = pc;
}

/* The next fault may come from an instruction that faulted before: not a loop. */
static void fault_expected(void)
{
	fault_pc = 0;
}

static void test_bus_error(void)
{
	sdk_arch_fault_init();
	fault_expected();
	(void)sdk_read(SDK_BUSERR);
	if (fault_count == 1) {
		serial_puts("sdk bus error: ");
		serial_puts(sdk_arch_fault_name);
		serial_puts(" delivered\n");
	} else {
		put_line_dec("sdk bus error: faults seen: ", fault_count);
	}
}

/* guest_cpu_read/write of QST_CPUREGS: the vdev reads a register, and writes it back + 1. */
static void test_cpuregs(void)
{
	uint64_t reg = 0x1122334455667788ull, pc;
	uint32_t v;

	sdk_write(SDK_CPUREG_OFF, sdk_arch_reg_off);
	v = sdk_arch_reg_access(SDK_BASE + SDK_CPUREG, &reg);
	serial_puts("sdk cpuregs: read ");
	put_hex32(v);
	serial_puts(", register now ");
	put_hex32((uint32_t)reg);
	serial_puts(reg >> 32 == 0x11223344u ? "\n" : ", its upper half changed\n");
	put_line_dec("sdk cpuregs errors: ", sdk_read(SDK_CPUREG_ERR));

	/* the instruction pointer: the access's own; written, the vCPU resumes there */
	bool skipped;
	sdk_write(SDK_CPUREG_OFF, sdk_arch_pc_off);
	v = sdk_arch_pc_access(SDK_BASE + SDK_CPUREG, SDK_BASE + SDK_CPUREG_ADD, &pc, &skipped);
	sdk_write(SDK_CPUREG_ADD, 1);
	if (v == (uint32_t)pc) {
		serial_puts("sdk cpuregs pc: the access's own\n");
	} else {
		serial_puts("sdk cpuregs pc: read ");
		put_hex32(v);
		serial_puts(", the access is at ");
		put_hex32((uint32_t)pc);
		serial_puts("\n");
	}
	serial_puts(skipped ? "sdk cpuregs pc write: resumed there\n" :
			"sdk cpuregs pc write: ran on after the access\n");
	put_line_dec("sdk cpuregs pc errors: ", sdk_read(SDK_CPUREG_ERR));
}

static volatile uint32_t virt_word = 0xfeedbeefu;

static void set_virt(uint64_t va)
{
	sdk_write(SDK_VIRT_LO, (uint32_t)va);
	sdk_write(SDK_VIRT_HI, (uint32_t)(va >> 32));
}

/* guest_cpu_read/write of QST_VIRTUAL, through this vCPU's page tables */
static void test_virtual(void)
{
	uint64_t va, unmapped;

	sdk_arch_virtual(&virt_word, &va, &unmapped);
	set_virt(va);
	put_line_hex("sdk virtual read: ", sdk_read(SDK_VIRT));
	sdk_write(SDK_VIRT, 0x600dcafeu);
	put_line_hex("sdk virtual write: ", virt_word);
	/* the vdev's read answers guest_cpu_to_vrs(-1); its write asks qvm to report it */
	set_virt(unmapped);
	unsigned before = fault_count;
	fault_expected();
	(void)sdk_read(SDK_VIRT);
	fault_expected();
	sdk_write(SDK_VIRT, 1);
	put_line_dec("sdk virtual faults: ", fault_count - before);
}

/* guest_cpu_read/write at another vdev's registers */
static void test_peer(void)
{
	mmio_write32(SDK_BASE + SDK_PEER_SPACE, 0);	/* QST_MEMORY */
	mmio_write32(SDK_BASE + SDK_PEER_ADDR, SDK2_BASE + SDK_SCRATCH);
	mmio_write32(SDK_BASE + SDK_PEER, 0x5ca1ab1eu);
	uint32_t direct = mmio_read32(SDK2_BASE + SDK_SCRATCH);
	uint32_t via = mmio_read32(SDK_BASE + SDK_PEER);
	serial_puts("sdk peer: ");
	put_hex32(direct);
	serial_puts(" ");
	put_hex32(via);
	serial_puts("\n");

	/* sdk2 reads the region sdk1 added at startup (a port on x86) */
	mmio_write32(SDK2_BASE + SDK_PEER_SPACE, sdk_arch_region_space);
	mmio_write32(SDK2_BASE + SDK_PEER_ADDR, sdk_arch_region_addr);
	put_line_hex("sdk peer region: ", mmio_read32(SDK2_BASE + SDK_PEER));

	/* sdk1 its own register: its VFF_MUTEX is held while it runs */
	mmio_write32(SDK_BASE + SDK_PEER_ADDR, SDK_BASE + SDK_SCRATCH);
	(void)mmio_read32(SDK_BASE + SDK_PEER);
	put_line_dec("sdk peer self: errno ", mmio_read32(SDK_BASE + SDK_PEER_ERR));

	mmio_write32(SDK_BASE + SDK_PEER_ADDR, NOWHERE);
	unsigned before = fault_count;
	fault_expected();
	(void)mmio_read32(SDK_BASE + SDK_PEER);
	put_line_dec("sdk peer nowhere: faults ", fault_count - before);

	/* a DMA command on sdk2's register, without a vCPU (gcp NULL): reversed */
	sdk_write(SDK_DMA_ADDR, SDK2_BASE + SDK_SCRATCH);
	sdk_write(SDK_DMA_LEN, 4);
	sdk_write(SDK_DMA_CMD, SDK_CMD_REVERSE);
	put_line_hex("sdk peer dma: ", mmio_read32(SDK2_BASE + SDK_SCRATCH));
}

/* gasp_region_set_soft on guest RAM: read-only, nothing, all again */
static void test_ram(void)
{
	volatile uint32_t *page = (volatile uint32_t *)sdk_arch_ram_page;

	*page = 0x11111111u;
	sdk_write(SDK_RAM_ADDR, (uint32_t)sdk_arch_ram_page);
	sdk_write(SDK_RAM_PERM, 1);
	*page = 0x22222222u;
	serial_puts("sdk ram read-only: ");
	put_hex32(*page);
	serial_puts(", the vdev saw ");
	serial_put_dec(sdk_read(SDK_RAM_WRITES));
	serial_puts(" write of ");
	put_hex32(sdk_read(SDK_RAM_LAST));
	serial_puts("\n");
	sdk_write(SDK_RAM_PERM, 3);
	put_line_hex("sdk ram trapped read: ", *page);
	sdk_write(SDK_RAM_PERM, 2);
	*page = 0x33333333u;
	serial_puts("sdk ram restored: ");
	put_hex32(*page);
	serial_puts(", the vdev saw ");
	serial_put_dec(sdk_read(SDK_RAM_WRITES));
	serial_puts("\n");
	put_line_dec("sdk ram errors: ", sdk_read(SDK_RAM_ERR));

	/* a page taken out of RAM at startup, and the one below it */
	volatile uint32_t *hole = (volatile uint32_t *)sdk_arch_ram_hole;
	hole[-1] = 0x44444444u;
	serial_puts("sdk ram hole: ");
	put_hex32(*hole);
	serial_puts(", below it ");
	put_hex32(hole[-1]);
	serial_puts("\n");

	/* a region of three pages whose middle one was removed at startup */
	serial_puts("sdk split: ");
	put_hex32(mmio_read32(SDK_SPLIT));
	serial_puts(" ");
	put_hex32(mmio_read32(SDK_SPLIT + 0x1000));
	serial_puts(" ");
	put_hex32(mmio_read32(SDK_SPLIT + 0x2000));
	serial_puts("\n");
}

/* The console's input (ser8250 through qvm/cdev.h): the test types "ping". */
static void test_uart_input(void)
{
	char line[8];
	unsigned n = 0;
	uint64_t deadline = deadline_after(UART_WAIT_MS);
	int c;

	for (c = sdk_arch_uart_getc(); n < sizeof(line) - 1 && !expired(deadline);
			c = sdk_arch_uart_getc()) {
		if (c == -2) {
			serial_puts("sdk uart: no input on this architecture\n");
			return;
		}
		if (c < 0) {
			poll_delay();
			continue;
		}
		if (c == '\n')
			break;
		line[n++] = (char)c;
	}
	line[n] = '\0';
	serial_puts("sdk uart read: ");
	serial_puts(n ? line : "(nothing)");
	serial_puts("\n");
}

_Noreturn static void sdk_test(void)
{
	serial_init();
	serial_puts("sdk test: start\n");

	put_line_hex("sdk id: ", sdk_read(SDK_ID));
	test_scratch();
	test_dma();
	put_line_hex("sdk region: ", sdk_arch_region_read(0));
	put_line_dec("sdk region info: ", sdk_read(SDK_REGION));
	/* A region added and removed while the guest runs (gasp_region_set_soft). */
	sdk_write(SDK_SOFT, 1);
	put_line_hex("sdk soft region: ", sdk_arch_region_read(SDK_SOFT_OFF));
	sdk_write(SDK_SOFT, 0);
	put_line_hex("sdk soft removed: ", sdk_arch_region_read(SDK_SOFT_OFF));
	/* Two trace instances: each answers at its own loc (only tr-a logs). */
	mmio_read32(TRACE_A);
	mmio_read32(TRACE_B);
	serial_puts("sdk traces: read\n");
	test_timers();
	test_irq();
	test_msi();
	test_bus_error();
	test_cpuregs();
	test_virtual();
	test_peer();
	test_ram();
	test_uart_input();
	test_thread();
	test_pulse();
	put_line_dec("sdk path: ", sdk_read(SDK_PATH_OK));
	/* vCPU 1 halted (x86) or never powered on (arm64) long before now */
	put_line_hex("sdk power now: ", sdk_read(SDK_POWER_NOW));
	serial_puts(sdk_read(SDK_POWER_SEEN) ? "sdk power notified: yes, state " :
			"sdk power notified: no, state ");
	put_hex32(sdk_read(SDK_POWER_LAST));
	serial_puts("\n");
	sdk_write(SDK_BILL, 30);	/* qvm reports it at the end */

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
