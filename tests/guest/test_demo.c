/*
 * test_demo.c - the trace demo guest: the shipped configuration on two
 * vCPUs, one vCPU by default, vCPUs added on the command line, --config
 * and dryrun.
 */
#include <stdlib.h>

#include "demo.h"

/* The trace counter lines: 4 of them, strictly increasing. */
static void counters_increase(struct qt_vm *vm)
{
	const char *out = qt_out(vm), *p = out;
	long prev = -1;
	int n = 0;

	while ((p = strstr(p, "trace counter: "))) {
		long v = strtol(p + 15, NULL, 10);
		QT_ASSERT(v > prev, "trace counter did not increase: %ld after %ld", v, prev);
		prev = v;
		n++;
		p += 15;
	}
	QT_ASSERT(n == 4, "expected 4 trace counter lines, got %d", n);
}

QT_TEST(shipped_demo_on_two_vcpus)
{
	struct qt_vm *vm = qt_vm_new("demo");

	qt_conf_file(vm, "guest-images/" QT_GUEST_ARCH "/trace-demo.qvmconf");
	qt_run(vm, 60);
	QT_ASSERT_RC(vm, 0);
	QT_ASSERT_LINE(vm, "qvm trace demo: hello from the boot vcpu (2 vcpus)");
	counters_increase(vm);
	if (qt_failed())
		return;
	QT_ASSERT_LINE(vm, "trace write: 0x12345678");
	QT_ASSERT_LINE(vm, "trace 8-bit read: 0xff");
	QT_ASSERT_LINE(vm, "unowned read: 0xffffffff");
	/* arm64 adds each vCPU's MPIDR and a trace reading to its line */
	QT_ASSERT(qt_find_line(vm, "cpu 0 of 2: online"), "no roll call of cpu 0");
	QT_ASSERT(qt_find_line(vm, "cpu 1 of 2: online"), "no roll call of cpu 1");
	QT_ASSERT_LINE(vm, "all 2 vcpus done");
	QT_ASSERT_ERR(vm, "4-byte write of 0xdeadbeef at mem:0xfb000000: no vdev there "
			"(unsupported reference: ignored)");
	QT_ASSERT_ERR(vm, "1-byte read at mem:" QT_TRACE_LOC ": vdev trace does not accept "
			"1-byte accesses");
	QT_ASSERT_ERR(vm, QT_DEMO_END);
	/* one warning per address, however often the guest touches it */
	unsigned n = qt_count_err(vm, "mem:0xfb000000");
	QT_ASSERT(n == 1, "warned %u times about 0xfb000000", n);
}

QT_TEST(one_vcpu_by_default)
{
	struct qt_vm *vm = demo_vm("one");

	qt_run(vm, 60);
	QT_ASSERT_RC(vm, 0);
	QT_ASSERT_LINE(vm, "qvm trace demo: hello from the boot vcpu (1 vcpus)");
	QT_ASSERT_LINE(vm, "all 1 vcpus done");
}

QT_TEST(three_vcpus_from_the_command_line)
{
	struct qt_vm *vm = demo_vm("three");

	qt_args(vm, "cpu", "cpu", "cpu", NULL);
	qt_run(vm, 60);
	QT_ASSERT_RC(vm, 0);
	QT_ASSERT(qt_find_line(vm, "cpu 2 of 3: online"), "no roll call of cpu 2");
	QT_ASSERT_LINE(vm, "all 3 vcpus done");
}

QT_TEST(config_flag_and_dryrun)
{
	struct qt_vm *vm = demo_vm("dry");

	qt_use_config_flag(vm);
	qt_args(vm, "dryrun", NULL);
	qt_run(vm, 20);
	QT_ASSERT_RC(vm, 0);
	QT_ASSERT_ERR(vm, "Exiting: dryrun completed");
	QT_ASSERT_NO_OUT(vm, "hello");
}
