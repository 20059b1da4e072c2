/*
 * bench.c - the aarch64 half of the measuring guest (the loops and results
 * are guest-images/lib/bench.c): the virtual counter as the clock (its
 * frequency is CNTFRQ_EL0, no calibration needed) and the drop to EL0,
 * where the loops run with the MMU still off (no permission checks) and
 * interrupts masked. Only vCPU 0 runs; nothing ever returns to EL1.
 */
#include "guest.h"
#include "bench.h"

#define USER_STACK_SIZE	65536

_Noreturn void enter_el0(void (*entry)(void), void *stack_top);	/* el0.S */

static uint8_t user_stack[USER_STACK_SIZE] __attribute__((aligned(16)));

uint64_t bench_clock_hz(uint32_t calib_ms)
{
	(void)calib_ms;
	return read_cntfrq();
}

_Noreturn void guest_main(unsigned cpu, unsigned ncpus)
{
	(void)ncpus;
	if (cpu != 0)
		halt_forever();
	serial_init();
	if (PARAMS->magic != BENCH_MAGIC) {
		serial_puts("bench: no parameters\n");
		halt_forever();
	}
	enter_el0(bench_user, user_stack + sizeof(user_stack));
}
