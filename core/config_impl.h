/*
 * What core/config.c shares with the files that take part of its options
 * (core/setvars.c: the `set` variables).
 */
#ifndef QVM_CONFIG_IMPL_H
#define QVM_CONFIG_IMPL_H

#include <stdbool.h>
#include <stddef.h>

#include "qerr.h"
#include "token.h"

struct cfg {
	struct qvm_vm *vm;
	const struct qvm_tokens *t;
	size_t pos;
	const struct qvm_token *tok;	/* the option being processed */
	struct qvm_vdev *vdev;		/* open vdev context */
	struct qvm_cpu_cfg *cpu;	/* open cpu context */
	bool reserve, pass;		/* open reserve or pass context */
	bool seen_option;
	struct qerr *e;
};

/* Set c->e to "FILE:LINE: message" of token at; returns err. */
int cfg_fail(struct cfg *c, const struct qvm_token *at, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* name relative to the directory of the file it was written in, into out[len]. */
int cfg_resolve(struct cfg *c, const char *name, char *out, size_t len);
/* on/off, 1/0, yes/no, true/false: 0, or -EINVAL. */
int cfg_bool(const char *s, bool *out);

/* `loc` or `intr` of an open reserve or pass context (core/reserve.c). */
int cfg_context_option(struct cfg *c, const char *name);

/* `set VAR VALUE` (core/setvars.c). */
int cfg_set(struct cfg *c);

#endif
