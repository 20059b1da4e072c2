/*
 * rtc.h - the MC146818 real-time clock and CMOS RAM of the mc146818 vdev,
 * without the SDK, so that it is tested with any time it is given
 * (tests/unit/test_rtc.c).
 *
 * Two ports: the index (bits 0-6; bit 7, the NMI mask, is kept and has no
 * effect) and the data of the 128 bytes it selects. Bytes 0-9 and 0x32
 * (the century) are the clock: the host's UTC time plus an offset the
 * guest sets by writing them, read in BCD or binary, 24- or 12-hour as
 * register B says; with B's SET bit the clock holds still for the guest to
 * write it. Register A's UIP bit is set for the last 244 us of each second;
 * C reports an update since the last read of C (and clears on reading); D
 * says the battery is good. The other bytes are plain RAM. The chip's
 * interrupts (periodic, alarm, update) are not modelled: C's flags are
 * there to poll.
 */
#ifndef QVM_RTC_H
#define QVM_RTC_H

#include <stdbool.h>
#include <stdint.h>

#define RTC_BYTES	128

enum {
	RTC_SEC = 0x00, RTC_SEC_ALARM = 0x01, RTC_MIN = 0x02, RTC_MIN_ALARM = 0x03,
	RTC_HOUR = 0x04, RTC_HOUR_ALARM = 0x05, RTC_WDAY = 0x06, RTC_MDAY = 0x07,
	RTC_MONTH = 0x08, RTC_YEAR = 0x09, RTC_A = 0x0a, RTC_B = 0x0b, RTC_C = 0x0c,
	RTC_D = 0x0d, RTC_CENTURY = 0x32,
	RTC_B_SET = 0x80, RTC_B_DM_BINARY = 0x04, RTC_B_24H = 0x02,
	RTC_A_UIP = 0x80,
};

struct rtc {
	uint8_t ram[RTC_BYTES];
	uint8_t index;
	int64_t offset;		/* guest seconds minus host seconds */
	int64_t last_c;		/* the guest second of the last read of C */
};

/* A chip as firmware leaves it: 24-hour BCD, the host's time, 32.768 kHz. */
void rtc_reset(struct rtc *r, uint64_t now_ns);
/* Port 0 (index) or 1 (data), at host time now_ns (CLOCK_REALTIME). */
uint8_t rtc_read(struct rtc *r, unsigned port, uint64_t now_ns);
void rtc_write(struct rtc *r, unsigned port, uint8_t val, uint64_t now_ns);

#endif
