/*
 * bench.c - the aarch64 half of the measuring guest (the loops and results
 * are guest-images/lib/bench.c): the virtual counter as the clock (its
 * frequency is CNTFRQ_EL0, no calibration needed); el0.S drops to EL0,
 * where the loops run with the MMU still off (no permission checks) and
 * interrupts masked.
 */
#include "guest.h"
#include "bench.h"

uint64_t bench_clock_hz(uint32_t calib_ms)
{
	(void)calib_ms;
	return read_cntfrq();
}
