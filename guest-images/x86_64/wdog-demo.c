/*
 * wdog-demo: kicks the wdt-ib700 watchdog a few times, then stops and
 * waits for it to bite. The trace vdev's counter (one tick a second) is the
 * guest's clock, so the demo behaves the same on fast and emulated hosts.
 */
#include "guest.h"

#define IB700_START	0x443	/* write N: 30 - 2N seconds, and (re)start */
#define IB700_INDEX	13	/* 30 - 26 = 4 s */
#define KICKS		4

_Noreturn void guest_main(unsigned cpu, unsigned ncpus)
{
	uint32_t t;

	(void)ncpus;
	if (cpu != 0)
		halt_forever();
	serial_init();
	serial_puts("wdog demo: arming the watchdog for 4 s\n");
	t = mmio_read32(TRACE_REG_ADDR);
	outb(IB700_START, IB700_INDEX);
	for (unsigned k = 1; k <= KICKS; k++) {
		t = trace_wait_change(t);
		outb(IB700_START, IB700_INDEX);
		serial_puts("wdog kick ");
		serial_put_dec(k);
		serial_puts("\n");
	}
	serial_puts("wdog demo: no more kicks\n");
	halt_forever();
}
