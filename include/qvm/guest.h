/*
 * qvm/guest.h - the guest as seen from a vdev: the data of trapped
 * accesses, guest memory, interrupts, timers, ending the guest.
 *
 * Phases (qvm stops with a message when a function is called outside its
 * phase): startup = until VDEV_CTRL_GUEST_CONFIGURED, running = from then on.
 *   startup only:  guest_timer_create
 *   running only:  guest_cpu_read, guest_cpu_write, guest_write_all_ones,
 *                  guest_intr_signal, guest_msi_signal, guest_timer_notify,
 *                  guest_timer_state
 *   started:       guest_write_core_file (after VDEV_CTRL_GUEST_STARTING)
 *   either:        guest_terminate
 */
#ifndef QVM_GUEST_H
#define QVM_GUEST_H

#include <qvm/cpuregs.h>
#include <qvm/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* guest_cpu_read / guest_cpu_write flags */
typedef unsigned guest_cpu_access_flags_t;
enum guest_xfer_flags {
	GXF_NONE = 0,
	GXF_PAUSE = 0x1,	/* accepted; qvm's transfers never need the vCPU paused */
	GXF_UNPAUSE = 0x2,
	GXF_ASYNC = 0x4,
	GXF_GDB = 0x8,
	GXF_FLUSH = 0x10,	/* accepted; coherent on the hosts qvm runs on */
};

/*
 * Move data between the vdev and the guest, block by block (nblks blocks
 * in order, data_len bytes in all at most), by each block's qst_type:
 *
 * QST_IMMEDIATE, with gcp and blk = oopnd from vread/vwrite: the data of
 * the trapped access. In vwrite, guest_cpu_read fetches the value the guest
 * wrote; in vread, guest_cpu_write hands over the value the guest reads.
 *
 * QST_MEMORY: guest-physical addresses. RAM and ROM are copied (ROM is
 * writable from here; a block may not run from one ram/rom range into
 * another: EINVAL). Anywhere else the block is one access of its length to
 * the vdev that owns the address, whose vread or vwrite runs on the
 * calling thread as if the guest had made it: another vdev's registers
 * (gcp may be NULL, from any thread). Reaching the caller's own registers
 * through its own VFF_MUTEX fails with EDEADLK; such accesses nest 4 deep
 * at most (ELOOP). Do not hold a v_mtx another vdev's callback may take.
 *
 * ARCH I/O space (QST_X86_IO on x86): a port of another vdev, likewise.
 *
 * QST_CPUREGS, with gcp from vread/vwrite, on that vCPU's thread: the
 * vCPU's registers, location an offset into CPU_REGISTERS (qvm/cpuregs.h:
 * what can be written, and when).
 *
 * QST_VIRTUAL, with gcp likewise: guest-virtual addresses, translated by
 * the vCPU's current page tables, page by page, then as QST_MEMORY. A
 * write to a read-only page faults unless flags has GXF_GDB.
 *
 * Returns EOK; -1 if the guest must see an exception: nothing answers at
 * the address (no memory, no vdev, or the vdev refused the access: a width
 * it does not take, VRS_BUS_ERROR, VRS_ABORT), or the translation faults.
 * With QSF_REPORT_EXCEPTION in the block's qst_flags and gcp given, qvm
 * delivers that fault to the guest itself (a bus error: #GP on x86, an
 * external abort on arm64 [ours]). Otherwise an errno value: EINVAL (a
 * block this call cannot move), ENOTSUP (QST_FPUREGS and the other types),
 * EDEADLK, ELOOP, or what the other vdev answered with VRS_ERRNO + errno.
 * guest_cpu_to_vrs() turns the result into vread/vwrite's return value.
 */
int guest_cpu_read(struct guest_cpu *gcp, guest_cpu_access_flags_t flags,
		const struct qvm_state_block *blk, unsigned nblks, void *data, size_t data_len);
int guest_cpu_write(struct guest_cpu *gcp, guest_cpu_access_flags_t flags,
		const struct qvm_state_block *blk, unsigned nblks, const void *data, size_t data_len);

/*
 * Start and stop the flow of billable vCPU time, from a vdev callback on a
 * vCPU's thread (vread, vwrite), around work that is not emulation
 * overhead. KVM works out a guest's stolen time itself, from the vCPU
 * thread's waits for a host CPU, so qvm cannot give this time to the
 * guest [ours]: it adds it up per vCPU and reports the totals in the
 * SIGUSR1 status and when qvm ends. A start while running restarts; a stop
 * without a start, or either off a vCPU's thread, does nothing.
 */
void guest_clock_start(void);
void guest_clock_stop(void);

/* Answer a read with all bits set (an access the vdev does not implement). */
int guest_write_all_ones(struct guest_cpu *gcp, guest_cpu_access_flags_t flags,
		const struct qvm_state_block *blk);

/*
 * Assert (GIS_ON) or de-assert (GIS_OFF) the interrupt line *gip, normally
 * &vdp->v_intr. Lines are level signals: a vdev asserts and later
 * de-asserts. Any thread may call it. Returns EOK or an errno value.
 */
errno_t guest_intr_signal(guest_intr_t *gip, guest_intr_state_t gis);

/*
 * Send the guest a message-signalled interrupt: data written to addr, as a
 * PCI device's MSI would (x86: addr 0xfee00000 | the destination APIC ID
 * << 12, data the vector). Running phase only. EOK, or the errno of an MSI
 * KVM cannot deliver (arm64 without an ITS), which is dropped with one
 * warning.
 */
int guest_msi_signal(const vdev_t *src, uint64_t addr, unsigned data);

/* ---- instruction traps ---- */

/* Guest instructions a vdev may ask to handle, with what their qualifier is. */
typedef unsigned guest_instr_type_t;
enum guest_instr_type {
	GIT_X86_CPUID = 0,	/* qualifier: the EAX value */
	GIT_ARM_SMC = 0,	/* qualifier: the SMC's immediate */
	GIT_ARM_MSR = 1,	/* qualifier: ARM_MAKE_SR_NUM() of the system register */
	GIT_ARM_MRS = 2,	/* likewise */
	GIT_FLAG_NO_QUALIFIER = 0x40000000,	/* any qualifier */
};
#define ARM_MAKE_SR_NUM(op0, op1, crn, crm, op2) \
	(((op0) << 14) | ((op1) << 11) | ((crn) << 7) | ((crm) << 3) | (op2))

typedef vdev_ref_status_t guest_instr_callback_func_t(vdev_t *vdp, struct guest_cpu *gcp,
		guest_instr_type_t git, unsigned qualifier);

/*
 * Have func called when the guest executes instruction git (with
 * qualifier, unless git has GIT_FLAG_NO_QUALIFIER). Under KVM none of
 * these instructions leaves the kernel: CPUID is answered from the table
 * qvm gives KVM at startup, SMC by KVM's PSCI, system registers by KVM
 * itself. So this returns ENOTSUP and logs a warning saying so [ours]; EINVAL
 * for a type that is not one of the above or a NULL func.
 */
int guest_instr_register(vdev_t *vdp, guest_instr_type_t git, unsigned qualifier,
		guest_instr_callback_func_t *func);

/* ---- the guest's power state ---- */

/*
 * The guest's power state: sets of vCPUs, bit i for vCPU i (base 0: vCPUs
 * 0-63), waiting for an interrupt (HLT, WFI) or powered off (an x86 AP
 * before its SIPI, an arm64 vCPU before PSCI CPU_ON or after CPU_OFF).
 * KVM handles both in the kernel, so qvm samples them by asking each vCPU
 * [ours]: a vCPU running guest code or a vdev callback is in neither set.
 */
typedef unsigned guest_power_state_cmd_t;
enum guest_power_state_cmd {
	GPSC_WAIT = 0x01,		/* the waiting set */
	GPSC_OFF = 0x02,		/* the powered-off set (both: the two ORed) */
	GPSC_FROM = 0x40000000,		/* notify when the old state matched mask/bits */
};
/* notify when the new state matches mask/bits (a macro: C enums stop at INT_MAX) */
#define GPSC_TO		0x80000000u
struct guest_power_state_notify;
/* curr: the new state of the set(s) asked for; base: the notification's */
typedef void guest_power_state_callback_func_t(void *data, uint64_t curr, unsigned base);

/*
 * The set(s) cmd names (GPSC_WAIT, GPSC_OFF or both) into result[0],
 * sampled now. Running phase. The number of results filled in (1), or
 * -EINVAL (base other than 0, nresult 0, no set named).
 */
int guest_power_state_current(guest_power_state_cmd_t cmd, unsigned base, unsigned nresult,
		uint64_t *result);
/*
 * A notification: created (any phase; NULL with errno ENOMEM), then set
 * with _register: func(data, curr, base) is called when the set(s) of cmd,
 * masked with mask, come to equal bits (GPSC_TO) or stop equalling them
 * (GPSC_FROM). While one is registered and the guest runs, qvm samples the
 * sets every 10 ms on a thread of its own [ours], which calls func; before
 * the first sample every vCPU counts as running. _delete stops and frees
 * it; a call of func already due may still come with its data.
 */
struct guest_power_state_notify *guest_power_state_notify_create(void);
void guest_power_state_notify_delete(struct guest_power_state_notify *qpnp);
void guest_power_state_notify_register(struct guest_power_state_notify *qpnp,
		guest_power_state_cmd_t cmd, unsigned base, uint64_t mask, uint64_t bits,
		guest_power_state_callback_func_t *func, void *data);

/* ---- timers ---- */

/*
 * Times of a timer, in nanoseconds: host_* on the host's monotonic clock,
 * guest_* on the guest's timeline (nanoseconds since the VM started).
 */
struct guest_timer_data {
	uint64_t host_notify_start;	/* when the timer was armed */
	uint64_t host_current;
	uint64_t guest_notify_start;
	uint64_t guest_current;
};

struct guest_timer;

/* guest_timer_notify(vtp, GUEST_TIMER_ABSOLUTE, t): t is a guest time. */
#define GUEST_TIMER_ABSOLUTE	((const struct guest_timer_data *)(uintptr_t)1)

/*
 * Create a timer for vdp (startup only). Expiries call the factory's timer
 * callback with data, the timer's times, and gcp (NULL: not per-CPU).
 * *resolutionp receives the timer's ticks per second (1,000,000,000: ticks
 * are nanoseconds). On failure: NULL, and *resolutionp holds the errno.
 */
struct guest_timer *guest_timer_create(const struct guest_cpu *gcp, const vdev_t *vdp,
		const void *data, uint64_t *resolutionp);

/*
 * Arm (or re-arm) a timer to expire once:
 *   tdp NULL:                  deadline ticks from now
 *   tdp GUEST_TIMER_ABSOLUTE:  at guest time deadline
 *   tdp from the callback:     deadline ticks after the expiry being handled,
 *                              for periodic timers that do not drift
 * deadline 0 with tdp NULL cancels the timer. Returns EOK or an errno value.
 */
int guest_timer_notify(struct guest_timer *vtp, const struct guest_timer_data *tdp,
		uint64_t deadline);

/* The timer's times now (guest_notify_start is 0 when it is not armed). */
void guest_timer_state(const struct guest_timer *vtp, struct guest_timer_data *tdp);

/* ---- ending the guest ---- */

/* Why the guest ended; the process exit code is the cause's value. */
typedef int guest_termination_cause_t;
enum {
	GTC_NORMAL_EXIT = 0,		/* exit 0 */
	GTC_POWER_CUT = 3,		/* exit 3 */
	GTC_WATCHDOG = 4,		/* exit 4 */
	GTC_UNSUPPORTED = 5,		/* exit 5 */
	GTC_VDEV_ERROR = 6,		/* exit 6 */
	GTC_UNEXPECTED = 7,		/* exit 7 */
	GTC_CUSTOM_MIN = 32,		/* 32..63: the exit code is the cause */
	GTC_MAX = 63,
};

/*
 * End the guest and qvm (after the guest started; before it, use
 * qvm_fatal). Every vdev gets VDEV_CTRL_TERMINATE once, vCPUs stop, and qvm
 * exits with the code of the cause. Safe from any thread, also from
 * vread/vwrite (the vCPU stops once the call returns). The first cause wins.
 */
void guest_terminate(guest_termination_cause_t cause);

/*
 * Write a core dump of the guest (as SIGUSR2 does, without the vdevs'
 * status) to the `dump` destination, soon, on a thread of qvm's: the call
 * does not wait for it. Once the guest started. EOK, ENOENT (no `dump`
 * option) or EAGAIN. The signature is ours [ours].
 */
int guest_write_core_file(void);

#ifdef __cplusplus
}
#endif
#endif
