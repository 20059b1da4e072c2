/* Guest core dumps (the `dump` option): core/dump.c. */
#ifndef QVM_DUMP_H
#define QVM_DUMP_H

struct qvm_vm;

/*
 * Write an ELF core of the guest (registers of every vCPU, guest memory) to
 * the `dump` destination: DIR/SYSTEM-YYYYMMDD-hhmmss.gcore, or the standard
 * input of "|CMD". why is logged. Returns 0, or a negative errno (logged);
 * -ENOENT when no `dump` option was given.
 */
int vm_dump(struct qvm_vm *vm, const char *why);
/*
 * The same with the vdevs' status: VDEV_CTRL_STATUS to each vdev first,
 * what they qvm_report() going into the core as a note ("QVM", type
 * NT_QVM_STATUS, the lines as text) instead of the log: SIGUSR2.
 */
int vm_dump_with_status(struct qvm_vm *vm, const char *why);
#define NT_QVM_STATUS	0x100	/* [ours] */

#endif
