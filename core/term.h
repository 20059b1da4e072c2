/*
 * Termination: the exit codes (docs/configuration.md, "Exit codes"), the code each cause
 * of an end gets, the one shutdown, and the only calls that end the
 * process. Nothing else in qvm names an exit code by its number.
 */
#ifndef QVM_TERM_H
#define QVM_TERM_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include <qvm/guest.h>

struct qvm_vm;
struct qvm_vdev;

enum qvm_exit_code {
	QVM_EXIT_NORMAL = GTC_NORMAL_EXIT,	/* 0 */
	QVM_EXIT_POWER_CUT = GTC_POWER_CUT,	/* 3: SIGQUIT, or no answer to the button */
	QVM_EXIT_WATCHDOG = GTC_WATCHDOG,	/* 4 */
	QVM_EXIT_UNSUPPORTED = GTC_UNSUPPORTED,	/* 5 */
	QVM_EXIT_VDEV_ERROR = GTC_VDEV_ERROR,	/* 6 */
	QVM_EXIT_UNEXPECTED = GTC_UNEXPECTED,	/* 7 */
	QVM_EXIT_CUSTOM_MIN = GTC_CUSTOM_MIN,	/* 32..63: guest_terminate's own causes */
	QVM_EXIT_CUSTOM_MAX = GTC_MAX,
	QVM_EXIT_FATAL = 64,			/* fatal error before the guest started */
	QVM_EXIT_CONFIG = 65,			/* fatal configuration error */
	QVM_EXIT_FATAL_RUNNING = 96,		/* fatal error after the guest started */
};

/* A VM's end: requested once (the first code wins), run by one thread. */
struct qvm_term {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool requested;
	int code;
	_Atomic bool claimed;		/* a thread runs the shutdown (term_claim) */
	struct qvm_vdev *fatal_vdev;	/* called qvm_fatal while running: no TERMINATE */
};

void term_init(struct qvm_term *t);
void term_destroy(struct qvm_term *t);

/* ---- the code for each cause ---- */

/* A fatal error of qvm or a vdev: 64 before the guest started, 96 after. */
int term_code_fatal(struct qvm_vm *vm);
/* qvm_fatal(source, ...) before the guest started: 65 for QLS_CNF, else 64. */
int term_code_qvm_fatal(unsigned source);
/* guest_terminate(cause): the cause itself if it is a documented one, else -1. */
int term_code_guest(int cause);

/* ---- ending ---- */

/* Ask the VM to end with code (the first request wins) and stop every vCPU. Any thread. */
void term_request(struct qvm_vm *vm, int code);
bool term_requested(struct qvm_vm *vm);
/* The code asked for; meaningful once term_requested(). */
int term_code(struct qvm_vm *vm);
/* Wait up to ms (0: for ever) for an end to be requested; true if it was. */
bool term_wait(struct qvm_vm *vm, unsigned ms);

/* The shutdown is run by one thread: true for the first caller. */
bool term_claim(struct qvm_vm *vm);
/* TERMINATE to every vdev that has not had it (once each), timers stopped first. */
void term_vdevs(struct qvm_vm *vm);

/*
 * The end of a run or a dryrun, on the main thread: vCPUs stopped and
 * TERMINATE delivered; returns the exit code for main to return. If a
 * vdev's thread already owns the shutdown, waits for it to end qvm.
 */
int term_shutdown(struct qvm_vm *vm);

/*
 * End the process now with code: vCPUs (but the caller's) stopped,
 * TERMINATE to every vdev but the one that called qvm_fatal. If another
 * thread owns the shutdown, ask it for code and wait.
 */
__attribute__((noreturn)) void term_exit_now(struct qvm_vm *vm, int code);
/* term_exit_now's shutdown, for a caller that has claimed it (term_claim). */
__attribute__((noreturn)) void term_exit_claimed(struct qvm_vm *vm, int code);
/* The same from the thread of the vdev running now, which gets no TERMINATE. */
__attribute__((noreturn)) void term_exit_from_vdev(struct qvm_vm *vm, int code);
/* End at once with no shutdown: there is no VM, or its main thread is stuck. */
__attribute__((noreturn)) void term_exit_bare(int code);
/* The same from a signal handler: nothing flushed. */
__attribute__((noreturn)) void term_exit_signal_safe(int code);

#endif
