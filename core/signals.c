#include "signals.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <qvm/vdev-core.h>

#include "dump.h"
#include "sandbox.h"
#include "vcpu.h"
#include "vdev_impl.h"
#include "vm.h"

#define EARLY_STOP_WAIT	2	/* s the main thread gets to notice a stop during startup */

/*
 * Signals are process-wide, so their thread is too: it serves the one VM
 * that main runs.
 */
static struct {
	pthread_t thread;
	bool started;
	struct qvm_vm *vm;
	_Atomic int early_stop;		/* exit code asked for before the guest started */
	_Atomic bool quit;
	_Atomic bool muted;
	_Atomic pid_t tid;		/* for the sandbox's SIGSYS handler */
	/* A job main hands over (signals_run) */
	pthread_mutex_t job_lock;
	pthread_cond_t job_cond;
	int (*job)(void *);
	void *job_arg;
	int job_result;
	bool job_done;
	_Atomic bool dump_asked;	/* guest_write_core_file() */
	_Atomic bool sandbox_stop;	/* a thread made a forbidden system call */
} sig = { .job_lock = PTHREAD_MUTEX_INITIALIZER, .job_cond = PTHREAD_COND_INITIALIZER };

void signals_mute(void)
{
	atomic_store(&sig.muted, true);
}

static int wake_signal(void)
{
	return SIGRTMIN + 1;
}

static void waited_set(sigset_t *s)
{
	sigemptyset(s);
	sigaddset(s, SIGTERM);
	sigaddset(s, SIGINT);
	sigaddset(s, SIGQUIT);
	sigaddset(s, SIGUSR1);
	sigaddset(s, SIGUSR2);
	sigaddset(s, wake_signal());
}

void signals_block(void)
{
	sigset_t s;
	waited_set(&s);
	pthread_sigmask(SIG_BLOCK, &s, NULL);
}

/*
 * A stop asked for before the guest started. The signal thread may not have
 * taken a signal yet (one pending since exec, or on a busy host): one still
 * pending counts too, and it gets a moment to take it and say so.
 */
int signals_stop_pending(void)
{
	sigset_t p;

	if (!atomic_load(&sig.early_stop) && sigpending(&p) == 0 &&
			(sigismember(&p, SIGTERM) == 1 || sigismember(&p, SIGINT) == 1 ||
			 sigismember(&p, SIGQUIT) == 1)) {
		for (int i = 0; i < 200 && !atomic_load(&sig.early_stop); i++) {
			struct timespec ts = { 0, 1000000 };
			nanosleep(&ts, NULL);
		}
		if (!atomic_load(&sig.early_stop))
			return QVM_EXIT_POWER_CUT;
	}
	return atomic_load(&sig.early_stop);
}

/* Deliver ctrl to every vdev from this thread (the running phase is multi-threaded). */
static void tell_vdevs(struct qvm_vm *vm, unsigned ctrl)
{
	for (struct qvm_vdev *d = vm->vdevs; d; d = d->next)
		vdev_control(d, ctrl, NULL);
}

static void status(struct qvm_vm *vm)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	uint64_t up = ((uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec - vm->t0_ns) / 1000000u;
	unsigned nvdevs = 0;

	for (struct qvm_vdev *d = vm->vdevs; d; d = d->next)
		nvdevs++;
	vm_log(vm, QL_QVM_INFO, "status: %s, %u vcpus, %u vdevs, up %llu.%03llu s",
			vm->system[0] ? vm->system : "unnamed system", vm->ncpus, nvdevs,
			(unsigned long long)(up / 1000), (unsigned long long)(up % 1000));
	vcpus_report_billed(vm);
	for (struct qvm_vdev *d = vm->vdevs; d; d = d->next)
		if (!d->no_status)	/* `set debug off` */
			vdev_control(d, VDEV_CTRL_STATUS, NULL);
}

/* Run main's job, if there is one, and say it is done. */
static void run_job(void)
{
	pthread_mutex_lock(&sig.job_lock);
	if (sig.job && !sig.job_done) {
		sig.job_result = sig.job(sig.job_arg);
		sig.job_done = true;
		pthread_cond_broadcast(&sig.job_cond);
	}
	pthread_mutex_unlock(&sig.job_lock);
}

/* A stop before the guest runs: main stops at its next step, or we do after a while. */
static void early_stop(struct qvm_vm *vm, int signo)
{
	atomic_store(&sig.early_stop, QVM_EXIT_POWER_CUT);	/* first: main may be looking */
	vm_log(vm, QL_QVM_INFO, "%s before the guest started: stopping", strsignal(signo));
	for (int i = 0; i < EARLY_STOP_WAIT * 10 && !atomic_load(&sig.quit); i++) {
		struct timespec ts = { 0, 100000000 };
		nanosleep(&ts, NULL);
		run_job();	/* main may be waiting for one on its way to the stop */
		if (vm_phase(vm) == QVM_PHASE_STARTED) {
			/* vm_run may have looked just before we said so: say it again */
			term_request(vm, QVM_EXIT_POWER_CUT);
			return;
		}
	}
	if (!atomic_load(&sig.quit)) {
		vm_log(vm, QL_QVM_ERR, "startup did not stop within %d s: exiting", EARLY_STOP_WAIT);
		term_exit_bare(QVM_EXIT_POWER_CUT);
	}
}

int signals_ask_dump(void)
{
	if (!sig.started)
		return EAGAIN;
	atomic_store(&sig.dump_asked, true);
	pthread_kill(sig.thread, wake_signal());
	return EOK;
}

int signals_run(int (*fn)(void *), void *arg)
{
	if (!sig.started)
		return 0;
	pthread_mutex_lock(&sig.job_lock);
	sig.job = fn;
	sig.job_arg = arg;
	sig.job_done = false;
	pthread_mutex_unlock(&sig.job_lock);
	pthread_kill(sig.thread, wake_signal());
	pthread_mutex_lock(&sig.job_lock);
	while (!sig.job_done)
		pthread_cond_wait(&sig.job_cond, &sig.job_lock);
	sig.job = NULL;
	int r = sig.job_result;
	pthread_mutex_unlock(&sig.job_lock);
	return r;
}

bool signals_running(void)
{
	return sig.started;
}

bool signals_sandbox_stop(void)
{
	pid_t tid = atomic_load(&sig.tid);

	if (!tid || tid == (pid_t)syscall(SYS_gettid))
		return false;
	atomic_store(&sig.sandbox_stop, true);
	return syscall(SYS_tgkill, getpid(), tid, wake_signal()) == 0;
}

static void *signal_thread(void *arg)
{
	struct qvm_vm *vm = arg;
	bool button = false;
	struct timespec deadline = { 0, 0 };
	sigset_t set;

	vm_set_current(vm);
	atomic_store(&sig.tid, (pid_t)syscall(SYS_gettid));
	waited_set(&set);
	while (!atomic_load(&sig.quit)) {
		siginfo_t si;
		int signo;

		if (button) {
			struct timespec now, left;
			clock_gettime(CLOCK_MONOTONIC, &now);
			left.tv_sec = deadline.tv_sec - now.tv_sec;
			left.tv_nsec = deadline.tv_nsec - now.tv_nsec;
			if (left.tv_nsec < 0) {
				left.tv_sec--;
				left.tv_nsec += 1000000000L;
			}
			signo = left.tv_sec < 0 ? -1 : sigtimedwait(&set, &si, &left);
			if (signo < 0 && (left.tv_sec < 0 || errno == EAGAIN)) {
				vm_log(vm, QL_QVM_WARN, "the guest did not power off within %u s of the "
						"power button: power cut", vm->button_timeout);
				term_request(vm, QVM_EXIT_POWER_CUT);
				button = false;
				continue;
			}
		} else {
			signo = sigwaitinfo(&set, &si);
		}
		if (atomic_load(&sig.sandbox_stop)) {
			sandbox_stop(vm);	/* does not return */
		}
		if (signo == wake_signal())
			run_job();
		if (signo == wake_signal() && atomic_exchange(&sig.dump_asked, false) &&
				!atomic_load(&sig.muted))
			vm_dump(vm, "guest_write_core_file()");
		if (signo < 0 || signo == wake_signal() || atomic_load(&sig.muted))
			continue;

		bool started = vm_phase(vm) == QVM_PHASE_STARTED;
		switch (signo) {
		case SIGTERM:
		case SIGINT:
			if (!started) {
				early_stop(vm, signo);
			} else if (button) {
				vm_log(vm, QL_QVM_WARN, "%s again: power cut", strsignal(signo));
				term_request(vm, QVM_EXIT_POWER_CUT);
			} else {
				vm_log(vm, QL_QVM_INFO, "%s: pressing the power button (power cut in %u s)",
						strsignal(signo), vm->button_timeout);
				button = true;
				clock_gettime(CLOCK_MONOTONIC, &deadline);
				deadline.tv_sec += vm->button_timeout;
				tell_vdevs(vm, VDEV_CTRL_BUTTON);
				arch_power_button(vm);
			}
			break;
		case SIGQUIT:
			if (!started) {
				early_stop(vm, signo);
				break;
			}
			vm_log(vm, QL_QVM_INFO, "SIGQUIT: power cut");
			term_request(vm, QVM_EXIT_POWER_CUT);
			break;
		case SIGUSR1:
			if (started)
				status(vm);
			else
				vm_log(vm, QL_QVM_INFO, "SIGUSR1 before the guest started: ignored");
			break;
		case SIGUSR2:
			if (started)
				vm_dump_with_status(vm, "SIGUSR2");
			else
				vm_log(vm, QL_QVM_INFO, "SIGUSR2 before the guest started: ignored");
			break;
		}
	}
	return NULL;
}

int signals_start(struct qvm_vm *vm)
{
	sig.vm = vm;
	int r = pthread_create(&sig.thread, NULL, signal_thread, vm);
	if (r)
		return -r;
	pthread_setname_np(sig.thread, "signals");
	sig.started = true;
	return 0;
}

void signals_stop(void)
{
	if (!sig.started)
		return;
	atomic_store(&sig.quit, true);
	pthread_kill(sig.thread, wake_signal());
	pthread_join(sig.thread, NULL);
	atomic_store(&sig.tid, 0);
	sig.started = false;
}
