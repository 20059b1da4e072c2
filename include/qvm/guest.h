/*
 * qvm/guest.h - the guest as seen from a vdev: moving data of a trapped
 * access, guest memory, ending the guest.
 */
#ifndef QVM_GUEST_H
#define QVM_GUEST_H

#include <qvm/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* guest_cpu_read / guest_cpu_write flags */
enum {
	GXF_NONE = 0,
};

/*
 * Move data between the vdev and the guest.
 *
 * With gcp from vread/vwrite and blk = oopnd: the data of the trapped
 * access. In vwrite, guest_cpu_read fetches the value the guest wrote; in
 * vread, guest_cpu_write hands over the value the guest reads.
 *
 * With gcp == NULL and blocks of type QST_MEMORY: guest-physical memory
 * (RAM or ROM; ROM is writable from here).
 *
 * nblks blocks are moved in order, buflen bytes in all at most.
 * Returns 0 (EOK) or an errno value (EFAULT: outside guest memory,
 * EINVAL: a block this call cannot move).
 */
int guest_cpu_read(struct guest_cpu *gcp, unsigned flags,
		const struct qvm_state_block *blk, unsigned nblks,
		void *buf, unsigned buflen);
int guest_cpu_write(struct guest_cpu *gcp, unsigned flags,
		const struct qvm_state_block *blk, unsigned nblks,
		const void *buf, unsigned buflen);

/* Why the guest ended; the process exit code is given for each. */
typedef enum {
	GTC_NORMAL_EXIT = 0,		/* exit 0 */
	GTC_POWER_CUT = 3,		/* exit 3 */
	GTC_WATCHDOG = 4,		/* exit 4 */
	GTC_UNSUPPORTED = 5,		/* exit 5 */
	GTC_VDEV_ERROR = 6,		/* exit 6 */
	GTC_UNEXPECTED = 7,		/* exit 7 */
	GTC_CUSTOM_MIN = 32,		/* 32..63: the exit code is the cause */
	GTC_MAX = 63,
} guest_termination_cause_t;

/*
 * End the guest and qvm (after the guest started; before it, use
 * qvm_fatal). Every vdev gets VDEV_CTRL_TERMINATE once, vCPUs stop, and qvm
 * exits with the code of the cause. Safe from any thread, also from
 * vread/vwrite (the vCPU stops once the call returns). The first cause wins.
 */
void guest_terminate(guest_termination_cause_t cause);

#ifdef __cplusplus
}
#endif
#endif
