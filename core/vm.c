/* A VM's lifetime: KVM handles, guest memory, startup sequence, termination. */
#include "vm.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

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
	int r, api;

	if (!vm)
		return qerr_set(e, -ENOMEM, "out of memory");
	vm->kvm_fd = vm->vm_fd = -1;
	vm->vdev_tail = &vm->vdevs;
	vm->unsupp[UNSUPP_INSTRUCTION] = UNSUPP_FAIL;
	vm->unsupp[UNSUPP_REFERENCE] = UNSUPP_IGNORE;
	vm->unsupp[UNSUPP_REGISTER] = UNSUPP_FAIL;
	logger_init_default(&vm->log);
	vm->button_timeout = 10;
	vm->main_thread = pthread_self();
	timers_init(vm);
	for (unsigned s = 0; s < REGION_SPACES; s++)
		pthread_mutex_init(&vm->gasp_mtx[s], NULL);
	pthread_mutex_init(&vm->regions_lock, NULL);
	pthread_mutex_init(&vm->pause_lock, NULL);
	pthread_mutex_init(&vm->kick_lock, NULL);
	pthread_mutex_init(&vm->dump_lock, NULL);
	pthread_cond_init(&vm->pause_cond, NULL);
	term_init(&vm->term);
	*out = vm;
	atomic_store(&last_vm, vm);

	vm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0)
		return qerr_set(e, -errno, "cannot open /dev/kvm: %s", strerror(errno));
	api = ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0);
	if (api != KVM_API_VERSION)
		return qerr_set(e, -ENOTSUP, "/dev/kvm speaks API %d, qvm needs %d", api, KVM_API_VERSION);
	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0)
		return qerr_set(e, -errno, "KVM_CREATE_VM: %s", strerror(errno));
	r = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (r <= 0)
		return qerr_set(e, -EINVAL, "KVM_GET_VCPU_MMAP_SIZE failed");
	vm->run_size = (size_t)r;
	r = intr_init(vm, e);
	if (r)
		return r;
	return arch_vm_init(vm, e);
}

void vm_destroy(struct qvm_vm *vm)
{
	if (!vm)
		return;
	if (!vcpus_destroy(vm) || vm->timer_abandoned)
		return;	/* a thread still runs in vdev code: leave it a world to return to */
	timers_destroy(vm);
	vdevs_destroy(vm);
	intr_destroy(vm);
	for (unsigned i = 0; i < vm->nmem; i++)
		munmap(vm->mem[i].hva, vm->mem[i].len);
	free((void *)atomic_load(&vm->map));
	while (vm->retired) {
		struct retired_map *r = vm->retired;
		vm->retired = r->next;
		free((void *)r->map);
		free(r);
	}
	region_builder_free(&vm->regions);
	arch_vm_destroy(vm);
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	free(vm->cmdline);
	free(vm->fdt_dump_file);
	free(vm->dump_dest);
	struct qvm_vm *expect = vm;
	atomic_compare_exchange_strong(&last_vm, &expect, NULL);
	if (tls_vm == vm)
		tls_vm = NULL;
	free(vm);
}

/* ---- guest memory ---- */

int vm_add_mem(struct qvm_vm *vm, bool have_start, uint64_t start, uint64_t len,
		bool rom, struct qerr *e)
{
	const char *what = rom ? "rom" : "ram";
	const uint64_t page = 4096;
	struct qvm_mem *m;

	if (!have_start) {
		start = 0;
		for (unsigned i = 0; i < vm->nmem; i++)
			if (vm->mem[i].gpa + vm->mem[i].len > start)
				start = vm->mem[i].gpa + vm->mem[i].len;
	}
	if (len == 0)
		return qerr_set(e, -EINVAL, "%s length must not be 0", what);
	if ((start | len) & (page - 1))
		return qerr_set(e, -EINVAL, "%s 0x%llx,0x%llx: start and length must be multiples of 4K",
				what, (unsigned long long)start, (unsigned long long)len);
	if (start + len < start)
		return qerr_set(e, -ERANGE, "%s 0x%llx,0x%llx: ends past the top of the address space",
				what, (unsigned long long)start, (unsigned long long)len);
	for (unsigned i = 0; i < vm->nmem; i++) {
		const struct qvm_mem *o = &vm->mem[i];
		if (start < o->gpa + o->len && o->gpa < start + len)
			return qerr_set(e, -EEXIST, "%s 0x%llx-0x%llx overlaps %s 0x%llx-0x%llx", what,
					(unsigned long long)start, (unsigned long long)(start + len - 1),
					o->rom ? "rom" : "ram", (unsigned long long)o->gpa,
					(unsigned long long)(o->gpa + o->len - 1));
	}
	const char *arch_owner = arch_range_owner(vm, REGION_MEM, start, len);
	if (arch_owner)
		return qerr_set(e, -EEXIST, "%s 0x%llx-0x%llx overlaps %s", what,
				(unsigned long long)start, (unsigned long long)(start + len - 1), arch_owner);
	if (vm->nmem == QVM_MAX_MEM)
		return qerr_set(e, -ENOSPC, "too many ram/rom ranges (at most %d)", QVM_MAX_MEM);

	m = &vm->mem[vm->nmem];
	m->hva = mmap(NULL, len, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (m->hva == MAP_FAILED) {
		m->hva = NULL;
		return qerr_set(e, -errno, "%s 0x%llx bytes: cannot allocate host memory: %s", what,
				(unsigned long long)len, strerror(errno));
	}
	m->gpa = start;
	m->len = len;
	m->rom = rom;

	struct kvm_userspace_memory_region slot = {
		.slot = vm->nmem,
		.flags = rom ? KVM_MEM_READONLY : 0,
		.guest_phys_addr = start,
		.memory_size = len,
		.userspace_addr = (uintptr_t)m->hva,
	};
	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &slot) < 0) {
		int err = errno;
		munmap(m->hva, len);
		m->hva = NULL;
		return qerr_set(e, -err, "%s 0x%llx-0x%llx: KVM refused the memory slot: %s", what,
				(unsigned long long)start, (unsigned long long)(start + len - 1),
				strerror(err));
	}
	vm->nmem++;
	if (rom) {
		/* Guest writes to ROM exit as MMIO: drop them quietly, as hardware does. */
		int r = region_add(&vm->regions, REGION_MEM, start, len, NULL, 0, 0, NULL);
		if (r)
			return qerr_set(e, r, "rom 0x%llx: %s", (unsigned long long)start, strerror(-r));
	}
	return 0;
}

const struct qvm_mem *vm_mem_at(const struct qvm_vm *vm, uint64_t gpa)
{
	for (unsigned i = 0; vm && i < vm->nmem; i++)
		if (gpa >= vm->mem[i].gpa && gpa - vm->mem[i].gpa < vm->mem[i].len)
			return &vm->mem[i];
	return NULL;
}

void *vm_gpa_to_hva(struct qvm_vm *vm, uint64_t gpa, uint64_t len)
{
	const struct qvm_mem *m = vm_mem_at(vm, gpa);

	return m && len <= m->len - (gpa - m->gpa) ? m->hva + (gpa - m->gpa) : NULL;
}

const char *vm_range_owner(struct qvm_vm *vm, unsigned space, uint64_t base, uint64_t len)
{
	const struct qvm_region *r;

	if (space == REGION_MEM) {
		for (unsigned i = 0; i < vm->nmem; i++) {
			const struct qvm_mem *m = &vm->mem[i];
			if (base < m->gpa + m->len && m->gpa < base + len)
				return m->rom ? "rom" : "ram";
		}
	}
	r = region_find_overlap(&vm->regions, space, base, len);
	if (r)
		return r->vdev ? r->vdev->name : "rom";
	return arch_range_owner(vm, space, base, len);
}

/*
 * vCPUs may still be reading the old map: it is kept (not freed) until the
 * VM is destroyed. Maps change only through gasp_region_set_soft(), rarely.
 */
int vm_publish_map(struct qvm_vm *vm)
{
	struct qvm_regmap *map = regmap_build(&vm->regions, dispatch_prepare_region);
	struct retired_map *r = NULL;
	const struct qvm_regmap *old = atomic_load(&vm->map);

	if (!map || (old && !(r = malloc(sizeof(*r))))) {
		free(map);
		return -ENOMEM;
	}
	atomic_store_explicit(&vm->map, map, memory_order_release);
	if (r) {
		r->map = old;
		r->next = vm->retired;
		vm->retired = r;
	}
	return 0;
}

/* ---- startup ---- */

int vm_check(struct qvm_vm *vm, struct qerr *e)
{
	if (vm->nmem == 0)
		return qerr_set(e, -EINVAL, "qvm: no ram: the configuration needs a `ram` option");
	if (!vm->have_entry)
		return qerr_set(e, -EINVAL, "qvm: nothing to run: no `load` of an executable image");
	if (vm->ncpus == 0)
		vm->ncpus = 1;
	return vdevs_assign(vm, e);
}

int vm_prepare(struct qvm_vm *vm, struct qerr *e)
{
	int r;

	r = arch_vm_finalize(vm, e);
	if (r)
		return r;
	if (vm_publish_map(vm))
		return qerr_set(e, -ENOMEM, "out of memory");
	r = vcpus_create(vm, e);
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
	if (vcpus_start(vm, &e)) {
		vm_log(vm, QL_QVM_ERR, "%s", e.msg);
		term_request(vm, QVM_EXIT_FATAL_RUNNING);
	}
	vcpus_wait_exit(vm);
	return term_shutdown(vm);
}
