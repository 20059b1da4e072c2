/*
 * vdev timers (guest_timer_*): one thread per VM sleeps until the earliest
 * armed deadline and runs the owning vdev's timer callback. Guest time is
 * nanoseconds on the host's monotonic clock since the VM was created.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <qvm/guest.h>

#include <qvm/log.h>

#include "timer.h"
#include "vm.h"

struct guest_timer {
	struct qvm_vm *vm;
	struct qvm_vdev *vdev;
	void *data;
	struct guest_cpu *gcp;
	bool armed;
	uint64_t deadline;		/* guest ns */
	uint64_t armed_guest, armed_host;
	uint64_t last_deadline;		/* of the expiry being handled: periodic re-arming */
	struct guest_timer_data cb;	/* what the callback gets */
	struct guest_timer *next;
};

static uint64_t host_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* a + b, or "never" rather than a wrap-around to "now" */
static uint64_t add_sat(uint64_t a, uint64_t b)
{
	return a + b < a ? UINT64_MAX : a + b;
}

static uint64_t guest_ns(const struct qvm_vm *vm)
{
	return host_ns() - vm->t0_ns;
}

void timers_init(struct qvm_vm *vm)
{
	pthread_condattr_t a;

	vm->t0_ns = host_ns();
	pthread_mutex_init(&vm->timer_lock, NULL);
	pthread_condattr_init(&a);
	pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	pthread_cond_init(&vm->timer_cond, &a);
	pthread_condattr_destroy(&a);
}

struct guest_timer *guest_timer_create(const struct guest_cpu *gcp, const vdev_t *vdp,
		const void *data, uint64_t *resolutionp)
{
	struct qvm_vdev *d = vdp ? vdev_of(vdp) : vdev_running;
	struct guest_timer *t;
	uint64_t dummy;

	if (!resolutionp)
		resolutionp = &dummy;
	if (!d) {
		*resolutionp = EINVAL;
		return NULL;
	}
	if (vm_phase(d->vm) != QVM_PHASE_STARTUP) {
		*resolutionp = (uint64_t)api_violation(d->vm, &d->pub, "guest_timer_create()",
				"may only be called during startup (before VDEV_CTRL_GUEST_CONFIGURED)");
		return NULL;
	}
	if (!d->factory->timer) {
		*resolutionp = EINVAL;	/* expiries would have nowhere to go */
		return NULL;
	}
	t = calloc(1, sizeof(*t));
	if (!t) {
		*resolutionp = ENOMEM;
		return NULL;
	}
	t->vm = d->vm;
	t->vdev = d;
	t->data = (void *)(uintptr_t)data;
	t->gcp = (struct guest_cpu *)(uintptr_t)gcp;
	pthread_mutex_lock(&d->vm->timer_lock);
	t->next = d->vm->timers;
	d->vm->timers = t;
	pthread_mutex_unlock(&d->vm->timer_lock);
	*resolutionp = 1000000000u;
	return t;
}

int guest_timer_notify(struct guest_timer *vtp, const struct guest_timer_data *tdp,
		uint64_t deadline)
{
	struct qvm_vm *vm;

	if (!vtp)
		return EINVAL;
	vm = vtp->vm;
	if (vm_phase(vm) == QVM_PHASE_STARTUP)
		return api_violation(vm, &vtp->vdev->pub, "guest_timer_notify()",
				"may only be called after VDEV_CTRL_GUEST_CONFIGURED");
	pthread_mutex_lock(&vm->timer_lock);
	uint64_t now = guest_ns(vm);
	if (tdp == NULL && deadline == 0) {
		vtp->armed = false;
	} else {
		if (tdp == GUEST_TIMER_ABSOLUTE)
			vtp->deadline = deadline;
		else if (tdp == &vtp->cb)
			vtp->deadline = add_sat(vtp->last_deadline, deadline);
		else
			vtp->deadline = add_sat(now, deadline);
		vtp->armed = true;
		vtp->armed_guest = now;
		vtp->armed_host = now + vm->t0_ns;
		pthread_cond_signal(&vm->timer_cond);
	}
	pthread_mutex_unlock(&vm->timer_lock);
	return 0;
}

void guest_timer_state(const struct guest_timer *vtp, struct guest_timer_data *tdp)
{
	struct qvm_vm *vm = vtp->vm;

	pthread_mutex_lock(&vm->timer_lock);
	uint64_t now = guest_ns(vm);
	*tdp = (struct guest_timer_data){
		.host_notify_start = vtp->armed ? vtp->armed_host : 0,
		.host_current = now + vm->t0_ns,
		.guest_notify_start = vtp->armed ? vtp->armed_guest : 0,
		.guest_current = now,
	};
	pthread_mutex_unlock(&vm->timer_lock);
}

static void fire(struct guest_timer *t)
{
	struct qvm_vdev *d = t->vdev;
	bool mutex = d->factory->factory_flags & (VFF_MUTEX | VFF_MUTEX_RECURSIVE);

	vdev_running = d;
	if (mutex)
		pthread_mutex_lock(&d->pub.v_mtx);
	d->factory->timer(&d->pub, t->data, &t->cb, t->gcp);
	if (mutex)
		pthread_mutex_unlock(&d->pub.v_mtx);
	vdev_running = NULL;
}

static void *timer_thread(void *arg)
{
	struct qvm_vm *vm = arg;

	vm_set_current(vm);
	pthread_mutex_lock(&vm->timer_lock);
	while (!vm->timer_stop) {
		struct guest_timer *next = NULL;
		for (struct guest_timer *t = vm->timers; t; t = t->next)
			if (t->armed && (!next || t->deadline < next->deadline))
				next = t;
		if (!next) {
			pthread_cond_wait(&vm->timer_cond, &vm->timer_lock);
			continue;
		}
		uint64_t now = guest_ns(vm);
		if (now < next->deadline) {
			uint64_t at = add_sat(vm->t0_ns, next->deadline);
			struct timespec ts = { (time_t)(at / 1000000000u), (long)(at % 1000000000u) };
			pthread_cond_timedwait(&vm->timer_cond, &vm->timer_lock, &ts);
			continue;
		}
		next->armed = false;
		next->last_deadline = next->deadline;
		next->cb = (struct guest_timer_data){
			.host_notify_start = next->armed_host,
			.host_current = now + vm->t0_ns,
			.guest_notify_start = next->armed_guest,
			.guest_current = now,
		};
		pthread_mutex_unlock(&vm->timer_lock);
		fire(next);
		pthread_mutex_lock(&vm->timer_lock);
	}
	pthread_mutex_unlock(&vm->timer_lock);
	return NULL;
}

int timers_start(struct qvm_vm *vm, struct qerr *e)
{
	int r = pthread_create(&vm->timer_thread, NULL, timer_thread, vm);

	if (r)
		return qerr_set(e, -r, "cannot create the timer thread: %s", strerror(r));
	pthread_setname_np(vm->timer_thread, "timers");
	vm->timer_thread_started = true;
	return 0;
}

void timers_stop(struct qvm_vm *vm)
{
	if (!vm->timer_thread_started || pthread_equal(pthread_self(), vm->timer_thread))
		return;
	pthread_mutex_lock(&vm->timer_lock);
	vm->timer_stop = true;
	pthread_cond_broadcast(&vm->timer_cond);
	pthread_mutex_unlock(&vm->timer_lock);
	/* A callback may wait for a v_mtx a stuck vCPU holds: do not wait forever. */
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 2;
	if (pthread_timedjoin_np(vm->timer_thread, NULL, &ts)) {
		vm_log(vm, QL_QVM_WARN, "the timer thread did not stop within 2 s (a callback is "
				"blocked): going on without it");
		vm->timer_abandoned = true;
	}
	vm->timer_thread_started = false;
}

void timers_destroy(struct qvm_vm *vm)
{
	timers_stop(vm);
	if (vm->timer_abandoned)
		return;	/* its thread may still read them */
	while (vm->timers) {
		struct guest_timer *t = vm->timers;
		vm->timers = t->next;
		free(t);
	}
}
