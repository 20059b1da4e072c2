/*
 * struct qvm_vm: everything one virtual machine owns. Nothing here is
 * process-global, so a test can build two VMs in one process. The vdev API
 * calls that name no VM (qvm_logf, guest_terminate, ...) reach the VM of
 * the calling thread (vm_current()).
 */
#ifndef QVM_VM_H
#define QVM_VM_H

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdint.h>

#include <qvm/vdev-core.h>

#include "console.h"
#include "acpi.h"
#include "arch.h"
#include "number.h"
#include "boot.h"
#include "devtree.h"
#include <qvm/log.h>

#include "log_impl.h"
#include "names.h"
#include "privs.h"
#include "qerr.h"
#include "regions.h"
#include "term.h"
#include "token.h"

#define QVM_MAX_MEM	64
#define QVM_MAX_CPUS	64
#define QVM_UNSUPP_SLOTS 1024	/* distinct addresses warned about */

/* One `ram` or `rom` range, backed by anonymous host memory. */
struct qvm_mem {
	uint64_t gpa, len;
	uint8_t *hva;
	bool rom;
};

/* `reserve loc` (core/reserve.c): a range qvm allocates nothing in itself. */
struct qvm_resv {
	unsigned space;			/* REGION_MEM or REGION_IO */
	uint64_t base, len;
	unsigned line;
};
#define QVM_MAX_RESERVE	256

/* `pass loc` (core/reserve.c): host memory (/dev/mem or a file) the guest sees at gpa. */
enum { PASS_R = 1, PASS_W = 2, PASS_X = 4 };
struct qvm_pass {
	uint64_t gpa, len, host;
	bool host_phys;			/* host is a host-physical address, else path is a file */
	char *path;
	unsigned flags;			/* PASS_* */
	const char *file;
	unsigned line;
	void *hva;			/* mapped by pass_open */
};
#define QVM_MAX_PASS	8

/* `pass intr PIC:N=/dev/uioN` (core/reserve.c): a UIO device's interrupts into the guest. */
struct qvm_pass_intr {
	struct qvm_vm *vm;
	guest_intr_t gi;
	char *path;
	const char *file;
	unsigned line;
	int fd, stop;			/* the device; an eventfd that ends its thread */
	pthread_t thread;
	bool started, device;		/* device: a character device (UIO), not a FIFO */
	_Atomic unsigned seen;		/* interrupts passed on */
};
#define QVM_PASS_SLOT0	(QVM_MAX_MEM + 8)	/* their KVM slots, among the architecture's 16 */

/*
 * What the guest may do in a run of a ram or rom range's pages, as
 * vdevs set it while the guest runs (gasp_region_set_soft; core/ram_perm.c):
 * each run is a KVM memory slot of its own, read-only, or no slot at all.
 */
enum ram_perm { RAM_RW, RAM_RO, RAM_NONE };
struct ram_piece {
	uint64_t gpa, len;
	unsigned mem;		/* its range, vm->mem[mem] */
	enum ram_perm perm;
	int slot;		/* its KVM memory slot, -1 for RAM_NONE */
};
#define QVM_MAX_PIECES	128	/* runs in all ranges: splitting past this fails with ENOSPC */

/* A `cpu` option: one vCPU and its thread's placement. */
struct qvm_cpu_cfg {
	cpu_set_t runmask;
	bool has_runmask;
	bool has_sched;
	int policy, prio;
	bool sporadic;			/* `sched H,L,R,P,B s`: SCHED_DEADLINE (core/vcpu.c) */
	struct qvm_sporadic spor;
};

enum qvm_phase {
	QVM_PHASE_STARTUP,	/* configuring; single-threaded */
	QVM_PHASE_RUNNING,	/* GUEST_CONFIGURED delivered; threads allowed */
	QVM_PHASE_STARTED,	/* GUEST_STARTING delivered; the guest runs */
};

/* `unsupported` policies. */
enum qvm_unsupp_kind { UNSUPP_INSTRUCTION, UNSUPP_REFERENCE, UNSUPP_REGISTER, UNSUPP_KINDS };
enum qvm_unsupp_action { UNSUPP_ABORT, UNSUPP_FAIL, UNSUPP_IGNORE };

/* Requests to a vCPU thread, raised with vcpu_kick(). */
enum {
	VCPU_REQ_STOP = 1u << 0,
	VCPU_REQ_HALT_CHECK = 1u << 1,
	VCPU_REQ_PAUSE = 1u << 2,	/* save registers, then wait until resumed */
};
enum vcpu_ack { ACK_HALT_CHECK, ACK_PAUSE };

/* One vCPU; the API's opaque struct guest_cpu. */
struct guest_cpu {
	struct qvm_vm *vm;
	unsigned index;
	int fd;
	struct kvm_run *run;
	pthread_t thread;
	_Atomic bool thread_started;
	bool abandoned;			/* did not stop in time: its state is never freed */
	_Atomic unsigned requests;
	/* Last region hit in each space: device registers are hit in runs. */
	const struct qvm_region *hint[REGION_SPACES];
	const struct qvm_regmap *hint_map;
	/* The access being dispatched: its data (guest_cpu_read/write), its operands. */
	uint8_t *data;
	unsigned data_len;
	struct qvm_state_block vop[REGION_SPACES], oop;	/* types preset: vcpu_init_operands() */
	/* Answers to requests, counted per kind (enum vcpu_ack). */
	_Atomic unsigned acks[2];
	_Atomic bool halted_idle;
	_Atomic unsigned power;		/* ARCH_POWER_* at the last HALT_CHECK */
	_Atomic bool held;		/* paused: counts as answering later pauses */
	_Atomic bool in_run;		/* inside KVM_RUN (or about to be) */
	unsigned deadline_eagain;	/* under SCHED_DEADLINE: KVM_RUN's EAGAINs (core/vcpu.c) */
	bool deadline;
	/* Map epoch this vCPU has passed (core/maps.c); UINT64_MAX while it is not running. */
	_Atomic uint64_t seen_epoch;
	uint64_t last_epoch;		/* the epoch of its hints */
	/* guest_clock_start/stop: since when (0: not running), and the total (ns) */
	uint64_t bill_since;
	_Atomic uint64_t billed_ns;
	/* QST_CPUREGS in this exit: a copy in arch (arch_cpu_regs), written to? */
	enum { VCPU_REGS_KVM, VCPU_REGS_COPIED, VCPU_REGS_WRITTEN } regs;
	struct arch_vcpu arch;
};

/* One vdev instance. vdp points at pub; the rest is qvm's. */
struct qvm_vdev {
	vdev_t pub;
	struct qvm_vm *vm;
	const struct vdev_factory *factory;
	const char *type;		/* the vdev's name (from its .so) */
	char name[64];			/* instance name */
	const struct qvm_token *where;	/* the `vdev NAME` token */
	bool loc_given;
	_Atomic bool terminated;	/* TERMINATE delivered (exactly once) */
	struct qvm_logger log;		/* its `log` option, else the VM's */
	bool has_log;
	char *path;			/* vdev_path(), made on first use */
	struct pulse_target *pulses;	/* what vdev_pulse() made (core/vdev_services.c) */
	struct cdev_qvm *cdevs;		/* its cdevs not yet ended (core/cdev.c) */
	size_t path_had;		/* the part of path that existed before: ours is past it */
	bool no_status;			/* `set debug off`: left out of SIGUSR1's status */
	struct qvm_vdev *next;
};

struct qvm_load;

/* A gram_reserve()d range (core/gram.c). */
struct qvm_gram {
	uint64_t gpa, len;
	struct qvm_vdev *vdev;
};

/* The lowest N for which "TYPE-N" may be free (1: TYPE itself). */
struct auto_name {
	const struct vdev_factory *factory;
	unsigned next;
};

/* At most this many vdevs in one VM: a configuration error beyond. */
#define QVM_MAX_VDEVS	16384

struct qvm_vm {
	int kvm_fd, vm_fd;
	size_t run_size;
	char system[64];

	struct qvm_mem mem[QVM_MAX_MEM];
	struct qvm_resv resv[QVM_MAX_RESERVE];
	unsigned nresv;
	guest_intr_t resv_intr[QVM_MAX_RESERVE];
	unsigned nresv_intr;
	struct qvm_pass pass[QVM_MAX_PASS];
	unsigned npass;
	struct qvm_pass_intr pass_intr[QVM_MAX_PASS];
	unsigned npass_intr;
	unsigned nmem;
	/* the ranges' runs of pages as KVM has them, in address order (regions_lock) */
	struct ram_piece pieces[QVM_MAX_PIECES];
	unsigned npieces;
	int max_slots;			/* KVM_CAP_NR_MEMSLOTS */

	struct qvm_cpu_cfg cpu_cfg[QVM_MAX_CPUS];
	unsigned ncpus;
	struct guest_cpu *cpus;

	struct qvm_vdev *vdevs, **vdev_tail;
	unsigned nvdevs;
	struct name_set vdev_names;	/* every instance name (core/names.c) */
	struct auto_name *auto_names;	/* per vdev type, the next "TYPE-N" to try */
	unsigned nauto_names;
	struct qvm_vdev *pics;		/* built-in interrupt controllers (core/intr.c) */
	unsigned npics;
	struct pic_alias *pic_aliases;	/* their other names (`vdev ioapic name NAME`) */
	unsigned npic_aliases;
	_Atomic bool msi_warned;	/* guest_msi_signal() failed once */

	struct region_builder regions;
	struct qvm_gram *gram;		/* reserved guest-physical ranges (core/gram.c) */
	unsigned ngram, gram_cap;
	_Atomic(const struct qvm_regmap *) map;

	struct qvm_boot boot;		/* what the guest is handed (core/boot.h) */
	char *cmdline;
	struct qvm_load *loads;		/* the `load` plan (core/loader.c) */
	unsigned nloads, loads_cap;
	struct qvm_blob *placed;	/* every range the loads filled, for what qvm places after */
	unsigned nplaced, placed_cap;
	unsigned initrd_placed;		/* the initrd's entry in placed */

	enum qvm_unsupp_action unsupp[UNSUPP_KINDS];
	_Atomic uint64_t unsupp_seen[QVM_UNSUPP_SLOTS];
	_Atomic bool unsupp_full;

	bool quit_on_halt, dryrun;
	bool halt_exits;		/* `set exit-on-halt` (the vendor's): HLT/WFI leave the guest */
	bool legacy_free;		/* `set legacy-free`: ACPI says no ISA devices, no 8259s */
	enum { QVM_SAFETY_NONE, QVM_SAFETY_WARN, QVM_SAFETY_REQUIRED } safety;	/* `safety` */
	bool list_set_vars;		/* `set ?`: list them and stop */
	unsigned nshmem;		/* shmem vdevs so far (core/shmem.c: their KVM slots) */
	uint64_t counter_offset;	/* `set counter-offset` (arch_vcpus_created) */
	struct qvm_privs privs;		/* core/privs.c */
	unsigned button_timeout;	/* s from the power button to a power cut */
	char *fdt_dump_file;
	struct qvm_fdt fdt;		/* the guest's FDT (core/devtree.c) */
	struct qvm_acpi acpi;		/* the guest's ACPI tables (core/acpi.c) */
	struct qvm_logger log;
	bool logger_given;

	_Atomic int phase;
	const struct qvm_token *cur_tok;	/* option being processed, for errors */

	/* vdev timers (core/timer.c) */
	pthread_mutex_t timer_lock;
	pthread_cond_t timer_cond;
	struct guest_timer *timers;
	pthread_t timer_thread;
	bool timer_thread_started, timer_stop;
	uint64_t t0_ns;			/* host monotonic time of guest time 0 */

	/* gasp (core/gasp.c): a lock per space, and maps replaced while running */
	pthread_mutex_t gasp_mtx[REGION_SPACES];
	pthread_t gasp_owner[REGION_SPACES];
	bool gasp_held[REGION_SPACES];
	struct retired_map *retired;	/* replaced maps not yet freed (core/maps.c) */
	unsigned nretired;
	_Atomic uint64_t map_epoch;	/* bumped by each vm_publish_map */
	pthread_mutex_t regions_lock;	/* builder + publish while running (either space) */

	/* vCPUs held still (core dumps, memory slot changes): by how many holders */
	pthread_mutex_t pause_lock;
	pthread_cond_t pause_cond;
	unsigned paused;
	pthread_mutex_t dump_lock;
	char *dump_dest;		/* `dump DIR` or `dump "|CMD"` */
	/* qvm_report's lines while a SIGUSR2 dump collects the vdevs' status (core/log.c) */
	pthread_mutex_t report_lock;
	bool report_capture;
	char *report;
	size_t report_len;

	pthread_t main_thread;
	pthread_mutex_t kick_lock;	/* thread_started vs. signalling a joined thread */
	bool timer_abandoned;
	/* guest_power_state_* (core/power.c) */
	pthread_mutex_t power_lock;
	pthread_cond_t power_cond;
	struct guest_power_state_notify *power_notifies;
	pthread_t power_thread;
	bool power_running, power_stop;
	_Atomic bool stdin_taken;	/* a cdev reads qvm's standard input (core/cdev.c) */
	struct console console;		/* the guest's console and the log in one place */
	struct qvm_term term;		/* core/term.c */

	struct arch_vm arch;
};

/*
 * The lifecycle (main): vm_create (no KVM yet), config_run (options to
 * vdevs as they are read, loads planned), vm_check (loads carried out,
 * ASSIGN), vm_build (KVM, memory slots), vm_prepare (boot tables, irqchip,
 * vCPUs, GUEST_CONFIGURED), vm_run.
 */
int vm_create(struct qvm_vm **out, struct qerr *e);
void vm_destroy(struct qvm_vm *vm);

/* Open KVM and create the VM in it from the checked configuration (core/kvm.c). */
int vm_build(struct qvm_vm *vm, struct qerr *e);
void vm_kvm_close(struct qvm_vm *vm);

/* The VM of the calling thread; vm_set_current() binds a thread to a VM. */
struct qvm_vm *vm_current(void);
void vm_set_current(struct qvm_vm *vm);

/* Guest memory. */
int vm_add_mem(struct qvm_vm *vm, bool have_start, uint64_t start, uint64_t len,
		bool rom, struct qerr *e);
/* Every ram/rom range as a KVM memory slot (vm_build). */
/* The ranges to KVM as memory slots, one piece each (core/ram_perm.c). */
int mem_register_slots(struct qvm_vm *vm, struct qerr *e);
/* The piece holding gpa, or NULL (regions_lock, or from the vCPU changing them). */
const struct ram_piece *ram_piece_at(const struct qvm_vm *vm, uint64_t gpa);
/*
 * Running: pages [gpa, gpa+len) of a ram range (4 KiB-aligned) become
 * perm for the guest; KVM's slots change with the other vCPUs held still.
 * Under regions_lock. 0 or -errno (EINVAL, EACCES for rom, ENOSPC).
 */
int ram_set_perm(struct qvm_vm *vm, uint64_t gpa, uint64_t len, enum ram_perm perm);
/*
 * Startup, before KVM: take [gpa, gpa+len) out of guest RAM for good (its
 * range splits in two). 0 or an errno with why.
 */
int mem_punch_hole(struct qvm_vm *vm, uint64_t gpa, uint64_t len, char *why, size_t wlen);
void mem_destroy(struct qvm_vm *vm);
/* The ram/rom range holding gpa, or NULL. */
const struct qvm_mem *vm_mem_at(const struct qvm_vm *vm, uint64_t gpa);
/* Host address of [gpa, gpa+len) if it lies in one ram/rom range, else NULL. */
void *vm_gpa_to_hva(struct qvm_vm *vm, uint64_t gpa, uint64_t len);
/* The name of what occupies [base, base+len) in space, NULL if free. */
/* KVM memory slot `slot` maps len bytes at hva to gpa (len 0 deletes it): 0 or -errno. */
int vm_slot_set(struct qvm_vm *vm, unsigned slot, uint64_t gpa, uint64_t len, void *hva,
		bool readonly);
const char *vm_range_owner(struct qvm_vm *vm, unsigned space, uint64_t base, uint64_t len);

/*
 * Publish the builder's regions as the map vCPUs use; the old one is freed
 * once every vCPU has passed a quiescent point (core/maps.c). Under
 * regions_lock while vCPUs run.
 */
int vm_publish_map(struct qvm_vm *vm);
void maps_destroy(struct qvm_vm *vm);

/* Lifecycle: deliver ctrl to every vdev in configuration order. */
int vm_vdevs_control(struct qvm_vm *vm, unsigned ctrl, struct qerr *e);
/* Configuration complete and consistent? Sends ASSIGN, maps vdev locations. */
int vm_check(struct qvm_vm *vm, struct qerr *e);
/* Build what the guest needs, create vCPUs, deliver GUEST_CONFIGURED. */
int vm_prepare(struct qvm_vm *vm, struct qerr *e);
/* Start the vCPUs and wait until the guest ends; returns the exit code. */
int vm_run(struct qvm_vm *vm);

/*
 * A rule of the vdev API broken (core/api.c): stop qvm with a message naming
 * the vdev, the function and the rule; QVM_EXIT_FATAL before the guest
 * started, QVM_EXIT_FATAL_RUNNING after. Returns only on a thread that must
 * go on (then with an errno).
 */
int api_violation(struct qvm_vm *vm, const vdev_t *vdp, const char *fn, const char *rule);

/* "FILE:LINE: " of the option being processed, or "" (core/api.c). */
const char *vm_where(struct qvm_vm *vm, char *buf, size_t len);

/* What gram_reserve() holds of [base, base+len) ("a gram_reserve() range"), or NULL. */
const char *gram_owner(const struct qvm_vm *vm, uint64_t base, uint64_t len);
void gram_free(struct qvm_vm *vm);

/* A `reserve loc` range overlapping base..base+len in space, or NULL (core/reserve.c). */
const struct qvm_resv *reserve_overlap(const struct qvm_vm *vm, unsigned space, uint64_t base,
		uint64_t len);
/* `pass loc`: map each host resource (vm_check), give each a KVM slot (the build), undo. */
int pass_open(struct qvm_vm *vm, struct qerr *e);
int pass_register_slots(struct qvm_vm *vm, struct qerr *e);
/* `pass intr`: a thread per interrupt, started with the guest. */
int pass_start(struct qvm_vm *vm, struct qerr *e);
void pass_stop(struct qvm_vm *vm);
void pass_destroy(struct qvm_vm *vm);

/* `set ?`: the variables this qvm knows, as the vendor lists them (core/setvars.c). */
void setvars_list(FILE *f);

/* The built-in interrupt controllers as vdev_t's, for guest_intr_t.pic (core/intr.c). */
int intr_init(struct qvm_vm *vm, struct qerr *e);
void intr_destroy(struct qvm_vm *vm);
/*
 * Another name for built-in controller pic ("ioapic"), as `intr NAME:N`
 * gives it: 0, or -EEXIST (a name of another controller), -ENOMEM.
 */
int intr_add_alias(struct qvm_vm *vm, const char *pic, const char *alias);
/*
 * At a PIC vdev's OPTIONS_END: its `name NAME`, if given, becomes another
 * name of built-in controller pic; a clash is a configuration error.
 */
void intr_vdev_named(vdev_t *vdp, const char *pic);
/* Parse "PIC:N" for vm: -EINVAL (unknown PIC, malformed) or -ERANGE (no such line). */
int intr_parse(struct qvm_vm *vm, const char *s, guest_intr_t *out, const char **end,
		struct qerr *e);

/*
 * The vdev whose code the calling thread is running (a callback, or a thread
 * of its own), for messages that name it. NULL in qvm's own code.
 */
extern _Thread_local struct qvm_vdev *vdev_running;

/* What vdev_pulse() made for d. */
void vdev_pulses_free(struct qvm_vdev *d);

static inline struct qvm_vdev *vdev_of(const vdev_t *vdp)
{
	return (struct qvm_vdev *)((char *)vdp - offsetof(struct qvm_vdev, pub));
}

static inline enum qvm_phase vm_phase(struct qvm_vm *vm)
{
	return (enum qvm_phase)atomic_load_explicit(&vm->phase, memory_order_acquire);
}

#endif
