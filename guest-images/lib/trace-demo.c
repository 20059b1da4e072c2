/*
 * trace-demo.c - qvm demo guest (x86_64 and aarch64).
 *
 * The boot vCPU exercises the serial port, the trace MMIO device (at its
 * supported 32-bit width and at an unsupported 8-bit width) and an unowned
 * physical address; then all vCPUs check in one after another. Output lines
 * are grepped by tests, so their format must not change.
 */
#include "guest.h"

#define TRACE_READINGS    4
#define TRACE_WRITE_VALUE 0x12345678u
#define TRACE_BYTE_VALUE  0x5a
#define UNOWNED_VALUE     0xdeadbeefu

/* Index of the vCPU allowed to print its roll-call line next. It lives in
 * .bss so it starts at 0, the boot vCPU, which also makes the UART init
 * happen before any secondary vCPU can touch the UART. Each vCPU only
 * writes it when it owns the turn, so plain loads and stores suffice and no
 * locked instruction is needed. */
static volatile unsigned turn;

/* The last trace reading printed; where every vCPU reads it too
 * (DEMO_TRACE_EVERY_CPU), each waits for the counter to move past it. */
static volatile uint32_t last_reading;

static void print_trace_counter(uint32_t val)
{
	serial_puts("trace counter: ");
	serial_put_dec(val);
	serial_puts("\n");
}

static void boot_cpu_demo(unsigned ncpus)
{
	serial_init();
	serial_puts("qvm trace demo: hello from the boot vcpu (");
	serial_put_dec(ncpus);
	serial_puts(" vcpus)\n");

	/* The counter ticks once a second; waiting for each change shows the
	 * device is live and makes the printed values strictly increasing. */
	uint32_t val = mmio_read32(TRACE_REG_ADDR);
	print_trace_counter(val);
	for (unsigned i = 1; i < TRACE_READINGS; i++) {
		val = trace_wait_change(val);
		print_trace_counter(val);
	}

	last_reading = val;
	mmio_write32(TRACE_REG_ADDR, TRACE_WRITE_VALUE);
	serial_puts("trace write: 0x");
	serial_put_hex(TRACE_WRITE_VALUE, 8);
	serial_puts("\n");

	/* The device only accepts 32-bit accesses: a byte read must come back
	 * as all ones and a byte write must be ignored, not crash anything. */
	serial_puts("trace 8-bit read: 0x");
	serial_put_hex(mmio_read8(TRACE_REG_ADDR), 2);
	serial_puts("\n");
	mmio_write8(TRACE_REG_ADDR, TRACE_BYTE_VALUE);
	serial_puts("trace 8-bit write: dropped\n");

	/* Nobody owns this address: the hypervisor must drop the write and
	 * return all ones for the read instead of stopping the VM. */
	mmio_write32(UNOWNED_ADDR, UNOWNED_VALUE);
	serial_puts("unowned read: 0x");
	serial_put_hex(mmio_read32(UNOWNED_ADDR), 8);
	serial_puts("\n");
}

static void roll_call(unsigned cpu, unsigned ncpus)
{
	while (turn != cpu)
		cpu_relax();
	/* Our UART accesses must not be hoisted above seeing our turn. */
	barrier();

	serial_puts("cpu ");
	serial_put_dec(cpu);
	serial_puts(" of ");
	serial_put_dec(ncpus);
	serial_puts(": online");
	arch_cpu_note();
#ifdef DEMO_TRACE_EVERY_CPU
	last_reading = trace_wait_change(last_reading);
	serial_puts(", trace counter ");
	serial_put_dec(last_reading);
#endif
	serial_puts("\n");

	if (cpu == ncpus - 1) {
		serial_puts("all ");
		serial_put_dec(ncpus);
		serial_puts(" vcpus done\n");
		guest_finish();
	}

	/* Finish our output before handing the UART to the next vCPU. */
	barrier();
	turn = cpu + 1;
}

_Noreturn void guest_main(unsigned cpu, unsigned ncpus)
{
	if (cpu == 0)
		boot_cpu_demo(ncpus);
	roll_call(cpu, ncpus);
	halt_forever();
}
