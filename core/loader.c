#include "loader.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <qvm/log.h>

#include "elf_load.h"
#include "vm.h"

/*
 * Opens path for loading: a regular file that is not empty, opened
 * non-blocking so that a FIFO cannot stall open() (and then refused), its
 * size known before anything is read.
 */
static int open_input(const char *path, int *fd, size_t *size, struct qerr *e)
{
	struct stat st;

	*fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (*fd < 0)
		return qerr_set(e, -errno, "cannot read '%s': %s", path, strerror(errno));
	bool reg = fstat(*fd, &st) == 0 && S_ISREG(st.st_mode);
	if (!reg || st.st_size <= 0) {
		close(*fd);
		/* /proc files are regular files of size 0: refused with the empty ones */
		return qerr_set(e, -EINVAL, "cannot load '%s': %s", path,
				reg ? "the file is empty" : "not a regular file");
	}
	*size = (size_t)st.st_size;
	return 0;
}

/* Exactly len bytes from fd at offset off into buf. */
static int read_at(int fd, const char *path, void *buf, size_t len, off_t off, struct qerr *e)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = pread(fd, (uint8_t *)buf + got, len - got, off + (off_t)got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int err = n < 0 ? errno : EIO;
			return qerr_set(e, -err, "cannot read '%s': %s", path,
					n < 0 ? strerror(err) : "the file shrank while being read");
		}
		got += (size_t)n;
	}
	return 0;
}

/* Note [gpa, gpa+len) as filled by a load: 0, or -ENOMEM. */
static int note_placed(struct qvm_vm *vm, uint64_t gpa, uint64_t len)
{
	if (!len)
		return 0;
	if (vm->nplaced == vm->placed_cap) {
		unsigned cap = vm->placed_cap ? vm->placed_cap * 2 : 8;
		struct qvm_blob *p = realloc(vm->placed, cap * sizeof(*p));
		if (!p)
			return -ENOMEM;
		vm->placed = p;
		vm->placed_cap = cap;
	}
	vm->placed[vm->nplaced++] = (struct qvm_blob){ gpa, len };
	return 0;
}

const struct qvm_blob *loader_overlap(const struct qvm_vm *vm, uint64_t gpa, uint64_t len)
{
	for (unsigned i = 0; i < vm->nplaced; i++) {
		const struct qvm_blob *b = &vm->placed[i];
		if (len && gpa < b->gpa + b->len && b->gpa < gpa + len)
			return b;
	}
	return NULL;
}

static void *vm_dest(void *ctx, uint64_t gpa, uint64_t len)
{
	struct qvm_vm *vm = ctx;
	void *p = vm_gpa_to_hva(vm, gpa, len);

	if (p && note_placed(vm, gpa, len))
		return NULL;	/* out of memory: the loader reports the segment */
	return p;
}

static int load_elf(struct qvm_vm *vm, const char *path, int fd, size_t size,
		bool have_addr, uint64_t addr, struct qerr *e)
{
	uint64_t entry;
	uint8_t *buf;
	int r;

	if (size > QVM_ELF_MAX_BYTES)
		return qerr_set(e, -EFBIG, "'%s': ELF image too large (%zu bytes; at most %u)",
				path, size, QVM_ELF_MAX_BYTES);
	buf = malloc(size);
	if (!buf)
		return qerr_set(e, -ENOMEM, "'%s': out of memory", path);
	r = read_at(fd, path, buf, size, 0, e);
	if (!r && have_addr)
		vm_log(vm, QL_QVM_WARN, "load 0x%llx,%s: an ELF image loads at its own "
				"program headers; the address is ignored",
				(unsigned long long)addr, path);
	if (!r)
		r = arch_elf_image(vm, buf, size, e);
	if (!r)
		r = elf_load(path, buf, size, ARCH_ELF_MACHINE, ARCH_ELF32_MACHINE, ARCH_NAME,
				vm_dest, vm, &entry, e);
	free(buf);
	if (!r && !vm_gpa_to_hva(vm, entry, 1))
		r = qerr_set(e, -ERANGE, "'%s': entry point 0x%llx is outside guest memory", path,
				(unsigned long long)entry);
	if (!r) {
		vm->boot.entry = entry;
		vm->boot.have_entry = true;
	}
	return r;
}

/* A raw file straight into guest memory, once it is known to fit. */
/*
 * The vendor's "first available location" for a `data load` without an
 * address: the lowest page in ram, from ARCH_DATA_FLOOR up (x86 keeps its
 * first MiB for the boot protocols' structures), where len bytes touch
 * nothing loaded and no `reserve loc`. Such loads run after every other (loader_run), so they
 * never take a place an image names.
 */
static int first_free(const struct qvm_vm *vm, uint64_t len, uint64_t *out)
{
	bool found = false;
	uint64_t best = 0;

	for (unsigned i = 0; i < vm->nmem; i++) {
		const struct qvm_mem *m = &vm->mem[i];
		uint64_t end = m->gpa + m->len;
		uint64_t a = m->gpa > ARCH_DATA_FLOOR ? m->gpa : ARCH_DATA_FLOOR;
		a = (a + 0xfff) & ~0xfffull;
		if (m->rom)
			continue;
		/* each blob in the way moves a past it: at most nplaced + 1 tries */
		for (unsigned tries = 0; tries <= vm->nplaced + vm->nresv && a < end && len <= end - a;
				tries++) {
			const struct qvm_blob *b = loader_overlap(vm, a, len);
			const struct qvm_resv *rv = b ? NULL : reserve_overlap(vm, REGION_MEM, a, len);
			if (!b && !rv) {
				if (!found || a < best)
					best = a;
				found = true;
				break;
			}
			a = ((b ? b->gpa + b->len : rv->base + rv->len) + 0xfff) & ~0xfffull;
		}
	}
	if (!found)
		return -ENOSPC;
	*out = best;
	return 0;
}

static int load_raw(struct qvm_vm *vm, const char *path, int fd, size_t size,
		enum load_kind kind, bool have_addr, uint64_t addr, struct qerr *e)
{
	uint64_t ram = 0, span = size, skip = 0, copy = UINT64_MAX;
	bool found = false;
	int r;

	for (unsigned i = 0; i < vm->nmem; i++)
		if (!vm->mem[i].rom && (!found || vm->mem[i].gpa < ram)) {
			ram = vm->mem[i].gpa;
			found = true;
		}
	if (!have_addr && !found)
		return qerr_set(e, -EINVAL, "'%s': no ram to load it into (give `ram` first)", path);
	if (kind == LOAD_IMAGE) {
		uint8_t *head = calloc(1, QVM_IMAGE_HEAD);
		size_t n = size < QVM_IMAGE_HEAD ? size : QVM_IMAGE_HEAD;
		r = head ? read_at(fd, path, head, n, 0, e) : qerr_set(e, -ENOMEM, "out of memory");
		if (!r)
			r = arch_raw_image(vm, head, n, size, ram, have_addr, &addr, &skip, &copy, &span,
					e);
		free(head);
		if (r < 0) {
			qerr_prefix(e, "'%s': ", path);
			return r;
		}
		if (skip > size || (copy != UINT64_MAX && copy > size - skip))
			return qerr_set(e, -EINVAL, "'%s': nothing to load past byte %llu", path,
					(unsigned long long)skip);
	} else if (kind == LOAD_INITRD && !have_addr) {
		/* the top of the lowest ram, page-aligned: clear of the image, which starts low */
		const struct qvm_mem *m = vm_mem_at(vm, ram);
		if (size > m->len)
			return qerr_set(e, -ERANGE, "'%s' (%zu bytes) is larger than ram at 0x%llx",
					path, size, (unsigned long long)ram);
		addr = (m->gpa + m->len - size) & ~0xfffull;
	} else if (kind == LOAD_DATA && !have_addr) {
		if ((r = first_free(vm, span, &addr)))
			return qerr_set(e, r, "'%s' (%zu bytes): no free ram for it (give an address, "
					"data load ADDR,FILE)", path, size);
		vm_log(vm, QL_QVM_INFO, "data load '%s': placed at 0x%llx-0x%llx", path,
				(unsigned long long)addr, (unsigned long long)(addr + size - 1));
	} else if (!have_addr) {
		addr = ram;
	}
	uint8_t *dst = vm_gpa_to_hva(vm, addr, span);
	if (!dst)
		return qerr_set(e, -ERANGE, "'%s' (%llu bytes%s) does not fit in ram/rom at 0x%llx",
				path, (unsigned long long)span, span > size ? " with its bss" : "",
				(unsigned long long)addr);
	r = read_at(fd, path, dst, copy != UINT64_MAX ? copy : size - skip, (off_t)skip, e);
	if (!r && note_placed(vm, addr, span))
		r = qerr_set(e, -ENOMEM, "'%s': out of memory", path);
	if (!r && kind == LOAD_IMAGE) {
		vm->boot.entry = addr;
		vm->boot.have_entry = true;
	}
	if (!r && (kind == LOAD_DATA || kind == LOAD_INITRD)) {
		struct qvm_boot *b = &vm->boot;
		if (b->nmods < QVM_MAX_MODULES)
			b->mods[b->nmods++] = (struct qvm_module){ addr, size, path, NULL };
		else
			b->mods_dropped = true;
	}
	if (!r && kind == LOAD_INITRD) {
		if (vm->boot.initrd.len)
			vm_log(vm, QL_QVM_WARN, "a second `initrd load` replaces the first");
		vm->boot.initrd = (struct qvm_blob){ addr, size };
		vm->boot.initrd_default = !have_addr;
		vm->initrd_placed = vm->nplaced - 1;
	}
	return r;
}

/* The whole file, for vfdt_set_user: bounded by the boot protocol's 2 MiB. */
static int load_fdt(struct qvm_vm *vm, const char *path, int fd, size_t size,
		bool have_addr, uint64_t addr, struct qerr *e)
{
	if (size > QVM_FDT_MAX)
		return qerr_set(e, -EFBIG, "'%s': an FDT is at most %u bytes (this is %zu)", path,
				QVM_FDT_MAX, size);
	void *buf = malloc(size);
	if (!buf)
		return qerr_set(e, -ENOMEM, "'%s': out of memory", path);
	int r = read_at(fd, path, buf, size, 0, e);
	if (r) {
		free(buf);
		return r;
	}
	r = vfdt_set_user(vm, buf, size, have_addr, addr, e);
	if (r)
		qerr_prefix(e, "'%s': ", path);
	/* booting.rst: in RAM, 8-byte aligned, not across a 2 MiB boundary */
	const struct qvm_mem *m = have_addr ? vm_mem_at(vm, addr) : NULL;
	if (!r && have_addr && (!m || m->rom || size > m->gpa + m->len - addr))
		r = qerr_set(e, -ERANGE, "fdt load 0x%llx: the FDT (%zu bytes) is not in ram",
				(unsigned long long)addr, size);
	else if (!r && have_addr && ((addr & 7) || (addr >> 21) != ((addr + size - 1) >> 21)))
		r = qerr_set(e, -EINVAL, "fdt load 0x%llx: the FDT must be 8-byte aligned and not "
				"cross a 2 MiB boundary", (unsigned long long)addr);
	return r;
}

/*
 * One ACPI table, checked whole (header, length, checksum): at ADDR in
 * guest memory, else kept for the ACPI area the architecture places.
 */
static int load_acpi(struct qvm_vm *vm, const char *path, int fd, size_t size,
		bool have_addr, uint64_t addr, struct qerr *e)
{
	if (size > ACPI_TABLE_MAX)
		return qerr_set(e, -EFBIG, "'%s': an ACPI table qvm takes is at most %u bytes (this "
				"is %zu)", path, ACPI_TABLE_MAX, size);
	uint8_t *buf = malloc(size);
	if (!buf)
		return qerr_set(e, -ENOMEM, "'%s': out of memory", path);
	int r = read_at(fd, path, buf, size, 0, e);
	uint8_t *dst = NULL;
	if (!r && have_addr && !(dst = vm_gpa_to_hva(vm, addr, size)))
		r = qerr_set(e, -ERANGE, "'%s' (%zu bytes) does not fit in ram/rom at 0x%llx",
				path, size, (unsigned long long)addr);
	if (r) {
		free(buf);
		return r;
	}
	if (dst)
		memcpy(dst, buf, size);
	r = vacpi_user_table(vm, buf, size, have_addr, addr, e);	/* buf is the VM's now */
	if (r)
		qerr_prefix(e, "'%s': ", path);
	else if (dst && note_placed(vm, addr, size))
		r = qerr_set(e, -ENOMEM, "'%s': out of memory", path);
	return r;
}

int loader_load(struct qvm_vm *vm, const char *path, enum load_kind kind,
		bool have_addr, uint64_t addr, struct qerr *e)
{
	uint8_t magic[SELFMAG] = { 0 };
	size_t size = 0;
	int fd, r = open_input(path, &fd, &size, e);

	if (r)
		return r;
	if (kind == LOAD_FDT || kind == LOAD_ACPI) {
		r = (kind == LOAD_FDT ? load_fdt : load_acpi)(vm, path, fd, size, have_addr, addr, e);
		close(fd);
		return r;
	}
	if (kind == LOAD_IMAGE && size >= SELFMAG)
		r = read_at(fd, path, magic, SELFMAG, 0, e);
	if (!r && kind == LOAD_IMAGE && memcmp(magic, ELFMAG, SELFMAG) == 0)
		r = load_elf(vm, path, fd, size, have_addr, addr, e);
	else if (!r)
		r = load_raw(vm, path, fd, size, kind, have_addr, addr, e);
	close(fd);
	return r;
}

int loader_plan(struct qvm_vm *vm, const char *where, const char *path, enum load_kind kind,
		bool have_addr, uint64_t addr, struct qerr *e)
{
	struct qvm_load *l;

	if (vm->nloads == QVM_MAX_LOADS)
		return qerr_set(e, -ENOSPC, "%stoo many `load` options (at most %d)", where,
				QVM_MAX_LOADS);
	if (vm->nloads == vm->loads_cap) {
		unsigned cap = vm->loads_cap ? vm->loads_cap * 2 : 4;
		l = realloc(vm->loads, cap * sizeof(*l));
		if (!l)
			return qerr_set(e, -ENOMEM, "%sout of memory", where);
		vm->loads = l;
		vm->loads_cap = cap;
	}
	l = &vm->loads[vm->nloads];
	*l = (struct qvm_load){ .kind = kind, .have_addr = have_addr, .addr = addr,
		.where = strdup(where), .path = strdup(path) };
	if (!l->where || !l->path) {
		free(l->where);
		free(l->path);
		return qerr_set(e, -ENOMEM, "%sout of memory", where);
	}
	vm->nloads++;
	return 0;
}

int loader_run(struct qvm_vm *vm, struct qerr *e)
{
	const struct qvm_load *rd = NULL, *fdt = NULL;

	/* two passes: the address-less data blobs go last, where room is left */
	for (unsigned n = 0; n < 2 * vm->nloads; n++) {
		const struct qvm_load *l = &vm->loads[n % vm->nloads];
		bool floating = l->kind == LOAD_DATA && !l->have_addr;
		if (floating != (n >= vm->nloads))
			continue;
		int r = loader_load(vm, l->path, l->kind, l->have_addr, l->addr, e);
		if (r) {
			qerr_prefix(e, "%s", l->where);
			return r;
		}
		if ((l->kind == LOAD_DATA || l->kind == LOAD_INITRD) && vm->boot.nmods &&
				!vm->boot.mods[vm->boot.nmods - 1].where)
			vm->boot.mods[vm->boot.nmods - 1].where = l->where;
		if (l->kind == LOAD_INITRD)
			rd = l;
		if (l->kind == LOAD_FDT)
			fdt = l;
	}
	/* The user's FDT is copied in last: nothing else may be where it goes. */
	const struct qvm_blob *o = fdt && fdt->have_addr ?
		loader_overlap(vm, fdt->addr, vm->fdt.cap) : NULL;
	if (o)
		return qerr_set(e, -EEXIST, "%sfdt load 0x%llx: the FDT (%zu bytes) overlaps what "
				"a `load` put at 0x%llx-0x%llx", fdt->where, (unsigned long long)fdt->addr,
				vm->fdt.cap, (unsigned long long)o->gpa,
				(unsigned long long)(o->gpa + o->len - 1));
	/* The initrd qvm placed (the top of ram) must not share bytes with another load. */
	const struct qvm_blob *in = &vm->boot.initrd;
	const struct qvm_resv *rv = rd && vm->boot.initrd_default ?
		reserve_overlap(vm, REGION_MEM, in->gpa, in->len) : NULL;
	if (rv)
		return qerr_set(e, -EEXIST, "%sthe initrd at 0x%llx-0x%llx (the top of ram) is in "
				"what line %u reserves: give it an address, initrd load ADDR,FILE",
				rd->where, (unsigned long long)in->gpa,
				(unsigned long long)(in->gpa + in->len - 1), rv->line);
	for (unsigned i = 0; rd && vm->boot.initrd_default && i < vm->nplaced; i++) {
		const struct qvm_blob *b = &vm->placed[i];
		if (i != vm->initrd_placed && in->gpa < b->gpa + b->len && b->gpa < in->gpa + in->len)
			return qerr_set(e, -EEXIST, "%sthe initrd at 0x%llx-0x%llx (the top of ram) "
					"overlaps what a `load` put at 0x%llx-0x%llx: give it an address, "
					"initrd load ADDR,FILE", rd->where, (unsigned long long)in->gpa,
					(unsigned long long)(in->gpa + in->len - 1),
					(unsigned long long)b->gpa, (unsigned long long)(b->gpa + b->len - 1));
	}
	return 0;
}

void loader_free(struct qvm_vm *vm)
{
	for (unsigned i = 0; i < vm->nloads; i++) {
		free(vm->loads[i].where);
		free(vm->loads[i].path);
	}
	free(vm->loads);
	vm->loads = NULL;
	vm->nloads = vm->loads_cap = 0;
	free(vm->placed);
	vm->placed = NULL;
	vm->nplaced = vm->placed_cap = 0;
}
