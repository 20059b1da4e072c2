/* Termination (see term.h): exit codes, the one shutdown, the only _exit. */
#include "term.h"

#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include <qvm/log.h>

#include "signals.h"
#include "timer.h"
#include "vcpu.h"
#include "vdev_impl.h"

void term_init(struct qvm_term *t)
{
	pthread_mutex_init(&t->lock, NULL);
	pthread_cond_init(&t->cond, NULL);
}

void term_destroy(struct qvm_term *t)
{
	pthread_cond_destroy(&t->cond);
	pthread_mutex_destroy(&t->lock);
}

int term_code_fatal(struct qvm_vm *vm)
{
	return vm_phase(vm) == QVM_PHASE_STARTED ? QVM_EXIT_FATAL_RUNNING : QVM_EXIT_FATAL;
}

int term_code_qvm_fatal(unsigned source)
{
	return (source & QLS_MASK) == QLS_CNF ? QVM_EXIT_CONFIG : QVM_EXIT_FATAL;
}

int term_code_guest(int cause)
{
	if (cause == QVM_EXIT_NORMAL || (cause >= QVM_EXIT_POWER_CUT && cause <= QVM_EXIT_UNEXPECTED) ||
			(cause >= QVM_EXIT_CUSTOM_MIN && cause <= QVM_EXIT_CUSTOM_MAX))
		return cause;
	return -1;
}

void term_request(struct qvm_vm *vm, int code)
{
	struct qvm_term *t = &vm->term;

	pthread_mutex_lock(&t->lock);
	if (!t->requested) {
		t->requested = true;
		t->code = code;
		pthread_cond_broadcast(&t->cond);
	}
	pthread_mutex_unlock(&t->lock);
	/* The guest ends now: no vCPU goes back into it, not even the one asking. */
	vcpus_request_stop(vm);
}

bool term_requested(struct qvm_vm *vm)
{
	pthread_mutex_lock(&vm->term.lock);
	bool r = vm->term.requested;
	pthread_mutex_unlock(&vm->term.lock);
	return r;
}

int term_code(struct qvm_vm *vm)
{
	pthread_mutex_lock(&vm->term.lock);
	int code = vm->term.code;
	pthread_mutex_unlock(&vm->term.lock);
	return code;
}

bool term_wait(struct qvm_vm *vm, unsigned ms)
{
	struct qvm_term *t = &vm->term;
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&t->lock);
	while (!t->requested) {
		if (!ms)
			pthread_cond_wait(&t->cond, &t->lock);
		else if (pthread_cond_timedwait(&t->cond, &t->lock, &ts))
			break;
	}
	bool r = t->requested;
	pthread_mutex_unlock(&t->lock);
	return r;
}

bool term_claim(struct qvm_vm *vm)
{
	return !atomic_exchange(&vm->term.claimed, true);
}

void term_vdevs(struct qvm_vm *vm)
{
	timers_stop(vm);	/* no timer callback races with TERMINATE */
	for (struct qvm_vdev *d = vm->vdevs; d; d = d->next) {
		if (d == vm->term.fatal_vdev || atomic_exchange(&d->terminated, true))
			continue;
		vdev_control(d, VDEV_CTRL_TERMINATE, NULL);
	}
	vdev_paths_remove(vm);	/* after TERMINATE: a vdev may close what it kept there */
	console_close(&vm->console);	/* log lines that waited for the guest's line: out now */
}

int term_shutdown(struct qvm_vm *vm)
{
	signals_mute();	/* no BUTTON, STATUS or dump once the end has begun */
	if (!term_claim(vm))
		for (;;)
			pause();	/* a vdev's qvm_fatal is ending qvm from its thread */
	power_stop(vm);
	vcpus_stop(vm);
	vcpus_report_billed(vm);
	term_vdevs(vm);
	fflush(stdout);
	return term_requested(vm) ? term_code(vm) : QVM_EXIT_NORMAL;
}

void term_exit_now(struct qvm_vm *vm, int code)
{
	signals_mute();
	if (!term_claim(vm)) {
		term_request(vm, code);	/* another thread is ending qvm */
		for (;;)
			pause();
	}
	term_exit_claimed(vm, code);
}

void term_exit_claimed(struct qvm_vm *vm, int code)
{
	signals_mute();
	fflush(stdout);
	power_stop(vm);
	vcpus_stop(vm);		/* all but this thread; none before the guest started */
	vcpus_report_billed(vm);
	term_vdevs(vm);
	term_exit_bare(code);
}

void term_exit_from_vdev(struct qvm_vm *vm, int code)
{
	/* That thread may be inside its vdev's vread holding v_mtx: no TERMINATE for it. */
	vm->term.fatal_vdev = vdev_running;
	term_exit_now(vm, code);
}

void term_exit_signal_safe(int code)
{
	_exit(code);
}

void term_exit_bare(int code)
{
	fflush(stdout);
	fflush(stderr);
	_exit(code);
}
