/*
 * test_faults.c - x86 guests that fault: `unsupported reference fail`
 * delivers a fault to a guest that has no IDT, which shuts the CPU down.
 */
#include "../demo.h"

QT_TEST(unsupported_fail_delivers_a_fault)
{
	struct qt_vm *vm = demo_vm("failpol");

	qt_args(vm, "unsupported", "reference", "fail", NULL);
	qt_run(vm, 60);
	QT_ASSERT_RC(vm, 96);
	QT_ASSERT_ERR(vm, "(unsupported reference: fault delivered to the guest)");
	QT_ASSERT_ERR(vm, "the guest shut down the CPU (triple fault)");
}
