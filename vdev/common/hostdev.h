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
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include <qvm/log.h>

struct hostdev {
	int fd;			/* where output goes, -1 = nowhere */
	bool owned;		/* fd was opened here: close it */
};

static inline void hostdev_default(struct hostdev *h)
{
	h->fd = STDOUT_FILENO;
	h->owned = false;
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
}

static inline void hostdev_put(struct hostdev *h, uint8_t c)
{
	ssize_t n;

	if (h->fd < 0)
		return;
	do
		n = write(h->fd, &c, 1);
	while (n < 0 && errno == EINTR);
	/*
	 * Other failures (EAGAIN on a non-blocking terminal, EPIPE, a full
	 * disk) lose the byte: a real UART drops characters too, and the
	 * guest has no way to be told.
	 */
}

#endif
