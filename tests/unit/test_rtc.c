/*
 * The mc146818 vdev's clock model (vdev/mc146818/rtc.c) at times given by
 * the test: the host's time read back in BCD and binary, 24- and 12-hour;
 * the guest setting its own clock with SET and field by field; UIP in the
 * last 244 us of a second; C's update flag cleared by reading; CMOS RAM.
 */
#include "rtc.h"
#include "test.h"

#define S	1000000000ull
/* 2026-12-07 20:13:50 UTC, a Monday */
#define T0	(1796674430ull * S)

static uint8_t rd(struct rtc *r, unsigned i, uint64_t t)
{
	rtc_write(r, 0, (uint8_t)i, t);
	return rtc_read(r, 1, t);
}

static void wr(struct rtc *r, unsigned i, uint8_t v, uint64_t t)
{
	rtc_write(r, 0, (uint8_t)i, t);
	rtc_write(r, 1, v, t);
}

TEST(host_time_in_bcd_and_binary)
{
	struct rtc r;

	rtc_reset(&r, T0);
	CHECK(rd(&r, RTC_SEC, T0) == 0x50 && rd(&r, RTC_MIN, T0) == 0x13 && rd(&r, RTC_HOUR, T0) == 0x20);
	CHECK(rd(&r, RTC_MDAY, T0) == 0x07 && rd(&r, RTC_MONTH, T0) == 0x12 && rd(&r, RTC_YEAR, T0) == 0x26);
	CHECK(rd(&r, RTC_CENTURY, T0) == 0x20 && rd(&r, RTC_WDAY, T0) == 2);	/* Monday: 2 */
	CHECK(rd(&r, RTC_SEC, T0 + 5 * S) == 0x55);	/* it runs */
	wr(&r, RTC_B, RTC_B_DM_BINARY | RTC_B_24H, T0);
	CHECK(rd(&r, RTC_SEC, T0) == 50 && rd(&r, RTC_HOUR, T0) == 20 && rd(&r, RTC_YEAR, T0) == 26);
	wr(&r, RTC_B, RTC_B_DM_BINARY, T0);	/* 12-hour: 8 PM */
	CHECK(rd(&r, RTC_HOUR, T0) == (8 | 0x80));
	CHECK(rd(&r, RTC_D, T0) == 0x80 && (rd(&r, RTC_A, T0) & 0x7f) == 0x26);
}

TEST(the_guest_sets_its_own_clock)
{
	struct rtc r;

	rtc_reset(&r, T0);
	/* with SET, the clock holds still; 2000-01-01 00:00:00 written; SET off starts it */
	wr(&r, RTC_B, RTC_B_SET | RTC_B_24H, T0);
	CHECK(rd(&r, RTC_SEC, T0 + 3 * S) == 0x50);
	wr(&r, RTC_SEC, 0, T0);
	wr(&r, RTC_MIN, 0, T0);
	wr(&r, RTC_HOUR, 0, T0);
	wr(&r, RTC_MDAY, 1, T0);
	wr(&r, RTC_MONTH, 1, T0);
	wr(&r, RTC_YEAR, 0, T0);
	wr(&r, RTC_CENTURY, 0x20, T0);
	wr(&r, RTC_B, RTC_B_24H, T0);
	CHECK(rd(&r, RTC_YEAR, T0 + 61 * S) == 0x00 && rd(&r, RTC_MIN, T0 + 61 * S) == 0x01);
	CHECK(rd(&r, RTC_SEC, T0 + 61 * S) == 0x01 && rd(&r, RTC_WDAY, T0) == 7);	/* a Saturday */
	/* one field without SET: the minutes, the rest running on */
	wr(&r, RTC_MIN, 0x30, T0);
	CHECK(rd(&r, RTC_MIN, T0) == 0x30 && rd(&r, RTC_SEC, T0 + 2 * S) == 0x02);
}

TEST(uip_and_the_update_flag)
{
	struct rtc r;

	rtc_reset(&r, T0);
	CHECK(!(rd(&r, RTC_A, T0 + S / 2) & RTC_A_UIP));
	CHECK(rd(&r, RTC_A, T0 + S - 100000) & RTC_A_UIP);
	CHECK(!(rd(&r, RTC_A, T0 + S) & RTC_A_UIP));
	/* C: an update since the last read, cleared by reading */
	CHECK(rd(&r, RTC_C, T0 + S) == 0x10 && rd(&r, RTC_C, T0 + S) == 0);
	wr(&r, RTC_B, RTC_B_24H | 0x10, T0);	/* UIE on: IRQF too */
	CHECK(rd(&r, RTC_C, T0 + 2 * S) == 0x90);
	/* A's UIP and C, D are the chip's: writes do not reach them */
	wr(&r, RTC_A, 0xff, T0);
	CHECK((rd(&r, RTC_A, T0) & 0x7f) == 0x7f);
	wr(&r, RTC_D, 0, T0);
	CHECK(rd(&r, RTC_D, T0) == 0x80);
}

TEST(cmos_ram_and_the_nmi_bit)
{
	struct rtc r;

	rtc_reset(&r, T0);
	wr(&r, 0x80 | 0x40, 0xa5, T0);	/* the NMI mask bit is not part of the index */
	CHECK(rd(&r, 0x40, T0) == 0xa5 && rd(&r, 0x7f, T0) == 0);
	CHECK(rtc_read(&r, 0, T0) == 0x7f);	/* the index as last written */
}

int main(void)
{
	RUN(host_time_in_bcd_and_binary);
	RUN(the_guest_sets_its_own_clock);
	RUN(uip_and_the_update_flag);
	RUN(cmos_ram_and_the_nmi_bit);
	TEST_EXIT();
}
