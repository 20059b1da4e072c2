/* Small file helpers shared by what qvm writes out (core/files.c). */
#ifndef QVM_FILES_H
#define QVM_FILES_H

#include <stddef.h>

/* Create or truncate path (mode 0644) and write len bytes: 0 or -errno. */
int file_write_all(const char *path, const void *data, size_t len);

#endif
