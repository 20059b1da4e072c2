/*
 * `reserve` and `pass` (docs/configuration.md): locations the
 * configuration sets apart from what qvm allocates itself.
 *
 *   reserve loc [mem:]ADDR,LEN | io:PORT[,LEN] | pci:BUS:DEV[.FUNC]
 *   reserve intr [PIC:]N
 *	qvm places nothing there on its own (ram or rom without an address,
 *	a `data load` without one, the default initrd and FDT, a vdev's
 *	default location); what the configuration names explicitly still
 *	goes there, as the vendor's caution says.
 *
 *   [data] pass loc [mem:]GPA[,LEN][,FLAGS][=HOST]
 *	HOST (the vendor's: a host-physical address, by default GPA) is
 *	mapped from /dev/mem; HOST may also be the absolute path (ours) of a
 *	file, mapped shared from its start, or of a device such as a UIO
 *	device's /dev/uioN, mapped from offset 0 (its first memory map). The guest sees it at GPA as memory of
 *	its own (a KVM memory slot, read-only unless FLAGS has w).
 *   pass intr PIC:N[,u|t]=/dev/uioN
 *	a UIO device's interrupts as edges on a guest line (pass_intr).
 *	I/O ports and PCI devices would need VFIO, which qvm does not drive
 *	yet: configuration errors saying so.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <qvm/guest.h>
#include <qvm/utils.h>

#include "config_impl.h"
#include "number.h"
#include "vm.h"

#define PAGE	4096ull

/* ---- parsing ---- */

/* "ADDR,LEN" into its numbers (LEN optional when len_default is not 0). */
static int addr_len(const char *s, uint64_t len_default, uint64_t *addr, uint64_t *len,
		const char **rest)
{
	const char *end;

	if (number_parse(s, QPNF_ALLOW_TRAILING | QPNF_ALLOW_SUFFIXES, addr, &end))
		return -EINVAL;
	*len = len_default;
	if (*end == ',') {
		const char *e2;
		if (number_parse(end + 1, QPNF_ALLOW_TRAILING | QPNF_ALLOW_SUFFIXES, len, &e2) == 0)
			end = e2;
		else if (!rest)
			return -EINVAL;
	}
	if (rest)
		*rest = end;
	else if (*end)
		return -EINVAL;
	return *len ? 0 : -EINVAL;
}

static int add_resv(struct cfg *c, unsigned space, uint64_t base, uint64_t len)
{
	struct qvm_vm *vm = c->vm;

	if (vm->nresv == QVM_MAX_RESERVE)
		return cfg_fail(c, c->tok, -ENOSPC, "reserve: too many locations (at most %d)",
				QVM_MAX_RESERVE);
	if (base + len < base)
		return cfg_fail(c, c->tok, -ERANGE, "reserve loc 0x%llx,0x%llx: past the top of the "
				"address space", (unsigned long long)base, (unsigned long long)len);
	vm->resv[vm->nresv++] = (struct qvm_resv){ space, base, len, c->tok->line };
	return 0;
}

static int reserve_loc(struct cfg *c, const char *spec)
{
	uint64_t base, len;

	/* the vendor's own example writes `reserve loc io 0xcf,0x8` */
	if (strcmp(spec, "io") == 0) {
		if (c->pos >= c->t->n)
			return cfg_fail(c, c->tok, -EINVAL, "reserve loc io: a port must follow");
		spec = c->t->v[c->pos++].text;
		goto io;
	}
	if (strncmp(spec, "pci:", 4) == 0) {
		if (pci_loc_parse(spec + 4))
			return cfg_fail(c, c->tok, -EINVAL, "reserve loc '%s': expected pci:BUS:DEVICE"
					"[.FUNCTION] (bus 0-255, device 0-31, function 0-7)", spec);
		return 0;	/* no PCI bus allocates slots yet: nothing to keep out */
	}
	if (strncmp(spec, "io:", 3) == 0) {
		spec += 3;
io:
		if (addr_len(spec, 1, &base, &len, NULL) || base > 0xffff || len > 0x10000 - base)
			return cfg_fail(c, c->tok, -EINVAL, "reserve loc io:'%s': expected PORT[,LEN] "
					"within 0-0xffff", spec);
		if (ARCH_IO_QST == QST_NO_TYPE)
			return cfg_fail(c, c->tok, -EINVAL, "reserve loc io: %s has no I/O port space",
					ARCH_NAME);
		return add_resv(c, REGION_IO, base, len);
	}
	if (strncmp(spec, "mem:", 4) == 0)
		spec += 4;
	if (addr_len(spec, 0, &base, &len, NULL))
		return cfg_fail(c, c->tok, -EINVAL, "reserve loc '%s': expected [mem:]ADDR,LEN (a "
				"memory range needs its length)", spec);
	return add_resv(c, REGION_MEM, base, len);
}

/*
 * The guest line in spec's first n (at most 60) bytes, PIC:N, or a bare N
 * on controller dflt when it is given; errors name what and spec.
 */
static int parse_line(struct cfg *c, const char *what, const char *spec, size_t n,
		const char *dflt, guest_intr_t *gi)
{
	char full[80];
	const char *end = "";
	struct qerr ie = { { 0 } };

	if (dflt && !memchr(spec, ':', n))
		snprintf(full, sizeof(full), "%s:%.*s", dflt, (int)n, spec);
	else
		snprintf(full, sizeof(full), "%.*s", (int)n, spec);
	if (intr_parse(c->vm, full, gi, &end, &ie))
		return cfg_fail(c, c->tok, -EINVAL, "%s '%s': %s", what, spec, ie.msg);
	if (*end)
		return cfg_fail(c, c->tok, -EINVAL, "%s '%s': trailing characters '%s'", what, spec,
				end);
	return 0;
}

static int reserve_intr(struct cfg *c, const char *spec)
{
	unsigned n;
	const struct arch_pic *pics = arch_pics(&n);
	guest_intr_t gi;

	if (strlen(spec) > 60)
		return cfg_fail(c, c->tok, -EINVAL, "reserve intr: '%.20s...' is too long", spec);
	/* a bare number is a line of the VM's first controller, as in `reserve intr 39` */
	int r = parse_line(c, "reserve intr", spec, strlen(spec), pics[0].name, &gi);
	if (r)
		return r;
	if (c->vm->nresv_intr == QVM_MAX_RESERVE)
		return cfg_fail(c, c->tok, -ENOSPC, "reserve: too many interrupts (at most %d)",
				QVM_MAX_RESERVE);
	c->vm->resv_intr[c->vm->nresv_intr++] = gi;
	return 0;
}

/* `[data] pass loc [mem:]GPA[,LEN][,FLAGS][=HOST]` */
static int pass_loc(struct cfg *c, const char *spec)
{
	struct qvm_vm *vm = c->vm;
	const char *s = spec, *rest;
	struct qvm_pass p = { .line = c->tok->line, .host_phys = true };

	if (strncmp(s, "io:", 3) == 0 || strcmp(s, "io") == 0)
		return cfg_fail(c, c->tok, -ENOTSUP, "pass loc '%s': KVM cannot give a guest the host's "
				"I/O ports (a vdev can forward them): not supported", spec);
	if (strncmp(s, "pci:", 4) == 0)
		return cfg_fail(c, c->tok, -ENOTSUP, "pass loc '%s': a PCI device reaches a guest on "
				"Linux through VFIO, which qvm does not drive yet", spec);
	if (strncmp(s, "mem:", 4) == 0)
		s += 4;
	if (addr_len(s, PAGE, &p.gpa, &p.len, &rest))
		return cfg_fail(c, c->tok, -EINVAL, "pass loc '%s': expected [mem:]GPA[,LEN][,FLAGS]"
				"[=HOST]", spec);
	/* FLAGS: + adds what follows (the start), - takes it away; m is +rwx */
	bool add = true;
	unsigned flags = 0;
	if (*rest == ',')
		rest++;
	for (; *rest && *rest != '=' && *rest != ','; rest++) {
		const char *all = "+-rwxcemdnst", *f = strchr(all, *rest);
		if (!f)
			return cfg_fail(c, c->tok, -EINVAL, "pass loc '%s': unknown flag '%c' (known: "
					"%s)", spec, *rest, all);
		unsigned bit = *rest == 'm' ? (PASS_R | PASS_W | PASS_X) : *rest == 'r' ? PASS_R :
				*rest == 'w' ? PASS_W : *rest == 'x' ? PASS_X : 0;
		if (*rest == '+' || *rest == '-')
			add = *rest == '+';
		else if (add)
			flags |= bit;
		else
			flags &= ~bit;
	}
	p.flags = flags ? flags : PASS_R | PASS_W;	/* no flags: the vendor's plain device */
	if (*rest == ',')
		rest++;
	if (*rest == '=') {
		rest++;
		if (*rest == '/') {
			p.host_phys = false;
			p.path = strdup(rest);
			if (!p.path)
				return cfg_fail(c, c->tok, -ENOMEM, "out of memory");
		} else if (number_parse(rest, 0, &p.host, NULL)) {
			return cfg_fail(c, c->tok, -EINVAL, "pass loc '%s': =HOST is a host-physical "
					"address or a file's absolute path", spec);
		}
	} else if (*rest) {
		return cfg_fail(c, c->tok, -EINVAL, "pass loc '%s': expected [mem:]GPA[,LEN][,FLAGS]"
				"[=HOST]", spec);
	} else {
		p.host = p.gpa;	/* the vendor's default: the same host-physical address */
	}
	if (p.gpa + p.len < p.gpa || (p.host_phys && p.host + p.len < p.host)) {
		free(p.path);
		return cfg_fail(c, c->tok, -ERANGE, "pass loc '%s': runs past the top of the address "
				"space", spec);
	}
	if (((p.gpa | p.len) & (PAGE - 1)) || (p.host_phys && (p.host & (PAGE - 1)))) {
		free(p.path);
		return cfg_fail(c, c->tok, -EINVAL, "pass loc '%s': addresses and length must be "
				"multiples of 4K (a memory slot maps whole pages)", spec);
	}
	if (vm->npass == QVM_MAX_PASS) {
		free(p.path);
		return cfg_fail(c, c->tok, -ENOSPC, "pass: too many locations (at most %d)",
				QVM_MAX_PASS);
	}
	const char *owner = vm_range_owner(vm, REGION_MEM, p.gpa, p.len);
	if (owner) {
		free(p.path);
		return cfg_fail(c, c->tok, -EEXIST, "pass loc 0x%llx,0x%llx overlaps %s",
				(unsigned long long)p.gpa, (unsigned long long)p.len, owner);
	}
	p.file = c->tok->file;
	vm->pass[vm->npass++] = p;
	return 0;
}

/*
 * `pass intr PIC:N[,u|t]=/dev/uioN` [ours]: on Linux a host interrupt
 * reaches a process through a UIO device (or VFIO, not driven here), so the
 * vendor's host vector is the UIO device's path. Each interrupt the device
 * reports (a 4-byte count read) is an edge on the guest's line; writing 1
 * re-enables it, as uio_pdrv_genirq wants.
 */
static int pass_intr(struct cfg *c, const char *spec)
{
	struct qvm_vm *vm = c->vm;
	const char *eq = strchr(spec, '=');
	guest_intr_t gi;

	if (!eq || eq[1] != '/')
		return cfg_fail(c, c->tok, -ENOTSUP, "pass intr '%s': a host interrupt reaches a "
				"process on Linux only through UIO or VFIO: give the UIO device, "
				"PIC:N=/dev/uioN", spec);
	size_t n = (size_t)(eq - spec);
	if (n > 60)
		return cfg_fail(c, c->tok, -EINVAL, "pass intr: '%.20s...' is too long", spec);
	const char *flags = memchr(spec, ',', n);
	if (flags) {	/* the vendor's t (IST) and u (early unmask): the same here */
		if ((size_t)(eq - flags) != 2 || (flags[1] != 't' && flags[1] != 'u'))
			return cfg_fail(c, c->tok, -EINVAL, "pass intr '%s': expected PIC:N[,u|t]=PATH",
					spec);
		n = (size_t)(flags - spec);
	}
	int r = parse_line(c, "pass intr", spec, n, NULL, &gi);
	if (r)
		return r;
	if (vm->npass_intr == QVM_MAX_PASS)
		return cfg_fail(c, c->tok, -ENOSPC, "pass: too many interrupts (at most %d)",
				QVM_MAX_PASS);
	struct qvm_pass_intr *pi = &vm->pass_intr[vm->npass_intr];
	*pi = (struct qvm_pass_intr){ .gi = gi, .fd = -1, .file = c->tok->file,
		.line = c->tok->line, .path = strdup(eq + 1) };
	if (!pi->path)
		return cfg_fail(c, c->tok, -ENOMEM, "out of memory");
	vm->npass_intr++;
	return 0;
}

int cfg_context_option(struct cfg *c, const char *name)
{
	const char *a;

	if (c->pos >= c->t->n)
		return cfg_fail(c, c->tok, -EINVAL, "option '%s' needs an argument", name);
	a = c->t->v[c->pos++].text;
	if (c->reserve)
		return strcmp(name, "loc") == 0 ? reserve_loc(c, a) : reserve_intr(c, a);
	if (strcmp(name, "loc") == 0)
		return pass_loc(c, a);
	return pass_intr(c, a);
}

/* ---- what allocations avoid ---- */

const struct qvm_resv *reserve_overlap(const struct qvm_vm *vm, unsigned space, uint64_t base,
		uint64_t len)
{
	for (unsigned i = 0; i < vm->nresv; i++) {
		const struct qvm_resv *r = &vm->resv[i];
		if (r->space == space && base < r->base + r->len && r->base < base + len)
			return r;
	}
	return NULL;
}

/* ---- pass: the host's memory in the guest ---- */

/* The interrupts' devices, opened with the memory (a UIO device, or a FIFO standing in for one). */
static int pass_intr_open(struct qvm_vm *vm, struct qerr *e)
{
	for (unsigned i = 0; i < vm->npass_intr; i++) {
		struct qvm_pass_intr *pi = &vm->pass_intr[i];
		struct stat st;
		pi->fd = open(pi->path, O_RDWR | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
		if (pi->fd < 0)
			return qerr_set(e, -errno, "%s:%u: pass intr: cannot open %s: %s", pi->file,
					pi->line, pi->path, strerror(errno));
		if (fstat(pi->fd, &st) || !(S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode)))
			return qerr_set(e, -EINVAL, "%s:%u: pass intr: %s is not a UIO device",
					pi->file, pi->line, pi->path);
		pi->device = S_ISCHR(st.st_mode);	/* a FIFO (a test's stand-in) takes no re-enable */
	}
	return 0;
}

int pass_open(struct qvm_vm *vm, struct qerr *e)
{
	int r = pass_intr_open(vm, e);

	if (r)
		return r;
	for (unsigned i = 0; i < vm->npass; i++) {
		struct qvm_pass *p = &vm->pass[i];
		const char *path = p->host_phys ? "/dev/mem" : p->path;
		bool w = p->flags & PASS_W;
		int fd = open(path, (w ? O_RDWR : O_RDONLY) | O_CLOEXEC | O_NOCTTY |
				(p->host_phys ? O_SYNC : 0));
		struct stat st;

		if (fd < 0)
			return qerr_set(e, -errno, "%s:%u: pass loc 0x%llx: cannot open %s: %s%s", p->file,
					p->line, (unsigned long long)p->gpa, path, strerror(errno),
					p->host_phys ? " (host-physical memory needs root)" : "");
		/* a device (a UIO device's registers, /dev/zero) maps as its driver allows */
		if (!p->host_phys && (fstat(fd, &st) || !(S_ISCHR(st.st_mode) ||
				(S_ISREG(st.st_mode) && (uint64_t)st.st_size >= p->len)))) {
			close(fd);
			return qerr_set(e, -EINVAL, "%s:%u: pass loc 0x%llx: %s is neither a device nor a "
					"regular file of at least 0x%llx bytes", p->file, p->line,
					(unsigned long long)p->gpa, path, (unsigned long long)p->len);
		}
		void *m = mmap(NULL, p->len, PROT_READ | (w ? PROT_WRITE : 0), MAP_SHARED, fd,
				(off_t)(p->host_phys ? p->host : 0));
		int err = errno;
		close(fd);
		if (m == MAP_FAILED)
			return qerr_set(e, -err, "%s:%u: pass loc 0x%llx: cannot map %s%s: %s%s", p->file,
					p->line, (unsigned long long)p->gpa, path, p->host_phys ? " at " : "",
					strerror(err), p->host_phys ? " (the kernel lets /dev/mem map device "
					"memory only, and none under iomem=strict)" : "");
		p->hva = m;
	}
	return 0;
}

static void *pass_intr_thread(void *arg)
{
	struct qvm_pass_intr *pi = arg;
	struct pollfd p[2] = { { .fd = pi->fd, .events = POLLIN }, { .fd = pi->stop, .events = POLLIN } };
	uint32_t count, one = 1;

	vm_set_current(pi->vm);
	for (;;) {
		while (poll(p, 2, -1) < 0 && errno == EINTR)
			;
		if (p[1].revents)
			break;
		ssize_t n = read(pi->fd, &count, sizeof(count));
		if (n == (ssize_t)sizeof(count)) {
			unsigned k = atomic_fetch_add(&pi->seen, 1) + 1;
			guest_intr_signal(&pi->gi, GIS_ON);	/* an edge */
			guest_intr_signal(&pi->gi, GIS_OFF);
			vm_log(pi->vm, QL_QVM_DEBUG, "pass intr %s: interrupt %u to the guest",
					pi->path, k);
			/* re-enable it (a device whose driver needs none refuses: no matter) */
			if (pi->device && write(pi->fd, &one, sizeof(one)) < 0)
				continue;
		} else if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
			p[0].fd = -1;	/* the device went away: wait for the end only */
		}
	}
	return NULL;
}

int pass_start(struct qvm_vm *vm, struct qerr *e)
{
	for (unsigned i = 0; i < vm->npass_intr; i++) {
		struct qvm_pass_intr *pi = &vm->pass_intr[i];
		pi->vm = vm;
		pi->stop = eventfd(0, EFD_CLOEXEC);
		int r = pi->stop < 0 ? errno : pthread_create(&pi->thread, NULL, pass_intr_thread, pi);
		if (r)
			return qerr_set(e, -r, "%s:%u: pass intr: no thread for it: %s", pi->file,
					pi->line, strerror(r));
		pi->started = true;
		pthread_setname_np(pi->thread, "pass-intr");
	}
	return 0;
}

int pass_register_slots(struct qvm_vm *vm, struct qerr *e)
{
	for (unsigned i = 0; i < vm->npass; i++) {
		const struct qvm_pass *p = &vm->pass[i];
		int r = vm_slot_set(vm, QVM_PASS_SLOT0 + i, p->gpa, p->len, p->hva,
				!(p->flags & PASS_W));
		if (r)
			return qerr_set(e, r, "%s:%u: pass loc 0x%llx: KVM refused the memory slot: "
					"%s", p->file, p->line, (unsigned long long)p->gpa, strerror(-r));
	}
	return 0;
}

void pass_stop(struct qvm_vm *vm)
{
	for (unsigned i = 0; i < vm->npass_intr; i++) {
		struct qvm_pass_intr *pi = &vm->pass_intr[i];
		if (pi->started) {
			eventfd_write(pi->stop, 1);
			pthread_join(pi->thread, NULL);
			pi->started = false;
		}
	}
}

void pass_destroy(struct qvm_vm *vm)
{
	pass_stop(vm);
	for (unsigned i = 0; i < vm->npass_intr; i++) {
		struct qvm_pass_intr *pi = &vm->pass_intr[i];
		if (pi->stop > 0)
			close(pi->stop);
		if (pi->fd >= 0)
			close(pi->fd);
		free(pi->path);
	}
	vm->npass_intr = 0;
	for (unsigned i = 0; i < vm->npass; i++) {
		if (vm->pass[i].hva)
			munmap(vm->pass[i].hva, vm->pass[i].len);
		free(vm->pass[i].path);
	}
	vm->npass = 0;
}
