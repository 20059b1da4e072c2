/*
 * The guest address map of trapped regions: which vdev owns an MMIO range
 * or an x86 I/O port range.
 *
 * Built during startup (single-threaded) in a region_builder, then
 * published as an immutable sorted array that vCPUs read with one acquire
 * load and a binary search: no lock and no allocation on the exit path.
 */
#ifndef QVM_REGIONS_H
#define QVM_REGIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <qvm/vdev-core.h>

#include "qerr.h"

struct qvm_vdev;

enum { REGION_MEM, REGION_IO, REGION_SPACES };

/* Which accesses trap to the vdev (the GRF_VIRT_* bits of qvm/gasp.h). */
enum { REGION_RD = 0x1, REGION_WR = 0x2, REGION_RW = REGION_RD | REGION_WR,
	REGION_MUTEX = 0x4 /* set by regmap_build's finisher: the vdev wants v_mtx held */ };

struct qvm_region {
	uint64_t base;
	uint64_t last;		/* inclusive, so a region may end at 2^64-1 */
	struct qvm_vdev *vdev;	/* NULL: ROM, writes dropped */
	/*
	 * Filled by regmap_build's finisher, so that dispatch needs nothing
	 * else: the callback per direction ([0] read, [1] write) and the access
	 * widths that reach it, bit (1 << bytes); 0 = none (trap flags,
	 * acc_sizes and missing callbacks folded in).
	 */
	vdev_ref_func_t *fn[2];
	uint16_t ok[2];
	uint32_t cookie;
	uint32_t flags;		/* REGION_RD / REGION_WR / REGION_MUTEX */
};

struct qvm_regmap {
	size_t n[REGION_SPACES];
	struct qvm_region *r[REGION_SPACES];
};

/* A map replaced while vCPUs may still read it (core/maps.c). */
struct retired_map {
	const struct qvm_regmap *map;
	uint64_t epoch;		/* map epoch at which it was replaced */
	struct retired_map *next;
};

struct region_builder {
	struct qvm_region *r[REGION_SPACES];
	size_t n[REGION_SPACES], cap[REGION_SPACES];
};

/* Add [base, base+len) to space. -EEXIST (and *clash set) if it overlaps. */
int region_add(struct region_builder *b, unsigned space, uint64_t base, uint64_t len,
		struct qvm_vdev *vdev, uint32_t cookie, uint32_t flags,
		const struct qvm_region **clash);

/* Remove the region of space that starts at base. -ENOENT if there is none. */
int region_remove(struct region_builder *b, unsigned space, uint64_t base);

/* The region of space that overlaps [base, base+len), or NULL. */
const struct qvm_region *region_find_overlap(const struct region_builder *b,
		unsigned space, uint64_t base, uint64_t len);

/*
 * A sorted, immutable copy of the builder's regions (free with free());
 * finish (may be NULL) completes each entry (dispatch_prepare_region).
 */
struct qvm_regmap *regmap_build(const struct region_builder *b,
		void (*finish)(struct qvm_region *r));

void region_builder_free(struct region_builder *b);

/*
 * The region of space holding addr, or NULL. *hint is the caller's last hit
 * (per vCPU); it is checked first and updated.
 */
static inline const struct qvm_region *regmap_lookup(const struct qvm_regmap *m,
		unsigned space, uint64_t addr, const struct qvm_region **hint)
{
	const struct qvm_region *h = *hint;
	if (h && addr >= h->base && addr <= h->last)
		return h;

	const struct qvm_region *r = m->r[space];
	size_t lo = 0, hi = m->n[space];
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (addr < r[mid].base)
			hi = mid;
		else if (addr > r[mid].last)
			lo = mid + 1;
		else {
			*hint = &r[mid];
			return &r[mid];
		}
	}
	return NULL;
}

#endif
