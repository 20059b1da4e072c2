/*
 * qvm-bench: runs the measuring guest (bench.elf) under the raw-KVM
 * baseline and under qvm, alternating round by round, merges the results
 * and reports latency percentiles per access kind, a verdict on the
 * targets, bench.json and bench.svg. See `qvm-bench --help`.
 *
 * The contract with the guest and both VMMs is bench-abi.h; the report
 * itself (math, table, JSON, SVG) is report.c.
 */
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench-abi.h"
#include "report.h"

/* What differs by architecture: the guest, the console, the kinds there are. */
#if defined(__aarch64__)
#define ARCH_GUEST	"build/guest-images/aarch64/bench.elf"
#define ARCH_CONSOLE	"vdev pl011 loc 0x%x\n", BENCH_UART_GPA
#define ARCH_KINDS	((1u << BK_FLOOR) | (1u << BK_MMIO_READ) | (1u << BK_MMIO_WRITE) | \
			 (1u << BK_UNOWNED))
#else
#define ARCH_GUEST	"build/guest-images/x86_64/bench.elf"
#define ARCH_CONSOLE	"vdev ser8250\n"
#define ARCH_KINDS	((1u << BK_KINDS) - 1)
#endif

/* The extra trace vdevs start here, 4 KiB apart, below BENCH_UNOWNED_GPA. */
#define EXTRA_VDEV_BASE		0xfa100000u
#define EXTRA_VDEV_MAX		((BENCH_UNOWNED_GPA - EXTRA_VDEV_BASE) / 0x1000u)

struct opts {
	uint64_t n, warmup;
	uint32_t kinds, calib_ms;
	unsigned rounds, vcpus, vdevs, timeout;
	bool emit_logger, no_baseline, quiet, strict, report_only;
	const char *out, *qvm, *baseline, *guest;
};

/* Absolute paths of what a run needs (the children get only these). */
struct run_paths {
	char out[PATH_MAX], qvm[PATH_MAX], baseline[PATH_MAX], guest[PATH_MAX];
	char params[PATH_MAX];
};

static void usage(FILE *f)
{
	fprintf(f,
"usage: qvm-bench [OPTION...]\n"
"Runs the measuring guest under the raw-KVM baseline and under qvm, round by\n"
"round in turn, and reports the latency of each access kind: a table on\n"
"stdout, DIR/bench.json and DIR/bench.svg.\n"
"\n"
"  --n N            timed accesses per kind (default 1000000)\n"
"  --warmup W       untimed accesses before them (default 10000)\n"
"  --kinds LIST     comma list of floor,mmio-read,mmio-write,pio-read,\n"
"                   pio-write,unowned (default all this architecture has;\n"
"                   arm64 has no pio kinds)\n"
"  --rounds R       runs per system (default 3)\n"
"  --vcpus V        vCPUs for qvm (default 1; the guest measures on vCPU 0)\n"
"  --vdevs K        extra trace vdevs at 0x%x + i*0x1000 (default 8)\n"
"  --emit-logger    add emit-logger to the measured trace vdev\n"
"  --calib-ms M     the guest's TSC calibration window (default 300)\n"
"  --out DIR        where params, logs, results and the report go\n"
"                   (default build/bench)\n"
"  --qvm PATH       default build/qvm\n"
"  --baseline PATH  default build/tools/kvm-baseline\n"
"  --guest PATH     default " ARCH_GUEST "\n"
"  --no-baseline    run qvm only (no ratios, targets skipped)\n"
"  --timeout S      kill a run after S seconds (default 0: never)\n"
"  --report-only    run nothing: report on DIR/baseline-*.bin and\n"
"                   DIR/qvm-*.bin as they are\n"
"  --strict         exit 2 when a target is missed (default: report only)\n"
"  --quiet          no progress, on stdout or on stderr\n"
"  --help           this text\n"
"\n"
"Each run's console and log go to DIR/SYSTEM-R.log, its results to\n"
"DIR/SYSTEM-R.bin. Progress goes to stderr: on a terminal one line, redrawn\n"
"as each kind is done (round, system, kind, percentage, time left), else a\n"
"line per round. Exit status: 0 done, 1 error, 2 target missed (--strict).\n",
		EXTRA_VDEV_BASE);
}

/* ---- options --------------------------------------------------------- */

static bool parse_u64(const char *opt, const char *s, uint64_t min,
		      uint64_t max, uint64_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	if (!*s || *end || errno || *s == '-' || v < min || v > max) {
		fprintf(stderr, "qvm-bench: --%s: '%s' is not a number from %llu "
			"to %llu\n", opt, s, (unsigned long long)min,
			(unsigned long long)max);
		return false;
	}
	*out = v;
	return true;
}

static bool parse_kinds(const char *s, uint32_t *kinds)
{
	char buf[256];
	if (snprintf(buf, sizeof buf, "%s", s) >= (int)sizeof buf) {
		fprintf(stderr, "qvm-bench: --kinds: list too long\n");
		return false;
	}
	*kinds = 0;
	for (char *save, *t = strtok_r(buf, ",", &save); t;
	     t = strtok_r(NULL, ",", &save)) {
		int k = bench_kind_parse(t);
		if (k < 0) {
			fprintf(stderr, "qvm-bench: --kinds: unknown kind '%s' "
				"(floor, mmio-read, mmio-write, pio-read, "
				"pio-write, unowned)\n", t);
			return false;
		}
		if (!(ARCH_KINDS & (1u << k))) {
			fprintf(stderr, "qvm-bench: --kinds: '%s' does not exist on this "
				"architecture\n", t);
			return false;
		}
		*kinds |= 1u << k;
	}
	if (!*kinds) {
		fprintf(stderr, "qvm-bench: --kinds: empty list\n");
		return false;
	}
	return true;
}

enum {
	OPT_N = 256, OPT_WARMUP, OPT_KINDS, OPT_ROUNDS, OPT_VCPUS, OPT_VDEVS,
	OPT_EMIT_LOGGER, OPT_CALIB, OPT_OUT, OPT_QVM, OPT_BASELINE, OPT_GUEST,
	OPT_NO_BASELINE, OPT_QUIET, OPT_HELP, OPT_REPORT_ONLY, OPT_STRICT,
	OPT_TIMEOUT,
};

static const struct option long_opts[] = {
	{ "n", required_argument, NULL, OPT_N },
	{ "warmup", required_argument, NULL, OPT_WARMUP },
	{ "kinds", required_argument, NULL, OPT_KINDS },
	{ "rounds", required_argument, NULL, OPT_ROUNDS },
	{ "vcpus", required_argument, NULL, OPT_VCPUS },
	{ "vdevs", required_argument, NULL, OPT_VDEVS },
	{ "emit-logger", no_argument, NULL, OPT_EMIT_LOGGER },
	{ "calib-ms", required_argument, NULL, OPT_CALIB },
	{ "out", required_argument, NULL, OPT_OUT },
	{ "qvm", required_argument, NULL, OPT_QVM },
	{ "baseline", required_argument, NULL, OPT_BASELINE },
	{ "guest", required_argument, NULL, OPT_GUEST },
	{ "no-baseline", no_argument, NULL, OPT_NO_BASELINE },
	{ "quiet", no_argument, NULL, OPT_QUIET },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "report-only", no_argument, NULL, OPT_REPORT_ONLY },
	{ "strict", no_argument, NULL, OPT_STRICT },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ NULL, 0, NULL, 0 },
};

/* One numeric option: its bounds and where it goes. */
static bool set_number(struct opts *o, int id, const char *arg)
{
	uint64_t v;
	switch (id) {
	case OPT_N:
		return parse_u64("n", arg, 1, UINT32_MAX, &o->n);
	case OPT_WARMUP:
		return parse_u64("warmup", arg, 0, UINT32_MAX, &o->warmup);
	case OPT_ROUNDS:
		if (!parse_u64("rounds", arg, 1, 1000, &v))
			return false;
		o->rounds = (unsigned)v;
		return true;
	case OPT_VCPUS:
		if (!parse_u64("vcpus", arg, 1, 64, &v))
			return false;
		o->vcpus = (unsigned)v;
		return true;
	case OPT_VDEVS:
		if (!parse_u64("vdevs", arg, 0, EXTRA_VDEV_MAX, &v))
			return false;
		o->vdevs = (unsigned)v;
		return true;
	case OPT_CALIB:
		if (!parse_u64("calib-ms", arg, 1, 60000, &v))
			return false;
		o->calib_ms = (uint32_t)v;
		return true;
	case OPT_TIMEOUT:
		if (!parse_u64("timeout", arg, 0, 86400, &v))
			return false;
		o->timeout = (unsigned)v;
		return true;
	}
	return false;
}

/* 0 to go on, else the exit status (after --help: 0 by exiting here). */
static int parse_opts(int argc, char **argv, struct opts *o)
{
	*o = (struct opts){
		.n = 1000000, .warmup = 10000, .kinds = ARCH_KINDS,
		.calib_ms = 300, .rounds = 3, .vcpus = 1, .vdevs = 8,
		.out = "build/bench", .qvm = "build/qvm",
		.baseline = "build/tools/kvm-baseline",
		.guest = ARCH_GUEST,
	};
	int c;
	while ((c = getopt_long(argc, argv, "", long_opts, NULL)) != -1) {
		switch (c) {
		case OPT_KINDS:
			if (!parse_kinds(optarg, &o->kinds))
				return 1;
			break;
		case OPT_EMIT_LOGGER: o->emit_logger = true; break;
		case OPT_OUT: o->out = optarg; break;
		case OPT_QVM: o->qvm = optarg; break;
		case OPT_BASELINE: o->baseline = optarg; break;
		case OPT_GUEST: o->guest = optarg; break;
		case OPT_NO_BASELINE: o->no_baseline = true; break;
		case OPT_QUIET: o->quiet = true; break;
		case OPT_REPORT_ONLY: o->report_only = true; break;
		case OPT_STRICT: o->strict = true; break;
		case OPT_HELP:
			usage(stdout);
			exit(0);
		case '?':
			fprintf(stderr, "qvm-bench: try --help\n");
			return 1;
		default:
			if (!set_number(o, c, optarg))
				return 1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "qvm-bench: unexpected argument '%s' (try --help)\n",
			argv[optind]);
		return 1;
	}
	return 0;
}

/* ---- files ----------------------------------------------------------- */

/* snprintf into a path buffer; a path that does not fit is an error. */
static bool path_fmt(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static bool path_fmt(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= len) {
		fprintf(stderr, "qvm-bench: path too long: %s...\n", buf);
		return false;
	}
	return true;
}

/* mkdir -p: build/bench usually lacks only its last component. */
static bool mkdir_p(const char *dir)
{
	char buf[PATH_MAX];
	if (!path_fmt(buf, sizeof buf, "%s", dir))
		return false;
	for (char *p = buf + 1; ; p++) {
		if (*p != '/' && *p)
			continue;
		char saved = *p;
		*p = 0;
		if (mkdir(buf, 0777) != 0 && errno != EEXIST) {
			fprintf(stderr, "qvm-bench: %s: cannot create directory: %s\n",
				buf, strerror(errno));
			return false;
		}
		*p = saved;
		if (!saved)
			break;
	}
	struct stat st;
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		fprintf(stderr, "qvm-bench: %s: not a directory\n", dir);
		return false;
	}
	return true;
}

/* realpath() of PATH, which must exist (and be executable if EXEC). */
static bool abs_path(const char *what, const char *path, bool exec, char *out)
{
	if (!realpath(path, out)) {
		fprintf(stderr, "qvm-bench: %s %s: %s%s\n", what, path,
			strerror(errno),
			errno == ENOENT ? " (built? try `make`, or see --help)" : "");
		return false;
	}
	if (exec && access(out, X_OK) != 0) {
		fprintf(stderr, "qvm-bench: %s %s: not executable: %s\n", what,
			path, strerror(errno));
		return false;
	}
	return true;
}

static bool write_params(const char *path, const struct opts *o)
{
	struct bench_params p;
	memset(&p, 0, sizeof p);
	p.magic = BENCH_MAGIC;
	p.n = o->n;
	p.warmup = o->warmup;
	p.kinds = o->kinds;
	p.calib_ms = o->calib_ms;
	FILE *f = fopen(path, "wb");
	if (!f) {
		fprintf(stderr, "qvm-bench: %s: cannot create: %s\n", path,
			strerror(errno));
		return false;
	}
	bool ok = fwrite(&p, sizeof p, 1, f) == 1;
	ok = fclose(f) == 0 && ok;
	if (!ok)
		fprintf(stderr, "qvm-bench: %s: write error: %s\n", path,
			strerror(errno));
	return ok;
}

/*
 * A configuration token: quoted (with \" and \\) only when it would
 * otherwise split or start a comment, so the usual file stays plain.
 */
static void conf_token(FILE *f, const char *s)
{
	if (*s && !strpbrk(s, " \t\r\n\"\\#")) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static bool write_qvmconf(const char *path, const struct opts *o,
			  const struct run_paths *rp, const char *results)
{
	FILE *f = fopen(path, "w");
	if (!f) {
		fprintf(stderr, "qvm-bench: %s: cannot create: %s\n", path,
			strerror(errno));
		return false;
	}
	fprintf(f, "# written by qvm-bench for each qvm round\n"
		"system bench\nram 0x%x,16M\n", BENCH_RAM_GPA);
	for (unsigned i = 0; i < o->vcpus; i++)
		fputs("cpu\n", f);
	fputs("load ", f);
	conf_token(f, rp->guest);
	fprintf(f, "\ndata load 0x%x,", BENCH_PARAMS_GPA);
	conf_token(f, rp->params);
	/*
	 * The unowned kind makes qvm warn once per access; that is the path
	 * measured, not news, so warnings stay out of the log (errors do not).
	 */
	fputs("\nlogger warn none\n", f);
	fprintf(f, ARCH_CONSOLE);
	fprintf(f, "vdev trace loc 0x%x%s\n", BENCH_TRACE_GPA,
		o->emit_logger ? " emit-logger" : "");
	/* More regions, so qvm's lookup is not the trivial one-entry case. */
	for (unsigned i = 0; i < o->vdevs; i++)
		fprintf(f, "vdev trace loc 0x%x\n", EXTRA_VDEV_BASE + i * 0x1000u);
	fprintf(f, "vdev bench loc 0x%x out ", BENCH_DEV_GPA);
	conf_token(f, results);
	fputc('\n', f);
	bool ok = !ferror(f);
	ok = fclose(f) == 0 && ok;
	if (!ok)
		fprintf(stderr, "qvm-bench: %s: write error: %s\n", path,
			strerror(errno));
	return ok;
}

/* The last lines of a run's log, so a failure can be read on the spot. */
static void show_log_tail(const char *path, int lines)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return;
	char ring[16][256];
	int n = 0;
	if (lines > 16)
		lines = 16;
	while (fgets(ring[n % lines], sizeof ring[0], f))
		n++;
	fclose(f);
	if (!n)
		return;
	fprintf(stderr, "--- last lines of %s ---\n", path);
	for (int i = n > lines ? n - lines : 0; i < n; i++) {
		const char *l = ring[i % lines];
		fprintf(stderr, "%s%s", l, l[strlen(l) - 1] == '\n' ? "" : "\n");
	}
	fprintf(stderr, "---\n");
}

/* ---- running --------------------------------------------------------- */

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- progress ------------------------------------------------------- */

/*
 * How far the benchmark is, on stderr, so stdout stays the report that
 * scripts read. On a terminal it is one line, redrawn while a run goes
 * on: the guest writes "bench: KIND done: ..." to its console (the run's
 * log) after each kind, which is all the host can see of it. Elsewhere,
 * in a CI log say, it is a plain line per round.
 *
 * Runs of a system take about as long as each other, and so do the kinds
 * that exit, while the floor takes next to nothing: the percentage counts
 * the exiting kinds of every run, and within one moves on with the time
 * the previous one took.
 */
struct progress {
	bool on, tty;
	double t0;
	unsigned runs, runs_done, runs_per_round;
	uint32_t kinds;
	unsigned weight[BK_KINDS], per_run;
	/* the run under way */
	char what[64];		/* "round 2/3: qvm" */
	int log_fd;
	char line[256];
	size_t len;
	unsigned done_w, done_n;	/* kinds done in this run: weight, count */
	int next;			/* the kind under way; BK_KINDS: all done */
	double kind_t0;		/* when it started (as far as the log tells) */
	double kind_s;		/* how long the last exiting kind took; 0: unknown */
	double drawn_at;
	bool drawn;
};

static void progress_init(struct progress *p, const struct opts *o)
{
	memset(p, 0, sizeof *p);
	p->on = !o->quiet;
	p->tty = isatty(2);
	p->t0 = now_s();
	p->runs_per_round = o->no_baseline ? 1 : 2;
	p->runs = o->rounds * p->runs_per_round;
	p->kinds = o->kinds;
	p->log_fd = -1;
	bool exits = o->kinds & ~(1u << BK_FLOOR);
	for (int k = 0; k < BK_KINDS; k++) {
		if (o->kinds & (1u << k))
			p->weight[k] = k == BK_FLOOR && exits ? 0 : 1;
		p->per_run += p->weight[k];
	}
}

/* The first kind measured from K on, or BK_KINDS. */
static int progress_kind_from(const struct progress *p, int k)
{
	while (k < BK_KINDS && !(p->kinds & (1u << k)))
		k++;
	return k;
}

/* "1:05" */
static void fmt_duration(char *buf, size_t len, double s)
{
	unsigned t = (unsigned)(s + 0.5);
	if (t >= 3600)
		snprintf(buf, len, "%u:%02u:%02u", t / 3600, t / 60 % 60, t % 60);
	else
		snprintf(buf, len, "%u:%02u", t / 60, t % 60);
}

/* Percent done, and into LEFT the time it should still take (or ""). */
static double progress_pct(const struct progress *p, double now, char *left,
			   size_t len)
{
	double done = (double)p->runs_done * p->per_run + p->done_w;
	if (p->next < BK_KINDS && p->kind_s > 0)
		done += p->weight[p->next] *
			fmin(0.95, (now - p->kind_t0) / p->kind_s);
	double total = (double)p->runs * p->per_run;
	double pct = total > 0 ? fmin(100, 100 * done / total) : 100;
	double spent = now - p->t0;
	*left = 0;
	if (pct >= 1 && pct < 100) {
		char d[32];
		fmt_duration(d, sizeof d, spent * (100 - pct) / pct);
		snprintf(left, len, ", ~%s left", d);
	}
	return pct;
}

static void progress_clear(struct progress *p)
{
	if (p && p->drawn) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
		p->drawn = false;
	}
}

static void progress_draw(struct progress *p, double now)
{
	char left[48], spent[32], kind[48], text[256];
	double pct = progress_pct(p, now, left, sizeof left);
	fmt_duration(spent, sizeof spent, now - p->t0);
	unsigned n = 0;
	for (int k = 0; k < BK_KINDS; k++)
		n += !!(p->kinds & (1u << k));
	if (p->next < BK_KINDS)
		snprintf(kind, sizeof kind, "%s (%u/%u)", bench_kind_names[p->next],
			 p->done_n + 1, n);
	else
		snprintf(kind, sizeof kind, "finishing");
	int len = snprintf(text, sizeof text, "qvm-bench: %s, %s, %.0f %%, "
			   "%s elapsed%s", p->what, kind, pct, spent, left);
	/* A line wider than the terminal would wrap, and \r not reach its start. */
	struct winsize ws;
	if (ioctl(2, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 1 &&
	    len >= (int)ws.ws_col)
		text[ws.ws_col - 1] = 0;
	fprintf(stderr, "\r%s\033[K", text);
	fflush(stderr);
	p->drawn = true;
	p->drawn_at = now;
}

/* A line of the run's log: a kind done moves the run on. */
static void progress_log_line(struct progress *p, const char *line, double now)
{
	const char *b = strstr(line, "bench: ");
	if (!b || p->next >= BK_KINDS)
		return;
	b += strlen("bench: ");
	for (int k = p->next; k < BK_KINDS; k = progress_kind_from(p, k + 1)) {
		size_t n = strlen(bench_kind_names[k]);
		if (strncmp(b, bench_kind_names[k], n) != 0 ||
		    strncmp(b + n, " done:", 6) != 0)
			continue;
		/* K and any kind skipped before it (a lost line) are done. */
		for (int j = p->next; j <= k; j = progress_kind_from(p, j + 1)) {
			p->done_w += p->weight[j];
			p->done_n++;
		}
		if (p->weight[k])
			p->kind_s = now - p->kind_t0;
		p->kind_t0 = now;
		p->next = progress_kind_from(p, k + 1);
		return;
	}
}

/* Reads what the run's log has gained since the last look. */
static void progress_read_log(struct progress *p, double now)
{
	char buf[4096];
	ssize_t got;
	while (p->log_fd >= 0 && (got = read(p->log_fd, buf, sizeof buf)) > 0)
		for (ssize_t i = 0; i < got; i++) {
			if (buf[i] == '\n') {
				p->line[p->len] = 0;
				progress_log_line(p, p->line, now);
				p->len = 0;
			} else if (p->len < sizeof p->line - 1) {
				p->line[p->len++] = buf[i];
			}
		}
}

/* A run starts: LABEL says which; its LOG has just been created. */
static void progress_run_start(struct progress *p, const char *label,
			       const char *log)
{
	if (!p || !p->on)
		return;
	snprintf(p->what, sizeof p->what, "%s", label);
	p->len = p->done_w = p->done_n = 0;
	p->next = progress_kind_from(p, 0);
	p->kind_t0 = now_s();
	p->log_fd = p->tty ? open(log, O_RDONLY | O_CLOEXEC) : -1;
	if (p->tty)
		progress_draw(p, p->kind_t0);
}

/* While a run goes on: redrawn a few times a second. */
static void progress_tick(struct progress *p)
{
	if (!p || !p->on || !p->tty)
		return;
	double now = now_s();
	if (now - p->drawn_at < 0.25)
		return;
	progress_read_log(p, now);
	progress_draw(p, now);
}

/* The run's process has ended: the line goes, for what is printed next. */
static void progress_run_stop(struct progress *p)
{
	if (!p)
		return;
	progress_clear(p);
	if (p->log_fd >= 0)
		close(p->log_fd);
	p->log_fd = -1;
}

/* After a run's results are in; a round's last run says so off a tty. */
static void progress_run_end(struct progress *p, unsigned round,
			     unsigned rounds)
{
	if (!p || !p->on)
		return;
	p->runs_done++;
	p->done_w = 0;
	p->next = BK_KINDS;
	if (p->tty || p->runs_done % p->runs_per_round)
		return;
	double now = now_s();
	char left[48], spent[32];
	double pct = progress_pct(p, now, left, sizeof left);
	fmt_duration(spent, sizeof spent, now - p->t0);
	fflush(stdout);	/* after the round's stdout lines in a shared log */
	fprintf(stderr, "qvm-bench: round %u/%u done: %.0f %%, %s elapsed%s\n",
		round, rounds, pct, spent, left);
}

/* ---- running children ------------------------------------------------ */

/* In the child: stdout and stderr to LOG_FD, no stdin, then ARGV. */
static _Noreturn void exec_child(char *const argv[], int log_fd)
{
	int null = open("/dev/null", O_RDONLY);
	if (null >= 0)
		dup2(null, 0);
	dup2(log_fd, 1);
	dup2(log_fd, 2);
	execv(argv[0], argv);
	dprintf(2, "qvm-bench: cannot execute %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

/*
 * Waits for PID; after TIMEOUT seconds (0: never) kills it; keeps a
 * progress line on a terminal going. Polling keeps this free of signal
 * handlers; 10 ms is nothing next to a run's seconds.
 */
static int wait_child(pid_t pid, unsigned timeout, bool *timed_out,
		      struct progress *p)
{
	double deadline = now_s() + timeout;
	bool poll = timeout || (p && p->on && p->tty);
	int status;
	*timed_out = false;
	for (;;) {
		progress_tick(p);
		pid_t r = waitpid(pid, &status, poll ? WNOHANG : 0);
		if (r == pid)
			return status;
		if (r < 0 && errno != EINTR)
			return -1;
		if (timeout && !*timed_out && now_s() > deadline) {
			*timed_out = true;
			kill(pid, SIGKILL);
		}
		if (poll)
			nanosleep(&(struct timespec){ .tv_nsec = 10000000 }, NULL);
	}
}

/* Describes a wait status that is not a clean exit 0 into BUF; NULL if it is. */
static const char *status_problem(int status, bool timed_out, char *buf,
				  size_t len)
{
	if (timed_out)
		snprintf(buf, len, "timed out and was killed");
	else if (status < 0)
		snprintf(buf, len, "could not be waited for");
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "was killed by signal %d (%s)",
			 WTERMSIG(status), strsignal(WTERMSIG(status)));
	else if (WEXITSTATUS(status) == 127)
		snprintf(buf, len, "could not be executed (exit 127)");
	else if (WEXITSTATUS(status) != 0)
		snprintf(buf, len, "exited with status %d", WEXITSTATUS(status));
	else
		return NULL;
	return buf;
}

/*
 * Runs ARGV with its output in LOG; prints "LABEL ... ok (T s)" on stdout.
 * Under a redrawn progress line that line goes out whole at the end, so
 * the two never share a terminal line; elsewhere its start goes out first,
 * to show in a log what is running.
 */
static bool run_one(char *const argv[], const char *log, const char *label,
		    const struct opts *o, struct progress *p)
{
	bool whole = p && p->on && p->tty;
	if (!o->quiet && !whole) {
		printf("%s ... ", label);
		fflush(stdout);
	}
	int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	if (fd < 0) {
		if (!o->quiet && !whole)
			printf("\n");
		fprintf(stderr, "qvm-bench: %s: cannot create: %s\n", log,
			strerror(errno));
		return false;
	}
	progress_run_start(p, label, log);
	fflush(NULL);	/* nothing buffered may be written twice */
	double t0 = now_s();
	pid_t pid = fork();
	if (pid == 0)
		exec_child(argv, fd);
	close(fd);
	if (pid < 0) {
		progress_run_stop(p);
		if (!o->quiet && !whole)
			printf("\n");
		fprintf(stderr, "qvm-bench: %s: fork: %s\n", label, strerror(errno));
		return false;
	}
	bool timed_out;
	int status = wait_child(pid, o->timeout, &timed_out, p);
	double dt = now_s() - t0;
	progress_run_stop(p);
	if (!o->quiet && whole)
		printf("%s ... ", label);
	char why[128];
	if (status_problem(status, timed_out, why, sizeof why)) {
		if (!o->quiet)
			printf("FAILED (%.1f s)\n", dt);
		fflush(stdout);
		fprintf(stderr, "qvm-bench: %s: %s %s; see %s\n", label, argv[0],
			why, log);
		show_log_tail(log, 12);
		return false;
	}
	if (!o->quiet)
		printf("ok (%.1f s)\n", dt);
	fflush(stdout);
	return true;
}

/* Loads a fresh results file and checks it answers the parameters given. */
static bool take_results(const char *path, const char *log, const char *label,
			 const struct opts *o, struct bench_results *r,
			 struct merged *m)
{
	char err[PATH_MAX + 256];
	if (results_load(path, r, err, sizeof err) != 0) {
		fprintf(stderr, "qvm-bench: %s: %s; see %s\n", label, err, log);
		show_log_tail(log, 12);
		return false;
	}
	if (r->n != o->n || r->warmup != o->warmup ||
	    (r->kinds & o->kinds) != o->kinds) {
		fprintf(stderr, "qvm-bench: %s: %s: results for n %llu warmup %llu "
			"kinds 0x%x, not the n %llu warmup %llu kinds 0x%x asked "
			"for in the parameter file; see %s\n", label, path,
			(unsigned long long)r->n, (unsigned long long)r->warmup,
			r->kinds, (unsigned long long)o->n,
			(unsigned long long)o->warmup, o->kinds, log);
		return false;
	}
	merged_add(m, r, path);
	return true;
}

/* One round of one system: argv, run, results. */
static bool run_system(int sys, unsigned round, const struct opts *o,
		       const struct run_paths *rp, struct bench_results *r,
		       struct merged *m, struct progress *p)
{
	const char *name = bench_sys_names[sys];
	char results[PATH_MAX], log[PATH_MAX], conf[PATH_MAX], arg[PATH_MAX + 1];
	char label[64];
	snprintf(label, sizeof label, "round %u/%u: %s", round, o->rounds, name);
	/* Logs and results are named relative to --out as the user gave it. */
	if (!path_fmt(results, sizeof results, "%s/%s-%u.bin", rp->out, name, round) ||
	    !path_fmt(log, sizeof log, "%s/%s-%u.log", o->out, name, round) ||
	    !path_fmt(conf, sizeof conf, "%s/bench.qvmconf", rp->out))
		return false;
	/* A stale file from an earlier run must not pass for fresh results. */
	if (unlink(results) != 0 && errno != ENOENT) {
		fprintf(stderr, "qvm-bench: %s: cannot remove: %s\n", results,
			strerror(errno));
		return false;
	}
	bool ok;
	if (sys == SYS_BASELINE) {
		char *argv[] = { (char *)rp->baseline, (char *)rp->guest,
				 (char *)rp->params, results, NULL };
		ok = run_one(argv, log, label, o, p);
	} else {
		if (!write_qvmconf(conf, o, rp, results))
			return false;
		snprintf(arg, sizeof arg, "@%s", conf);
		char *argv[] = { (char *)rp->qvm, arg, NULL };
		ok = run_one(argv, log, label, o, p);
	}
	ok = ok && take_results(results, log, label, o, r, m);
	if (ok)
		progress_run_end(p, round, o->rounds);
	return ok;
}

static bool resolve_paths(const struct opts *o, struct run_paths *rp)
{
	if (!mkdir_p(o->out) || !abs_path("output directory", o->out, false, rp->out))
		return false;
	if (!abs_path("guest", o->guest, false, rp->guest) ||
	    !abs_path("qvm", o->qvm, true, rp->qvm))
		return false;
	if (!o->no_baseline &&
	    !abs_path("baseline", o->baseline, true, rp->baseline))
		return false;
	return path_fmt(rp->params, sizeof rp->params, "%s/params.bin", rp->out);
}

/* All rounds, alternating, so drifting machine load hits both alike. */
static bool run_all(const struct opts *o, struct merged *m[SYS_COUNT])
{
	struct run_paths rp;
	if (!resolve_paths(o, &rp) || !write_params(rp.params, o))
		return false;
	struct bench_results *r = malloc(sizeof *r);
	if (!r) {
		perror("qvm-bench: malloc");
		return false;
	}
	struct progress prog;
	progress_init(&prog, o);
	bool ok = true;
	for (unsigned round = 1; ok && round <= o->rounds; round++) {
		if (!o->no_baseline)
			ok = run_system(SYS_BASELINE, round, o, &rp, r,
					m[SYS_BASELINE], &prog);
		if (ok)
			ok = run_system(SYS_QVM, round, o, &rp, r, m[SYS_QVM],
					&prog);
	}
	free(r);
	return ok;
}

/* ---- --report-only --------------------------------------------------- */

static bool report_only(const struct opts *o, struct merged *m[SYS_COUNT])
{
	for (int s = 0; s < SYS_COUNT; s++)
		if (!merge_dir(o->out, s, m[s]))
			return false;
	if (!m[SYS_BASELINE]->files && !m[SYS_QVM]->files) {
		fprintf(stderr, "qvm-bench: %s: no results files (baseline-R.bin, "
			"qvm-R.bin) to report on\n", o->out);
		return false;
	}
	return true;
}

/* ---- main ------------------------------------------------------------ */

static void fill_run_info(struct run_info *ri, const struct opts *o)
{
	ri->known = true;
	ri->vcpus = o->vcpus;
	ri->vdevs = o->vdevs;
	ri->emit_logger = o->emit_logger;
	ri->baseline = !o->no_baseline;
	snprintf(ri->qvm, sizeof ri->qvm, "%s", o->qvm);
	snprintf(ri->baseline_path, sizeof ri->baseline_path, "%s", o->baseline);
	snprintf(ri->guest, sizeof ri->guest, "%s", o->guest);
}

/* Table, verdicts, JSON, SVG; returns the number of targets missed or -1. */
static int produce_report(struct report *rep, const struct opts *o)
{
	char json[PATH_MAX], svg[PATH_MAX];
	if (!path_fmt(json, sizeof json, "%s/bench.json", o->out) ||
	    !path_fmt(svg, sizeof svg, "%s/bench.svg", o->out))
		return -1;
	report_host_info(rep);
	report_evaluate(rep);
	if (!o->quiet && !o->report_only)
		printf("\n");
	report_print_table(stdout, rep);
	unsigned missed = report_print_targets(stdout, rep);
	if (report_write_json(json, rep) != 0 || report_write_svg(svg, rep) != 0)
		return -1;
	printf("\nwrote %s and %s\n", json, svg);
	return (int)missed;
}

int main(int argc, char **argv)
{
	struct opts o;
	int rc = parse_opts(argc, argv, &o);
	if (rc)
		return rc;

	static struct report rep;	/* static: a few KiB of paths inside */
	struct merged *m[SYS_COUNT];
	for (int s = 0; s < SYS_COUNT; s++)
		if (!(m[s] = calloc(1, sizeof *m[s]))) {
			perror("qvm-bench: calloc");
			return 1;
		}
	rep.targets = bench_default_targets;
	rep.ntargets = bench_default_ntargets;

	bool ok;
	if (o.report_only) {
		ok = report_only(&o, m);
		rep.calib_ms = params_calib_ms(o.out);
	} else {
		ok = run_all(&o, m);
		rep.calib_ms = o.calib_ms;
		fill_run_info(&rep.run, &o);
	}
	int missed = -1;
	if (ok) {
		for (int s = 0; s < SYS_COUNT; s++)
			rep.m[s] = m[s];
		missed = produce_report(&rep, &o);
	}
	for (int s = 0; s < SYS_COUNT; s++)
		free(m[s]);
	if (missed < 0)
		return 1;
	return o.strict && missed ? 2 : 0;
}
