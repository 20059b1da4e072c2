/*
 * test_access.c - the access-test guest checks, by GUEST_ASSERT, what it
 * reads back at every width from nobody's addresses, from the trace
 * register at widths it refuses and across its ends, and from RAM; here
 * we check it got through, and what qvm said about each access.
 */
#include "harness.h"

QT_TEST(every_width_to_vdevs_nobody_and_ram)
{
	uint64_t t;

	QT_SKIP_IF(QT_NO_WIDTH_TESTS);
	struct qt_vm *vm = qt_vm_new("access");

	qt_conf(vm, QT_RAM_CONF);
	qt_guest(vm, "access-test");
	qt_conf(vm, "set exit-on-halt on\n");
	qt_console(vm);
	qt_conf(vm, "vdev trace loc %s\n", QT_TRACE_LOC);
	qt_run(vm, 30);
	QT_ASSERT_RC(vm, 0);
	QT_ASSERT_GUEST_DONE(vm);
	QT_ASSERT(qt_report(vm, "trace32", &t), "no trace32 report");
	QT_ASSERT(t < 30, "the trace counter read %#llx at start", (unsigned long long)t);
	QT_ASSERT_ERR(vm, "1-byte read at mem:0xfa000000: vdev trace does not accept 1-byte accesses");
	QT_ASSERT_ERR(vm, "4-byte read at mem:0xfa000002: crosses the end of a vdev's region");
	QT_ASSERT_ERR(vm, "2-byte read at mem:0xfa000003: crosses the end of a vdev's region");
	QT_ASSERT_ERR(vm, "1-byte read at mem:0xfa000004: no vdev there");
	QT_ASSERT_ERR(vm, "read at mem:0xfb000000: no vdev there");
}

/* Refused accesses under `unsupported reference abort`: the first one ends
 * qvm with 5 before the guest learns anything. */
QT_TEST(a_refused_width_aborts_when_told)
{
	QT_SKIP_IF(QT_NO_WIDTH_TESTS);
	struct qt_vm *vm = qt_vm_new("abort");

	qt_conf(vm, QT_RAM_CONF);
	qt_guest(vm, "access-test");
	qt_console(vm);
	qt_conf(vm, "vdev trace loc %s\nunsupported reference abort\n", QT_TRACE_LOC);
	qt_run(vm, 30);
	QT_ASSERT_RC(vm, 5);
	QT_ASSERT_ERR(vm, "1-byte read at mem:0xfa000000: vdev trace does not accept 1-byte "
			"accesses (unsupported reference: abort)");
	QT_ASSERT_NO_OUT(vm, "guest done");
}
