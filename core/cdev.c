/*
 * qvm/cdev.h: the host side of serial-like vdevs. Output is written as it
 * comes (or collected with `batch`); input is read by a thread of the
 * vdev's into the cdev's ring, which tells the vdev through its pulse
 * callback and stops reading while the ring is full, so nothing typed is
 * lost however slowly the guest reads.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <qvm/cdev.h>
#include <qvm/log.h>
#include <qvm/utils.h>
#include <qvm/vdev-core.h>

#include "vdev_impl.h"

#define DEFAULT_SIZE	256
#define OUT_WAIT_MS	500	/* one byte's wait for a full non-blocking output */

/* qvm's part of a cdev_state (cds->qvm). */
struct cdev_qvm {
	struct qvm_vdev *d;
	struct cdev_state *cds;
	struct cdev_qvm *next;		/* d->cdevs: ended with the vdev if TERMINATE never came */
	pthread_mutex_t lock;		/* the input ring */
	pthread_mutex_t out_lock;	/* the output and its `batch` buffer */
	pthread_t thread;
	bool thread_started, stop;
	int wake;			/* an eventfd: TERMINATE, room, a batch begun */
	bool in_owned, out_owned;	/* the fds were opened here */
	pid_t child;			/* `hostdev >"|COMMAND"`: the command reading the output */
	bool out_stuck;			/* the last wait for room timed out */
	bool tty_raw;
	char *in_path, *out_path;	/* what `delayed` opens */
	uint64_t flush_at;		/* `batch`: when the collected output goes, in us (0: none) */
	_Atomic bool referenced;	/* `delayed`: the vdev used the cdev (the guest touched it) */
	bool late_open;			/* `delayed`: the paths are yet to be opened */
	int err;			/* a hostdev's open failed: -errno, reported at OPTIONS_END */
	const struct qvm_token *err_tok;	/* ... with the option's line */
	char err_arg[256];
};

static struct cdev_qvm *qvm_of(struct cdev_state *cds)
{
	return cds ? cds->qvm : NULL;
}

int cdev_setup(struct cdev_state *cds, vdev_t *vdev, unsigned size)
{
	struct cdev_qvm *q;

	if (!cds || !vdev)
		return EINVAL;
	if (size == 0)
		size = DEFAULT_SIZE;
	memset(cds, 0, sizeof(*cds));
	q = calloc(1, sizeof(*q));
	cds->in.buff = malloc(size);
	cds->out.buff = malloc(size);
	if (!q || !cds->in.buff || !cds->out.buff) {
		free(q);
		free(cds->in.buff);
		free(cds->out.buff);
		cds->in.buff = cds->out.buff = NULL;
		return ENOMEM;
	}
	q->d = vdev_of(vdev);
	q->cds = cds;
	q->next = q->d->cdevs;
	q->d->cdevs = q;
	q->wake = -1;
	pthread_mutex_init(&q->lock, NULL);
	pthread_mutex_init(&q->out_lock, NULL);
	cds->vdev = vdev;
	cds->qvm = q;
	cds->in.size = cds->out.size = size;
	cds->in.fd = STDIN_FILENO;
	cds->out.fd = STDOUT_FILENO;
	cds->in.name = cds->out.name = "-";
	cds->flags = CDSF_OWN_BUFFERS;
	return EOK;
}

static bool takes_input(const struct cdev_qvm *q)
{
	return q->d && q->d->factory->pulse;
}

static void close_out(struct cdev_state *cds, struct cdev_qvm *q)
{
	int fd = cds->out.fd;

	cds->out.fd = -1;	/* detached first: a late write finds nothing */
	if (q->out_owned && fd >= 0)
		close(fd);
	q->out_owned = false;
	/* the command sees the end of its input: give it a moment to finish, not forever */
	for (int i = 0; q->child > 0 && i < 50; i++) {
		if (waitpid(q->child, NULL, WNOHANG) != 0)
			q->child = 0;
		else
			usleep(10000);
	}
	q->child = 0;
}

/*
 * The vendor's `hostdev >"|COMMAND"`: the output goes to the standard
 * input of `/bin/sh -c COMMAND`, started with qvm's own privileges at the
 * time (before `set user` drops them, unless `delayed`) and with the
 * default signal dispositions qvm's blocked mask would otherwise pass on.
 */
static int open_command(struct cdev_qvm *q, const char *cmd)
{
	extern char **environ;
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, dfl;
	int p[2], r;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	sigemptyset(&none);
	sigemptyset(&dfl);
	sigaddset(&dfl, SIGPIPE);	/* qvm ignores it; the command must not */
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, p[0], STDIN_FILENO);
	posix_spawnattr_init(&at);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &dfl);
	char *argv[] = { "sh", "-c", (char *)cmd, NULL };
	r = posix_spawn(&pid, "/bin/sh", &fa, &at, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	close(p[0]);
	if (r) {
		close(p[1]);
		return -r;
	}
	q->child = pid;
	/* a command that stops reading costs the guest the usual wait, not a vCPU */
	fcntl(p[1], F_SETFL, fcntl(p[1], F_GETFL) | O_NONBLOCK);
	return p[1];
}

static void close_in(struct cdev_state *cds, struct cdev_qvm *q)
{
	int fd = cds->in.fd;

	cds->in.fd = -1;
	if (q->in_owned && fd >= 0)
		close(fd);
	q->in_owned = false;
}

/* Open path for in and/or out; -errno. Non-blocking input: a FIFO nobody writes must not stall. */
static int open_path(struct cdev_state *cds, struct cdev_qvm *q, const char *path, bool in,
		bool out)
{
	if (out && !in && path[0] == '|') {
		close_out(cds, q);
		int fd = open_command(q, path + 1);
		if (fd < 0)
			return fd;
		cds->out.fd = fd;
		q->out_owned = true;
		q->out_stuck = false;
		return 0;
	}
	/* non-blocking: a FIFO nobody reads or writes must not stall the open or a vCPU */
	int fd = open(path, (in && out ? O_RDWR : in ? O_RDONLY : O_WRONLY | O_CREAT | O_APPEND) |
			O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0644);
	if (fd < 0)
		return -errno;
	if (out) {
		close_out(cds, q);
		cds->out.fd = fd;
		q->out_owned = true;
		q->out_stuck = false;
	}
	if (in) {
		close_in(cds, q);
		cds->in.fd = out ? fcntl(fd, F_DUPFD_CLOEXEC, 0) : fd;
		q->in_owned = cds->in.fd >= 0;
		if (cds->in.fd < 0)
			return -errno;
	}
	return 0;
}

/* Can one type into path (a terminal, a FIFO, a socket)? */
static bool typeable(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && (S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode) ||
			S_ISSOCK(st.st_mode));
}

/* A hostdev that could not be opened: an error at OPTIONS_END unless a `delayed` came. */
static void open_failed(struct cdev_qvm *q, const char *arg, int err)
{
	if (q->err)
		return;	/* the first one is reported */
	q->err = err;
	q->err_tok = q->d->vm->cur_tok;
	snprintf(q->err_arg, sizeof(q->err_arg), "%s", arg);
}

static void hostdev(struct cdev_state *cds, struct cdev_qvm *q, const char *arg)
{
	const char *path = arg;
	bool in = true, out = true;

	if (!arg || !*arg)
		qvm_fatal(QLS_CNF, "hostdev needs a path, '-', '<PATH' or '>PATH'");
	if (!(cds->flags & CDSF_CONFIGURED)) {	/* the first one replaces the default: stdio */
		cds->flags |= CDSF_CONFIGURED;
		cds->in.name = cds->out.name = NULL;
		if (!q->in_owned)
			cds->in.fd = -1;
		if (!q->out_owned)
			cds->out.fd = -1;
	}
	if (strcmp(arg, "-") == 0) {
		close_out(cds, q);
		close_in(cds, q);
		if (q->in_path != q->out_path)
			free(q->in_path);
		free(q->out_path);
		q->in_path = q->out_path = NULL;
		cds->out.fd = STDOUT_FILENO;
		cds->in.fd = takes_input(q) ? STDIN_FILENO : -1;
		cds->in.name = cds->out.name = "-";
		return;
	}
	if (arg[0] == '<' || arg[0] == '>') {
		in = arg[0] == '<';
		out = !in;
		path++;
	}
	if (in && !out && !takes_input(q))
		qvm_fatal(QLS_CNF, "hostdev '%s': this vdev takes no input", arg);
	if (path[0] == '|' && (in || !path[1]))
		qvm_fatal(QLS_CNF, "hostdev '%s': a command takes the output: >\"|COMMAND\"", arg);
	if (in && out)	/* both only for what can be typed into */
		in = takes_input(q) && typeable(path);
	char *copy = strdup(path);
	if (!copy)
		qvm_fatal(QLS_QVM, "hostdev: out of memory");
	/* a path both directions shared: the direction not replaced keeps it */
	bool shared = q->in_path && q->in_path == q->out_path;
	if (out) {
		if (!shared || in)
			free(q->out_path);
		else
			q->in_path = q->out_path;	/* now the input's alone */
		q->out_path = copy;
		cds->out.name = copy;
	}
	if (in) {
		if (!shared && q->in_path != copy)
			free(q->in_path);
		q->in_path = out ? q->out_path : copy;
		cds->in.name = q->in_path;
	}
	if (cds->flags & CDSF_DELAYED)
		return;	/* opened once the guest touches the device */
	int r = open_path(cds, q, path, in, out);
	if (r)
		open_failed(q, arg, r);
}


/* Terminal input byte by byte, without echo; ^C and ^\ still signal qvm. */
static void tty_raw(struct cdev_state *cds, struct cdev_qvm *q)
{
	struct termios t;

	if (!isatty(cds->in.fd) || tcgetattr(cds->in.fd, &cds->save_termio) != 0)
		return;
	t = cds->save_termio;
	t.c_lflag &= (tcflag_t)~(ICANON | ECHO | ECHONL | IEXTEN);
	t.c_iflag &= (tcflag_t)~(ICRNL | INLCR | IXON);
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	if (tcsetattr(cds->in.fd, TCSANOW, &t) == 0) {
		q->tty_raw = true;
		cds->flags |= CDSF_NEEDS_RESTORE;
	}
	/* read() in the background then fails with EIO instead of stopping all of qvm */
	signal(SIGTTIN, SIG_IGN);
}

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static void poke(struct cdev_qvm *q)
{
	if (q->wake >= 0)
		eventfd_write(q->wake, 1);
}

static void put(struct cdev_state *cds, struct cdev_qvm *q, const uint8_t *data, size_t len);

/* `delayed`: the guest's first use of the device starts the open. */
static void referenced(struct cdev_qvm *q)
{
	if (!atomic_load_explicit(&q->referenced, memory_order_relaxed) &&
			!atomic_exchange(&q->referenced, true))
		poke(q);
}

/* `batch`: write what was collected once its time came (out_lock held). */
static void flush_due(struct cdev_state *cds, struct cdev_qvm *q, bool now)
{
	if (q->flush_at && (now || now_us() >= q->flush_at)) {
		put(cds, q, cds->out.buff + cds->out.begin, cds->out.pos - cds->out.begin);
		cds->out.begin = cds->out.pos = 0;
		q->flush_at = 0;
	}
}

/*
 * Wait for input (when there is room for it), a poke or the next flush,
 * up to limit_ms (-1: no limit). False once TERMINATE asked to stop.
 */
static bool wait_event(struct cdev_state *cds, struct cdev_qvm *q, bool input, int limit_ms,
		bool *readable)
{
	struct pollfd p[2] = { { .fd = q->wake, .events = POLLIN },
			       { .fd = cds->in.fd, .events = POLLIN } };
	int ms = limit_ms;

	pthread_mutex_lock(&q->out_lock);
	if (q->flush_at) {
		uint64_t t = now_us(), left = q->flush_at > t ? (q->flush_at - t + 999) / 1000 : 0;
		if (ms < 0 || left < (uint64_t)ms)
			ms = (int)left;
	}
	pthread_mutex_unlock(&q->out_lock);
	pthread_mutex_lock(&q->lock);
	input = input && cds->in.fd >= 0 && cds->in.avail < cds->in.size;
	pthread_mutex_unlock(&q->lock);
	while (poll(p, input ? 2 : 1, ms) < 0 && errno == EINTR)
		;
	if (p[0].revents & POLLIN) {
		eventfd_t v;
		eventfd_read(q->wake, &v);
	}
	*readable = input && (p[1].revents & (POLLIN | POLLHUP | POLLERR));
	pthread_mutex_lock(&q->out_lock);
	flush_due(cds, q, false);
	pthread_mutex_unlock(&q->out_lock);
	return !__atomic_load_n(&q->stop, __ATOMIC_ACQUIRE);
}

/*
 * The vendor's `delayed`: once the guest first touches the device (the
 * vdev's first cdev call), open the paths, trying again every 100 ms for
 * delayed_count seconds (0: once; CDEV_DELAYED_FOREVER: for ever). Output
 * the guest sent meanwhile was kept in the output buffer and goes first.
 * False once TERMINATE asked the thread to stop.
 */
static bool late_open(struct cdev_state *cds, struct cdev_qvm *q, bool input)
{
	bool readable, both = q->in_path && q->in_path == q->out_path;
	int r = 0;

	while (!atomic_load(&q->referenced))
		if (!wait_event(cds, q, false, -1, &readable))
			return false;
	uint64_t until = now_us() + (uint64_t)cds->delayed_count * 1000000;
	for (;;) {
		pthread_mutex_lock(&q->out_lock);
		r = q->out_path && cds->out.fd < 0 ? open_path(cds, q, q->out_path, both && input, true)
			: 0;
		if (!r && input && q->in_path && !both && cds->in.fd < 0)
			r = open_path(cds, q, q->in_path, true, false);
		if (!r || cds->delayed_count == 0 ||
				(cds->delayed_count != CDEV_DELAYED_FOREVER && now_us() >= until)) {
			q->late_open = false;	/* what cdev_write kept goes out now, in order */
			if (!r && cds->out.pos > cds->out.begin)
				put(cds, q, cds->out.buff + cds->out.begin, cds->out.pos - cds->out.begin);
			cds->out.begin = cds->out.pos = 0;	/* (dropped when nothing opened) */
			q->flush_at = 0;
			pthread_mutex_unlock(&q->out_lock);
			break;
		}
		pthread_mutex_unlock(&q->out_lock);
		if (!wait_event(cds, q, false, 100, &readable))
			return false;
	}
	if (r)
		vdev_logf(QL_QVM_WARN, cds->vdev, "hostdev '%s' (delayed): %s", q->out_path ?
				q->out_path : q->in_path, strerror(-r));
	return true;
}

/* The background work of a cdev: a `delayed` open, input into the ring, `batch` flushes. */
static void *cdev_thread(void *arg)
{
	struct cdev_state *cds = arg;
	struct cdev_qvm *q = cds->qvm;
	uint8_t buf[64];
	bool readable, input = takes_input(q);

	if (cds->flags & CDSF_DELAYED) {
		if (!late_open(cds, q, input))
			return NULL;
		if (input)
			tty_raw(cds, q);
	}
	while (wait_event(cds, q, input && !(cds->flags & CDSF_DRAINED), -1, &readable)) {
		if (!readable)
			continue;
		pthread_mutex_lock(&q->lock);
		unsigned room = cds->in.size - cds->in.avail;
		pthread_mutex_unlock(&q->lock);
		ssize_t n = read(cds->in.fd, buf, room < sizeof(buf) ? room : sizeof(buf));
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0 && errno == EIO) {	/* a terminal qvm is in the background of */
			if (!wait_event(cds, q, false, 200, &readable))
				break;
			continue;
		}
		if (n <= 0) {
			cds->flags |= CDSF_DRAINED;	/* the end of the input, or an error */
			continue;	/* `batch` flushes go on */
		}
		pthread_mutex_lock(&q->lock);
		for (ssize_t i = 0; i < n; i++) {
			cds->in.buff[(cds->in.pos + cds->in.avail) % cds->in.size] = buf[i];
			cds->in.avail++;
		}
		pthread_mutex_unlock(&q->lock);
		vdev_deliver_pulse(q->d, CDEV_INPUT_AVAILABLE_PULSE_CODE);
	}
	return NULL;
}

static void start(struct cdev_state *cds, struct cdev_qvm *q)
{
	bool delayed = cds->flags & CDSF_DELAYED, batch = cds->out.flush_timeout > 0;
	bool input = takes_input(q) && cds->in.fd >= 0;

	if (input && cds->in.fd == STDIN_FILENO && !q->in_owned &&
			atomic_exchange(&q->d->vm->stdin_taken, true)) {
		vdev_logf(QL_QVM_DEBUG, cds->vdev, "qvm's standard input goes to another vdev");
		close_in(cds, q);
		input = false;
	}
	if (!input && !delayed && !batch)
		return;
	q->wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (q->wake < 0) {
		vdev_logf(QL_QVM_WARN, cds->vdev, "no input, no delayed open, no batch: %s",
				strerror(errno));
		return;
	}
	if (input && !delayed)
		tty_raw(cds, q);
	int r = vdev_thread_create(cds->vdev, "cdev", &q->thread, NULL, cdev_thread, cds);
	if (r) {
		vdev_logf(QL_QVM_WARN, cds->vdev, "no input, no delayed open, no batch: cannot make "
				"its thread: %s", strerror(r));
		return;
	}
	q->thread_started = true;
}

/* TERMINATE: the thread ends, the output is flushed, everything is closed and freed. */
static void end(struct cdev_state *cds, struct cdev_qvm *q)
{
	for (struct cdev_qvm **p = &q->d->cdevs; *p; p = &(*p)->next)
		if (*p == q) {
			*p = q->next;
			break;
		}
	if (q->thread_started) {
		__atomic_store_n(&q->stop, true, __ATOMIC_RELEASE);
		poke(q);
		pthread_join(q->thread, NULL);
		q->thread_started = false;
	}
	if (q->tty_raw) {
		tcsetattr(cds->in.fd, TCSANOW, &cds->save_termio);
		q->tty_raw = false;
		cds->flags &= ~(unsigned)CDSF_NEEDS_RESTORE;
	}
	pthread_mutex_lock(&q->out_lock);
	flush_due(cds, q, true);
	pthread_mutex_unlock(&q->out_lock);
	close_out(cds, q);
	close_in(cds, q);
	if (q->wake >= 0)
		close(q->wake);
	if (q->in_path != q->out_path)
		free(q->in_path);
	free(q->out_path);
	pthread_mutex_destroy(&q->lock);
	pthread_mutex_destroy(&q->out_lock);
	free(q);
	if (cds->flags & CDSF_OWN_BUFFERS) {
		free(cds->in.buff);
		free(cds->out.buff);
	}
	cds->in.buff = cds->out.buff = NULL;
	cds->in.name = cds->out.name = NULL;
	cds->qvm = NULL;	/* from here every cdev call answers EINVAL */
}

static uint64_t number(const char *opt, const char *arg, uint64_t max, const char *what)
{
	uint64_t v;
	const char *end = arg ? qvm_parse_num(arg, QPNF_NONE, &v) : NULL;

	if (!end || *end || v > max)
		qvm_fatal(QLS_CNF, "%s '%s': wants %s (0 to %llu)", opt, arg ? arg : "", what,
				(unsigned long long)max);
	return v;
}

int cdev_control(struct cdev_state *cds, unsigned ctrl, const char *arg)
{
	struct cdev_qvm *q = qvm_of(cds);

	if (!q)
		return EINVAL;
	switch (ctrl) {
	case VDEV_CTRL_FIRST_OPTIDX + CDEV_OPT_HOSTDEV_IDX:
		hostdev(cds, q, arg);
		break;
	case VDEV_CTRL_FIRST_OPTIDX + CDEV_OPT_DELAYED_IDX:
		cds->delayed_count = arg && strcmp(arg, "forever") == 0 ? CDEV_DELAYED_FOREVER :
			(unsigned)number("delayed", arg, 86400, "seconds, or forever");
		cds->flags |= CDSF_DELAYED;
		q->late_open = true;
		/* what a hostdev before it opened waits for the guest now */
		if (q->out_owned)
			close_out(cds, q);
		if (q->in_owned)
			close_in(cds, q);
		q->err = 0;
		break;
	case VDEV_CTRL_OPTIONS_END:
		/* the sandbox forbids starting programs, as a delayed command would */
		if ((cds->flags & CDSF_DELAYED) && q->out_path && q->out_path[0] == '|' &&
				q->d->vm->privs.sandbox != SANDBOX_OFF)
			qvm_fatal(QLS_CNF, "hostdev '>%s' with delayed: the command would start inside "
					"the sandbox (set sandbox off, or drop delayed)", q->out_path);
		if (q->err) {
			q->d->vm->cur_tok = q->err_tok;	/* the message names the option's line */
			qvm_fatal(QLS_CNF, "hostdev '%s': %s", q->err_arg, strerror(-q->err));
		}
		break;
	case VDEV_CTRL_FIRST_OPTIDX + CDEV_OPT_BATCH_IDX:
		cds->out.flush_timeout = (long)number("batch", arg, 60000000, "microseconds");
		if (cds->out.flush_timeout == 0)
			qvm_fatal(QLS_CNF, "batch '%s': wants microseconds (1 to 60000000)", arg);
		break;
	case VDEV_CTRL_GUEST_STARTING:
		start(cds, q);
		break;
	case VDEV_CTRL_TERMINATE:
		end(cds, q);
		break;
	default:
		break;
	}
	return EOK;
}

struct put_ctx {
	struct cdev_state *cds;
	struct cdev_qvm *q;
};

static void put_raw(struct cdev_state *cds, struct cdev_qvm *q, const uint8_t *data, size_t len);

static void put_cb(void *ctx, const uint8_t *data, size_t len)
{
	struct put_ctx *p = ctx;

	put_raw(p->cds, p->q, data, len);
}

/* len bytes out (out_lock held); on qvm's stdout, in step with the log (core/console.c). */
static void put(struct cdev_state *cds, struct cdev_qvm *q, const uint8_t *data, size_t len)
{
	struct put_ctx ctx = { cds, q };

	if (!console_write(&q->d->vm->console, cds->out.fd, data, len, put_cb, &ctx))
		put_raw(cds, q, data, len);
}

/* One write of len bytes, waiting for a full non-blocking output as a UART holds its line. */
static void put_raw(struct cdev_state *cds, struct cdev_qvm *q, const uint8_t *data, size_t len)
{
	while (len && cds->out.fd >= 0) {
		ssize_t n = write(cds->out.fd, data, len);
		if (n >= 0) {
			q->out_stuck = false;
			data += n;
			len -= (size_t)n;
			continue;
		}
		if (errno == EINTR)
			continue;
		/* other failures (EPIPE, a full disk) lose the bytes: the guest cannot be told */
		if ((errno != EAGAIN && errno != EWOULDBLOCK) || q->out_stuck)
			return;
		struct pollfd p = { .fd = cds->out.fd, .events = POLLOUT };
		int r;
		do
			r = poll(&p, 1, OUT_WAIT_MS);
		while (r < 0 && errno == EINTR);
		if (r <= 0) {
			q->out_stuck = true;	/* nobody reads: drop until it takes a byte again */
			return;
		}
	}
}

int cdev_write(struct cdev_state *cds, const uint8_t *data, unsigned len)
{
	struct cdev_qvm *q = qvm_of(cds);

	if (!q || (!data && len))
		return EINVAL;
	referenced(q);
	pthread_mutex_lock(&q->out_lock);
	if (q->late_open && q->thread_started) {
		/* `delayed`: kept until the open, as much as the buffer holds */
		for (unsigned i = 0; i < len && cds->out.pos < cds->out.size; i++)
			cds->out.buff[cds->out.pos++] = data[i];
	} else if (cds->out.flush_timeout <= 0 || !q->thread_started) {
		put(cds, q, data, len);
	} else {
		/* the vendor's batch: out once timeout us pass with no new byte */
		for (unsigned i = 0; i < len; i++) {
			if (cds->out.pos >= cds->out.size) {	/* full: out now, whatever the time */
				put(cds, q, cds->out.buff + cds->out.begin, cds->out.pos - cds->out.begin);
				cds->out.begin = cds->out.pos = 0;
			}
			cds->out.buff[cds->out.pos++] = data[i];
		}
		bool began = !q->flush_at;
		q->flush_at = now_us() + (uint64_t)cds->out.flush_timeout;
		if (began)
			poke(q);	/* the thread times the flush */
	}
	pthread_mutex_unlock(&q->out_lock);
	return EOK;
}

int cdev_write_buffer(struct cdev_state *cds)
{
	struct cdev_qvm *q = qvm_of(cds);

	if (!q)
		return EINVAL;
	pthread_mutex_lock(&q->out_lock);
	flush_due(cds, q, true);
	pthread_mutex_unlock(&q->out_lock);
	return EOK;
}

int cdev_read(struct cdev_state *cds, uint8_t *data, unsigned len)
{
	struct cdev_qvm *q = qvm_of(cds);
	unsigned n = 0;

	if (!q || (!data && len)) {
		errno = EINVAL;
		return -1;
	}
	referenced(q);
	pthread_mutex_lock(&q->lock);
	bool was_full = cds->in.avail == cds->in.size;
	while (n < len && cds->in.avail) {
		data[n++] = cds->in.buff[cds->in.pos];
		cds->in.pos = (cds->in.pos + 1) % cds->in.size;
		cds->in.avail--;
	}
	pthread_mutex_unlock(&q->lock);
	if (n && was_full)
		poke(q);	/* the thread reads again */
	return (int)n;
}

int cdev_input_available(struct cdev_state *cds)
{
	struct cdev_qvm *q = qvm_of(cds);

	if (!q)
		return 0;
	referenced(q);
	pthread_mutex_lock(&q->lock);
	int n = (int)cds->in.avail;
	pthread_mutex_unlock(&q->lock);
	return n;
}

void cdevs_destroy(struct qvm_vdev *d)
{
	while (d->cdevs)	/* end() takes each off the list */
		end(d->cdevs->cds, d->cdevs);
}
