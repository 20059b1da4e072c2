/*
 * `set VAR VALUE`: the configuration variables, the vendor's and qvm's own
 * (docs/configuration.md, "The set variables"). One table drives parsing,
 * `set ?` and the error for an unknown name, so they cannot disagree.
 *
 * Where a vendor variable controls something of the vendor's host that
 * Linux or KVM does not have, or that only the host's administrator can
 * change, it is accepted, checked and answered with a one-line warning
 * saying why it has no effect: never silently.
 */
#include <errno.h>
#include <stdarg.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <qvm/utils.h>

#include "config_impl.h"
#include "number.h"
#include "vm.h"

enum var_type { VT_BOOL, VT_NUMBER, VT_ADDRESS, VT_STRING };
enum var_ctx { VC_GLOBAL, VC_VDEV };

struct set_var {
	const char *name;
	enum var_type type;
	enum var_ctx ctx;
	unsigned arch;		/* SV_ANY or the one architecture it belongs to */
	int (*fn)(struct cfg *c, const char *var, const char *val);
};

enum { SV_ANY, SV_X86, SV_ARM64 };

static const char *const type_names[] = { "boolean", "number", "address", "string" };

static void warn(struct cfg *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void warn(struct cfg *c, const char *fmt, ...)
{
	char msg[300];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	vm_log(c->vm, QL_QVM_WARN, "%s:%u: %s", c->tok->file, c->tok->line, msg);
}

static int want_bool(struct cfg *c, const char *var, const char *val, bool *out)
{
	if (cfg_bool(val, out))
		return cfg_fail(c, c->tok, -EINVAL, "set %s: '%s' is not a boolean (on/off, 1/0, "
				"yes/no, true/false)", var, val);
	return 0;
}

static int want_number(struct cfg *c, const char *var, const char *val, unsigned flags,
		uint64_t *out)
{
	int r = number_parse(val, flags, out, NULL);

	if (r)
		return cfg_fail(c, c->tok, -EINVAL, "set %s: '%s' is %s", var, val,
				r == -ERANGE ? "out of range" : flags ? "not a size (e.g. 4K, 0x1000)" :
				"not a number");
	return 0;
}

static int want_string(struct cfg *c, const char *var, const char *val, char **out)
{
	char path[PATH_MAX];
	int r = cfg_resolve(c, val, path, sizeof(path));

	if (r)
		return r;
	free(*out);
	*out = strdup(path);
	return *out ? 0 : cfg_fail(c, c->tok, -ENOMEM, "set %s: out of memory", var);
}

/* ---- the vendor's ---- */

static int v_exit_on_halt(struct cfg *c, const char *var, const char *val)
{
	return want_bool(c, var, val, &c->vm->halt_exits);
}

static int v_counter_offset(struct cfg *c, const char *var, const char *val)
{
	return want_number(c, var, val, 0, &c->vm->counter_offset);
}

static int v_fdt_dump_file(struct cfg *c, const char *var, const char *val)
{
	return want_string(c, var, val, &c->vm->fdt_dump_file);
}

static int v_debug(struct cfg *c, const char *var, const char *val)
{
	bool on;
	int r = want_bool(c, var, val, &on);

	if (!r)
		c->vdev->no_status = !on;
	return r;
}

static int v_legacy_free(struct cfg *c, const char *var, const char *val)
{
	return want_bool(c, var, val, &c->vm->legacy_free);
}

/* 0 (no limit) or 5 to 10000 ms, as the vendor allows. */
static int v_msg_timeout(struct cfg *c, const char *var, const char *val)
{
	uint64_t ms;
	int r = want_number(c, var, val, 0, &ms);

	if (r)
		return r;
	if (ms != 0 && (ms < 5 || ms > 10000))
		return cfg_fail(c, c->tok, -ERANGE, "set %s: %llu ms: give 5 to 10000, or 0 for "
				"no limit", var, (unsigned long long)ms);
	warn(c, "set %s: qvm on Linux sends no messages to QNX servers, so none can block: "
			"ignored", var);
	return 0;
}

/* What only the host's kvm module decides. */
static int v_host_kvm_bool(struct cfg *c, const char *var, const char *val)
{
	bool want;
	int r = want_bool(c, var, val, &want);

	if (r)
		return r;
	struct qerr why;
	int have = arch_kvm_feature(var, &why);
	if (have < 0)
		warn(c, "set %s %s: %s: ignored", var, val, why.msg);
	else if ((bool)have != want)
		warn(c, "set %s %s: the host's KVM has it %s (%s); only its administrator can "
				"change that: ignored", var, val, have ? "on" : "off", why.msg);
	return 0;
}

static int v_ignored(struct cfg *c, const char *var, const char *val)
{
	static const struct { const char *var, *why; } whys[] = {
		{ "grow-heap", "the heap of a Linux process grows on demand" },
		{ "slog-buffer", "qvm's slog destination is syslog(3), whose daemon buffers" },
		{ "host-paddr-gicd", "KVM's vGIC drives the host's GIC itself" },
		{ "host-paddr-gich", "KVM's vGIC drives the host's GIC itself" },
		{ "host-paddr-gicv", "KVM's vGIC drives the host's GIC itself" },
	};
	uint64_t n;
	int r;

	if ((r = want_number(c, var, val, QPNF_ALLOW_SUFFIXES, &n)))
		return r;
	for (size_t i = 0; i < sizeof(whys) / sizeof(whys[0]); i++)
		if (strcmp(whys[i].var, var) == 0)
			warn(c, "set %s: %s: ignored", var, whys[i].why);
	return 0;
}

static int v_gic_hwassist(struct cfg *c, const char *var, const char *val)
{
	bool on;
	int r = want_bool(c, var, val, &on);

	if (!r && !on)
		warn(c, "set %s off: KVM's vGIC always uses the hardware's virtual interface: "
				"ignored", var);
	return r;
}

/* ---- qvm's own ---- */

static int q_quit_on_halt(struct cfg *c, const char *var, const char *val)
{
	return want_bool(c, var, val, &c->vm->quit_on_halt);
}

static int q_acpi_dump_dir(struct cfg *c, const char *var, const char *val)
{
	char path[PATH_MAX];
	struct stat st;
	int r = cfg_resolve(c, val, path, sizeof(path));

	if (r)
		return r;
	if (!ARCH_HAS_ACPI)
		warn(c, "set %s: %s guests are described by an FDT, not ACPI tables; nothing is "
				"written to %s", var, ARCH_NAME, path);
	if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode) || access(path, W_OK) != 0)
		return cfg_fail(c, c->tok, -ENOTDIR, "set %s: '%s' is not a writable directory",
				var, path);
	return want_string(c, var, val, &c->vm->acpi.dump_dir);
}

static int q_button_timeout(struct cfg *c, const char *var, const char *val)
{
	uint64_t v;

	if (number_parse(val, 0, &v, NULL) || v > 3600)
		return cfg_fail(c, c->tok, -EINVAL, "set %s: '%s' is not a number of seconds from "
				"0 to 3600", var, val);
	c->vm->button_timeout = (unsigned)v;
	return 0;
}

static int q_user(struct cfg *c, const char *var, const char *val)
{
	struct qerr ue;

	(void)var;
	if (privs_set_user(&c->vm->privs, val, &ue))
		return cfg_fail(c, c->tok, -EINVAL, "%s", ue.msg);
	return 0;
}

static int q_sandbox(struct cfg *c, const char *var, const char *val)
{
	static const char *const modes[] = { [SANDBOX_OFF] = "off", [SANDBOX_ON] = "on",
			[SANDBOX_LOG] = "log" };

	for (int i = 0; i < 3; i++)
		if (strcmp(val, modes[i]) == 0)
			return c->vm->privs.sandbox = (enum qvm_sandbox)i, 0;
	return cfg_fail(c, c->tok, -EINVAL, "set %s: '%s' is not on, off or log", var, val);
}

/* Sorted by name: `set ?` lists them in this order. */
static const struct set_var vars[] = {
	{ "acpi-dump-dir", VT_STRING, VC_GLOBAL, SV_ANY, q_acpi_dump_dir },
	{ "counter-offset", VT_NUMBER, VC_GLOBAL, SV_ANY, v_counter_offset },
	{ "debug", VT_BOOL, VC_VDEV, SV_ANY, v_debug },
	{ "exit-on-halt", VT_BOOL, VC_GLOBAL, SV_ANY, v_exit_on_halt },
	{ "fdt-dump-file", VT_STRING, VC_GLOBAL, SV_ANY, v_fdt_dump_file },
	{ "gic-hwassist", VT_BOOL, VC_GLOBAL, SV_ARM64, v_gic_hwassist },
	{ "grow-heap", VT_ADDRESS, VC_GLOBAL, SV_ANY, v_ignored },
	{ "host-paddr-gicd", VT_ADDRESS, VC_GLOBAL, SV_ARM64, v_ignored },
	{ "host-paddr-gich", VT_ADDRESS, VC_GLOBAL, SV_ARM64, v_ignored },
	{ "host-paddr-gicv", VT_ADDRESS, VC_GLOBAL, SV_ARM64, v_ignored },
	{ "legacy-free", VT_BOOL, VC_GLOBAL, SV_X86, v_legacy_free },
	{ "message-block-timeout", VT_NUMBER, VC_GLOBAL, SV_ANY, v_msg_timeout },
	{ "posted-interrupts", VT_BOOL, VC_GLOBAL, SV_X86, v_host_kvm_bool },
	{ "power-button-timeout", VT_NUMBER, VC_GLOBAL, SV_ANY, q_button_timeout },
	{ "quit-on-halt", VT_BOOL, VC_GLOBAL, SV_ANY, q_quit_on_halt },
	{ "sandbox", VT_STRING, VC_GLOBAL, SV_ANY, q_sandbox },
	{ "slog-buffer", VT_ADDRESS, VC_GLOBAL, SV_ANY, v_ignored },
	{ "user", VT_STRING, VC_GLOBAL, SV_ANY, q_user },
	{ "vdev-message-block-timeout", VT_NUMBER, VC_VDEV, SV_ANY, v_msg_timeout },
	{ "virtual-interrupts", VT_BOOL, VC_GLOBAL, SV_X86, v_host_kvm_bool },
};

static bool here(const struct set_var *v)
{
	return v->arch == SV_ANY || (v->arch == SV_X86) == (strcmp(ARCH_NAME, "x86_64") == 0);
}

void setvars_list(FILE *f)
{
	fprintf(f, "allowed set variables\n");
	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		if (here(&vars[i]))
			fprintf(f, "    %-30s (%s, %s)\n", vars[i].name, type_names[vars[i].type],
					vars[i].ctx == VC_VDEV ? "vdev" : "global");
}

int cfg_set(struct cfg *c)
{
	const char *var, *val;

	if (c->pos >= c->t->n)
		return cfg_fail(c, c->tok, -EINVAL, "option 'set' needs an argument");
	var = c->t->v[c->pos++].text;
	if (strcmp(var, "?") == 0) {	/* the vendor's: list them (and stop, as dryrun would) */
		c->vm->list_set_vars = true;
		return 0;
	}
	if (c->pos >= c->t->n)
		return cfg_fail(c, c->tok, -EINVAL, "option 'set' needs an argument");
	val = c->t->v[c->pos++].text;
	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
		const struct set_var *v = &vars[i];
		if (strcmp(v->name, var) != 0)
			continue;
		if (!here(v))
			return cfg_fail(c, c->tok, -EINVAL, "set %s: a variable of %s guests (this "
					"qvm runs %s guests)", var, v->arch == SV_X86 ? "x86_64" : "aarch64",
					ARCH_NAME);
		if (v->ctx == VC_VDEV && !c->vdev)
			return cfg_fail(c, c->tok, -EINVAL, "set %s: a vdev's variable: give it after "
					"`vdev NAME`", var);
		return v->fn(c, var, val);
	}
	return cfg_fail(c, c->tok, -EINVAL, "set: unknown variable '%s' (`set ?` lists them)",
			var);
}
