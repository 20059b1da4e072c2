/*
 * qvm @FILE [OPTION...] | qvm --config FILE [OPTION...]
 *
 * The top level: reads the options, builds and runs the VM. The exit
 * codes and the shutdown are core/term.c's.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <qvm/log.h>

#include "config.h"
#include "hostcheck.h"
#include "signals.h"
#include "token.h"
#include "vm.h"

#ifndef QVM_VERSION
#define QVM_VERSION "0.1"
#endif

static void usage(FILE *f)
{
	fprintf(f,
		"usage: qvm @FILE [OPTION...]\n"
		"       qvm --config FILE [OPTION...]\n"
		"       qvm --check-host\n"
		"       qvm --help | --version\n"
		"\n"
		"Runs a virtual machine described by configuration files and options,\n"
		"in the QNX Hypervisor's configuration language. Files (@FILE, --config\n"
		"FILE) and options from the command line form one stream, in order, e.g.\n"
		"  qvm @vm.qvmconf dryrun\n"
		"\n"
		"vdevs (vdev-NAME.so) are found in $QVM_VDEV_PATH (colon-separated), the\n"
		"directory of the qvm executable, then the install directory.\n"
		"\n"
		"--check-host says whether qvm can run guests on this machine, and what\n"
		"each missing piece (/dev/kvm, a KVM capability, a limit) stops.\n");
}

/* Collect the token stream from argv; -1 on error (message printed). */
static int gather(int argc, char **argv, struct qvm_tokens *t, int *done)
{
	struct qerr e;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			usage(stdout);
			*done = 1;
			return 0;
		}
		if (strcmp(a, "--version") == 0 || strcmp(a, "-V") == 0) {
			printf("qvm %s (vdev ABI %u)\n", QVM_VERSION, QVM_VDEV_ABI);
			*done = 1;
			return 0;
		}
		const char *file = NULL;
		if (a[0] == '@')
			file = a + 1;
		else if (strcmp(a, "--config") == 0) {
			if (i + 1 >= argc) {
				log_stderr("command line:%d: --config needs a file", i);
				return -1;
			}
			file = argv[++i];
		}
		int r = file ? tokens_add_file(t, file, &e) : tokens_add_arg(t, a, (unsigned)i);
		if (r) {
			if (file)
				log_stderr("%s", e.msg);
			else if (r == -E2BIG)
				log_stderr("command line:%d: too many tokens (the configuration "
						"may hold at most %u)", i, QVM_MAX_TOKENS);
			else
				log_stderr("qvm: out of memory");
			return -1;
		}
	}
	return 0;
}

/*
 * The documented signal behaviour holds from qvm's first code on: this runs
 * before libc's own start-up work and every other constructor, so a signal
 * that comes then stays pending until the signal thread takes it, and one
 * already pending at exec (the parent had it blocked) is not lost either.
 * Only the dynamic loader's work before it (about a millisecond) is not
 * covered: no code of a dynamically linked program runs there.
 */
__attribute__((constructor(101))) static void block_signals_first(void)
{
	signals_block();
}

int main(int argc, char **argv)
{
	struct qvm_tokens toks = { 0 };
	struct qvm_vm *vm = NULL;
	struct qerr e;
	int done = 0, code;

	signal(SIGPIPE, SIG_IGN);	/* a closed output pipe is an error return, not death */
	signals_block();		/* again, in case a constructor unblocked them */
	if (argc < 2) {
		usage(stderr);
		return QVM_EXIT_CONFIG;
	}
	if (argc == 2 && strcmp(argv[1], "--check-host") == 0)
		return host_check(stdout);
	if (gather(argc, argv, &toks, &done) < 0 || done) {
		tokens_free(&toks);
		return done ? QVM_EXIT_NORMAL : QVM_EXIT_CONFIG;
	}

	if (vm_create(&vm, &e)) {	/* no KVM yet: that comes once the configuration is checked */
		log_stderr("qvm: %s", e.msg);
		vm_destroy(vm);
		return QVM_EXIT_FATAL;
	}
	vm_set_current(vm);
	vm->privs.enforce = true;	/* core/privs.c: once the VM is built */
	if (signals_start(vm)) {
		log_stderr("qvm: cannot start the signal thread");
		return QVM_EXIT_FATAL;
	}
	if (config_run(vm, &toks, &e)) {
		log_stderr("%s", e.msg);
		term_exit_now(vm, QVM_EXIT_CONFIG);
	}
	if (vm->list_set_vars) {	/* `set ?` */
		setvars_list(stdout);
		term_exit_now(vm, QVM_EXIT_NORMAL);
	}
	if (vm_check(vm, &e)) {
		log_stderr("%s", e.msg);
		term_exit_now(vm, QVM_EXIT_CONFIG);
	}
	if (signals_stop_pending())
		term_exit_now(vm, signals_stop_pending());
	if (vm_build(vm, &e)) {
		vm_log(vm, QL_QVM_FATAL, "%s", e.msg);
		term_exit_now(vm, QVM_EXIT_FATAL);
	}
	if (vm_prepare(vm, &e)) {
		vm_log(vm, QL_QVM_FATAL, "%s", e.msg);
		term_exit_now(vm, QVM_EXIT_FATAL);
	}
	if (signals_stop_pending())
		term_exit_now(vm, signals_stop_pending());
	if (term_requested(vm)) {	/* guest_terminate during GUEST_CONFIGURED */
		term_exit_now(vm, term_code(vm));
	} else if (vm->dryrun) {
		vm_log(vm, QL_QVM_INFO, "Exiting: dryrun completed");
		code = term_shutdown(vm);
	} else {
		code = vm_run(vm);
	}
	signals_stop();
	vm_destroy(vm);
	tokens_free(&toks);
	fflush(stdout);
	return code;
}
