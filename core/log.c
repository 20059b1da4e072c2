/* The logger: `logger` routing, line formatting, and the log.h API. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <qvm/log.h>

#include "vm.h"

static const char *const sev_name[LOG_SEVERITIES] = {
	"fatal", "internal", "error", "warn", "info", "debug", "verbose",
};

void logger_init_default(struct qvm_logger *l)
{
	for (unsigned i = 0; i < LOG_SEVERITIES; i++)
		l->dest[i] = i <= QLL_INFO ? LOG_STDERR : LOG_NONE;
}

bool logger_uses_slog(const struct qvm_logger *l)
{
	for (int i = 0; i < LOG_SEVERITIES; i++)
		if (l->dest[i] == LOG_SLOG)
			return true;
	return false;
}

int logger_parse(struct qvm_logger *l, const char *filters, const char *dest, struct qerr *e)
{
	static const char *const dest_name[] = { "none", "stdout", "stderr", "slog" };
	int d = -1;
	bool sel[LOG_SEVERITIES] = { false };

	for (int i = 0; i < 4; i++)
		if (strcmp(dest, dest_name[i]) == 0)
			d = i;
	if (d < 0)
		return qerr_set(e, -EINVAL, "unknown logger destination '%s' "
				"(stdout, stderr, slog or none)", dest);
	for (const char *p = filters; *p;) {
		size_t n = strcspn(p, ",");
		int found = -1;
		for (int i = 0; i < LOG_SEVERITIES; i++)
			if (strlen(sev_name[i]) == n && strncmp(p, sev_name[i], n) == 0)
				found = i;
		/* the vendor's common-options page spells it `warning` */
		if (n == 7 && strncmp(p, "warning", 7) == 0)
			found = QLL_WARN;
		if (found < 0)
			return qerr_set(e, -EINVAL, "unknown logger filter '%.*s' (fatal, internal, "
					"error, warn (or warning), info, debug, verbose)", (int)n, p);
		sel[found] = true;
		p += n;
		if (*p == ',')
			p++;
	}
	for (int i = 0; i < LOG_SEVERITIES; i++)
		if (sel[i])
			l->dest[i] = (unsigned char)d;
	return 0;
}

size_t log_escape(char *dst, size_t cap, const char *src, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)src[i];
		char esc[4];
		size_t k = 0;
		if (c >= 0x20 && c < 0x7f) {
			esc[k++] = (char)c;
		} else if (c == '\n' || c == '\t' || c == '\r') {
			esc[k++] = '\\';
			esc[k++] = c == '\n' ? 'n' : c == '\t' ? 't' : 'r';
		} else {
			esc[k++] = '\\';
			esc[k++] = 'x';
			esc[k++] = hex[c >> 4];
			esc[k++] = hex[c & 15];
		}
		if (n + k >= cap)
			break;
		memcpy(dst + n, esc, k);
		n += k;
	}
	dst[n] = '\0';
	return n;
}

/* raw (n bytes as snprintf counted them, maybe more than fit) as one escaped line ending in \n. */
static size_t finish_line(char *line, size_t cap, const char *raw, size_t raw_cap, int n)
{
	size_t len = (size_t)n < raw_cap ? (size_t)n : raw_cap - 1;

	len = log_escape(line, cap - 1, raw, len);
	line[len++] = '\n';
	return len;
}

static void write_line(int fd, const char *line, size_t n)
{
	ssize_t w;

	/* One write per line: lines from several threads never interleave. */
	do
		w = write(fd, line, n);
	while (w < 0 && errno == EINTR);
}

void log_stderr(const char *fmt, ...)
{
	char raw[1024], line[1024];
	va_list ap;

	va_start(ap, fmt);
	int n = vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	write_line(2, line, finish_line(line, sizeof(line), raw, sizeof(raw), n));
}

void log_vwrite(struct qvm_vm *vm, const struct qvm_logger *l, unsigned level,
		const char *prefix, const char *fmt, va_list ap)
{
	unsigned sev = level & QLL_MASK;
	char raw[1024], line[1024];
	int n = 0;

	if (sev >= LOG_SEVERITIES)
		sev = QLL_VERBOSE;
	if (!l && vm)
		l = &vm->log;
	unsigned dest = l ? l->dest[sev] : (sev <= QLL_INFO ? LOG_STDERR : LOG_NONE);
	if (dest == LOG_INHERIT)	/* a vdev's `log` did not name this severity */
		dest = vm ? vm->log.dest[sev] : LOG_STDERR;
	if (dest == LOG_NONE)
		return;

	if (vm && vm->system[0])
		n = snprintf(raw, sizeof(raw), "qvm[%s]: ", vm->system);
	else
		n = snprintf(raw, sizeof(raw), "qvm: ");
	if (sev != QLL_INFO)
		n += snprintf(raw + n, sizeof(raw) - (size_t)n, "%s: ",
				sev == QLL_WARN ? "warning" : sev_name[sev]);
	if (prefix)
		n += snprintf(raw + n, sizeof(raw) - (size_t)n, "%s: ", prefix);
	if (n < (int)sizeof(raw))
		n += vsnprintf(raw + n, sizeof(raw) - (size_t)n, fmt, ap);
	if (n < 0)
		return;
	n = (int)finish_line(line, sizeof(line), raw, sizeof(raw), n);

	if (dest == LOG_SLOG) {
		static const int prio[LOG_SEVERITIES] = {
			LOG_CRIT, LOG_CRIT, LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG, LOG_DEBUG,
		};
		syslog(prio[sev], "%.*s", n - 1, line);
		return;
	}
	if (dest == LOG_STDOUT)
		fflush(stdout);
	/* with the guest's console in the same place, never in the middle of its line */
	if (dest == LOG_STDERR && vm && console_log(&vm->console, line, (size_t)n))
		return;
	write_line(dest == LOG_STDOUT ? 1 : 2, line, (size_t)n);
}

void vm_log(struct qvm_vm *vm, unsigned level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vwrite(vm, NULL, level, NULL, fmt, ap);
	va_end(ap);
}

void vdev_logf(unsigned level, const vdev_t *vdp, const char *fmt, ...)
{
	struct qvm_vdev *d = vdp ? vdev_of(vdp) : NULL;
	va_list ap;

	va_start(ap, fmt);
	if (d)
		log_vwrite(d->vm, d->has_log ? &d->log : NULL, level, d->name, fmt, ap);
	else
		log_vwrite(vm_current(), NULL, level, NULL, fmt, ap);
	va_end(ap);
}

void qvm_logf(unsigned level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vwrite(vm_current(), NULL, level, NULL, fmt, ap);
	va_end(ap);
}

void qvm_voutf(unsigned attr, const char *fmt, va_list ap)
{
	log_vwrite(vm_current(), NULL, attr, NULL, fmt, ap);
}

void qvm_outf(unsigned attr, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	qvm_voutf(attr, fmt, ap);
	va_end(ap);
}

void qvm_report(const char *fmt, ...)
{
	struct qvm_vm *vm = vm_current();
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0 || !vm)
		return;
	if (n >= (int)sizeof(line))
		n = (int)sizeof(line) - 1;
	/* a SIGUSR2 dump is collecting the status: the line goes into the core file */
	pthread_mutex_lock(&vm->report_lock);
	bool captured = vm->report_capture;
	if (captured && vm->report_len + (size_t)n + 1 <= REPORT_MAX) {
		char *p = realloc(vm->report, vm->report_len + (size_t)n + 2);
		if (p) {
			vm->report = p;
			memcpy(p + vm->report_len, line, (size_t)n);
			vm->report_len += (size_t)n;
			p[vm->report_len++] = '\n';
			p[vm->report_len] = '\0';
		}
	}
	pthread_mutex_unlock(&vm->report_lock);
	if (!captured)
		vm_log(vm, QL_QVM_INFO, "status: %.*s", n, line);
}

void report_capture(struct qvm_vm *vm, bool on)
{
	pthread_mutex_lock(&vm->report_lock);
	vm->report_capture = on;
	if (on) {
		free(vm->report);
		vm->report = NULL;
		vm->report_len = 0;
	}
	pthread_mutex_unlock(&vm->report_lock);
}
