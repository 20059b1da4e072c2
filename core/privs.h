/*
 * Least privilege (core/privs.c): once the VM is built and before the
 * vdevs get GUEST_CONFIGURED, qvm gives up every capability the rest of the
 * run does not need and sets no_new_privs, in every thread it has; with
 * `set sandbox on|log` it also confines its system calls (core/sandbox.c).
 */
#ifndef QVM_PRIVS_H
#define QVM_PRIVS_H

#include <stdbool.h>

#include "qerr.h"

struct qvm_vm;

/* What the configuration says (`set sandbox`). */
enum qvm_sandbox { SANDBOX_OFF, SANDBOX_ON, SANDBOX_LOG };

struct qvm_privs {
	bool enforce;			/* qvm itself sets this; a test's VM keeps its privileges */
	enum qvm_sandbox sandbox;
	bool keep_nice;			/* CAP_SYS_NICE: a `sched` priority asks for it */
	bool has_user;			/* `set user NAME[:GROUP]`: run on as uid:gid */
	unsigned uid, gid;
};

/*
 * Drop what the run does not need, in this thread and in the signal thread:
 * the only threads there may be at this point. 0 or -errno with e set.
 */
int privs_drop(struct qvm_vm *vm, struct qerr *e);
/* `set user NAME[:GROUP]`: look them up now (the lookup may need files). 0 or -errno with e set. */
int privs_set_user(struct qvm_privs *p, const char *spec, struct qerr *e);

#endif
