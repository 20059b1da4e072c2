/*
 * sp805.c - the SP805 register model (see sp805.h).
 *
 * The counter is not ticked: it is the time since the last reload (start),
 * scaled by the frequency. Every state-changing call first catches up with
 * the expiries that fell due before `now` (the caller's timer may fire late,
 * or after a guest write it raced with), then applies the write, then
 * compares the interrupt level and the deadline with what the caller was
 * last told and returns the difference as SP805_* bits.
 */
#include "sp805.h"

#define NS_PER_S	1000000000u

static const uint8_t id_regs[8] = {
	0x05, 0x18, 0x14, 0x00,	/* PeriphID0..3: part 0x805, designer ARM, rev 1 */
	0x0d, 0xf0, 0x05, 0xb1,	/* PCellID0..3: the PrimeCell signature */
};

static bool counting(const struct sp805 *s)
{
	return s->control & SP805_CTRL_INTEN;
}

/*
 * RIS is set and the next expiry cannot bite: it would only reload the
 * counter, so no timer is needed until a write changes this.
 */
static bool idle(const struct sp805 *s)
{
	return s->ris && (!(s->control & SP805_CTRL_RESEN) || s->bitten);
}

uint64_t sp805_period_ns(const struct sp805 *s)
{
	/* A Load of 0 expires at once on hardware: one tick keeps us from spinning. */
	uint64_t ticks = s->load ? s->load : 1;

	/* Rounded up so that WdogValue has reached 0 when the expiry is due.
	 * No overflow: ticks < 2^32, NS_PER_S < 2^30, freq <= 1e9. */
	return (ticks * NS_PER_S + s->freq - 1) / s->freq;
}

void sp805_init(struct sp805 *s, uint64_t freq)
{
	*s = (struct sp805){
		.freq = freq ? freq : 1,
		.load = 0xffffffffu,
		.stopped = 0xffffffffu,
		.armed = SP805_NEVER,
	};
}

static uint32_t value(const struct sp805 *s, uint64_t now)
{
	if (!counting(s))
		return s->stopped;
	uint64_t p = sp805_period_ns(s);
	uint64_t elapsed = now > s->start ? now - s->start : 0;
	if (elapsed >= p) {
		if (!idle(s))
			return 0;	/* the expiry is due and about to be handled */
		elapsed %= p;		/* reloads nobody needed a timer for */
	}
	/* elapsed < p, so elapsed * freq < 2^32 * 1e9 + freq: no overflow. */
	uint64_t ticks = elapsed * s->freq / NS_PER_S;
	return ticks >= s->load ? 0 : (uint32_t)(s->load - ticks);
}

uint32_t sp805_read(const struct sp805 *s, uint32_t off, uint64_t now_ns)
{
	uint64_t now = now_ns > s->now ? now_ns : s->now;

	switch (off) {
	case SP805_LOAD:
		return s->load;
	case SP805_VALUE:
		return value(s, now);
	case SP805_CONTROL:
		return s->control;
	case SP805_RIS:
		return s->ris;
	case SP805_MIS:
		return s->ris && counting(s);
	case SP805_LOCK:
		return s->locked;
	default:
		/* IntClr (write-only), ITCR/ITOP (integration test: not modelled), holes */
		if (off >= SP805_PERIPHID0 && off < SP805_SIZE && !(off & 3))
			return id_regs[(off - SP805_PERIPHID0) / 4];
		return 0;
	}
}

/* Never let time run backwards: a timer callback may carry an older time
 * than a guest write that overtook it. */
static uint64_t tick_clock(struct sp805 *s, uint64_t now_ns)
{
	if (now_ns > s->now)
		s->now = now_ns;
	return s->now;
}

/* Handle every expiry due by now, in order. */
static unsigned catch_up(struct sp805 *s, uint64_t now)
{
	unsigned act = 0;

	if (!counting(s))
		return 0;
	uint64_t p = sp805_period_ns(s);
	while (now - s->start >= p) {
		s->start += p;		/* reloaded at the expiry, not when we noticed it */
		if (!s->ris) {
			s->ris = true;
		} else if ((s->control & SP805_CTRL_RESEN) && !s->bitten) {
			s->bitten = true;
			act |= SP805_BITE;
		}
		if (idle(s)) {
			/* The rest only reload: skip them whole (a Load of 0 would loop long). */
			s->start += (now - s->start) / p * p;
			break;
		}
	}
	return act;
}

/* Tell the caller what changed for the outside world. */
static unsigned report(struct sp805 *s, unsigned act)
{
	bool line = s->ris && counting(s);	/* WDOGINT is the masked status */
	uint64_t d;

	if (line != s->line) {
		s->line = line;
		act |= line ? SP805_IRQ_ON : SP805_IRQ_OFF;
	}
	if (!sp805_deadline(s, &d))
		d = SP805_NEVER;
	if (d != s->armed) {
		s->armed = d;
		act |= d == SP805_NEVER ? SP805_CANCEL : SP805_ARM;
	}
	return act;
}

static void reload(struct sp805 *s, uint64_t now)
{
	if (counting(s))
		s->start = now;
	else
		s->stopped = s->load;
}

unsigned sp805_write(struct sp805 *s, uint32_t off, uint32_t val, uint64_t now_ns)
{
	uint64_t now = tick_clock(s, now_ns);
	unsigned act = catch_up(s, now);

	if (s->locked && off != SP805_LOCK)
		return report(s, act);
	switch (off) {
	case SP805_LOAD:
		s->load = val;
		reload(s, now);
		break;
	case SP805_CONTROL:
		val &= SP805_CTRL_INTEN | SP805_CTRL_RESEN;
		if (counting(s) && !(val & SP805_CTRL_INTEN))
			s->stopped = value(s, now);	/* freeze where it stands */
		else if (!counting(s) && (val & SP805_CTRL_INTEN))
			s->start = now;			/* enabling reloads from Load */
		s->control = val;
		break;
	case SP805_INTCLR:
		s->ris = false;
		s->bitten = false;
		reload(s, now);
		break;
	case SP805_LOCK:
		s->locked = val != SP805_UNLOCK_KEY;
		break;
	default:
		/* Value, RIS, MIS, IDs are read-only; ITCR/ITOP: test mode not modelled */
		break;
	}
	return report(s, act);
}

unsigned sp805_expire(struct sp805 *s, uint64_t now_ns)
{
	unsigned act = catch_up(s, tick_clock(s, now_ns));

	s->armed = SP805_NEVER;	/* it fired: re-arm whatever is due next */
	return report(s, act);
}

bool sp805_deadline(const struct sp805 *s, uint64_t *deadline_ns)
{
	if (!counting(s) || idle(s))
		return false;
	*deadline_ns = s->start + sp805_period_ns(s);
	return true;
}
