/*
 * qvm-bench's report: see report.h. Everything here works on results files
 * already written, so it can be tested with fake ones.
 */
#include "report.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

const char *const bench_kind_names[BK_KINDS] = {
	[BK_FLOOR] = "floor",
	[BK_MMIO_READ] = "mmio-read",
	[BK_MMIO_WRITE] = "mmio-write",
	[BK_PIO_READ] = "pio-read",
	[BK_PIO_WRITE] = "pio-write",
	[BK_UNOWNED] = "unowned",
};

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
static unsigned bucket_limit(void)
{
	return bench_bucket(UINT64_MAX) + 1;
}

/* One past the largest value of bucket B, as a double (the last is open). */
static double bucket_high(unsigned b)
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

static bool sys_present(const struct report *rep, int s)
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

static bool kind_present(const struct report *rep, int k)
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
static int close_out(FILE *f, const char *path)
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

static FILE *open_out(const char *path)
{
	FILE *f = fopen(path, "w");
	if (!f)
		fprintf(stderr, "qvm-bench: %s: cannot create: %s\n", path,
			strerror(errno));
	return f;
}

/* ---- JSON ------------------------------------------------------------ */

/*
 * A minimal JSON writer: it remembers per nesting level whether a comma is
 * due, which is all that hand-writing valid JSON needs.
 */
struct json {
	FILE *f;
	int depth;		/* 0 outside the root object */
	bool first[16];
};

static void json_str_raw(struct json *j, const char *s)
{
	fputc('"', j->f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(j->f, "\\%c", *p);
		else if (*p < 0x20)
			fprintf(j->f, "\\u%04x", *p);
		else
			fputc(*p, j->f);
	}
	fputc('"', j->f);
}

/* Starts a member (KEY non-NULL) or an array element. */
static void json_key(struct json *j, const char *key)
{
	if (!j->first[j->depth])
		fputc(',', j->f);
	j->first[j->depth] = false;
	fprintf(j->f, "\n%*s", 2 * j->depth, "");
	if (key) {
		json_str_raw(j, key);
		fputs(": ", j->f);
	}
}

static void json_open(struct json *j, const char *key, char bracket)
{
	if (j->depth > 0)	/* the root has no key and no comma */
		json_key(j, key);
	fputc(bracket, j->f);
	j->first[++j->depth] = true;
}

static void json_close(struct json *j, char bracket)
{
	j->depth--;
	fprintf(j->f, "\n%*s%c", 2 * j->depth, "", bracket);
}

static void json_num(struct json *j, const char *key, double v)
{
	json_key(j, key);
	if (isfinite(v))
		fprintf(j->f, "%.10g", v);
	else
		fputs("null", j->f);	/* JSON has no NaN */
}

static void json_uint(struct json *j, const char *key, uint64_t v)
{
	json_key(j, key);
	fprintf(j->f, "%llu", (unsigned long long)v);
}

static void json_str(struct json *j, const char *key, const char *s)
{
	json_key(j, key);
	json_str_raw(j, s);
}

static void json_bool(struct json *j, const char *key, bool v)
{
	json_key(j, key);
	fputs(v ? "true" : "false", j->f);
}

static void json_null(struct json *j, const char *key)
{
	json_key(j, key);
	fputs("null", j->f);
}

static void json_host(struct json *j, const struct report *rep)
{
	json_open(j, "host", '{');
	json_str(j, "hostname", rep->hostname);
	json_str(j, "kernel", rep->kernel);
	json_str(j, "cpu_model", rep->cpu_model);
	json_close(j, '}');
}

/* The first system measured, whose n/warmup stand for the run. */
static const struct merged *some_merged(const struct report *rep)
{
	for (int s = SYS_COUNT - 1; s >= 0; s--)
		if (sys_present(rep, s))
			return rep->m[s];
	return NULL;
}

static void json_params(struct json *j, const struct report *rep)
{
	const struct merged *m = some_merged(rep);
	uint32_t kinds = 0;
	for (int s = 0; s < SYS_COUNT; s++)
		if (sys_present(rep, s))
			kinds |= rep->m[s]->kinds;
	json_open(j, "params", '{');
	json_uint(j, "n", m ? m->n : 0);
	json_uint(j, "warmup", m ? m->warmup : 0);
	json_open(j, "kinds", '[');
	for (int k = 0; k < BK_KINDS; k++)
		if (kinds & (1u << k))
			json_str(j, NULL, bench_kind_names[k]);
	json_close(j, ']');
	if (rep->calib_ms)
		json_uint(j, "calib_ms", rep->calib_ms);
	else
		json_null(j, "calib_ms");
	json_open(j, "rounds", '{');
	for (int s = 0; s < SYS_COUNT; s++)
		json_uint(j, bench_sys_names[s],
			  sys_present(rep, s) ? rep->m[s]->files : 0);
	json_close(j, '}');
	/* Only a run knows how the VM was set up; --report-only says null. */
	const struct run_info *r = &rep->run;
	if (r->known) {
		json_uint(j, "vcpus", r->vcpus);
		json_uint(j, "vdevs", r->vdevs);
		json_bool(j, "emit_logger", r->emit_logger);
		json_str(j, "qvm", r->qvm);
		json_str(j, "guest", r->guest);
		if (r->baseline)
			json_str(j, "baseline", r->baseline_path);
		else
			json_null(j, "baseline");
	} else {
		json_null(j, "vcpus");
		json_null(j, "vdevs");
		json_null(j, "emit_logger");
	}
	json_close(j, '}');
}

/* Each figure in ns and in the guest's TSC cycles (cycles = ns * tsc_hz / 1e9). */
static void json_stats(struct json *j, const char *key,
		       const struct kind_stats *s, double tsc_hz)
{
	static const char *const names[] = { "min", "p50", "p90", "p99", "p999", "max", "mean" };
	const double ns[] = { s->min_ns, s->p50_ns, s->p90_ns, s->p99_ns, s->p999_ns,
		s->max_ns, s->mean_ns };
	char key_ns[16], key_cy[24];

	json_open(j, key, '{');
	json_uint(j, "count", s->count);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(key_ns, sizeof(key_ns), "%s_ns", names[i]);
		json_num(j, key_ns, ns[i]);
	}
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(key_cy, sizeof(key_cy), "%s_cycles", names[i]);
		json_num(j, key_cy, ns[i] * tsc_hz / 1e9);
	}
	json_close(j, '}');
}

static void json_kinds(struct json *j, const struct report *rep)
{
	json_open(j, "kinds", '{');
	for (int k = 0; k < BK_KINDS; k++) {
		if (!kind_present(rep, k))
			continue;
		const struct kind_stats *b = &rep->st[k][SYS_BASELINE];
		const struct kind_stats *q = &rep->st[k][SYS_QVM];
		json_open(j, bench_kind_names[k], '{');
		for (int s = 0; s < SYS_COUNT; s++) {
			if (rep->st[k][s].present)
				json_stats(j, bench_sys_names[s], &rep->st[k][s], rep->tsc_hz);
			else
				json_null(j, bench_sys_names[s]);
		}
		bool both = b->present && q->present;
		json_num(j, "ratio_p50", both ? q->p50_ns / b->p50_ns : NAN);
		json_num(j, "ratio_p99", both ? q->p99_ns / b->p99_ns : NAN);
		json_close(j, '}');
	}
	json_close(j, '}');
}

static void json_targets(struct json *j, const struct report *rep)
{
	bool all = true;
	json_open(j, "targets", '{');
	for (size_t i = 0; i < rep->ntargets; i++) {
		const struct target *t = &rep->targets[i];
		char name[64];
		snprintf(name, sizeof name, "%s p%u", bench_kind_names[t->kind],
			 t->pct);
		json_open(j, name, '{');
		json_str(j, "kind", bench_kind_names[t->kind]);
		json_uint(j, "percentile", t->pct);
		json_num(j, "max_ratio", t->limit);
		json_num(j, "ratio", t->evaluated ? t->ratio : NAN);
		if (t->evaluated)
			json_bool(j, "pass", t->pass);
		else
			json_null(j, "pass");
		json_close(j, '}');
		all = all && t->evaluated && t->pass;
	}
	json_bool(j, "all_pass", all);
	json_close(j, '}');
}

int report_write_json(const char *path, const struct report *rep)
{
	FILE *f = open_out(path);
	if (!f)
		return -1;
	struct json j = { .f = f };
	json_open(&j, NULL, '{');
	json_str(&j, "tool", "qvm-bench");
	json_host(&j, rep);
	json_params(&j, rep);
	json_num(&j, "tsc_hz", rep->tsc_hz);
	json_kinds(&j, rep);
	json_targets(&j, rep);
	json_close(&j, '}');
	fputc('\n', f);
	return close_out(f, path);
}

/* ---- SVG ------------------------------------------------------------- */

#define SVG_W		900
#define SVG_ML		72	/* left margin: y tick labels and title */
#define SVG_MR		24
#define SVG_HEAD	92	/* title, host line, legend */
#define SVG_PANEL	262	/* one kind */
#define SVG_PLOT_TOP	46	/* plot area inside a panel */
#define SVG_PLOT_H	160
#define SVG_BINS	150	/* log-spaced bins drawn per panel */

static const char *const sys_colour[SYS_COUNT] = {
	[SYS_BASELINE] = "#1f6fb4",
	[SYS_QVM] = "#d95f02",
};

static void svg_text_raw(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		default: fputc(*s, f);
		}
	}
}

/* <text> at X,Y with extra attributes ATTR and printf-formatted content. */
static void svg_text(FILE *f, double x, double y, const char *attr,
		     const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static void svg_text(FILE *f, double x, double y, const char *attr,
		     const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" %s>", x, y, attr);
	svg_text_raw(f, buf);
	fputs("</text>\n", f);
}

/* A latency as a short label: "850 ns", "1.2 µs", "3 ms". */
static void fmt_latency(char *buf, size_t len, double ns)
{
	if (ns < 1000)
		snprintf(buf, len, "%.3g ns", ns);
	else if (ns < 1e6)
		snprintf(buf, len, "%.3g \u00b5s", ns / 1e3);
	else
		snprintf(buf, len, "%.3g ms", ns / 1e6);
}

/* The x range of one panel and the mapping onto pixels. */
struct xaxis {
	double lo, hi;		/* ns */
	double px0, px1;
};

static double x_of(const struct xaxis *ax, double ns)
{
	return ax->px0 + (ax->px1 - ax->px0) * log(ns / ax->lo) /
		log(ax->hi / ax->lo);
}

/*
 * From the lowest minimum to a little past the higher p99 (or the maximum,
 * if lower). Exits have long, thin tails (host interrupts, preemption):
 * drawing them would squeeze the body of both distributions into a few
 * pixels, while the last 1 % barely shows on a linear share axis anyway.
 * The table has the tail's percentiles; the panel says how much is cut.
 */
static struct xaxis panel_xaxis(const struct report *rep, int k)
{
	double lo = INFINITY, hi = 0, p99 = 0;
	for (int s = 0; s < SYS_COUNT; s++) {
		const struct kind_stats *st = &rep->st[k][s];
		if (!st->present)
			continue;
		lo = fmin(lo, st->min_ns);
		hi = fmax(hi, st->max_ns);
		p99 = fmax(p99, st->p99_ns);
	}
	hi = fmin(hi, 1.25 * p99);
	double one_cycle = 1e9 / rep->tsc_hz;
	lo = fmax(lo, one_cycle) / 1.05;
	hi = fmax(hi, one_cycle) * 1.05;
	/* A very narrow distribution still gets a readable factor of 3. */
	if (hi / lo < 3) {
		double mid = sqrt(lo * hi);
		lo = mid / sqrt(3);
		hi = mid * sqrt(3);
	}
	struct xaxis ax = { lo, hi, SVG_ML, SVG_W - SVG_MR };
	return ax;
}

/*
 * Spreads a histogram over SVG_BINS log-spaced bins (share of samples in
 * %). A bucket's samples are taken as evenly spread over its values, cut
 * to the exact [min, max]; what lies above the axis is returned.
 */
static double bin_hist(const struct merged_hist *h, double tsc_hz,
		       const struct xaxis *ax, double *bins)
{
	double scale = 1e9 / tsc_hz, llo = log(ax->lo);
	double lspan = log(ax->hi) - llo, off = 0;
	double vmin = (double)h->min, vmax = (double)h->max + 1;
	unsigned lim = bucket_limit();
	for (int i = 0; i < SVG_BINS; i++)
		bins[i] = 0;
	for (unsigned b = 0; b < lim; b++) {
		if (!h->bucket[b])
			continue;
		double a = fmax((double)bench_bucket_low(b), vmin) * scale;
		double z = fmin(bucket_high(b), vmax) * scale;
		double c = (double)h->bucket[b] / (double)h->count * 100;
		if (z <= a)
			z = a * (1 + 1e-9);
		if (z > ax->hi)
			off += c * (z - fmax(a, ax->hi)) / (z - a);
		int i = (int)floor((log(fmax(a, ax->lo)) - llo) / lspan * SVG_BINS);
		for (i = i < 0 ? 0 : i; i < SVG_BINS; i++) {
			double e0 = exp(llo + lspan * i / SVG_BINS);
			double e1 = exp(llo + lspan * (i + 1) / SVG_BINS);
			if (e0 >= z)
				break;
			double ov = fmin(z, e1) - fmax(a, e0);
			if (ov > 0)
				bins[i] += c * ov / (z - a);
		}
	}
	return off;
}

/* A round step (1, 2 or 5 x 10^k) giving about 5 ticks up to VMAX. */
static double nice_step(double vmax)
{
	double raw = vmax / 5, p = pow(10, floor(log10(raw)));
	double m = raw / p;
	return p * (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10);
}

static void svg_yaxis(FILE *f, double top, double ymax, double step)
{
	double bot = top + SVG_PLOT_H;
	for (double v = 0; v <= ymax * (1 + 1e-9); v += step) {
		double y = bot - v / ymax * SVG_PLOT_H;
		fprintf(f, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" "
			"stroke=\"#e3e3e3\"/>\n", SVG_ML, y, SVG_W - SVG_MR, y);
		svg_text(f, SVG_ML - 6, y + 4, "text-anchor=\"end\"", "%g", v);
	}
	double mid = top + SVG_PLOT_H / 2.0;
	fprintf(f, "<text transform=\"translate(%d,%.1f) rotate(-90)\" "
		"text-anchor=\"middle\">samples (%%)</text>\n", 18, mid);
}

/* Tick mantissas, coarse to fine: a narrow range needs the finer sets. */
static const double tick_sets[][16] = {
	{ 1 },
	{ 1, 2, 5 },
	{ 1, 2, 3, 4, 5, 6, 7, 8, 9 },
	{ 1, 1.2, 1.4, 1.6, 1.8, 2, 2.5, 3, 3.5, 4, 4.5, 5, 6, 7, 8, 9 },
};
static const int tick_set_len[] = { 1, 3, 9, 16 };
#define TICK_SETS	4

/*
 * Calls TICK(v) for each tick of SET in the axis' range; returns how many.
 * The values come from the mantissa times a power of ten, so labels like
 * "1.2 µs" print exactly.
 */
static int for_ticks(const struct xaxis *ax, int set, FILE *f, double top,
		     void (*tick)(FILE *, const struct xaxis *, double, double))
{
	int n = 0;
	for (int e = (int)floor(log10(ax->lo)); e <= (int)ceil(log10(ax->hi)); e++)
		for (int i = 0; i < tick_set_len[set]; i++) {
			double v = tick_sets[set][i] * pow(10, e);
			if (v < ax->lo || v > ax->hi)
				continue;
			n++;
			if (tick)
				tick(f, ax, v, top);
		}
	return n;
}

static void draw_xtick(FILE *f, const struct xaxis *ax, double v, double top)
{
	double bot = top + SVG_PLOT_H, x = x_of(ax, v);
	char lab[32];
	fmt_latency(lab, sizeof lab, v);
	fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
		"stroke=\"#e3e3e3\"/>\n", x, top, x, bot);
	fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
		"stroke=\"#444\"/>\n", x, bot, x, bot + 5);
	svg_text(f, x, bot + 18, "text-anchor=\"middle\"", "%s", lab);
}

/* Labelled ticks from the coarsest set that gives at least 5. */
static void svg_xaxis(FILE *f, const struct xaxis *ax, double top)
{
	int set = 0;
	while (set < TICK_SETS - 1 && for_ticks(ax, set, f, top, NULL) < 5)
		set++;
	for_ticks(ax, set, f, top, draw_xtick);
	svg_text(f, (ax->px0 + ax->px1) / 2, top + SVG_PLOT_H + 38,
		 "text-anchor=\"middle\"", "latency (log scale)");
}

/* The distribution as a filled step outline. */
static void svg_dist(FILE *f, const struct xaxis *ax, const double *bins,
		     double top, double ymax, const char *colour)
{
	double bot = top + SVG_PLOT_H;
	double lspan = log(ax->hi / ax->lo);
	fprintf(f, "<path fill=\"%s\" fill-opacity=\"0.22\" stroke=\"%s\" "
		"stroke-width=\"1.3\" stroke-linejoin=\"round\" d=\"M%.1f,%.1f",
		colour, colour, ax->px0, bot);
	for (int i = 0; i < SVG_BINS; i++) {
		double x0 = x_of(ax, ax->lo * exp(lspan * i / SVG_BINS));
		double x1 = x_of(ax, ax->lo * exp(lspan * (i + 1) / SVG_BINS));
		double y = bot - fmin(bins[i] / ymax, 1) * SVG_PLOT_H;
		fprintf(f, " L%.1f,%.1f L%.1f,%.1f", x0, y, x1, y);
	}
	fprintf(f, " L%.1f,%.1f Z\"/>\n", ax->px1, bot);
}

/*
 * p50 (dashed) and p99 (dotted) of one system. The labels of p50 go left of
 * the line and those of p99 right, and each system has its own height, so
 * close marks stay legible.
 */
static void svg_marks(FILE *f, const struct xaxis *ax, const struct kind_stats *s,
		      double top, int sys)
{
	const struct { double v; const char *name, *dash, *anchor; int dx; } m[] = {
		{ s->p50_ns, "p50", "6,3", "end", -3 },
		{ s->p99_ns, "p99", "2,3", "start", 3 },
	};
	double ly = top + 12 + 13 * sys;
	for (size_t i = 0; i < 2; i++) {
		if (!(m[i].v >= ax->lo && m[i].v <= ax->hi))
			continue;
		double x = x_of(ax, m[i].v);
		fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
			"stroke=\"%s\" stroke-width=\"1.5\" stroke-dasharray=\"%s\"/>\n",
			x, top, x, top + SVG_PLOT_H, sys_colour[sys], m[i].dash);
		/* Near an edge of the plot, the label goes to the inner side. */
		const char *anchor = m[i].anchor;
		int dx = m[i].dx;
		if (dx < 0 && x - 24 < ax->px0)
			anchor = "start", dx = 3;
		else if (dx > 0 && x + 24 > ax->px1)
			anchor = "end", dx = -3;
		char attr[160];
		snprintf(attr, sizeof attr,
			 "text-anchor=\"%s\" fill=\"%s\" font-size=\"11\" "
			 "stroke=\"white\" stroke-width=\"3\" paint-order=\"stroke\"",
			 anchor, sys_colour[sys]);
		svg_text(f, x + dx, ly, attr, "%s", m[i].name);
	}
}

/* "p50 1.23 µs vs 1.20 µs (×1.025)" or the one value there is. */
static void fmt_compare(char *buf, size_t len, const char *name,
			double q, double b)
{
	char qs[32], bs[32];
	fmt_latency(qs, sizeof qs, q);
	fmt_latency(bs, sizeof bs, b);
	if (!isnan(q) && !isnan(b))
		snprintf(buf, len, "%s: qvm %s, baseline %s (\u00d7%.3f)", name, qs,
			 bs, q / b);
	else
		snprintf(buf, len, "%s: %s", name, isnan(q) ? bs : qs);
}

static void svg_panel_title(FILE *f, const struct report *rep, int k,
			    double y)
{
	const struct kind_stats *q = &rep->st[k][SYS_QVM];
	const struct kind_stats *b = &rep->st[k][SYS_BASELINE];
	char p50[128], p99[128];
	fmt_compare(p50, sizeof p50, "p50", q->p50_ns, b->p50_ns);
	fmt_compare(p99, sizeof p99, "p99", q->p99_ns, b->p99_ns);
	svg_text(f, SVG_ML, y + 18, "font-size=\"15\" font-weight=\"bold\"",
		 "%s", bench_kind_names[k]);
	svg_text(f, SVG_ML + 110, y + 18, "font-size=\"12\"",
		 "%s  \u00b7  %s", p50, p99);

	/* Samples and maximum per system: the maximum is usually off the chart. */
	char note[256];
	size_t n = 0;
	for (int s = 0; s < SYS_COUNT && n < sizeof note; s++) {
		const struct kind_stats *st = &rep->st[k][s];
		if (!st->present)
			continue;
		char mx[32];
		fmt_latency(mx, sizeof mx, st->max_ns);
		n += snprintf(note + n, sizeof note - n, "%s%s %llu samples, max %s",
			      n ? "  \u00b7  " : "", bench_sys_names[s],
			      (unsigned long long)st->count, mx);
	}
	svg_text(f, SVG_ML, y + 34, "font-size=\"11\" fill=\"#555\"", "%s", note);
}

/*
 * What lies beyond the right end of the axis, right-aligned on the line
 * under the title (inside the plot it would collide with the p99 labels).
 */
static void svg_offscale(FILE *f, const struct report *rep, int k,
			 const struct xaxis *ax, double y,
			 const double off[SYS_COUNT])
{
	char note[256], hi[32];
	size_t n = 0;
	fmt_latency(hi, sizeof hi, ax->hi);
	n += snprintf(note, sizeof note, "beyond %s (not drawn):", hi);
	bool any = false, first = true;
	for (int s = 0; s < SYS_COUNT && n < sizeof note; s++) {
		if (!rep->st[k][s].present)
			continue;
		n += snprintf(note + n, sizeof note - n, "%s %s %.2g %%",
			      first ? "" : ",", bench_sys_names[s], off[s]);
		first = false;
		any = any || off[s] > 0;
	}
	if (any)
		svg_text(f, ax->px1, y + 34,
			 "text-anchor=\"end\" font-size=\"11\" fill=\"#555\"",
			 "%s", note);
}

static void svg_panel(FILE *f, const struct report *rep, int k, double y)
{
	struct xaxis ax = panel_xaxis(rep, k);
	double bins[SYS_COUNT][SVG_BINS], off[SYS_COUNT] = { 0 }, ymax = 0;
	for (int s = 0; s < SYS_COUNT; s++) {
		if (!rep->st[k][s].present)
			continue;
		off[s] = bin_hist(&rep->m[s]->h[k], rep->tsc_hz, &ax, bins[s]);
		for (int i = 0; i < SVG_BINS; i++)
			ymax = fmax(ymax, bins[s][i]);
	}
	double step = nice_step(ymax > 0 ? ymax * 1.05 : 1);
	ymax = ceil((ymax > 0 ? ymax * 1.05 : 1) / step) * step;
	double top = y + SVG_PLOT_TOP;

	svg_panel_title(f, rep, k, y);
	svg_yaxis(f, top, ymax, step);
	svg_xaxis(f, &ax, top);
	for (int s = 0; s < SYS_COUNT; s++)
		if (rep->st[k][s].present)
			svg_dist(f, &ax, bins[s], top, ymax, sys_colour[s]);
	for (int s = 0; s < SYS_COUNT; s++)
		if (rep->st[k][s].present)
			svg_marks(f, &ax, &rep->st[k][s], top, s);
	svg_offscale(f, rep, k, &ax, y, off);
	fprintf(f, "<rect x=\"%d\" y=\"%.1f\" width=\"%d\" height=\"%d\" "
		"fill=\"none\" stroke=\"#444\"/>\n", SVG_ML, top,
		SVG_W - SVG_ML - SVG_MR, SVG_PLOT_H);
}

static void svg_legend(FILE *f, double y)
{
	double x = SVG_ML;
	static const char *const label[SYS_COUNT] = {
		[SYS_BASELINE] = "baseline (raw KVM, minimal VMM)",
		[SYS_QVM] = "qvm",
	};
	for (int s = 0; s < SYS_COUNT; s++) {
		fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"14\" height=\"10\" "
			"fill=\"%s\" fill-opacity=\"0.35\" stroke=\"%s\"/>\n",
			x, y - 9, sys_colour[s], sys_colour[s]);
		svg_text(f, x + 20, y, "", "%s", label[s]);
		x += 40 + 7.0 * strlen(label[s]);
	}
	const struct { const char *dash, *name; } m[] = {
		{ "6,3", "p50" }, { "2,3", "p99" },
	};
	for (size_t i = 0; i < 2; i++) {
		fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
			"stroke=\"#333\" stroke-width=\"1.5\" stroke-dasharray=\"%s\"/>\n",
			x, y - 4, x + 24, y - 4, m[i].dash);
		svg_text(f, x + 30, y, "", "%s", m[i].name);
		x += 80;
	}
}

static void svg_header(FILE *f, const struct report *rep)
{
	const struct merged *m = some_merged(rep);
	svg_text(f, SVG_ML, 26, "font-size=\"18\" font-weight=\"bold\"",
		 "qvm-bench: guest exit latency, qvm vs raw-KVM baseline");
	char rounds[128] = "";
	size_t n = 0;
	for (int s = 0; s < SYS_COUNT; s++)
		if (sys_present(rep, s))
			n += snprintf(rounds + n, sizeof rounds - n, "%s%s \u00d7%u",
				      n ? ", " : "", bench_sys_names[s],
				      rep->m[s]->files);
	svg_text(f, SVG_ML, 48, "font-size=\"12\" fill=\"#333\"",
		 "%s \u00b7 %s \u00b7 Linux %s \u00b7 TSC %.3f GHz \u00b7 "
		 "n %llu per kind per round \u00b7 rounds: %s",
		 rep->cpu_model, rep->hostname, rep->kernel, rep->tsc_hz / 1e9,
		 (unsigned long long)(m ? m->n : 0), rounds);
	svg_legend(f, 74);
}

int report_write_svg(const char *path, const struct report *rep)
{
	int panels = 0;
	for (int k = 0; k < BK_KINDS; k++)
		panels += kind_present(rep, k);
	int h = SVG_HEAD + (panels ? panels : 1) * SVG_PANEL;
	FILE *f = open_out(path);
	if (!f)
		return -1;
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
		"viewBox=\"0 0 %d %d\" font-family=\"DejaVu Sans, Helvetica, Arial, "
		"sans-serif\" font-size=\"12\">\n"
		"<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
		SVG_W, h, SVG_W, h);
	svg_header(f, rep);
	double y = SVG_HEAD;
	for (int k = 0; k < BK_KINDS; k++) {
		if (!kind_present(rep, k))
			continue;
		svg_panel(f, rep, k, y);
		y += SVG_PANEL;
	}
	if (!panels)
		svg_text(f, SVG_ML, y + 40, "", "no results");
	fputs("</svg>\n", f);
	return close_out(f, path);
}
