/*
 * qvm's log and the guest's console in one place (a terminal, a pipe, a
 * file that stdout and stderr both are): a log line never starts in the
 * middle of a guest's line. While the console's last byte is not a
 * newline, log lines wait, and go out right after the guest's next
 * newline, or after CONSOLE_HOLD_MS on a line of their own.
 */
#ifndef QVM_CONSOLE_H
#define QVM_CONSOLE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONSOLE_HOLD_MS		200
#define CONSOLE_HOLD_MAX	16384	/* bytes of log held; past it they go out at once */

struct console {
	pthread_mutex_t lock;
	pthread_cond_t cond;		/* held lines, or the end */
	bool shared;			/* stdout and stderr are the same file */
	bool mid_line;			/* the guest's last byte on stdout was not a newline */
	bool closing;			/* qvm is ending: nothing is held any more */
	char *held;
	size_t held_len;
	uint64_t held_since_ms;
	pthread_t flusher;
	bool flusher_started;
};

struct qvm_vm;

/* At VM creation: is stdout the same file as stderr? */
void console_init(struct console *c);
/*
 * The guest's console output, len bytes for fd (what a cdev writes): when
 * fd is stdout and shares it with the log, written here with the log lines
 * that waited for its newline; else nothing (false: the caller writes).
 * write_fn does the writing (the cdev's waits for a full output).
 */
bool console_write(struct console *c, int fd, const uint8_t *data, size_t len,
		void (*write_fn)(void *ctx, const uint8_t *data, size_t len), void *ctx);
/* A finished log line for stderr: written now, or held (true: the caller is done). */
bool console_log(struct console *c, const char *line, size_t len);
/* qvm is ending: held lines out (after a newline if the guest's line is open), no holding from now on. */
void console_close(struct console *c);
void console_destroy(struct console *c);

#endif
