/*
 * gram_* (core/gram.c): a reservation keeps everything else out, a found
 * range is free and reserved at once, ram and other reservations are
 * skipped, and the calls are startup-only.
 */
#include <errno.h>
#include <stdlib.h>

#include <qvm/gasp.h>

#include "test.h"
#include "vm.h"

static struct qvm_vm *startup_vm(void)
{
	struct qvm_vm *vm = NULL;
	struct qerr e;

	if (vm_create(&vm, &e) || vm_add_mem(vm, true, 0, 16 << 20, false, &e))
		abort();
	vm_set_current(vm);
	return vm;
}

TEST(reserve_and_find)
{
	struct qvm_vm *vm = startup_vm();

	CHECK(gram_reserve(0x40000000, 0x100000) == EOK);
	CHECK(gram_reserve(0x400ff000, 0x2000) == EEXIST);	/* overlaps the first */
	CHECK(gram_reserve(0x1000, 0x1000) == EEXIST);		/* ram */
	CHECK(gram_reserve(0x50000000, 0) == EINVAL);
	CHECK(vm_range_owner(vm, REGION_MEM, 0x40080000, 4) != NULL);
	/* found above ram (16 MiB), aligned, and reserved: the next one lies past it */
	uint64_t a = gram_find_free(0x200000, 0x200000, GRAM_HINT_NONE);
	uint64_t b = gram_find_free(0x200000, 0x200000, GRAM_HINT_NONE);
	CHECK(a == 0x1000000 && b == 0x1200000);
	/* a range: only inside it; none when it is full */
	CHECK(gram_find_free_range(0x100000, 0x1000, 0, 0x40000000, 0x401fffff) == 0x40100000);
	CHECK(gram_find_free_range(0x100000, 0x1000, 0, 0x40000000, 0x401fffff) == QSL_NO_LOCATION);
	/* below 4 GiB when asked, else anywhere in the range */
	CHECK(gram_find_free_range(0x2000, 0x1000, GRAM_HINT_BELOW_4G, 0xffffe000, 0x200000000) ==
			0xffffe000);
	CHECK(gram_find_free_range(0x1000, 0x1000, GRAM_HINT_BELOW_4G, 0xffffe000, 0x200000000) ==
			QSL_NO_LOCATION);
	CHECK(gram_find_free_range(0x1000, 0x1000, GRAM_HINT_NONE, 0xffffe000, 0x200000000) ==
			0x100000000);
	vm_set_current(NULL);
	vm_destroy(vm);
}

int main(void)
{
	RUN(reserve_and_find);
	TEST_EXIT();
}
