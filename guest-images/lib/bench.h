/*
 * bench.h - the measuring guest of `make bench`, shared part (lib/bench.c):
 * the timed loops, the results and their hand-over (tools/bench/bench-abi.h).
 * The architecture brings the clock (its bench.c) and the drop to the lowest
 * privilege level (enter_user: x86 CPL3, arm64 EL0), where bench_user() runs:
 *
 *   bench_stamp()         in arch.h: an ordered read of the guest's counter,
 *                         taken after earlier accesses completed and before
 *                         later ones start
 *   bench_clock_hz(ms)    the counter's frequency, 0 if unknown
 *   BENCH_ARCH_KINDS      the kinds the architecture has (no ports on arm64)
 *   BENCH_HAS_PORTS       defined where inb()/outb() exist
 */
#ifndef QVM_GUEST_BENCH_H
#define QVM_GUEST_BENCH_H

#include <stdint.h>

#include "../../tools/bench/bench-abi.h"

#define PARAMS ((const volatile struct bench_params *)(uintptr_t)BENCH_PARAMS_GPA)
#define RESULTS ((struct bench_results *)(uintptr_t)BENCH_RESULTS_GPA)

uint64_t bench_clock_hz(uint32_t calib_ms);
/* Run entry at the lowest privilege level on stack_top (x86 user.S, arm64 el0.S). */
_Noreturn void enter_user(void (*entry)(void), void *stack_top);
/* At the lowest privilege level: measure, hand the results over, spin. */
_Noreturn void bench_user(void);

#endif
