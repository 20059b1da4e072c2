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

static int read_file(const char *path, uint8_t **buf, size_t *size, struct qerr *e)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t got = 0;

	if (fd < 0)
		return qerr_set(e, -errno, "cannot read '%s': %s", path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return qerr_set(e, -EINVAL, "cannot read '%s': not a regular file", path);
	}
	*size = (size_t)st.st_size;
	*buf = malloc(*size ? *size : 1);
	if (!*buf) {
		close(fd);
		return qerr_set(e, -ENOMEM, "'%s': out of memory", path);
	}
	while (got < *size) {
		ssize_t n = read(fd, *buf + got, *size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int err = n < 0 ? errno : EIO;
			close(fd);
			free(*buf);
			return qerr_set(e, -err, "cannot read '%s': %s", path, strerror(err));
		}
		got += (size_t)n;
	}
	close(fd);
	return 0;
}

static void *vm_dest(void *ctx, uint64_t gpa, uint64_t len)
{
	return vm_gpa_to_hva(ctx, gpa, len);
}

int loader_load(struct qvm_vm *vm, const char *path, enum load_kind kind,
		bool have_addr, uint64_t addr, struct qerr *e)
{
	uint8_t *buf = NULL;
	size_t size = 0;
	int r = read_file(path, &buf, &size, e);

	if (r)
		return r;
	if (kind == LOAD_IMAGE && size >= 4 && memcmp(buf, ELFMAG, SELFMAG) == 0) {
		uint64_t entry;
		if (have_addr)
			vm_log(vm, QL_QVM_WARN, "load 0x%llx,%s: an ELF image loads at its own "
					"program headers; the address is ignored",
					(unsigned long long)addr, path);
		r = elf64_load(path, buf, size, ARCH_ELF_MACHINE, ARCH_NAME, vm_dest, vm, &entry, e);
		if (!r) {
			vm->boot.entry = entry;
			vm->boot.have_entry = true;
		}
		free(buf);
		return r;
	}
	if (!have_addr) {
		bool found = false;
		for (unsigned i = 0; i < vm->nmem; i++)
			if (!vm->mem[i].rom && (!found || vm->mem[i].gpa < addr)) {
				addr = vm->mem[i].gpa;
				found = true;
			}
		if (!found) {
			free(buf);
			return qerr_set(e, -EINVAL, "'%s': no ram to load it into (give `ram` first)", path);
		}
	}
	uint8_t *dst = size ? vm_gpa_to_hva(vm, addr, size) : NULL;
	if (size && !dst) {
		free(buf);
		return qerr_set(e, -ERANGE, "'%s' (%zu bytes) does not fit in ram/rom at 0x%llx",
				path, size, (unsigned long long)addr);
	}
	if (size)
		memcpy(dst, buf, size);
	free(buf);
	if (kind == LOAD_IMAGE) {
		vm->boot.entry = addr;
		vm->boot.have_entry = true;
	}
	return 0;
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
	for (unsigned i = 0; i < vm->nloads; i++) {
		const struct qvm_load *l = &vm->loads[i];
		int r = loader_load(vm, l->path, l->kind, l->have_addr, l->addr, e);
		if (r) {
			qerr_prefix(e, "%s", l->where);
			return r;
		}
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
}
