/* Least privilege (see privs.h): capabilities with libcap-ng, no_new_privs, the sandbox. */
#include "privs.h"

#include <cap-ng.h>
#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "sandbox.h"
#include "signals.h"
#include "vm.h"

/*
 * Capabilities and no_new_privs belong to a thread, not to the process:
 * each thread drops its own. libcap-ng keeps its state per thread too.
 */
/*
 * libcap-ng's state for this thread: nothing, or CAP_SYS_NICE if asked for
 * and held (a capability cannot be added back). *bounds: may this thread
 * change its bounding set? -EPERM if its capabilities cannot be read.
 */
static int select_kept(const struct qvm_privs *p, bool *bounds)
{
	if (capng_get_caps_process() < 0)
		return -EPERM;
	bool nice = p->keep_nice && capng_have_capability(CAPNG_EFFECTIVE, CAP_SYS_NICE);
	*bounds = capng_have_capability(CAPNG_EFFECTIVE, CAP_SETPCAP);
	capng_clear(CAPNG_SELECT_ALL);
	if (nice)
		capng_update(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED | CAPNG_BOUNDING_SET,
				CAP_SYS_NICE);
	return 0;
}

static int drop_self(void *arg)
{
	const struct qvm_privs *p = arg;
	bool bounds;

	if (select_kept(p, &bounds))
		return -EPERM;
	/* The bounding set can only be changed with CAP_SETPCAP; without it, no_new_privs
	 * already keeps an exec from gaining anything. */
	if (capng_apply(bounds ? CAPNG_SELECT_ALL : CAPNG_SELECT_CAPS | CAPNG_SELECT_AMBIENT) < 0)
		return -EPERM;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	return 0;
}

/*
 * Main's own drop with `set user`: the uid change (every thread's, through
 * the C library) keeps only what main asked for; the bounding set goes too.
 */
static int change_user(const struct qvm_privs *p)
{
	bool bounds;

	if (select_kept(p, &bounds))
		return -EPERM;
	if (capng_change_id((int)p->uid, (int)p->gid, CAPNG_DROP_SUPP_GRP | CAPNG_CLEAR_AMBIENT |
			(bounds ? CAPNG_CLEAR_BOUNDING : 0)) < 0)
		return -EPERM;
	if (getuid() != p->uid || geteuid() != p->uid || getgid() != p->gid)
		return -EPERM;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	return 0;
}

int privs_set_user(struct qvm_privs *p, const char *spec, struct qerr *e)
{
	char name[256];
	const char *colon = strchr(spec, ':');
	size_t n = colon ? (size_t)(colon - spec) : strlen(spec);

	if (!n || n >= sizeof(name))
		return qerr_set(e, -EINVAL, "set user: '%s' is not NAME or NAME:GROUP", spec);
	memcpy(name, spec, n);
	name[n] = '\0';
	struct passwd *pw = getpwnam(name);
	if (!pw)
		return qerr_set(e, -ENOENT, "set user: no user '%s'", name);
	p->uid = pw->pw_uid;
	p->gid = pw->pw_gid;
	if (colon) {
		struct group *gr = getgrnam(colon + 1);
		if (!gr)
			return qerr_set(e, -ENOENT, "set user: no group '%s'", colon + 1);
		p->gid = gr->gr_gid;
	}
	if (geteuid() != 0 && (p->uid != geteuid() || p->gid != getegid()))
		return qerr_set(e, -EPERM, "set user: only root can run qvm as another user");
	p->has_user = geteuid() == 0;	/* naming oneself changes nothing (nor could it) */
	return 0;
}

/*
 * The kernel's own workers in the process (KVM's huge-page recovery task is
 * one on recent kernels) run no qvm code: PF_IO_WORKER, PF_USER_WORKER.
 */
static bool kernel_worker(const char *tid)
{
	char path[64], buf[512];
	unsigned long flags = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%s/stat", tid);
	if (!(f = fopen(path, "re")))
		return false;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	const char *p = strrchr(buf, ')');	/* the name may hold anything */
	if (!p || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %lu", &flags) != 1)
		return false;
	return flags & (0x10 | 0x4000);
}

/* Threads running qvm's code (or a vdev's); -errno if they cannot be counted. */
static int count_threads(void)
{
	DIR *d = opendir("/proc/self/task");
	int n = 0;

	if (!d)
		return -errno;
	for (struct dirent *de; (de = readdir(d));)
		n += de->d_name[0] != '.' && !kernel_worker(de->d_name);
	closedir(d);
	return n;
}

static bool wants_nice(const struct qvm_vm *vm)
{
	for (unsigned i = 0; i < vm->ncpus; i++)
		if (vm->cpu_cfg[i].has_sched && vm->cpu_cfg[i].prio > 0)
			return true;
	for (const struct qvm_vdev *d = vm->vdevs; d; d = d->next)
		if (d->pub.v_sched.priority > 0)
			return true;
	return false;
}

int privs_drop(struct qvm_vm *vm, struct qerr *e)
{
	struct qvm_privs *p = &vm->privs;
	int r, expected = 1 + signals_running();

	p->keep_nice = wants_nice(vm);
	/*
	 * Only main and the signal thread may exist: a thread a vdev started on
	 * its own before GUEST_CONFIGURED would keep every privilege.
	 */
	r = count_threads();
	if (r < 0)
		return qerr_set(e, r, "cannot count qvm's threads in /proc/self/task: %s", strerror(-r));
	if (r != expected)
		return qerr_set(e, -EBUSY, "%d threads before GUEST_CONFIGURED (expected %d): a vdev "
				"started a thread of its own, which would keep qvm's privileges "
				"(vdev_thread_create() is the way, from GUEST_CONFIGURED on)", r, expected);
	r = p->has_user ? change_user(p) : drop_self(p);
	if (!r)
		r = signals_run(drop_self, p);
	if (r)
		return qerr_set(e, r, "cannot drop privileges: %s", strerror(-r));
	vm_log(vm, QL_QVM_DEBUG, "privileges dropped: no capabilities%s, no_new_privs set%s",
			p->keep_nice ? " but CAP_SYS_NICE (for `sched`)" : "",
			p->has_user ? ", running as the `set user`" : "");
	if (p->sandbox != SANDBOX_OFF)
		return sandbox_start(vm, e);
	return 0;
}
