/*
 * irq-test (aarch64): a vdev's `intr gic:N` reaches the in-kernel GIC. The
 * PL011's transmit interrupt is unmasked and raised by a write to DR; the
 * GIC distributor must then show SPI 33 pending (GICD_ISPENDR1 bit 1), and
 * no longer once the guest clears the interrupt in the UART (level-
 * sensitive: the line went low). Addresses come from the FDT.
 */
#include "devtree.h"
#include "guest.h"

#define PL011_DR	0x000
#define PL011_IMSC	0x038
#define PL011_MIS	0x040
#define PL011_ICR	0x044
#define PL011_TX	(1u << 5)
#define GICD_ISPENDR(n)	(0x200 + 4 * (n))
#define GICD_ICFGR(n)	(0xc00 + 4 * (n))
#define SPI_INTID	33	/* the configuration's `intr gic:33` */

static uint32_t spi_pending(uintptr_t gicd)
{
	return (mmio_read32(gicd + GICD_ISPENDR(SPI_INTID / 32)) >> (SPI_INTID % 32)) & 1;
}

_Noreturn void guest_main(unsigned cpu, unsigned ncpus)
{
	uint64_t gicd = 0;

	(void)ncpus;
	if (cpu != 0)
		halt_forever();
	serial_init();
	/* the distributor's first registers are the same in both versions */
	GUEST_ASSERT(devtree_find(boot_fdt, "arm,gic-v3", &gicd, 0) == 0 ||
			devtree_find(boot_fdt, "arm,cortex-a15-gic", &gicd, 0) == 0);
	/* level-sensitive, as the FDT's flags (4) say; KVM starts SPIs as edge */
	uint32_t cfg = mmio_read32(gicd + GICD_ICFGR(SPI_INTID / 16));
	mmio_write32(gicd + GICD_ICFGR(SPI_INTID / 16), cfg & ~(2u << (2 * (SPI_INTID % 16))));
	GUEST_REPORT("pending_before", spi_pending(gicd));
	mmio_write32(uart_base + PL011_IMSC, PL011_TX);
	mmio_write32(uart_base + PL011_DR, '\n');
	GUEST_REPORT("uart_mis", mmio_read32(uart_base + PL011_MIS));
	GUEST_REPORT("pending_raised", spi_pending(gicd));
	mmio_write32(uart_base + PL011_ICR, PL011_TX);
	GUEST_REPORT("pending_cleared", spi_pending(gicd));
	GUEST_DONE();
}
