/*
 * report.c - the guest half of the test protocol in guest.h: one console
 * line per report, assertion or end, in the form tests/guest/harness.c
 * parses.
 */
#include "guest.h"

void guest_report(const char *key, uint64_t val)
{
	serial_puts("report ");
	serial_puts(key);
	serial_puts(" 0x");
	serial_put_hex(val, 16);
	serial_puts("\n");
}

static void assert_head(const char *file, unsigned line, const char *text)
{
	serial_puts("guest assert: ");
	serial_puts(file);
	serial_puts(":");
	serial_put_dec(line);
	serial_puts(": ");
	serial_puts(text);
}

/* A failed check stops the guest (guest_finish: x86 halts this vCPU, arm64
 * powers off): the test reads the line, and nothing after it can muddy
 * what the guest saw. */
_Noreturn void guest_assert_fail(const char *file, unsigned line, const char *text)
{
	assert_head(file, line, text);
	serial_puts("\n");
	guest_finish();
}

_Noreturn void guest_assert_eq_fail(const char *file, unsigned line, const char *text,
		uint64_t got, uint64_t wanted)
{
	assert_head(file, line, text);
	serial_puts(" (0x");
	serial_put_hex(got, 16);
	serial_puts(" != 0x");
	serial_put_hex(wanted, 16);
	serial_puts(")\n");
	guest_finish();
}

_Noreturn void guest_done(void)
{
	serial_puts("guest done\n");
	guest_finish();
}
