/*
 * qvm --check-host: can qvm run guests on this machine, and if not, why
 * not; what each missing piece stops. One screen, a line per check.
 */
#ifndef QVM_HOSTCHECK_H
#define QVM_HOSTCHECK_H

#include <stdio.h>

enum host_verdict { HOST_PASS, HOST_INFO, HOST_WARN, HOST_FAIL };

struct host_report {
	FILE *f;
	unsigned fails, warns;
};

/* One line: "PASS", "INFO", "WARN" or "FAIL", then the text. */
void host_line(struct host_report *r, enum host_verdict v, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/*
 * A KVM capability, checked on kvm_fd: present (PASS, with value when
 * show_value) or missing, with what stops working (FAIL when required, else
 * WARN). Returns its KVM_CHECK_EXTENSION value.
 */
int host_cap(struct host_report *r, int kvm_fd, long cap, const char *name, int required,
		const char *without, int show_value);
/* Whether a file holds a line with word (e.g. a flag of /proc/cpuinfo). */
int host_file_has_word(const char *path, const char *word);

/* The whole check to f: 0 when qvm can run guests here, else QVM_EXIT_FATAL (64). */
int host_check(FILE *f);

#endif
