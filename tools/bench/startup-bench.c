/*
 * startup-bench: how long qvm takes to start and how much memory it needs
 * besides the guest's, measured from outside on the demo configuration
 * (qvm itself is not changed). See `startup-bench --help`.
 *
 * Start-up time: from just before qvm is spawned to the moment qvm writes
 * the guest's first console byte. The demo guest's first act is to program
 * the serial port (ser8250 at io:0x3f8), whose vdev writes the guest's
 * console bytes to qvm's stdout: the first byte is the guest's first
 * character, a handful of trapped port accesses (LCR, IER, FCR, LSR, THR)
 * after its very first one, so it covers exec, the dynamic loader,
 * configuration, vdev loading, KVM set-up, the vCPU threads and the guest's
 * own code up to that point.
 *
 * qvm's stdout is a datagram socket with SO_TIMESTAMPNS, so the time of the
 * byte is the kernel's stamp of qvm's write(), not the time this program
 * got round to reading it: on a 2-CPU machine the demo's two vCPUs (the
 * second one spins until its turn) can keep this program off the CPUs for
 * milliseconds after the byte is written, which is the observer's delay,
 * not qvm's. That read time is reported too. Socket stamps are
 * CLOCK_REALTIME, so the spawn time is taken from that clock as well.
 * qvm is then killed (SIGKILL) and reaped: the demo is not waited for.
 *
 * Memory overhead: SETTLE_MS after the first byte (start-up allocation is
 * done by then), VmHWM of /proc/PID/status minus the guest RAM the guest
 * touched. The latter is taken from /proc/PID/smaps as the Rss of
 *   - the guest RAM mapping: anonymous, rw-p, exactly GUEST_RAM_SIZE (the
 *     demo's `ram 0,16M`), mapped MAP_NORESERVE (VmFlags "nr"), which is
 *     how it is told from a glibc malloc arena of the same size;
 *   - the x86 boot area: anonymous, rw-p, exactly BOOT_AREA_SIZE (the part
 *     of it that is a KVM memory slot), without "nr" (arm64 has none).
 * That Rss is what the host backs for the guest: pages the guest touched
 * plus the ones qvm wrote for it (the loaded ELF segments, the boot page
 * tables). Everything else in VmHWM (the executable, libc, the vdev
 * objects, heap, thread stacks, kvm_run pages) is the VMM's. A mapping that
 * cannot be told apart (none or several candidates) is reported and left
 * out of the figures.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define DEFAULT_RUNS		20
#define MAX_RUNS		10000
#define SETTLE_MS		200	/* first byte -> memory reading */
#define FIRST_BYTE_TIMEOUT_MS	10000
/* The host architecture's demo: its configuration, its `ram` size, and
 * the size of the boot area qvm maps beside the RAM (arm64 has none). */
#if defined(__aarch64__)
#define DEMO_CONFIG		"guest-images/aarch64/trace-demo.qvmconf"
#define GUEST_RAM_SIZE		0x4000000ul	/* `ram 0x40000000,64M` */
#define BOOT_AREA_SIZE		0ul
#else
#define DEMO_CONFIG		"guest-images/x86_64/trace-demo.qvmconf"
#define GUEST_RAM_SIZE		0x1000000ul	/* `ram 0,16M` */
#define BOOT_AREA_SIZE		0x8000ul	/* arch/x86 LM_SLOT_SIZE */
#endif

struct opts {
	const char *qvm, *config, *out;
	unsigned runs;
};

/* One run's figures; memory in KiB, -1 when unknown. */
struct sample {
	double startup_ms, read_ms;
	long hwm_kib, rss_file_kib, ram_kib, boot_kib;
};

static void usage(FILE *f)
{
	fprintf(f,
"usage: startup-bench [OPTION...]\n"
"Starts qvm on a configuration N times and reports, as median/min/max, the\n"
"time from spawning qvm to its write of the guest's first console byte\n"
"(and to this program's read of it), and qvm's memory overhead (VmHWM\n"
"minus the guest RAM touched, %d ms after that byte). Each qvm is killed\n"
"once measured.\n"
"\n"
"  --qvm PATH      default build/qvm\n"
"  --config PATH   default " DEMO_CONFIG "\n"
"  --runs N        default %d\n"
"  --out DIR       also write DIR/startup.json\n"
"  --help          this text\n", SETTLE_MS, DEFAULT_RUNS);
}

__attribute__((format(printf, 1, 2)))
static int bad(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "startup-bench: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, " (see --help)\n");
	va_end(ap);
	return 2;
}

/* 0 ok, 1 --help done, 2 bad options (message printed) */
static int parse_opts(int argc, char **argv, struct opts *o)
{
	enum { OPT_QVM = 256, OPT_CONFIG, OPT_RUNS, OPT_OUT, OPT_HELP };
	static const struct option long_opts[] = {
		{ "qvm", required_argument, NULL, OPT_QVM },
		{ "config", required_argument, NULL, OPT_CONFIG },
		{ "runs", required_argument, NULL, OPT_RUNS },
		{ "out", required_argument, NULL, OPT_OUT },
		{ "help", no_argument, NULL, OPT_HELP },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	*o = (struct opts){ .qvm = "build/qvm", .runs = DEFAULT_RUNS,
		.config = DEMO_CONFIG };
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", long_opts, NULL)) != -1) {
		switch (c) {
		case OPT_QVM:
			o->qvm = optarg;
			break;
		case OPT_CONFIG:
			o->config = optarg;
			break;
		case OPT_OUT:
			o->out = optarg;
			break;
		case OPT_RUNS: {
			char *end;
			errno = 0;
			unsigned long v = strtoul(optarg, &end, 10);
			if (!*optarg || *end || errno || *optarg == '-' || v < 1 || v > MAX_RUNS)
				return bad("--runs: '%s' is not a number from 1 to %d", optarg,
						MAX_RUNS);
			o->runs = (unsigned)v;
			break;
		}
		case OPT_HELP:
			usage(stdout);
			return 1;
		case ':':
			return bad("option '%s' needs an argument", argv[optind - 1]);
		default:
			if (optopt)
				return bad("unknown option '-%c'", optopt);
			return bad("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return bad("unexpected argument '%s'", argv[optind]);
	return 0;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static double ts_ms(const struct timespec *ts)
{
	return (double)ts->tv_sec * 1e3 + (double)ts->tv_nsec / 1e6;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts_ms(&ts);
}

/*
 * One datagram from fd into buf; *stamp_ms is the kernel's receive stamp
 * (the sender's write, for a local socket), -1 if there was none. Returns
 * what recvmsg returns.
 */
static ssize_t recv_stamped(int fd, char *buf, size_t len, double *stamp_ms)
{
	union {
		char buf[CMSG_SPACE(sizeof(struct timespec))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { buf, len };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf) };
	ssize_t n;

	while ((n = recvmsg(fd, &m, MSG_DONTWAIT)) < 0 && errno == EINTR)
		;
	*stamp_ms = -1;
	for (struct cmsghdr *h = n > 0 ? CMSG_FIRSTHDR(&m) : NULL; h; h = CMSG_NXTHDR(&m, h))
		if (h->cmsg_level == SOL_SOCKET && h->cmsg_type == SO_TIMESTAMPNS) {
			struct timespec ts;
			memcpy(&ts, CMSG_DATA(h), sizeof(ts));
			*stamp_ms = ts_ms(&ts);
		}
	return n;
}

/*
 * Reads (and drops) qvm's console output for ms milliseconds: a datagram
 * socket holds only a few unread datagrams before the writer blocks, and a
 * guest stuck in its first lines would not be the demo's memory picture.
 */
static void drain_ms(int fd, unsigned ms)
{
	double end = now_ms() + ms, left, stamp;
	char buf[256];

	while ((left = end - now_ms()) > 0) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int pr = poll(&p, 1, (int)left + 1);
		if (pr < 0 && errno != EINTR)
			break;
		if (pr > 0 && recv_stamped(fd, buf, sizeof(buf), &stamp) <= 0 &&
				(p.revents & (POLLHUP | POLLERR)))
			break;
	}
	if (left > 0)
		sleep_ms((unsigned)left);
}

/* A "Name:   123 kB" field of /proc/PID/status; -1 if missing. */
static long status_kib(pid_t pid, const char *name)
{
	char path[64], line[256];
	size_t len = strlen(name);
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, name, len) == 0 && line[len] == ':') {
			v = strtol(line + len + 1, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

/*
 * The Rss of the guest RAM and boot area mappings (see the top of the
 * file); -1 for one that is not found exactly once.
 */
static void guest_rss(pid_t pid, long *ram_kib, long *boot_kib)
{
	char path[64], line[512];
	unsigned nram = 0, nboot = 0;
	enum { OTHER, RAM, BOOT } cur = OTHER;
	bool anon_rw = false;
	unsigned long size = 0;
	long rss = 0;
	FILE *f;

	*ram_kib = *boot_kib = -1;
	snprintf(path, sizeof(path), "/proc/%d/smaps", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		unsigned long start, end, off, inode;
		unsigned maj, min;
		char perms[8];
		int n = 0;

		if (sscanf(line, "%lx-%lx %7s %lx %x:%x %lu %n", &start, &end, perms, &off,
				&maj, &min, &inode, &n) == 7 && n > 0) {
			/* a new mapping; anonymous when no name follows */
			size = end - start;
			anon_rw = strcmp(perms, "rw-p") == 0 && inode == 0 &&
				(line[n] == '\0' || line[n] == '\n');
			cur = OTHER;
			rss = 0;
		} else if (strncmp(line, "Rss:", 4) == 0) {
			rss = strtol(line + 4, NULL, 10);
		} else if (strncmp(line, "VmFlags:", 8) == 0 && anon_rw) {
			/* the last field of a mapping: classify it now */
			bool nr = strstr(line, " nr") != NULL;
			if (size == GUEST_RAM_SIZE && nr)
				cur = RAM;
			else if (BOOT_AREA_SIZE && size == BOOT_AREA_SIZE && !nr)
				cur = BOOT;
			if (cur == RAM && nram++ == 0)
				*ram_kib = rss;
			if (cur == BOOT && nboot++ == 0)
				*boot_kib = rss;
		}
	}
	fclose(f);
	if (nram != 1)
		*ram_kib = -1;
	if (nboot != 1)
		*boot_kib = BOOT_AREA_SIZE ? -1 : 0;
}

static int spawn_qvm(const struct opts *o, int out_fd, int err_fd, pid_t *pid)
{
	posix_spawn_file_actions_t fa;
	char cfg[PATH_MAX + 2];
	char *argv[] = { (char *)o->qvm, cfg, NULL };
	int r;

	snprintf(cfg, sizeof(cfg), "@%s", o->config);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, out_fd, STDOUT_FILENO);
	posix_spawn_file_actions_adddup2(&fa, err_fd, STDERR_FILENO);
	r = posix_spawn(pid, o->qvm, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	return r;
}

/* What qvm said on stderr, for an error message: its first line. */
static void first_err_line(int fd, char *buf, size_t len)
{
	ssize_t n;

	fcntl(fd, F_SETFL, O_NONBLOCK);
	n = read(fd, buf, len - 1);
	buf[n > 0 ? n : 0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
}

static void kill_reap(pid_t pid)
{
	kill(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

/* One run; false on error (message printed). */
static bool run_once(const struct opts *o, unsigned i, struct sample *s)
{
	int out[2], err[2];
	char msg[256];
	pid_t pid;
	bool ok = false;

	static const int on = 1;

	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, out) < 0)
		out[0] = out[1] = -1;
	if (out[0] < 0 || setsockopt(out[0], SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof(on)) < 0 ||
			pipe2(err, O_CLOEXEC) < 0) {
		fprintf(stderr, "startup-bench: console socket: %s\n", strerror(errno));
		if (out[0] >= 0) {
			close(out[0]);
			close(out[1]);
		}
		return false;
	}
	double t0 = now_ms();
	int r = spawn_qvm(o, out[1], err[1], &pid);
	close(out[1]);
	close(err[1]);
	if (r) {
		fprintf(stderr, "startup-bench: cannot run %s: %s\n", o->qvm, strerror(r));
		goto close_pipes;
	}

	struct pollfd p = { .fd = out[0], .events = POLLIN };
	int pr;
	while ((pr = poll(&p, 1, FIRST_BYTE_TIMEOUT_MS)) < 0 && errno == EINTR)
		;
	double t1 = now_ms(), stamp = -1;
	char c[256];
	if (pr == 0) {
		fprintf(stderr, "startup-bench: run %u: no console byte within %d ms\n", i + 1,
				FIRST_BYTE_TIMEOUT_MS);
		kill_reap(pid);
		goto close_pipes;
	}
	if (pr < 0 || recv_stamped(out[0], c, sizeof(c), &stamp) <= 0) {
		int status = 0;
		waitpid(pid, &status, 0);
		first_err_line(err[0], msg, sizeof(msg));
		fprintf(stderr, "startup-bench: run %u: qvm ended (status %d) before any console "
				"byte%s%s\n", i + 1, WIFEXITED(status) ? WEXITSTATUS(status) : -1,
				msg[0] ? ": " : "", msg);
		goto close_pipes;
	}
	if (stamp < 0) {
		fprintf(stderr, "startup-bench: run %u: the console byte came without a time "
				"stamp\n", i + 1);
		kill_reap(pid);
		goto close_pipes;
	}
	s->startup_ms = stamp - t0;
	s->read_ms = t1 - t0;

	drain_ms(out[0], SETTLE_MS);
	if (waitpid(pid, NULL, WNOHANG) != 0) {
		fprintf(stderr, "startup-bench: run %u: qvm ended within %d ms of its first "
				"console byte: no memory figures\n", i + 1, SETTLE_MS);
		goto close_pipes;
	}
	s->hwm_kib = status_kib(pid, "VmHWM");
	s->rss_file_kib = status_kib(pid, "RssFile");
	guest_rss(pid, &s->ram_kib, &s->boot_kib);
	kill_reap(pid);
	ok = true;
close_pipes:
	close(out[0]);
	close(err[0]);
	return ok;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

struct stat3 {
	double median, min, max;
	unsigned n;
};

static struct stat3 stats(const double *v, unsigned n)
{
	double *s = malloc((n ? n : 1) * sizeof(*s));
	struct stat3 r = { 0, 0, 0, 0 };
	unsigned m = 0;

	if (!s)
		return r;
	for (unsigned i = 0; i < n; i++)
		if (v[i] >= 0)
			s[m++] = v[i];
	if (m) {
		qsort(s, m, sizeof(*s), cmp_double);
		r = (struct stat3){ m % 2 ? s[m / 2] : (s[m / 2 - 1] + s[m / 2]) / 2,
			s[0], s[m - 1], m };
	}
	free(s);
	return r;
}

enum { F_STARTUP, F_READ, F_HWM, F_FILE, F_GUEST, F_OVERHEAD, NFIGS };

static const struct {
	const char *label, *json, *unit;
} figs[NFIGS] = {
	{ "exec -> first console byte", "startup_ms", "ms" },
	{ "  read by this program", "startup_read_ms", "ms" },
	{ "VmHWM", "vmhwm_mib", "MiB" },
	{ "  of it file-backed (RssFile)", "rss_file_mib", "MiB" },
	{ "guest RAM touched (Rss)", "guest_touched_mib", "MiB" },
	{ "VMM overhead (VmHWM - guest)", "overhead_mib", "MiB" },
};

static double mib(long kib)
{
	return kib < 0 ? -1 : (double)kib / 1024.0;
}

/* Per figure, one value per run (-1: unknown). */
static void figures(const struct sample *s, unsigned n, double *v[NFIGS])
{
	for (unsigned i = 0; i < n; i++) {
		bool guest = s[i].ram_kib >= 0 && s[i].boot_kib >= 0;
		long touched = guest ? s[i].ram_kib + s[i].boot_kib : -1;
		v[F_STARTUP][i] = s[i].startup_ms;
		v[F_READ][i] = s[i].read_ms;
		v[F_HWM][i] = mib(s[i].hwm_kib);
		v[F_FILE][i] = mib(s[i].rss_file_kib);
		v[F_GUEST][i] = mib(touched);
		v[F_OVERHEAD][i] = guest && s[i].hwm_kib >= 0 ? mib(s[i].hwm_kib - touched) : -1;
	}
}

static int mkdir_p(const char *dir)
{
	char buf[PATH_MAX];

	if (snprintf(buf, sizeof(buf), "%s", dir) >= (int)sizeof(buf))
		return -ENAMETOOLONG;
	for (char *p = buf + 1; *p; p++)
		if (*p == '/') {
			*p = '\0';
			if (mkdir(buf, 0755) < 0 && errno != EEXIST)
				return -errno;
			*p = '/';
		}
	if (mkdir(buf, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static void json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", *s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

static int write_json(const struct opts *o, double *v[NFIGS], unsigned n)
{
	char path[PATH_MAX];
	int r = mkdir_p(o->out);
	FILE *f;

	if (r) {
		fprintf(stderr, "startup-bench: %s: %s\n", o->out, strerror(-r));
		return -1;
	}
	snprintf(path, sizeof(path), "%s/startup.json", o->out);
	f = fopen(path, "w");
	if (!f) {
		fprintf(stderr, "startup-bench: %s: %s\n", path, strerror(errno));
		return -1;
	}
	fprintf(f, "{\n  \"qvm\": ");
	json_string(f, o->qvm);
	fprintf(f, ",\n  \"config\": ");
	json_string(f, o->config);
	fprintf(f, ",\n  \"runs\": %u,\n  \"settle_ms\": %d,\n", n, SETTLE_MS);
	fprintf(f, "  \"method\": \"startup: CLOCK_REALTIME before posix_spawn to the kernel's "
			"SO_TIMESTAMPNS stamp of qvm's write of the first console byte (qvm's stdout "
			"is an AF_UNIX datagram socket); startup_read: to this program's read of it; "
			"memory %d ms later: VmHWM minus the smaps Rss of "
			"the 16 MiB guest RAM mapping and the 32 KiB boot area\"", SETTLE_MS);
	for (unsigned k = 0; k < NFIGS; k++) {
		struct stat3 st = stats(v[k], n);
		fprintf(f, ",\n  \"%s\": { ", figs[k].json);
		if (st.n)
			fprintf(f, "\"median\": %.3f, \"min\": %.3f, \"max\": %.3f, ",
					st.median, st.min, st.max);
		fprintf(f, "\"values\": [");
		for (unsigned i = 0; i < n; i++) {
			if (v[k][i] >= 0)
				fprintf(f, "%s%.3f", i ? ", " : "", v[k][i]);
			else
				fprintf(f, "%snull", i ? ", " : "");
		}
		fprintf(f, "] }");
	}
	fprintf(f, "\n}\n");
	if (fclose(f)) {
		fprintf(stderr, "startup-bench: %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o;
	int r = parse_opts(argc, argv, &o);

	if (r)
		return r == 1 ? 0 : 2;
	signal(SIGPIPE, SIG_IGN);

	struct sample *s = calloc(o.runs, sizeof(*s));
	double *v[NFIGS];
	for (unsigned k = 0; k < NFIGS; k++)
		v[k] = calloc(o.runs, sizeof(double));
	for (unsigned k = 0; k < NFIGS; k++)
		if (!v[k] || !s) {
			fprintf(stderr, "startup-bench: out of memory\n");
			return 1;
		}
	for (unsigned i = 0; i < o.runs; i++)
		if (!run_once(&o, i, &s[i]))
			return 1;

	bool lost_ram = false, lost_boot = false;
	for (unsigned i = 0; i < o.runs; i++) {
		lost_ram |= s[i].ram_kib < 0;
		lost_boot |= s[i].boot_kib < 0;
	}
	figures(s, o.runs, v);

	printf("\nqvm start-up: %s, %u runs\n", o.config, o.runs);
	printf("  %-36s %9s %9s %9s\n", "", "median", "min", "max");
	for (unsigned k = 0; k < NFIGS; k++) {
		struct stat3 st = stats(v[k], o.runs);
		char label[64];
		snprintf(label, sizeof(label), "%s (%s)", figs[k].label, figs[k].unit);
		if (st.n)
			printf("  %-36s %9.2f %9.2f %9.2f\n", label, st.median, st.min, st.max);
		else
			printf("  %-36s %9s %9s %9s\n", label, "-", "-", "-");
	}
	printf("  (the byte's time is the kernel's stamp of qvm's write; memory read %d ms\n"
	       "   after it; guest RAM touched = smaps Rss of the 16 MiB guest RAM mapping\n"
	       "   + the 32 KiB boot area)\n", SETTLE_MS);
	if (lost_ram || lost_boot)
		printf("  warning: the %s mapping was not found exactly once in some runs: "
				"those runs have no guest/overhead figure\n",
				lost_ram ? "16 MiB guest RAM" : "32 KiB boot area");

	r = o.out ? write_json(&o, v, o.runs) : 0;
	for (unsigned k = 0; k < NFIGS; k++)
		free(v[k]);
	free(s);
	return r ? 1 : 0;
}
