/* qvm's logger: where each severity goes (`logger` and a vdev's `log`). */
#ifndef QVM_LOG_IMPL_H
#define QVM_LOG_IMPL_H

#include <stdarg.h>
#include <stdbool.h>

#include "qerr.h"

enum log_dest { LOG_NONE, LOG_STDOUT, LOG_STDERR, LOG_SLOG, LOG_INHERIT = 0xff };

#define LOG_SEVERITIES 7

struct qvm_logger {
	unsigned char dest[LOG_SEVERITIES];	/* enum log_dest per QLL_*; a vdev's may INHERIT */
};

struct qvm_vm;

/* Does any severity of l go to the system log? */
bool logger_uses_slog(const struct qvm_logger *l);

/* The default: fatal,internal,error,warn,info to stderr; debug, verbose off. */
void logger_init_default(struct qvm_logger *l);

/*
 * Apply `FILTER[,FILTER...] DEST` to l. Returns 0, or -EINVAL with a message
 * naming the bad filter or destination.
 */
int logger_parse(struct qvm_logger *l, const char *filters, const char *dest, struct qerr *e);

/* Write one log line for vm (prefix may be NULL, e.g. a vdev's name). */
void log_vwrite(struct qvm_vm *vm, const struct qvm_logger *l, unsigned level,
		const char *prefix, const char *fmt, va_list ap);

/*
 * src[0..len) into dst (cap > 0 bytes, always terminated) as one line of
 * plain text: newline, tab and carriage return as \n, \t, \r, every other
 * control or non-ASCII byte as \xNN, cut where dst is full. Every message
 * qvm writes passes through here, so no input (a token, a file name, a
 * vdev's message) can split a line, forge one or send terminal escapes.
 * Returns the length written.
 */
size_t log_escape(char *dst, size_t cap, const char *src, size_t len);

/* One line on stderr: formatted, escaped, in one write. */
void log_stderr(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * While on, qvm_report keeps its lines in vm->report (at most REPORT_MAX
 * bytes; turning it on empties it) instead of logging them: a SIGUSR2
 * dump puts them in the core file.
 */
#define REPORT_MAX	(64u << 10)
void report_capture(struct qvm_vm *vm, bool on);

/* qvm's own log lines. */
void vm_log(struct qvm_vm *vm, unsigned level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
