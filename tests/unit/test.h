/*
 * A minimal unit-test harness printing TAP: TEST(name) defines a case,
 * RUN(name) runs it and prints "ok N - name" or "not ok N - name" after
 * its "# FAIL" diagnostics, SKIP(name, why) reports a case that cannot run
 * here (RUN_IF(cond, name, why) chooses), and TEST_EXIT() prints the plan
 * and returns main's status.
 */
#ifndef QVM_TEST_H
#define QVM_TEST_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static int test_failures, test_count;

#define TEST(name) static void name(void)

#define CHECK(cond) do { \
	if (!(cond)) { \
		printf("# FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); \
		test_failures++; \
	} \
} while (0)

#define CHECK_EQ_U64(a, b) do { \
	uint64_t a_ = (uint64_t)(a), b_ = (uint64_t)(b); \
	if (a_ != b_) { \
		printf("# FAIL %s:%d: %s == %s (0x%" PRIx64 " != 0x%" PRIx64 ")\n", \
				__FILE__, __LINE__, #a, #b, a_, b_); \
		test_failures++; \
	} \
} while (0)

#define CHECK_STR(a, b) do { \
	const char *a_ = (a), *b_ = (b); \
	if (!a_ || !b_ || strcmp(a_, b_) != 0) { \
		printf("# FAIL %s:%d: %s\n#   got:    %s\n#   wanted: %s\n", __FILE__, __LINE__, \
				#a, a_ ? a_ : "(null)", b_ ? b_ : "(null)"); \
		test_failures++; \
	} \
} while (0)

#define RUN(name) do { \
	int before_ = test_failures; \
	name(); \
	printf("%s %d - %s\n", test_failures == before_ ? "ok" : "not ok", ++test_count, #name); \
} while (0)

#define SKIP(name, why) printf("ok %d - %s # SKIP %s\n", ++test_count, #name, why)
/* RUN(name) where cond holds, else SKIP(name, why) */
#define RUN_IF(cond, name, why) do { \
	if (cond) \
		RUN(name); \
	else \
		SKIP(name, why); \
} while (0)

/* The cases that differ by architecture: x86 has I/O ports, the IOAPIC, the
 * 8259 and the LAPIC; aarch64 the GIC and its raw-image load offset. */
#if defined(__x86_64__)
#define TEST_X86 1
#define TEST_ARCH "x86_64"
#else
#define TEST_X86 0
#define TEST_ARCH "aarch64"
#endif

#define TEST_EXIT() return printf("1..%d\n", test_count), test_failures ? 1 : 0

#endif
