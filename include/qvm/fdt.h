/*
 * qvm/fdt.h - a vdev describing itself in the guest's flattened device tree.
 *
 * On arm64 qvm builds the FDT the guest boots with. Once the base tree
 * (memory, cpus, psci, timer, interrupt controller, chosen) exists, every
 * vdev gets VDEV_CTRL_GEN_FDT with the offset of the node to add itself
 * under, (int)(uintptr_t)arg, and calls these helpers (the vendor's names)
 * from that callback; nowhere else (qvm stops with a message naming the
 * vdev). An x86 VM has no FDT: it never sends GEN_FDT.
 *
 *	case VDEV_CTRL_GEN_FDT: {
 *		int node = gfdt_update_node((int)(uintptr_t)arg, "serial", vdp->v_block.location);
 *		if (node >= 0) {
 *			gfdt_update_prop_strings(node, "compatible", "arm,pl011", "arm,primecell", NULL);
 *			gfdt_update_reg((int)(uintptr_t)arg, node, vdp->v_block.location,
 *					0x1000, QSL_NO_LOCATION);
 *			gfdt_update_interrupts(node, &vdp->v_intr, NULL);
 *		}
 *		break;
 *	}
 *
 * Offsets are libfdt's: a node's offset stays valid while properties are
 * added to it, not across the creation of other nodes (make your nodes one
 * after another). The setters return nothing, as the vendor's do: a failure
 * (a bad offset, the tree's 2 MiB limit) is remembered and stops qvm after
 * the callback with exit 65, naming the vdev and the call.
 */
#ifndef QVM_FDT_H
#define QVM_FDT_H

#include <stddef.h>
#include <stdint.h>

#include <qvm/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The subnode NAME@UNIT (UNIT in hex; no @UNIT when unit is QSL_NO_LOCATION)
 * of parent, made if it does not exist yet: its offset, or a negative
 * libfdt error.
 */
int gfdt_update_node(int parent, const char *nodename, uint64_t unit);
/* Property propname of node set to vall raw bytes (big-endian cells are the caller's). */
void gfdt_update_property(int node, const char *propname, const void *valp, size_t vall);
void gfdt_update_prop_string(int node, const char *propname, const char *str);
/* A string list: the strings after propname, up to a NULL. */
void gfdt_update_prop_strings(int node, const char *propname, ...);
/* Cells in host order (vall bytes, a multiple of 4), stored big-endian. */
void gfdt_update_prop_cells(int node, const char *propname, uint32_t *valp, size_t vall);
/* The node's phandle, given one if it has none yet; 0 on failure. */
int gfdt_update_phandle(int node);
/*
 * The phandle of a fixed clock of freq Hz (a "fixed-clock" node in /clocks,
 * made once per frequency) for node's `clocks`; 0 on failure. It leaves
 * the offsets of the calling vdev's nodes as they were.
 */
int gfdt_get_clock(int node, unsigned freq);
/*
 * node's `interrupts`, in its controller's format (the GIC's three cells),
 * from guest_intr_t pointers up to a NULL: gfdt_update_interrupts(node,
 * &vdp->v_intr, NULL). An interrupt without a controller (no `intr`) is skipped.
 */
void gfdt_update_interrupts(int node, ...);
/*
 * node's `reg` in parent's #address-cells/#size-cells, from LOCATION,
 * LENGTH pairs ending with QSL_NO_LOCATION. The macro turns each argument
 * into a uint64_t, so plain constants work as lengths, and ends the list
 * itself, so a call that forgets QSL_NO_LOCATION reads nothing past it.
 * gfdt_update_reg_list [ours] takes the list as an array.
 */
void gfdt_update_reg_list(int parent, int node, const uint64_t *loc_len);
#define gfdt_update_reg(parent, node, ...) \
	gfdt_update_reg_list((parent), (node), (const uint64_t[]){ __VA_ARGS__, QSL_NO_LOCATION })

#ifdef __cplusplus
}
#endif

#endif
