#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <qvm/utils.h>

#include "config_impl.h"
#include "loader.h"
#include "number.h"
#include "vdev_impl.h"
#include "vm.h"



int cfg_fail(struct cfg *c, const struct qvm_token *at, int err, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return qerr_set(c->e, err, "%s:%u: %s", at->file, at->line, msg);
}

/* Prefix an error a library call left in c->e with the option's FILE:LINE. */
static int located(struct cfg *c, int r)
{
	if (r)
		qerr_prefix(c->e, "%s:%u: ", c->tok->file, c->tok->line);
	return r;
}

static const char *arg(struct cfg *c, const char *opt)
{
	if (c->pos >= c->t->n) {
		cfg_fail(c, c->tok, -EINVAL, "option '%s' needs an argument", opt);
		return NULL;
	}
	return c->t->v[c->pos++].text;
}

static int number(struct cfg *c, const char *s, uint64_t *v)
{
	int r = number_parse(s, QPNF_ALLOW_SUFFIXES, v, NULL);

	if (r == -ERANGE)
		return cfg_fail(c, c->tok, r, "number out of range '%s'", s);
	if (r)
		return cfg_fail(c, c->tok, r, "malformed number '%s'", s);
	return 0;
}

/* A file name relative to the directory of the file it was written in. */
int cfg_resolve(struct cfg *c, const char *name, char *out, size_t len)
{
	int n;

	if (name[0] == '/' || !c->tok->dir)
		n = snprintf(out, len, "%s", name);
	else
		n = snprintf(out, len, "%s/%s", c->tok->dir, name);
	if (n < 0 || (size_t)n >= len)
		return cfg_fail(c, c->tok, -ENAMETOOLONG, "file name too long '%s'", name);
	return 0;
}

static int close_context(struct cfg *c)
{
	struct qvm_vdev *d = c->vdev;

	c->vdev = NULL;
	c->cpu = NULL;
	c->reserve = c->pass = false;
	if (!d)
		return 0;
	c->vm->cur_tok = d->where;
	int r = vdev_control(d, VDEV_CTRL_OPTIONS_END, NULL);
	if (r)
		return cfg_fail(c, d->where, -r, "vdev %s: OPTIONS_END failed: %s", d->name, strerror(r));
	return 0;
}

/* ---- global options ---- */

static int opt_system(struct cfg *c)
{
	const char *name = arg(c, "system");

	if (!name)
		return -EINVAL;
	if (c->seen_option)
		return cfg_fail(c, c->tok, -EINVAL, "'system' must come before every other option");
	bool plain = true;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		plain &= *p > ' ' && *p < 0x7f && *p != '/';
	/* it names a directory under vdev_path()'s qvm/: it must not leave it */
	if (!*name || strlen(name) >= sizeof(c->vm->system) || !plain ||
			strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return cfg_fail(c, c->tok, -EINVAL, "invalid system name '%s' (at most %zu characters of "
				"printable ASCII with no '/' or blanks, not '.' or '..')", name,
				sizeof(c->vm->system) - 1);
	snprintf(c->vm->system, sizeof(c->vm->system), "%s", name);
	return 0;
}

static int opt_cpu(struct cfg *c)
{
	struct qvm_vm *vm = c->vm;

	if (vm->ncpus == QVM_MAX_CPUS)
		return cfg_fail(c, c->tok, -ENOSPC, "too many cpus (at most %d)", QVM_MAX_CPUS);
	c->cpu = &vm->cpu_cfg[vm->ncpus++];
	memset(c->cpu, 0, sizeof(*c->cpu));
	return 0;
}

static int mem_option(struct cfg *c, bool rom)
{
	const char *name = rom ? "rom" : "ram";
	const char *a = arg(c, name);
	uint64_t start = 0, len;
	bool have_start = false;
	int r;

	if (!a)
		return -EINVAL;
	const char *comma = strchr(a, ',');
	if (comma) {
		char first[64];
		if ((size_t)(comma - a) >= sizeof(first))
			return cfg_fail(c, c->tok, -EINVAL, "malformed number '%.*s'", (int)(comma - a), a);
		memcpy(first, a, (size_t)(comma - a));
		first[comma - a] = '\0';
		if ((r = number(c, first, &start)))
			return r;
		have_start = true;
		a = comma + 1;
	}
	if ((r = number(c, a, &len)))
		return r;
	return located(c, vm_add_mem(c->vm, have_start, start, len, rom, c->e));
}

static int opt_ram(struct cfg *c) { return mem_option(c, false); }
static int opt_rom(struct cfg *c) { return mem_option(c, true); }

static int load_option(struct cfg *c, enum load_kind kind)
{
	const char *a = arg(c, "load");
	char path[PATH_MAX];
	uint64_t addr = 0;
	bool have_addr = false;
	int r;

	if (!a)
		return -EINVAL;
	/* ADDR,FILE when what precedes the first comma is a number */
	const char *comma = strchr(a, ',');
	if (comma && comma - a < 64) {
		char first[64];
		memcpy(first, a, (size_t)(comma - a));
		first[comma - a] = '\0';
		if (number_parse(first, QPNF_ALLOW_SUFFIXES, &addr, NULL) == 0) {
			have_addr = true;
			a = comma + 1;
		}
	}
	if ((r = cfg_resolve(c, a, path, sizeof(path))))
		return r;
	/* Ram must come before what refers to guest memory, as on the real qvm. */
	bool ram = false;
	for (unsigned i = 0; i < c->vm->nmem; i++)
		ram |= !c->vm->mem[i].rom;
	if (!have_addr && !ram)
		return cfg_fail(c, c->tok, -EINVAL, "'%s': no ram to load it into (give `ram` first)", path);
	char where[PATH_MAX + 32];
	snprintf(where, sizeof(where), "%s:%u: ", c->tok->file, c->tok->line);
	return loader_plan(c->vm, where, path, kind, have_addr, addr, c->e);
}

static int opt_load(struct cfg *c) { return load_option(c, LOAD_IMAGE); }

/* `TYPE load ...` */
static int opt_typed_load(struct cfg *c)
{
	const char *type = c->tok->text;

	/* the vendor's blob-typed pass: the data is the host's, in place */
	if (c->pos < c->t->n && strcmp(c->t->v[c->pos].text, "pass") == 0) {
		c->pos++;
		if (strcmp(type, "data") != 0)
			return cfg_fail(c, c->tok, -ENOTSUP, "'%s pass': only data blobs are passed "
					"through here (give `data pass` or `%s load`)", type, type);
		int r = close_context(c);
		if (!r)
			c->pass = true;
		return r;
	}
	if (c->pos >= c->t->n || strcmp(c->t->v[c->pos].text, "load") != 0)
		return cfg_fail(c, c->tok, -EINVAL, "'%s' must be followed by 'load' or 'pass'", type);
	c->pos++;
	if (strcmp(type, "data") == 0)
		return load_option(c, LOAD_DATA);
	if (strcmp(type, "fdt") == 0 && ARCH_HAS_FDT)
		return load_option(c, LOAD_FDT);
	if (strcmp(type, "fdt") == 0)
		return cfg_fail(c, c->tok, -ENOTSUP, "'fdt load': %s guests are described by ACPI, "
				"not an FDT", ARCH_NAME);
	if (strcmp(type, "acpi") == 0 && ARCH_HAS_ACPI)
		return load_option(c, LOAD_ACPI);
	if (strcmp(type, "acpi") == 0)
		return cfg_fail(c, c->tok, -ENOTSUP, "'acpi load': %s guests are described by an FDT, "
				"not ACPI tables", ARCH_NAME);
	/* (described in the FDT, or in a Linux kernel's zero page) */
	if (strcmp(type, "initrd") == 0)
		return load_option(c, LOAD_INITRD);
	return cfg_fail(c, c->tok, -ENOTSUP, "'%s load' is not supported yet on this architecture", type);
}

static int opt_cmdline(struct cfg *c)
{
	const char *a = arg(c, "cmdline");
	char *s;

	if (!a)
		return -EINVAL;
	s = strdup(a);
	if (!s)
		return cfg_fail(c, c->tok, -ENOMEM, "out of memory");
	free(c->vm->cmdline);
	c->vm->cmdline = s;
	return 0;
}

static int opt_logger(struct cfg *c)
{
	const char *filters = arg(c, "logger"), *dest;

	if (!filters || !(dest = arg(c, "logger")))
		return -EINVAL;
	c->vm->logger_given = true;
	return located(c, logger_parse(&c->vm->log, filters, dest, c->e));
}

static int opt_unsupported(struct cfg *c)
{
	static const char *const kinds[] = { "instruction", "reference", "register" };
	static const char *const acts[] = { "abort", "fail", "ignore" };
	const char *kind = arg(c, "unsupported"), *act;
	int k = -1, a = -1;

	if (!kind || !(act = arg(c, "unsupported")))
		return -EINVAL;
	for (int i = 0; i < 3; i++) {
		if (strcmp(kind, kinds[i]) == 0)
			k = i;
		if (strcmp(act, acts[i]) == 0)
			a = i;
	}
	if (k < 0)
		return cfg_fail(c, c->tok, -EINVAL, "unsupported '%s': expected instruction, reference "
				"or register", kind);
	if (a < 0)
		return cfg_fail(c, c->tok, -EINVAL, "unsupported %s '%s': expected abort, fail or ignore",
				kind, act);
	c->vm->unsupp[k] = (enum qvm_unsupp_action)a;
	return 0;
}

int cfg_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "on", "1", "yes", "true" };
	static const char *const no[] = { "off", "0", "no", "false" };

	for (int i = 0; i < 4; i++) {
		if (strcmp(s, yes[i]) == 0)
			return *out = true, 0;
		if (strcmp(s, no[i]) == 0)
			return *out = false, 0;
	}
	return -EINVAL;
}


static int opt_dryrun(struct cfg *c)
{
	c->vm->dryrun = true;
	return 0;
}

static int opt_vdev(struct cfg *c)
{
	const struct qvm_token *where = c->tok;
	const char *name = arg(c, "vdev");

	if (!name)
		return -EINVAL;
	return located(c, vdev_create(c->vm, name, where, &c->vdev, c->e));
}

/* dump DIR | dump "|CMD": where core dumps go (SIGUSR2, watchdogs). */
static int opt_dump(struct cfg *c)
{
	const char *a = arg(c, "dump");
	char path[PATH_MAX];
	int r;

	if (!a)
		return -EINVAL;
	if (a[0] == '|') {
		if (!a[1])
			return cfg_fail(c, c->tok, -EINVAL, "dump '|': no command after '|'");
		snprintf(path, sizeof(path), "%s", a);
	} else {
		struct stat st;
		if ((r = cfg_resolve(c, a, path, sizeof(path))))
			return r;
		if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode) || access(path, W_OK) != 0)
			return cfg_fail(c, c->tok, -ENOTDIR, "dump '%s': not a writable directory", path);
	}
	free(c->vm->dump_dest);
	c->vm->dump_dest = strdup(path);
	return c->vm->dump_dest ? 0 : cfg_fail(c, c->tok, -ENOMEM, "out of memory");
}

/* `safety none|warn|required`: for the vdevs that follow (core/vdev.c vdev_create). */
static int opt_safety(struct cfg *c)
{
	static const char *const modes[] = { "none", "warn", "required" };
	const char *a = arg(c, "safety");

	if (!a)
		return -EINVAL;
	for (int i = 0; i < 3; i++)
		if (strcmp(a, modes[i]) == 0) {
			c->vm->safety = i == 0 ? QVM_SAFETY_NONE : i == 1 ? QVM_SAFETY_WARN :
				QVM_SAFETY_REQUIRED;
			return 0;
		}
	return cfg_fail(c, c->tok, -EINVAL, "safety '%s': expected none, warn or required", a);
}

static int opt_reserve(struct cfg *c)
{
	c->reserve = true;
	return 0;
}

static int opt_pass(struct cfg *c)
{
	c->pass = true;
	return 0;
}

/*
 * The global options, by name. A table of our own rather than getopt(3) or
 * a config-file library: the vendor's language is one token stream from
 * files and the command line, with contexts (`cpu`, `vdev`) and options
 * whose arguments depend on what came before, which none of them parses.
 */
static const struct global_option {
	const char *name;
	int (*fn)(struct cfg *c);
	bool context;	/* opens a context (closes the open one) */
} globals[] = {
	{ "system", opt_system, false },
	{ "cpu", opt_cpu, true },
	{ "ram", opt_ram, false },
	{ "rom", opt_rom, false },
	{ "load", opt_load, false },
	{ "acpi", opt_typed_load, false },
	{ "data", opt_typed_load, false },
	{ "fdt", opt_typed_load, false },
	{ "initrd", opt_typed_load, false },
	{ "cmdline", opt_cmdline, false },
	{ "logger", opt_logger, false },
	{ "unsupported", opt_unsupported, false },
	{ "set", cfg_set, false },
	{ "dryrun", opt_dryrun, false },
	{ "vdev", opt_vdev, true },
	{ "pass", opt_pass, true },
	{ "reserve", opt_reserve, true },
	{ "safety", opt_safety, false },
	{ "dump", opt_dump, false },
};

/* ---- contexts ---- */

static int cpu_option(struct cfg *c, const char *name)
{
	struct qvm_cpu_cfg *cpu = c->cpu;
	const char *a = arg(c, name);
	long host_cpus = sysconf(_SC_NPROCESSORS_CONF);

	if (!a)
		return -EINVAL;
	if (strcmp(name, "runmask") == 0) {
		CPU_ZERO(&cpu->runmask);
		if (!*a)
			return cfg_fail(c, c->tok, -EINVAL, "runmask '': expected CPU numbers separated by commas");
		for (const char *p = a; *p;) {
			uint64_t n;
			const char *end;
			if (number_parse(p, QPNF_ALLOW_TRAILING, &n, &end) || (*end && *end != ','))
				return cfg_fail(c, c->tok, -EINVAL, "runmask '%s': expected CPU numbers "
						"separated by commas", a);
			if (n >= CPU_SETSIZE || (host_cpus > 0 && n >= (uint64_t)host_cpus))
				return cfg_fail(c, c->tok, -EINVAL, "runmask '%s': host CPU %llu does not exist "
						"(this host has %ld)", a, (unsigned long long)n, host_cpus);
			CPU_SET((int)n, &cpu->runmask);
			if (*end == ',' && end[1] == '\0')
				return cfg_fail(c, c->tok, -EINVAL, "runmask '%s': trailing comma", a);
			p = *end ? end + 1 : end;
		}
		cpu->has_runmask = true;
		return 0;
	}
	if (strcmp(name, "partition") == 0 || strcmp(name, "cluster") == 0) {
		vm_log(c->vm, QL_QVM_WARN, "%s:%u: cpu %s %s: %s: ignored", c->tok->file, c->tok->line,
				name, a, name[0] == 'p' ? "Linux has no adaptive partitions (a cgroup, "
				"e.g. a systemd slice, limits qvm as a whole)" : "clusters are the QNX "
				"startup's (give the CPUs with runmask)");
		return 0;
	}
	size_t n = strlen(a);
	if (n && a[n - 1] == 's' && strchr(a, ',')) {
		if (sched_sporadic_parse(a, &cpu->spor))
			return cfg_fail(c, c->tok, -EINVAL, "sched '%s': expected HIGH,LOW,MAX_REPL,PERIOD,"
					"BUDGET s (priorities 1-99 with LOW below HIGH, 1-1000 "
					"replenishments, 1024 <= BUDGET <= PERIOD ns)", a);
		cpu->sporadic = cpu->has_sched = true;
		cpu->policy = SCHED_RR;
		cpu->prio = cpu->spor.low;	/* where the fallback runs: see core/vcpu.c */
		return 0;
	}
	if (sched_parse(a, &cpu->policy, &cpu->prio))
		return cfg_fail(c, c->tok, -EINVAL, "sched '%s': expected PRIORITY[r|f|o] with a priority "
				"of 1 to 99, or HIGH,LOW,MAX_REPL,PERIOD,BUDGET s", a);
	cpu->has_sched = true;
	cpu->sporadic = false;
	return 0;
}

/* An option of the open vdev context; 1 if name is not one. */
static int vdev_option(struct cfg *c, const char *name)
{
	struct qvm_vdev *d = c->vdev;
	bool takes_arg;
	unsigned nargs;
	int idx = vdev_find_option(d, name, &takes_arg);

	if (idx >= 0) {
		const char *a = takes_arg ? arg(c, name) : NULL;
		if (takes_arg && !a)
			return -EINVAL;
		int r = vdev_control(d, VDEV_CTRL_FIRST_OPTIDX + (unsigned)idx, a);
		if (r)
			return cfg_fail(c, c->tok, -r, "vdev %s: option '%s%s%s' refused: %s", d->name,
					name, a ? " " : "", a ? a : "", strerror(r));
		return 0;
	}
	if (!vdev_is_common_option(name, &nargs))
		return 1;
	char *args[2] = { NULL, NULL };
	for (unsigned i = 0; i < nargs; i++)
		if (!(args[i] = (char *)arg(c, name)))
			return -EINVAL;
	return located(c, vdev_common_option(d, name, args, c->e));
}

int config_run(struct qvm_vm *vm, const struct qvm_tokens *t, struct qerr *e)
{
	struct cfg c = { .vm = vm, .t = t, .e = e };
	int r = 0;

	while (!r && c.pos < t->n) {
		c.tok = &t->v[c.pos++];
		vm->cur_tok = c.tok;
		const char *name = c.tok->text;

		if (c.vdev) {
			r = vdev_option(&c, name);
			if (r <= 0)
				continue;
			r = 0;
		}
		if ((c.reserve || c.pass) && (strcmp(name, "loc") == 0 || strcmp(name, "intr") == 0)) {
			r = cfg_context_option(&c, name);
			continue;
		}
		if (c.cpu && (strcmp(name, "runmask") == 0 || strcmp(name, "sched") == 0 ||
				strcmp(name, "partition") == 0 || strcmp(name, "cluster") == 0)) {
			r = cpu_option(&c, name);
			continue;
		}
		const struct global_option *g = NULL;
		for (size_t i = 0; i < sizeof(globals) / sizeof(globals[0]); i++)
			if (strcmp(globals[i].name, name) == 0)
				g = &globals[i];
		if (!g) {
			if (c.vdev)
				r = cfg_fail(&c, c.tok, -EINVAL, "unknown option '%s' (not an option of vdev %s "
						"nor a qvm option)", name, c.vdev->name);
			else
				r = cfg_fail(&c, c.tok, -EINVAL, "unknown option '%s'", name);
			break;
		}
		if (g->context && (r = close_context(&c)))
			break;
		vm->cur_tok = c.tok;	/* closing the context pointed it at the vdev's line */
		r = g->fn(&c);
		c.seen_option = true;
	}
	if (!r)
		r = close_context(&c);
	vm->cur_tok = NULL;
	return r;
}
