/*
 * The system-call sandbox (core/sandbox.c), `set sandbox on|log`: a seccomp
 * filter for every thread of qvm, and a narrower one for vCPU threads.
 * A forbidden call is reported on one line and ends qvm (exit 96, or 64
 * before the guest started); with `log` it is allowed and the kernel logs it.
 */
#ifndef QVM_SANDBOX_H
#define QVM_SANDBOX_H

#include "qerr.h"

struct qvm_vm;
struct guest_cpu;

/* What `set sandbox on|log` cannot go with (vm_check): 0 or -errno with e set. */
int sandbox_check(struct qvm_vm *vm, struct qerr *e);
/* The filter for every thread, synced to all of them. 0 or -errno with e set. */
int sandbox_start(struct qvm_vm *vm, struct qerr *e);
/* A vCPU thread narrows its own filter before it first enters the guest. */
int sandbox_vcpu(struct guest_cpu *cpu);
/* On the signal thread, after a forbidden call was reported: end qvm. */
_Noreturn void sandbox_stop(struct qvm_vm *vm);

#endif
