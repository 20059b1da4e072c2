/*
 * The guest's FDT (core/devtree.c) as a vdev builds it during GEN_FDT
 * through the SDK's gfdt_* helpers, and `fdt load`'s check of a user tree.
 * Architecture-neutral: the arm64 base tree is tested in its machine.
 */
#include <errno.h>
#include <libfdt.h>
#include <stdlib.h>

#include <qvm/fdt.h>

#include "test.h"
#include "vm.h"

static struct qvm_vm *gen_vm(void)
{
	struct qvm_vm *vm = NULL;
	struct qerr e;

	if (vm_create(&vm, &e) || vfdt_begin(vm, &e))
		abort();
	vm_set_current(vm);
	vm->fdt.building = true;	/* as while a vdev handles GEN_FDT */
	return vm;
}

static void done(struct qvm_vm *vm)
{
	vm_set_current(NULL);
	vm_destroy(vm);
}

static const void *prop(struct qvm_vm *vm, const char *path, const char *name, int *len)
{
	int n = fdt_path_offset(vm->fdt.blob, path);

	return n < 0 ? NULL : fdt_getprop(vm->fdt.blob, n, name, len);
}

TEST(a_vdev_node_with_every_helper)
{
	struct qvm_vm *vm = gen_vm();
	struct qerr e;
	int len;

	int n = gfdt_update_node(0, "dev", 0x9000000);
	CHECK(n >= 0);
	gfdt_update_prop_strings(n, "compatible", "acme,dev", "acme,bus", NULL);
	gfdt_update_reg(0, n, 0x9000000, 0x1000);	/* the macro ends the list */
	uint32_t cells[2] = { 1, 0x12345678 };
	gfdt_update_prop_cells(n, "acme,cells", cells, sizeof(cells));
	int ph = gfdt_update_phandle(n);
	CHECK(ph > 0 && gfdt_update_phandle(n) == ph);
	int clk = gfdt_get_clock(n, 24000000);
	CHECK(clk > 0 && clk != ph && gfdt_get_clock(n, 24000000) == clk);
	CHECK(gfdt_get_clock(n, 32768) != clk);
	/* a clock made while the vdev fills its node leaves the node's offset valid */
	gfdt_update_prop_string(n, "status", "okay");
	gfdt_update_property(n, "raw", "\x01\x02", 2);
	CHECK(gfdt_update_node(0, "dev", 0x9000000) == n);	/* found again, not made twice */
	CHECK(vm->fdt.err == 0);
	vm->fdt.building = false;
	CHECK(vfdt_finish(vm, &e) == 0);

	const char *c = prop(vm, "/dev@9000000", "compatible", &len);
	CHECK(c && len == (int)sizeof("acme,dev\0acme,bus") && memcmp(c, "acme,dev\0acme,bus", len) == 0);
	const fdt32_t *reg = prop(vm, "/dev@9000000", "reg", &len);
	CHECK(reg && len == 16 && fdt32_to_cpu(reg[1]) == 0x9000000 && fdt32_to_cpu(reg[3]) == 0x1000);
	const fdt32_t *v = prop(vm, "/dev@9000000", "acme,cells", &len);
	CHECK(v && len == 8 && fdt32_to_cpu(v[1]) == 0x12345678);
	CHECK_STR(prop(vm, "/dev@9000000", "status", &len), "okay");
	const fdt32_t *f = prop(vm, "/clocks/clock-24000000", "clock-frequency", &len);
	CHECK(f && fdt32_to_cpu(*f) == 24000000);
	/* written in the order made: compatible is the node's first property */
	int node = fdt_path_offset(vm->fdt.blob, "/dev@9000000");
	const char *first = NULL;
	fdt_getprop_by_offset(vm->fdt.blob, fdt_first_property_offset(vm->fdt.blob, node), &first, &len);
	CHECK_STR(first, "compatible");
	done(vm);
}

TEST(failures_are_remembered_for_the_vdev)
{
	struct qvm_vm *vm = gen_vm();

	int n = gfdt_update_node(0, "dev", 0x1000);
	CHECK(n >= 0);
	/* "dev" without a unit would alias "dev@1000": refused, not handed over */
	CHECK(gfdt_update_node(0, "dev", QSL_NO_LOCATION) == -FDT_ERR_EXISTS);
	CHECK(vm->fdt.err == -FDT_ERR_EXISTS);
	CHECK(strstr(vm->fdt.err_call, "gfdt_update_node") != NULL);
	vm->fdt.err = 0;
	gfdt_update_prop_string(n + 3, "x", "y");	/* not a node's offset */
	CHECK(vm->fdt.err < 0);
	vm->fdt.err = 0;
	uint32_t cell = 1;
	gfdt_update_prop_cells(n, "odd", &cell, 3);	/* not a whole cell */
	CHECK(vm->fdt.err == -FDT_ERR_BADVALUE);
	vm->fdt.err = 0;
	/* a 64-bit location does not fit one address cell */
	int parent = gfdt_update_node(0, "bus", QSL_NO_LOCATION);
	gfdt_update_prop_cells(parent, "#address-cells", &cell, 4);
	gfdt_update_prop_cells(parent, "#size-cells", &cell, 4);
	int child = gfdt_update_node(parent, "leaf", 0x100000000ull);
	gfdt_update_reg(parent, child, 0x100000000ull, 0x10);
	CHECK(vm->fdt.err == -FDT_ERR_BADVALUE);
	done(vm);
}

TEST(fdt_load_takes_only_whole_trees)
{
	struct qvm_vm *vm = NULL;
	struct qerr e;
	char tree[256];

	CHECK(vm_create(&vm, &e) == 0);
	CHECK(fdt_create_empty_tree(tree, sizeof(tree)) == 0);
	void *good = malloc(sizeof(tree));
	memcpy(good, tree, sizeof(tree));
	CHECK(vfdt_set_user(vm, good, sizeof(tree), false, 0, &e) == 0 && vm->fdt.user);

	void *junk = calloc(1, 64);	/* no magic */
	vfdt_free(vm);
	CHECK(vfdt_set_user(vm, junk, 64, false, 0, &e) == -EINVAL && !vm->fdt.user);
	CHECK(strstr(e.msg, "not a flattened device tree") != NULL);

	void *old = malloc(sizeof(tree));	/* version 16: refused */
	memcpy(old, tree, sizeof(tree));
	fdt_set_version(old, 16);
	CHECK(vfdt_set_user(vm, old, sizeof(tree), false, 0, &e) == -EINVAL);

	void *cut = malloc(64);	/* the header says more than the file has */
	memcpy(cut, tree, 64);
	CHECK(vfdt_set_user(vm, cut, 64, false, 0, &e) == -EINVAL);
	vm_destroy(vm);
}

int main(void)
{
	RUN(a_vdev_node_with_every_helper);
	RUN(failures_are_remembered_for_the_vdev);
	RUN(fdt_load_takes_only_whole_trees);
	TEST_EXIT();
}
