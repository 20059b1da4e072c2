/*
 * test_lifecycle.c - the order of a vdev's callbacks (the lifecycle test
 * vdev logs each) in a run, under dryrun, on a configuration error, and
 * when a vdev ends the guest while it is being configured.
 */
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>

#include "demo.h"

/* WHAT of a log line "qvm: NAME: lifecycle: WHAT" (LEN bytes), or NULL. */
static const char *lifecycle_what(const char *l, size_t len)
{
	const char *tag = ": lifecycle: ";

	if (len < 5 || strncmp(l, "qvm: ", 5) != 0)
		return NULL;
	const char *name_end = l + 5 + strspn(l + 5, "abcdefghijklmnopqrstuvwxyz");
	if ((size_t)(name_end - l) + strlen(tag) > len || strncmp(name_end, tag, strlen(tag)) != 0)
		return NULL;
	return name_end + strlen(tag);
}

/* The lifecycle vdev's lines of qvm's log, their WHAT joined by '|' (a
 * path, without its value, as "path"). */
static const char *lifecycle_of(struct qt_vm *vm)
{
	static char got[1024];
	const char *l = qt_err(vm);
	size_t n = 0;

	got[0] = '\0';
	while (*l && n < sizeof(got)) {
		size_t len = strcspn(l, "\n");
		const char *what = lifecycle_what(l, len);
		if (what) {
			size_t wl = len - (size_t)(what - l);
			if (wl >= 5 && strncmp(what, "path ", 5) == 0)
				wl = 4;
			n += (size_t)snprintf(got + n, sizeof(got) - n, "%s%.*s", n ? "|" : "",
					(int)wl, what);
		}
		l += len + (l[len] == '\n');
	}
	return got;
}

static struct qt_vm *lifecycle_vm(const char *name)
{
	struct qt_vm *vm = demo_vm(name);

	qt_test_vdevs(vm);
	return vm;
}

QT_TEST(callbacks_in_the_documented_order)
{
	struct qt_vm *vm = lifecycle_vm("life");
	char want_path[4200], path[4096];
	struct stat st;

	qt_args(vm, "vdev", "lifecycle", "name", "lc", "opt-a", "x", "opt-b", NULL);
	qt_run(vm, 60);
	QT_ASSERT_RC(vm, 0);
	/* OPTIONS_START comes before `name lc` is read, under the default name */
	const char *got = lifecycle_of(vm);
	QT_ASSERT(!strcmp(got, "OPTIONS_START|option 0 x|option 1 (none)|OPTIONS_END|ASSIGN|PCI_BARS|"
			QT_GEN_TABLES "GUEST_CONFIGURED|path|GUEST_STARTING|TERMINATE"),
			"lifecycle: %s", got);
	/* vdev_path() made its directory under XDG_RUNTIME_DIR (the vdev checked it) */
	snprintf(want_path, sizeof(want_path), "lifecycle: path %s/xdg-life/qvm/pid-", qt_dir());
	QT_ASSERT_ERR(vm, want_path);
	const char *p = strstr(qt_err(vm), "lifecycle: path ");
	snprintf(path, sizeof(path), "%.*s", (int)strcspn(p + 16, "\n"), p + 16);
	/* ...and qvm removed it, and the pid-N directory it made for it, at exit */
	QT_ASSERT(stat(path, &st) < 0 && errno == ENOENT, "%s is still there after qvm ended", path);
	char *slash = strrchr(path, '/');
	if (slash)
		*slash = '\0';
	QT_ASSERT(stat(path, &st) < 0 && errno == ENOENT, "%s is still there after qvm ended", path);
}

QT_TEST(dryrun_skips_guest_starting)
{
	struct qt_vm *vm = lifecycle_vm("lifedry");

	qt_args(vm, "vdev", "lifecycle", "name", "lc", "opt-a", "x", "opt-b", "dryrun", NULL);
	qt_run(vm, 30);
	QT_ASSERT_RC(vm, 0);
	const char *got = lifecycle_of(vm);
	QT_ASSERT(!strcmp(got, "OPTIONS_START|option 0 x|option 1 (none)|OPTIONS_END|ASSIGN|PCI_BARS|"
			QT_GEN_TABLES "GUEST_CONFIGURED|path|TERMINATE"), "dryrun lifecycle: %s", got);
}

/* A configuration error after the vdev exists: TERMINATE still comes, once. */
QT_TEST(configuration_error_still_terminates)
{
	struct qt_vm *vm = lifecycle_vm("lifebad");

	qt_args(vm, "vdev", "lifecycle", "name", "lc", "opt-b", "frobnicate", NULL);
	qt_run(vm, 30);
	QT_ASSERT_RC(vm, 65);
	QT_ASSERT_ERR(vm, "command line:7: unknown option 'frobnicate' (not an option of vdev lc "
			"nor a qvm option)");
	const char *got = lifecycle_of(vm);
	QT_ASSERT(!strcmp(got, "OPTIONS_START|option 1 (none)|TERMINATE"), "lifecycle on error: %s", got);
}

/* A vdev refusing ASSIGN (8) is a configuration error naming it. */
QT_TEST(assign_refused_names_the_vdev)
{
	struct qt_vm *vm = lifecycle_vm("lifeassign");

	qt_args(vm, "vdev", "lifecycle", "name", "lc", "fail-at", "8", NULL);
	qt_run(vm, 30);
	QT_ASSERT_RC(vm, 65);
	QT_ASSERT_ERR(vm, "command line:2: vdev lc: ASSIGN failed: Input/output error");
}

/* ...and one refusing PCI_BARS (10), which comes after every ASSIGN. */
QT_TEST(pci_bars_refused_names_the_vdev)
{
	struct qt_vm *vm = lifecycle_vm("lifebars");

	qt_args(vm, "vdev", "lifecycle", "name", "lc", "fail-at", "10", NULL);
	qt_run(vm, 30);
	QT_ASSERT_RC(vm, 65);
	QT_ASSERT_ERR(vm, "command line:2: vdev lc: PCI_BARS failed: Input/output error");
	const char *got = lifecycle_of(vm);
	QT_ASSERT(!strcmp(got, "OPTIONS_START|option 2 10|OPTIONS_END|ASSIGN|PCI_BARS|TERMINATE"),
			"lifecycle: %s", got);
}

/* guest_terminate during GUEST_CONFIGURED keeps its cause, dryrun or not. */
QT_TEST(terminate_while_configuring_keeps_its_code)
{
	struct qt_vm *vm = lifecycle_vm("cfgexit");

	qt_args(vm, "vdev", "lifecycle", "name", "lc", "exit-at", "2", "dryrun", NULL);
	qt_run(vm, 20);
	QT_ASSERT_RC(vm, 33);
	QT_ASSERT_ERR(vm, "lc: lifecycle: TERMINATE");
	QT_ASSERT_NO_ERR(vm, "after TERMINATE");
	QT_ASSERT_NO_ERR(vm, "dryrun completed");
}
