/*
 * bench.c - qvm x86_64 guest measuring the latency of MMIO and port exits.
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
#include "../../tools/bench/bench-abi.h"

#define USER_STACK_SIZE		65536
#define ROUGH_CALIB_NS		10000000ull	/* the first frequency estimate */
#define DEFAULT_CALIB_MS	100		/* when the parameters say 0 */
#define CLOCK_POLL_PAUSES	1000		/* between clock reads while waiting */
/* Give up on a clock that does not move for this many TSC cycles
 * (several seconds at any plausible frequency). */
#define CLOCK_STUCK_CYCLES	(1ull << 36)

_Noreturn void enter_user(void (*entry)(void), void *stack_top);	/* user.S */

static uint8_t user_stack[USER_STACK_SIZE] __attribute__((aligned(16)));

/* The target of BK_FLOOR's read: ordinary RAM, no exit. */
static volatile uint32_t floor_var;

static const char *const kind_name[BK_KINDS] = BENCH_KIND_NAMES;

#define PARAMS ((const volatile struct bench_params *)(uintptr_t)BENCH_PARAMS_GPA)
#define RESULTS ((struct bench_results *)(uintptr_t)BENCH_RESULTS_GPA)

/* ---- Time stamps ----
 * lfence before rdtsc: earlier instructions (the access) have completed;
 * after it: later ones (the access) have not started. MMIO and port
 * accesses trap synchronously, so their exits fall between the two. */

static inline __attribute__((always_inline)) uint64_t tsc_fenced(void)
{
	uint32_t lo, hi;
	__asm__ volatile("lfence; rdtsc; lfence" : "=a"(lo), "=d"(hi) : : "memory");
	return ((uint64_t)hi << 32) | lo;
}

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

/* ---- Output helpers (CPL3: port I/O works with IOPL=3) ---- */

static void put_hex_min(uint64_t v)
{
	unsigned digits = 1;

	while (digits < 16 && (v >> (digits * 4)))
		digits++;
	serial_put_hex(v, digits);
}

static void put_kv(const char *key, uint64_t v)
{
	serial_puts(key);
	serial_put_dec(v);
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
	uint64_t t0 = tsc_fenced();

	s.ns = mmio_read64(BENCH_DEV_GPA + BENCH_REG_CLOCK);
	uint64_t t1 = tsc_fenced();
	s.tsc = t0 + ((t1 - t0) >> 1);
	return s;
}

static void pause_n(unsigned n)
{
	while (n--)
		cpu_relax();
}

/* 0 when the clock is missing or stuck. */
static uint64_t calibrate_tsc(uint32_t calib_ms)
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

	while ((int64_t)(tsc_fenced() - end) < 0)
		cpu_relax();
	b = read_stamp();
	if (b.ns <= a.ns)
		return 0;
	return muldiv(b.tsc - a.tsc, 1000000000ull, b.ns - a.ns);
}

/* ---- The timed loops ----
 * One function per kind so each loop is straight-line code around its one
 * access; statistics stay in registers, only the bucket is a memory
 * increment. No division, no call, no output inside. */

#define BENCH_LOOP(fn, ACCESS)							\
static __attribute__((noinline)) void fn(struct bench_hist *h,		\
					 uint64_t warmup, uint64_t n)		\
{										\
	uint64_t i;								\
										\
	for (i = 0; i < warmup; i++) {						\
		ACCESS;								\
	}									\
	uint64_t mn = ~0ull, mx = 0, sum = 0;					\
	uint32_t *bucket = h->bucket;						\
	for (i = 0; i < n; i++) {						\
		uint64_t t0 = tsc_fenced();					\
		ACCESS;								\
		uint64_t d = tsc_fenced() - t0;					\
		sum += d;							\
		mn = d < mn ? d : mn;						\
		mx = d > mx ? d : mx;						\
		bucket[bench_bucket(d)]++;					\
	}									\
	h->count = n;								\
	h->min = n ? mn : 0;							\
	h->max = mx;								\
	h->sum = sum;								\
}

BENCH_LOOP(loop_floor, (void)floor_var)
BENCH_LOOP(loop_mmio_read, (void)mmio_read32(BENCH_TRACE_GPA))
BENCH_LOOP(loop_mmio_write, mmio_write32(BENCH_TRACE_GPA, (uint32_t)i))
BENCH_LOOP(loop_pio_read, (void)inb(BENCH_PORT))
BENCH_LOOP(loop_pio_write, outb(BENCH_PORT, (uint8_t)i))
BENCH_LOOP(loop_unowned, (void)mmio_read32(BENCH_UNOWNED_GPA))

typedef void loop_fn(struct bench_hist *, uint64_t, uint64_t);

static loop_fn *const loops[BK_KINDS] = {
	[BK_FLOOR] = loop_floor,
	[BK_MMIO_READ] = loop_mmio_read,
	[BK_MMIO_WRITE] = loop_mmio_write,
	[BK_PIO_READ] = loop_pio_read,
	[BK_PIO_WRITE] = loop_pio_write,
	[BK_UNOWNED] = loop_unowned,
};

/* The low end of the bucket holding the median: within 0.8 %. */
static uint64_t approx_p50(const struct bench_hist *h)
{
	uint64_t half = (h->count + 1) / 2, seen = 0;

	for (unsigned b = 0; b < BENCH_BUCKETS; b++) {
		seen += h->bucket[b];
		if (seen >= half && seen)
			return bench_bucket_low(b);
	}
	return 0;
}

static void zero_results(void)
{
	uint64_t *p = (uint64_t *)RESULTS;
	uint64_t words = sizeof(struct bench_results) / sizeof(uint64_t);

	for (uint64_t i = 0; i < words; i++) {
		p[i] = 0;
		/* Keep the compiler from turning the loop into a memset call
		 * (there is no libc). */
		__asm__ volatile("" : : "r"(p) : "memory");
	}
}

_Static_assert(sizeof(struct bench_results) % sizeof(uint64_t) == 0,
	       "results are zeroed a word at a time");

/* ---- CPL3 ---- */

_Noreturn static void bench_user(void)
{
	uint64_t n = PARAMS->n, warmup = PARAMS->warmup;
	uint32_t kinds = PARAMS->kinds & ((1u << BK_KINDS) - 1);
	uint32_t calib_ms = PARAMS->calib_ms;
	struct bench_results *r = RESULTS;

	put_kv("bench: n=", n);
	put_kv(" warmup=", warmup);
	serial_puts(" kinds=0x");
	put_hex_min(kinds);
	serial_puts("\n");

	zero_results();

	uint64_t hz = calibrate_tsc(calib_ms);
	if (hz) {
		put_kv("bench: tsc ", hz);
		serial_puts(" Hz\n");
	} else {
		serial_puts("bench: no clock, tsc unknown\n");
	}

	for (unsigned k = 0; k < BK_KINDS; k++) {
		if (!(kinds & (1u << k)))
			continue;
		struct bench_hist *h = &r->h[k];

		loops[k](h, warmup, n);
		serial_puts("bench: ");
		serial_puts(kind_name[k]);
		put_kv(" done: min=", h->min);
		put_kv(" p50~=", approx_p50(h));
		put_kv(" max=", h->max);
		serial_puts(" cycles\n");
	}

	r->magic = BENCH_MAGIC;
	r->tsc_hz = hz;
	r->n = n;
	r->warmup = warmup;
	r->kinds = kinds;
	serial_puts("bench: done\n");
	/* The results must be in memory before the VMM is told about them. */
	barrier();
	mmio_write64(BENCH_DEV_GPA + BENCH_REG_DONE, BENCH_RESULTS_GPA);

	/* The VMM should have ended the run; hlt is privileged here. */
	for (;;)
		cpu_relax();
}

/* ---- CPL0: keep it short ---- */

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
	enter_user(bench_user, user_stack + sizeof(user_stack));
}
