/* What the API gives a running vdev: its own threads, vdev_path(), its names. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include <qvm/guest.h>
#include <qvm/log.h>
#include <qvm/utils.h>

#include "number.h"
#include "vcpu.h"
#include "vdev_impl.h"

#define VDEV_THREAD_STACK	(256u << 10)

struct thread_start {
	struct qvm_vdev *vdev;
	struct qvm_vm *vm;
	void *(*func)(void *);
	void *arg;
};

static void *thread_trampoline(void *p)
{
	struct thread_start ts = *(struct thread_start *)p;

	free(p);
	vm_set_current(ts.vm);
	vdev_running = ts.vdev;
	return ts.func(ts.arg);
}

int vdev_thread_create(const vdev_t *vdp, const char *name, pthread_t *tid,
		pthread_attr_t *attr, void *(*func)(void *), void *arg)
{
	struct qvm_vdev *d = vdev_of(vdp);
	struct thread_start *ts;
	pthread_t t;
	int r;

	if (vm_phase(d->vm) == QVM_PHASE_STARTUP)
		return api_violation(d->vm, vdp, "vdev_thread_create()",
				"may only be called after VDEV_CTRL_GUEST_CONFIGURED");
	ts = malloc(sizeof(*ts));
	if (!ts)
		return ENOMEM;
	*ts = (struct thread_start){ d, d->vm, func, arg };
	pthread_attr_t def;
	if (!attr) {
		/* 256 KiB, not the 8 MiB of RLIMIT_STACK: a VM may have thousands of vdev threads,
		 * and creating and joining big stacks costs more with each one alive */
		pthread_attr_init(&def);
		pthread_attr_setstacksize(&def, VDEV_THREAD_STACK);
	}
	r = pthread_create(&t, attr ? attr : &def, thread_trampoline, ts);
	if (!attr)
		pthread_attr_destroy(&def);
	if (r) {
		free(ts);
		return r;
	}
	if (name) {
		char n[16];
		snprintf(n, sizeof(n), "%s", name);
		pthread_setname_np(t, n);
	}
	if (vdp->v_sched.priority > 0) {
		struct sched_param sp = { .sched_priority = vdp->v_sched.priority };
		r = pthread_setschedparam(t, vdp->v_sched.policy, &sp);
		if (r)
			vdev_logf(QL_QVM_WARN, vdp, "cannot set thread priority %d: %s",
					vdp->v_sched.priority, strerror(r));
	}
	if (tid)
		*tid = t;
	return 0;
}

/*
 * mkdir -p, mode 0700. *had is the length of the leading part that already
 * existed (the parent of the first directory made; all of path if none).
 */
static int mkdirs(char *path, size_t *had)
{
	size_t prev = 0;
	bool made = false;

	*had = strlen(path);
	for (char *p = path + 1;; p++) {
		if (*p != '/' && *p)
			continue;
		char c = *p;
		*p = '\0';
		int r = mkdir(path, 0700);
		*p = c;
		if (r < 0 && errno != EEXIST)
			return -errno;
		if (r == 0 && !made) {
			*had = prev;
			made = true;
		}
		prev = (size_t)(p - path);
		if (!c)
			return 0;
	}
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (type == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

void vdev_paths_remove(struct qvm_vm *vm)
{
	/* Each vdev's own directory first, then the parents qvm made, so a
	 * parent shared by several instances is empty when its turn comes. */
	for (struct qvm_vdev *d = vm->vdevs; d; d = d->next)
		if (d->path && d->path_had < strlen(d->path))
			nftw(d->path, remove_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
	for (struct qvm_vdev *d = vm->vdevs; d; d = d->next) {
		char dir[PATH_MAX], *slash;
		/* a copy: a vdev stuck in a callback may still hold d->path */
		if (!d->path || snprintf(dir, sizeof(dir), "%s", d->path) >= (int)sizeof(dir))
			continue;
		while ((slash = strrchr(dir, '/')) && (size_t)(slash - dir) > d->path_had) {
			*slash = '\0';
			rmdir(dir);	/* fails, harmlessly, while not empty */
		}
	}
}

const char *vdev_path(const vdev_t *vdp)
{
	struct qvm_vdev *d = vdev_of(vdp);
	const char *rt = getenv("XDG_RUNTIME_DIR");
	char buf[PATH_MAX];
	int r;

	if (vm_phase(d->vm) == QVM_PHASE_STARTUP) {
		errno = api_violation(d->vm, vdp, "vdev_path()",
				"may only be called after VDEV_CTRL_GUEST_CONFIGURED");
		return NULL;
	}
	if (d->path)
		return d->path;
	if (d->vm->system[0])
		snprintf(buf, sizeof(buf), "%s/qvm/%s/%s", rt && *rt ? rt : "/run", d->vm->system, d->name);
	else
		snprintf(buf, sizeof(buf), "%s/qvm/pid-%ld/%s", rt && *rt ? rt : "/run",
				(long)getpid(), d->name);
	r = mkdirs(buf, &d->path_had);
	if (r) {
		errno = -r;
		return NULL;
	}
	d->path = strdup(buf);
	if (!d->path)
		errno = ENOMEM;
	return d->path;
}

const char *vdev_name(const vdev_t *vdp)
{
	return vdev_of(vdp)->name;
}

int vdev_string(char *buf, size_t count, const vdev_t *vdp)
{
	const struct qvm_vdev *d = vdev_of(vdp);

	if (vdp->v_block.location == QSL_NO_LOCATION)
		return snprintf(buf, count, "%s", d->name);
	return snprintf(buf, count, "%s at %s:0x%llx", d->name,
			vdp->v_block.qst_type == QST_X86_IO ? "io" : "mem",
			(unsigned long long)vdp->v_block.location);
}

/* ---- vdev_pulse: an event that calls the vdev's pulse callback ---- */

struct pulse_target {
	struct qvm_vdev *d;
	int8_t code;
	struct pulse_target *next;	/* the vdev's list, freed with it */
};

static void pulse_thunk(union sigval v)
{
	struct pulse_target *t = v.sival_ptr;

	vdev_deliver_pulse(t->d, t->code);
}

void vdev_deliver_pulse(struct qvm_vdev *d, int8_t code)
{
	struct _pulse p = { .code = code };

	if (atomic_load(&d->terminated) || !d->factory->pulse)
		return;
	vm_set_current(d->vm);
	vdev_running = d;
	bool lock = d->factory->factory_flags & (VFF_MUTEX | VFF_MUTEX_RECURSIVE);
	if (lock)
		pthread_mutex_lock(&d->pub.v_mtx);
	d->factory->pulse(&d->pub, &p);
	if (lock)
		pthread_mutex_unlock(&d->pub.v_mtx);
	vdev_running = NULL;
}

void vdev_pulse(vdev_t *vdp, const int8_t code, int priority, struct sigevent *ev, const int coid)
{
	(void)priority;
	(void)coid;
	if (!vdp || !ev)
		return;
	struct qvm_vdev *d = vdev_of(vdp);
	struct pulse_target *t = calloc(1, sizeof(*t));
	memset(ev, 0, sizeof(*ev));
	if (!t) {
		ev->sigev_notify = SIGEV_NONE;
		vdev_logf(QL_QVM_ERR, vdp, "vdev_pulse(): out of memory: the event does nothing");
		return;
	}
	*t = (struct pulse_target){ d, code, d->pulses };
	d->pulses = t;
	ev->sigev_notify = SIGEV_THREAD;
	ev->sigev_notify_function = pulse_thunk;
	ev->sigev_value.sival_ptr = t;
}

void vdev_pulses_free(struct qvm_vdev *d)
{
	while (d->pulses) {
		struct pulse_target *t = d->pulses;
		d->pulses = t->next;
		free(t);
	}
}

int guest_instr_register(vdev_t *vdp, guest_instr_type_t git, unsigned qualifier,
		guest_instr_callback_func_t *func)
{
	const char *what = arch_instr_name(git & ~(unsigned)GIT_FLAG_NO_QUALIFIER);

	(void)qualifier;
	if (!vdp || !func || !what)
		return EINVAL;
	/*
	 * KVM answers these in the kernel and has no exit that would hand
	 * them to qvm (CPUID from its table, SMC through its PSCI, system
	 * registers itself): say so rather than never call back.
	 */
	vdev_logf(QL_QVM_WARN, vdp, "guest_instr_register(): KVM handles %s in the kernel: "
			"no callback for it (ENOTSUP)", what);
	return ENOTSUP;
}
