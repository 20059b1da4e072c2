/*
 * The guest's FDT with libfdt: a read-write tree that grows as the base
 * tree and the vdevs fill it (up to the boot protocol's 2 MiB), and the
 * SDK's gfdt_* helpers over it. Node offsets are libfdt's, so every call
 * that may insert re-opens nothing itself: the caller keeps its offsets
 * per the rule in qvm/fdt.h.
 */
#include "devtree.h"
#include "files.h"

#include <errno.h>
#include <fcntl.h>
#include <libfdt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <qvm/fdt.h>
#include <qvm/log.h>

#include "vdev_impl.h"
#include "vm.h"

#define FDT_FIRST_CAP	(16u << 10)

int vfdt_begin(struct qvm_vm *vm, struct qerr *e)
{
	struct qvm_fdt *f = &vm->fdt;

	if (f->user)
		return 0;
	free(f->blob);
	f->blob = calloc(1, FDT_FIRST_CAP);
	if (!f->blob)
		return qerr_set(e, -ENOMEM, "out of memory");
	f->cap = FDT_FIRST_CAP;
	f->next_phandle = 1;
	int r = fdt_create_empty_tree(f->blob, (int)f->cap);
	if (!r)
		r = vfdt_prop_cells(vm, 0, "#address-cells", (const uint32_t[]){ 2 }, 1);
	if (!r)
		r = vfdt_prop_cells(vm, 0, "#size-cells", (const uint32_t[]){ 2 }, 1);
	/*
	 * The fixed clocks' home, made first so it stays the root's last child
	 * (libfdt puts a new subnode first): a clock added while a vdev fills
	 * its node then moves nothing before it, and the vdev's offset holds.
	 */
	if (!r)
		r = vfdt_node(vm, 0, "clocks", QSL_NO_LOCATION) < 0 ? -FDT_ERR_NOSPACE : 0;
	if (r)
		return qerr_set(e, -ENOMEM, "cannot make the FDT: %s", fdt_strerror(r));
	return 0;
}

/* Twice the room, up to QVM_FDT_MAX: 0, or -FDT_ERR_NOSPACE at the limit. */
static int grow(struct qvm_fdt *f)
{
	if (f->cap >= QVM_FDT_MAX)
		return -FDT_ERR_NOSPACE;
	size_t cap = f->cap * 2 > QVM_FDT_MAX ? QVM_FDT_MAX : f->cap * 2;
	void *b = realloc(f->blob, cap);
	if (!b)
		return -FDT_ERR_NOSPACE;
	f->blob = b;
	f->cap = cap;
	return fdt_open_into(b, b, (int)cap);
}

int vfdt_node(struct qvm_vm *vm, int parent, const char *name, uint64_t unit)
{
	struct qvm_fdt *f = &vm->fdt;
	char full[128];
	int n, r;

	if (unit == QSL_NO_LOCATION)
		n = snprintf(full, sizeof(full), "%s", name);
	else
		n = snprintf(full, sizeof(full), "%s@%llx", name, (unsigned long long)unit);
	if (n < 0 || (size_t)n >= sizeof(full))
		return -FDT_ERR_BADVALUE;
	r = fdt_subnode_offset(f->blob, parent, full);
	/* libfdt lets "name" match "name@unit": that node is another's, not this one */
	if (r >= 0 && strcmp(fdt_get_name(f->blob, r, NULL), full) != 0)
		return -FDT_ERR_EXISTS;
	if (r != -FDT_ERR_NOTFOUND)
		return r;
	while ((r = fdt_add_subnode(f->blob, parent, full)) == -FDT_ERR_NOSPACE)
		if ((r = grow(f)) < 0)
			return r;
	return r;
}

int vfdt_prop(struct qvm_vm *vm, int node, const char *name, const void *val, size_t len)
{
	struct qvm_fdt *f = &vm->fdt;
	int r;

	if (len > QVM_FDT_MAX)
		return -FDT_ERR_NOSPACE;
	while ((r = fdt_setprop(f->blob, node, name, val, (int)len)) == -FDT_ERR_NOSPACE)
		if ((r = grow(f)) < 0)
			return r;
	return r;
}

int vfdt_prop_str(struct qvm_vm *vm, int node, const char *name, const char *s)
{
	return vfdt_prop(vm, node, name, s, strlen(s) + 1);
}

int vfdt_prop_cells(struct qvm_vm *vm, int node, const char *name, const uint32_t *cells, size_t n)
{
	uint32_t be[64];

	if (n > sizeof(be) / sizeof(be[0]))
		return -FDT_ERR_BADVALUE;
	for (size_t i = 0; i < n; i++)
		be[i] = cpu_to_fdt32(cells[i]);
	return vfdt_prop(vm, node, name, be, n * sizeof(be[0]));
}

uint32_t vfdt_phandle(struct qvm_vm *vm, int node)
{
	uint32_t ph = fdt_get_phandle(vm->fdt.blob, node);

	if (ph)
		return ph;
	uint32_t max = 0;	/* clear of any phandle a vdev set itself */
	if (fdt_find_max_phandle(vm->fdt.blob, &max) == 0 && max >= vm->fdt.next_phandle)
		vm->fdt.next_phandle = max + 1;
	ph = vm->fdt.next_phandle++;
	return vfdt_prop_cells(vm, node, "phandle", &ph, 1) ? 0 : ph;
}

uint32_t vfdt_clock(struct qvm_vm *vm, unsigned freq)
{
	char name[32];
	int clocks = fdt_path_offset(vm->fdt.blob, "/clocks");

	if (clocks < 0)
		return 0;
	snprintf(name, sizeof(name), "clock-%u", freq);
	int node = fdt_subnode_offset(vm->fdt.blob, clocks, name);
	if (node >= 0)
		return vfdt_phandle(vm, node);
	node = vfdt_node(vm, clocks, name, QSL_NO_LOCATION);
	if (node < 0 || vfdt_prop_str(vm, node, "compatible", "fixed-clock") ||
			vfdt_prop_cells(vm, node, "#clock-cells", (const uint32_t[]){ 0 }, 1) ||
			vfdt_prop_cells(vm, node, "clock-frequency", &freq, 1))
		return 0;
	return vfdt_phandle(vm, node);
}

/* ---- the SDK's helpers, for the vdev being sent GEN_FDT ---- */

/* The VM whose tree a vdev may change now, or NULL after reporting the misuse. */
static struct qvm_vm *gen_vm(const char *fn)
{
	struct qvm_vm *vm = vm_current();

	if (!vm || !vm->fdt.building) {
		api_violation(vm, vdev_running ? &vdev_running->pub : NULL, fn,
				"may only be called while handling VDEV_CTRL_GEN_FDT");
		return NULL;
	}
	return vm;
}

/* Keep the first failure of this vdev's calls for fdt_gen_vdevs to report. */
static int note(struct qvm_vm *vm, int r, const char *fn, const char *what)
{
	if (r < 0 && !vm->fdt.err) {
		vm->fdt.err = r;
		snprintf(vm->fdt.err_call, sizeof(vm->fdt.err_call), "%s(\"%.48s\")", fn, what);
	}
	return r;
}

int gfdt_update_node(int parent, const char *nodename, uint64_t unit)
{
	struct qvm_vm *vm = gen_vm("gfdt_update_node()");

	if (!vm)
		return -FDT_ERR_BADSTATE;
	if (!nodename || !*nodename)
		return note(vm, -FDT_ERR_BADPATH, "gfdt_update_node", "");
	return note(vm, vfdt_node(vm, parent, nodename, unit), "gfdt_update_node", nodename);
}

void gfdt_update_property(int node, const char *propname, const void *valp, size_t vall)
{
	struct qvm_vm *vm = gen_vm("gfdt_update_property()");

	if (vm)
		note(vm, propname && (valp || !vall) ? vfdt_prop(vm, node, propname, valp, vall) :
				-FDT_ERR_BADVALUE, "gfdt_update_property", propname ? propname : "");
}

void gfdt_update_prop_string(int node, const char *propname, const char *str)
{
	struct qvm_vm *vm = gen_vm("gfdt_update_prop_string()");

	if (vm)
		note(vm, propname && str ? vfdt_prop_str(vm, node, propname, str) : -FDT_ERR_BADVALUE,
				"gfdt_update_prop_string", propname ? propname : "");
}

void gfdt_update_prop_strings(int node, const char *propname, ...)
{
	struct qvm_vm *vm = gen_vm("gfdt_update_prop_strings()");
	char buf[1024];
	size_t len = 0;
	int r = propname ? 0 : -FDT_ERR_BADVALUE;
	va_list ap;

	if (!vm)
		return;
	va_start(ap, propname);
	for (const char *s; !r && (s = va_arg(ap, const char *));) {
		size_t n = strlen(s) + 1;
		if (n > sizeof(buf) - len)
			r = -FDT_ERR_BADVALUE;
		else
			memcpy(buf + len, s, n);
		len += n;
	}
	va_end(ap);
	note(vm, r ? r : vfdt_prop(vm, node, propname, buf, len), "gfdt_update_prop_strings",
			propname ? propname : "");
}

void gfdt_update_prop_cells(int node, const char *propname, uint32_t *valp, size_t vall)
{
	struct qvm_vm *vm = gen_vm("gfdt_update_prop_cells()");

	if (vm)
		note(vm, propname && (valp || !vall) && vall % 4 == 0 ?
				vfdt_prop_cells(vm, node, propname, valp, vall / 4) : -FDT_ERR_BADVALUE,
				"gfdt_update_prop_cells", propname ? propname : "");
}

int gfdt_update_phandle(int node)
{
	struct qvm_vm *vm = gen_vm("gfdt_update_phandle()");
	uint32_t ph = vm ? vfdt_phandle(vm, node) : 0;

	if (vm && !ph)
		note(vm, -FDT_ERR_BADOFFSET, "gfdt_update_phandle", "phandle");
	return (int)ph;
}

int gfdt_get_clock(int node, unsigned freq)
{
	struct qvm_vm *vm = gen_vm("gfdt_get_clock()");
	uint32_t ph = vm ? vfdt_clock(vm, freq) : 0;

	(void)node;
	if (vm && !ph)
		note(vm, -FDT_ERR_NOSPACE, "gfdt_get_clock", "fixed-clock");
	return (int)ph;
}

void gfdt_update_interrupts(int node, ...)
{
	struct qvm_vm *vm = gen_vm("gfdt_update_interrupts()");
	uint32_t cells[64];
	size_t n = 0;
	int r = 0;
	va_list ap;

	if (!vm)
		return;
	va_start(ap, node);
	for (const guest_intr_t *gi; !r && (gi = va_arg(ap, const guest_intr_t *));) {
		if (!gi->pic)
			continue;
		struct qvm_vdev *pic = vdev_of(gi->pic);
		if (pic < vm->pics || pic >= vm->pics + vm->npics) {
			r = -FDT_ERR_BADVALUE;	/* only the built-in controllers exist */
			break;
		}
		int k = arch_fdt_interrupt(vm, (unsigned)(pic - vm->pics), gi->param,
				cells + n, sizeof(cells) / sizeof(cells[0]) - n);
		if (k < 0)
			r = -FDT_ERR_BADVALUE;
		else
			n += (size_t)k;
	}
	va_end(ap);
	if (!r && n)
		r = vfdt_prop_cells(vm, node, "interrupts", cells, n);
	note(vm, r, "gfdt_update_interrupts", "interrupts");
}

void gfdt_update_reg_list(int parent, int node, const uint64_t *loc_len)
{
	struct qvm_vm *vm = gen_vm("gfdt_update_reg()");
	uint32_t cells[64];
	size_t n = 0;
	int r = 0;

	if (!vm)
		return;
	int ac = fdt_address_cells(vm->fdt.blob, parent), sc = fdt_size_cells(vm->fdt.blob, parent);
	if (ac < 0 || sc < 0 || ac > 2 || sc > 2)
		r = ac < 0 ? ac : sc < 0 ? sc : -FDT_ERR_BADNCELLS;
	for (size_t i = 0; !r && loc_len[i] != QSL_NO_LOCATION; i += 2) {
		uint64_t v[2] = { loc_len[i], loc_len[i + 1] };
		if (v[1] == QSL_NO_LOCATION || n + (size_t)(ac + sc) > sizeof(cells) / sizeof(cells[0])) {
			r = -FDT_ERR_BADVALUE;	/* a location without its length, or too many */
			break;
		}
		for (int k = 0; k < 2; k++) {
			int nc = k ? sc : ac;
			if (nc == 1 && v[k] >> 32) {
				r = -FDT_ERR_BADVALUE;	/* does not fit the parent's cells */
				break;
			}
			if (nc == 2)
				cells[n++] = (uint32_t)(v[k] >> 32);
			if (nc >= 1)
				cells[n++] = (uint32_t)v[k];
		}
	}
	if (!r)
		r = vfdt_prop_cells(vm, node, "reg", cells, n);
	note(vm, r, "gfdt_update_reg", "reg");
}

/* ---- the whole tree ---- */

int vfdt_gen_vdevs(struct qvm_vm *vm, struct qerr *e)
{
	char where[300];

	for (struct qvm_vdev *d = vm->vdevs; d; d = d->next) {
		vm->cur_tok = d->where;
		vm->fdt.err = 0;
		vm->fdt.building = true;
		int r = vdev_control(d, VDEV_CTRL_GEN_FDT, (const char *)(uintptr_t)0);
		vm->fdt.building = false;
		if (r)
			r = qerr_set(e, -r, "vdev %s: GEN_FDT failed: %s", d->name, strerror(r));
		else if (vm->fdt.err)
			r = qerr_set(e, -EINVAL, "vdev %s: GEN_FDT: %s failed: %s", d->name,
					vm->fdt.err_call, fdt_strerror(vm->fdt.err));
		if (r) {
			qerr_prefix(e, "%s", vm_where(vm, where, sizeof(where)));
			vm->cur_tok = NULL;
			return r;
		}
	}
	vm->cur_tok = NULL;
	return 0;
}

/*
 * libfdt puts each new property and subnode first in its node; write the
 * tree out again with both in the order they were made, which is the
 * order a reader of `dtc` output expects (compatible before reg, the base
 * tree before the vdevs).
 */
static int copy_node(const void *src, int node, void *dst, int depth)
{
	int n = 0, k, r = 0, *offs;

	if (depth > 64)
		return -FDT_ERR_BADSTRUCTURE;
	r = fdt_begin_node(dst, fdt_get_name(src, node, NULL));
	fdt_for_each_property_offset(k, src, node)
		n++;
	fdt_for_each_subnode(k, src, node)
		n++;
	offs = malloc(((size_t)n + 1) * sizeof(*offs));
	if (!offs)
		return -FDT_ERR_NOSPACE;
	int np = 0, ns = 0;
	fdt_for_each_property_offset(k, src, node)
		offs[np++] = k;
	for (int i = np; i-- > 0 && !r;) {
		const char *name;
		int len;
		const void *val = fdt_getprop_by_offset(src, offs[i], &name, &len);
		r = val ? fdt_property(dst, name, val, len) : len;
	}
	fdt_for_each_subnode(k, src, node)
		offs[np + ns++] = k;
	for (int i = ns; i-- > 0 && !r;)
		r = copy_node(src, offs[np + i], dst, depth + 1);
	free(offs);
	return r ? r : fdt_end_node(dst);
}

static int in_creation_order(struct qvm_fdt *f)
{
	void *dst = malloc(f->cap);
	int r = dst ? fdt_create(dst, (int)f->cap) : -FDT_ERR_NOSPACE;

	if (!r)
		r = fdt_finish_reservemap(dst);
	if (!r)
		r = copy_node(f->blob, 0, dst, 0);
	if (!r)
		r = fdt_finish(dst);
	if (r) {
		free(dst);
		return r;
	}
	free(f->blob);
	f->blob = dst;
	return 0;
}

int vfdt_finish(struct qvm_vm *vm, struct qerr *e)
{
	struct qvm_fdt *f = &vm->fdt;
	int r = 0;

	if (!f->user) {
		int clocks = fdt_path_offset(f->blob, "/clocks");
		if (clocks >= 0 && fdt_first_subnode(f->blob, clocks) < 0)
			r = fdt_del_node(f->blob, clocks);	/* nobody asked for one */
		if (!r)
			r = in_creation_order(f);
	}

	if (r)
		return qerr_set(e, -EINVAL, "cannot pack the FDT: %s", fdt_strerror(r));
	if (!vm->fdt_dump_file)
		return 0;
	r = file_write_all(vm->fdt_dump_file, f->blob, fdt_totalsize(f->blob));
	if (r)
		return qerr_set(e, r, "set fdt-dump-file: cannot write '%s': %s",
				vm->fdt_dump_file, strerror(-r));
	return 0;
}

/*
 * Walk the structure block of a version 17 tree whose header fdt_check_header
 * passed: every token inside the block, every name NUL-terminated inside
 * it, every property's value inside it and its name a NUL-terminated
 * string of the strings block, nodes balanced under one root, FDT_END
 * last. Ours, before libfdt's fdt_check_full: the libfdt of Debian 12
 * dereferences NULL on some bad string offsets and takes a tree without
 * a root. Linear in the block's size.
 */
static int check_structure(const uint8_t *b)
{
	uint32_t off = fdt_off_dt_struct(b), end = off + fdt_size_dt_struct(b);
	uint32_t strs = fdt_off_dt_strings(b), ssize = fdt_size_dt_strings(b);
	unsigned depth = 0, roots = 0;

	if (end < off || end > fdt_totalsize(b) || strs + ssize < strs || strs + ssize > fdt_totalsize(b))
		return -FDT_ERR_TRUNCATED;
	while (end - off >= 4) {
		uint32_t tok = fdt32_ld((const fdt32_t *)(b + off));	/* off_dt_struct may be unaligned */
		off += 4;
		switch (tok) {
		case FDT_BEGIN_NODE: {
			const uint8_t *nul = memchr(b + off, '\0', end - off);
			if (!nul)
				return -FDT_ERR_BADSTRUCTURE;
			off = (uint32_t)(nul - b) + 1;
			off = (off + 3) & ~3u;
			if (depth == 0 && ++roots > 1)
				return -FDT_ERR_BADSTRUCTURE;
			if (++depth > 64)
				return -FDT_ERR_BADSTRUCTURE;
			break;
		}
		case FDT_END_NODE:
			if (depth-- == 0)
				return -FDT_ERR_BADSTRUCTURE;
			break;
		case FDT_PROP: {
			if (depth == 0 || end - off < 8)
				return -FDT_ERR_BADSTRUCTURE;
			uint32_t vlen = fdt32_ld((const fdt32_t *)(b + off));
			uint32_t name = fdt32_ld((const fdt32_t *)(b + off + 4));
			off += 8;
			if (vlen > end - off || name >= ssize || !memchr(b + strs + name, '\0', ssize - name))
				return -FDT_ERR_BADSTRUCTURE;
			off += vlen;
			off = (off + 3) & ~3u;
			break;
		}
		case FDT_NOP:
			break;
		case FDT_END:
			return depth == 0 && roots == 1 && off == end ? 0 : -FDT_ERR_BADSTRUCTURE;
		default:
			return -FDT_ERR_BADSTRUCTURE;
		}
		if (off > end)
			return -FDT_ERR_BADSTRUCTURE;
	}
	return -FDT_ERR_TRUNCATED;
}

int vfdt_set_user(struct qvm_vm *vm, void *buf, size_t len, bool have_addr, uint64_t addr,
		struct qerr *e)
{
	struct qvm_fdt *f = &vm->fdt;
	/* the whole structure, not only the header: the guest parses what it gets */
	int r = len < sizeof(struct fdt_header) ? -FDT_ERR_TRUNCATED : fdt_check_header(buf);

	if (!r && fdt_totalsize(buf) > len)
		r = -FDT_ERR_TRUNCATED;
	if (!r && fdt_version(buf) < 17)	/* what booting.rst asks for; older ones lack sizes */
		r = -FDT_ERR_BADVERSION;
	if (!r)
		r = check_structure(buf);
	if (!r)
		r = fdt_check_full(buf, len);
	if (r) {
		free(buf);
		return qerr_set(e, -EINVAL, "not a flattened device tree: %s", fdt_strerror(r));
	}
	if (f->user)
		vm_log(vm, QL_QVM_WARN, "a second `fdt load` replaces the first");
	free(f->blob);
	f->blob = buf;
	f->cap = len;
	f->user = true;
	f->user_have_addr = have_addr;
	f->user_addr = addr;
	return 0;
}

void vfdt_free(struct qvm_vm *vm)
{
	free(vm->fdt.blob);
	vm->fdt = (struct qvm_fdt){ 0 };
}
