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

/*
 * QNX's success value and error type, which glibc does not have; a program
 * that defines either itself (EOK as 0, errno_t as a macro) keeps its own.
 */
#ifndef EOK
#define EOK	0
#endif
#ifndef errno_t
typedef int errno_t;
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
	QSF_SEXT_SHIFT = 0,		/* bits 0-3: bytes to sign-extend */
	QSF_ZEXT_SHIFT = 4,		/* bits 4-7: bytes to zero-extend */
	QSF_EXT_MASK = 0xf,
	QSF_FORCE_WRITE = 0x4000,
	QSF_REPORT_EXCEPTION = 0x8000,
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

typedef struct vdev_s vdev_t;

/*
 * An interrupt line of the guest, as given by a vdev's `intr PIC:N` option.
 * pic is the controller (qvm's built-in "ioapic", "8259" or "gic" are
 * vdev_t's of their own); NULL means no interrupt was given.
 */
typedef struct {
	vdev_t *pic;
	unsigned param;		/* the line on that controller (GSI, pin, INTID) */
	unsigned src_id;
} guest_intr_t;

/* guest_intr_signal(): what to do with the line. */
typedef unsigned guest_intr_state_t;
enum guest_intr_state {
	GIS_NOP = 0x00,
	GIS_ON = 0x01,		/* assert */
	GIS_OFF = 0x02,		/* de-assert */
	GIS_ISR = 0x04,		/* alone: may I signal from an ISR? with ON/OFF: I am one */
};

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

typedef uint32_t gasp_region_flags_t;
enum gasp_region_flags {
	GRF_NONE = 0x0,		/* with gasp_region_set_soft: delete the region */
	GRF_VIRT_RD = 0x1,	/* guest reads trap to the vdev's vread */
	GRF_VIRT_WR = 0x2,	/* guest writes trap to the vdev's vwrite */
	GRF_VIRT_EX = 0x4,
	GRF_VIRT_ANY = GRF_VIRT_RD | GRF_VIRT_WR | GRF_VIRT_EX,
	GRF_PASS_RD = 0x8,	/* pass-through regions: not supported yet */
	GRF_PASS_WR = 0x10,
	GRF_PASS_EX = 0x20,
	GRF_PASS_ANY = GRF_PASS_RD | GRF_PASS_WR | GRF_PASS_EX,
	GRF_NOCACHE = 0x40,
	GRF_ACTIVE = 0x80,	/* reported by gasp_region_info */
	GRF_MEMORY = 0x100,	/* guest RAM/ROM (gasp_region_info) */
	/* the vendor's internal ones: reported, never asked of a vdev */
	GRF_PASSTHRU = 0x200,
	GRF_DMA_USES = 0x400,
	GRF_DMA_NO_USE = 0x800,
	GRF_DMA_SOURCE = 0x1000,
	GRF_DMA_TARGET = 0x2000,
	GRF_PRECIOUS = 0x4000,
	GRF_NOPERMS = 0x8000,
	GRF_STICKY = GRF_MEMORY | GRF_DMA_SOURCE | GRF_DMA_TARGET | GRF_PASSTHRU,
};
#define GRF_BACKUP_SHIFT	(28 - 3)
#define GRF_BACKUP_MASK		0xf0000000u

/*
 * A region of the guest's address space (qvm/gasp.h's calls; here, as the
 * vendor's 8.0 pages have it). guest.qst_type is QST_MEMORY or QST_X86_IO;
 * accesses inside it reach vdev's vread/vwrite with cookie.
 */
struct gasp_region {
	union {
		gasp_region_flags_t grf_flags;	/* 8.0 name */
		uint32_t flags;			/* earlier name */
	};
	uint32_t cookie;
	vdev_t *vdev;
	uint64_t host_location;
	struct qvm_state_block guest;
};

struct guest_cpu;	/* opaque: the vCPU that made a trapped access */
struct vdev_factory;

#ifdef __cplusplus
}
#endif
#endif
