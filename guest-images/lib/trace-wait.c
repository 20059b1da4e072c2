/*
 * trace-wait.c - the guests' one-second clock: the trace vdev's counter,
 * which ticks once a second on every host, fast or emulated.
 */
#include "guest.h"

/* The counter only ticks once a second and every poll is a VM exit, so
 * each poll waits a while first (poll_pause(), the architecture's). */
uint32_t trace_wait_change(uint32_t prev)
{
	uint32_t now;

	do {
		poll_pause();
		now = mmio_read32(TRACE_REG_ADDR);
	} while (now == prev);
	return now;
}
