/*
 * qvm/gasp.h - the guest address space: regions a vdev owns, and mapping
 * guest memory into qvm (e.g. for a vdev doing DMA).
 *
 * Phases (qvm stops with a message when a rule is broken):
 *   gasp_region_set        startup only (before VDEV_CTRL_GUEST_CONFIGURED)
 *   gasp_region_set_soft   running only, between gasp_lock() and gasp_unlock()
 *   everything else        either phase
 */
#ifndef QVM_GASP_H
#define QVM_GASP_H

#include <sys/mman.h>	/* PROT_* for the map calls */

#include <qvm/types.h>

#ifdef __cplusplus
extern "C" {
#endif

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
};

/*
 * A region of the guest's address space. guest.qst_type is QST_MEMORY or
 * QST_X86_IO; accesses inside it reach vdev's vread/vwrite with cookie.
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

/* Serialise changes to a space (QST_MEMORY or QST_X86_IO). 0 or an errno. */
int gasp_lock(uint16_t type);
int gasp_unlock(uint16_t type);

/*
 * Add regions at startup. A region that overlaps memory or another region
 * stops qvm with a configuration error naming the vdev.
 */
void gasp_region_set(unsigned num_regions, const struct gasp_region *rgn);

/*
 * Add, change (same guest.location) or delete (grf_flags GRF_NONE) regions
 * while the guest runs; the caller holds gasp_lock() for the space.
 * Returns num_regions, or the index of the first region that failed (errno set).
 */
unsigned gasp_region_set_soft(unsigned num_regions, const struct gasp_region *rgn);

/* What lies at blk->location (blk->qst_type's space). EOK, or ENOENT if nothing. */
int gasp_region_info(const struct qvm_state_block *blk, struct gasp_region *rgn);

/*
 * A free, align-aligned range of size bytes in space qst (QST_MEMORY or
 * QST_X86_IO), or QSL_NO_LOCATION; _range looks only in [min_addr, max_addr].
 */
uint64_t gasp_find_free(unsigned qst, uint64_t size, uint64_t align);
uint64_t gasp_find_free_range(unsigned qst, uint64_t size, uint64_t align,
		uint64_t min_addr, uint64_t max_addr);

/*
 * Map guest memory into qvm. Guest RAM is ordinary host memory, so these
 * return a pointer straight into it (no copy, no page-table change) and
 * gasp_unmap only checks the pointer. qvm has no host-physical addresses:
 * gasp_map_contig returns the host (virtual) address in *ppaddr and the
 * contiguous length from there in *plength (at most its value on entry).
 * NULL (errno EFAULT) when the range is not guest RAM/ROM.
 */
void *gasp_map_contig(const vdev_t *vdev, int prot, uint64_t *ppaddr, size_t *plength);
void *gasp_map_sys(int prot, uint64_t guest_paddr, size_t length);
void *gasp_map_vdma(const vdev_t *vdev, int prot, uint64_t guest_paddr, size_t length);
void gasp_unmap(const void *ptr, size_t length, int flush);

#ifdef __cplusplus
}
#endif
#endif
