/*
 * guest.h - what every qvm guest image can use, on every architecture.
 *
 * The per-architecture half is guest-images/<arch>/arch.h (found on the
 * include path): the machine layout (TRACE_REG_ADDR, UNOWNED_ADDR,
 * RAM_PROBE, UNALIGNED_MMIO, MAX_CPUS), barrier(), cpu_relax(),
 * poll_pause(), halt_forever(), arch_cpu_note() (the
 * vCPU's hardware id for the roll call, or nothing) and the MMIO accessors
 * mmio_read8/32/64 and mmio_write8/32/64, each a single access of exactly
 * that width. guest-images/<arch>/console.c drives the console and
 * start.S enters guest_main() on every vCPU. The rest is here and in
 * guest-images/lib/.
 */
#ifndef QVM_GUEST_H
#define QVM_GUEST_H

#include <stdint.h>

#include "arch.h"

/* ---- The console (<arch>/console.c): polled, unbuffered ---- */

/* Only the boot vCPU calls it, before anyone prints. */
void serial_init(void);
void serial_putc(char c);

/* ---- Printing (lib/print.c), over serial_putc ---- */

/* No "\n" -> "\r\n" translation: the output lands in a Linux pipe or
 * terminal and tests match the exact lines. */
void serial_puts(const char *s);
/* Exactly `digits` lowercase hex digits, no "0x" prefix. */
void serial_put_hex(uint64_t val, unsigned digits);
void serial_put_dec(uint64_t val);

/* ---- The trace counter as a clock (lib/trace-wait.c) ---- */

/* Poll the trace register, backing off, until it reads other than prev (at
 * most a second): the new reading. */
uint32_t trace_wait_change(uint32_t prev);

/* ---- Reports to the test that runs the guest (lib/report.c) ----
 *
 * The guest half of tests/guest/harness.h, one console line each:
 *   report KEY 0xVALUE                 GUEST_REPORT(): a value for the test
 *   guest assert: FILE:LINE: TEXT      a failed GUEST_ASSERT*(): the vCPU stops
 *   guest done                         GUEST_DONE(): every check passed
 * Lines from several vCPUs must not interleave: report from one vCPU at a
 * time (the tests' guests report from the boot vCPU). */

void guest_report(const char *key, uint64_t val);
_Noreturn void guest_assert_fail(const char *file, unsigned line, const char *text);
_Noreturn void guest_assert_eq_fail(const char *file, unsigned line, const char *text,
		uint64_t got, uint64_t wanted);
_Noreturn void guest_done(void);

#define GUEST_REPORT(key, val) guest_report(key, (uint64_t)(val))
#define GUEST_DONE() guest_done()
#define GUEST_ASSERT(cond) do { \
	if (!(cond)) \
		guest_assert_fail(__FILE__, __LINE__, #cond); \
} while (0)
#define GUEST_ASSERT_EQ(a, b) do { \
	uint64_t a_ = (uint64_t)(a), b_ = (uint64_t)(b); \
	if (a_ != b_) \
		guest_assert_eq_fail(__FILE__, __LINE__, #a " == " #b, a_, b_); \
} while (0)

/* ---- Entry point, called on every vCPU (from start.S, or arm64's boot.c) ---- */

_Noreturn void guest_main(unsigned cpu, unsigned ncpus);

/*
 * The guest is done: x86 halts (the configuration's quit-on-halt ends qvm
 * once every vCPU has), arm64 powers off with PSCI SYSTEM_OFF (qvm exits 0)
 * or, when the FDT's bootargs (`cmdline`) hold the word "halt", halts too.
 */
_Noreturn void guest_finish(void);

#endif
