/* The region map: overlap checks, sorted lookup, the per-vCPU hint. */
#include <errno.h>
#include <stdlib.h>

#include "regions.h"
#include "test.h"

static struct qvm_vdev *V(uintptr_t n) { return (struct qvm_vdev *)n; }

TEST(add_and_overlap)
{
	struct region_builder b = { 0 };
	const struct qvm_region *clash = NULL;

	CHECK(region_add(&b, REGION_MEM, 0x1000, 0x100, V(1), 0, REGION_RW, NULL) == 0);
	CHECK(region_add(&b, REGION_MEM, 0x1100, 0x100, V(2), 0, REGION_RW, NULL) == 0);	/* adjacent is fine */
	CHECK(region_add(&b, REGION_MEM, 0x10ff, 2, V(3), 0, REGION_RW, &clash) == -EEXIST);
	CHECK(clash && clash->vdev == V(1));
	CHECK(region_add(&b, REGION_IO, 0x1000, 0x100, V(4), 0, REGION_RW, NULL) == 0);	/* spaces are separate */
	CHECK(region_add(&b, REGION_MEM, 0, 0, V(5), 0, REGION_RW, NULL) == -EINVAL);
	CHECK(region_add(&b, REGION_MEM, UINT64_MAX - 0xf, 0x10, V(6), 0, REGION_RW, NULL) == 0);	/* ends at the top */
	CHECK(region_add(&b, REGION_MEM, UINT64_MAX - 0xf, 0x11, V(7), 0, REGION_RW, NULL) == -EINVAL);	/* wraps */
	CHECK(region_find_overlap(&b, REGION_MEM, 0x11ff, 1)->vdev == V(2));
	CHECK(region_find_overlap(&b, REGION_MEM, 0x1200, 0x1000) == NULL);
	region_builder_free(&b);
}

TEST(lookup_sorted_with_hint)
{
	struct region_builder b = { 0 };
	/* Added out of order: the map sorts them. */
	for (uintptr_t i = 64; i > 0; i--)
		CHECK(region_add(&b, REGION_MEM, i * 0x10000, 0x1000, V(i), (uint32_t)i, REGION_RW, NULL) == 0);
	struct qvm_regmap *m = regmap_build(&b, NULL);
	const struct qvm_region *hint = NULL;

	CHECK(m != NULL);
	for (uintptr_t i = 1; i <= 64; i++) {
		const struct qvm_region *r = regmap_lookup(m, REGION_MEM, i * 0x10000 + 0xfff, &hint);
		CHECK(r && r->vdev == V(i) && r->cookie == i);
		CHECK(hint == r);
		CHECK(regmap_lookup(m, REGION_MEM, i * 0x10000 + 0x1000, &hint) == NULL);
	}
	CHECK(regmap_lookup(m, REGION_MEM, 0, &hint) == NULL);
	CHECK(regmap_lookup(m, REGION_IO, 0x10000, &hint) == NULL);
	/* A stale hint for another address is not trusted. */
	hint = NULL;
	const struct qvm_region *a = regmap_lookup(m, REGION_MEM, 0x20000, &hint);
	CHECK(a && a->vdev == V(2) && hint == a);
	const struct qvm_region *c = regmap_lookup(m, REGION_MEM, 0x30010, &hint);
	CHECK(c && c->vdev == V(3) && hint == c);
	free(m);
	region_builder_free(&b);
}

TEST(empty_map)
{
	struct region_builder b = { 0 };
	struct qvm_regmap *m = regmap_build(&b, NULL);
	const struct qvm_region *hint = NULL;
	CHECK(m && regmap_lookup(m, REGION_MEM, 0x1234, &hint) == NULL);
	free(m);
}

int main(void)
{
	RUN(add_and_overlap);
	RUN(lookup_sorted_with_hint);
	RUN(empty_map);
	TEST_EXIT();
}
