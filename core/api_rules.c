/*
 * The vdev API's phase rules and its ways to stop qvm (qvm_fatal,
 * guest_terminate): the vendor leaves a call outside its phase undefined,
 * qvm stops with a message naming the vdev, the function and the rule.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <qvm/guest.h>
#include <qvm/log.h>
#include <qvm/utils.h>

#include "number.h"
#include "signals.h"
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
		log_stderr("qvm: fatal: vdev %s: %s: %s", name, fn, rule);
		term_exit_bare(QVM_EXIT_FATAL);
	}
	if (vm_phase(vm) != QVM_PHASE_STARTED) {
		log_stderr("%svdev %s: %s: %s", vm_where(vm, where, sizeof(where)), name, fn, rule);
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
		log_stderr("qvm: fatal: %s", msg);
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
		log_stderr("%svdev %s: %s", where, vdev_running->name, msg);
	else if (where[0])
		log_stderr("%s%s", where, msg);
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
	if (code < 0 && cause > GTC_NORMAL_EXIT && cause < GTC_CUSTOM_MIN) {
		vm_log(vm, QL_QVM_ERR, "guest_terminate(): cause %d is one the system reserves and "
				"gives no exit code: an unexpected end", (int)cause);
		code = QVM_EXIT_UNEXPECTED;
	} else if (code < 0) {
		vm_log(vm, QL_QVM_ERR, "guest_terminate(): invalid cause %d", (int)cause);
		code = QVM_EXIT_UNEXPECTED;
	}
	vm_log(vm, code ? QL_QVM_ERR : QL_QVM_INFO, "guest terminated (cause %d)", code);
	if (vm_phase(vm) == QVM_PHASE_STARTUP)
		term_exit_now(vm, code);	/* single-threaded: end right here */
	term_request(vm, code);
}

int guest_write_core_file(void)
{
	struct qvm_vm *vm = vm_current();

	if (!vm)
		return EINVAL;
	if (vm_phase(vm) != QVM_PHASE_STARTED)
		return api_violation(vm, vdev_running ? &vdev_running->pub : NULL,
				"guest_write_core_file()", "may only be called once the guest started "
				"(after VDEV_CTRL_GUEST_STARTING)");
	if (!vm->dump_dest)
		return ENOENT;
	return signals_ask_dump();
}
