/*
 * qvm/types.h - basic types shared by the qvm vdev API.
 *
 * Source-compatible with the QNX Hypervisor 8.0 vdev API: vdevs use the
 * symbolic names below; the numeric values are the ones qvm documents in
 * its compatibility reference.
 */
#ifndef QVM_TYPES_H
#define QVM_TYPES_H

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>
#include <pthread.h>

#ifdef __cplusplus
extern "C" {
#endif

/* What a qvm_state_block describes (qst_type). */
typedef uint16_t qvm_state_types_t;
enum {
	QST_MEMORY = 0,		/* guest-physical memory */
	QST_VIRTUAL = 1,	/* guest-virtual memory */
	QST_CPUREGS = 2,	/* CPU registers */
	QST_FPUREGS = 3,	/* FPU registers */
	QST_HOST = 4,		/* host memory */
	QST_PCI = 5,		/* PCI configuration space */
	QST_PCI_IO = 6,		/* PCI I/O space */
	QST_IMMEDIATE = 7,	/* the data of a trapped access (see guest_cpu_read) */
	QST_X86_IO = 0x8000,	/* x86 I/O port space */
	QST_ARM_SR = 0x8000,	/* arm64 system registers */
	QST_NO_TYPE = 0xffff,
};

typedef uint16_t qvm_state_flags_t;
enum {
	QSF_NONE = 0,
};

#define QSL_NO_LOCATION		(~(uint64_t)0)
#define QSL_KEEP_LOCATION	(QSL_NO_LOCATION - 1)

/*
 * A piece of guest (or host) state: a location in a space, and its length
 * in bytes. vread/vwrite receive two: vopnd, the device operand (the address
 * or port accessed), and oopnd, the other operand (the CPU side of the
 * access, to be moved with guest_cpu_read/guest_cpu_write).
 */
struct qvm_state_block {
	uint64_t location;
	uint64_t length;
	qvm_state_types_t qst_type;
	qvm_state_flags_t qst_flags;
	uint32_t spare;
};

/* The interrupt controller an interrupt line belongs to. */
enum guest_intr_pic {
	GIP_NONE = 0,
	GIP_IOAPIC,	/* "ioapic:N" (x86) */
	GIP_8259,	/* "8259:N" (x86) */
	GIP_GIC,	/* "gic:N" (arm64, N is the INTID) */
};

/* An interrupt line of the guest, as given by a vdev's `intr` option. */
typedef struct guest_intr {
	uint32_t pic;		/* enum guest_intr_pic; GIP_NONE = no interrupt */
	uint32_t line;		/* line (GSI / INTID) on that controller */
	uint64_t spare;
} guest_intr_t;

/* Scheduling of a vdev's threads (its `sched` option). */
struct qvm_sched_info {
	int priority;		/* 0 = inherit */
	int policy;		/* SCHED_* of <sched.h> */
};

/* Result of a vdev's vread/vwrite. */
typedef enum {
	VRS_NORMAL = 0,		/* done; the guest instruction completes */
	VRS_NO_ADVANCE = 1,	/* done, do not advance (treated as NORMAL on KVM) */
	VRS_ABORT = 2,		/* the vdev refuses the access: `unsupported reference` policy */
	VRS_BUS_ERROR = 3,	/* deliver a fault to the guest */
	VRS_CONTINUE = 4,	/* not handled: treat as an access nobody owns */
	VRS_TERMINATE = 5,	/* end the guest (exit code 6: unexpected vdev error) */
	VRS_ERRNO = 0x100,	/* VRS_ERRNO + errno: the access failed with errno */
} vdev_ref_status_t;

typedef struct vdev_s vdev_t;
struct guest_cpu;	/* opaque: the vCPU that made a trapped access */
struct vdev_factory;

#ifdef __cplusplus
}
#endif
#endif
