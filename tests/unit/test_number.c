/* Number parsing: the configuration's numbers and qvm_parse_num(). */
#include <errno.h>
#include <sched.h>

#include <qvm/utils.h>

#include "number.h"
#include "test.h"

static int parse(const char *s, unsigned flags, uint64_t *v)
{
	const char *end;
	return number_parse(s, flags, v, &end);
}

TEST(decimal_hex_and_0d)
{
	uint64_t v;
	CHECK(parse("0", 0, &v) == 0 && v == 0);
	CHECK(parse("1234", 0, &v) == 0 && v == 1234);
	CHECK(parse("0x1f", 0, &v) == 0 && v == 0x1f);
	CHECK(parse("0XABCdef", 0, &v) == 0 && v == 0xabcdef);
	CHECK(parse("0d0100", 0, &v) == 0 && v == 100);	/* 0d: decimal, never octal */
	CHECK(parse("010", 0, &v) == 0 && v == 10);
	CHECK(parse("18446744073709551615", 0, &v) == 0 && v == UINT64_MAX);
	CHECK(parse("0xffffffffffffffff", 0, &v) == 0 && v == UINT64_MAX);
}

TEST(suffixes)
{
	uint64_t v;
	CHECK(parse("4k", QPNF_ALLOW_SUFFIXES, &v) == 0 && v == 4096);
	CHECK(parse("4K", QPNF_ALLOW_SUFFIXES, &v) == 0 && v == 4096);
	CHECK(parse("16M", QPNF_ALLOW_SUFFIXES, &v) == 0 && v == 16u << 20);
	CHECK(parse("0x2g", QPNF_ALLOW_SUFFIXES, &v) == 0 && v == 2ull << 30);
	CHECK(parse("4k", 0, &v) == -EINVAL);	/* suffix not allowed */
	CHECK(parse("17179869183G", QPNF_ALLOW_SUFFIXES, &v) == 0);
	CHECK(parse("17179869184G", QPNF_ALLOW_SUFFIXES, &v) == -ERANGE);
}

TEST(malformed)
{
	uint64_t v;
	CHECK(parse("", 0, &v) == -EINVAL);
	CHECK(parse("0x", 0, &v) == -EINVAL);
	CHECK(parse("0d", 0, &v) == -EINVAL);
	CHECK(parse("12z", 0, &v) == -EINVAL);
	CHECK(parse("0x1g", 0, &v) == -EINVAL);
	CHECK(parse(" 1", 0, &v) == -EINVAL);
	CHECK(parse("1 ", 0, &v) == -EINVAL);
	CHECK(parse("abc", 0, &v) == -EINVAL);
	CHECK(parse("4KB", QPNF_ALLOW_SUFFIXES, &v) == -EINVAL);
	CHECK(number_parse(NULL, 0, &v, NULL) == -EINVAL);
}

TEST(overflow)
{
	uint64_t v;
	CHECK(parse("18446744073709551616", 0, &v) == -ERANGE);
	CHECK(parse("0x10000000000000000", 0, &v) == -ERANGE);
	CHECK(parse("99999999999999999999999", 0, &v) == -ERANGE);
}

TEST(negative_trailing_size)
{
	uint64_t v;
	const char *end;
	CHECK(parse("-5", 0, &v) == -EINVAL);
	CHECK(parse("-5", QPNF_ALLOW_NEGATIVE, &v) == 0 && (int64_t)v == -5);
	CHECK(parse("-9223372036854775808", QPNF_ALLOW_NEGATIVE, &v) == 0 && v == 1ull << 63);
	CHECK(parse("-9223372036854775809", QPNF_ALLOW_NEGATIVE, &v) == -ERANGE);
	CHECK(number_parse("0x10,rest", QPNF_ALLOW_TRAILING, &v, &end) == 0 && v == 16 &&
			strcmp(end, ",rest") == 0);
	CHECK(parse("0", QPNF_SIZE_CHECK, &v) == -EINVAL);
	CHECK(parse("1", QPNF_SIZE_CHECK, &v) == 0);
}

/* qvm_parse_num outside option processing returns NULL with errno. */
TEST(api_parse_num)
{
	uint64_t v = 0;
	const char *end = qvm_parse_num("0x40K", QPNF_ALLOW_SUFFIXES, &v);
	CHECK(end && *end == '\0' && v == 0x10000);
	errno = 0;
	CHECK(qvm_parse_num("nope", 0, &v) == NULL && errno == EINVAL);
	errno = 0;
	CHECK(qvm_parse_num("0x1ffffffffffffffff", 0, &v) == NULL && errno == ERANGE);
	end = qvm_parse_num("12 34", QPNF_ALLOW_TRAILING, &v);
	CHECK(end && strcmp(end, " 34") == 0 && v == 12);
}

TEST(sched_values)
{
	int pol, prio;
	CHECK(sched_parse("10", &pol, &prio) == 0 && pol == SCHED_RR && prio == 10);
	CHECK(sched_parse("99f", &pol, &prio) == 0 && pol == SCHED_FIFO && prio == 99);
	CHECK(sched_parse("1r", &pol, &prio) == 0 && pol == SCHED_RR && prio == 1);
	/* the vendor's o: reserved, "equivalent to r" */
	CHECK(sched_parse("7o", &pol, &prio) == 0 && pol == SCHED_RR && prio == 7);
	CHECK(sched_parse("0o", &pol, &prio) == -EINVAL);
	struct qvm_sporadic sp;
	CHECK(sched_sporadic_parse("20,10,5,1000000,200000s", &sp) == 0 && sp.high == 20 &&
			sp.low == 10 && sp.max_repl == 5 && sp.period_ns == 1000000 &&
			sp.budget_ns == 200000);
	static const char *const bad[] = { "10,20,5,1000000,200000s", "20,10,5,1000000,2000000s",
			"20,10,0,1000000,200000s", "20,10,5,1000000,1000s", "20,10,5,1000000s",
			"20,10,5,1000000,200000", "20,10,5,1000000,200000sx", "100,10,5,1000000,200000s",
			"20,10,5,,200000s", "20,0,5,1000000,200000s" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(sched_sporadic_parse(bad[i], &sp) == -EINVAL);
	CHECK(sched_parse("0", &pol, &prio) == -EINVAL);
	CHECK(sched_parse("100r", &pol, &prio) == -EINVAL);
	CHECK(sched_parse("10x", &pol, &prio) == -EINVAL);
	CHECK(sched_parse("10rr", &pol, &prio) == -EINVAL);
	CHECK(sched_parse("r", &pol, &prio) == -EINVAL);
}

int main(void)
{
	RUN(decimal_hex_and_0d);
	RUN(suffixes);
	RUN(malformed);
	RUN(overflow);
	RUN(negative_trailing_size);
	RUN(api_parse_num);
	RUN(sched_values);
	TEST_EXIT();
}
