/*
 * The guest's flattened device tree, built with libfdt (core/devtree.c): the
 * architecture makes the base tree with these calls, the vdevs add
 * themselves through the SDK's gfdt_* helpers during VDEV_CTRL_GEN_FDT.
 * Or `fdt load [ADDR,]FILE` gives the whole tree instead.
 */
#ifndef QVM_FDT_IMPL_H
#define QVM_FDT_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "qerr.h"

struct qvm_vm;

/* The Linux arm64 boot protocol's limit on the tree (booting.rst). */
#define QVM_FDT_MAX	(2u << 20)

struct qvm_fdt {
	void *blob;		/* the tree; cap bytes, grown on demand up to QVM_FDT_MAX */
	size_t cap;
	bool building;		/* GEN_FDT being delivered: gfdt_* allowed */
	int err;		/* first failed gfdt_* call of this vdev: its libfdt error */
	char err_call[96];	/* ... and which call */
	uint32_t next_phandle;
	bool user;		/* `fdt load`: blob is the user's tree */
	bool user_have_addr;
	uint64_t user_addr;
};

/* An empty tree: a root with #address-cells and #size-cells 2. */
int vfdt_begin(struct qvm_vm *vm, struct qerr *e);
/* The subnode name@unit of parent (no @unit for QSL_NO_LOCATION), made if missing; or -FDT_ERR_*. */
int vfdt_node(struct qvm_vm *vm, int parent, const char *name, uint64_t unit);
/* Set a property: 0 or -FDT_ERR_*. The tree grows as needed. */
int vfdt_prop(struct qvm_vm *vm, int node, const char *name, const void *val, size_t len);
int vfdt_prop_str(struct qvm_vm *vm, int node, const char *name, const char *s);
/* n host-order cells, stored big-endian. */
int vfdt_prop_cells(struct qvm_vm *vm, int node, const char *name, const uint32_t *cells, size_t n);
/* node's phandle, given the next free one if it has none; 0 on failure. */
uint32_t vfdt_phandle(struct qvm_vm *vm, int node);
/* A fixed-clock of freq Hz under the root (one per frequency): its phandle, 0 on failure. */
uint32_t vfdt_clock(struct qvm_vm *vm, unsigned freq);

/*
 * VDEV_CTRL_GEN_FDT to every vdev in configuration order, with the root as
 * parent; a vdev whose helper call failed stops the build with its name.
 */
int vfdt_gen_vdevs(struct qvm_vm *vm, struct qerr *e);
/* Pack the tree; write it to `set fdt-dump-file` if given. */
int vfdt_finish(struct qvm_vm *vm, struct qerr *e);
/*
 * `fdt load`: the len bytes at buf (malloc()ed; the VM owns them from here)
 * are the whole FDT, once fdt_check_header and the size agree.
 */
int vfdt_set_user(struct qvm_vm *vm, void *buf, size_t len, bool have_addr, uint64_t addr,
		struct qerr *e);
void vfdt_free(struct qvm_vm *vm);

#endif
