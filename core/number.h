/* Number parsing shared by the configuration and qvm_parse_num(). */
#ifndef QVM_NUMBER_H
#define QVM_NUMBER_H

#include <stdint.h>

/*
 * Parse a number as qvm_parse_num() documents it (flags QPNF_*).
 * Returns 0 and sets *out and *end, or -EINVAL (malformed) / -ERANGE
 * (does not fit in 64 bits).
 */
int number_parse(const char *s, unsigned flags, uint64_t *out, const char **end);

/*
 * A `sched` value "PRIO[r|f|o]": round-robin (default) or FIFO; o is
 * reserved by the vendor and "equivalent to r". PRIO is 1..99. 0 or -EINVAL.
 */
int sched_parse(const char *s, int *policy, int *prio);

/* The vendor's sporadic scheduling, `sched HIGH,LOW,MAX_REPL,PERIOD,BUDGET s` (ns). */
struct qvm_sporadic {
	int high, low;		/* 1-99, low < high */
	unsigned max_repl;	/* 1-1000 */
	uint64_t period_ns, budget_ns;	/* 1024 <= budget <= period */
};
/* 0, or -EINVAL for anything else than the form above. */
int sched_sporadic_parse(const char *s, struct qvm_sporadic *out);

/* The vendor's PCI location forms after "pci:", VID/DID or BUS:DEV[.FUNC]: 0 or -EINVAL. */
int pci_loc_parse(const char *s);

#endif
