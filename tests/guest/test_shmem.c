/*
 * test_shmem.c - the shmem vdev between two qvm processes: each runs
 * guest-images/lib/shmem-test.c, attaches to one region, and the two
 * exchange a message through its pages and a notification each way
 * (tests/guest/harness.h runs both at once). The region's host object has
 * a name of this run's own (`subst`) and is gone once both detached.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

static struct qt_vm *client(const char *name, const char *prefix, const char *extra)
{
	struct qt_vm *vm = qt_vm_new(name);

	qt_conf(vm, QT_RAM_CONF);
	qt_guest(vm, "shmem-test");
	qt_conf(vm, "%sset quit-on-halt on\n", QT_HALT_CONF);
	qt_console(vm);
	qt_conf(vm, "vdev trace loc " QT_TRACE_LOC "\n");
	qt_conf(vm, "vdev shmem loc 0xf0000000 intr " QT_FREE_INTR " subst ,%s\n%s", prefix, extra);
	return vm;
}

static void exchange(const char *tag, const char *extra, unsigned pages)
{
	char prefix[64], obj[128];

	snprintf(prefix, sizeof(prefix), "qt%d-%s-", (int)getpid(), tag);
	snprintf(obj, sizeof(obj), "/dev/shm/qvm-shmem-%sqvm-test", prefix);
	struct qt_vm *a = client("first", prefix, extra), *b = client("second", prefix, extra);
	/* a sanitizer build's leak check at exit makes calls the sandbox refuses (tests/privs.sh) */
	const char *asan = getenv("ASAN_OPTIONS");
	char opts[256];
	snprintf(opts, sizeof(opts), "%s%sdetect_leaks=0", asan ? asan : "", asan ? ":" : "");
	if (strstr(extra, "sandbox")) {
		qt_env(a, "ASAN_OPTIONS", opts);
		qt_env(b, "ASAN_OPTIONS", opts);
	}
	qt_start(a);
	QT_ASSERT(qt_wait_line(a, "report shmem-idx 0x0000000000000000", 20),
			"the first client did not attach as client 0");
	qt_start(b);
	qt_finish(b, 60);
	qt_finish(a, 60);
	QT_ASSERT_RC(b, 0);
	QT_ASSERT_RC(a, 0);
	QT_ASSERT_LINE(b, "report shmem-idx 0x0000000000000001");
	char want[64];
	snprintf(want, sizeof(want), "report shmem-pages 0x%016x", pages);
	QT_ASSERT_LINE(a, want);
	QT_ASSERT_LINE(b, want);
	QT_ASSERT_LINE(b, "shmem message: hello from client 0");
	if (strcmp(QT_FREE_INTR, "ioapic:10") == 0)	/* x86: the guest saw the line raised */
		QT_ASSERT_LINE(b, "report shmem-irq 0x0000000000000001");
	QT_ASSERT_LINE(a, "shmem reply: hello back from client 1");
	QT_ASSERT_LINE(a, "guest done");
	QT_ASSERT_LINE(b, "guest done");
	QT_ASSERT(access(obj, F_OK) != 0, "%s is still there after both detached", obj);
}

QT_TEST(two_qvms_exchange_a_message_and_notifications)
{
	exchange("plain", "", 1);
}

QT_TEST(the_same_inside_the_sandbox)
{
	exchange("sandbox", "set sandbox on\n", 1);
}

/* `create` makes the region first, with its size and mode: the guests' size is not used */
QT_TEST(create_makes_the_region_first)
{
	exchange("create", "create qvm-test,8K,0640\n", 2);
}

/* `deny` (first match wins): the guest's attach answers GSS_NO_PERMISSION (5) */
QT_TEST(deny_refuses_the_name)
{
	char prefix[64];

	snprintf(prefix, sizeof(prefix), "qt%d-deny-", (int)getpid());
	struct qt_vm *a = client("denied", prefix, "deny qvm-t*\nallow *\n");
	qt_run(a, 30);
	QT_ASSERT(qt_find_line(a, "F_STATUS) == 0 (0x0000000000000005 != 0x0000000000000000)"),
			"the attach was not refused with GSS_NO_PERMISSION");
}
