#include "regions.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static bool overlaps(const struct qvm_region *r, uint64_t base, uint64_t last)
{
	return base <= r->last && r->base <= last;
}

const struct qvm_region *region_find_overlap(const struct region_builder *b,
		unsigned space, uint64_t base, uint64_t len)
{
	uint64_t last = base + len - 1;

	for (size_t i = 0; i < b->n[space]; i++)
		if (overlaps(&b->r[space][i], base, last))
			return &b->r[space][i];
	return NULL;
}

int region_add(struct region_builder *b, unsigned space, uint64_t base, uint64_t len,
		struct qvm_vdev *vdev, uint32_t cookie, uint32_t flags,
		const struct qvm_region **clash)
{
	const struct qvm_region *c;

	if (space >= REGION_SPACES || len == 0 || base + (len - 1) < base)
		return -EINVAL;
	c = region_find_overlap(b, space, base, len);
	if (c) {
		if (clash)
			*clash = c;
		return -EEXIST;
	}
	if (b->n[space] == b->cap[space]) {
		size_t cap = b->cap[space] ? b->cap[space] * 2 : 16;
		struct qvm_region *r = realloc(b->r[space], cap * sizeof(*r));
		if (!r)
			return -ENOMEM;
		b->r[space] = r;
		b->cap[space] = cap;
	}
	b->r[space][b->n[space]++] = (struct qvm_region){
		.base = base, .last = base + (len - 1), .vdev = vdev, .cookie = cookie,
		.flags = flags,
	};
	return 0;
}

int region_remove(struct region_builder *b, unsigned space, uint64_t base)
{
	for (size_t i = 0; space < REGION_SPACES && i < b->n[space]; i++) {
		if (b->r[space][i].base != base)
			continue;
		b->r[space][i] = b->r[space][--b->n[space]];
		return 0;
	}
	return -ENOENT;
}

static int cmp_region(const void *a, const void *b)
{
	const struct qvm_region *x = a, *y = b;
	return x->base < y->base ? -1 : x->base > y->base;
}

struct qvm_regmap *regmap_build(const struct region_builder *b,
		void (*finish)(struct qvm_region *r))
{
	size_t total = b->n[REGION_MEM] + b->n[REGION_IO];
	struct qvm_regmap *m = calloc(1, sizeof(*m) + total * sizeof(struct qvm_region));
	struct qvm_region *p;

	if (!m)
		return NULL;
	p = (struct qvm_region *)(m + 1);
	for (unsigned s = 0; s < REGION_SPACES; s++) {
		m->r[s] = p;
		m->n[s] = b->n[s];
		if (b->n[s])
			memcpy(p, b->r[s], b->n[s] * sizeof(*p));
		qsort(p, b->n[s], sizeof(*p), cmp_region);
		for (size_t i = 0; finish && i < b->n[s]; i++)
			finish(&p[i]);
		p += b->n[s];
	}
	return m;
}

void region_builder_free(struct region_builder *b)
{
	for (unsigned s = 0; s < REGION_SPACES; s++)
		free(b->r[s]);
	memset(b, 0, sizeof(*b));
}
