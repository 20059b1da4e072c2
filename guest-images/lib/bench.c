/*
 * bench.c - the measuring guest's entry, timed loops and results, on every
 * architecture (see bench.h). Past guest_main's short start, everything
 * runs at the lowest privilege level, where the guest's code runs natively
 * on the test machines: nothing there may fault or need privilege, and it
 * never returns.
 */
#include "guest.h"
#include "bench.h"

#define USER_STACK_SIZE	65536

static uint8_t user_stack[USER_STACK_SIZE] __attribute__((aligned(16)));

/* The target of BK_FLOOR's read: ordinary RAM, no exit. */
static volatile uint32_t floor_var;

static const char *const kind_name[BK_KINDS] = BENCH_KIND_NAMES;

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
		uint64_t t0 = bench_stamp();					\
		ACCESS;								\
		uint64_t d = bench_stamp() - t0;				\
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
BENCH_LOOP(loop_unowned, (void)mmio_read32(BENCH_UNOWNED_GPA))
#ifdef BENCH_HAS_PORTS
BENCH_LOOP(loop_pio_read, (void)inb(BENCH_PORT))
BENCH_LOOP(loop_pio_write, outb(BENCH_PORT, (uint8_t)i))
#endif

typedef void loop_fn(struct bench_hist *, uint64_t, uint64_t);

static loop_fn *const loops[BK_KINDS] = {
	[BK_FLOOR] = loop_floor,
	[BK_MMIO_READ] = loop_mmio_read,
	[BK_MMIO_WRITE] = loop_mmio_write,
#ifdef BENCH_HAS_PORTS
	[BK_PIO_READ] = loop_pio_read,
	[BK_PIO_WRITE] = loop_pio_write,
#endif
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

_Noreturn void bench_user(void)
{
	uint64_t n = PARAMS->n, warmup = PARAMS->warmup;
	uint32_t kinds = PARAMS->kinds & BENCH_ARCH_KINDS;
	uint32_t calib_ms = PARAMS->calib_ms;
	struct bench_results *r = RESULTS;

	put_kv("bench: n=", n);
	put_kv(" warmup=", warmup);
	serial_puts(" kinds=0x");
	put_hex_min(kinds);
	serial_puts("\n");

	zero_results();

	uint64_t hz = bench_clock_hz(calib_ms);
	if (hz) {
		put_kv("bench: tsc ", hz);
		serial_puts(" Hz\n");
	} else {
		serial_puts("bench: no clock, tsc unknown\n");
	}

	for (unsigned k = 0; k < BK_KINDS; k++) {
		if (!(kinds & (1u << k)) || !loops[k])
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

	/* The VMM should have ended the run; halting is privileged here. */
	for (;;)
		cpu_relax();
}

/* At the highest level: keep it short (x86 ring 0 may be emulated one
 * instruction at a time). Only vCPU 0 measures; the others halt. */
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
