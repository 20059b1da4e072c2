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
 * A `sched` value "PRIO[r|f|o]": round-robin (default), FIFO or other.
 * PRIO must be 1..99 except for o, where it is ignored. 0 or -EINVAL.
 */
int sched_parse(const char *s, int *policy, int *prio);

#endif
