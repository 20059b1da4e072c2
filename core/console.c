/* Log lines that wait for the guest's console line to end (see console.h). */
#include "console.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void out(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

void console_init(struct console *c)
{
	struct stat o, e;

	memset(c, 0, sizeof(*c));
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->cond, NULL);
	c->shared = fstat(1, &o) == 0 && fstat(2, &e) == 0 && o.st_dev == e.st_dev &&
		o.st_ino == e.st_ino;
}

/* The held lines to stderr (lock held); after a newline when the guest's line is open. */
static void release(struct console *c, bool newline)
{
	if (!c->held_len)
		return;
	if (newline && c->mid_line) {
		out(2, "\n", 1);
		c->mid_line = false;
	}
	out(2, c->held, c->held_len);
	c->held_len = 0;
}

static void *flusher(void *arg)
{
	struct console *c = arg;

	pthread_mutex_lock(&c->lock);
	while (!c->closing) {
		if (!c->held_len) {
			pthread_cond_wait(&c->cond, &c->lock);
			continue;
		}
		uint64_t due = c->held_since_ms + CONSOLE_HOLD_MS, t = now_ms();
		if (t >= due) {
			release(c, true);	/* the guest's line did not end in time */
			continue;
		}
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		uint64_t ns = (uint64_t)until.tv_nsec + (due - t) * 1000000;
		until.tv_sec += (time_t)(ns / 1000000000);
		until.tv_nsec = (long)(ns % 1000000000);
		pthread_cond_timedwait(&c->cond, &c->lock, &until);
	}
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

bool console_write(struct console *c, int fd, const uint8_t *data, size_t len,
		void (*write_fn)(void *ctx, const uint8_t *data, size_t len), void *ctx)
{
	if (!c || !c->shared || fd != 1 || !len)
		return false;
	pthread_mutex_lock(&c->lock);
	const uint8_t *nl = NULL;
	for (size_t i = len; i-- > 0; )
		if (data[i] == '\n') {
			nl = data + i;
			break;
		}
	if (nl) {	/* up to the last newline, then what waited for it, then the rest */
		size_t head = (size_t)(nl - data) + 1;
		write_fn(ctx, data, head);
		c->mid_line = false;
		release(c, false);
		data += head;
		len -= head;
	}
	if (len) {
		write_fn(ctx, data, len);
		c->mid_line = true;
	}
	pthread_mutex_unlock(&c->lock);
	return true;
}

bool console_log(struct console *c, const char *line, size_t len)
{
	if (!c || !c->shared)
		return false;
	pthread_mutex_lock(&c->lock);
	if (!c->mid_line || c->closing || c->held_len + len > CONSOLE_HOLD_MAX) {
		release(c, true);
		if (c->mid_line) {	/* on a line of its own */
			out(2, "\n", 1);
			c->mid_line = false;
		}
		out(2, line, len);
		pthread_mutex_unlock(&c->lock);
		return true;
	}
	if (!c->held) {
		c->held = malloc(CONSOLE_HOLD_MAX);
		if (!c->held) {
			pthread_mutex_unlock(&c->lock);
			return false;	/* the caller writes it as it is */
		}
	}
	if (!c->held_len)
		c->held_since_ms = now_ms();
	memcpy(c->held + c->held_len, line, len);
	c->held_len += len;
	if (!c->flusher_started)
		c->flusher_started = pthread_create(&c->flusher, NULL, flusher, c) == 0;
	pthread_cond_signal(&c->cond);
	pthread_mutex_unlock(&c->lock);
	return true;
}

void console_close(struct console *c)
{
	if (!c || !c->shared)
		return;
	pthread_mutex_lock(&c->lock);
	c->closing = true;
	release(c, true);
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->lock);
}

void console_destroy(struct console *c)
{
	if (!c)
		return;
	console_close(c);
	if (c->flusher_started) {
		pthread_join(c->flusher, NULL);
		c->flusher_started = false;
	}
	free(c->held);
	c->held = NULL;
}
