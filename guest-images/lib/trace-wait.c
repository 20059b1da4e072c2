/*
 * trace-wait.c - the guests' one-second clock: the trace vdev's counter,
 * which ticks once a second on every host, fast or emulated.
 */
#include "guest.h"

/* pause instructions between two polls of the trace counter. The counter
 * only ticks once a second and every poll is a VM exit, so back off instead
 * of hammering the device. */
#define POLL_DELAY_PAUSES 2000

uint32_t trace_wait_change(uint32_t prev)
{
	uint32_t now;

	do {
		for (unsigned i = 0; i < POLL_DELAY_PAUSES; i++)
			cpu_relax();
		now = mmio_read32(TRACE_REG_ADDR);
	} while (now == prev);
	return now;
}
