/*
 * Guest RAM as KVM has it: each ram or rom range's pages in runs
 * ("pieces") the guest may read and write, only read, or not touch, each
 * run a KVM memory slot of its own (read-only: KVM_MEM_READONLY; none: no
 * slot). A vdev changes them while the guest runs with
 * gasp_region_set_soft; the guest's accesses that a run does not pass exit
 * as MMIO and go to the vdev trapping them, or are unsupported references.
 * qvm's own view of the memory (vm->mem: gasp_map, guest_cpu_read, loads)
 * does not change. Holes made at startup (mem_punch_hole) split vm->mem
 * itself: the guest's memory map (e820, FDT) leaves them out.
 */
#include <errno.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include <qvm/log.h>

#include "vcpu.h"

#define PAGE		4096ull
/* Slots of pieces split off at run time: past the ranges' own (0..QVM_MAX_MEM-1) and the architecture's. */
#define PIECE_SLOT0	(QVM_MAX_MEM + 16)

static int set_slot(struct qvm_vm *vm, int slot, const struct ram_piece *p, bool present)
{
	const struct qvm_mem *m = &vm->mem[p->mem];

	return vm_slot_set(vm, (unsigned)slot, p->gpa, present ? p->len : 0,
			m->hva + (p->gpa - m->gpa), p->perm == RAM_RO);
}

int mem_register_slots(struct qvm_vm *vm, struct qerr *e)
{
	vm->max_slots = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_MEMSLOTS);
	if (vm->max_slots <= 0)
		vm->max_slots = 32;	/* the least any KVM has had */
	vm->npieces = 0;
	for (unsigned i = 0; i < vm->nmem; i++) {
		const struct qvm_mem *m = &vm->mem[i];
		struct ram_piece *p = &vm->pieces[vm->npieces++];

		*p = (struct ram_piece){ .gpa = m->gpa, .len = m->len, .mem = i,
			.perm = m->rom ? RAM_RO : RAM_RW, .slot = (int)i };
		int r = set_slot(vm, p->slot, p, true);
		if (r)
			return qerr_set(e, r, "%s 0x%llx-0x%llx: KVM refused the memory slot: %s",
					m->rom ? "rom" : "ram", (unsigned long long)m->gpa,
					(unsigned long long)(m->gpa + m->len - 1), strerror(-r));
	}
	return pass_register_slots(vm, e);
}

const struct ram_piece *ram_piece_at(const struct qvm_vm *vm, uint64_t gpa)
{
	for (unsigned i = 0; i < vm->npieces; i++)
		if (gpa >= vm->pieces[i].gpa && gpa - vm->pieces[i].gpa < vm->pieces[i].len)
			return &vm->pieces[i];
	return NULL;
}

/* A slot number no piece uses and KVM has, or -1. */
static int free_slot(const struct qvm_vm *vm, const struct ram_piece *ps, unsigned n,
		const struct ram_piece *more, unsigned nmore, unsigned mem)
{
	for (int s = 0; s < PIECE_SLOT0 + QVM_MAX_PIECES && s < vm->max_slots; s++) {
		/* the ranges' own slot numbers stay theirs: another range's is never taken */
		if (s < QVM_MAX_MEM && (unsigned)s != mem)
			continue;
		if (s >= QVM_MAX_MEM && s < PIECE_SLOT0)
			continue;
		bool used = false;
		for (unsigned i = 0; i < n && !used; i++)
			used = ps[i].slot == s;
		for (unsigned i = 0; i < nmore && !used; i++)
			used = more[i].slot == s;
		if (!used)
			return s;
	}
	return -1;
}

/*
 * The pieces of range mem after [gpa, gpa+len) becomes perm, merged where
 * neighbours agree, into out (room for max); how many, or -ENOSPC.
 */
static int respliced(const struct qvm_vm *vm, unsigned mem, uint64_t gpa, uint64_t len,
		enum ram_perm perm, struct ram_piece *out, unsigned max)
{
	unsigned n = 0;
	uint64_t end = gpa + len;

	for (unsigned i = 0; i < vm->npieces; i++) {
		const struct ram_piece *p = &vm->pieces[i];
		if (p->mem != mem)
			continue;
		uint64_t pend = p->gpa + p->len;
		uint64_t lo = p->gpa > gpa ? p->gpa : gpa, hi = pend < end ? pend : end;
		struct ram_piece parts[3];
		unsigned np = 0;
		if (lo >= hi) {
			parts[np++] = (struct ram_piece){ p->gpa, p->len, mem, p->perm, -1 };
		} else {
			if (p->gpa < lo)
				parts[np++] = (struct ram_piece){ p->gpa, lo - p->gpa, mem, p->perm, -1 };
			parts[np++] = (struct ram_piece){ lo, hi - lo, mem, perm, -1 };
			if (hi < pend)
				parts[np++] = (struct ram_piece){ hi, pend - hi, mem, p->perm, -1 };
		}
		for (unsigned k = 0; k < np; k++) {
			if (n && out[n - 1].perm == parts[k].perm &&
					out[n - 1].gpa + out[n - 1].len == parts[k].gpa) {
				out[n - 1].len += parts[k].len;
				continue;
			}
			if (n == max)
				return -ENOSPC;
			out[n++] = parts[k];
		}
	}
	return (int)n;
}

static bool same_run(const struct ram_piece *a, const struct ram_piece *b)
{
	return a->gpa == b->gpa && a->len == b->len && a->perm == b->perm;
}

/*
 * Remove (present false) or add the slots of n pieces; stops at the first
 * failure, with *done the pieces dealt with before it.
 */
static int slots(struct qvm_vm *vm, const struct ram_piece *p, unsigned n, bool present,
		unsigned *done)
{
	for (*done = 0; *done < n; (*done)++) {
		if (p[*done].slot < 0)
			continue;
		int r = set_slot(vm, p[*done].slot, &p[*done], present);
		if (r)
			return r;
	}
	return 0;
}

int ram_set_perm(struct qvm_vm *vm, uint64_t gpa, uint64_t len, enum ram_perm perm)
{
	const struct qvm_mem *m = vm_mem_at(vm, gpa);
	struct ram_piece old[QVM_MAX_PIECES], now[QVM_MAX_PIECES];
	unsigned nold = 0, others = 0;

	if (!m || len == 0 || len > m->len - (gpa - m->gpa))
		return -EINVAL;
	if ((gpa | len) & (PAGE - 1))
		return -EINVAL;
	if (m->rom)
		return -EACCES;
	unsigned mi = (unsigned)(m - vm->mem);
	for (unsigned i = 0; i < vm->npieces; i++) {
		if (vm->pieces[i].mem == mi)
			old[nold++] = vm->pieces[i];
		else
			others++;
	}
	int n = respliced(vm, mi, gpa, len, perm, now, QVM_MAX_PIECES - others);
	if (n < 0)
		return n;
	bool same = (unsigned)n == nold;
	for (unsigned k = 0; same && k < nold; k++)
		same = same_run(&old[k], &now[k]);
	if (same)
		return 0;	/* nothing changes: keep the slots */
	/* the pieces that did not change keep their slots; the others get free ones */
	for (int i = 0; i < n; i++)
		for (unsigned k = 0; k < nold; k++)
			if (same_run(&old[k], &now[i]))
				now[i].slot = old[k].slot;
	struct ram_piece gone[QVM_MAX_PIECES] = { { 0 } };
	unsigned ngone = 0;
	for (unsigned k = 0; k < nold; k++) {
		bool kept = false;
		for (int i = 0; i < n && !kept; i++)
			kept = now[i].slot == old[k].slot && old[k].slot >= 0;
		if (!kept)
			gone[ngone++] = old[k];
	}
	for (int i = 0; i < n; i++) {
		if (now[i].slot >= 0 || now[i].perm == RAM_NONE)
			continue;
		/* a slot neither kept nor taken by another range (gone slots are free again) */
		now[i].slot = free_slot(vm, vm->pieces, vm->npieces, now, (unsigned)n, mi);
		for (unsigned k = 0; now[i].slot < 0 && k < ngone; k++) {
			bool taken = false;
			for (int j = 0; j < n && !taken; j++)
				taken = now[j].slot == gone[k].slot;
			if (!taken && gone[k].slot >= 0)
				now[i].slot = gone[k].slot;
		}
		if (now[i].slot < 0)
			return -ENOSPC;
	}

	/*
	 * KVM cannot change a slot's size or make it read-only in place, so
	 * the changed runs go and come back: hold the other vCPUs out of the
	 * guest meanwhile, or one could find the RAM it uses missing.
	 */
	bool answered[QVM_MAX_CPUS];
	vcpus_pause(vm, answered);
	unsigned done, undone;
	int r = slots(vm, gone, ngone, false, &done);
	if (r && slots(vm, gone, done, true, &undone))	/* the ones already gone come back */
		vm_log(vm, QL_QVM_ERR, "ram 0x%llx: the memory slots could not be restored",
				(unsigned long long)m->gpa);
	if (!r) {
		struct ram_piece added[QVM_MAX_PIECES];
		unsigned nadded = 0;
		for (int i = 0; i < n; i++) {
			bool kept = false;
			for (unsigned k = 0; k < nold && !kept; k++)
				kept = old[k].slot == now[i].slot && same_run(&old[k], &now[i]);
			if (!kept)
				added[nadded++] = now[i];
		}
		r = slots(vm, added, nadded, true, &done);
		if (r) {
			/* put the old runs back: the guest keeps what it had */
			slots(vm, added, done, false, &undone);
			if (slots(vm, gone, ngone, true, &undone))
				vm_log(vm, QL_QVM_ERR, "ram 0x%llx: the memory slots could not be "
						"restored", (unsigned long long)m->gpa);
		}
	}
	vcpus_resume(vm);
	if (r)
		return r;

	/* the new list: the other ranges' pieces and these, in address order */
	struct ram_piece all[QVM_MAX_PIECES];
	unsigned na = 0;
	bool put = false;
	for (unsigned i = 0; i < vm->npieces; i++) {
		if (vm->pieces[i].mem == mi) {
			if (!put)
				for (int k = 0; k < n; k++)
					all[na++] = now[k];
			put = true;
			continue;
		}
		all[na++] = vm->pieces[i];
	}
	memcpy(vm->pieces, all, sizeof(all[0]) * na);
	vm->npieces = na;
	return 0;
}

int mem_punch_hole(struct qvm_vm *vm, uint64_t gpa, uint64_t len, char *why, size_t wlen)
{
	struct qvm_mem *m = (struct qvm_mem *)vm_mem_at(vm, gpa);

	if (!m || len > m->len - (gpa - m->gpa)) {
		snprintf(why, wlen, "0x%llx-0x%llx is not inside one ram range",
				(unsigned long long)gpa, (unsigned long long)(gpa + len - 1));
		return EINVAL;
	}
	if ((gpa | len) & (PAGE - 1)) {
		snprintf(why, wlen, "a hole in ram must start and end on 4 KiB pages");
		return EINVAL;
	}
	if (m->rom) {
		snprintf(why, wlen, "0x%llx is rom", (unsigned long long)gpa);
		return EACCES;
	}
	if (vm->npieces) {
		snprintf(why, wlen, "KVM has the guest's RAM already: take RAM out by "
				"VDEV_CTRL_ASSIGN");
		return EBUSY;
	}
	for (unsigned i = 0; i < vm->nplaced; i++)
		if (gpa < vm->placed[i].gpa + vm->placed[i].len && vm->placed[i].gpa < gpa + len) {
			snprintf(why, wlen, "0x%llx-0x%llx has a `load` in it",
					(unsigned long long)gpa, (unsigned long long)(gpa + len - 1));
			return EBUSY;
		}
	uint64_t end = gpa + len, mend = m->gpa + m->len;
	bool before = gpa > m->gpa, after = end < mend;
	if (before && after && vm->nmem == QVM_MAX_MEM) {
		snprintf(why, wlen, "too many ram/rom ranges (at most %d)", QVM_MAX_MEM);
		return ENOSPC;
	}
	uint8_t *hole = m->hva + (gpa - m->gpa);
	if (before && after) {
		/* the part after becomes a range of its own, at the end of the list */
		vm->mem[vm->nmem++] = (struct qvm_mem){ .gpa = end, .len = mend - end,
			.hva = hole + len, .rom = false };
		m->len = gpa - m->gpa;
	} else if (before) {
		m->len = gpa - m->gpa;
	} else if (after) {
		m->hva += len;
		m->gpa = end;
		m->len = mend - end;
	} else {
		*m = vm->mem[--vm->nmem];	/* the whole range goes */
	}
	munmap(hole, len);
	return 0;
}
