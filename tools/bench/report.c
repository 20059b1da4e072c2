/*
 * qvm-bench's report: see report.h. Everything here works on results files
 * already written, so it can be tested with fake ones.
 */
#include "report.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <dirent.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

const char *const bench_kind_names[BK_KINDS] = BENCH_KIND_NAMES;

const char *const bench_sys_names[SYS_COUNT] = {
	[SYS_BASELINE] = "baseline",
	[SYS_QVM] = "qvm",
};

struct target bench_default_targets[] = {
	{ .kind = BK_MMIO_READ, .pct = 50, .limit = 1.03 },
	{ .kind = BK_MMIO_READ, .pct = 99, .limit = 1.10 },
};
const size_t bench_default_ntargets =
	sizeof bench_default_targets / sizeof bench_default_targets[0];

int bench_kind_parse(const char *name)
{
	for (int k = 0; k < BK_KINDS; k++)
		if (strcmp(name, bench_kind_names[k]) == 0)
			return k;
	return -1;
}

/* ---- buckets ---------------------------------------------------------- */

/*
 * Buckets past the one holding UINT64_MAX can never be hit (the header's
 * BENCH_BUCKETS rounds up to 64 exponents); bench_bucket_low() of them
 * would shift by 64 or more.
 */
unsigned bucket_limit(void)
{
	return bench_bucket(UINT64_MAX) + 1;
}

/* One past the largest value of bucket B, as a double (the last is open). */
double bucket_high(unsigned b)
{
	if (b + 1 >= bucket_limit())
		return 18446744073709551616.0;
	return (double)bench_bucket_low(b + 1);
}

/* ---- loading and merging --------------------------------------------- */

int results_load(const char *path, struct bench_results *r,
		 char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		snprintf(err, errlen, "%s: cannot open: %s", path,
			 strerror(errno));
		return -1;
	}
	/* Read one byte more than expected so a too-long file is noticed. */
	size_t got = fread(r, 1, sizeof *r, f);
	int extra = got == sizeof *r ? fgetc(f) : EOF;
	bool rerr = ferror(f);
	fclose(f);
	if (rerr) {
		snprintf(err, errlen, "%s: read error", path);
		return -1;
	}
	if (got != sizeof *r || extra != EOF) {
		snprintf(err, errlen,
			 "%s: %s than a struct bench_results (%zu bytes)%s",
			 path, got != sizeof *r ? "shorter" : "longer",
			 sizeof *r,
			 got == 0 ? ": empty, the guest delivered no results" : "");
		return -1;
	}
	if (r->magic != BENCH_MAGIC) {
		snprintf(err, errlen, "%s: bad magic 0x%016llx (expected 0x%016llx)",
			 path, (unsigned long long)r->magic,
			 (unsigned long long)BENCH_MAGIC);
		return -1;
	}
	if (r->tsc_hz == 0) {
		snprintf(err, errlen, "%s: tsc_hz is 0: the guest did not calibrate its TSC",
			 path);
		return -1;
	}
	return 0;
}

/* Adds one file's histogram of a kind; warns (naming PATH) if it is odd. */
static void merge_hist(struct merged_hist *m, const struct bench_hist *h,
		       const char *path, const char *kind)
{
	unsigned lim = bucket_limit();
	uint64_t total = 0;
	for (unsigned b = 0; b < BENCH_BUCKETS; b++) {
		if (!h->bucket[b])
			continue;
		if (b >= lim) {
			fprintf(stderr, "qvm-bench: warning: %s: %s: bucket %u cannot "
				"be hit by any 64-bit value; ignored\n", path, kind, b);
			continue;
		}
		total += h->bucket[b];
		m->bucket[b] += h->bucket[b];
	}
	/*
	 * The buckets are what the percentiles rank, so they are the count;
	 * the guest's own count only serves as a cross-check.
	 */
	if (total != h->count)
		fprintf(stderr, "qvm-bench: warning: %s: %s: buckets sum to %llu "
			"but count is %llu; using the buckets\n", path, kind,
			(unsigned long long)total, (unsigned long long)h->count);
	if (!total)
		return;
	if (!m->count || h->min < m->min)
		m->min = h->min;
	if (!m->count || h->max > m->max)
		m->max = h->max;
	m->count += total;
	m->sum += h->sum;
}

void merged_add(struct merged *m, const struct bench_results *r,
		const char *path)
{
	if (m->files == 0) {
		m->n = r->n;
		m->warmup = r->warmup;
	} else if (r->n != m->n || r->warmup != m->warmup) {
		fprintf(stderr, "qvm-bench: warning: %s: n %llu warmup %llu differ "
			"from the first file's (n %llu warmup %llu)\n", path,
			(unsigned long long)r->n, (unsigned long long)r->warmup,
			(unsigned long long)m->n, (unsigned long long)m->warmup);
	}
	if (m->files == 0 || r->tsc_hz < m->tsc_min) {
		m->tsc_min = r->tsc_hz;
		snprintf(m->tsc_min_file, sizeof m->tsc_min_file, "%s", path);
	}
	if (m->files == 0 || r->tsc_hz > m->tsc_max) {
		m->tsc_max = r->tsc_hz;
		snprintf(m->tsc_max_file, sizeof m->tsc_max_file, "%s", path);
	}
	m->tsc_sum += (double)r->tsc_hz;
	m->files++;
	m->kinds |= r->kinds & ((1u << BK_KINDS) - 1);
	for (int k = 0; k < BK_KINDS; k++)
		if (r->kinds & (1u << k))
			merge_hist(&m->h[k], &r->h[k], path, bench_kind_names[k]);
}

/* ---- percentiles ----------------------------------------------------- */

/* ceil(count * num / den) without overflowing count * num. */
static uint64_t rank_of(uint64_t count, uint64_t num, uint64_t den)
{
	uint64_t q = count / den, r = count % den;
	return q * num + (r * num + den - 1) / den;
}

double hist_percentile(const struct merged_hist *h, uint64_t num, uint64_t den)
{
	if (!h->count)
		return NAN;
	uint64_t rank = rank_of(h->count, num, den);
	if (rank < 1)
		rank = 1;
	uint64_t cum = 0;
	unsigned lim = bucket_limit();
	for (unsigned b = 0; b < lim; b++) {
		uint64_t c = h->bucket[b];
		if (!c)
			continue;
		if (cum + c < rank) {
			cum += c;
			continue;
		}
		double lo = (double)bench_bucket_low(b), hi = bucket_high(b);
		double v = lo;
		/*
		 * A bucket one cycle wide holds one exact value; a wider one
		 * is assumed evenly filled, the first sample at its bottom.
		 */
		if (hi - lo > 1.0)
			v = lo + (hi - lo) * (double)(rank - cum - 1) / (double)c;
		/* The exact extremes beat any guess from the bucket. */
		if (v < (double)h->min)
			v = (double)h->min;
		if (v > (double)h->max)
			v = (double)h->max;
		return v;
	}
	return (double)h->max;	/* not reached: the buckets sum to count */
}

void stats_compute(const struct merged_hist *h, double tsc_hz,
		   struct kind_stats *s)
{
	memset(s, 0, sizeof *s);
	s->present = h->count > 0;
	s->count = h->count;
	double ns = 1e9 / tsc_hz;
	if (!s->present) {
		s->min_ns = s->p50_ns = s->p90_ns = s->p99_ns = s->p999_ns =
			s->max_ns = s->mean_ns = NAN;
		return;
	}
	s->min_ns = (double)h->min * ns;
	s->p50_ns = hist_percentile(h, 1, 2) * ns;
	s->p90_ns = hist_percentile(h, 9, 10) * ns;
	s->p99_ns = hist_percentile(h, 99, 100) * ns;
	s->p999_ns = hist_percentile(h, 999, 1000) * ns;
	s->max_ns = (double)h->max * ns;
	s->mean_ns = (double)h->sum / (double)h->count * ns;
}

/* ---- evaluation ------------------------------------------------------ */

bool sys_present(const struct report *rep, int s)
{
	return rep->m[s] && rep->m[s]->files > 0;
}

static double target_value(const struct kind_stats *s, unsigned pct)
{
	return pct == 50 ? s->p50_ns : pct == 90 ? s->p90_ns :
		pct == 99 ? s->p99_ns : s->p999_ns;
}

/* The mean TSC frequency of every file, warning when they disagree. */
static double mean_tsc(const struct report *rep)
{
	double sum = 0, lo = INFINITY, hi = 0;
	const char *lo_file = "", *hi_file = "";
	unsigned files = 0;
	for (int s = 0; s < SYS_COUNT; s++) {
		if (!sys_present(rep, s))
			continue;
		const struct merged *m = rep->m[s];
		sum += m->tsc_sum;
		files += m->files;
		if ((double)m->tsc_min < lo) {
			lo = (double)m->tsc_min;
			lo_file = m->tsc_min_file;
		}
		if ((double)m->tsc_max > hi) {
			hi = (double)m->tsc_max;
			hi_file = m->tsc_max_file;
		}
	}
	if (!files)
		return NAN;
	double mean = sum / files;
	/* A calibration that far off skews every ns figure: say so. */
	if (hi - lo > 0.01 * mean)
		fprintf(stderr, "qvm-bench: warning: tsc_hz differs by %.2f %% "
			"between %s (%.0f Hz) and %s (%.0f Hz); using the mean "
			"%.0f Hz\n", (hi - lo) / mean * 100, lo_file, lo, hi_file,
			hi, mean);
	return mean;
}

void report_evaluate(struct report *rep)
{
	rep->tsc_hz = mean_tsc(rep);
	for (int k = 0; k < BK_KINDS; k++)
		for (int s = 0; s < SYS_COUNT; s++) {
			static const struct merged_hist empty;
			const struct merged_hist *h =
				sys_present(rep, s) ? &rep->m[s]->h[k] : &empty;
			stats_compute(h, rep->tsc_hz, &rep->st[k][s]);
		}
	for (size_t i = 0; i < rep->ntargets; i++) {
		struct target *t = &rep->targets[i];
		const struct kind_stats *b = &rep->st[t->kind][SYS_BASELINE];
		const struct kind_stats *q = &rep->st[t->kind][SYS_QVM];
		t->evaluated = b->present && q->present;
		if (!t->evaluated)
			continue;
		t->ratio = target_value(q, t->pct) / target_value(b, t->pct);
		t->pass = t->ratio <= t->limit;
	}
}

/* ---- host ------------------------------------------------------------ */

static void cpu_model(char *buf, size_t len)
{
	snprintf(buf, len, "unknown");
	FILE *f = fopen("/proc/cpuinfo", "r");
	if (!f)
		return;
	char line[512];
	while (fgets(line, sizeof line, f)) {
		if (strncmp(line, "model name", 10) != 0)
			continue;
		char *v = strchr(line, ':');
		if (!v)
			continue;
		v += 1 + strspn(v + 1, " \t");
		v[strcspn(v, "\n")] = 0;
		snprintf(buf, len, "%s", v);
		break;
	}
	fclose(f);
}

void report_host_info(struct report *rep)
{
	if (gethostname(rep->hostname, sizeof rep->hostname) != 0)
		snprintf(rep->hostname, sizeof rep->hostname, "unknown");
	rep->hostname[sizeof rep->hostname - 1] = 0;
	struct utsname u;
	if (uname(&u) == 0)
		snprintf(rep->kernel, sizeof rep->kernel, "%s", u.release);
	else
		snprintf(rep->kernel, sizeof rep->kernel, "unknown");
	cpu_model(rep->cpu_model, sizeof rep->cpu_model);
}

/* ---- text table ------------------------------------------------------ */

/* Short enough for a 9-wide column; "-" for a missing value. */
static const char *fmt_ns(char *buf, size_t len, double v)
{
	if (isnan(v))
		snprintf(buf, len, "-");
	else if (v < 10000)
		snprintf(buf, len, "%.1f", v);
	else
		snprintf(buf, len, "%.0f", v);
	return buf;
}

static void print_row(FILE *f, const char *kind, const char *sys,
		      const struct kind_stats *s)
{
	const double v[] = { s->min_ns, s->p50_ns, s->p90_ns, s->p99_ns,
			     s->p999_ns, s->max_ns };
	char buf[32];
	fprintf(f, "%-12s %-9s", kind, sys);
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
		fprintf(f, " %9s", fmt_ns(buf, sizeof buf, v[i]));
}

bool kind_present(const struct report *rep, int k)
{
	for (int s = 0; s < SYS_COUNT; s++)
		if (rep->st[k][s].present)
			return true;
	return false;
}

static void print_preface(FILE *f, const struct report *rep)
{
	fprintf(f, "TSC %.3f GHz", rep->tsc_hz / 1e9);
	for (int s = 0; s < SYS_COUNT; s++) {
		if (!sys_present(rep, s))
			continue;
		const struct merged *m = rep->m[s];
		fprintf(f, "; %s: %u round%s of n %llu", bench_sys_names[s],
			m->files, m->files == 1 ? "" : "s",
			(unsigned long long)m->n);
	}
	fprintf(f, "\n\n");
}

void report_print_table(FILE *f, const struct report *rep)
{
	print_preface(f, rep);
	fprintf(f, "%-12s %-9s %9s %9s %9s %9s %9s %9s  (ns)\n", "kind", "system",
		"min", "p50", "p90", "p99", "p99.9", "max");
	for (int k = 0; k < BK_KINDS; k++) {
		if (!kind_present(rep, k))
			continue;
		const char *label = bench_kind_names[k];
		for (int s = 0; s < SYS_COUNT; s++) {
			if (!rep->st[k][s].present)
				continue;
			print_row(f, label, bench_sys_names[s], &rep->st[k][s]);
			label = "";
			const struct kind_stats *b = &rep->st[k][SYS_BASELINE];
			if (s == SYS_QVM && b->present)
				fprintf(f, "   qvm/baseline p50 %.3f  p99 %.3f",
					rep->st[k][s].p50_ns / b->p50_ns,
					rep->st[k][s].p99_ns / b->p99_ns);
			fputc('\n', f);
		}
	}
}

unsigned report_print_targets(FILE *f, const struct report *rep)
{
	unsigned missed = 0;
	fprintf(f, "\ntargets (qvm vs raw-KVM baseline):\n");
	for (size_t i = 0; i < rep->ntargets; i++) {
		const struct target *t = &rep->targets[i];
		fprintf(f, "  %s p%u within %g %%: ", bench_kind_names[t->kind],
			t->pct, (t->limit - 1) * 100);
		if (!t->evaluated) {
			int s = rep->st[t->kind][SYS_BASELINE].present ?
				SYS_QVM : SYS_BASELINE;
			if (sys_present(rep, s))
				fprintf(f, "SKIP (%s did not measure %s)\n",
					bench_sys_names[s], bench_kind_names[t->kind]);
			else
				fprintf(f, "SKIP (no %s results)\n", bench_sys_names[s]);
			continue;
		}
		fprintf(f, "%s (qvm/baseline %.3f)\n", t->pass ? "PASS" : "FAIL",
			t->ratio);
		missed += !t->pass;
	}
	return missed;
}

/* ---- output files ---------------------------------------------------- */

/* Closes F, reporting a write error naming PATH. */
int close_out(FILE *f, const char *path)
{
	bool bad = ferror(f);
	if (fclose(f) != 0)
		bad = true;
	if (bad) {
		fprintf(stderr, "qvm-bench: %s: write error: %s\n", path,
			strerror(errno));
		return -1;
	}
	return 0;
}

FILE *open_out(const char *path)
{
	FILE *f = fopen(path, "w");
	if (!f)
		fprintf(stderr, "qvm-bench: %s: cannot create: %s\n", path,
			strerror(errno));
	return f;
}

const struct merged *some_merged(const struct report *rep)
{
	for (int s = SYS_COUNT - 1; s >= 0; s--)
		if (sys_present(rep, s))
			return rep->m[s];
	return NULL;
}

/* ---- results files in a directory (--report-only) --------------------- */

static int cmp_unsigned(const void *a, const void *b)
{
	unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;
	return (x > y) - (x < y);
}

/* The round number R of a file named PREFIX-R.bin, or 0. */
static unsigned round_of(const char *file, const char *prefix)
{
	size_t pl = strlen(prefix);
	if (strncmp(file, prefix, pl) != 0 || file[pl] != '-' ||
	    file[pl + 1] < '1' || file[pl + 1] > '9')
		return 0;
	char *end;
	unsigned long v = strtoul(file + pl + 1, &end, 10);
	return strcmp(end, ".bin") == 0 && v <= 1000000 ? (unsigned)v : 0;
}

/* Merges every DIR/SYSTEM-R.bin, in round order. */
bool merge_dir(const char *dir, int sys, struct merged *m)
{
	DIR *d = opendir(dir);
	if (!d) {
		fprintf(stderr, "qvm-bench: %s: cannot open directory: %s\n", dir,
			strerror(errno));
		return false;
	}
	unsigned rounds[1024], n = 0;
	for (struct dirent *e; (e = readdir(d)) && n < 1024;) {
		unsigned r = round_of(e->d_name, bench_sys_names[sys]);
		if (r)
			rounds[n++] = r;
	}
	closedir(d);
	qsort(rounds, n, sizeof rounds[0], cmp_unsigned);
	struct bench_results *r = malloc(sizeof *r);
	if (!r) {
		perror("qvm-bench: malloc");
		return false;
	}
	bool ok = true;
	for (unsigned i = 0; ok && i < n; i++) {
		char path[PATH_MAX], err[PATH_MAX + 256];
		ok = snprintf(path, sizeof path, "%s/%s-%u.bin", dir,
			      bench_sys_names[sys], rounds[i]) < (int)sizeof path;
		if (ok && results_load(path, r, err, sizeof err) != 0) {
			fprintf(stderr, "qvm-bench: %s\n", err);
			ok = false;
		}
		if (ok)
			merged_add(m, r, path);
	}
	free(r);
	return ok;
}

/* calib_ms from DIR/params.bin, if a sane one is there (JSON only). */
uint32_t params_calib_ms(const char *dir)
{
	char path[PATH_MAX];
	struct bench_params p;
	if (snprintf(path, sizeof path, "%s/params.bin", dir) >= (int)sizeof path)
		return 0;
	FILE *f = fopen(path, "rb");
	if (!f)
		return 0;
	size_t got = fread(&p, 1, sizeof p, f);
	fclose(f);
	return got == sizeof p && p.magic == BENCH_MAGIC ? p.calib_ms : 0;
}
