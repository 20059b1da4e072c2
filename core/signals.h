/*
 * qvm's signals, handled on a thread of their own (core/signals.c):
 *   SIGTERM, SIGINT  the power button: VDEV_CTRL_BUTTON to every vdev; a guest
 *                    still running after `set power-button-timeout` seconds
 *                    (default 10), or a second SIGTERM/SIGINT, is a power cut
 *   SIGQUIT          power cut: exit 3
 *   SIGUSR1          VDEV_CTRL_STATUS to every vdev, and qvm's own status line
 *   SIGUSR2          a core dump (the `dump` option)
 * Before the guest started there is nothing to press: TERM, INT and QUIT
 * stop qvm (exit 3) and USR1/USR2 are ignored.
 */
#ifndef QVM_SIGNALS_H
#define QVM_SIGNALS_H

#include <stdbool.h>

struct qvm_vm;

/* Block the signals in the calling thread; call before any other thread exists. */
void signals_block(void);
/* Start the signal thread for vm. 0 or a negative errno. */
int signals_start(struct qvm_vm *vm);
void signals_stop(void);
/* From now on the signal thread ignores signals: the shutdown has begun. */
void signals_mute(void);
/* A stop asked for before the guest started: the exit code, or 0 if none. */
int signals_stop_pending(void);
/* Is the signal thread there? */
bool signals_running(void);
/* Run fn(arg) on the signal thread and return what it returns (0 if there is no such thread). */
int signals_run(int (*fn)(void *), void *arg);
/* Have the signal thread write a core dump soon, without waiting for it: EOK, or EAGAIN. */
int signals_ask_dump(void);
/*
 * From the sandbox's SIGSYS handler (async-signal-safe): have the signal
 * thread end qvm. false if it cannot (none, or it is the caller).
 */
bool signals_sandbox_stop(void);

#endif
