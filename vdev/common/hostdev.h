/*
 * The `hostdev` option of the serial vdevs (ser8250, pl011): where the
 * guest's output goes. Included by each vdev's source (vdevs are separate
 * objects, so this is static inline, not a library).
 *
 *   hostdev -        qvm's standard output (the default)
 *   hostdev >PATH    append the output to PATH (created 0644 if missing)
 *   hostdev PATH     the same as >PATH
 *   hostdev <PATH    input: not supported yet (a configuration error)
 */
#ifndef QVM_VDEV_HOSTDEV_H
#define QVM_VDEV_HOSTDEV_H

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include <qvm/log.h>

struct hostdev {
	int fd;			/* where output goes, -1 = nowhere */
	bool owned;		/* fd was opened here: close it */
	bool stuck;		/* the last wait for room timed out (see hostdev_put) */
};

/* How long one byte may wait for a full non-blocking output to drain. */
#define HOSTDEV_WAIT_MS	500

static inline void hostdev_default(struct hostdev *h)
{
	h->fd = STDOUT_FILENO;
	h->owned = false;
	h->stuck = false;
}

static inline void hostdev_close(struct hostdev *h)
{
	/* Detach first so that a late write finds no descriptor. */
	int fd = h->fd;

	h->fd = -1;
	if (h->owned && fd >= 0)
		close(fd);
	h->owned = false;
}

/* Parse arg; a bad one ends qvm with a configuration error naming vdev. */
static inline void hostdev_set(struct hostdev *h, const char *vdev, const char *arg)
{
	const char *path = arg;
	int fd;

	if (strcmp(arg, "-") == 0) {
		hostdev_close(h);
		hostdev_default(h);
		return;
	}
	if (arg[0] == '<')
		qvm_fatal(QLS_CNF, "%s: hostdev '%s': input devices are not supported yet", vdev, arg);
	if (arg[0] == '>')
		path++;
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0)
		qvm_fatal(QLS_CNF, "%s: hostdev '%s': %s", vdev, arg, strerror(errno));
	/* A repeated hostdev replaces the earlier one instead of leaking it. */
	hostdev_close(h);
	h->fd = fd;
	h->owned = true;
	h->stuck = false;
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
