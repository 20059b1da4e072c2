/*
 * devtree.h - reading the flattened device tree a guest is handed (arm64:
 * x0 at entry), freestanding, bounds-checked against the header's size.
 */
#ifndef QVM_GUEST_DEVTREE_H
#define QVM_GUEST_DEVTREE_H

#include <stdint.h>

/* Is there a valid tree at fdt? */
int devtree_ok(const void *fdt);
/*
 * The first node whose `compatible` lists compat: its first `reg` address
 * (two cells, as qvm's root has) in *addr, and its phandle'd `clocks`
 * frequency in *clock_hz when asked (0 when it has none). 0 if found.
 */
int devtree_find(const void *fdt, const char *compat, uint64_t *addr, uint64_t *clock_hz);
/* The `reg` (MPIDR affinity) of each device_type "cpu" node, up to max: how many. */
unsigned devtree_cpus(const void *fdt, uint64_t *mpidr, unsigned max);
/* Is word one of the words of /chosen's bootargs (qvm's `cmdline`)? */
int devtree_bootarg(const void *fdt, const char *word);

#endif
