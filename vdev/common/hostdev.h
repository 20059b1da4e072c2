/*
 * The `hostdev` option of the serial vdevs (ser8250, pl011): where the
 * guest's output goes and where its input comes from. Included by each
 * vdev's source (vdevs are separate objects, so this is static inline, not
 * a library).
 *
 *   hostdev -        qvm's standard output, and its standard input (the default)
 *   hostdev >PATH    output to PATH, appended (created 0644 if missing)
 *   hostdev <PATH    input from PATH (a terminal, a FIFO, a file...)
 *   hostdev PATH     both, when PATH is a terminal, a FIFO or a socket; a
 *                    plain file is output only (nothing types into a file)
 *
 * The first hostdev option replaces the default; more of them add to it
 * (`hostdev <in hostdev >out`), a later one for the same direction wins.
 */
#ifndef QVM_VDEV_HOSTDEV_H
#define QVM_VDEV_HOSTDEV_H

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <qvm/log.h>

struct hostdev {
	int fd;			/* where output goes, -1 = nowhere */
	bool owned;		/* fd was opened here: close it */
	bool stuck;		/* the last wait for room timed out (see hostdev_put) */
	int in_fd;		/* where input comes from, -1 = nowhere */
	bool in_owned;
	bool given;		/* a hostdev option replaced the default */
};

/* How long one byte may wait for a full non-blocking output to drain. */
#define HOSTDEV_WAIT_MS	500

static inline void hostdev_default(struct hostdev *h)
{
	*h = (struct hostdev){ .fd = STDOUT_FILENO, .in_fd = STDIN_FILENO };
}

static inline void hostdev_close_out(struct hostdev *h)
{
	/* Detach first so that a late write finds no descriptor. */
	int fd = h->fd;

	h->fd = -1;
	if (h->owned && fd >= 0)
		close(fd);
	h->owned = false;
}

static inline void hostdev_close_in(struct hostdev *h)
{
	int fd = h->in_fd;

	h->in_fd = -1;
	if (h->in_owned && fd >= 0)
		close(fd);
	h->in_owned = false;
}

static inline void hostdev_close(struct hostdev *h)
{
	hostdev_close_out(h);
	hostdev_close_in(h);
}

/*
 * Parse arg; a bad one ends qvm with a configuration error naming vdev.
 * input_ok: the vdev reads input (else `<` is refused).
 */
static inline void hostdev_set(struct hostdev *h, const char *vdev, const char *arg, bool input_ok)
{
	const char *path = arg;
	bool in = true, out = true;
	int fd;

	if (!h->given) {	/* the first option replaces the default: stdio */
		h->given = true;
		if (h->in_fd == STDIN_FILENO && !h->in_owned)
			h->in_fd = -1;
		if (h->fd == STDOUT_FILENO && !h->owned)
			h->fd = -1;
	}
	if (strcmp(arg, "-") == 0) {
		hostdev_close(h);
		h->fd = STDOUT_FILENO;
		h->in_fd = input_ok ? STDIN_FILENO : -1;
		h->stuck = false;
		return;
	}
	if (arg[0] == '<' || arg[0] == '>') {
		in = arg[0] == '<';
		out = !in;
		path++;
	}
	if (in && !out && !input_ok)
		qvm_fatal(QLS_CNF, "%s: hostdev '%s': input devices are not supported yet", vdev, arg);
	if (in && out) {	/* both only for what can be typed into */
		struct stat st;
		in = input_ok && stat(path, &st) == 0 && (S_ISCHR(st.st_mode) ||
				S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode));
	}
	/* non-blocking: opening a FIFO nobody writes to must not stall qvm */
	fd = open(path, (in && out ? O_RDWR : in ? O_RDONLY : O_WRONLY | O_CREAT | O_APPEND) |
			O_CLOEXEC | O_NOCTTY | (in ? O_NONBLOCK : 0), 0644);
	if (fd < 0)
		qvm_fatal(QLS_CNF, "%s: hostdev '%s': %s", vdev, arg, strerror(errno));
	/* A repeated hostdev replaces the earlier one instead of leaking it. */
	if (out) {
		hostdev_close_out(h);
		h->fd = fd;
		h->owned = true;
		h->stuck = false;
	}
	if (in) {
		hostdev_close_in(h);
		h->in_fd = out ? dup(fd) : fd;
		h->in_owned = h->in_fd >= 0;
		if (out && h->in_fd < 0)
			qvm_fatal(QLS_CNF, "%s: hostdev '%s': %s", vdev, arg, strerror(errno));
	}
}

/*
 * One byte out. Output that is full but non-blocking (a terminal or pipe
 * someone set O_NONBLOCK on, such as a serial console slower than the
 * guest) is waited for, up to HOSTDEV_WAIT_MS a byte, as a UART holds its
 * transmitter until the line takes the byte: dropping there lost a whole
 * Linux boot log. Once a wait times out (nobody reads), bytes are dropped
 * without waiting until the output takes one again, so that the vCPU is not
 * held for ever. Other failures (EPIPE, a full disk) lose the byte: the
 * guest has no way to be told.
 */
static inline void hostdev_put(struct hostdev *h, uint8_t c)
{
	ssize_t n;

	if (h->fd < 0)
		return;
	for (;;) {
		n = write(h->fd, &c, 1);
		if (n >= 0) {
			h->stuck = false;
			return;
		}
		if (errno == EINTR)
			continue;
		if ((errno != EAGAIN && errno != EWOULDBLOCK) || h->stuck)
			return;
		struct pollfd p = { .fd = h->fd, .events = POLLOUT };
		int r;
		do
			r = poll(&p, 1, HOSTDEV_WAIT_MS);
		while (r < 0 && errno == EINTR);
		if (r <= 0) {
			h->stuck = true;
			return;
		}
	}
}

#endif
