#include "number.h"

#include <errno.h>
#include <sched.h>
#include <stdbool.h>

#include <qvm/utils.h>

static int digit(char c, unsigned base)
{
	int d;

	if (c >= '0' && c <= '9')
		d = c - '0';
	else if (c >= 'a' && c <= 'f')
		d = c - 'a' + 10;
	else if (c >= 'A' && c <= 'F')
		d = c - 'A' + 10;
	else
		return -1;
	return d < (int)base ? d : -1;
}

int number_parse(const char *s, unsigned flags, uint64_t *out, const char **end)
{
	bool neg = false;
	unsigned base = 10;
	uint64_t v = 0;
	const char *p = s;

	if (!s)
		return -EINVAL;
	if (*p == '-') {
		if (!(flags & QPNF_ALLOW_NEGATIVE))
			return -EINVAL;
		neg = true;
		p++;
	}
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	} else if (p[0] == '0' && (p[1] == 'd' || p[1] == 'D')) {
		p += 2;
	}
	if (digit(*p, base) < 0)
		return -EINVAL;
	for (int d; (d = digit(*p, base)) >= 0; p++) {
		if (v > (UINT64_MAX - (uint64_t)d) / base)
			return -ERANGE;
		v = v * base + (uint64_t)d;
	}
	if (flags & QPNF_ALLOW_SUFFIXES) {
		unsigned shift = 0;
		switch (*p) {
		case 'k': case 'K': shift = 10; break;
		case 'm': case 'M': shift = 20; break;
		case 'g': case 'G': shift = 30; break;
		}
		if (shift) {
			if (v > (UINT64_MAX >> shift))
				return -ERANGE;
			v <<= shift;
			p++;
		}
	}
	if (*p != '\0' && !(flags & QPNF_ALLOW_TRAILING))
		return -EINVAL;
	if (neg) {
		/* The magnitude must fit a signed 64-bit value. */
		if (v > (uint64_t)INT64_MAX + 1)
			return -ERANGE;
		v = (uint64_t)0 - v;
	}
	if ((flags & QPNF_SIZE_CHECK) && v == 0)
		return -EINVAL;
	*out = v;
	if (end)
		*end = p;
	return 0;
}

int sched_parse(const char *s, int *policy, int *prio)
{
	const char *end;
	uint64_t v;
	int pol = SCHED_RR;

	if (number_parse(s, QPNF_ALLOW_TRAILING, &v, &end))
		return -EINVAL;
	if (*end) {
		if (end[1] != '\0')
			return -EINVAL;
		switch (*end) {
		case 'r': pol = SCHED_RR; break;
		case 'f': pol = SCHED_FIFO; break;
		case 'o': pol = SCHED_RR; break;	/* the vendor's: reserved, "equivalent to r" */
		default: return -EINVAL;
		}
	}
	if (v < 1 || v > 99)
		return -EINVAL;
	*policy = pol;
	*prio = (int)v;
	return 0;
}

int sched_sporadic_parse(const char *s, struct qvm_sporadic *out)
{
	uint64_t v[5];
	const char *p = s, *end;

	for (int i = 0; i < 5; i++) {
		if (number_parse(p, QPNF_ALLOW_TRAILING, &v[i], &end))
			return -EINVAL;
		if (*end != (i < 4 ? ',' : 's'))
			return -EINVAL;
		p = end + 1;
	}
	if (*p || v[0] < 1 || v[0] > 99 || v[1] < 1 || v[1] >= v[0] || v[2] < 1 ||
			v[2] > 1000 || v[3] < 1024 || v[3] > (1ull << 62) || v[4] < 1024 || v[4] > v[3])
		return -EINVAL;
	*out = (struct qvm_sporadic){ .high = (int)v[0], .low = (int)v[1],
		.max_repl = (unsigned)v[2], .period_ns = v[3], .budget_ns = v[4] };
	return 0;
}

/* The vendor's PCI location forms, VID/DID or BUS:DEV[.FUNC]: 0 or -EINVAL. */
int pci_loc_parse(const char *s)
{
	uint64_t a, b, f = 0;
	const char *end;

	if (number_parse(s, QPNF_ALLOW_TRAILING, &a, &end))
		return -EINVAL;
	if (*end == '/')
		return number_parse(end + 1, 0, &b, NULL) || a > 0xffff || b > 0xffff ? -EINVAL : 0;
	if (*end != ':' || number_parse(end + 1, QPNF_ALLOW_TRAILING, &b, &end))
		return -EINVAL;
	if (*end == '.' && number_parse(end + 1, QPNF_ALLOW_TRAILING, &f, &end))
		return -EINVAL;
	return *end || a > 255 || b > 31 || f > 7 ? -EINVAL : 0;
}
