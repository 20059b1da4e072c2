/*
 * The report half of qvm-bench: loading and merging results files,
 * percentiles, the text table, the verdicts, bench.json and bench.svg.
 * Kept apart from the driver (qvm-bench.c) so the math can be exercised
 * with fake results files (`qvm-bench --report-only`) without any VMM.
 */
#ifndef QVM_BENCH_REPORT_H
#define QVM_BENCH_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "bench-abi.h"

enum bench_system { SYS_BASELINE, SYS_QVM, SYS_COUNT };

extern const char *const bench_kind_names[BK_KINDS];
extern const char *const bench_sys_names[SYS_COUNT];

/* The kind called NAME, or -1. */
int bench_kind_parse(const char *name);

/*
 * One system's rounds summed. Buckets are 64-bit here: the guest's are
 * 32-bit, and a few rounds of a few billion samples would overflow them.
 */
struct merged_hist {
	uint64_t count;		/* the sum of the buckets (what ranks use) */
	uint64_t min, max, sum;	/* cycles; min/max only meaningful if count */
	uint64_t bucket[BENCH_BUCKETS];
};

struct merged {
	unsigned files;			/* results files merged */
	uint32_t kinds;			/* union of the files' kinds */
	uint64_t n, warmup;		/* from the first file */
	double tsc_sum;			/* for the mean */
	uint64_t tsc_min, tsc_max;
	char tsc_min_file[512], tsc_max_file[512];	/* for the warning */
	struct merged_hist h[BK_KINDS];
};

/*
 * Reads PATH into *R and checks its size and magic. On failure returns -1
 * with a message naming PATH in ERR.
 */
int results_load(const char *path, struct bench_results *r,
		 char *err, size_t errlen);

/* Adds R to M; warns on stderr (naming PATH) about internal inconsistencies. */
void merged_add(struct merged *m, const struct bench_results *r,
		const char *path);

/*
 * The value (cycles) below which NUM/DEN of the samples lie: the bucket
 * where the cumulative count reaches ceil(count * NUM / DEN), interpolated
 * linearly inside it and clamped to [min, max]. NaN if the histogram is
 * empty.
 */
double hist_percentile(const struct merged_hist *h, uint64_t num, uint64_t den);

struct kind_stats {
	bool present;
	uint64_t count;
	double min_ns, p50_ns, p90_ns, p99_ns, p999_ns, max_ns, mean_ns;
};

void stats_compute(const struct merged_hist *h, double tsc_hz,
		   struct kind_stats *s);

/* A latency target: qvm's percentile PCT at most LIMIT x the baseline's. */
struct target {
	int kind;
	unsigned pct;		/* 50 or 99 */
	double limit;		/* max qvm/baseline ratio */
	/* filled by report_evaluate(): */
	bool evaluated;		/* both systems measured the kind */
	double ratio;
	bool pass;
};

/* What the run was (only known when qvm-bench ran it, not --report-only). */
struct run_info {
	bool known;
	unsigned vcpus, vdevs;
	bool emit_logger, baseline;
	char qvm[4096], baseline_path[4096], guest[4096];
};

struct report {
	struct merged *m[SYS_COUNT];	/* NULL or files == 0: not measured */
	double tsc_hz;			/* mean over every file */
	uint32_t calib_ms;		/* 0 if unknown */
	struct run_info run;
	struct kind_stats st[BK_KINDS][SYS_COUNT];
	struct target *targets;
	size_t ntargets;
	char hostname[256], kernel[256], cpu_model[256];
};

/* The default targets (mmio-read p50 within 3 %, p99 within 10 %). */
extern struct target bench_default_targets[];
extern const size_t bench_default_ntargets;

/* Fills tsc_hz, st[][] and the targets' verdicts; warns on TSC spread. */
void report_evaluate(struct report *rep);

/* hostname, kernel release and CPU model of this machine. */
void report_host_info(struct report *rep);

void report_print_table(FILE *f, const struct report *rep);

/* Prints the verdict block; returns the number of targets missed. */
unsigned report_print_targets(FILE *f, const struct report *rep);

/* 0, or -1 after an error message naming PATH on stderr. */
int report_write_json(const char *path, const struct report *rep);
int report_write_svg(const char *path, const struct report *rep);


/* Shared by report.c, report_json.c and report_svg.c. */
unsigned bucket_limit(void);
double bucket_high(unsigned b);
bool sys_present(const struct report *rep, int s);
bool kind_present(const struct report *rep, int k);
FILE *open_out(const char *path);
int close_out(FILE *f, const char *path);
/* Merge every DIR/SYSTEM-R.bin into M, in round order; false (said on stderr) on an error. */
bool merge_dir(const char *dir, int sys, struct merged *m);
/* calib_ms from DIR/params.bin if a sane one is there, else 0. */
uint32_t params_calib_ms(const char *dir);
/* The first merged results there are (their params describe the run). */
const struct merged *some_merged(const struct report *rep);

#endif
