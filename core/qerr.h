/* An error message for the top level to print, and the -errno that goes with it. */
#ifndef QVM_QERR_H
#define QVM_QERR_H

#include <stddef.h>

struct qerr {
	char msg[512];
};

/* Format e->msg (if e is not NULL) and return err, a negative errno. */
int qerr_set(struct qerr *e, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Put "prefix" in front of the message already in e. */
void qerr_prefix(struct qerr *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
