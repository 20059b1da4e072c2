/* The MC146818 model (rtc.h). */
#include "rtc.h"

#include <string.h>
#include <time.h>

#define NS	1000000000ull
#define UIP_NS	244000ull	/* the update cycle, at the end of each second */

static bool binary(const struct rtc *r)
{
	return (r->ram[RTC_B] & RTC_B_DM_BINARY) != 0;
}

static uint8_t enc(const struct rtc *r, unsigned v)
{
	return binary(r) ? (uint8_t)v : (uint8_t)((v / 10) << 4 | v % 10);
}

static int dec(const struct rtc *r, uint8_t v)
{
	return binary(r) ? v : (v >> 4) * 10 + (v & 0x0f);
}

static bool clock_byte(unsigned i)
{
	return i == RTC_SEC || i == RTC_MIN || i == RTC_HOUR || (i >= RTC_WDAY && i <= RTC_YEAR) ||
		i == RTC_CENTURY;
}

/* The guest's time now into the clock bytes. */
static void latch(struct rtc *r, uint64_t now_ns)
{
	time_t t = (time_t)((int64_t)(now_ns / NS) + r->offset);
	struct tm tm;

	if (!gmtime_r(&t, &tm))
		return;
	r->ram[RTC_SEC] = enc(r, (unsigned)tm.tm_sec);
	r->ram[RTC_MIN] = enc(r, (unsigned)tm.tm_min);
	if (r->ram[RTC_B] & RTC_B_24H) {
		r->ram[RTC_HOUR] = enc(r, (unsigned)tm.tm_hour);
	} else {	/* 1-12, bit 7 for PM */
		unsigned h = (unsigned)tm.tm_hour % 12;
		r->ram[RTC_HOUR] = (uint8_t)(enc(r, h ? h : 12) | (tm.tm_hour >= 12 ? 0x80 : 0));
	}
	r->ram[RTC_WDAY] = enc(r, (unsigned)tm.tm_wday + 1);
	r->ram[RTC_MDAY] = enc(r, (unsigned)tm.tm_mday);
	r->ram[RTC_MONTH] = enc(r, (unsigned)tm.tm_mon + 1);
	r->ram[RTC_YEAR] = enc(r, (unsigned)(tm.tm_year + 1900) % 100);
	r->ram[RTC_CENTURY] = enc(r, (unsigned)(tm.tm_year + 1900) / 100);
}

/* The time the clock bytes say becomes the guest's: the offset from the host's. */
static void take_time(struct rtc *r, uint64_t now_ns)
{
	struct tm tm = { 0 };
	uint8_t h = r->ram[RTC_HOUR];

	tm.tm_sec = dec(r, r->ram[RTC_SEC]);
	tm.tm_min = dec(r, r->ram[RTC_MIN]);
	if (r->ram[RTC_B] & RTC_B_24H)
		tm.tm_hour = dec(r, h);
	else
		tm.tm_hour = dec(r, h & 0x7f) % 12 + ((h & 0x80) ? 12 : 0);
	tm.tm_mday = dec(r, r->ram[RTC_MDAY]);
	tm.tm_mon = dec(r, r->ram[RTC_MONTH]) - 1;
	tm.tm_year = dec(r, r->ram[RTC_CENTURY]) * 100 + dec(r, r->ram[RTC_YEAR]) - 1900;
	time_t t = timegm(&tm);
	if (t != (time_t)-1)
		r->offset = (int64_t)t - (int64_t)(now_ns / NS);
}

void rtc_reset(struct rtc *r, uint64_t now_ns)
{
	memset(r, 0, sizeof(*r));
	r->ram[RTC_A] = 0x26;		/* 32.768 kHz time base, 1024 Hz periodic rate */
	r->ram[RTC_B] = RTC_B_24H;	/* BCD, 24-hour */
	r->ram[RTC_D] = 0x80;		/* VRT: the battery is good */
	r->last_c = (int64_t)(now_ns / NS);
}

uint8_t rtc_read(struct rtc *r, unsigned port, uint64_t now_ns)
{
	unsigned i = r->index & 0x7f;

	if (port == 0)
		return r->index;
	switch (i) {
	case RTC_A:
		return (uint8_t)((r->ram[RTC_A] & 0x7f) | (now_ns % NS >= NS - UIP_NS ? RTC_A_UIP : 0));
	case RTC_C: {
		int64_t s = (int64_t)(now_ns / NS) + r->offset;
		uint8_t v = s != r->last_c ? 0x10 : 0;	/* UF: an update ended since */
		r->last_c = s;
		if (v & r->ram[RTC_B] & 0x70)
			v |= 0x80;			/* IRQF: an enabled one */
		return v;
	}
	case RTC_D:
		return 0x80;
	default:
		if (clock_byte(i) && !(r->ram[RTC_B] & RTC_B_SET))
			latch(r, now_ns);
		return r->ram[i];
	}
}

void rtc_write(struct rtc *r, unsigned port, uint8_t val, uint64_t now_ns)
{
	unsigned i = r->index & 0x7f;

	if (port == 0) {
		r->index = val;
		return;
	}
	switch (i) {
	case RTC_A:
		r->ram[RTC_A] = val & 0x7f;	/* UIP is read-only */
		break;
	case RTC_B: {
		uint8_t old = r->ram[RTC_B];
		if (!(old & RTC_B_SET) && (val & RTC_B_SET))
			latch(r, now_ns);	/* the clock holds still while the guest sets it */
		r->ram[RTC_B] = val;
		if ((old & RTC_B_SET) && !(val & RTC_B_SET))
			take_time(r, now_ns);
		break;
	}
	case RTC_C:
	case RTC_D:
		break;				/* read-only */
	default:
		if (clock_byte(i) && !(r->ram[RTC_B] & RTC_B_SET)) {
			latch(r, now_ns);	/* one field changed, the others as they are */
			r->ram[i] = val;
			take_time(r, now_ns);
		} else {
			r->ram[i] = val;
		}
		break;
	}
}
