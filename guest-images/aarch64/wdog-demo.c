/*
 * wdog-demo (aarch64): finds the SP805 and its clock in the FDT, sets a
 * 1 s period, kicks it (WdogIntClr) once a second four times, then stops:
 * two periods later the watchdog bites and qvm exits 4. The trace vdev's
 * counter (one tick a second) is the guest's clock, as on x86.
 */
#include "guest.h"

#define SP805_LOAD	0x000
#define SP805_CONTROL	0x008
#define SP805_INTCLR	0x00c
#define SP805_LOCK	0xc00
#define SP805_UNLOCK	0x1acce551u
#define SP805_INTEN_RESEN 0x3u
#define KICKS		4

_Noreturn void guest_main(unsigned cpu, unsigned ncpus)
{
	uint32_t t;

	(void)ncpus;
	if (cpu != 0)
		halt_forever();
	serial_init();
	if (!wdog_base || !trace_base || !wdog_clock_hz || wdog_clock_hz > 0xffffffffu) {
		serial_puts("wdog demo: no arm,sp805 with a clock, or no trace, in the FDT\n");
		halt_forever();
	}
	serial_puts("wdog demo: a 1 s period at ");
	serial_put_dec(wdog_clock_hz);
	serial_puts(" Hz\n");
	t = mmio_read32(TRACE_REG_ADDR);
	mmio_write32(wdog_base + SP805_LOCK, SP805_UNLOCK);
	mmio_write32(wdog_base + SP805_LOAD, (uint32_t)wdog_clock_hz);
	mmio_write32(wdog_base + SP805_CONTROL, SP805_INTEN_RESEN);
	for (unsigned k = 1; k <= KICKS; k++) {
		t = trace_wait_change(t);
		mmio_write32(wdog_base + SP805_INTCLR, 1);
		serial_puts("wdog kick ");
		serial_put_dec(k);
		serial_puts("\n");
	}
	serial_puts("wdog demo: no more kicks\n");
	halt_forever();
}
