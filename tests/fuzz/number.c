/*
 * Fuzz target: number_parse and sched_parse on any string, with every flag
 * combination the first byte picks. A parsed number's end must lie inside
 * the string.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "number.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	char *s = malloc(size);
	if (!s)
		return 0;
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	uint64_t v;
	const char *end = NULL;
	if (number_parse(s, data[0], &v, &end) == 0 && end && (end < s || end > s + strlen(s)))
		abort();
	int policy, prio;
	if (sched_parse(s, &policy, &prio) == 0 && (prio < 0 || prio > 99))
		abort();
	free(s);
	return 0;
}
