/*
 * The benchmark's contract between the measuring guest
 * (guest-images/x86_64/bench.c), qvm's `bench` vdev, the raw-KVM baseline
 * (tools/bench/kvm-baseline.c) and the report (tools/bench/qvm-bench.c).
 * Freestanding: only <stdint.h>. The guest-physical addresses are the same
 * on x86_64 and aarch64 but for RAM (where qvm's first `ram` goes); arm64
 * has no port kinds.
 *
 * The host puts a struct bench_params at BENCH_PARAMS_GPA (`data load`),
 * the guest fills a struct bench_results at BENCH_RESULTS_GPA and then
 * writes its address to BENCH_DEV_GPA + BENCH_REG_DONE: the VMM copies the
 * results out and ends the run (exit 0).
 */
#ifndef QVM_BENCH_ABI_H
#define QVM_BENCH_ABI_H

#include <stdint.h>

/* RAM (16 MiB) starts where qvm puts the first `ram` on each architecture. */
#if defined(__aarch64__)
#define BENCH_RAM_GPA		0x40000000u
#define BENCH_UART_GPA		0x09000000u	/* the pl011: the guest's console */
#else
#define BENCH_RAM_GPA		0x0u
#endif
#define BENCH_RAM_SIZE		(16u << 20)
#define BENCH_PARAMS_GPA	(BENCH_RAM_GPA + 0x200000u)
#define BENCH_RESULTS_GPA	(BENCH_RAM_GPA + 0x400000u)
#define BENCH_DEV_GPA		0xfa0f0000u	/* the bench device (4 KiB) */
#define BENCH_REG_CLOCK		0x00	/* R, 64-bit: the host's CLOCK_MONOTONIC in ns */
#define BENCH_REG_DONE		0x08	/* W, 64-bit: results are at this guest address */
#define BENCH_TRACE_GPA		0xfa000000u	/* the trace register: MMIO read/write */
#define BENCH_UNOWNED_GPA	0xfb000000u	/* nobody's: the unsupported path */
#define BENCH_PORT		0x3ff		/* the 8250's scratch register: port in/out (x86) */

#define BENCH_MAGIC		0x31484342514d5651ull	/* "QVMQBCH1" */

enum bench_kind {
	BK_FLOOR,	/* the loop with a plain memory read: the timer's own floor */
	BK_MMIO_READ,	/* 32-bit read of the trace register: trap to vread */
	BK_MMIO_WRITE,	/* 32-bit write of it: trap to vwrite */
	BK_PIO_READ,	/* inb from BENCH_PORT (x86 only) */
	BK_PIO_WRITE,	/* outb to BENCH_PORT (x86 only) */
	BK_UNOWNED,	/* 32-bit read of BENCH_UNOWNED_GPA */
	BK_KINDS
};

/* The kinds' names, as options and reports spell them: `... name[BK_KINDS] = BENCH_KIND_NAMES;` */
#define BENCH_KIND_NAMES { \
	[BK_FLOOR] = "floor", [BK_MMIO_READ] = "mmio-read", [BK_MMIO_WRITE] = "mmio-write", \
	[BK_PIO_READ] = "pio-read", [BK_PIO_WRITE] = "pio-write", [BK_UNOWNED] = "unowned", \
}

struct bench_params {
	uint64_t magic;		/* BENCH_MAGIC */
	uint64_t n;		/* timed accesses per kind */
	uint64_t warmup;	/* untimed accesses before them */
	uint32_t kinds;		/* bit (1u << kind) per kind to run */
	uint32_t calib_ms;	/* TSC calibration window against BENCH_REG_CLOCK */
};

/*
 * Latencies in TSC cycles, log-linear: values below BENCH_SUB are their own
 * bucket; above, each power of two is split in BENCH_SUB buckets (under
 * 0.8 % apart).
 */
#define BENCH_SUB_BITS	7
#define BENCH_SUB	(1u << BENCH_SUB_BITS)
#define BENCH_BUCKETS	(64u * BENCH_SUB)

struct bench_hist {
	uint64_t count, min, max, sum;	/* cycles */
	uint32_t bucket[BENCH_BUCKETS];
};

struct bench_results {
	uint64_t magic;			/* BENCH_MAGIC */
	uint64_t tsc_hz;		/* the guest clock's frequency: x86 TSC (calibrated), arm64 CNTFRQ */
	uint64_t n, warmup;
	uint32_t kinds;			/* the kinds measured */
	uint32_t spare;
	struct bench_hist h[BK_KINDS];
};

static inline unsigned bench_bucket(uint64_t v)
{
	if (v < BENCH_SUB)
		return (unsigned)v;
	unsigned e = 63u - (unsigned)__builtin_clzll(v);	/* >= BENCH_SUB_BITS */
	return (e - BENCH_SUB_BITS + 1) * BENCH_SUB +
		(unsigned)((v >> (e - BENCH_SUB_BITS)) - BENCH_SUB);
}

/* The smallest value that falls in bucket b. */
static inline uint64_t bench_bucket_low(unsigned b)
{
	if (b < BENCH_SUB)
		return b;
	unsigned e = b / BENCH_SUB + BENCH_SUB_BITS - 1;
	return (uint64_t)(b % BENCH_SUB + BENCH_SUB) << (e - BENCH_SUB_BITS);
}

#endif
