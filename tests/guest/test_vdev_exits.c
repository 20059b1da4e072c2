/*
 * test_vdev_exits.c - a vdev ends the guest: VRS_TERMINATE from vread,
 * guest_terminate() with a bad and a custom cause, and qvm_fatal() while
 * the vdev's own timer waits for its mutex (the sdktest vdev, at the
 * trace register the demo guest reads).
 */
#include "demo.h"

static struct qt_vm *sdktest_vm(const char *name, const char *opt, const char *val)
{
	struct qt_vm *vm = bare_demo_vm(name);

	qt_test_vdevs(vm);
	qt_conf(vm, "vdev sdktest loc %s\n", QT_TRACE_LOC);
	qt_args(vm, opt, val, NULL);
	return vm;
}

QT_TEST(vrs_terminate_exits_6)
{
	struct qt_vm *vm = sdktest_vm("vrs", "end-with", "vrs-terminate");

	qt_run(vm, 30);
	QT_ASSERT_RC(vm, 6);
	QT_ASSERT_ERR(vm, "vdev sdktest ended the guest (VRS_TERMINATE) on a read at mem:" QT_TRACE_LOC);
}

QT_TEST(invalid_cause_exits_7)
{
	struct qt_vm *vm = sdktest_vm("bad", "end-with", "99");

	qt_run(vm, 30);
	QT_ASSERT_RC(vm, 7);
	QT_ASSERT_ERR(vm, "guest_terminate(): invalid cause 99");
}

/* Causes between the system's own and the custom range are the system's: not an exit code. */
QT_TEST(reserved_cause_is_an_unexpected_end)
{
	struct qt_vm *vm = sdktest_vm("reserved", "end-with", "10");

	qt_run(vm, 30);
	QT_ASSERT_RC(vm, 7);
	QT_ASSERT_ERR(vm, "guest_terminate(): cause 10 is one the system reserves and gives no "
			"exit code: an unexpected end");
}

/* A system cause a vdev may give: GTC_WATCHDOG ends with the watchdog's code. */
QT_TEST(watchdog_cause_exits_4)
{
	struct qt_vm *vm = sdktest_vm("wdcause", "end-with", "4");

	qt_run(vm, 30);
	QT_ASSERT_RC(vm, 4);
}

QT_TEST(custom_cause_is_the_exit_code)
{
	struct qt_vm *vm = sdktest_vm("custom", "end-with", "63");

	qt_run(vm, 30);
	QT_ASSERT_RC(vm, 63);
}

/* Reproduced by review: a vdev with VFF_MUTEX and a running timer calls
 * qvm_fatal in its vread; the timer callback then waits for v_mtx forever.
 * qvm must still end. */
QT_TEST(fatal_with_a_blocked_timer)
{
	struct qt_vm *vm = sdktest_vm("fataltimer", "tick-ms", "5");

	qt_args(vm, "violate", "fatal-after-start", NULL);
	qt_run(vm, 20);
	QT_ASSERT_RC(vm, 96);
	QT_ASSERT_ERR(vm, "qvm_fatal() called after the guest started");
}
