/*
 * access-test.c - guest checks of how qvm answers MMIO accesses of every
 * width: to nobody's address, to the trace vdev's 32-bit register at the
 * widths it refuses, across the register's ends, and to RAM. Each check is
 * a GUEST_ASSERT; the test (tests/guest/test_access.c) reads the reports
 * and qvm's warnings. Only the boot vCPU runs; the others halt. Where an
 * unaligned access to MMIO faults in the guest (arm64, MMU off: all Device
 * memory), the checks that need one are left out (UNALIGNED_MMIO).
 */
#include "guest.h"

/* The trace register is 4 bytes: one past its end is nobody's. */
#define TRACE_END (TRACE_REG_ADDR + 4)

static void unowned_reads_all_ones(uintptr_t a)
{
	GUEST_ASSERT_EQ(mmio_read8(a), 0xff);
	GUEST_ASSERT_EQ(mmio_read16(a), 0xffff);
	GUEST_ASSERT_EQ(mmio_read32(a), 0xffffffffu);
	if (UNALIGNED_MMIO || a % 8 == 0)
		GUEST_ASSERT_EQ(mmio_read64(a), ~0ull);
}

/* Writes nobody takes are dropped: reading back still gives all ones. */
static void unowned_writes_dropped(uintptr_t a)
{
	mmio_write8(a, 0x12);
	mmio_write16(a, 0x1234);
	mmio_write32(a, 0x12345678u);
	if (UNALIGNED_MMIO || a % 8 == 0)
		mmio_write64(a, 0x123456789abcdef0ull);
	unowned_reads_all_ones(a);
}

static void ram_keeps_every_width(void)
{
	/* little endian: bytes ef cd ab 89 67 45 23 01 */
	mmio_write64(RAM_PROBE, 0x0123456789abcdefull);
	GUEST_ASSERT_EQ(mmio_read64(RAM_PROBE), 0x0123456789abcdefull);
	mmio_write8(RAM_PROBE + 1, 0x5a);
	GUEST_ASSERT_EQ(mmio_read32(RAM_PROBE), 0x89ab5aefu);
	mmio_write16(RAM_PROBE + 6, 0xbeef);
	GUEST_ASSERT_EQ(mmio_read64(RAM_PROBE), 0xbeef456789ab5aefull);
}

_Noreturn void guest_main(unsigned cpu, unsigned ncpus)
{
	(void)ncpus;
	if (cpu != 0)
		halt_forever();
	serial_init();

	/* The vdev answers its own width: a counter that starts near 0. */
	uint32_t t = mmio_read32(TRACE_REG_ADDR);
	GUEST_REPORT("trace32", t);

	/* Widths the vdev refuses (acc_sizes: 4 only) read as all ones. */
	GUEST_ASSERT_EQ(mmio_read8(TRACE_REG_ADDR), 0xff);
	GUEST_ASSERT_EQ(mmio_read16(TRACE_REG_ADDR), 0xffff);
	GUEST_ASSERT_EQ(mmio_read64(TRACE_REG_ADDR), ~0ull);

	/* Accesses that start inside the register and run past its end, or
	 * start before it and run into it, are nobody's: all ones. */
	if (UNALIGNED_MMIO) {
		GUEST_ASSERT_EQ(mmio_read32(TRACE_REG_ADDR + 2), 0xffffffffu);
		GUEST_ASSERT_EQ(mmio_read32(TRACE_REG_ADDR - 2), 0xffffffffu);
		GUEST_ASSERT_EQ(mmio_read16(TRACE_END - 1), 0xffff);
	}

	unowned_reads_all_ones(TRACE_END);
	unowned_reads_all_ones(UNOWNED_ADDR);
	unowned_writes_dropped(UNOWNED_ADDR);

	ram_keeps_every_width();

	/* After all that, the register still works. */
	GUEST_ASSERT(mmio_read32(TRACE_REG_ADDR) >= t);
	GUEST_DONE();
}
