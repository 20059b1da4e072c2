/*
 * test_access.c - the access-test guest checks, by GUEST_ASSERT, what it
 * reads back at every width from nobody's addresses, from the trace
 * register at widths it refuses and across its ends, and from RAM; here
 * we check it got through, and what qvm said about each access.
 */
#include <stdio.h>
#include <stdlib.h>

#include "harness.h"

/* "mem:ADDR" of the trace register plus off, as qvm prints it */
static const char *trace_at(unsigned off)
{
	static char buf[4][32];
	static unsigned n;
	char *b = buf[n++ % 4];

	snprintf(b, sizeof(buf[0]), "mem:%#llx", strtoull(QT_TRACE_LOC, NULL, 0) + off);
	return b;
}

/* Was "WHAT at WHERE: WHY" logged? */
static bool logged(struct qt_vm *vm, const char *what, const char *where, const char *why)
{
	char want[200];

	snprintf(want, sizeof(want), "%s at %s: %s", what, where, why);
	if (strstr(qt_err(vm), want))
		return true;
	qt_fail(__FILE__, __LINE__, "no '%s' in qvm's log", want);
	qt_diag_tail(vm);
	return false;
}

QT_TEST(every_width_to_vdevs_nobody_and_ram)
{
	uint64_t t;
	struct qt_vm *vm = qt_vm_new("access");

	qt_conf(vm, QT_RAM_CONF);
	qt_guest(vm, "access-test");
	qt_conf(vm, "set quit-on-halt on\n");
	qt_console(vm);
	qt_conf(vm, "vdev trace loc %s\n", QT_TRACE_LOC);
	qt_run(vm, 30);
	QT_ASSERT_RC(vm, 0);
	QT_ASSERT_GUEST_DONE(vm);
	QT_ASSERT(qt_report(vm, "trace32", &t), "no trace32 report");
	QT_ASSERT(t < 30, "the trace counter read %#llx at start", (unsigned long long)t);
	if (!logged(vm, "1-byte read", trace_at(0), "vdev trace does not accept 1-byte accesses") ||
	    !logged(vm, "1-byte read", trace_at(4), "no vdev there"))
		return;
	/* (the guest makes these only where an unaligned access reaches qvm) */
	if (QT_UNALIGNED_MMIO &&
	    (!logged(vm, "4-byte read", trace_at(2), "crosses the end of a vdev's region") ||
	     !logged(vm, "2-byte read", trace_at(3), "crosses the end of a vdev's region")))
		return;
	QT_ASSERT_ERR(vm, "read at mem:0xfb000000: no vdev there");
}

/* Refused accesses under `unsupported reference abort`: the first one ends
 * qvm with 5 before the guest learns anything. */
QT_TEST(a_refused_width_aborts_when_told)
{
	struct qt_vm *vm = qt_vm_new("abort");

	qt_conf(vm, QT_RAM_CONF);
	qt_guest(vm, "access-test");
	qt_console(vm);
	qt_conf(vm, "vdev trace loc %s\nunsupported reference abort\n", QT_TRACE_LOC);
	qt_run(vm, 30);
	QT_ASSERT_RC(vm, 5);
	if (!logged(vm, "1-byte read", trace_at(0), "vdev trace does not accept 1-byte "
			"accesses (unsupported reference: abort)"))
		return;
	QT_ASSERT_NO_OUT(vm, "guest done");
}
