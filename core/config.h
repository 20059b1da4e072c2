/*
 * Processing the configuration token stream (see docs/configuration.md):
 * options act on the VM in order; `vdev` and `cpu` open a context that the
 * following options apply to, until the next context-opening option.
 */
#ifndef QVM_CONFIG_H
#define QVM_CONFIG_H

#include "qerr.h"
#include "token.h"

struct qvm_vm;

/*
 * Apply every token of t to vm. On error e->msg is one line
 * "FILE:LINE: message" and the return value is a negative errno.
 * vdev callbacks may end the process themselves (qvm_fatal).
 */
int config_run(struct qvm_vm *vm, const struct qvm_tokens *t, struct qerr *e);

#endif
