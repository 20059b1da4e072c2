/* vdev plumbing: loading vdev-NAME.so, instances, lifecycle, common options. */
#ifndef QVM_VDEV_IMPL_H
#define QVM_VDEV_IMPL_H

#include "token.h"
#include "vm.h"

/* Create an instance of vdev type (loading vdev-TYPE.so on first use); OPTIONS_START sent. */
int vdev_create(struct qvm_vm *vm, const char *type, const struct qvm_token *where,
		struct qvm_vdev **out, struct qerr *e);

/*
 * The factory's pulse callback with code, on this thread, v_mtx held with
 * VFF_MUTEX; nothing once the vdev was told TERMINATE.
 */
void vdev_deliver_pulse(struct qvm_vdev *d, int8_t code);

/* The vdev's cdevs that TERMINATE did not end (a VM that never ran): ended and freed. */
void cdevs_destroy(struct qvm_vdev *d);

/* A vdev's v_mtx for VFF_MUTEX or VFF_MUTEX_RECURSIVE (factory_flags). */
void vdev_mutex_init(pthread_mutex_t *m, unsigned factory_flags);

/* Call the factory's control() (0 if it has none), with errors pointing at d. */
int vdev_control(struct qvm_vdev *d, unsigned ctrl, const char *arg);

/* Index of opt in the factory's option_list, or -1; *takes_arg tells whether it has an argument. */
int vdev_find_option(const struct qvm_vdev *d, const char *opt, bool *takes_arg);

/* The common options qvm parses itself: loc, intr, name, log, sched. */
bool vdev_is_common_option(const char *opt, unsigned *nargs);
int vdev_common_option(struct qvm_vdev *d, const char *opt, char *const *args, struct qerr *e);

/* ASSIGN to every vdev, then map each one's loc. */
int vdevs_assign(struct qvm_vm *vm, struct qerr *e);
void vdevs_destroy(struct qvm_vm *vm);

/* Where vdev-NAME.so files are looked for, colon-separated (for messages). */
const char *vdev_search_path(char *buf, size_t len);
/* Remove the vdev_path() directories qvm made, with what vdevs left in them (at the end). */
void vdev_paths_remove(struct qvm_vm *vm);

#endif
