/*
 * qvm/utils.h - parsing helpers for vdev options.
 */
#ifndef QVM_UTILS_H
#define QVM_UTILS_H

#include <qvm/types.h>

#ifdef __cplusplus
extern "C" {
#endif

enum {
	QPNF_NONE = 0,
	QPNF_ALLOW_SUFFIXES = 1,	/* K, M, G (either case): x 2^10, 2^20, 2^30 */
	QPNF_ALLOW_NEGATIVE = 2,	/* a leading '-' (two's complement in *out) */
	QPNF_ALLOW_TRAILING = 4,	/* stop at the first character not part of the number */
	QPNF_SIZE_CHECK = 8,		/* the number is a size: 0 is refused */
};

/*
 * Parse a number: 0x.. hex, 0d.. or plain decimal (a leading 0 does not
 * mean octal). Returns a pointer just past the number, or NULL when str is
 * not a valid number for these flags (errno EINVAL) or does not fit in 64
 * bits (errno ERANGE).
 *
 * While qvm processes a vdev's option, an invalid number is a configuration
 * error: qvm reports FILE:LINE and exits 65 instead of returning NULL.
 */
const char *qvm_parse_num(const char *str, unsigned flags, uint64_t *out);

/*
 * Parse a location "[mem:|io:]LOCATION" into bp->location and bp->qst_type
 * (a bare number keeps bp->qst_type). Returns a pointer past it, or NULL
 * (errno EINVAL); a configuration error while qvm processes an option.
 */
char *qvm_parse_block(const char *str, struct qvm_state_block *bp);

/*
 * Parse an interrupt "PIC:N" (ioapic:N, 8259:N, gic:N) into *intr.
 * Returns a pointer past it, or NULL (errno EINVAL); a configuration error
 * while qvm processes an option, as for qvm_parse_num.
 */
const char *qvm_parse_intr(const char *str, guest_intr_t *intr);

#ifdef __cplusplus
}
#endif
#endif
