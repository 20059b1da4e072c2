/*
 * harness.h - guest-behaviour tests in the style of the Linux KVM
 * selftests: each test builds a VM from configuration text and a guest
 * image, runs qvm on it, and asserts on what the guest reported (its
 * console lines, the report/assert/done protocol of
 * guest-images/lib/guest.h), on qvm's exit code and on its log.
 *
 *	QT_TEST(one_vcpu_boots)
 *	{
 *		struct qt_vm *vm = qt_vm_new("one");
 *		qt_conf(vm, "ram 0,16M\nset quit-on-halt on\n");
 *		qt_console(vm);
 *		qt_guest(vm, "trace-demo");
 *		qt_run(vm, 60);
 *		QT_ASSERT_RC(vm, 0);
 *		QT_ASSERT_LINE(vm, "all 1 vcpus done");
 *	}
 *
 * A program of such tests prints TAP (version 13): one "ok N - NAME" or
 * "not ok N - NAME" per test, "# SKIP REASON" on a test that cannot run
 * here, diagnostics as "# " lines, and the plan at the end. Tests run one
 * after another in the order they are written; programs run in parallel
 * (tests/run.sh). A failed QT_ASSERT ends its test (the qvm it started is
 * killed) and the next one runs.
 *
 * Environment: QVM (the qvm to run; default build/qvm), B (the build
 * directory, where the test vdevs are: $B/tests; default build),
 * KILL_AFTER (seconds between SIGTERM and SIGKILL for a qvm that outlives
 * its time; default 15). Guest images come from build/guest-images/<arch>/,
 * never sanitized. Paths are relative to the top of the tree, where
 * tests/run.sh runs the programs.
 */
#ifndef QVM_TEST_HARNESS_H
#define QVM_TEST_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "platform.h"

/* qt_vm.rc when qvm did not exit by itself */
#define QT_RC_SIGNALED(sig)	(128 + (sig))	/* as a shell reports it */
#define QT_RC_TIMEOUT		124		/* outlived its time: SIGTERM sent, as timeout(1) */
#define QT_RC_HUNG		-1		/* ignored SIGTERM too: SIGKILLed */

struct qt_vm;

/* ---- Building the VM ---- */

/* A VM named NAME (a file name: letters, digits, '-', '_') in the test's
 * scratch directory. Freed when the test ends. */
struct qt_vm *qt_vm_new(const char *name);
/* Appends to the configuration text (printf-style). */
void qt_conf(struct qt_vm *vm, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* `load` of the guest image IMAGE (build/guest-images/<arch>/IMAGE.elf). */
void qt_guest(struct qt_vm *vm, const char *image);
/* The architecture's console vdev, whose output is qvm's stdout. */
void qt_console(struct qt_vm *vm);
/* Options on qvm's command line after @FILE, each its own argument;
 * the list ends with NULL. */
void qt_args(struct qt_vm *vm, ...) __attribute__((sentinel));
/* Sets an environment variable for this qvm only. */
void qt_env(struct qt_vm *vm, const char *name, const char *value);
/* Runs qvm on the configuration file PATH instead of the text. */
void qt_conf_file(struct qt_vm *vm, const char *path);
/* Hands the file to qvm as `--config FILE` instead of `@FILE`. */
void qt_use_config_flag(struct qt_vm *vm);
/* Finds the test vdevs ($B/tests) first on qvm's vdev search path. */
void qt_test_vdevs(struct qt_vm *vm);
/* The test's scratch directory: the configuration files, qvm's logs and
 * XDG_RUNTIME_DIR of every qvm the test starts. Removed after a test that
 * passed, kept (and named) after one that failed. */
const char *qt_dir(void);
/* The tree's top, where build/ is (the working directory the test started in). */
const char *qt_top(void);
/* A failed assertion happened in this test (for helpers that assert). */
bool qt_failed(void);

/* ---- Running it ---- */

/* Starts qvm and waits for its end, at most TIMEOUT seconds. Returns rc. */
int qt_run(struct qt_vm *vm, unsigned timeout_s);
/* Starts qvm in the background. */
void qt_start(struct qt_vm *vm);
/* Waits until the guest printed a line containing TEXT; false after SECONDS
 * or when qvm ended first. */
bool qt_wait_line(struct qt_vm *vm, const char *text, unsigned seconds);
/* Sends SIG to the running qvm. */
void qt_kill(struct qt_vm *vm, int sig);
/* Waits for qvm's end, at most SECONDS; then SIGTERM, and KILL_AFTER s
 * later SIGKILL. Returns rc. */
int qt_finish(struct qt_vm *vm, unsigned seconds);
/* qvm is still running (has not exited). */
bool qt_running(struct qt_vm *vm);

/* ---- What came out ---- */

int qt_rc(const struct qt_vm *vm);
/* The guest's console (stdout) and qvm's log (stderr), NUL-terminated. */
const char *qt_out(struct qt_vm *vm);
const char *qt_err(struct qt_vm *vm);
/* The first stdout line containing TEXT, or NULL. */
const char *qt_find_line(struct qt_vm *vm, const char *text);
/* Seconds from qvm's start to the arrival of the first stdout line holding
 * TEXT; negative when there is none. */
double qt_line_time(struct qt_vm *vm, const char *text);
/* Seconds from qvm's start to its end. */
double qt_end_time(const struct qt_vm *vm);
/* Occurrences of TEXT in stderr. */
unsigned qt_count_err(struct qt_vm *vm, const char *text);
/* The value of the guest's `report KEY 0x...`; false if it sent none. */
bool qt_report(struct qt_vm *vm, const char *key, uint64_t *val);

/* ---- Test definition and assertions ---- */

typedef void qt_test_fn(void);
void qt_register(const char *name, qt_test_fn *fn, int line);

#define QT_TEST(name) \
	static void name(void); \
	__attribute__((constructor)) static void qt_reg_##name(void) \
	{ qt_register(#name, name, __LINE__); } \
	static void name(void)

/* Records the failure with its diagnostics; the test then returns. */
void qt_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The test cannot run here: reported as skipped with REASON. */
void qt_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Adds the tail of qvm's log to the failure's diagnostics. */
void qt_diag_tail(struct qt_vm *vm);

#define QT_ASSERT(cond, ...) do { \
	if (!(cond)) { \
		qt_fail(__FILE__, __LINE__, __VA_ARGS__); \
		return; \
	} \
} while (0)

#define QT_ASSERT_RC(vm, want) do { \
	int rc_ = qt_rc(vm); \
	if (rc_ != (want)) { \
		qt_fail(__FILE__, __LINE__, "exit code %d, wanted %d", rc_, (want)); \
		qt_diag_tail(vm); \
		return; \
	} \
} while (0)

/* The guest printed a line that is exactly LINE. */
#define QT_ASSERT_LINE(vm, line) do { \
	if (!qt_has_line(vm, line)) { \
		qt_fail(__FILE__, __LINE__, "no line '%s' from the guest", line); \
		return; \
	} \
} while (0)

#define QT_ASSERT_NO_OUT(vm, text) \
	QT_ASSERT(!strstr(qt_out(vm), text), "unexpected '%s' from the guest", text)

#define QT_ASSERT_ERR(vm, text) do { \
	if (!strstr(qt_err(vm), text)) { \
		qt_fail(__FILE__, __LINE__, "no '%s' in qvm's log", text); \
		qt_diag_tail(vm); \
		return; \
	} \
} while (0)

#define QT_ASSERT_NO_ERR(vm, text) \
	QT_ASSERT(!strstr(qt_err(vm), text), "unexpected '%s' in qvm's log", text)

/* The guest ran its checks to GUEST_DONE(); a failed GUEST_ASSERT is shown. */
#define QT_ASSERT_GUEST_DONE(vm) do { \
	const char *a_ = qt_find_line(vm, "guest assert: "); \
	if (a_ || !qt_has_line(vm, "guest done")) { \
		qt_fail(__FILE__, __LINE__, "%s", a_ ? a_ : "the guest did not reach GUEST_DONE()"); \
		qt_diag_tail(vm); \
		return; \
	} \
} while (0)

#define QT_SKIP(...) do { \
	qt_skip(__VA_ARGS__); \
	return; \
} while (0)

/* Skip the test when why (a platform's reason, or NULL) says so. */
#define QT_SKIP_IF(why) do { \
	const char *why_ = (why); \
	if (why_) \
		QT_SKIP("%s", why_); \
} while (0)

bool qt_has_line(struct qt_vm *vm, const char *line);

/* What main() (in harness.c) runs: every QT_TEST, printing TAP; exits 0
 * if none failed. Without a usable /dev/kvm every test is skipped with the
 * reason. */
int qt_main(void);

#endif
