/*
 * The FDT node of an ARM PrimeCell peripheral (pl011, wdt-sp805), as
 * Linux's AMBA bus binds it: `compatible` = the device's and
 * "arm,primecell", its `reg` and `interrupts`, and one fixed clock of
 * clock_hz as both the device's clock (clock_name) and "apb_pclk". For the
 * vdev's VDEV_CTRL_GEN_FDT; static inline, as vdevs are separate objects.
 */
#ifndef QVM_VDEV_PRIMECELL_H
#define QVM_VDEV_PRIMECELL_H

#include <stdint.h>

#include <qvm/vdev-core.h>

static inline void primecell_gen_fdt(vdev_t *vdp, const char *arg, const char *name,
		const char *compat, unsigned clock_hz, const char *clock_name)
{
	int parent = (int)(uintptr_t)arg;
	int node = gfdt_update_node(parent, name, vdp->v_block.location);

	if (node < 0)
		return;
	uint32_t clk = (uint32_t)gfdt_get_clock(node, clock_hz);
	uint32_t clocks[2] = { clk, clk };
	gfdt_update_prop_strings(node, "compatible", compat, "arm,primecell", NULL);
	gfdt_update_reg(parent, node, vdp->v_block.location, vdp->v_block.length);
	gfdt_update_interrupts(node, &vdp->v_intr, NULL);
	gfdt_update_prop_cells(node, "clocks", clocks, sizeof(clocks));
	gfdt_update_prop_strings(node, "clock-names", clock_name, "apb_pclk", NULL);
}

#endif
