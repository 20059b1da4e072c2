/*
 * boot.c - from the aarch64 entry to guest_main(): the devices and vCPUs
 * the FDT describes, then every secondary vCPU started with PSCI CPU_ON
 * (guest_main runs on all of them at once, as on x86).
 */
#include "devtree.h"
#include "guest.h"

uintptr_t uart_base, trace_base, wdog_base;
uint64_t wdog_clock_hz;
uint64_t cpu_mpidr[MAX_CPUS];
const void *boot_fdt;
static unsigned ncpus;

extern char _secondary[];

/* Nothing to print with: stop where a debugger (or a dump) shows why. */
_Noreturn static void no_console(void)
{
	halt_forever();
}

_Noreturn void arm64_boot(const void *fdt)
{
	uint64_t a = 0;

	if (!devtree_ok(fdt)) {
		uart_base = DEFAULT_UART;	/* and one vCPU: nothing says there are more */
		guest_main(0, 1);
	}
	if (devtree_find(fdt, "arm,pl011", &a, 0))
		no_console();
	uart_base = (uintptr_t)a;
	boot_fdt = fdt;
	if (devtree_find(fdt, "qvm,trace", &a, 0) == 0)
		trace_base = (uintptr_t)a;
	if (devtree_find(fdt, "arm,sp805", &a, &wdog_clock_hz) == 0)
		wdog_base = (uintptr_t)a;
	ncpus = devtree_cpus(fdt, cpu_mpidr, MAX_CPUS);
	if (ncpus == 0)
		ncpus = 1;
	for (unsigned i = 1; i < ncpus; i++) {
		int64_t r = psci_call(PSCI_CPU_ON, cpu_mpidr[i], (uintptr_t)_secondary, i);
		if (r != 0) {
			serial_init();
			serial_puts("psci cpu_on failed for cpu ");
			serial_put_dec(i);
			serial_puts("\n");
			halt_forever();
		}
	}
	guest_main(0, ncpus);
}

_Noreturn void arm64_secondary(uint64_t index)
{
	guest_main((unsigned)index, ncpus);
}

/* Powered off, or with `cmdline halt` halted for good, as an x86 guest
 * ends (for quit-on-halt, and for the tests of a guest that stays halted). */
_Noreturn void guest_finish(void)
{
	if (!boot_fdt || !devtree_bootarg(boot_fdt, "halt"))
		psci_call(PSCI_SYSTEM_OFF, 0, 0, 0);
	halt_forever();
}

void arch_cpu_note(void)
{
	serial_puts(" (mpidr 0x");
	serial_put_hex(read_mpidr(), 8);
	serial_puts(")");
}
