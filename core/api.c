/*
 * The vdev API functions of guest.h, utils.h, vdev-core.h (but for
 * registration) and qvm_fatal, with the phase rules enforced: the vendor
 * leaves a call outside its phase undefined, qvm stops with a message.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <qvm/guest.h>
#include <qvm/log.h>
#include <qvm/utils.h>

#include "number.h"
#include "signals.h"
#include "timer.h"
#include "vcpu.h"
#include "vdev_impl.h"

const char *vm_where(struct qvm_vm *vm, char *buf, size_t len)
{
	if (vm && vm->cur_tok && vm_phase(vm) == QVM_PHASE_STARTUP)
		snprintf(buf, len, "%s:%u: ", vm->cur_tok->file, vm->cur_tok->line);
	else
		buf[0] = '\0';
	return buf;
}

/* Off the main thread, before the guest started: end qvm as end_from does. */
static bool off_main(struct qvm_vm *vm)
{
	return !pthread_equal(pthread_self(), vm->main_thread);
}

int api_violation(struct qvm_vm *vm, const vdev_t *vdp, const char *fn, const char *rule)
{
	const char *name = vdp ? vdev_of(vdp)->name : "?";
	char where[300];

	if (!vm)
		vm = vdp ? vdev_of(vdp)->vm : vm_current();
	if (!vm) {
		fprintf(stderr, "qvm: fatal: vdev %s: %s: %s\n", name, fn, rule);
		term_exit_bare(QVM_EXIT_FATAL);
	}
	if (vm_phase(vm) != QVM_PHASE_STARTED) {
		fprintf(stderr, "%svdev %s: %s: %s\n", vm_where(vm, where, sizeof(where)), name, fn, rule);
		if (off_main(vm))	/* a vdev's own thread or a timer callback */
			term_exit_from_vdev(vm, QVM_EXIT_FATAL);
		term_exit_now(vm, QVM_EXIT_FATAL);
	}
	vm_log(vm, QL_QVM_FATAL, "vdev %s: %s: %s", name, fn, rule);
	term_request(vm, term_code_fatal(vm));
	return EPERM;
}

void qvm_fatal(unsigned source, const char *fmt, ...)
{
	struct qvm_vm *vm = vm_current();
	char msg[768], where[300];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!vm) {
		fprintf(stderr, "qvm: fatal: %s\n", msg);
		term_exit_bare(term_code_qvm_fatal(source));
	}
	if (vm_phase(vm) == QVM_PHASE_STARTED) {
		vm_log(vm, QL_QVM_FATAL, "%s", msg);
		vm_log(vm, QL_QVM_FATAL, "%s%s: qvm_fatal() called after the guest started "
				"(use guest_terminate())", vdev_running ? "vdev " : "",
				vdev_running ? vdev_running->name : "a vdev");
		term_exit_from_vdev(vm, QVM_EXIT_FATAL_RUNNING);
	}
	vm_where(vm, where, sizeof(where));
	if (where[0] && vdev_running)
		fprintf(stderr, "%svdev %s: %s\n", where, vdev_running->name, msg);
	else if (where[0])
		fprintf(stderr, "%s%s\n", where, msg);
	else if (vdev_running)
		vm_log(vm, QL_QVM_FATAL, "vdev %s: %s", vdev_running->name, msg);
	else
		vm_log(vm, QL_QVM_FATAL, "%s", msg);
	if (off_main(vm))
		term_exit_from_vdev(vm, term_code_qvm_fatal(source));
	term_exit_now(vm, term_code_qvm_fatal(source));
}

void guest_terminate(guest_termination_cause_t cause)
{
	struct qvm_vm *vm = vm_current();
	int code = term_code_guest((int)cause);

	if (!vm)
		term_exit_bare(code < 0 ? QVM_EXIT_UNEXPECTED : code);
	if (code < 0) {
		vm_log(vm, QL_QVM_ERR, "guest_terminate(): invalid cause %d", (int)cause);
		code = QVM_EXIT_UNEXPECTED;
	}
	vm_log(vm, code ? QL_QVM_ERR : QL_QVM_INFO, "guest terminated (cause %d)", code);
	if (vm_phase(vm) == QVM_PHASE_STARTUP)
		term_exit_now(vm, code);	/* single-threaded: end right here */
	term_request(vm, code);
}

/* ---- moving data ---- */

static int move(struct guest_cpu *gcp, const struct qvm_state_block *blk, unsigned nblks,
		uint8_t *buf, size_t buflen, bool to_guest, const char *fn)
{
	struct qvm_vm *vm = gcp ? gcp->vm : vm_current();

	if (!vm)
		return EINVAL;
	if (vm_phase(vm) == QVM_PHASE_STARTUP)
		return api_violation(vm, vdev_running ? &vdev_running->pub : NULL, fn,
				"may only be called after VDEV_CTRL_GUEST_CONFIGURED");
	for (unsigned i = 0; i < nblks && buflen; i++) {
		size_t n = blk[i].length < buflen ? (size_t)blk[i].length : buflen;
		uint8_t *p;

		if (blk[i].qst_type == QST_IMMEDIATE && gcp) {
			/* The data of the access this vCPU is dispatching. */
			if (!gcp->data || blk[i].location >= gcp->data_len)
				return EINVAL;
			if (n > gcp->data_len - blk[i].location)
				n = gcp->data_len - (size_t)blk[i].location;
			p = gcp->data + blk[i].location;
		} else if (blk[i].qst_type == QST_MEMORY) {
			p = vm_gpa_to_hva(vm, blk[i].location, n);
			if (!p)
				return EFAULT;
		} else {
			return EINVAL;
		}
		if (to_guest)
			memcpy(p, buf, n);
		else
			memcpy(buf, p, n);
		buf += n;
		buflen -= n;
	}
	return 0;
}

/*
 * The common case, a vdev moving the data of the access it is handling:
 * a few instructions, no phase check needed (gcp->data is set only while
 * a vCPU dispatches, which is the running phase).
 */
static inline bool immediate(const struct guest_cpu *gcp, const struct qvm_state_block *blk,
		unsigned nblks, size_t len)
{
	return gcp && gcp->data && nblks == 1 && blk->qst_type == QST_IMMEDIATE &&
		blk->location == 0 && len >= gcp->data_len;
}

static inline void copy_access(void *dst, const void *src, unsigned len)
{
	switch (len) {
	case 1: memcpy(dst, src, 1); break;
	case 2: memcpy(dst, src, 2); break;
	case 4: memcpy(dst, src, 4); break;
	case 8: memcpy(dst, src, 8); break;
	default: memcpy(dst, src, len); break;
	}
}

int guest_cpu_read(struct guest_cpu *gcp, guest_cpu_access_flags_t flags,
		const struct qvm_state_block *blk, unsigned nblks, void *buf, size_t buflen)
{
	(void)flags;
	if (immediate(gcp, blk, nblks, buflen)) {
		copy_access(buf, gcp->data, gcp->data_len);
		return 0;
	}
	return move(gcp, blk, nblks, buf, buflen, false, "guest_cpu_read()");
}

int guest_cpu_write(struct guest_cpu *gcp, guest_cpu_access_flags_t flags,
		const struct qvm_state_block *blk, unsigned nblks, const void *buf, size_t buflen)
{
	(void)flags;
	if (immediate(gcp, blk, nblks, buflen)) {
		copy_access(gcp->data, buf, gcp->data_len);
		return 0;
	}
	return move(gcp, blk, nblks, (uint8_t *)(uintptr_t)buf, buflen, true, "guest_cpu_write()");
}

int guest_write_all_ones(struct guest_cpu *gcp, guest_cpu_access_flags_t flags,
		const struct qvm_state_block *blk)
{
	static const uint8_t ones[64] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	};

	(void)flags;
	if (!blk || blk->length > sizeof(ones))
		return EINVAL;
	return move(gcp, blk, 1, (uint8_t *)(uintptr_t)ones, (size_t)blk->length, true,
			"guest_write_all_ones()");
}

/* ---- threads and paths ---- */

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
	r = pthread_create(&t, attr, thread_trampoline, ts);
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

static int mkdirs(char *path)
{
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		int r = mkdir(path, 0700);
		*p = '/';
		if (r < 0 && errno != EEXIST)
			return -errno;
	}
	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		return -errno;
	return 0;
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
	r = mkdirs(buf);
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

/* ---- parsing ---- */

/* During option processing a bad number is a configuration error. */
static void config_error_exit(struct qvm_vm *vm, const char *what, const char *str, int err)
{
	char where[300];

	if (!vm || vm_phase(vm) != QVM_PHASE_STARTUP || !vm->cur_tok)
		return;
	vm_where(vm, where, sizeof(where));
	const char *msg = err == -ERANGE ? "number out of range" : what;
	if (vdev_running)
		fprintf(stderr, "%svdev %s: %s '%s'\n", where, vdev_running->name, msg, str ? str : "");
	else
		fprintf(stderr, "%s%s '%s'\n", where, msg, str ? str : "");
	term_exit_now(vm, QVM_EXIT_CONFIG);
}

const char *qvm_parse_num(const char *str, unsigned flags, uint64_t *out)
{
	const char *end;
	int r = number_parse(str, flags, out, &end);

	if (r) {
		config_error_exit(vm_current(), "malformed number", str, r);
		errno = -r;
		return NULL;
	}
	return end;
}

char *qvm_parse_block(const char *str, struct qvm_state_block *bp)
{
	const char *p = str, *end;
	qvm_state_types_t type = bp->qst_type;
	uint64_t v;

	if (p && strncmp(p, "mem:", 4) == 0) {
		type = QST_MEMORY;
		p += 4;
	} else if (p && strncmp(p, "io:", 3) == 0) {
		type = QST_X86_IO;
		p += 3;
	}
	int r = number_parse(p, QPNF_ALLOW_SUFFIXES | QPNF_ALLOW_TRAILING, &v, &end);
	if (r) {
		config_error_exit(vm_current(), "malformed location", str, r);
		errno = -r;
		return NULL;
	}
	bp->location = v;
	bp->qst_type = type;
	return (char *)(uintptr_t)end;
}

const char *qvm_parse_intr(const char *str, guest_intr_t *intr)
{
	const char *end;
	struct qerr e;
	int r = intr_parse(vm_current(), str, intr, &end, &e);

	if (r) {
		config_error_exit(vm_current(), e.msg, str, -EINVAL);
		errno = -r;
		return NULL;
	}
	return end;
}
