/*
 * qvm/vdev-core.h - defining and registering a virtual device (vdev).
 *
 * A vdev is a shared object vdev-NAME.so. From a constructor it fills in a
 * struct vdev_factory and calls vdev_register_factory(&f, QVM_VDEV_ABI).
 * qvm then creates one vdev_t per `vdev NAME` line of the configuration and
 * drives it through control() callbacks, in this order:
 *
 *   VDEV_CTRL_OPTIONS_START          defaults (e.g. v_block.location)
 *   VDEV_CTRL_FIRST_OPTIDX + i, arg  each of the vdev's own options
 *   VDEV_CTRL_OPTIONS_END            this vdev's options are done
 *   VDEV_CTRL_ASSIGN                 all vdevs' options done; pick loc/intr if unset
 *   VDEV_CTRL_GEN_FDT / GEN_ACPI     describe yourself (arm64 FDT / x86 ACPI)
 *   VDEV_CTRL_GUEST_CONFIGURED       VM complete: threads allowed, multi-threaded from here
 *   VDEV_CTRL_GUEST_STARTING         the boot vCPU is about to start
 *   VDEV_CTRL_STATUS / BUTTON        while running (SIGUSR1 / SIGTERM, SIGINT)
 *   VDEV_CTRL_TERMINATE              qvm is exiting
 *
 * Until GUEST_CONFIGURED qvm is single-threaded ("startup"); from then on
 * ("running") callbacks may come from several threads at once.
 */
#ifndef QVM_VDEV_CORE_H
#define QVM_VDEV_CORE_H

#include <signal.h>

#include <qvm/abi.h>
#include <qvm/types.h>

/* The vendor declares the FDT and ACPI helpers beside the vdev definitions. */
#include <qvm/acpi.h>
#include <qvm/fdt.h>

#ifdef __cplusplus
extern "C" {
#endif


/* Prefix of an option_list entry that takes no argument: "0" "emit-logger". */
#define QVM_OPTION_NO_ARG_PREFIX	"0"

enum {
	VDEV_CTRL_OPTIONS_START = 0,
	VDEV_CTRL_OPTIONS_END = 1,
	VDEV_CTRL_GUEST_CONFIGURED = 2,
	VDEV_CTRL_BOOTUP = VDEV_CTRL_GUEST_CONFIGURED,
	VDEV_CTRL_TERMINATE = 3,
	VDEV_CTRL_STATUS = 4,
	VDEV_CTRL_GEN_ACPI = 5,
	VDEV_CTRL_GEN_FDT = 6,		/* arg: parent node offset, (int)(uintptr_t)arg */
	VDEV_CTRL_BUTTON = 7,
	VDEV_CTRL_ASSIGN = 8,
	VDEV_CTRL_GUEST_STARTING = 9,
	VDEV_CTRL_PCI_BARS = 10,
	VDEV_CTRL_FIRST_OPTIDX = 16,	/* option i of option_list: FIRST_OPTIDX + i */
};

/* factory_flags */
enum {
	VFF_NONE = 0,
	VFF_INTR_NO = 0x2,		/* `intr` is not allowed */
	VFF_INTR_REQ = 0x4,		/* `intr` is required (after ASSIGN) */
	VFF_INTR_NONPCI = 0x8,
	VFF_LOC_NO = 0x10,		/* `loc` is not allowed */
	VFF_VDEV_MEM = 0x20,		/* `loc mem:` allowed */
	VFF_VDEV_X86_IO = 0x40,		/* `loc io:` allowed */
	VFF_VDEV_PCI = 0x80,		/* `loc pci:` allowed */
	VFF_MUTEX = 0x100,		/* qvm holds v_mtx around vread/vwrite */
	VFF_MUTEX_RECURSIVE = 0x200,	/* v_mtx is recursive */
	VFF_RC = 0x400,
	VFF_MANUAL_REGION = 0x800,	/* the vdev sets its own regions; qvm maps no `loc` */
};

/*
 * factory safety: which qvm variant the vdev is built for. A build with
 * WANT_SAFETY or VARIANT_safety defined selects the safety variant. qvm is
 * the non-safety variant and loads both kinds.
 */
enum {
	VDEV_SAFETY_NO = 0x55555555,
	VDEV_SAFETY_YES = (int)0xaaaaaaaau,
#if defined(WANT_SAFETY) || defined(VARIANT_safety)
	VDEV_SAFETY_SELECTED = VDEV_SAFETY_YES,
#else
	VDEV_SAFETY_SELECTED = VDEV_SAFETY_NO,
#endif
};

typedef unsigned vdev_ctrl_options_t;
typedef uint32_t vdev_factory_flags_t;
typedef void *(*vdev_thread_create_func_t)(void *arg);

/*
 * One instance of a vdev (8.0 layout). qvm allocates it; v_device points at
 * factory->extra_space zeroed bytes for the instance's own state.
 */
struct vdev_s {
	void *v_device;
	const struct vdev_factory *v_factory;
	struct qvm_state_block v_block;	/* loc: location, length, space */
	guest_intr_t v_intr;		/* intr */
	pthread_mutex_t v_mtx;		/* with VFF_MUTEX: held around vread/vwrite */
	struct qvm_sched_info v_sched;	/* sched */
};

typedef vdev_ref_status_t vdev_ref_func_t(vdev_t *vdp, unsigned cookie,
		const struct qvm_state_block *vopnd,
		const struct qvm_state_block *oopnd, struct guest_cpu *gcp);

struct vdev_pic_functions;	/* interrupt-controller vdevs (not yet) */

/*
 * A QNX pulse, as the factory's pulse callback receives it (the layout of
 * QNX's <sys/neutrino.h>). On Linux only vdev_pulse() events send them: code
 * is the one given there, value is 0.
 */
struct _pulse {
	uint16_t type;
	uint16_t subtype;
	int8_t code;
	uint8_t zero[3];
	union sigval value;
	int32_t scoid;
};
struct guest_timer_data;

struct vdev_factory {
	struct vdev_factory *next;	/* set by qvm */
	int (*control)(vdev_t *vdp, vdev_ctrl_options_t ctrl, const char *arg);
	vdev_ref_func_t *vread;		/* the guest reads the device */
	vdev_ref_func_t *vwrite;	/* the guest writes the device */
	int (*pulse)(vdev_t *vdp, const struct _pulse *pulse);
	/* a timer of guest_timer_create() expired (v_mtx held with VFF_MUTEX) */
	void (*timer)(vdev_t *vdp, void *data, const struct guest_timer_data *tdp,
			struct guest_cpu *gcp);
	const struct vdev_pic_functions *pic;
	const char *const *option_list;	/* NULL-terminated */
	const char *name;		/* NULL: from the file name vdev-NAME.so */
	vdev_factory_flags_t factory_flags;	/* VFF_* */
	unsigned acc_sizes;		/* bit (1u << bytes) per accepted width; 0 = any */
	unsigned extra_space;		/* bytes of v_device per instance */
	unsigned safety;		/* VDEV_SAFETY_* */
};

/*
 * A code guest_cpu_read/guest_cpu_write returned (not EOK) as what
 * vread/vwrite return: -1 (the guest must see an exception) is
 * VRS_BUS_ERROR, an errno value VRS_ERRNO + it.
 */
static inline vdev_ref_status_t guest_cpu_to_vrs(int errcode)
{
	return errcode == -1 ? VRS_BUS_ERROR : (vdev_ref_status_t)(VRS_ERRNO + errcode);
}

/*
 * Register a factory. Call it from the shared object's constructor with
 * abi = QVM_VDEV_ABI. A factory registered for another ABI is refused
 * (configuration error, exit 65).
 */
void vdev_register_factory(struct vdev_factory *factory, unsigned abi);

/*
 * Create a thread for the vdev (running phase only: after
 * VDEV_CTRL_GUEST_CONFIGURED). Like pthread_create; attr may be NULL; the
 * thread gets the vdev's `sched` setting when one was given.
 * Returns 0 or an errno value.
 */
int vdev_thread_create(const vdev_t *vdp, const char *name, pthread_t *tid,
		pthread_attr_t *attr, vdev_thread_create_func_t func, void *arg);

/*
 * The instance's private directory, for sockets and files
 * ($XDG_RUNTIME_DIR/qvm/SYSTEM/NAME, else /run/qvm/SYSTEM/NAME), created on
 * first use. Running phase only. NULL with errno set on failure.
 */
const char *vdev_path(const vdev_t *vdp);

/*
 * Fill *ev so that delivering it runs the factory's pulse callback for vdp
 * with code (v_mtx held with VFF_MUTEX). On QNX the event goes to the qvm's
 * channel; on Linux it is a SIGEV_THREAD event: hand it to timer_create(2)
 * or mq_notify(3), and each delivery calls the callback on a thread of the
 * C library's. priority and coid have no meaning here. Call it from
 * VDEV_CTRL_OPTIONS_START on; events stop calling back once the vdev got
 * VDEV_CTRL_TERMINATE.
 */
void vdev_pulse(vdev_t *vdp, const int8_t code, int priority, struct sigevent *ev, const int coid);

/* The instance's name (its `name` option, else the vdev's name). */
const char *vdev_name(const vdev_t *vdp);

/*
 * Describe the instance ("NAME at mem:0xADDR") into buf, as snprintf does:
 * returns the length it needs (buf may be NULL with count 0).
 */
int vdev_string(char *buf, size_t count, const vdev_t *vdp);

#ifdef __cplusplus
}
#endif
#endif
