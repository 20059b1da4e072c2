/* Moving data between vdevs and the guest: guest_cpu_read/write, guest_write_all_ones. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <qvm/guest.h>
#include <qvm/log.h>
#include <qvm/utils.h>

#include "number.h"
#include "vcpu.h"
#include "vdev_impl.h"

/*
 * n bytes at guest-physical gpa in space: RAM or ROM, else the vdev that
 * owns it (core/peer.c). 0, -1 (the guest would fault) or an errno value.
 */
static int physical(struct qvm_vm *vm, struct guest_cpu *gcp, unsigned space, uint64_t gpa,
		uint8_t *buf, size_t n, bool to_guest)
{
	if (space == REGION_MEM) {
		uint8_t *p = vm_gpa_to_hva(vm, gpa, n);
		if (p) {
			if (to_guest)
				memcpy(p, buf, n);
			else
				memcpy(buf, p, n);
			return 0;
		}
		if (vm_gpa_to_hva(vm, gpa, 1))
			return EINVAL;	/* runs past the end of its ram/rom range */
	}
	if (n >= 16)
		return EINVAL;	/* at a vdev a block is one access, of a width up to 15 */
	return peer_access(vm, gcp, space, gpa, buf, (unsigned)n, to_guest);
}

/* n bytes at guest-virtual va, page by page through the vCPU's translation. */
static int virtual(struct guest_cpu *cpu, uint64_t va, uint8_t *buf, size_t n, bool to_guest,
		bool any_perm)
{
	while (n) {
		uint64_t gpa, span;
		int r = arch_translate(cpu, va, to_guest, any_perm, &gpa, &span);
		if (r)
			return r == -EFAULT ? -1 : -r;
		size_t k = n < span ? n : (size_t)span;
		r = physical(cpu->vm, cpu, REGION_MEM, gpa, buf, k, to_guest);
		if (r)
			return r;
		va += k;
		buf += k;
		n -= k;
	}
	return 0;
}

/* One block; see qvm/guest.h for what each type is. */
static int block(struct qvm_vm *vm, struct guest_cpu *gcp, guest_cpu_access_flags_t flags,
		const struct qvm_state_block *b, uint8_t *buf, size_t n, bool to_guest)
{
	/* registers and translations are the calling vCPU's own, on its thread */
	bool own = gcp && gcp == vcpu_self;

	switch (b->qst_type) {
	case QST_IMMEDIATE:
		/* The data of the access this vCPU is dispatching. */
		if (!gcp || !gcp->data || b->location >= gcp->data_len)
			return EINVAL;
		if (n > gcp->data_len - b->location)
			n = gcp->data_len - (size_t)b->location;
		if (to_guest)
			memcpy(gcp->data + b->location, buf, n);
		else
			memcpy(buf, gcp->data + b->location, n);
		return 0;
	case QST_MEMORY:
		return physical(vm, gcp, REGION_MEM, b->location, buf, n, to_guest);
	case QST_CPUREGS: {
		if (!own)
			return EINVAL;
		int r = arch_cpu_regs(gcp, b->location, buf, n, to_guest);
		return r ? -r : 0;
	}
	case QST_VIRTUAL:
		if (!own)
			return EINVAL;
		return virtual(gcp, b->location, buf, n, to_guest, flags & GXF_GDB);
	default:
		if (ARCH_IO_QST != QST_NO_TYPE && b->qst_type == ARCH_IO_QST)
			return physical(vm, gcp, REGION_IO, b->location, buf, n, to_guest);
		return ENOTSUP;
	}
}

static int move(struct guest_cpu *gcp, guest_cpu_access_flags_t flags,
		const struct qvm_state_block *blk, unsigned nblks, uint8_t *buf, size_t buflen,
		bool to_guest, const char *fn)
{
	struct qvm_vm *vm = gcp ? gcp->vm : vm_current();

	if (!vm || (nblks && !blk))
		return EINVAL;
	if (vm_phase(vm) == QVM_PHASE_STARTUP)
		return api_violation(vm, vdev_running ? &vdev_running->pub : NULL, fn,
				"may only be called after VDEV_CTRL_GUEST_CONFIGURED");
	for (unsigned i = 0; i < nblks && buflen; i++) {
		size_t n = blk[i].length < buflen ? (size_t)blk[i].length : buflen;
		int r = block(vm, gcp, flags, &blk[i], buf, n, to_guest);

		if (r == -1 && (blk[i].qst_flags & QSF_REPORT_EXCEPTION) && gcp && gcp == vcpu_self)
			arch_inject_bus_error(gcp);
		if (r)
			return r;
		buf += n;
		buflen -= n;
	}
	return 0;
}

/*
 * The common case, a vdev moving the data of the access it is handling:
 * a few instructions, no phase check needed (gcp->data is set only while
 * a vCPU dispatches, which is the running phase).
 */
static inline bool immediate(const struct guest_cpu *gcp, const struct qvm_state_block *blk,
		unsigned nblks, size_t len)
{
	return gcp && gcp->data && nblks == 1 && blk->qst_type == QST_IMMEDIATE &&
		blk->location == 0 && len >= gcp->data_len;
}

static inline void copy_access(void *dst, const void *src, unsigned len)
{
	switch (len) {
	case 1: memcpy(dst, src, 1); break;
	case 2: memcpy(dst, src, 2); break;
	case 4: memcpy(dst, src, 4); break;
	case 8: memcpy(dst, src, 8); break;
	default: memcpy(dst, src, len); break;
	}
}

int guest_cpu_read(struct guest_cpu *gcp, guest_cpu_access_flags_t flags,
		const struct qvm_state_block *blk, unsigned nblks, void *buf, size_t buflen)
{
	if (immediate(gcp, blk, nblks, buflen)) {
		copy_access(buf, gcp->data, gcp->data_len);
		return 0;
	}
	return move(gcp, flags, blk, nblks, buf, buflen, false, "guest_cpu_read()");
}

int guest_cpu_write(struct guest_cpu *gcp, guest_cpu_access_flags_t flags,
		const struct qvm_state_block *blk, unsigned nblks, const void *buf, size_t buflen)
{
	if (immediate(gcp, blk, nblks, buflen)) {
		copy_access(gcp->data, buf, gcp->data_len);
		return 0;
	}
	return move(gcp, flags, blk, nblks, (uint8_t *)(uintptr_t)buf, buflen, true,
			"guest_cpu_write()");
}

int guest_write_all_ones(struct guest_cpu *gcp, guest_cpu_access_flags_t flags,
		const struct qvm_state_block *blk)
{
	static const uint8_t ones[64] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	};

	if (!blk || blk->length > sizeof(ones))
		return EINVAL;
	return move(gcp, flags, blk, 1, (uint8_t *)(uintptr_t)ones, (size_t)blk->length, true,
			"guest_write_all_ones()");
}
