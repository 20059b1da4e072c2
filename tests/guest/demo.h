/*
 * demo.h - the VMs most guest tests start from: the trace demo guest with
 * its console and the trace vdev, quit-on-halt on, and no cpu option (one
 * vCPU unless the test adds some).
 */
#ifndef QVM_TEST_DEMO_H
#define QVM_TEST_DEMO_H

#include "harness.h"

static inline struct qt_vm *demo_vm(const char *name)
{
	struct qt_vm *vm = qt_vm_new(name);

	qt_conf(vm, QT_RAM_CONF);
	qt_guest(vm, "trace-demo");
	qt_conf(vm, "set quit-on-halt on\n");
	qt_console(vm);
	qt_conf(vm, "vdev trace loc %s\n", QT_TRACE_LOC);
	return vm;
}

/* The demo guest with its console but no trace vdev: tests put a vdev of
 * their own at the trace register. */
static inline struct qt_vm *bare_demo_vm(const char *name)
{
	struct qt_vm *vm = qt_vm_new(name);

	qt_conf(vm, QT_RAM_CONF);
	qt_guest(vm, "trace-demo");
	qt_console(vm);
	return vm;
}

#endif
