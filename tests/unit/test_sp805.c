/*
 * The SP805 register model (vdev/wdt-sp805/sp805.c) on a fake clock: time
 * is whatever nanosecond value each call passes.
 */
#include "sp805.h"
#include "test.h"

#define US	1000ull
#define MS	1000000ull
#define S	1000000000ull
#define MHZ	1000000u

/* A watchdog at 1 MHz with Load = 1000000 (a 1 s period), counting from t0. */
static struct sp805 running(uint32_t control, uint64_t t0)
{
	struct sp805 s;

	sp805_init(&s, MHZ);
	sp805_write(&s, SP805_LOAD, 1000000, t0);
	sp805_write(&s, SP805_CONTROL, control, t0);
	return s;
}

static uint64_t deadline(const struct sp805 *s)
{
	uint64_t d = 0;

	return sp805_deadline(s, &d) ? d : SP805_NEVER;
}

TEST(reset_values_and_ids)
{
	struct sp805 s;
	static const uint32_t ids[8] = { 0x05, 0x18, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1 };

	sp805_init(&s, MHZ);
	CHECK_EQ_U64(sp805_read(&s, SP805_LOAD, 0), 0xffffffffu);
	CHECK_EQ_U64(sp805_read(&s, SP805_VALUE, 0), 0xffffffffu);
	CHECK_EQ_U64(sp805_read(&s, SP805_VALUE, 10 * S), 0xffffffffu);	/* not counting */
	CHECK_EQ_U64(sp805_read(&s, SP805_CONTROL, 0), 0);
	CHECK_EQ_U64(sp805_read(&s, SP805_RIS, 0), 0);
	CHECK_EQ_U64(sp805_read(&s, SP805_MIS, 0), 0);
	CHECK_EQ_U64(sp805_read(&s, SP805_LOCK, 0), 0);
	CHECK_EQ_U64(sp805_read(&s, SP805_INTCLR, 0), 0);
	CHECK_EQ_U64(sp805_read(&s, SP805_ITCR, 0), 0);
	CHECK_EQ_U64(sp805_read(&s, SP805_ITOP, 0), 0);
	CHECK_EQ_U64(sp805_read(&s, 0x018, 0), 0);	/* a hole */
	CHECK_EQ_U64(sp805_read(&s, 0xffe, 0), 0);	/* not a register boundary */
	for (uint32_t i = 0; i < 8; i++)
		CHECK_EQ_U64(sp805_read(&s, 0xfe0 + 4 * i, 0), ids[i]);
	CHECK(deadline(&s) == SP805_NEVER);
	/* Read-only and test registers ignore writes. */
	CHECK_EQ_U64(sp805_write(&s, SP805_ITCR, 1, 0), 0);
	CHECK_EQ_U64(sp805_write(&s, SP805_ITOP, 3, 0), 0);
	CHECK_EQ_U64(sp805_write(&s, SP805_RIS, 1, 0), 0);
	CHECK_EQ_U64(sp805_write(&s, 0xfe0, 9, 0), 0);
	CHECK_EQ_U64(sp805_read(&s, SP805_ITCR, 0), 0);
	CHECK_EQ_U64(sp805_read(&s, SP805_RIS, 0), 0);
	CHECK_EQ_U64(sp805_read(&s, 0xfe0, 0), 0x05);
	/* Control keeps its two bits only. */
	sp805_write(&s, SP805_CONTROL, 0xfffffffcu, 0);
	CHECK_EQ_U64(sp805_read(&s, SP805_CONTROL, 0), 0);
}

TEST(countdown)
{
	struct sp805 s;
	uint64_t t0 = 5 * S;	/* the guest has been up a while */

	sp805_init(&s, MHZ);
	CHECK_EQ_U64(sp805_write(&s, SP805_LOAD, 1000000, t0), 0);	/* stopped: no timer */
	CHECK_EQ_U64(sp805_read(&s, SP805_VALUE, t0), 1000000);
	CHECK_EQ_U64(sp805_write(&s, SP805_CONTROL, SP805_CTRL_INTEN, t0), SP805_ARM);
	CHECK_EQ_U64(sp805_read(&s, SP805_CONTROL, t0), SP805_CTRL_INTEN);
	CHECK_EQ_U64(sp805_read(&s, SP805_VALUE, t0), 1000000);
	CHECK_EQ_U64(sp805_read(&s, SP805_VALUE, t0 + 250 * MS), 750000);
	CHECK_EQ_U64(sp805_read(&s, SP805_VALUE, t0 + S - 1), 1);
	CHECK_EQ_U64(sp805_read(&s, SP805_VALUE, t0 + S), 0);
	CHECK_EQ_U64(sp805_read(&s, SP805_VALUE, t0 + 3 * S), 0);	/* expiry not handled yet: never below 0 */
	/* Writing Load reloads at once and moves the deadline. */
	CHECK_EQ_U64(sp805_write(&s, SP805_LOAD, 2000000, t0 + 500 * MS), SP805_ARM);
	CHECK_EQ_U64(sp805_read(&s, SP805_VALUE, t0 + 500 * MS), 2000000);
	CHECK_EQ_U64(sp805_read(&s, SP805_VALUE, t0 + 1500 * MS), 1000000);
	CHECK_EQ_U64(deadline(&s), t0 + 2500 * MS);
}

TEST(inten_off_stops_counting)
{
	struct sp805 s = running(SP805_CTRL_INTEN, 0);

	CHECK_EQ_U64(sp805_write(&s, SP805_CONTROL, 0, 250 * MS), SP805_CANCEL);
	CHECK_EQ_U64(sp805_read(&s, SP805_VALUE, 250 * MS), 750000);
	CHECK_EQ_U64(sp805_read(&s, SP805_VALUE, 60 * S), 750000);	/* frozen */
	CHECK(deadline(&s) == SP805_NEVER);
	CHECK_EQ_U64(sp805_expire(&s, 60 * S), 0);			/* a stale expiry does nothing */
	CHECK_EQ_U64(sp805_read(&s, SP805_RIS, 60 * S), 0);
	/* Enabling again reloads from Load. */
	CHECK_EQ_U64(sp805_write(&s, SP805_CONTROL, SP805_CTRL_INTEN, 70 * S), SP805_ARM);
	CHECK_EQ_U64(sp805_read(&s, SP805_VALUE, 70 * S), 1000000);
	CHECK_EQ_U64(deadline(&s), 71 * S);
	/* Rewriting INTEN = 1 while counting does not reload. */
	CHECK_EQ_U64(sp805_write(&s, SP805_CONTROL, SP805_CTRL_INTEN | SP805_CTRL_RESEN,
			70 * S + 500 * MS), 0);
	CHECK_EQ_U64(deadline(&s), 71 * S);
	/* Load written while stopped: Value = Load at once. */
	sp805_write(&s, SP805_CONTROL, 0, 70 * S + 600 * MS);
	sp805_write(&s, SP805_LOAD, 1234, 70 * S + 700 * MS);
	CHECK_EQ_U64(sp805_read(&s, SP805_VALUE, 80 * S), 1234);
}

TEST(first_expiry_sets_ris)
{
	struct sp805 s = running(SP805_CTRL_INTEN | SP805_CTRL_RESEN, 0);

	CHECK_EQ_U64(deadline(&s), S);
	CHECK_EQ_U64(sp805_expire(&s, S), SP805_IRQ_ON | SP805_ARM);
	CHECK_EQ_U64(sp805_read(&s, SP805_RIS, S), 1);
	CHECK_EQ_U64(sp805_read(&s, SP805_MIS, S), 1);
	CHECK_EQ_U64(deadline(&s), 2 * S);				/* counting again */
	CHECK_EQ_U64(sp805_read(&s, SP805_VALUE, S + 250 * MS), 750000);
	/* MIS is RIS masked by INTEN: stopping the counter drops the line, RIS stays. */
	CHECK_EQ_U64(sp805_write(&s, SP805_CONTROL, SP805_CTRL_RESEN, S + 300 * MS),
			SP805_IRQ_OFF | SP805_CANCEL);
	CHECK_EQ_U64(sp805_read(&s, SP805_RIS, S + 300 * MS), 1);
	CHECK_EQ_U64(sp805_read(&s, SP805_MIS, S + 300 * MS), 0);
	CHECK_EQ_U64(sp805_write(&s, SP805_CONTROL, SP805_CTRL_INTEN | SP805_CTRL_RESEN,
			S + 400 * MS), SP805_IRQ_ON | SP805_ARM);
	CHECK_EQ_U64(deadline(&s), 2 * S + 400 * MS);
}

TEST(intclr_clears_and_reloads)
{
	struct sp805 s = running(SP805_CTRL_INTEN | SP805_CTRL_RESEN, 0);

	sp805_expire(&s, S);
	CHECK_EQ_U64(sp805_write(&s, SP805_INTCLR, 0xdead, S + 500 * MS), SP805_IRQ_OFF | SP805_ARM);
	CHECK_EQ_U64(sp805_read(&s, SP805_RIS, S + 500 * MS), 0);
	CHECK_EQ_U64(sp805_read(&s, SP805_MIS, S + 500 * MS), 0);
	CHECK_EQ_U64(sp805_read(&s, SP805_VALUE, S + 500 * MS), 1000000);
	CHECK_EQ_U64(deadline(&s), 2 * S + 500 * MS);
	/* Clearing a clear interrupt still reloads. */
	CHECK_EQ_U64(sp805_write(&s, SP805_INTCLR, 0, 2 * S), SP805_ARM);
	CHECK_EQ_U64(deadline(&s), 3 * S);
}

TEST(second_expiry_bites_with_resen)
{
	struct sp805 s = running(SP805_CTRL_INTEN | SP805_CTRL_RESEN, 0);

	CHECK_EQ_U64(sp805_expire(&s, S), SP805_IRQ_ON | SP805_ARM);
	/* It bit once: no timer (the fired one needs no cancelling) until the guest clears RIS. */
	CHECK_EQ_U64(sp805_expire(&s, 2 * S), SP805_BITE);
	CHECK_EQ_U64(sp805_read(&s, SP805_RIS, 2 * S), 1);
	CHECK(deadline(&s) == SP805_NEVER);
	CHECK_EQ_U64(sp805_expire(&s, 3 * S), 0);
	CHECK_EQ_U64(sp805_read(&s, SP805_VALUE, 3 * S + 250 * MS), 750000);	/* still counting */
	/* Cleared, then neglected again: two more periods, another bite. */
	CHECK_EQ_U64(sp805_write(&s, SP805_INTCLR, 0, 4 * S), SP805_IRQ_OFF | SP805_ARM);
	CHECK_EQ_U64(sp805_expire(&s, 5 * S), SP805_IRQ_ON | SP805_ARM);
	CHECK_EQ_U64(sp805_expire(&s, 6 * S), SP805_BITE);
}

TEST(second_expiry_without_resen)
{
	struct sp805 s = running(SP805_CTRL_INTEN, 0);

	/* After the interrupt, expiries could not bite: no timer is needed. */
	CHECK_EQ_U64(sp805_expire(&s, S), SP805_IRQ_ON);
	CHECK_EQ_U64(sp805_expire(&s, 2 * S), 0);
	CHECK_EQ_U64(sp805_read(&s, SP805_RIS, 2 * S), 1);
	/* The counter went on reloading every second. */
	CHECK_EQ_U64(sp805_read(&s, SP805_VALUE, 7 * S + 250 * MS), 750000);
	/* RESEN set now: the bite comes at the end of the current period. */
	CHECK_EQ_U64(sp805_write(&s, SP805_CONTROL, SP805_CTRL_INTEN | SP805_CTRL_RESEN,
			7 * S + 500 * MS), SP805_ARM);
	CHECK_EQ_U64(deadline(&s), 8 * S);
	CHECK_EQ_U64(sp805_expire(&s, 8 * S), SP805_BITE);
}

TEST(kicking_never_bites)
{
	struct sp805 s = running(SP805_CTRL_INTEN | SP805_CTRL_RESEN, 0);
	unsigned all = 0;

	/* Kicked shortly before each expiry: no interrupt at all. */
	for (int i = 0; i < 10; i++) {
		uint64_t d = deadline(&s);
		all |= sp805_write(&s, SP805_INTCLR, 0, d - 100 * US);
		CHECK_EQ_U64(deadline(&s), d - 100 * US + S);
	}
	CHECK_EQ_U64(all, SP805_ARM);
	/* Serviced from the interrupt, half a period late: never bites either. */
	for (int i = 0; i < 10; i++) {
		uint64_t d = deadline(&s);
		CHECK_EQ_U64(sp805_expire(&s, d), SP805_IRQ_ON | SP805_ARM);
		CHECK_EQ_U64(sp805_write(&s, SP805_INTCLR, 0, d + 500 * MS), SP805_IRQ_OFF | SP805_ARM);
	}
	CHECK_EQ_U64(sp805_read(&s, SP805_RIS, 30 * S), 0);
}

TEST(lock)
{
	struct sp805 s = running(SP805_CTRL_INTEN | SP805_CTRL_RESEN, 0);

	sp805_expire(&s, S);
	CHECK_EQ_U64(sp805_write(&s, SP805_LOCK, 0, S), 0);
	CHECK_EQ_U64(sp805_read(&s, SP805_LOCK, S), 1);
	/* Locked: every other write is ignored. */
	CHECK_EQ_U64(sp805_write(&s, SP805_LOAD, 5, S), 0);
	CHECK_EQ_U64(sp805_write(&s, SP805_CONTROL, 0, S), 0);
	CHECK_EQ_U64(sp805_write(&s, SP805_INTCLR, 0, S), 0);
	CHECK_EQ_U64(sp805_read(&s, SP805_LOAD, S), 1000000);
	CHECK_EQ_U64(sp805_read(&s, SP805_CONTROL, S), SP805_CTRL_INTEN | SP805_CTRL_RESEN);
	CHECK_EQ_U64(sp805_read(&s, SP805_RIS, S), 1);
	/* Only the key unlocks; anything else (even close to it) locks. */
	sp805_write(&s, SP805_LOCK, SP805_UNLOCK_KEY + 1, S);
	CHECK_EQ_U64(sp805_read(&s, SP805_LOCK, S), 1);
	sp805_write(&s, SP805_LOCK, 0x1ACCE551, S);
	CHECK_EQ_U64(sp805_read(&s, SP805_LOCK, S), 0);
	CHECK_EQ_U64(sp805_write(&s, SP805_INTCLR, 0, S + 100 * MS), SP805_IRQ_OFF | SP805_ARM);
	CHECK_EQ_U64(sp805_write(&s, SP805_LOAD, 5, S + 100 * MS), SP805_ARM);
	CHECK_EQ_U64(sp805_read(&s, SP805_LOAD, S), 5);
	/* Locked, the counter still runs and still bites. */
	sp805_write(&s, SP805_LOCK, 1, S + 100 * MS);
	CHECK_EQ_U64(sp805_expire(&s, S + 100 * MS + 5 * US), SP805_IRQ_ON | SP805_ARM);
	CHECK_EQ_U64(sp805_expire(&s, S + 100 * MS + 10 * US), SP805_BITE);
}

TEST(deadline_is_one_period_after_reload)
{
	struct sp805 s;

	sp805_init(&s, 1000);			/* 1 kHz */
	sp805_write(&s, SP805_LOAD, 500, 0);
	CHECK(deadline(&s) == SP805_NEVER);	/* not counting */
	sp805_write(&s, SP805_CONTROL, SP805_CTRL_INTEN, 3 * S);
	CHECK_EQ_U64(sp805_period_ns(&s), 500 * MS);
	CHECK_EQ_U64(deadline(&s), 3 * S + 500 * MS);
	sp805_write(&s, SP805_INTCLR, 0, 3 * S + 200 * MS);
	CHECK_EQ_U64(deadline(&s), 3 * S + 700 * MS);
	sp805_write(&s, SP805_LOAD, 100, 3 * S + 300 * MS);
	CHECK_EQ_U64(deadline(&s), 3 * S + 400 * MS);
	/* Periods that are not whole nanoseconds round up: Value is 0 by then. */
	sp805_init(&s, 3);
	sp805_write(&s, SP805_LOAD, 1, 0);
	sp805_write(&s, SP805_CONTROL, SP805_CTRL_INTEN, 0);
	CHECK_EQ_U64(deadline(&s), 333333334);
	CHECK_EQ_U64(sp805_read(&s, SP805_VALUE, 333333333), 1);
	CHECK_EQ_U64(sp805_read(&s, SP805_VALUE, 333333334), 0);
	/* The largest period at the lowest and highest frequency does not overflow. */
	sp805_init(&s, 1);
	sp805_write(&s, SP805_CONTROL, SP805_CTRL_INTEN, 0);
	CHECK_EQ_U64(deadline(&s), 0xffffffffull * S);
	CHECK_EQ_U64(sp805_read(&s, SP805_VALUE, 0xfffffffeull * S), 1);
	sp805_init(&s, 1000000000);
	sp805_write(&s, SP805_CONTROL, SP805_CTRL_INTEN, 0);
	CHECK_EQ_U64(deadline(&s), 0xffffffffull);
	CHECK_EQ_U64(sp805_read(&s, SP805_VALUE, 0xfffffffeull), 1);
}

TEST(load_zero_does_not_spin)
{
	struct sp805 s;
	uint64_t t0 = S;

	sp805_init(&s, MHZ);
	sp805_write(&s, SP805_LOAD, 0, t0);
	sp805_write(&s, SP805_CONTROL, SP805_CTRL_INTEN | SP805_CTRL_RESEN, t0);
	CHECK_EQ_U64(sp805_read(&s, SP805_VALUE, t0), 0);
	CHECK_EQ_U64(deadline(&s), t0 + US);	/* one tick, not now */
	CHECK_EQ_U64(sp805_expire(&s, t0 + US), SP805_IRQ_ON | SP805_ARM);
	CHECK_EQ_U64(deadline(&s), t0 + 2 * US);
	CHECK_EQ_U64(sp805_expire(&s, t0 + 2 * US), SP805_BITE);
	/* Without RESEN, after the interrupt nothing needs a timer. */
	sp805_write(&s, SP805_CONTROL, SP805_CTRL_INTEN, t0 + 3 * US);
	sp805_write(&s, SP805_INTCLR, 0, t0 + 3 * US);
	CHECK_EQ_U64(sp805_expire(&s, t0 + 4 * US), SP805_IRQ_ON);
	/* An expiry handled an hour late catches up in a few steps, not 3.6e9. */
	sp805_write(&s, SP805_CONTROL, SP805_CTRL_INTEN | SP805_CTRL_RESEN, t0 + 5 * US);
	sp805_write(&s, SP805_INTCLR, 0, t0 + 5 * US);
	CHECK_EQ_U64(sp805_expire(&s, t0 + 3600 * S), SP805_IRQ_ON | SP805_BITE);
	CHECK_EQ_U64(sp805_read(&s, SP805_VALUE, t0 + 3600 * S), 0);
}

TEST(late_and_stale_timer)
{
	struct sp805 s = running(SP805_CTRL_INTEN | SP805_CTRL_RESEN, 0);

	/* The kick lands just after the deadline, before the timer callback
	 * ran: the expiry happened (RIS set) and the kick cleared it. */
	CHECK_EQ_U64(sp805_write(&s, SP805_INTCLR, 0, S + 10 * US), SP805_ARM);
	CHECK_EQ_U64(sp805_read(&s, SP805_RIS, S + 10 * US), 0);
	CHECK_EQ_U64(deadline(&s), 2 * S + 10 * US);
	/* The callback then runs with its older time: nothing is due; re-arm. */
	CHECK_EQ_U64(sp805_expire(&s, S), SP805_ARM);
	CHECK_EQ_U64(deadline(&s), 2 * S + 10 * US);
	CHECK_EQ_U64(sp805_read(&s, SP805_VALUE, S), 1000000);	/* time did not go back */
	/* A timer three periods late: interrupt, then bite, in order. */
	CHECK_EQ_U64(sp805_expire(&s, 5 * S), SP805_IRQ_ON | SP805_BITE);
	/* Every deadline handed out lies in the future. */
	sp805_write(&s, SP805_INTCLR, 0, 5 * S);
	CHECK(deadline(&s) > 5 * S);
}

int main(void)
{
	RUN(reset_values_and_ids);
	RUN(countdown);
	RUN(inten_off_stops_counting);
	RUN(first_expiry_sets_ris);
	RUN(intclr_clears_and_reloads);
	RUN(second_expiry_bites_with_resen);
	RUN(second_expiry_without_resen);
	RUN(kicking_never_bites);
	RUN(lock);
	RUN(deadline_is_one_period_after_reload);
	RUN(load_zero_does_not_spin);
	RUN(late_and_stale_timer);
	TEST_EXIT();
}
