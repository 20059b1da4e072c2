/*
 * The system-call sandbox (see sandbox.h), with libseccomp.
 *
 * Two filters: every thread gets the first, which allows what qvm and the
 * shipped vdevs call once the guest is being configured; a vCPU thread adds
 * the second on itself, which takes away opening files, making threads and
 * ioctl on anything but its own vCPU, the VM and a terminal query. A call
 * outside them raises SIGSYS on the calling thread; the handler reports it,
 * parks that thread (it may be inside a vdev, holding its locks) and has
 * the signal thread end qvm.
 *
 * The handler needs the sandbox's state without a VM to reach it from, so
 * that state is process-wide: one sandbox per process, like the signals.
 */
#include "sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <link.h>
#include <linux/futex.h>
#include <linux/kvm.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "privs.h"
#include "signals.h"
#include "vm.h"

#ifndef SYS_SECCOMP
#define SYS_SECCOMP	1	/* si_code of a SIGSYS from a seccomp filter (linux/signal.h) */
#endif

#define NAMED_CALLS	512	/* system call numbers the report can name */

enum { EVERY = 1, VCPU = 2 };	/* which filters allow a call */

static const struct allowed {
	const char *name;
	unsigned where;
} calls[] = {
	/* files: opened ones on any thread, new ones off the vCPUs */
	{ "read", EVERY | VCPU }, { "write", EVERY | VCPU }, { "readv", EVERY | VCPU },
	{ "writev", EVERY | VCPU }, { "pread64", EVERY | VCPU }, { "pwrite64", EVERY | VCPU },
	{ "lseek", EVERY | VCPU }, { "close", EVERY | VCPU }, { "fstat", EVERY | VCPU },
	{ "newfstatat", EVERY | VCPU }, { "statx", EVERY | VCPU }, { "fcntl", EVERY | VCPU },
	{ "fsync", EVERY | VCPU }, { "fdatasync", EVERY | VCPU }, { "ftruncate", EVERY | VCPU },
	{ "poll", EVERY | VCPU }, { "ppoll", EVERY | VCPU }, { "pselect6", EVERY | VCPU },
	{ "epoll_wait", EVERY | VCPU }, { "epoll_pwait", EVERY | VCPU },
	{ "openat", EVERY }, { "open", EVERY }, { "dup", EVERY }, { "dup3", EVERY },
	{ "readlink", EVERY }, { "readlinkat", EVERY },
	{ "access", EVERY }, { "faccessat", EVERY }, { "faccessat2", EVERY }, { "getcwd", EVERY },
	{ "mkdir", EVERY }, { "mkdirat", EVERY }, { "epoll_create1", EVERY },
	/* the shmem vdev's thread gives a region it makes its mode and group */
	{ "fchmod", EVERY }, { "fchown", EVERY },
	{ "epoll_ctl", EVERY }, { "eventfd2", EVERY }, { "timerfd_create", EVERY },
	/* removing vdev_path directories is part of any shutdown, also one a vCPU runs */
	{ "rmdir", EVERY | VCPU }, { "unlink", EVERY | VCPU }, { "unlinkat", EVERY | VCPU },
	{ "getdents64", EVERY | VCPU },
	{ "timerfd_settime", EVERY | VCPU }, { "timerfd_gettime", EVERY | VCPU },
	/* time */
	{ "clock_gettime", EVERY | VCPU }, { "clock_getres", EVERY | VCPU },
	{ "clock_nanosleep", EVERY | VCPU }, { "nanosleep", EVERY | VCPU },
	{ "gettimeofday", EVERY | VCPU }, { "time", EVERY | VCPU },
	{ "timer_create", EVERY }, { "timer_delete", EVERY },
	{ "timer_settime", EVERY | VCPU }, { "timer_gettime", EVERY | VCPU },
	/* signals, to the threads of this process only */
	{ "rt_sigreturn", EVERY | VCPU }, { "rt_sigprocmask", EVERY | VCPU },
	{ "rt_sigaction", EVERY | VCPU }, { "rt_sigtimedwait", EVERY | VCPU },
	{ "rt_sigpending", EVERY | VCPU }, { "rt_sigsuspend", EVERY | VCPU },
	{ "sigaltstack", EVERY | VCPU }, { "restart_syscall", EVERY | VCPU },
	{ "pause", EVERY | VCPU },
	/* who and where */
	{ "getpid", EVERY | VCPU }, { "gettid", EVERY | VCPU }, { "getppid", EVERY | VCPU },
	{ "getuid", EVERY | VCPU }, { "geteuid", EVERY | VCPU }, { "getgid", EVERY | VCPU },
	{ "getegid", EVERY | VCPU }, { "uname", EVERY | VCPU }, { "getrandom", EVERY | VCPU },
	{ "getrusage", EVERY | VCPU }, { "sysinfo", EVERY | VCPU }, { "prlimit64", EVERY | VCPU },
	/* scheduling: `runmask`, `sched` */
	{ "sched_yield", EVERY | VCPU }, { "sched_getaffinity", EVERY | VCPU },
	{ "sched_setaffinity", EVERY | VCPU }, { "sched_setscheduler", EVERY | VCPU },
	{ "sched_getscheduler", EVERY | VCPU }, { "sched_setparam", EVERY | VCPU },
	{ "sched_getparam", EVERY | VCPU }, { "sched_get_priority_max", EVERY | VCPU },
	{ "sched_get_priority_min", EVERY | VCPU }, { "sched_setattr", EVERY | VCPU },
	{ "sched_getattr", EVERY | VCPU },
	/* memory (mmap and mprotect: never executable, below) */
	{ "munmap", EVERY | VCPU }, { "madvise", EVERY | VCPU }, { "brk", EVERY | VCPU },
	{ "mremap", EVERY | VCPU }, { "membarrier", EVERY | VCPU },
	/* threads (clone: threads only, below) */
	{ "futex", EVERY | VCPU }, { "futex_waitv", EVERY | VCPU },
	{ "set_robust_list", EVERY | VCPU }, { "get_robust_list", EVERY | VCPU },
	{ "rseq", EVERY | VCPU }, { "set_tid_address", EVERY | VCPU },
	{ "exit", EVERY | VCPU }, { "exit_group", EVERY | VCPU },
};

static struct {
	_Atomic bool armed;
	struct qvm_vm *vm;
	enum qvm_sandbox mode;
	int vm_fd;
	char prefix[96];			/* "qvm[SYSTEM]: fatal: sandbox: " */
	char names[NAMED_CALLS][24];		/* resolved before the filter is on */
	_Atomic(struct qvm_vdev *) fatal_vdev;	/* the vdev the forbidden call came from */
} sb;

/* Async-signal-safe pieces of the report. */
static size_t put_str(char *buf, size_t at, size_t cap, const char *s)
{
	for (; *s && at + 1 < cap; s++) {
		unsigned char c = (unsigned char)*s;
		buf[at++] = c < 0x20 || c >= 0x7f ? '?' : (char)c;	/* one line, whatever the name */
	}
	return at;
}

static size_t put_num(char *buf, size_t at, size_t cap, long v)
{
	char d[24];
	int n = 0;
	unsigned long u = v < 0 ? 0UL - (unsigned long)v : (unsigned long)v;

	do
		d[n++] = (char)('0' + u % 10);
	while ((u /= 10) && n < (int)sizeof(d));
	if (v < 0 && at + 1 < cap)
		buf[at++] = '-';
	while (n && at + 1 < cap)
		buf[at++] = d[--n];
	return at;
}

static void on_sigsys(int signo, siginfo_t *si, void *uc)
{
	char line[320], comm[17] = "";
	size_t n = 0, cap = sizeof(line) - 1;
	int nr = si->si_syscall;
	struct qvm_vdev *d = vdev_running;

	(void)signo;
	(void)uc;
	if (si->si_code != SYS_SECCOMP) {	/* a SIGSYS from outside: what it would have done */
		signal(SIGSYS, SIG_DFL);
		raise(SIGSYS);
		return;
	}
	prctl(PR_GET_NAME, comm, 0, 0, 0);
	n = put_str(line, n, cap, sb.prefix);
	n = put_str(line, n, cap, "thread ");
	n = put_str(line, n, cap, comm);
	if (d) {
		n = put_str(line, n, cap, " (in vdev ");
		n = put_str(line, n, cap, d->name);
		n = put_str(line, n, cap, ")");
	}
	n = put_str(line, n, cap, " made the system call ");
	n = put_str(line, n, cap, nr >= 0 && nr < NAMED_CALLS && sb.names[nr][0] ? sb.names[nr] : "?");
	n = put_str(line, n, cap, " (");
	n = put_num(line, n, cap, nr);
	n = put_str(line, n, cap, "), which `set sandbox on` forbids: stopping (`set sandbox log` "
			"lets it through and the kernel logs it)");
	line[n++] = '\n';
	if (write(2, line, n) < 0)
		(void)0;	/* nowhere left to say it */
	atomic_store(&sb.fatal_vdev, d);
	if (d)	/* it may hold its locks: no TERMINATE for it, whichever report comes first */
		atomic_store(&d->terminated, true);
	if (!signals_sandbox_stop())	/* no signal thread to end qvm properly (or it is this one) */
		term_exit_signal_safe(term_code_fatal(sb.vm));
	/* Stopped for good: this thread may hold locks, and must not run on. */
	static _Atomic int never;
	for (;;)
		syscall(SYS_futex, &never, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
}

#define STOP_DEADLINE	10	/* s the clean-up gets: the parked thread may hold a lock it needs */

static void *deadline(void *arg)
{
	struct timespec ts = { STOP_DEADLINE, 0 };

	while (nanosleep(&ts, &ts) < 0)
		;
	term_exit_bare(*(int *)arg);
	return NULL;
}

_Noreturn void sandbox_stop(struct qvm_vm *vm)
{
	static int code;
	pthread_t t;

	code = term_code_fatal(vm);
	if (pthread_create(&t, NULL, deadline, &code) == 0)
		pthread_detach(t);

	/* Like a vdev's qvm_fatal: the vdev the call came from gets no TERMINATE. */
	vm->term.fatal_vdev = atomic_load(&sb.fatal_vdev);
	if (!term_claim(vm))
		term_exit_bare(code);	/* the shutdown had begun, and may wait for the stopped thread */
	term_exit_claimed(vm, code);
}

static int add(scmp_filter_ctx f, const char *name, uint32_t action, unsigned nargs,
		const struct scmp_arg_cmp *args)
{
	int nr = seccomp_syscall_resolve_name(name);

	if (nr == __NR_SCMP_ERROR)
		return 0;	/* not a call on this architecture */
	return seccomp_rule_add_array(f, action, nr, nargs, args);
}

/* The calls allowed where `where` says, and the ones allowed with conditions. */
static int fill(scmp_filter_ctx f, unsigned where, const struct guest_cpu *cpu)
{
	int r = 0;

	for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]) && !r; i++)
		if (calls[i].where & where)
			r = add(f, calls[i].name, SCMP_ACT_ALLOW, 0, NULL);
	/* Nothing new becomes executable: code is only what was loaded before. */
	struct scmp_arg_cmp noexec = SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0);
	if (!r)
		r = add(f, "mmap", SCMP_ACT_ALLOW, 1, &noexec);
	if (!r)
		r = add(f, "mprotect", SCMP_ACT_ALLOW, 1, &noexec);
	/* Kicks and pthread_kill: signals to threads of this process. */
	struct scmp_arg_cmp self = SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)getpid());
	if (!r)
		r = add(f, "tgkill", SCMP_ACT_ALLOW, 1, &self);
	/* Thread names only. */
	struct scmp_arg_cmp setname = SCMP_A0(SCMP_CMP_EQ, PR_SET_NAME);
	struct scmp_arg_cmp getname = SCMP_A0(SCMP_CMP_EQ, PR_GET_NAME);
	if (!r)
		r = add(f, "prctl", SCMP_ACT_ALLOW, 1, &setname);
	if (!r)
		r = add(f, "prctl", SCMP_ACT_ALLOW, 1, &getname);
	/* A terminal query (stdio's first use of a stream) anywhere. */
	struct scmp_arg_cmp tcgets = SCMP_A1(SCMP_CMP_EQ, TCGETS);
	if (!r)
		r = add(f, "ioctl", SCMP_ACT_ALLOW, 1, &tcgets);

	/* A vCPU thread adds its own filter; a filter only ever takes away. */
	struct scmp_arg_cmp filter = SCMP_A0(SCMP_CMP_EQ, SECCOMP_SET_MODE_FILTER);
	if (!r && (where & EVERY))
		r = add(f, "seccomp", SCMP_ACT_ALLOW, 1, &filter);
	if (where & EVERY) {
		/* Threads, not processes; clone3's flags are out of a filter's reach, and
		 * ENOSYS sends the C library back to clone. */
		struct scmp_arg_cmp thread = SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD);
		if (!r)
			r = add(f, "clone", SCMP_ACT_ALLOW, 1, &thread);
		if (!r)
			r = add(f, "clone3", SCMP_ACT_ERRNO(ENOSYS), 0, NULL);
		/* KVM's ioctls and terminal settings; not TIOCSTI (typing into a terminal) */
		struct scmp_arg_cmp kvm = SCMP_A1(SCMP_CMP_MASKED_EQ, 0xff00, KVMIO << 8);
		if (!r)
			r = add(f, "ioctl", SCMP_ACT_ALLOW, 1, &kvm);
		static const unsigned long tty[] = { TCSETS, TCSETSW, TCSETSF, TIOCGWINSZ, FIONBIO,
				FIONREAD, FIOCLEX };
		for (size_t i = 0; i < sizeof(tty) / sizeof(tty[0]) && !r; i++) {
			struct scmp_arg_cmp req = SCMP_A1(SCMP_CMP_EQ, tty[i]);
			r = add(f, "ioctl", SCMP_ACT_ALLOW, 1, &req);
		}
	} else {
		struct scmp_arg_cmp own = SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)cpu->fd);
		struct scmp_arg_cmp vmfd = SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)sb.vm_fd);
		if (!r)
			r = add(f, "ioctl", SCMP_ACT_ALLOW, 1, &own);
		if (!r)
			r = add(f, "ioctl", SCMP_ACT_ALLOW, 1, &vmfd);
		/* A vCPU thread's shutdown (qvm_fatal in vread) removes vdev_path directories:
		 * it may open directories, never files (O_DIRECTORY fails on anything else). */
		struct scmp_arg_cmp dirs = SCMP_A2(SCMP_CMP_MASKED_EQ, O_DIRECTORY, O_DIRECTORY);
		if (!r)
			r = add(f, "openat", SCMP_ACT_ALLOW, 1, &dirs);
	}
	return r;
}

static int load(unsigned where, const struct guest_cpu *cpu, bool sync)
{
	scmp_filter_ctx f = seccomp_init(sb.mode == SANDBOX_LOG ? SCMP_ACT_LOG : SCMP_ACT_TRAP);
	int r;

	if (!f)
		return -ENOMEM;
	r = fill(f, where, cpu);
	/* no_new_privs is set already (core/privs.c), and inherited */
	if (!r)
		r = seccomp_attr_set(f, SCMP_FLTATR_CTL_NNP, 0);
	if (!r && sync)
		r = seccomp_attr_set(f, SCMP_FLTATR_CTL_TSYNC, 1);	/* every thread at once */
	if (!r)
		r = seccomp_load(f);
	seccomp_release(f);
	return r;
}

/* The first loaded object asking for an executable stack, into name. */
static int exec_stack(struct dl_phdr_info *info, size_t size, void *name)
{
	(void)size;
	for (unsigned i = 0; i < info->dlpi_phnum; i++)
		if (info->dlpi_phdr[i].p_type == PT_GNU_STACK && (info->dlpi_phdr[i].p_flags & PF_X)) {
			snprintf(name, PATH_MAX, "%s", info->dlpi_name[0] ? info->dlpi_name : "qvm");
			return 1;
		}
	return 0;
}

int sandbox_check(struct qvm_vm *vm, struct qerr *e)
{
	char name[PATH_MAX];

	if (vm->privs.sandbox == SANDBOX_OFF)
		return 0;
	if (vm->dump_dest && vm->dump_dest[0] == '|')
		return qerr_set(e, -EINVAL, "qvm: set sandbox: `dump \"|COMMAND\"` runs a command, which "
				"the sandbox forbids (dump to a directory instead)");
	bool slog = logger_uses_slog(&vm->log);
	for (const struct qvm_vdev *d = vm->vdevs; d && !slog; d = d->next)
		slog = d->has_log && logger_uses_slog(&d->log);
	if (slog)
		return qerr_set(e, -EINVAL, "qvm: set sandbox: the `slog` log destination needs a "
				"socket, which the sandbox forbids (log to stderr or stdout instead)");
	/* With one, the C library maps every new thread's stack executable, which the sandbox refuses. */
	if (dl_iterate_phdr(exec_stack, name))
		return qerr_set(e, -EINVAL, "qvm: set sandbox: %s asks for an executable stack, which the "
				"sandbox forbids (link it with -z noexecstack)", name);
	return 0;
}

int sandbox_start(struct qvm_vm *vm, struct qerr *e)
{
	struct sigaction sa = { .sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO };
	int r;

	if (atomic_exchange(&sb.armed, true))
		return qerr_set(e, -EBUSY, "set sandbox: one sandbox per process, and it is on already");
	sb.mode = vm->privs.sandbox;
	sb.vm = vm;
	sb.vm_fd = vm->vm_fd;
	if (vm->system[0])	/* as core/log.c says it */
		snprintf(sb.prefix, sizeof(sb.prefix), "qvm[%s]: fatal: sandbox: ", vm->system);
	else
		snprintf(sb.prefix, sizeof(sb.prefix), "qvm: fatal: sandbox: ");
	for (int nr = 0; nr < NAMED_CALLS; nr++) {
		char *s = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
		if (s)
			snprintf(sb.names[nr], sizeof(sb.names[nr]), "%s", s);
		free(s);
	}
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL) < 0)
		return qerr_set(e, -errno, "set sandbox: sigaction(SIGSYS): %s", strerror(errno));
	r = load(EVERY, NULL, true);
	if (r)
		return qerr_set(e, r, "set sandbox: cannot load the seccomp filter: %s", strerror(-r));
	vm_log(vm, QL_QVM_DEBUG, "sandbox %s", sb.mode == SANDBOX_LOG ? "logging" : "on");
	return 0;
}

int sandbox_vcpu(struct guest_cpu *cpu)
{
	if (!atomic_load(&sb.armed))
		return 0;
	return load(VCPU, cpu, false);
}
