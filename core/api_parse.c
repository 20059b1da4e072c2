/* The API's parsers (utils.h): during option processing a bad value is a configuration error. */
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

/* During option processing a bad number is a configuration error. */
static void config_error_exit(struct qvm_vm *vm, const char *what, const char *str, int err)
{
	char where[300];

	if (!vm || vm_phase(vm) != QVM_PHASE_STARTUP || !vm->cur_tok)
		return;
	vm_where(vm, where, sizeof(where));
	const char *msg = err == -ERANGE ? "number out of range" : what;
	if (vdev_running)
		log_stderr("%svdev %s: %s '%s'", where, vdev_running->name, msg, str ? str : "");
	else
		log_stderr("%s%s '%s'", where, msg, str ? str : "");
	term_exit_now(vm, QVM_EXIT_CONFIG);
}

const char *qvm_parse_num(const char *str, unsigned flags, uint64_t *out)
{
	const char *end;
	int r = number_parse(str, flags, out, &end);

	if (r) {
		config_error_exit(vm_current(), "malformed number", str, r);
		errno = -r;
		return NULL;
	}
	return end;
}

char *qvm_parse_block(const char *str, struct qvm_state_block *bp)
{
	const char *p = str, *end;
	qvm_state_types_t type = bp->qst_type;
	uint64_t v;

	if (p && strncmp(p, "mem:", 4) == 0) {
		type = QST_MEMORY;
		p += 4;
	} else if (p && strncmp(p, "io:", 3) == 0) {
		type = QST_X86_IO;
		p += 3;
	}
	int r = number_parse(p, QPNF_ALLOW_SUFFIXES | QPNF_ALLOW_TRAILING, &v, &end);
	if (r) {
		config_error_exit(vm_current(), "malformed location", str, r);
		errno = -r;
		return NULL;
	}
	bp->location = v;
	bp->qst_type = type;
	return (char *)(uintptr_t)end;
}

const char *qvm_parse_intr(const char *str, guest_intr_t *intr)
{
	const char *end;
	struct qerr e;
	int r = intr_parse(vm_current(), str, intr, &end, &e);

	if (r) {
		config_error_exit(vm_current(), e.msg, str, -EINVAL);
		errno = -r;
		return NULL;
	}
	return end;
}
