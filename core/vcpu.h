/* vCPU threads: one per `cpu`, each running KVM_RUN and dispatching exits. */
#ifndef QVM_VCPU_H
#define QVM_VCPU_H

#include "vm.h"

int vcpus_create(struct qvm_vm *vm, struct qerr *e);
int vcpus_start(struct qvm_vm *vm, struct qerr *e);
/* Block until term_request(); with quit-on-halt, end when all vCPUs idle. */
void vcpus_wait_exit(struct qvm_vm *vm);
/* Ask every vCPU to leave its loop at its next exit (any thread, no waiting). */
void vcpus_request_stop(struct qvm_vm *vm);
/*
 * Hold every vCPU still with its registers saved (arch_vcpu_save_regs), for
 * a consistent dump or a change of memory slots; answered[i] says which did
 * within 200 ms (the caller's own vCPU, if it is one, counts as held; one
 * busy in a vdev holds at its next exit). Returns how many. Each
 * vcpus_pause needs its vcpus_resume(); pauses may overlap.
 */
unsigned vcpus_pause(struct qvm_vm *vm, bool *answered);
void vcpus_resume(struct qvm_vm *vm);
/*
 * Kick every vCPU (but the caller's own) to note its ARCH_POWER_* state in
 * cpu->power; answered[i] says which did within wait_ms.
 */
void vcpus_ask_power(struct qvm_vm *vm, unsigned wait_ms, bool *answered);
/* The sampling thread of guest_power_state_* notifications (core/power.c). */
void power_start(struct qvm_vm *vm);
void power_stop(struct qvm_vm *vm);
void power_destroy(struct qvm_vm *vm);
/* Log each vCPU's billable vdev time (guest_clock_start/stop), where there is any. */
void vcpus_report_billed(struct qvm_vm *vm);
/* Stop and join every vCPU thread. */
void vcpus_stop(struct qvm_vm *vm);
/* Stop and free the vCPUs; false if a thread was left behind (nothing freed then). */
bool vcpus_destroy(struct qvm_vm *vm);

/* Kick cpu out of KVM_RUN with no request (it passes a quiescent point). */
void vcpu_kick(struct guest_cpu *cpu);

/* The vCPU whose thread this is, or NULL. */
extern _Thread_local struct guest_cpu *vcpu_self;

/*
 * A quiescent point: called by the vCPU's thread between exits, holding no
 * pointer into a region map. A newer epoch also drops the hints, which may
 * point into a map about to be freed.
 */
static inline void vcpu_quiescent(struct guest_cpu *cpu)
{
	uint64_t e = atomic_load_explicit(&cpu->vm->map_epoch, memory_order_acquire);

	if (e != cpu->last_epoch) {
		cpu->last_epoch = e;
		cpu->hint_map = NULL;
	}
	atomic_store_explicit(&cpu->seen_epoch, e, memory_order_release);
}

/* The vCPU's thread starts reading maps (a full fence: it was not counted until now). */
static inline void vcpu_online(struct guest_cpu *cpu)
{
	atomic_store(&cpu->seen_epoch, atomic_load(&cpu->vm->map_epoch));
	atomic_thread_fence(memory_order_seq_cst);
	vcpu_quiescent(cpu);
}

/* The vCPU's thread reads no map any more. */
static inline void vcpu_offline(struct guest_cpu *cpu)
{
	atomic_store_explicit(&cpu->seen_epoch, UINT64_MAX, memory_order_release);
}

/* Preset the operand blocks dispatch hands to vdevs (their types never change). */
static inline void vcpu_init_operands(struct guest_cpu *cpu)
{
	cpu->vop[REGION_MEM] = (struct qvm_state_block){ .qst_type = QST_MEMORY };
	cpu->vop[REGION_IO] = (struct qvm_state_block){ .qst_type = ARCH_IO_QST };
	cpu->oop = (struct qvm_state_block){ .qst_type = QST_IMMEDIATE };
}

/* Complete a region of a map being built: what dispatch_access needs (core/dispatch.c). */
void dispatch_prepare_region(struct qvm_region *r);

/* Handle one MMIO or port access (core/dispatch.c). data: len bytes in/out. */
void dispatch_access(struct guest_cpu *cpu, unsigned space, uint64_t addr,
		unsigned len, bool write, uint8_t *data);

/*
 * guest_cpu_read/write of len bytes at addr in space owned by a vdev
 * (core/peer.c): that vdev's vread or vwrite, on this thread. gcp is the
 * caller's vCPU or NULL. 0, -1 (nothing answers there: the guest would
 * fault) or an errno value.
 */
int peer_access(struct qvm_vm *vm, struct guest_cpu *gcp, unsigned space, uint64_t addr,
		uint8_t *data, unsigned len, bool write);

#endif
