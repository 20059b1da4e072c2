/*
 * guest_power_state_*: which vCPUs wait for an interrupt and which are
 * powered off. KVM keeps both in the kernel (HLT, WFI, PSCI, INIT/SIPI),
 * so qvm asks the vCPUs (a kick each; arch_vcpu_power on their threads),
 * on demand and, while notifications are registered, every 10 ms from a
 * thread of its own, which calls the vdevs' callbacks.
 */
#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include <qvm/guest.h>
#include <qvm/log.h>

#include "vcpu.h"

#define POLL_MS		10
#define ANSWER_MS	50	/* a vCPU busy in a vdev longer counts as running */

struct guest_power_state_notify {
	struct qvm_vm *vm;
	struct qvm_vdev *vdev;		/* the one that made it */
	guest_power_state_cmd_t cmd;
	uint64_t mask, bits, last;
	unsigned base;
	guest_power_state_callback_func_t *func;
	void *data;
	struct guest_power_state_notify *next;
};

/* A callback due, copied out so it runs without power_lock. */
struct firing {
	guest_power_state_callback_func_t *func;
	void *data;
	uint64_t curr;
	unsigned base;
	struct qvm_vdev *vdev;
};
#define FIRE_MAX	16	/* per sample; the rest fire at the next */

static struct qvm_vm *caller_vm(void)
{
	return vdev_running ? vdev_running->vm : vm_current();
}

/* The waiting and powered-off sets of vCPUs 0-63, now. */
static void sample(struct qvm_vm *vm, uint64_t *wait, uint64_t *off)
{
	bool answered[QVM_MAX_CPUS];

	*wait = *off = 0;
	if (!vm->cpus)
		return;
	vcpus_ask_power(vm, ANSWER_MS, answered);
	for (unsigned i = 0; i < vm->ncpus && i < 64; i++) {
		if (!answered[i] || &vm->cpus[i] == vcpu_self)
			continue;	/* in a vdev: running */
		unsigned p = atomic_load(&vm->cpus[i].power);
		if (p & ARCH_POWER_WAIT)
			*wait |= 1ull << i;
		if (p & ARCH_POWER_OFF)
			*off |= 1ull << i;
	}
}

static uint64_t pick(guest_power_state_cmd_t cmd, uint64_t wait, uint64_t off)
{
	return (cmd & GPSC_WAIT ? wait : 0) | (cmd & GPSC_OFF ? off : 0);
}

int guest_power_state_current(guest_power_state_cmd_t cmd, unsigned base, unsigned nresult,
		uint64_t *result)
{
	struct qvm_vm *vm = caller_vm();
	uint64_t wait, off;

	if (!vm || base != 0 || nresult == 0 || !result || !(cmd & (GPSC_WAIT | GPSC_OFF)))
		return -EINVAL;
	if (vm_phase(vm) == QVM_PHASE_STARTUP)
		return -api_violation(vm, vdev_running ? &vdev_running->pub : NULL,
				"guest_power_state_current()",
				"may only be called after VDEV_CTRL_GUEST_CONFIGURED");
	sample(vm, &wait, &off);
	result[0] = pick(cmd, wait, off);
	return 1;
}

struct guest_power_state_notify *guest_power_state_notify_create(void)
{
	struct qvm_vm *vm = caller_vm();
	struct guest_power_state_notify *n;

	if (!vm) {
		errno = EINVAL;
		return NULL;
	}
	n = calloc(1, sizeof(*n));
	if (!n) {
		errno = ENOMEM;
		return NULL;
	}
	n->vm = vm;
	n->vdev = vdev_running;
	pthread_mutex_lock(&vm->power_lock);
	n->next = vm->power_notifies;
	vm->power_notifies = n;
	pthread_mutex_unlock(&vm->power_lock);
	return n;
}

void guest_power_state_notify_delete(struct guest_power_state_notify *n)
{
	if (!n)
		return;
	struct qvm_vm *vm = n->vm;
	pthread_mutex_lock(&vm->power_lock);
	for (struct guest_power_state_notify **p = &vm->power_notifies; *p; p = &(*p)->next)
		if (*p == n) {
			*p = n->next;
			break;
		}
	pthread_mutex_unlock(&vm->power_lock);
	free(n);
}

static void *poller(void *arg);

/* The sampling thread, once the guest runs and something is registered (power_lock held). */
static void start_locked(struct qvm_vm *vm)
{
	if (vm->power_running || vm->power_stop || vm_phase(vm) != QVM_PHASE_STARTED)
		return;
	bool any = false;
	for (struct guest_power_state_notify *n = vm->power_notifies; n && !any; n = n->next)
		any = n->func != NULL;
	if (any && pthread_create(&vm->power_thread, NULL, poller, vm) == 0)
		vm->power_running = true;
}

void guest_power_state_notify_register(struct guest_power_state_notify *n,
		guest_power_state_cmd_t cmd, unsigned base, uint64_t mask, uint64_t bits,
		guest_power_state_callback_func_t *func, void *data)
{
	if (!n)
		return;
	struct qvm_vm *vm = n->vm;
	pthread_mutex_lock(&vm->power_lock);
	n->cmd = cmd;
	n->base = base;
	n->mask = mask;
	n->bits = bits;
	n->func = base == 0 ? func : NULL;	/* only vCPUs 0-63 exist here */
	n->data = data;
	n->last = 0;	/* every vCPU running, until the first sample */
	start_locked(vm);
	pthread_mutex_unlock(&vm->power_lock);
}

static void *poller(void *arg)
{
	struct qvm_vm *vm = arg;

	vm_set_current(vm);
	pthread_mutex_lock(&vm->power_lock);
	while (!vm->power_stop) {
		uint64_t wait, off;
		pthread_mutex_unlock(&vm->power_lock);
		sample(vm, &wait, &off);
		pthread_mutex_lock(&vm->power_lock);
		struct firing due[FIRE_MAX];
		unsigned ndue = 0;
		for (struct guest_power_state_notify *n = vm->power_notifies; n; n = n->next) {
			if (!n->func)
				continue;
			uint64_t now = pick(n->cmd, wait, off), was = n->last;
			bool to = (now & n->mask) == n->bits && (was & n->mask) != n->bits;
			bool from = (was & n->mask) == n->bits && (now & n->mask) != n->bits;
			if ((((n->cmd & GPSC_TO) && to) || ((n->cmd & GPSC_FROM) && from))) {
				if (ndue == FIRE_MAX)
					continue;	/* n->last stays: it fires next time */
				due[ndue++] = (struct firing){ n->func, n->data, now, n->base, n->vdev };
			}
			n->last = now;
		}
		/* called unlocked: a callback may end qvm, or register and delete */
		pthread_mutex_unlock(&vm->power_lock);
		for (unsigned i = 0; i < ndue; i++) {
			vdev_running = due[i].vdev;
			due[i].func(due[i].data, due[i].curr, due[i].base);
			vdev_running = NULL;
		}
		pthread_mutex_lock(&vm->power_lock);
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += POLL_MS * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		if (!vm->power_stop)
			pthread_cond_timedwait(&vm->power_cond, &vm->power_lock, &until);
	}
	pthread_mutex_unlock(&vm->power_lock);
	return NULL;
}

void power_start(struct qvm_vm *vm)
{
	pthread_mutex_lock(&vm->power_lock);
	start_locked(vm);
	pthread_mutex_unlock(&vm->power_lock);
}

void power_stop(struct qvm_vm *vm)
{
	pthread_mutex_lock(&vm->power_lock);
	vm->power_stop = true;
	bool running = vm->power_running;
	vm->power_running = false;
	pthread_cond_broadcast(&vm->power_cond);
	pthread_mutex_unlock(&vm->power_lock);
	if (running && !pthread_equal(vm->power_thread, pthread_self()))
		pthread_join(vm->power_thread, NULL);
}

void power_destroy(struct qvm_vm *vm)
{
	power_stop(vm);
	while (vm->power_notifies) {
		struct guest_power_state_notify *n = vm->power_notifies;
		vm->power_notifies = n->next;
		free(n);
	}
}
