/*
 * shmem-test.c - two guests, each in its own qvm, talk through the shmem
 * vdev (the vendor's guest_shm.h registers, factory page at SHM_FACTORY):
 * both attach to the region "qvm-test"; client 0 waits for client 1,
 * writes a message into the shared pages and notifies everybody else;
 * client 1 waits for that notification, prints the message, writes its
 * reply and notifies client 0, which prints it. Notifications are seen in
 * the control page's status (a read takes them); on x86 client 1 first sees
 * the vdev raise its line (the 8259's IRR). The boot vCPU only; the trace
 * counter (one tick a second) bounds every wait to 30 s.
 */
#include "guest.h"

#define SHM_FACTORY	0xf0000000ul
#define SHM_IRQ		10	/* x86: its intr, ioapic:10 (tests/guest/x86_64/platform.h) */
#define SIGNATURE	0x4d534732474d5651ull
#define F_SHMEM		0x08
#define F_STATUS	0x14
#define F_SIZE		0x18
#define F_NAME		0x1c
#define C_STATUS	0x0
#define C_IDX		0x4
#define C_NOTIFY	0x8
#define C_DETACH	0xc

static const char region[] = "qvm-test";

/* Poll ctrl's status until bits of `mask` in its half (shift 0: pending, 16: active) show. */
static uint32_t wait_status(uintptr_t ctrl, uint32_t mask, unsigned shift)
{
	uint32_t start = mmio_read32(TRACE_REG_ADDR), st;

	while (!(((st = mmio_read32(ctrl + C_STATUS)) >> shift) & mask)) {
		GUEST_ASSERT(mmio_read32(TRACE_REG_ADDR) - start < 30);
		poll_pause();
	}
	return st;
}

static void put_msg(uintptr_t at, const char *m)
{
	unsigned i = 0;

	do
		mmio_write8(at + i, (uint8_t)m[i]);
	while (m[i++]);
}

static void print_msg(const char *what, uintptr_t at)
{
	serial_puts(what);
	for (unsigned i = 0; i < 64; i++) {
		uint8_t c = mmio_read8(at + i);
		if (!c)
			break;
		serial_putc((char)c);
	}
	serial_puts("\n");
}

_Noreturn void guest_main(unsigned cpu, unsigned ncpus)
{
	(void)ncpus;
	if (cpu != 0)
		halt_forever();
	serial_init();
	GUEST_ASSERT_EQ(mmio_read64(SHM_FACTORY), SIGNATURE);
	for (unsigned i = 0; i < sizeof(region); i++)
		mmio_write8(SHM_FACTORY + F_NAME + i, (uint8_t)region[i]);
	mmio_write32(SHM_FACTORY + F_SIZE, 1);		/* attach, making it if new */
	GUEST_ASSERT_EQ(mmio_read32(SHM_FACTORY + F_STATUS), 0);
	uintptr_t ctrl = (uintptr_t)mmio_read64(SHM_FACTORY + F_SHMEM), data = ctrl + 0x1000;
	uint32_t idx = mmio_read32(ctrl + C_IDX);
	GUEST_REPORT("shmem-idx", idx);
	GUEST_REPORT("shmem-pages", mmio_read32(SHM_FACTORY + F_SIZE));
	if (idx == 0) {
		wait_status(ctrl, 1u << 1, 16);		/* client 1 attached */
		put_msg(data, "hello from client 0");
		mmio_write32(ctrl + C_NOTIFY, ~0u);	/* everybody but me */
		wait_status(ctrl, 1u << 1, 0);		/* client 1 notified me */
		print_msg("shmem reply: ", data + 64);
	} else {
		if (IRQ_PENDING_KNOWN) {	/* the notification raises the vdev's line */
			uint32_t start = mmio_read32(TRACE_REG_ADDR);
			while (!irq_pending(SHM_IRQ)) {
				GUEST_ASSERT(mmio_read32(TRACE_REG_ADDR) - start < 30);
				poll_pause();
			}
			GUEST_REPORT("shmem-irq", 1);
		}
		wait_status(ctrl, 1u << 0, 0);		/* client 0 notified me */
		print_msg("shmem message: ", data);
		put_msg(data + 64, "hello back from client 1");
		mmio_write32(ctrl + C_NOTIFY, 1u << 0);
	}
	mmio_write32(ctrl + C_DETACH, 1);
	GUEST_DONE();
}
