/*
 * sp805.h - a register model of the ARM PrimeCell SP805 watchdog, free of
 * any qvm call so that it can be unit-tested with a fake clock.
 *
 * The caller passes the current time (nanoseconds, any monotonic timeline;
 * qvm's glue uses guest time) to every call that can change state, and acts
 * on the SP805_* bits returned: arm or cancel its one timer, drive the
 * interrupt line, bite. The model keeps no lock: its caller serialises.
 */
#ifndef SP805_H
#define SP805_H

#include <stdbool.h>
#include <stdint.h>

/* Register offsets. */
enum {
	SP805_LOAD = 0x000,
	SP805_VALUE = 0x004,
	SP805_CONTROL = 0x008,
	SP805_INTCLR = 0x00c,
	SP805_RIS = 0x010,
	SP805_MIS = 0x014,
	SP805_LOCK = 0xc00,
	SP805_ITCR = 0xf00,
	SP805_ITOP = 0xf04,
	SP805_PERIPHID0 = 0xfe0,	/* ..0xfec, then PCellID0..3 at 0xff0..0xffc */
	SP805_SIZE = 0x1000,
};

#define SP805_CTRL_INTEN	0x1u	/* count, and let the interrupt out */
#define SP805_CTRL_RESEN	0x2u	/* let the reset (the bite) out */
#define SP805_UNLOCK_KEY	0x1acce551u

/* What the caller must do after a call (several may be set). */
enum {
	SP805_ARM = 0x01,	/* (re-)arm the timer at sp805_deadline() */
	SP805_CANCEL = 0x02,	/* cancel the timer */
	SP805_IRQ_ON = 0x04,	/* assert the interrupt line */
	SP805_IRQ_OFF = 0x08,	/* de-assert it */
	SP805_BITE = 0x10,	/* the watchdog bites (reset output) */
};

struct sp805 {
	uint64_t freq;		/* counter ticks per second, 1..1e9 */
	uint32_t load;		/* WdogLoad */
	uint32_t control;	/* WdogControl: SP805_CTRL_* */
	uint32_t stopped;	/* WdogValue while INTEN = 0 */
	bool ris;		/* raw interrupt status */
	bool locked;		/* WdogLock */
	bool bitten;		/* bit since RIS was last cleared: bite only once */
	bool line;		/* the interrupt level the caller was last told */
	uint64_t start;		/* when the counter was last reloaded (INTEN = 1) */
	uint64_t now;		/* latest time seen: time never goes back */
	uint64_t armed;		/* the deadline the caller's timer holds, SP805_NEVER: none */
};

#define SP805_NEVER	UINT64_MAX

/* Reset state; freq is the counter clock in Hz (1..1e9). */
void sp805_init(struct sp805 *s, uint64_t freq);

/* A 32-bit read at offset off. Changes nothing. */
uint32_t sp805_read(const struct sp805 *s, uint32_t off, uint64_t now_ns);

/* A 32-bit write at offset off. Returns SP805_* bits. */
unsigned sp805_write(struct sp805 *s, uint32_t off, uint32_t val, uint64_t now_ns);

/*
 * The caller's timer fired (possibly late, or stale after a write moved the
 * deadline). Returns SP805_* bits; the timer has fired, so never
 * SP805_CANCEL: SP805_ARM when another expiry is due.
 */
unsigned sp805_expire(struct sp805 *s, uint64_t now_ns);

/*
 * When the next expiry that changes anything is due. False when the counter
 * is stopped, or when RIS is set and the next expiry can no longer bite
 * (RESEN = 0 or it already bit): those expiries only reload the counter,
 * which reads of WdogValue compute without a timer.
 */
bool sp805_deadline(const struct sp805 *s, uint64_t *deadline_ns);

/* Nanoseconds from a reload to the expiry: Load ticks (a Load of 0 counts as 1). */
uint64_t sp805_period_ns(const struct sp805 *s);

#endif
