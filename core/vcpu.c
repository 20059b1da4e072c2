/*
 * vCPU threads. Each runs KVM_RUN in a loop and handles the exit on its own
 * thread. Other threads talk to a vCPU by setting a request bit and
 * kicking it with a signal: the handler sets kvm_run->immediate_exit, so a
 * kick that lands just before KVM_RUN is not lost.
 */
#include "vcpu.h"

#include <errno.h>
#include <inttypes.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <qvm/guest.h>

#include "sandbox.h"

#define HALT_POLL_MS		20
#define HALT_ANSWER_MS		200
#define STOP_JOIN_SECONDS	2

static _Thread_local struct kvm_run *tls_run;
_Thread_local struct guest_cpu *vcpu_self;

static void kick_handler(int sig)
{
	(void)sig;
	if (tls_run)
		tls_run->immediate_exit = 1;
}

static int kick_signal(void)
{
	return SIGRTMIN;
}

int vcpus_create(struct qvm_vm *vm, struct qerr *e)
{
	vm->cpus = calloc(vm->ncpus, sizeof(*vm->cpus));
	if (!vm->cpus)
		return qerr_set(e, -ENOMEM, "out of memory");
	for (unsigned i = 0; i < vm->ncpus; i++)
		vm->cpus[i].fd = -1;
	for (unsigned i = 0; i < vm->ncpus; i++) {
		struct guest_cpu *cpu = &vm->cpus[i];
		cpu->vm = vm;
		cpu->index = i;
		vcpu_init_operands(cpu);
		vcpu_offline(cpu);	/* until its thread runs */
		cpu->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, (unsigned long)i);
		if (cpu->fd < 0)
			return qerr_set(e, -errno, "vcpu %u: KVM_CREATE_VCPU: %s", i, strerror(errno));
		cpu->run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, cpu->fd, 0);
		if (cpu->run == MAP_FAILED) {
			cpu->run = NULL;
			return qerr_set(e, -errno, "vcpu %u: cannot map kvm_run: %s", i, strerror(errno));
		}
		int r = arch_vcpu_init(cpu, e);
		if (!r)
			r = arch_vcpu_boot(cpu, &vm->boot, e);
		if (r) {
			qerr_prefix(e, "vcpu %u: ", i);
			return r;
		}
	}
	return arch_vcpus_created(vm, e);
}

/*
 * The vendor's sporadic scheduling on Linux's nearest: SCHED_DEADLINE with
 * the budget as runtime in each period, which like a sporadic server
 * bounds the vCPU's share and guarantees it. What has no counterpart: the
 * low priority it would run at once the budget is spent (a deadline task
 * waits for its next period instead) and the replenishment count. Linux
 * refuses it without CAP_SYS_NICE, or with a runmask narrower than the
 * CPUs of the root domain: then the vCPU runs SCHED_RR at the low
 * priority, a warning says why, and false is returned.
 */
#define QVM_SCHED_DEADLINE	6
/*
 * sched_setattr(2)'s argument, which glibc 2.36 does not declare and
 * <linux/sched/types.h> cannot be included beside <sched.h> to give.
 */
struct qvm_sched_attr {
	uint32_t size, sched_policy;
	uint64_t sched_flags;
	int32_t sched_nice;
	uint32_t sched_priority;
	uint64_t sched_runtime, sched_deadline, sched_period;
};

static bool sporadic(struct guest_cpu *cpu, const struct qvm_sporadic *sp)
{
	struct qvm_sched_attr a = { .size = sizeof(a), .sched_policy = QVM_SCHED_DEADLINE,
		.sched_runtime = sp->budget_ns, .sched_deadline = sp->period_ns,
		.sched_period = sp->period_ns };

	if (syscall(SYS_sched_setattr, 0, &a, 0) == 0)
		return cpu->deadline = true;
	vm_log(cpu->vm, QL_QVM_WARN, "vcpu %u: sporadic scheduling as SCHED_DEADLINE (%llu ns in "
			"%llu ns): %s: SCHED_RR at its low priority %d instead", cpu->index,
			(unsigned long long)sp->budget_ns, (unsigned long long)sp->period_ns,
			strerror(errno), sp->low);
	return false;
}

/*
 * Some KVMs (seen on a 6.18 host) answer KVM_RUN from a SCHED_DEADLINE
 * thread with EAGAIN, a runnable vCPU never entering the guest, where an
 * AP waiting for its SIPI gets a few: past 10000, run as sporadic() does
 * when Linux refuses.
 */
static void deadline_refused(struct guest_cpu *cpu)
{
	const struct qvm_cpu_cfg *c = &cpu->vm->cpu_cfg[cpu->index];
	struct sched_param sp = { .sched_priority = c->prio };

	cpu->deadline = false;
	vm_log(cpu->vm, QL_QVM_WARN, "vcpu %u: this KVM does not run a vCPU under SCHED_DEADLINE "
			"(KVM_RUN: %s): SCHED_RR at its low priority %d instead", cpu->index,
			strerror(EAGAIN), c->prio);
	int r = pthread_setschedparam(pthread_self(), SCHED_RR, &sp);
	if (r)
		vm_log(cpu->vm, QL_QVM_WARN, "vcpu %u: cannot set sched priority %d: %s", cpu->index,
				c->prio, strerror(r));
}

static void place_thread(struct guest_cpu *cpu)
{
	const struct qvm_cpu_cfg *c = &cpu->vm->cpu_cfg[cpu->index];
	int r;

	if (c->has_runmask) {
		r = pthread_setaffinity_np(pthread_self(), sizeof(c->runmask), &c->runmask);
		if (r)
			vm_log(cpu->vm, QL_QVM_WARN, "vcpu %u: cannot apply runmask: %s",
					cpu->index, strerror(r));
	}
	if (c->sporadic && sporadic(cpu, &c->spor))
		return;
	if (c->has_sched) {
		struct sched_param sp = { .sched_priority = c->prio };
		r = pthread_setschedparam(pthread_self(), c->policy, &sp);
		if (r)
			vm_log(cpu->vm, QL_QVM_WARN, "vcpu %u: cannot set sched priority %d: %s "
					"(running with the default)", cpu->index, c->prio, strerror(r));
	}
}

/* Answer requests; returns true when the thread must leave its loop. */
static bool handle_requests(struct guest_cpu *cpu)
{
	unsigned req = atomic_exchange(&cpu->requests, 0);

	if (req & VCPU_REQ_STOP)
		return true;
	if (req & VCPU_REQ_HALT_CHECK) {
		atomic_store(&cpu->halted_idle, arch_vcpu_idle(cpu));
		atomic_store(&cpu->power, arch_vcpu_power(cpu));
		atomic_fetch_add(&cpu->acks[ACK_HALT_CHECK], 1);
	}
	if (req & VCPU_REQ_PAUSE) {
		struct qvm_vm *vm = cpu->vm;
		arch_vcpu_save_regs(cpu);
		vcpu_offline(cpu);	/* held still: maps may be freed meanwhile */
		pthread_mutex_lock(&vm->pause_lock);
		atomic_store(&cpu->held, true);
		atomic_fetch_add(&cpu->acks[ACK_PAUSE], 1);
		while (vm->paused && !(atomic_load(&cpu->requests) & VCPU_REQ_STOP))
			pthread_cond_wait(&vm->pause_cond, &vm->pause_lock);
		atomic_store(&cpu->held, false);
		pthread_mutex_unlock(&vm->pause_lock);
		vcpu_online(cpu);
		return atomic_load(&cpu->requests) & VCPU_REQ_STOP;
	}
	return false;
}

/*
 * KVM could not run a guest instruction: the `unsupported instruction`
 * policy. `ignore` steps over it where its length is known (x86: decoded
 * from the bytes KVM fetched), else delivers the fault as `fail` does.
 */
static bool unsupported_instruction(struct guest_cpu *cpu)
{
	struct qvm_vm *vm = cpu->vm;
	struct kvm_run *run = cpu->run;
	enum qvm_unsupp_action act = vm->unsupp[UNSUPP_INSTRUCTION];

	if (run->internal.suberror != KVM_INTERNAL_ERROR_EMULATION) {
		vm_log(vm, QL_QVM_ERR, "vcpu %u: KVM internal error, suberror %u", cpu->index,
				run->internal.suberror);
		term_request(vm, QVM_EXIT_UNEXPECTED);
		return true;
	}
	const char *why = NULL;
	if (act == UNSUPP_IGNORE && arch_skip_instruction(cpu, &why) == 0) {
		vm_log(vm, QL_QVM_WARN, "vcpu %u: the guest ran an instruction KVM cannot emulate "
				"(unsupported instruction: skipped)", cpu->index);
		return false;
	}
	vm_log(vm, act == UNSUPP_ABORT ? QL_QVM_ERR : QL_QVM_WARN, "vcpu %u: the guest ran an "
			"instruction KVM cannot emulate (unsupported instruction: %s%s%s)", cpu->index,
			act == UNSUPP_ABORT ? "abort" : "undefined-instruction fault delivered",
			why ? ", not skipped: " : "", why ? why : "");
	if (act == UNSUPP_ABORT) {
		term_request(vm, QVM_EXIT_UNSUPPORTED);
		return true;
	}
	arch_inject_undefined(cpu);
	return false;
}

/* Handle one exit; true when the vCPU must stop. Port I/O and the like are the arch's. */
static bool handle_exit(struct guest_cpu *cpu)
{
	struct kvm_run *run = cpu->run;
	struct qvm_vm *vm = cpu->vm;

	switch (run->exit_reason) {
	case KVM_EXIT_MMIO:
		dispatch_access(cpu, REGION_MEM, run->mmio.phys_addr, run->mmio.len,
				run->mmio.is_write, run->mmio.data);
		return false;
	case KVM_EXIT_SYSTEM_EVENT:
		vm_log(vm, QL_QVM_INFO, "vcpu %u: the guest asked for a system %s", cpu->index,
				run->system_event.type == KVM_SYSTEM_EVENT_SHUTDOWN ? "shutdown" : "reset");
		term_request(vm, QVM_EXIT_NORMAL);
		return true;
	case KVM_EXIT_INTERNAL_ERROR:
		return unsupported_instruction(cpu);
	case KVM_EXIT_FAIL_ENTRY:
		vm_log(vm, QL_QVM_ERR, "vcpu %u: KVM could not enter the guest (reason 0x%llx)",
				cpu->index, (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		term_request(vm, QVM_EXIT_UNEXPECTED);
		return true;
	}
	switch (arch_handle_exit(cpu)) {
	case ARCH_EXIT_CONTINUE:
		return false;
	case ARCH_EXIT_STOP:
		return true;
	case ARCH_EXIT_UNKNOWN:
		break;
	}
	vm_log(vm, QL_QVM_ERR, "vcpu %u: unexpected KVM exit %u", cpu->index, run->exit_reason);
	term_request(vm, QVM_EXIT_UNEXPECTED);
	return true;
}

/*
 * A vdev read or wrote the vCPU's registers (QST_CPUREGS) while it handled the exit.
 * Written ones wait for the access to complete: KVM finishes it in the next
 * KVM_RUN, writing the access's result and stepping the instruction
 * pointer, and would lose registers set before (x86 re-runs its emulator
 * on its own register copy). immediate_exit makes that KVM_RUN finish the
 * access and return EINTR before the guest runs an instruction more
 * (Documentation/virt/kvm/api.rst, kvm_run); then the writes go in.
 */
static void regs_settle(struct guest_cpu *cpu)
{
	if (cpu->regs == VCPU_REGS_WRITTEN)
		cpu->run->immediate_exit = 1;
	else
		cpu->regs = VCPU_REGS_KVM;
}

static void regs_commit(struct guest_cpu *cpu)
{
	int r = arch_cpu_regs_commit(cpu);

	cpu->regs = VCPU_REGS_KVM;
	if (r)
		vm_log(cpu->vm, QL_QVM_ERR, "vcpu %u: the registers a vdev wrote cannot be set: %s",
				cpu->index, strerror(-r));
}

static void *vcpu_thread(void *arg)
{
	struct guest_cpu *cpu = arg;
	sigset_t set;

	vm_set_current(cpu->vm);
	tls_run = cpu->run;
	vcpu_self = cpu;
	char name[16];
	snprintf(name, sizeof(name), "vcpu%u", cpu->index);
	pthread_setname_np(pthread_self(), name);	/* itself, before anything can report it */
	place_thread(cpu);
	int r = sandbox_vcpu(cpu);
	if (r) {
		vm_log(cpu->vm, QL_QVM_ERR, "vcpu %u: cannot narrow the sandbox: %s", cpu->index,
				strerror(-r));
		term_request(cpu->vm, QVM_EXIT_FATAL_RUNNING);	/* never enters the guest */
	}
	sigemptyset(&set);
	sigaddset(&set, kick_signal());
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);

	vcpu_online(cpu);
	for (;;) {
		vcpu_quiescent(cpu);	/* between exits: no map in use */
		/* registers a vdev wrote go in first (regs_settle): a pause must save them */
		if (atomic_load_explicit(&cpu->requests, memory_order_relaxed) &&
				cpu->regs != VCPU_REGS_WRITTEN && handle_requests(cpu))
			break;
		atomic_store_explicit(&cpu->in_run, true, memory_order_relaxed);
		int ran = ioctl(cpu->fd, KVM_RUN, 0);
		atomic_store_explicit(&cpu->in_run, false, memory_order_relaxed);
		if (ran < 0) {
			if (errno == EAGAIN && cpu->deadline && ++cpu->deadline_eagain > 10000)
				deadline_refused(cpu);
			if (errno == EINTR || errno == EAGAIN) {
				cpu->run->immediate_exit = 0;
				if (cpu->regs == VCPU_REGS_WRITTEN)
					regs_commit(cpu);
				continue;
			}
			vm_log(cpu->vm, QL_QVM_ERR, "vcpu %u: KVM_RUN: %s", cpu->index, strerror(errno));
			term_request(cpu->vm, QVM_EXIT_UNEXPECTED);
			break;
		}
		if (handle_exit(cpu))
			break;
		if (__builtin_expect(cpu->regs != VCPU_REGS_KVM, 0))
			regs_settle(cpu);
	}
	vcpu_offline(cpu);
	tls_run = NULL;
	vcpu_self = NULL;
	return NULL;
}

static void kick(struct guest_cpu *cpu, unsigned req)
{
	atomic_fetch_or(&cpu->requests, req);
	pthread_mutex_lock(&cpu->vm->kick_lock);	/* never signal a joined thread */
	if (cpu->thread_started)
		pthread_kill(cpu->thread, kick_signal());
	pthread_mutex_unlock(&cpu->vm->kick_lock);
}

void vcpu_kick(struct guest_cpu *cpu)
{
	kick(cpu, 0);
}

int vcpus_start(struct qvm_vm *vm, struct qerr *e)
{
	/* SA_RESTART: a kick must not break a vdev's blocking call on a vCPU (KVM_RUN still returns EINTR) */
	struct sigaction sa = { .sa_handler = kick_handler, .sa_flags = SA_RESTART };
	sigset_t set, old;

	sigemptyset(&sa.sa_mask);
	if (sigaction(kick_signal(), &sa, NULL) < 0)
		return qerr_set(e, -errno, "sigaction: %s", strerror(errno));
	/* Threads start with the kick blocked, and unblock it once tls_run is set. */
	sigemptyset(&set);
	sigaddset(&set, kick_signal());
	pthread_sigmask(SIG_BLOCK, &set, &old);
	for (unsigned i = 0; i < vm->ncpus; i++) {
		struct guest_cpu *cpu = &vm->cpus[i];
		int r = pthread_create(&cpu->thread, NULL, vcpu_thread, cpu);
		if (r) {
			pthread_sigmask(SIG_SETMASK, &old, NULL);
			return qerr_set(e, -r, "vcpu %u: cannot create its thread: %s", i, strerror(r));
		}
		cpu->thread_started = true;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return 0;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/*
 * Raise req on every vCPU and wait up to wait_ms in all for each to answer
 * on its own thread; answered[i] says who did (a vCPU busy in a vdev may not).
 */
static unsigned ask_all(struct qvm_vm *vm, unsigned req, unsigned wait_ms, bool *answered)
{
	unsigned gen[QVM_MAX_CPUS], n = 0, waited = 0;
	enum vcpu_ack kind = req == VCPU_REQ_PAUSE ? ACK_PAUSE : ACK_HALT_CHECK;
#define ACKS(i) (&vm->cpus[i].acks[kind])

	bool asked[QVM_MAX_CPUS];

	for (unsigned i = 0; i < vm->ncpus; i++) {
		gen[i] = atomic_load(ACKS(i));
		/*
		 * Not the caller's own vCPU (it is here, in a vdev). A halt check
		 * spares one that is out of the guest, handling an exit: it is
		 * not halted, and a kick would break a vdev's sleep there.
		 */
		asked[i] = &vm->cpus[i] != vcpu_self && (req != VCPU_REQ_HALT_CHECK ||
				atomic_load_explicit(&vm->cpus[i].in_run, memory_order_relaxed));
		if (asked[i])
			kick(&vm->cpus[i], req);
	}
	for (unsigned i = 0; i < vm->ncpus; i++) {
		if (!asked[i]) {
			answered[i] = &vm->cpus[i] == vcpu_self;
			n += answered[i];
			continue;
		}
		/* one already held by an earlier pause is held for this one too */
		while (atomic_load(ACKS(i)) == gen[i] && waited < wait_ms &&
				!(req == VCPU_REQ_PAUSE && atomic_load(&vm->cpus[i].held))) {
			sleep_ms(1);
			waited++;
		}
		answered[i] = atomic_load(ACKS(i)) != gen[i] ||
			(req == VCPU_REQ_PAUSE && atomic_load(&vm->cpus[i].held));
		n += answered[i];
	}
#undef ACKS
	return n;
}

/* Are all vCPUs halted with interrupts off? */
static bool all_idle(struct qvm_vm *vm)
{
	bool answered[QVM_MAX_CPUS];

	if (ask_all(vm, VCPU_REQ_HALT_CHECK, HALT_ANSWER_MS, answered) != vm->ncpus)
		return false;	/* one is busy in a vdev: not idle */
	for (unsigned i = 0; i < vm->ncpus; i++)
		if (!atomic_load(&vm->cpus[i].halted_idle))
			return false;
	return true;
}

void vcpus_ask_power(struct qvm_vm *vm, unsigned wait_ms, bool *answered)
{
	ask_all(vm, VCPU_REQ_HALT_CHECK, wait_ms, answered);
}

unsigned vcpus_pause(struct qvm_vm *vm, bool *answered)
{
	pthread_mutex_lock(&vm->pause_lock);
	vm->paused++;	/* even with no vCPUs: vcpus_resume gives it back */
	pthread_mutex_unlock(&vm->pause_lock);
	return vm->cpus ? ask_all(vm, VCPU_REQ_PAUSE, HALT_ANSWER_MS, answered) : 0;
}

static void pause_wake(struct qvm_vm *vm, bool release)
{
	pthread_mutex_lock(&vm->pause_lock);
	if (release && vm->paused)
		vm->paused--;
	pthread_cond_broadcast(&vm->pause_cond);
	pthread_mutex_unlock(&vm->pause_lock);
}

void vcpus_resume(struct qvm_vm *vm)
{
	pause_wake(vm, true);
}

void vcpus_wait_exit(struct qvm_vm *vm)
{
	/* Without quit-on-halt a halted guest keeps qvm alive, as on the real qvm. */
	while (!term_wait(vm, vm->quit_on_halt ? HALT_POLL_MS : 0)) {
		if (all_idle(vm)) {
			vm_log(vm, QL_QVM_INFO, "all vcpus halted with interrupts off: exiting (quit-on-halt)");
			term_request(vm, QVM_EXIT_NORMAL);
		}
	}
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void guest_clock_start(void)
{
	if (vcpu_self)
		vcpu_self->bill_since = now_ns();
}

void guest_clock_stop(void)
{
	struct guest_cpu *c = vcpu_self;

	if (c && c->bill_since) {
		atomic_fetch_add(&c->billed_ns, now_ns() - c->bill_since);
		c->bill_since = 0;
	}
}

void vcpus_report_billed(struct qvm_vm *vm)
{
	for (unsigned i = 0; vm->cpus && i < vm->ncpus; i++) {
		uint64_t ns = atomic_load(&vm->cpus[i].billed_ns);
		if (ns)
			vm_log(vm, QL_QVM_INFO, "vcpu %u: %llu.%03llu ms of billable vdev time "
					"(guest_clock_start/stop)", i, (unsigned long long)(ns / 1000000),
					(unsigned long long)(ns / 1000 % 1000));
	}
}

void vcpus_request_stop(struct qvm_vm *vm)
{
	for (unsigned i = 0; i < vm->ncpus && vm->cpus; i++)
		kick(&vm->cpus[i], VCPU_REQ_STOP);
	pause_wake(vm, false);	/* a paused vCPU must see the stop */
}

void vcpus_stop(struct qvm_vm *vm)
{
	struct timespec deadline;	/* one for all: N stuck vCPUs cost 2 s, not 2N */

	vcpus_request_stop(vm);
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += STOP_JOIN_SECONDS;
	for (unsigned i = 0; i < vm->ncpus && vm->cpus; i++) {
		struct guest_cpu *cpu = &vm->cpus[i];
		if (!cpu->thread_started || cpu->abandoned || pthread_equal(cpu->thread, pthread_self()))
			continue;
		if (pthread_timedjoin_np(cpu->thread, NULL, &deadline)) {
			vm_log(vm, QL_QVM_WARN, "vcpu %u did not stop within %d s (blocked in a vdev?): "
					"going on without it", i, STOP_JOIN_SECONDS);
			cpu->abandoned = true;
			continue;
		}
		pthread_mutex_lock(&vm->kick_lock);
		cpu->thread_started = false;
		pthread_mutex_unlock(&vm->kick_lock);
	}
}

bool vcpus_destroy(struct qvm_vm *vm)
{
	if (!vm->cpus)
		return true;
	vcpus_stop(vm);
	for (unsigned i = 0; i < vm->ncpus; i++)
		if (vm->cpus[i].thread_started)
			return false;	/* never stopped: leave everything it may touch alone */
	for (unsigned i = 0; i < vm->ncpus; i++) {
		struct guest_cpu *cpu = &vm->cpus[i];
		if (cpu->run)
			munmap(cpu->run, vm->run_size);
		if (cpu->fd >= 0)
			close(cpu->fd);
	}
	/* A vdev thread still publishing a map reads vm->cpus under regions_lock (core/maps.c). */
	pthread_mutex_lock(&vm->regions_lock);
	struct guest_cpu *cpus = vm->cpus;
	vm->cpus = NULL;
	pthread_mutex_unlock(&vm->regions_lock);
	free(cpus);
	return true;
}
