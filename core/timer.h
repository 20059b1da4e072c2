/* vdev timers: the VM's timer thread (core/timer.c). */
#ifndef QVM_TIMER_H
#define QVM_TIMER_H

#include "qerr.h"

struct qvm_vm;

void timers_init(struct qvm_vm *vm);
/* Start the timer thread (before GUEST_CONFIGURED: vdevs may arm timers there). */
int timers_start(struct qvm_vm *vm, struct qerr *e);
/* Stop it; no callback runs after this returns (a no-op on the timer thread itself). */
void timers_stop(struct qvm_vm *vm);
void timers_destroy(struct qvm_vm *vm);

#endif
