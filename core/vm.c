/*
 * A VM's lifetime: its creation and destruction and the startup sequence
 * (memory in mem.c, KVM in kvm.c, maps in maps.c, the end in term.c).
 */
#include "vm.h"

#include <errno.h>
#include <stdlib.h>

#include "loader.h"
#include "sandbox.h"
#include "signals.h"
#include "timer.h"
#include "vcpu.h"
#include "vdev_impl.h"

static _Thread_local struct qvm_vm *tls_vm;
/*
 * API calls that name no VM, made from threads qvm did not bind (a vdev's
 * own pthread_create), fall back to the most recently created VM.
 */
static struct qvm_vm *_Atomic last_vm;

struct qvm_vm *vm_current(void)
{
	return tls_vm ? tls_vm : atomic_load(&last_vm);
}

void vm_set_current(struct qvm_vm *vm)
{
	tls_vm = vm;
}

int vm_create(struct qvm_vm **out, struct qerr *e)
{
	struct qvm_vm *vm = calloc(1, sizeof(*vm));

	if (!vm)
		return qerr_set(e, -ENOMEM, "out of memory");
	vm->kvm_fd = vm->vm_fd = -1;
	vm->vdev_tail = &vm->vdevs;
	vm->unsupp[UNSUPP_INSTRUCTION] = UNSUPP_FAIL;
	vm->unsupp[UNSUPP_REFERENCE] = UNSUPP_IGNORE;
	vm->unsupp[UNSUPP_REGISTER] = UNSUPP_FAIL;
	logger_init_default(&vm->log);
	vm->button_timeout = 10;
	vm->halt_exits = true;	/* the vendor's default */
	vm->counter_offset = ~0ull;	/* the vendor's default: the guest's counter starts at 0 */
	vm->main_thread = pthread_self();
	timers_init(vm);
	for (unsigned s = 0; s < REGION_SPACES; s++)
		pthread_mutex_init(&vm->gasp_mtx[s], NULL);
	pthread_mutex_init(&vm->regions_lock, NULL);
	pthread_mutex_init(&vm->pause_lock, NULL);
	pthread_mutex_init(&vm->kick_lock, NULL);
	pthread_mutex_init(&vm->dump_lock, NULL);
	pthread_mutex_init(&vm->report_lock, NULL);
	pthread_cond_init(&vm->pause_cond, NULL);
	pthread_mutex_init(&vm->power_lock, NULL);
	console_init(&vm->console);
	pthread_cond_init(&vm->power_cond, NULL);
	term_init(&vm->term);
	*out = vm;
	atomic_store(&last_vm, vm);

	return intr_init(vm, e);
}

void vm_destroy(struct qvm_vm *vm)
{
	if (!vm)
		return;
	pass_stop(vm);	/* its threads signal the interrupt controllers freed below */
	power_destroy(vm);
	console_close(&vm->console);
	if (!vcpus_destroy(vm) || vm->timer_abandoned)
		return;	/* a thread still runs in vdev code: leave it a world to return to */
	timers_destroy(vm);
	console_destroy(&vm->console);
	vdevs_destroy(vm);
	intr_destroy(vm);
	mem_destroy(vm);
	pass_destroy(vm);
	maps_destroy(vm);
	region_builder_free(&vm->regions);
	gram_free(vm);
	arch_vm_destroy(vm);
	vm_kvm_close(vm);
	loader_free(vm);
	free(vm->cmdline);
	free(vm->fdt_dump_file);
	vfdt_free(vm);
	vacpi_free(vm);
	free(vm->dump_dest);
	free(vm->report);
	struct qvm_vm *expect = vm;
	atomic_compare_exchange_strong(&last_vm, &expect, NULL);
	if (tls_vm == vm)
		tls_vm = NULL;
	free(vm);
}

/* ---- startup ---- */

int vm_check(struct qvm_vm *vm, struct qerr *e)
{
	if (vm->nmem == 0)
		return qerr_set(e, -EINVAL, "qvm: no ram: the configuration needs a `ram` option");
	int r = loader_run(vm, e);
	if (!r)
		r = pass_open(vm, e);
	if (r)
		return r;
	r = sandbox_check(vm, e);
	if (r)
		return r;
	if (!vm->boot.have_entry)
		return qerr_set(e, -EINVAL, "qvm: nothing to run: no `load` of an executable image");
	if (vm->ncpus == 0)
		vm->ncpus = 1;
	r = vdevs_assign(vm, e);
	return r ? r : arch_config_check(vm, e);
}

int vm_prepare(struct qvm_vm *vm, struct qerr *e)
{
	int r;

	r = arch_boot_setup(vm, &vm->boot, e);
	/*
	 * The in-kernel devices come after the last memory slot: here a slot
	 * added once the irqchip exists took 4-10 ms, before it 0.1 ms.
	 */
	if (!r)
		r = arch_vm_init(vm, e);
	if (r)
		return r;
	if (vm_publish_map(vm))
		return qerr_set(e, -ENOMEM, "out of memory");
	r = vcpus_create(vm, e);
	/* Built: from here on (vdev and timer threads are yet to come) qvm needs little. */
	if (!r && vm->privs.enforce)
		r = privs_drop(vm, e);
	if (r)
		return r;
	r = timers_start(vm, e);
	if (r)
		return r;

	atomic_store_explicit(&vm->phase, QVM_PHASE_RUNNING, memory_order_release);
	return vm_vdevs_control(vm, VDEV_CTRL_GUEST_CONFIGURED, e);
}

int vm_run(struct qvm_vm *vm)
{
	struct qerr e;

	if (vm_vdevs_control(vm, VDEV_CTRL_GUEST_STARTING, &e)) {
		vm_log(vm, QL_QVM_ERR, "%s", e.msg);
		term_request(vm, QVM_EXIT_FATAL);	/* unless an exit was asked for already */
		term_exit_now(vm, term_code(vm));
	}
	if (term_requested(vm))	/* guest_terminate during GUEST_CONFIGURED/STARTING */
		term_exit_now(vm, term_code(vm));
	atomic_store_explicit(&vm->phase, QVM_PHASE_STARTED, memory_order_release);
	if (signals_stop_pending())	/* asked to stop while starting */
		term_request(vm, signals_stop_pending());
	if (pass_start(vm, &e)) {
		vm_log(vm, QL_QVM_ERR, "%s", e.msg);
		term_request(vm, QVM_EXIT_FATAL_RUNNING);
	}
	if (vcpus_start(vm, &e)) {
		vm_log(vm, QL_QVM_ERR, "%s", e.msg);
		term_request(vm, QVM_EXIT_FATAL_RUNNING);
	}
	power_start(vm);
	vcpus_wait_exit(vm);
	return term_shutdown(vm);
}
