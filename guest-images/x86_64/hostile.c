/*
 * hostile: a guest that does what a broken or malicious kernel might, so
 * the tests can check qvm ends each case with its documented exit code
 * (tests/guest/x86_64/test_hostile.c). What it does comes from a parameter
 * block the test loads raw at HOSTILE_PARAMS:
 *
 *   random     every vCPU makes `count` accesses from its own pseudo-random
 *              sequence: MMIO reads and writes of 1, 2, 4 and 8 bytes at any
 *              alignment, around the trace register (across its ends) and
 *              anywhere between RAM and the boot area, and port reads and
 *              writes of 1, 2 and 4 bytes to any port but the ones whose
 *              side effects end the run on purpose (the console, the
 *              in-kernel PICs, the reset port, the ACPI power-off); then
 *              "hostile done" and halt
 *   ud2        an invalid instruction, with no IDT: a triple fault
 *   pagetable  zeroes its own PML4 (the boot page tables are writable):
 *              the next page walk faults, a triple fault
 *   beyond     writes above the 4 GiB the boot tables map: a page fault,
 *              a triple fault
 *   fetch      jumps to an address with no memory behind it: KVM cannot
 *              fetch the instruction
 */
#include "guest.h"

#define HOSTILE_PARAMS	0xf00000UL	/* in the 16 MiB of RAM, far above the image */
#define HOSTILE_MAGIC	0x4c54534fu	/* "OSTL" */

enum { RANDOM, UD2, PAGETABLE, BEYOND, FETCH };

struct params {
	uint32_t magic, mode;
	uint64_t seed, count;
};

static volatile uint32_t finished;	/* vCPUs done with their accesses */

/* xorshift64*: a sequence per vCPU, the same for the same seed. */
static uint64_t next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dull;
}

static int spared_port(uint16_t p)
{
	return (p >= 0x3f8 && p <= 0x3ff) ||		/* the console */
	       p == 0x20 || p == 0x21 || p == 0xa0 || p == 0xa1 ||	/* the in-kernel PICs */
	       p == 0x4d0 || p == 0x4d1 || p == 0xcf9 ||	/* ELCR, reset control */
	       (p >= 0x602 && p <= 0x605);	/* what reaches the ACPI PM1 control block (S5) */
}

static void mmio_access(uint64_t r)
{
	uint64_t a;

	if (r & 1)	/* around the trace register, across both its ends */
		a = TRACE_REG_ADDR - 8 + ((r >> 8) % 24);
	else		/* anywhere from the end of RAM (16 MiB) to the boot area */
		a = 0x1000000 + ((r >> 8) % (0xfeb00000 - 0x1000000));
	unsigned width = 1u << ((r >> 1) & 3), write = (r >> 3) & 1;
	uintptr_t p = (uintptr_t)a;
	switch (width | write << 4) {
	case 1: (void)mmio_read8(p); break;
	case 2: (void)mmio_read16(p); break;
	case 4: (void)mmio_read32(p); break;
	case 8: (void)mmio_read64(p); break;
	case 0x11: mmio_write8(p, (uint8_t)r); break;
	case 0x12: mmio_write16(p, (uint16_t)r); break;
	case 0x14: mmio_write32(p, (uint32_t)r); break;
	case 0x18: mmio_write64(p, r); break;
	}
}

static void port_access(uint64_t r)
{
	uint16_t p = (uint16_t)(r >> 16);

	if (spared_port(p))
		return;
	switch ((r >> 1) & 7) {
	case 0: (void)inb(p); break;
	case 1: (void)inw(p); break;
	case 2: (void)inl(p); break;
	case 3: outb(p, (uint8_t)(r >> 32)); break;
	case 4: outw(p, (uint16_t)(r >> 32)); break;
	default: outl(p, (uint32_t)(r >> 32)); break;
	}
}

static void random_accesses(const struct params *pr, unsigned cpu, unsigned ncpus)
{
	uint64_t s = pr->seed ^ (0x9e3779b97f4a7c15ull * (cpu + 1));

	if (!s)
		s = 1;
	for (uint64_t i = 0; i < pr->count; i++) {
		uint64_t r = next(&s);
		if (r & (1ull << 63))
			mmio_access(r);
		else
			port_access(r);
	}
	__atomic_add_fetch(&finished, 1, __ATOMIC_SEQ_CST);
	if (cpu != 0)
		halt_forever();
	while (__atomic_load_n(&finished, __ATOMIC_SEQ_CST) < ncpus)
		cpu_relax();
	serial_puts("hostile done\n");
	halt_forever();
}

_Noreturn void guest_main(unsigned cpu, unsigned ncpus)
{
	const struct params *pr = (const struct params *)HOSTILE_PARAMS;

	if (cpu == 0)
		serial_init();
	if (pr->magic != HOSTILE_MAGIC) {
		if (cpu == 0)
			serial_puts("hostile: no parameters at 0xf00000\n");
		halt_forever();
	}
	if (pr->mode == RANDOM)
		random_accesses(pr, cpu, ncpus);
	if (cpu != 0)
		halt_forever();
	serial_puts("hostile: mode ");
	serial_put_dec(pr->mode);
	serial_puts("\n");
	switch (pr->mode) {
	case UD2:
		__asm__ volatile("ud2");
		break;
	case PAGETABLE: {
		uint64_t cr3;
		__asm__ volatile("mov %%cr3, %0" : "=r"(cr3));
		volatile uint64_t *pml4 = (volatile uint64_t *)(uintptr_t)(cr3 & ~0xfffull);
		pml4[0] = 0;
		__asm__ volatile("mov %0, %%cr3" : : "r"(cr3) : "memory");	/* flush the TLB */
		serial_puts("hostile: still running\n");
		break;
	}
	case BEYOND:
		*(volatile uint32_t *)(uintptr_t)0x200000000ull = 1;	/* 8 GiB */
		break;
	case FETCH:
		((void (*)(void))(uintptr_t)0xf0000000ull)();
		break;
	}
	serial_puts("hostile: survived\n");
	halt_forever();
}
