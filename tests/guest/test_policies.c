/*
 * test_policies.c - what the configuration makes of a guest's accesses:
 * the trace vdev's logging, qvm's logger filters, the unsupported-reference
 * policy, and quit-on-halt.
 */
#include <signal.h>

#include "demo.h"

QT_TEST(emit_logger_logs_each_access)
{
	struct qt_vm *vm = demo_vm("logger");

	qt_args(vm, "emit-logger", NULL);	/* still the trace vdev's context */
	qt_run(vm, 60);
	QT_ASSERT_RC(vm, 0);
	QT_ASSERT_ERR(vm, "qvm: trace: read 0x00000000 at " QT_TRACE_LOC);
	QT_ASSERT_ERR(vm, "qvm: trace: write 0x12345678 at " QT_TRACE_LOC);
}

QT_TEST(logger_filters_drop_warnings_and_info)
{
	struct qt_vm *vm = demo_vm("quiet");

	qt_args(vm, "logger", "warn,info", "none", NULL);
	qt_run(vm, 60);
	QT_ASSERT_RC(vm, 0);
	QT_ASSERT_LINE(vm, "all 1 vcpus done");
	QT_ASSERT_NO_ERR(vm, "warning");
	QT_ASSERT_NO_ERR(vm, "quit-on-halt");	/* info: filtered */
}

QT_TEST(unsupported_reference_abort_ends_qvm)
{
	struct qt_vm *vm = demo_vm("abort");

	qt_args(vm, "unsupported", "reference", "abort", NULL);
	qt_run(vm, 60);
	QT_ASSERT_RC(vm, 5);
	QT_ASSERT_ERR(vm, "1-byte read at mem:" QT_TRACE_LOC ": vdev trace does not accept 1-byte "
			"accesses (unsupported reference: abort)");
	QT_ASSERT_LINE(vm, "trace write: 0x12345678");
	QT_ASSERT_NO_OUT(vm, "8-bit write: dropped");
}

/* Without quit-on-halt a halted guest keeps qvm alive, as on the real qvm,
 * until it is told to stop. */
QT_TEST(halted_guest_runs_on_without_quit_on_halt)
{
	struct qt_vm *vm = demo_vm("nohalt");

	qt_conf(vm, "%s", QT_HALT_CONF);
	qt_args(vm, "set", "quit-on-halt", "off", "set", "power-button-timeout", "1", NULL);
	qt_start(vm);
	QT_ASSERT(qt_wait_line(vm, "all 1 vcpus done", 30), "the guest did not finish");
	qt_wait_line(vm, "never printed", 1);
	QT_ASSERT(qt_running(vm), "qvm ended (exit %d) with the guest halted", qt_rc(vm));
	qt_kill(vm, SIGTERM);
	qt_finish(vm, 10);
	QT_ASSERT_RC(vm, 3);	/* the halted guest does not answer the power button */
	QT_ASSERT_NO_ERR(vm, "quit-on-halt");
}
