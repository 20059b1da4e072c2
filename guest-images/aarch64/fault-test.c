/*
 * fault-test (aarch64): what the guest sees of qvm's faults. With
 * `unsupported reference fail`, an access no vdev takes and an access of
 * a width the vdev refuses are bus errors: the guest takes a synchronous
 * external abort on the access (ESR_EL1 EC 0x25, data abort at the same
 * EL; DFSC 0x10) and goes on past it; so does a load KVM cannot decode
 * (`unsupported instruction fail`). The reports say what it saw.
 */
#include "guest.h"

#define EC(esr)		(((esr) >> 26) & 0x3f)
#define DFSC(esr)	((esr) & 0x3f)

extern char el1_vectors[];
static volatile uint64_t faults, last_esr, last_far;

/* From vectors.S: note the fault, go on at the next instruction. */
uint64_t fault_handler(uint64_t esr, uint64_t far, uint64_t elr)
{
	faults++;
	last_esr = esr;
	last_far = far;
	return elr + 4;
}

_Noreturn void guest_main(unsigned cpu, unsigned ncpus)
{
	(void)ncpus;
	if (cpu != 0)
		halt_forever();
	serial_init();
	__asm__ volatile("msr vbar_el1, %0; isb" : : "r"(el1_vectors));

	uint32_t v = mmio_read32(UNOWNED_ADDR);
	GUEST_REPORT("unowned_faults", faults);
	GUEST_REPORT("unowned_ec", EC(last_esr));
	GUEST_REPORT("unowned_dfsc", DFSC(last_esr));
	GUEST_REPORT("unowned_far", last_far);
	(void)v;

	mmio_read8(TRACE_REG_ADDR);
	GUEST_REPORT("narrow_faults", faults);
	GUEST_REPORT("narrow_ec", EC(last_esr));

	/* a width the vdev takes is no fault */
	mmio_read32(TRACE_REG_ADDR);
	GUEST_REPORT("whole_faults", faults);

	/* a load with writeback KVM cannot decode: `unsupported instruction fail` (the default) */
	uintptr_t p = TRACE_REG_ADDR;
	uint32_t w;
	__asm__ volatile("ldr %w0, [%1], #4" : "=r"(w), "+r"(p) : : "memory");
	GUEST_REPORT("writeback_faults", faults);
	GUEST_REPORT("writeback_ec", EC(last_esr));
	GUEST_DONE();
}
