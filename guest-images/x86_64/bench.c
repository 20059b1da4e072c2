/*
 * bench.c - the x86_64 half of the measuring guest (the loops and results are
 * guest-images/lib/bench.c): the TSC's calibration; user.S drops to CPL3.
 *
 * The contract with the host is tools/bench/bench-abi.h: parameters at
 * BENCH_PARAMS_GPA, results at BENCH_RESULTS_GPA, handed over by writing
 * their address to the bench device's DONE register.
 *
 * Ring-0 guest code may be emulated instruction by instruction (about a
 * microsecond each on some hosts) while ring-3 code runs natively, so the
 * CPL0 part is only: serial init, a parameter check and the drop to CPL3
 * (user.S). Everything else, the results' zeroing included, runs at CPL3
 * with IOPL=3 and IF=0; nothing there may fault (there is no IDT) or need
 * CPL0, and it never returns to CPL0.
 *
 * Only vCPU 0 runs the benchmark; the others halt forever.
 */
#include "guest.h"
#include "bench.h"

#define ROUGH_CALIB_NS		10000000ull	/* the first frequency estimate */
#define DEFAULT_CALIB_MS	100		/* when the parameters say 0 */
#define CLOCK_POLL_PAUSES	1000		/* between clock reads while waiting */
/* Give up on a clock that does not move for this many TSC cycles
 * (several seconds at any plausible frequency). */
#define CLOCK_STUCK_CYCLES	(1ull << 36)

/* a * b / c without overflow, for a quotient that fits in 64 bits; 0 when
 * it would not (a #DE at CPL3 with no IDT would end the VM). */
static uint64_t muldiv(uint64_t a, uint64_t b, uint64_t c)
{
	uint64_t lo, hi, q, r;

	__asm__("mulq %3" : "=a"(lo), "=d"(hi) : "a"(a), "rm"(b) : "cc");
	if (c == 0 || hi >= c)
		return 0;
	__asm__("divq %4" : "=a"(q), "=d"(r) : "a"(lo), "d"(hi), "rm"(c) : "cc");
	(void)r;
	return q;
}

/* ---- TSC calibration against the bench device's host clock ---- */

struct stamp {
	uint64_t ns, tsc;
};

/* The clock read is an exit of a few microseconds: pair it with the TSC
 * midway between the stamps taken around it. */
static struct stamp read_stamp(void)
{
	struct stamp s;
	uint64_t t0 = bench_stamp();

	s.ns = mmio_read64(BENCH_DEV_GPA + BENCH_REG_CLOCK);
	uint64_t t1 = bench_stamp();
	s.tsc = t0 + ((t1 - t0) >> 1);
	return s;
}

static void pause_n(unsigned n)
{
	while (n--)
		cpu_relax();
}

/* The TSC's rate against the bench device's clock; 0 when the clock is missing or stuck. */
uint64_t bench_clock_hz(uint32_t calib_ms)
{
	struct stamp a = read_stamp(), b;

	if (a.ns == ~0ull)	/* nobody at BENCH_DEV_GPA: reads all ones */
		return 0;

	/* Rough: poll the clock until ~10 ms have passed. */
	do {
		pause_n(CLOCK_POLL_PAUSES);
		b = read_stamp();
		if (b.tsc - a.tsc > CLOCK_STUCK_CYCLES || b.ns < a.ns)
			return 0;
	} while (b.ns - a.ns < ROUGH_CALIB_NS);
	uint64_t rough_hz = muldiv(b.tsc - a.tsc, 1000000000ull, b.ns - a.ns);

	/* Full window, timed by the TSC alone so the clock is read only at
	 * its two ends. */
	uint64_t ms = calib_ms ? calib_ms : DEFAULT_CALIB_MS;
	uint64_t end = a.tsc + muldiv(rough_hz, ms, 1000);

	while ((int64_t)(bench_stamp() - end) < 0)
		cpu_relax();
	b = read_stamp();
	if (b.ns <= a.ns)
		return 0;
	return muldiv(b.tsc - a.tsc, 1000000000ull, b.ns - a.ns);
}
