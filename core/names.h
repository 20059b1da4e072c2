/*
 * The instance names a VM's vdevs hold, as a hash set, so that checking a
 * name (and picking "TYPE-N" for an unnamed vdev) costs the same for the
 * ten-thousandth vdev as for the first. The set points at the names; their
 * owners keep them alive while they are in it.
 */
#ifndef QVM_NAMES_H
#define QVM_NAMES_H

#include <stdbool.h>
#include <stddef.h>

struct name_set {
	const char **slot;	/* NULL: empty; a mark of names.c's own: removed */
	size_t cap, used;	/* used counts removed slots too */
};

/* 0, or -ENOMEM. name must not be in the set already. */
int name_set_add(struct name_set *s, const char *name);
bool name_set_has(const struct name_set *s, const char *name);
void name_set_remove(struct name_set *s, const char *name);
void name_set_free(struct name_set *s);

#endif
