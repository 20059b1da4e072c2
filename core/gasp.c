/*
 * qvm/gasp.h: the guest address space for vdevs. Regions go into the VM's
 * region builder; while the guest runs, every change is published as a new
 * immutable map (vm_publish_map), so vCPUs never take these locks.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <qvm/gasp.h>
#include <qvm/log.h>

#include "vm.h"

static int space_of(unsigned qst)
{
	return qst == QST_MEMORY ? REGION_MEM : qst == QST_X86_IO ? REGION_IO : -1;
}

static struct qvm_vm *caller_vm(void)
{
	return vdev_running ? vdev_running->vm : vm_current();
}

static const vdev_t *caller(void)
{
	return vdev_running ? &vdev_running->pub : NULL;
}

int gasp_lock(uint16_t type)
{
	struct qvm_vm *vm = caller_vm();
	int s = space_of(type);

	if (!vm || s < 0)
		return EINVAL;
	pthread_mutex_lock(&vm->gasp_mtx[s]);
	vm->gasp_owner[s] = pthread_self();
	vm->gasp_held[s] = true;
	return 0;
}

int gasp_unlock(uint16_t type)
{
	struct qvm_vm *vm = caller_vm();
	int s = space_of(type);

	if (!vm || s < 0)
		return EINVAL;
	if (!vm->gasp_held[s] || !pthread_equal(vm->gasp_owner[s], pthread_self()))
		return api_violation(vm, caller(), "gasp_unlock()",
				"called without holding gasp_lock() for that space");
	vm->gasp_held[s] = false;
	pthread_mutex_unlock(&vm->gasp_mtx[s]);
	return 0;
}

/* Is the region about guest RAM (its permissions) rather than a range of its own? */
static bool on_ram(struct qvm_vm *vm, int space, const struct gasp_region *g)
{
	return space == REGION_MEM && (vm_mem_at(vm, g->guest.location) ||
			vm_mem_at(vm, g->guest.location + (g->guest.length - 1)));
}

/* Check one region for gasp_region_set*; 0 or an errno with a message in why. */
static int check_region(struct qvm_vm *vm, const struct gasp_region *g, int *space,
		char *why, size_t len)
{
	*space = space_of(g->guest.qst_type);
	if (*space < 0) {
		snprintf(why, len, "region type %u is neither QST_MEMORY nor QST_X86_IO",
				g->guest.qst_type);
		return EINVAL;
	}
	if ((g->grf_flags & GRF_PASS_ANY) && !on_ram(vm, *space, g)) {
		snprintf(why, len, "pass-through regions (GRF_PASS_*) are not supported yet");
		return ENOTSUP;
	}
	if (g->grf_flags && !(g->grf_flags & (GRF_VIRT_RD | GRF_VIRT_WR | GRF_PASS_ANY))) {
		snprintf(why, len, "a region must trap reads or writes (GRF_VIRT_RD/GRF_VIRT_WR)");
		return EINVAL;
	}
	if (g->grf_flags && !g->vdev) {
		snprintf(why, len, "a trapping region needs its vdev");
		return EINVAL;
	}
	if (g->guest.length == 0 || g->guest.location + (g->guest.length - 1) < g->guest.location ||
	    (*space == REGION_IO && g->guest.location + g->guest.length > 0x10000)) {
		snprintf(why, len, "bad range 0x%llx, length 0x%llx",
				(unsigned long long)g->guest.location, (unsigned long long)g->guest.length);
		return EINVAL;
	}
	return 0;
}

static uint32_t region_flags(gasp_region_flags_t f)
{
	return (f & GRF_VIRT_RD ? REGION_RD : 0) | (f & GRF_VIRT_WR ? REGION_WR : 0);
}

/*
 * gasp_region_set with GRF_NONE: [loc, loc+len) goes. Out of guest RAM (a
 * hole the guest's memory map leaves out), or out of the caller's own
 * regions, which split around it. 0 or an errno with why.
 */
static int startup_remove(struct qvm_vm *vm, const vdev_t *me, int space,
		const struct gasp_region *g, char *why, size_t wlen)
{
	uint64_t loc = g->guest.location, len = g->guest.length, last = loc + (len - 1);
	struct qvm_vdev *mine = me ? vdev_of(me) : NULL;
	const struct qvm_region *r;
	bool any = false;

	if (on_ram(vm, space, g))
		return mem_punch_hole(vm, loc, len, why, wlen);
	while ((r = region_find_overlap(&vm->regions, (unsigned)space, loc, len))) {
		if (!mine || r->vdev != mine) {
			snprintf(why, wlen, "%s:0x%llx (0x%llx bytes) overlaps %s, not this vdev's",
					space == REGION_IO ? "io" : "mem", (unsigned long long)loc,
					(unsigned long long)len, r->vdev ? r->vdev->name : "rom");
			return EPERM;
		}
		struct qvm_region cut = *r;
		int err = 0;
		region_remove(&vm->regions, (unsigned)space, cut.base);
		/* what lay outside the range stays, in one or two parts */
		if (cut.base < loc)
			err = -region_add(&vm->regions, (unsigned)space, cut.base, loc - cut.base,
					cut.vdev, cut.cookie, cut.flags & REGION_RW, NULL);
		if (!err && cut.last > last)
			err = -region_add(&vm->regions, (unsigned)space, last + 1, cut.last - last,
					cut.vdev, cut.cookie, cut.flags & REGION_RW, NULL);
		if (err) {
			snprintf(why, wlen, "%s", strerror(err));
			return err;
		}
		any = true;
	}
	if (!any) {
		snprintf(why, wlen, "nothing of this vdev's at %s:0x%llx (0x%llx bytes) to remove",
				space == REGION_IO ? "io" : "mem", (unsigned long long)loc,
				(unsigned long long)len);
		return ENOENT;
	}
	return 0;
}

void gasp_region_set(unsigned num_regions, const struct gasp_region *rgn)
{
	struct qvm_vm *vm = caller_vm();
	const vdev_t *me = caller();
	char why[256], where[300];

	if (!vm)
		return;
	if (vm_phase(vm) != QVM_PHASE_STARTUP) {
		api_violation(vm, me, "gasp_region_set()", "may only be called during startup "
				"(before VDEV_CTRL_GUEST_CONFIGURED); use gasp_region_set_soft()");
		return;
	}
	for (unsigned i = 0; i < num_regions; i++) {
		const struct gasp_region *g = &rgn[i];
		const char *owner;
		int space, err = check_region(vm, g, &space, why, sizeof(why));

		if (!err && g->grf_flags == GRF_NONE) {
			err = startup_remove(vm, me, space, g, why, sizeof(why));
		} else if (!err && on_ram(vm, space, g)) {
			snprintf(why, sizeof(why), "guest RAM's permissions change while the guest "
					"runs (gasp_region_set_soft); at startup GRF_NONE takes RAM out");
			err = EINVAL;
		} else if (!err && (owner = vm_range_owner(vm, space, g->guest.location,
				g->guest.length))) {
			snprintf(why, sizeof(why), "%s:0x%llx (0x%llx bytes) overlaps %s",
					space == REGION_IO ? "io" : "mem",
					(unsigned long long)g->guest.location,
					(unsigned long long)g->guest.length, owner);
			err = EEXIST;
		} else if (!err) {
			err = -region_add(&vm->regions, (unsigned)space, g->guest.location,
					g->guest.length, vdev_of(g->vdev), g->cookie,
					region_flags(g->grf_flags), NULL);
			if (err)
				snprintf(why, sizeof(why), "%s", strerror(err));
		}
		if (err) {
			/* A clash at startup is a configuration problem: say where. */
			vm_where(vm, where, sizeof(where));
			log_stderr("%svdev %s: gasp_region_set(): %s", where,
					me ? vdev_of(me)->name : "?", why);
			term_exit_now(vm, QVM_EXIT_CONFIG);
		}
	}
}

/*
 * gasp_region_set_soft over guest RAM: the pages' permissions (GRF_PASS_RD
 * and GRF_PASS_WR; GRF_NONE passes nothing), and with GRF_VIRT_* the
 * caller's region trapping the accesses the pages do not pass. Under
 * regions_lock. 0 or an errno.
 */
static int soft_ram(struct qvm_vm *vm, const struct gasp_region *g)
{
	uint64_t loc = g->guest.location, len = g->guest.length;
	gasp_region_flags_t f = g->grf_flags;
	bool rd = f & GRF_PASS_RD, wr = f & GRF_PASS_WR, trap = f & (GRF_VIRT_RD | GRF_VIRT_WR);
	struct qvm_vdev *mine = g->vdev ? vdev_of(g->vdev) : NULL;

	if (wr && !rd)
		return ENOTSUP;	/* write-only pages: KVM has no such slot */
	/* a trapping region here must be the caller's, over the same pages: it is replaced */
	const struct qvm_region *o = region_find_overlap(&vm->regions, REGION_MEM, loc, len);
	if (o && (!mine || o->vdev != mine))
		return EPERM;
	if (o && (o->base != loc || o->last != loc + (len - 1)))
		return EEXIST;
	struct qvm_region saved = { 0 };
	if (o) {
		saved = *o;
		region_remove(&vm->regions, REGION_MEM, loc);
	}
	int err = trap ? -region_add(&vm->regions, REGION_MEM, loc, len, mine, g->cookie,
			region_flags(f), NULL) : 0;
	/* the trapping region reaches the vCPUs before the pages stop passing accesses */
	if (!err && vm_publish_map(vm))
		err = ENOMEM;
	if (!err)
		err = -ram_set_perm(vm, loc, len, rd ? (wr ? RAM_RW : RAM_RO) : RAM_NONE);
	if (err) {
		if (trap)
			region_remove(&vm->regions, REGION_MEM, loc);
		if (o)
			region_add(&vm->regions, REGION_MEM, saved.base, saved.last - saved.base + 1,
					saved.vdev, saved.cookie, saved.flags & REGION_RW, NULL);
	}
	return err;
}

unsigned gasp_region_set_soft(unsigned num_regions, const struct gasp_region *rgn)
{
	struct qvm_vm *vm = caller_vm();
	char why[256];
	unsigned i;

	if (!vm) {
		errno = EINVAL;
		return 0;
	}
	if (vm_phase(vm) == QVM_PHASE_STARTUP) {
		errno = api_violation(vm, caller(), "gasp_region_set_soft()",
				"may only be called after VDEV_CTRL_GUEST_CONFIGURED; use gasp_region_set()");
		return 0;
	}
	for (i = 0; i < num_regions; i++) {
		int space;
		if (check_region(vm, &rgn[i], &space, why, sizeof(why)) == 0 &&
		    (!vm->gasp_held[space] || !pthread_equal(vm->gasp_owner[space], pthread_self()))) {
			errno = api_violation(vm, caller(), "gasp_region_set_soft()",
					"must be called between gasp_lock() and gasp_unlock()");
			return 0;
		}
	}
	/* The caller's gasp_lock() orders users of one space; this covers both. */
	pthread_mutex_lock(&vm->regions_lock);
	for (i = 0; i < num_regions; i++) {
		const struct gasp_region *g = &rgn[i];
		int space, err = check_region(vm, g, &space, why, sizeof(why));

		if (!err && on_ram(vm, space, g))
			err = soft_ram(vm, g);
		if (err) {
			errno = err;
			break;
		}
		if (on_ram(vm, space, g))
			continue;
		/* The region this one replaces or deletes: only its own vdev's. */
		const struct qvm_region *old = region_find_overlap(&vm->regions, (unsigned)space,
				g->guest.location, 1);
		struct qvm_region saved;
		bool replacing = old && old->base == g->guest.location;
		if (replacing && (!g->vdev || old->vdev != vdev_of(g->vdev))) {
			errno = EPERM;
			break;
		}
		if (replacing) {
			saved = *old;
			region_remove(&vm->regions, (unsigned)space, g->guest.location);
		}
		if (g->grf_flags == GRF_NONE) {
			if (!replacing) {
				errno = ENOENT;
				break;
			}
			continue;
		}
		err = vm_range_owner(vm, (unsigned)space, g->guest.location, g->guest.length) ?
			EEXIST : -region_add(&vm->regions, (unsigned)space, g->guest.location,
					g->guest.length, vdev_of(g->vdev), g->cookie,
					region_flags(g->grf_flags), NULL);
		if (err) {
			if (replacing)	/* put back what was there */
				region_add(&vm->regions, (unsigned)space, saved.base,
						saved.last - saved.base + 1, saved.vdev, saved.cookie,
						saved.flags & REGION_RW, NULL);
			errno = err;
			break;
		}
	}
	if (vm_publish_map(vm) && i == num_regions) {
		errno = ENOMEM;
		i = 0;
	}
	pthread_mutex_unlock(&vm->regions_lock);
	return i;
}

int gasp_region_info(const struct qvm_state_block *blk, struct gasp_region *rgn)
{
	struct qvm_vm *vm = caller_vm();
	int space = blk ? space_of(blk->qst_type) : -1;

	if (!vm || space < 0 || !rgn)
		return EINVAL;
	memset(rgn, 0, sizeof(*rgn));
	/* The builder, under the lock: published maps may be freed under a non-vCPU reader. */
	pthread_mutex_lock(&vm->regions_lock);
	const struct qvm_mem *m = space == REGION_MEM ? vm_mem_at(vm, blk->location) : NULL;
	if (m) {
		/* its run of pages as the guest has them now (all of the range before KVM) */
		const struct ram_piece *p = ram_piece_at(vm, blk->location);
		enum ram_perm perm = p ? p->perm : m->rom ? RAM_RO : RAM_RW;
		uint64_t gpa = p ? p->gpa : m->gpa, len = p ? p->len : m->len;
		rgn->grf_flags = GRF_MEMORY | GRF_ACTIVE |
			(perm != RAM_NONE ? GRF_PASS_RD | GRF_PASS_EX : 0) |
			(perm == RAM_RW ? GRF_PASS_WR : 0);
		rgn->host_location = (uintptr_t)(m->hva + (gpa - m->gpa));
		rgn->guest = (struct qvm_state_block){ .location = gpa, .length = len,
			.qst_type = QST_MEMORY };
		pthread_mutex_unlock(&vm->regions_lock);
		return 0;
	}
	const struct qvm_region *f = region_find_overlap(&vm->regions, (unsigned)space, blk->location, 1);
	struct qvm_region copy;
	if (f)
		copy = *f;
	pthread_mutex_unlock(&vm->regions_lock);
	if (!f)
		return ENOENT;
	const struct qvm_region *r = &copy;
	rgn->grf_flags = GRF_ACTIVE | (r->flags & REGION_RD ? GRF_VIRT_RD : 0) |
		(r->flags & REGION_WR ? GRF_VIRT_WR : 0);
	rgn->cookie = r->cookie;
	rgn->vdev = r->vdev ? &r->vdev->pub : NULL;
	rgn->guest = (struct qvm_state_block){ .location = r->base, .length = r->last - r->base + 1,
		.qst_type = blk->qst_type };
	return 0;
}

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) / a * a;
}

static uint64_t find_free_locked(struct qvm_vm *vm, int space, uint64_t size, uint64_t align,
		uint64_t min_addr, uint64_t max_addr);

uint64_t gasp_find_free_range(unsigned qst, uint64_t size, uint64_t align,
		uint64_t min_addr, uint64_t max_addr)
{
	struct qvm_vm *vm = caller_vm();
	int space = space_of(qst);

	if (!vm || space < 0 || size == 0)
		return QSL_NO_LOCATION;
	if (align == 0)
		align = 1;
	pthread_mutex_lock(&vm->regions_lock);	/* the builder may be changing while running */
	uint64_t found = find_free_locked(vm, space, size, align, min_addr, max_addr);
	pthread_mutex_unlock(&vm->regions_lock);
	return found;
}

static uint64_t find_free_locked(struct qvm_vm *vm, int space, uint64_t size, uint64_t align,
		uint64_t min_addr, uint64_t max_addr)
{
	for (uint64_t a = align_up(min_addr, align); a >= min_addr && a + (size - 1) <= max_addr &&
			a + (size - 1) >= a; a += align) {
		const struct qvm_region *r = region_find_overlap(&vm->regions, (unsigned)space, a, size);
		uint64_t busy_last = r ? r->last : 0;
		for (unsigned i = 0; !r && space == REGION_MEM && i < vm->nmem; i++)
			if (a < vm->mem[i].gpa + vm->mem[i].len && vm->mem[i].gpa < a + size) {
				busy_last = vm->mem[i].gpa + vm->mem[i].len - 1;
				r = (const struct qvm_region *)1;	/* anything busy */
			}
		if (r) {	/* skip past what is there in one step */
			a = align_up(busy_last + 1, align) - align;
			continue;
		}
		if (!vm_range_owner(vm, (unsigned)space, a, size))
			return a;
	}
	return QSL_NO_LOCATION;
}

uint64_t gasp_find_free(unsigned qst, uint64_t size, uint64_t align)
{
	/* Leave the first MiB (legacy areas) alone; ports from 0x1000 like PCI BARs. */
	if (qst == QST_X86_IO)
		return gasp_find_free_range(qst, size, align, 0x1000, 0xffff);
	return gasp_find_free_range(qst, size, align, 0x100000, (1ull << 46) - 1);
}

/* [gpa, gpa+len) inside m, mapped for prot; NULL with errno if it cannot be. */
static void *map_in(const struct qvm_mem *m, int prot, uint64_t gpa, size_t len)
{
	if (!m || len > m->len - (gpa - m->gpa)) {
		errno = EFAULT;
		return NULL;
	}
	if (m->rom && (prot & PROT_WRITE)) {
		errno = EACCES;
		return NULL;
	}
	return m->hva + (gpa - m->gpa);
}

static void *map(struct qvm_vm *vm, int prot, uint64_t gpa, size_t len)
{
	return map_in(vm_mem_at(vm, gpa), prot, gpa, len);
}

void *gasp_map_contig(const vdev_t *vdev, int prot, uint64_t *ppaddr, size_t *plength)
{
	struct qvm_vm *vm = vdev ? vdev_of(vdev)->vm : caller_vm();

	if (!ppaddr || !plength) {
		errno = EINVAL;
		return NULL;
	}
	const struct qvm_mem *m = vm_mem_at(vm, *ppaddr);
	if (m && *plength > m->len - (*ppaddr - m->gpa))
		*plength = (size_t)(m->len - (*ppaddr - m->gpa));	/* as far as it is contiguous */
	void *p = map_in(m, prot, *ppaddr, *plength);
	if (p)
		*ppaddr = (uintptr_t)p;
	return p;
}

void *gasp_map_sys(int prot, uint64_t guest_paddr, size_t length)
{
	return map(caller_vm(), prot, guest_paddr, length);
}

#define GMF_KNOWN	(GMF_READ | GMF_WRITE | GMF_EXEC | GMF_MAP_ANY)

/* 8.0 flags: GMF_* bits only, with the tag (a 7.x-order call passes a length here). */
static bool gmf_ok(gasp_map_flags_t flags)
{
	return (flags & 0xff000000u) == GMF_TAG && !(flags & ~GMF_KNOWN) &&
		(flags & (GMF_READ | GMF_WRITE) & ~GMF_TAG);
}

static int gmf_prot(gasp_map_flags_t flags)
{
	return (flags & GMF_WRITE & ~GMF_TAG ? PROT_WRITE : 0) | PROT_READ;
}

void *gasp_map_vdma(const vdev_t *vdev, uint64_t guest_paddr, size_t length, gasp_map_flags_t flags)
{
	struct qvm_vm *vm = vdev ? vdev_of(vdev)->vm : caller_vm();

	if (!gmf_ok(flags)) {
		char rule[200];
		snprintf(rule, sizeof(rule), "flags 0x%x are not GMF_* flags: the 8.0 order is (vdev, "
				"guest_paddr, length, flags), the 7.x one was (vdev, prot, paddr, length)",
				flags);
		api_violation(vm, vdev ? vdev : caller(), "gasp_map_vdma()", rule);
		errno = EINVAL;
		return NULL;
	}
	return map(vm, gmf_prot(flags), guest_paddr, length);
}

/* A handle's marks: reserved[2] holds HANDLE_MAPPED while it maps something. */
#define HANDLE_MAPPED	0x514d48414e444c45ull	/* "QMHANDLE" */

static errno_t handle_of(void *p, size_t len, gasp_map_handle_t *h)
{
	if (!h)
		return EINVAL;
	memset(h, 0, sizeof(*h));
	if (!p)
		return ENXIO;
	h->reserved[0] = (uintptr_t)p;
	h->reserved[1] = len;
	h->reserved[2] = HANDLE_MAPPED;
	return EOK;
}

errno_t gasp_map(const vdev_t *vdev, uint64_t guest_paddr, size_t length, gasp_map_flags_t prot,
		gasp_map_handle_t *h)
{
	struct qvm_vm *vm = vdev ? vdev_of(vdev)->vm : caller_vm();

	return handle_of(gmf_ok(prot) ? map(vm, gmf_prot(prot), guest_paddr, length) : NULL, length, h);
}

errno_t gasp_map_firmware(uint64_t guest_paddr, size_t length, gasp_map_flags_t prot,
		gasp_map_handle_t *h)
{
	/* firmware lives in ROM, which qvm's side may write: as PROT_READ */
	return handle_of(gmf_ok(prot) ? map(caller_vm(), PROT_READ, guest_paddr, length) : NULL,
			length, h);
}

errno_t gasp_map_host_contig(const vdev_t *vdev, uint64_t *ppaddr, size_t *plength,
		gasp_map_flags_t prot, gasp_map_handle_t *h)
{
	void *p = NULL;

	if (gmf_ok(prot) && ppaddr && plength)
		p = gasp_map_contig(vdev, gmf_prot(prot), ppaddr, plength);
	return handle_of(p, p ? *plength : 0, h);
}

void *gasp_get_vaddr(const gasp_map_handle_t *h)
{
	return h && h->reserved[2] == HANDLE_MAPPED ? (void *)(uintptr_t)h->reserved[0] : NULL;
}

void gasp_unmap_handle(gasp_map_handle_t *h)
{
	if (!h || h->reserved[2] != HANDLE_MAPPED)
		return;
	gasp_unmap((const void *)(uintptr_t)h->reserved[0], (size_t)h->reserved[1], 0);
	memset(h, 0, sizeof(*h));
}

void gasp_unmap(const void *ptr, size_t length, int flush)
{
	struct qvm_vm *vm = caller_vm();
	const uint8_t *p = ptr;

	(void)flush;	/* guest memory is coherent host memory */
	for (unsigned i = 0; vm && i < vm->nmem; i++)
		if (p >= vm->mem[i].hva && (size_t)(p - vm->mem[i].hva) + length <= vm->mem[i].len)
			return;
	if (vm)
		vm_log(vm, QL_QVM_WARN, "%s%sgasp_unmap(): %p is not a mapping of guest memory",
				vdev_running ? vdev_running->name : "", vdev_running ? ": " : "", ptr);
}
