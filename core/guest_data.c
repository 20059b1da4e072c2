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

static int move(struct guest_cpu *gcp, const struct qvm_state_block *blk, unsigned nblks,
		uint8_t *buf, size_t buflen, bool to_guest, const char *fn)
{
	struct qvm_vm *vm = gcp ? gcp->vm : vm_current();

	if (!vm)
		return EINVAL;
	if (vm_phase(vm) == QVM_PHASE_STARTUP)
		return api_violation(vm, vdev_running ? &vdev_running->pub : NULL, fn,
				"may only be called after VDEV_CTRL_GUEST_CONFIGURED");
	for (unsigned i = 0; i < nblks && buflen; i++) {
		size_t n = blk[i].length < buflen ? (size_t)blk[i].length : buflen;
		uint8_t *p;

		if (blk[i].qst_type == QST_IMMEDIATE && gcp) {
			/* The data of the access this vCPU is dispatching. */
			if (!gcp->data || blk[i].location >= gcp->data_len)
				return EINVAL;
			if (n > gcp->data_len - blk[i].location)
				n = gcp->data_len - (size_t)blk[i].location;
			p = gcp->data + blk[i].location;
		} else if (blk[i].qst_type == QST_MEMORY) {
			p = vm_gpa_to_hva(vm, blk[i].location, n);
			if (!p)
				return EFAULT;
		} else {
			return EINVAL;
		}
		if (to_guest)
			memcpy(p, buf, n);
		else
			memcpy(buf, p, n);
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
	(void)flags;
	if (immediate(gcp, blk, nblks, buflen)) {
		copy_access(buf, gcp->data, gcp->data_len);
		return 0;
	}
	return move(gcp, blk, nblks, buf, buflen, false, "guest_cpu_read()");
}

int guest_cpu_write(struct guest_cpu *gcp, guest_cpu_access_flags_t flags,
		const struct qvm_state_block *blk, unsigned nblks, const void *buf, size_t buflen)
{
	(void)flags;
	if (immediate(gcp, blk, nblks, buflen)) {
		copy_access(gcp->data, buf, gcp->data_len);
		return 0;
	}
	return move(gcp, blk, nblks, (uint8_t *)(uintptr_t)buf, buflen, true, "guest_cpu_write()");
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

	(void)flags;
	if (!blk || blk->length > sizeof(ones))
		return EINVAL;
	return move(gcp, blk, 1, (uint8_t *)(uintptr_t)ones, (size_t)blk->length, true,
			"guest_write_all_ones()");
}
