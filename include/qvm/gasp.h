/*
 * qvm/gasp.h - the guest address space: regions a vdev owns, and mapping
 * guest memory into qvm (e.g. for a vdev doing DMA).
 *
 * Phases (qvm stops with a message when a rule is broken):
 *   gasp_region_set, gram_* startup only (before VDEV_CTRL_GUEST_CONFIGURED)
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

/* Serialise changes to a space (QST_MEMORY or QST_X86_IO). 0 or an errno. */
int gasp_lock(uint16_t type);
int gasp_unlock(uint16_t type);

/*
 * Add regions at startup; one with grf_flags GRF_NONE removes its range
 * instead: from the caller's own regions, which split around it, or from
 * guest RAM (4 KiB pages of one ram range, none of them loaded yet: the
 * guest's memory map leaves the hole out). A region that overlaps memory
 * or another vdev's region, or a removal of nothing of the caller's,
 * stops qvm with a configuration error naming the vdev.
 */
void gasp_region_set(unsigned num_regions, const struct gasp_region *rgn);

/*
 * While the guest runs, with gasp_lock() held for the space: add, change
 * (same guest.location) or delete (grf_flags GRF_NONE) the caller's
 * regions; or, for 4 KiB pages of guest RAM, change what the guest may do
 * there: GRF_PASS_RD and GRF_PASS_WR pass reads and writes (GRF_PASS_EX
 * follows GRF_PASS_RD: KVM cannot trap instruction fetches alone [ours]),
 * GRF_NONE passes nothing; with GRF_VIRT_RD/WR the accesses not passed go
 * to the caller's vread/vwrite with the region's cookie, else they are
 * unsupported references. qvm's own view of the pages (gasp_map,
 * guest_cpu_read) is unchanged. KVM's memory slots change with the other
 * vCPUs held out of the guest for the moment.
 * Returns num_regions, or the index of the first region that failed
 * (errno: EPERM another vdev's region, EEXIST an overlap, ENOTSUP
 * write-only RAM, EACCES rom, ENOSPC more than 128 runs of pages).
 */
unsigned gasp_region_set_soft(unsigned num_regions, const struct gasp_region *rgn);

/*
 * What lies at blk->location (blk->qst_type's space): a vdev's region, or
 * for guest RAM its run of pages with the same permissions (GRF_MEMORY,
 * GRF_PASS_*). EOK, or ENOENT if nothing.
 */
int gasp_region_info(const struct qvm_state_block *blk, struct gasp_region *rgn);

/*
 * A free, align-aligned range of size bytes in space qst (QST_MEMORY or
 * QST_X86_IO), or QSL_NO_LOCATION; _range looks only in [min_addr, max_addr].
 */
uint64_t gasp_find_free(unsigned qst, uint64_t size, uint64_t align);
uint64_t gasp_find_free_range(unsigned qst, uint64_t size, uint64_t align,
		uint64_t min_addr, uint64_t max_addr);

/*
 * Guest-physical ranges for memory of the vdev's own (startup only):
 * reserve [loc, loc+size) (EOK, EEXIST if something is there), or find a
 * free align-aligned range of size bytes (in [range_start, range_end]) and
 * reserve it (QSL_NO_LOCATION if none). Nothing else is placed in a
 * reserved range; the guest sees nothing there until the vdev maps
 * something. The GRAM_HINT_* values are ours [ours].
 */
typedef unsigned gram_hint_flags_t;
enum {
	GRAM_HINT_NONE = 0,
	GRAM_HINT_BELOW_4G = 0x1,	/* within the first 4 GiB */
};
int gram_reserve(uint64_t loc, uint64_t size);
uint64_t gram_find_free(uint64_t size, uint64_t align, gram_hint_flags_t flags);
uint64_t gram_find_free_range(uint64_t size, uint64_t align, gram_hint_flags_t flags,
		uint64_t range_start, uint64_t range_end);

/*
 * Map guest memory into qvm. Guest RAM is ordinary host memory, so these
 * give a pointer straight into it (no copy, no page-table change) and
 * unmapping only checks the pointer. qvm has no host-physical addresses:
 * gasp_map_contig and gasp_map_host_contig return the host (virtual)
 * address in *ppaddr and the contiguous length from there in *plength (at
 * most its value on entry). A range that is not guest RAM/ROM is refused,
 * and so is writing ROM (but through gasp_map_firmware).
 *
 * The 8.0 calls take map flags, GMF_*. Their values are ours [ours]: each
 * carries GMF_TAG, so that a call in the 7.x argument order of
 * gasp_map_vdma (vdev, prot, paddr, length), whose last argument is then a
 * length, is caught (qvm stops, naming the vdev and the call) instead of
 * mapping the wrong range. The 7.x calls gasp_map_contig and gasp_map_sys
 * take PROT_* bits (GMF_* ones are understood there too).
 */
typedef uint32_t gasp_map_flags_t;
#define GMF_TAG		0x51000000u
#define GMF_READ	(GMF_TAG | 0x1u)
#define GMF_WRITE	(GMF_TAG | 0x2u)
#define GMF_EXEC	(GMF_TAG | 0x4u)
#define GMF_MAP_ANY	(GMF_TAG | 0x100u)	/* any mapping will do: always so here */

/* 8.0: [guest_paddr, +length) for the vdev's DMA. NULL with errno (EFAULT, EACCES) on failure. */
void *gasp_map_vdma(const vdev_t *vdev, uint64_t guest_paddr, size_t length, gasp_map_flags_t flags);
/* 7.x order and PROT_* bits. */
void *gasp_map_contig(const vdev_t *vdev, int prot, uint64_t *ppaddr, size_t *plength);
void *gasp_map_sys(int prot, uint64_t guest_paddr, size_t length);
void gasp_unmap(const void *ptr, size_t length, int flush);

/*
 * 8.0 mappings by handle. A handle is the caller's storage; after
 * gasp_unmap_handle() it stays valid and unmapping it again does nothing.
 * Each map call returns EOK or ENXIO (not guest memory, or prot not GMF_*
 * flags asking to read or write). gasp_map's signature is ours [ours] (the
 * vendor's page is not public); gasp_map_firmware maps ROM writable too.
 */
typedef struct {
	uint64_t reserved[3];
} gasp_map_handle_t;
errno_t gasp_map(const vdev_t *vdev, uint64_t guest_paddr, size_t length, gasp_map_flags_t prot,
		gasp_map_handle_t *h);
errno_t gasp_map_firmware(uint64_t guest_paddr, size_t length, gasp_map_flags_t prot,
		gasp_map_handle_t *h);
errno_t gasp_map_host_contig(const vdev_t *vdev, uint64_t *ppaddr, size_t *plength,
		gasp_map_flags_t prot, gasp_map_handle_t *h);
/* The mapping's address in qvm, NULL for a handle that maps nothing. */
void *gasp_get_vaddr(const gasp_map_handle_t *h);
void gasp_unmap_handle(gasp_map_handle_t *h);

#ifdef __cplusplus
}
#endif
#endif
