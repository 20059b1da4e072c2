#include "names.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char gone_mark;
#define GONE (&gone_mark)

/* FNV-1a: short names, no adversary gains much from collisions at these sizes. */
static size_t hash(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return (size_t)(h ^ (h >> 29));
}

/* The slot holding name, or the empty slot where it would go. */
static size_t find(const struct name_set *s, const char *name)
{
	size_t mask = s->cap - 1, i = hash(name) & mask;

	while (s->slot[i] && (s->slot[i] == GONE || strcmp(s->slot[i], name) != 0))
		i = (i + 1) & mask;
	return i;
}

/* Rehash into a table a quarter full of the live names, dropping removed slots. */
static int grow(struct name_set *s)
{
	size_t live = 0, cap = 64;

	for (size_t i = 0; i < s->cap; i++)
		live += s->slot[i] && s->slot[i] != GONE;
	while (cap < 4 * (live + 1))
		cap *= 2;
	struct name_set n = { calloc(cap, sizeof(*n.slot)), cap, 0 };

	if (!n.slot)
		return -ENOMEM;
	for (size_t i = 0; i < s->cap; i++)
		if (s->slot[i] && s->slot[i] != GONE) {
			n.slot[find(&n, s->slot[i])] = s->slot[i];
			n.used++;
		}
	free(s->slot);
	*s = n;
	return 0;
}

int name_set_add(struct name_set *s, const char *name)
{
	/* at most half full, removed slots included, so probes stay short and end */
	if ((s->used + 1) * 2 > s->cap) {
		int r = grow(s);
		if (r)
			return r;
	}
	s->slot[find(s, name)] = name;
	s->used++;
	return 0;
}

bool name_set_has(const struct name_set *s, const char *name)
{
	return s->cap && s->slot[find(s, name)];
}

void name_set_remove(struct name_set *s, const char *name)
{
	if (!s->cap)
		return;
	size_t i = find(s, name);
	if (s->slot[i])
		s->slot[i] = GONE;
}

void name_set_free(struct name_set *s)
{
	free(s->slot);
	*s = (struct name_set){ 0 };
}
