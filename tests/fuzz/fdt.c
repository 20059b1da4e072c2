/*
 * Fuzz target: `fdt load FILE`'s check of the user's tree (vfdt_set_user:
 * the header, the size, libfdt's full structure check). A file it accepts
 * must be a tree libfdt can walk to the end; one it refuses leaves the VM
 * without a user tree.
 */
#include <libfdt.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vm.h"

static struct qvm_vm *vm;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct qerr e;

	(void)argc;
	(void)argv;
	if (vm_create(&vm, &e))
		abort();
	vm_set_current(vm);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct qerr e;
	void *buf = malloc(size ? size : 1);

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	vfdt_free(vm);
	if (vfdt_set_user(vm, buf, size, false, 0, &e) == 0) {
		/* accepted: every node and property is reachable within the blob */
		int depth = 0, n = 0;
		for (int off = fdt_next_node(vm->fdt.blob, -1, &depth); off >= 0;
				off = fdt_next_node(vm->fdt.blob, off, &depth)) {
			int p;
			fdt_for_each_property_offset(p, vm->fdt.blob, off) {
				int len;
				const char *name;
				if (!fdt_getprop_by_offset(vm->fdt.blob, p, &name, &len) || len < 0)
					abort();
			}
			n++;
		}
		if (n == 0 || fdt_totalsize(vm->fdt.blob) > size)
			abort();
	} else if (vm->fdt.user) {
		abort();
	}
	return 0;
}
