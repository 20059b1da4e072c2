/*
 * test_watchdog.c - the wdt-ib700 watchdog (x86 ports): the wdog-demo
 * guest kicks it four times, a second apart, then stops; it bites 4 s
 * after the last kick and qvm ends with 4. One the guest never starts
 * never bites.
 */
#include "../demo.h"

QT_TEST(bites_on_time)
{
	struct qt_vm *vm = qt_vm_new("wdog");

	qt_conf_file(vm, "guest-images/x86_64/wdog-demo.qvmconf");
	qt_run(vm, 30);
	QT_ASSERT_RC(vm, 4);
	double last = qt_line_time(vm, "wdog kick 4");
	QT_ASSERT(last >= 0, "no 4th kick");
	/* the timeout is 4 s: the bite comes no sooner, and at most 10 % later */
	double d = qt_end_time(vm) - last;
	QT_ASSERT(d >= 3.9 && d <= 4.4, "qvm ended %.2f s after the last kick (timeout 4 s, +10%%)", d);
	QT_ASSERT_ERR(vm, "wdt-ib700: not kicked for 4 s");
	QT_ASSERT_ERR(vm, "wdt-ib700: the watchdog bit (terminate)");
}

QT_TEST(never_started_never_bites)
{
	struct qt_vm *vm = demo_vm("wdidle");

	qt_args(vm, "vdev", "wdt-ib700", NULL);
	qt_run(vm, 60);
	QT_ASSERT_RC(vm, 0);
	QT_ASSERT_LINE(vm, "all 1 vcpus done");
	QT_ASSERT_NO_ERR(vm, "bit");
}
