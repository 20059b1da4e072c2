#include "qerr.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int qerr_set(struct qerr *e, int err, const char *fmt, ...)
{
	if (e) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
		va_end(ap);
	}
	return err;
}

void qerr_prefix(struct qerr *e, const char *fmt, ...)
{
	char pre[256];
	size_t pl, ol, max = sizeof(e->msg) - 1;
	va_list ap;

	if (!e)
		return;
	va_start(ap, fmt);
	vsnprintf(pre, sizeof(pre), fmt, ap);
	va_end(ap);
	pl = strlen(pre);
	ol = strnlen(e->msg, max);
	if (pl + ol > max)
		ol = max - pl;
	memmove(e->msg + pl, e->msg, ol);
	memcpy(e->msg, pre, pl);
	e->msg[pl + ol] = '\0';
}
