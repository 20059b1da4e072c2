/*
 * harness.c - runs the QT_TESTs of one program (see harness.h): a qvm per
 * qt_run/qt_start, its stdout read through a pipe (each line stamped with
 * its arrival time), its stderr to a file, its end seen through a pidfd.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "platform.h"

extern char **environ;

#define MAX_TESTS	64
#define MAX_VMS		16	/* per test */
#define MAX_ARGS	32
#define MAX_ENV		8
#define MAX_CAPTURE	(16u << 20)	/* of stdout or stderr: a runaway guest is cut off */
#define MAX_LINES	65536

struct line {
	size_t end;		/* offset one past the line's '\n' in out */
	double t;		/* seconds from the start */
};

struct qt_vm {
	char name[64];
	char conf_path[PATH_MAX], err_path[PATH_MAX], xdg[PATH_MAX];
	char *conf;
	size_t conf_len;
	bool conf_given;	/* conf_path is the caller's file */
	bool config_flag;
	char *args[MAX_ARGS];
	unsigned nargs;
	char *env[MAX_ENV];	/* "NAME=VALUE" */
	unsigned nenv;

	pid_t pid;
	int pidfd, out_fd;
	struct timespec t0;
	bool started, ended;
	int rc;
	double t_end;

	char *out;
	size_t out_len, out_cap;
	struct line lines[MAX_LINES];
	unsigned nlines;
	char *err;
};

struct test {
	const char *name;
	qt_test_fn *fn;
	int line;
};

/* One program runs one test at a time: this is the state of the program
 * (its tests) and of the test running now. */
static struct {
	struct test tests[MAX_TESTS];
	unsigned ntests;
	char top[PATH_MAX];	/* the tree's top: where guest images are found */
	char base[PATH_MAX];	/* the program's scratch directory */
	char dir[PATH_MAX];	/* the running test's */
	struct qt_vm *vms[MAX_VMS];
	unsigned nvms;
	bool failed, skipped;
	char skip_reason[256];
	char *diag;
	size_t diag_len;
} h;

static void oom(void)
{
	fprintf(stderr, "harness: out of memory\n");
	abort();
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n, size);

	if (!p)
		oom();
	return p;
}

static char *xstrdup(const char *s)
{
	char *p = strdup(s);

	if (!p)
		oom();
	return p;
}

static void diag_add(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void diag_vadd(const char *fmt, va_list ap)
{
	char buf[2048];
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);

	if (n < 0)
		return;
	if ((size_t)n >= sizeof(buf))
		n = sizeof(buf) - 1;
	char *p = realloc(h.diag, h.diag_len + (size_t)n + 1);
	if (!p)
		oom();
	memcpy(p + h.diag_len, buf, (size_t)n + 1);
	h.diag = p;
	h.diag_len += (size_t)n;
}

static void diag_add(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_vadd(fmt, ap);
	va_end(ap);
}

void qt_register(const char *name, qt_test_fn *fn, int line)
{
	if (h.ntests == MAX_TESTS) {
		fprintf(stderr, "harness: more than %d tests in one program\n", MAX_TESTS);
		abort();
	}
	h.tests[h.ntests++] = (struct test){ name, fn, line };
}

void qt_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	h.failed = true;
	diag_add("%s:%d: ", file, line);
	va_start(ap, fmt);
	diag_vadd(fmt, ap);
	va_end(ap);
	diag_add("\n");
}

void qt_skip(const char *fmt, ...)
{
	va_list ap;

	h.skipped = true;
	va_start(ap, fmt);
	vsnprintf(h.skip_reason, sizeof(h.skip_reason), fmt, ap);
	va_end(ap);
}

bool qt_failed(void)
{
	return h.failed;
}

const char *qt_dir(void)
{
	return h.dir;
}

const char *qt_top(void)
{
	return h.top;
}

static double since(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t0->tv_sec) + (double)(now.tv_nsec - t0->tv_nsec) / 1e9;
}

static unsigned kill_after(void)
{
	const char *s = getenv("KILL_AFTER");
	long v = s ? strtol(s, NULL, 10) : 0;

	return v > 0 && v < 3600 ? (unsigned)v : 15;
}

/* ---- Building the VM ---- */

struct qt_vm *qt_vm_new(const char *name)
{
	if (h.nvms == MAX_VMS) {
		fprintf(stderr, "harness: more than %d VMs in one test\n", MAX_VMS);
		abort();
	}
	for (const char *c = name; *c; c++) {
		if (!(*c == '-' || *c == '_' || (*c >= '0' && *c <= '9') ||
				(*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z'))) {
			fprintf(stderr, "harness: VM name '%s' is not a file name\n", name);
			abort();
		}
	}
	struct qt_vm *vm = xcalloc(1, sizeof(*vm));
	snprintf(vm->name, sizeof(vm->name), "%s", name);
	snprintf(vm->conf_path, sizeof(vm->conf_path), "%s/%s.qvmconf", h.dir, name);
	snprintf(vm->err_path, sizeof(vm->err_path), "%s/%s.err", h.dir, name);
	snprintf(vm->xdg, sizeof(vm->xdg), "%s/xdg-%s", h.dir, name);
	vm->pidfd = vm->out_fd = -1;
	vm->rc = QT_RC_HUNG;
	h.vms[h.nvms++] = vm;
	return vm;
}

void qt_conf(struct qt_vm *vm, const char *fmt, ...)
{
	va_list ap;
	char buf[4096];

	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(buf)) {
		fprintf(stderr, "harness: a qt_conf() piece over %zu bytes\n", sizeof(buf));
		abort();
	}
	char *p = realloc(vm->conf, vm->conf_len + (size_t)n + 1);
	if (!p)
		oom();
	memcpy(p + vm->conf_len, buf, (size_t)n + 1);
	vm->conf = p;
	vm->conf_len += (size_t)n;
}

void qt_guest(struct qt_vm *vm, const char *image)
{
	qt_conf(vm, "load %s/build/guest-images/%s/%s.elf\n", h.top, QT_GUEST_ARCH, image);
}

void qt_console(struct qt_vm *vm)
{
	qt_conf(vm, "%s", QT_CONSOLE_CONF);
}

void qt_args(struct qt_vm *vm, ...)
{
	va_list ap;
	const char *a;

	va_start(ap, vm);
	while ((a = va_arg(ap, const char *))) {
		if (vm->nargs == MAX_ARGS) {
			fprintf(stderr, "harness: more than %d arguments\n", MAX_ARGS);
			abort();
		}
		vm->args[vm->nargs++] = xstrdup(a);
	}
	va_end(ap);
}

void qt_env(struct qt_vm *vm, const char *name, const char *value)
{
	if (vm->nenv == MAX_ENV) {
		fprintf(stderr, "harness: more than %d environment variables\n", MAX_ENV);
		abort();
	}
	size_t n = strlen(name) + strlen(value) + 2;
	char *e = xcalloc(1, n);
	snprintf(e, n, "%s=%s", name, value);
	vm->env[vm->nenv++] = e;
}

void qt_conf_file(struct qt_vm *vm, const char *path)
{
	snprintf(vm->conf_path, sizeof(vm->conf_path), "%s", path);
	vm->conf_given = true;
}

void qt_use_config_flag(struct qt_vm *vm)
{
	vm->config_flag = true;
}

void qt_test_vdevs(struct qt_vm *vm)
{
	const char *b = getenv("B");
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s/tests", h.top, b && *b ? b : "build");
	qt_env(vm, "QVM_VDEV_PATH", path);
}

/* ---- Running it ---- */

static bool env_overridden(const struct qt_vm *vm, const char *e)
{
	const char *eq = strchr(e, '=');
	size_t n = eq ? (size_t)(eq - e) + 1 : strlen(e);

	if (strncmp(e, "XDG_RUNTIME_DIR=", n) == 0)
		return true;
	for (unsigned i = 0; i < vm->nenv; i++)
		if (strncmp(e, vm->env[i], n) == 0)
			return true;
	return false;
}

static _Noreturn void child(struct qt_vm *vm, int out_w, char **argv)
{
	size_t n = 0;
	while (environ[n])
		n++;
	char **envp = calloc(n + vm->nenv + 2, sizeof(*envp));
	char xdg[PATH_MAX + 32];
	int err = open(vm->err_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	int in = open("/dev/null", O_RDONLY | O_CLOEXEC);

	if (!envp || err < 0 || in < 0)
		_exit(127);
	/* A harness killed by its own timeout takes its qvm along. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (!env_overridden(vm, environ[i]))
			envp[k++] = environ[i];
	for (unsigned i = 0; i < vm->nenv; i++)
		envp[k++] = vm->env[i];
	snprintf(xdg, sizeof(xdg), "XDG_RUNTIME_DIR=%s", vm->xdg);
	envp[k++] = xdg;
	if (dup2(in, 0) < 0 || dup2(out_w, 1) < 0 || dup2(err, 2) < 0)
		_exit(127);
	execve(argv[0], argv, envp);
	dprintf(2, "harness: cannot run %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

void qt_start(struct qt_vm *vm)
{
	const char *qvm = getenv("QVM");
	char *argv[MAX_ARGS + 4];
	char at[PATH_MAX + 1];
	unsigned n = 0;
	int fds[2];

	if (vm->started) {
		fprintf(stderr, "harness: VM %s started twice\n", vm->name);
		abort();
	}
	FILE *f = vm->conf_given ? NULL : fopen(vm->conf_path, "w");
	if (!vm->conf_given && (!f || fwrite(vm->conf ? vm->conf : "", 1, vm->conf_len, f) != vm->conf_len ||
			fclose(f) != 0)) {
		fprintf(stderr, "harness: cannot write %s: %s\n", vm->conf_path, strerror(errno));
		abort();
	}
	if (mkdir(vm->xdg, 0700) != 0 && errno != EEXIST) {
		fprintf(stderr, "harness: cannot make %s: %s\n", vm->xdg, strerror(errno));
		abort();
	}
	argv[n++] = (char *)(qvm && *qvm ? qvm : "build/qvm");
	if (vm->config_flag) {
		argv[n++] = (char *)"--config";
		argv[n++] = vm->conf_path;
	} else {
		snprintf(at, sizeof(at), "@%s", vm->conf_path);
		argv[n++] = at;
	}
	for (unsigned i = 0; i < vm->nargs; i++)
		argv[n++] = vm->args[i];
	argv[n] = NULL;

	if (pipe2(fds, O_CLOEXEC) != 0) {
		fprintf(stderr, "harness: pipe: %s\n", strerror(errno));
		abort();
	}
	fflush(stdout);
	clock_gettime(CLOCK_MONOTONIC, &vm->t0);
	pid_t pid = fork();
	if (pid < 0) {
		fprintf(stderr, "harness: fork: %s\n", strerror(errno));
		abort();
	}
	if (pid == 0)
		child(vm, fds[1], argv);
	close(fds[1]);
	vm->pid = pid;
	vm->out_fd = fds[0];
	vm->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (vm->pidfd < 0) {
		fprintf(stderr, "harness: pidfd_open: %s\n", strerror(errno));
		abort();
	}
	vm->started = true;
}

/* Appends what the pipe holds; false at EOF. */
static bool read_out(struct qt_vm *vm)
{
	char buf[65536];
	ssize_t n = read(vm->out_fd, buf, sizeof(buf));

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return true;
	if (n <= 0)
		return false;
	double t = since(&vm->t0);
	size_t keep = (size_t)n;
	if (vm->out_len + keep > MAX_CAPTURE)
		keep = MAX_CAPTURE - vm->out_len;
	if (vm->out_len + keep + 1 > vm->out_cap) {
		size_t cap = vm->out_cap ? vm->out_cap : 4096;
		while (cap < vm->out_len + keep + 1)
			cap *= 2;
		char *p = realloc(vm->out, cap);
		if (!p)
			oom();
		vm->out = p;
		vm->out_cap = cap;
	}
	for (size_t i = 0; i < keep; i++) {
		vm->out[vm->out_len++] = buf[i];
		if (buf[i] == '\n' && vm->nlines < MAX_LINES)
			vm->lines[vm->nlines++] = (struct line){ vm->out_len, t };
	}
	vm->out[vm->out_len] = '\0';
	return true;
}

static void reap(struct qt_vm *vm)
{
	int st;

	if (waitpid(vm->pid, &st, 0) != vm->pid)
		return;
	vm->t_end = since(&vm->t0);
	vm->ended = true;
	if (vm->rc == QT_RC_HUNG)
		vm->rc = WIFEXITED(st) ? WEXITSTATUS(st) : QT_RC_SIGNALED(WTERMSIG(st));
	close(vm->pidfd);
	vm->pidfd = -1;
	/* What the guest printed before the end is in the pipe still; a
	 * process qvm started may hold the pipe open, so do not wait for EOF. */
	if (vm->out_fd >= 0) {
		fcntl(vm->out_fd, F_SETFL, O_NONBLOCK);
		while (read_out(vm) && vm->out_len < MAX_CAPTURE) {
			struct pollfd p = { vm->out_fd, POLLIN, 0 };
			if (poll(&p, 1, 0) <= 0)
				break;
		}
		close(vm->out_fd);
		vm->out_fd = -1;
	}
}

/* Reads output until qvm ends, STOP (if given) is printed, or SECONDS pass.
 * True if it stopped on STOP. */
static bool pump(struct qt_vm *vm, const char *stop, double seconds)
{
	double deadline = since(&vm->t0) + seconds;

	while (!vm->ended) {
		if (stop && qt_find_line(vm, stop))
			return true;
		double left = deadline - since(&vm->t0);
		if (left <= 0)
			return false;
		struct pollfd p[2] = { { vm->pidfd, POLLIN, 0 }, { vm->out_fd, POLLIN, 0 } };
		int n = poll(p, vm->out_fd >= 0 ? 2 : 1, (int)(left * 1000) + 1);
		if (n < 0 && errno != EINTR) {
			fprintf(stderr, "harness: poll: %s\n", strerror(errno));
			abort();
		}
		if (n > 0 && p[1].revents && vm->out_fd >= 0 && !read_out(vm)) {
			close(vm->out_fd);
			vm->out_fd = -1;
		}
		if (n > 0 && p[0].revents)
			reap(vm);
	}
	return stop && qt_find_line(vm, stop);
}

bool qt_wait_line(struct qt_vm *vm, const char *text, unsigned seconds)
{
	return pump(vm, text, seconds);
}

void qt_kill(struct qt_vm *vm, int sig)
{
	if (vm->started && !vm->ended)
		kill(vm->pid, sig);
}

bool qt_running(struct qt_vm *vm)
{
	if (vm->started && !vm->ended) {
		pump(vm, NULL, 0);
		return !vm->ended;
	}
	return false;
}

int qt_finish(struct qt_vm *vm, unsigned seconds)
{
	if (!vm->started)
		return vm->rc;
	pump(vm, NULL, seconds);
	if (!vm->ended) {
		vm->rc = QT_RC_TIMEOUT;
		kill(vm->pid, SIGTERM);
		pump(vm, NULL, kill_after());
	}
	if (!vm->ended) {
		vm->rc = QT_RC_HUNG;
		kill(vm->pid, SIGKILL);
		reap(vm);
	}
	return vm->rc;
}

int qt_run(struct qt_vm *vm, unsigned timeout_s)
{
	qt_start(vm);
	return qt_finish(vm, timeout_s);
}

/* ---- What came out ---- */

int qt_rc(const struct qt_vm *vm)
{
	return vm->rc;
}

double qt_end_time(const struct qt_vm *vm)
{
	return vm->ended ? vm->t_end : -1;
}

const char *qt_out(struct qt_vm *vm)
{
	if (vm->started && !vm->ended)
		pump(vm, NULL, 0);
	return vm->out ? vm->out : "";
}

const char *qt_err(struct qt_vm *vm)
{
	free(vm->err);
	vm->err = NULL;
	int fd = open(vm->err_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return "";
	size_t len = 0, cap = 4096;
	char *p = malloc(cap);
	if (!p)
		oom();
	for (;;) {
		if (len + 1 == cap) {
			if (cap >= MAX_CAPTURE)
				break;
			cap *= 2;
			char *q = realloc(p, cap);
			if (!q)
				oom();
			p = q;
		}
		ssize_t n = read(fd, p + len, cap - 1 - len);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	p[len] = '\0';
	vm->err = p;
	return p;
}

unsigned qt_count_err(struct qt_vm *vm, const char *text)
{
	unsigned n = 0;
	size_t len = strlen(text);

	if (!len)
		return 0;
	for (const char *p = qt_err(vm); (p = strstr(p, text)); p += len)
		n++;
	return n;
}

/* Line I of stdout: [*start, *start + *len), without its '\n'. The last,
 * unfinished line is line nlines. */
static bool line_at(const struct qt_vm *vm, unsigned i, const char **start, size_t *len)
{
	size_t b = i ? vm->lines[i - 1].end : 0;
	size_t e = i < vm->nlines ? vm->lines[i].end - 1 : vm->out_len;

	if (i > vm->nlines || (i == vm->nlines && b == vm->out_len))
		return false;
	*start = vm->out + b;
	*len = e - b;
	return true;
}

/* Index of the first line holding TEXT (EXACT: being TEXT), or -1. */
static long find(struct qt_vm *vm, const char *text, bool exact)
{
	size_t tl = strlen(text);
	const char *s;
	size_t len;

	qt_out(vm);
	for (unsigned i = 0; line_at(vm, i, &s, &len); i++) {
		if (exact ? len == tl && memcmp(s, text, tl) == 0 : memmem(s, len, text, tl) != NULL)
			return i;
	}
	return -1;
}

const char *qt_find_line(struct qt_vm *vm, const char *text)
{
	static char copy[1024];
	long i = find(vm, text, false);
	const char *s;
	size_t len;

	if (i < 0 || !line_at(vm, (unsigned)i, &s, &len))
		return NULL;
	snprintf(copy, sizeof(copy), "%.*s", (int)len, s);
	return copy;
}

bool qt_has_line(struct qt_vm *vm, const char *line)
{
	return find(vm, line, true) >= 0;
}

double qt_line_time(struct qt_vm *vm, const char *text)
{
	long i = find(vm, text, false);

	return i >= 0 && (unsigned)i < vm->nlines ? vm->lines[i].t : -1;
}

bool qt_report(struct qt_vm *vm, const char *key, uint64_t *val)
{
	char prefix[256];
	const char *l;

	snprintf(prefix, sizeof(prefix), "report %s 0x", key);
	long i = find(vm, prefix, false);
	size_t len;
	if (i < 0 || !line_at(vm, (unsigned)i, &l, &len) || strncmp(l, prefix, strlen(prefix)) != 0)
		return false;
	char *end;
	*val = strtoull(l + strlen(prefix), &end, 16);
	return end > l + strlen(prefix);
}

/* The last lines of qvm's log, into the failure's diagnostics. */
void qt_diag_tail(struct qt_vm *vm)
{
	const char *e = qt_err(vm);
	const char *p = e + strlen(e);
	int lines = 0;

	while (p > e && lines < 6)
		if (*--p == '\n' && p[1])
			lines++;
	if (p > e || *p == '\n')
		p++;
	if (*p)
		diag_add("qvm's log (%s) ends:\n%s%s", vm->name, p, p[strlen(p) - 1] == '\n' ? "" : "\n");
}

/* ---- The program ---- */

static void free_vm(struct qt_vm *vm)
{
	if (vm->started && !vm->ended) {
		kill(vm->pid, SIGKILL);
		reap(vm);
	}
	if (vm->out_fd >= 0)
		close(vm->out_fd);
	if (vm->pidfd >= 0)
		close(vm->pidfd);
	for (unsigned i = 0; i < vm->nargs; i++)
		free(vm->args[i]);
	for (unsigned i = 0; i < vm->nenv; i++)
		free(vm->env[i]);
	free(vm->conf);
	free(vm->out);
	free(vm->err);
	free(vm);
}

static int rm_tree(const char *path)
{
	char cmd[PATH_MAX + 32];

	/* only ever our own mkdtemp() directory */
	snprintf(cmd, sizeof(cmd), "rm -rf -- '%s'", path);
	return system(cmd);
}

static int by_line(const void *a, const void *b)
{
	const struct test *x = a, *y = b;

	return (x->line > y->line) - (x->line < y->line);
}

/* Prints the diagnostics as TAP comment lines. */
static void print_diag(void)
{
	char *s = h.diag;

	while (s && *s) {
		char *nl = strchr(s, '\n');
		size_t n = nl ? (size_t)(nl - s) : strlen(s);
		printf("# %.*s\n", (int)n, s);
		s += n + (nl != NULL);
	}
	free(h.diag);
	h.diag = NULL;
	h.diag_len = 0;
}

int qt_main(void)
{
	unsigned failed = 0;
	char no_kvm[256] = "";
	const char *tmp = getenv("TMPDIR");

	setvbuf(stdout, NULL, _IOLBF, 0);
	qsort(h.tests, h.ntests, sizeof(h.tests[0]), by_line);
	if (!getcwd(h.top, sizeof(h.top))) {
		fprintf(stderr, "harness: getcwd: %s\n", strerror(errno));
		return 2;
	}
	snprintf(h.base, sizeof(h.base), "%s/qvm-guest-test.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(h.base)) {
		fprintf(stderr, "harness: mkdtemp %s: %s\n", h.base, strerror(errno));
		return 2;
	}
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		snprintf(no_kvm, sizeof(no_kvm), "/dev/kvm is not usable here (%s): guests cannot run",
				strerror(errno));
	else
		close(kvm);

	printf("TAP version 13\n");
	for (unsigned i = 0; i < h.ntests; i++) {
		const struct test *t = &h.tests[i];

		h.failed = h.skipped = false;
		if (no_kvm[0]) {
			printf("ok %u - %s # SKIP %s\n", i + 1, t->name, no_kvm);
			continue;
		}
		snprintf(h.dir, sizeof(h.dir), "%s/%s", h.base, t->name);
		if (mkdir(h.dir, 0700) != 0) {
			fprintf(stderr, "harness: cannot make %s: %s\n", h.dir, strerror(errno));
			return 2;
		}
		t->fn();
		for (unsigned v = 0; v < h.nvms; v++)
			free_vm(h.vms[v]);
		h.nvms = 0;
		if (h.failed) {
			failed++;
			printf("not ok %u - %s\n", i + 1, t->name);
			print_diag();
			printf("# files kept in %s\n", h.dir);
		} else {
			if (h.skipped)
				printf("ok %u - %s # SKIP %s\n", i + 1, t->name, h.skip_reason);
			else
				printf("ok %u - %s\n", i + 1, t->name);
			print_diag();
			rm_tree(h.dir);
		}
	}
	printf("1..%u\n", h.ntests);
	if (!failed)
		rm_tree(h.base);
	return failed ? 1 : 0;
}

int main(void)
{
	return qt_main();
}
