/*
 * vdev plumbing. A vdev-NAME.so registers its factory from a constructor
 * while qvm dlopen()s it; the factory list is process-wide because loaded
 * objects are. Instances belong to their VM.
 */
#include "vdev_impl.h"

#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <qvm/log.h>
#include <qvm/utils.h>

#include "number.h"

#ifndef QVM_VDEV_DIR
#define QVM_VDEV_DIR "/usr/local/lib/qvm"
#endif

struct factory_entry {
	char type[64];
	struct vdev_factory *f;
	unsigned abi;
	struct factory_entry *next;
};

/* Recursive: a constructor run inside dlopen() registers under the same lock. */
_Thread_local struct qvm_vdev *vdev_running;

static pthread_mutex_t reg_lock = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;
static struct factory_entry *factories;
static struct loading {
	bool active;
	struct vdev_factory *f;
	unsigned abi, count;
} loading;

void vdev_register_factory(struct vdev_factory *factory, unsigned abi)
{
	pthread_mutex_lock(&reg_lock);
	if (loading.active) {
		loading.f = factory;
		loading.abi = abi;
		loading.count++;
	} else if (factory && factory->name) {
		/* Linked into the executable: known by its own name. */
		struct factory_entry *fe = calloc(1, sizeof(*fe));
		if (fe) {
			snprintf(fe->type, sizeof(fe->type), "%s", factory->name);
			fe->f = factory;
			fe->abi = abi;
			fe->next = factories;
			factories = fe;
		}
	}
	pthread_mutex_unlock(&reg_lock);
}

const char *vdev_search_path(char *buf, size_t len)
{
	const char *env = getenv("QVM_VDEV_PATH");
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	char installed[PATH_MAX + 16], real[PATH_MAX];

	installed[0] = '\0';
	if (n <= 0)
		exe[0] = '\0';
	if (n > 0) {
		exe[n] = '\0';
		char *slash = strrchr(exe, '/');
		if (slash)
			*slash = '\0';
		/* an installed qvm: PREFIX/bin/qvm finds PREFIX/lib/qvm, wherever PREFIX is */
		snprintf(installed, sizeof(installed), "%s/../lib/qvm", exe);
		if (realpath(installed, real) && strcmp(real, QVM_VDEV_DIR) != 0)
			snprintf(installed, sizeof(installed), "%s:", real);
		else
			installed[0] = '\0';
	}
	snprintf(buf, len, "%s%s%s%s%s%s", env && *env ? env : "", env && *env ? ":" : "",
			exe, exe[0] ? ":" : "", installed, QVM_VDEV_DIR);
	return buf;
}

static bool valid_type(const char *t)
{
	if (!*t || strlen(t) >= 64)
		return false;
	for (; *t; t++)
		if (!((*t >= 'a' && *t <= 'z') || (*t >= 'A' && *t <= 'Z') ||
		      (*t >= '0' && *t <= '9') || *t == '-' || *t == '_' || *t == '.'))
			return false;
	return true;
}

/* An instance name: a type's characters, and ':' as the vendor allows (not for a PIC). */
static bool valid_name(const char *t)
{
	char plain[64];
	size_t n = strlen(t);

	if (n >= sizeof(plain))
		return false;
	for (size_t i = 0; i <= n; i++)
		plain[i] = t[i] == ':' ? '_' : t[i];
	return valid_type(plain);
}

/* One of the VM's interrupt controllers (the vendor's "PIC vdevs"). */
static bool is_pic(const struct qvm_vdev *d)
{
	unsigned n;
	const struct arch_pic *pics = arch_pics(&n);

	for (unsigned i = 0; i < n; i++)
		if (d->type && strcmp(d->type, pics[i].name) == 0)
			return true;
	return false;
}

/*
 * Loading a vdev runs its code inside qvm: refuse one that someone other
 * than its owner (root or us) could have replaced. NULL if path (a
 * directory when dir) may be trusted, else why not.
 */
static const char *untrusted(const char *path, bool dir)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return strerror(errno);
	if (dir ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode))
		return dir ? "not a directory" : "not a regular file";
	if (st.st_uid != 0 && st.st_uid != geteuid())
		return "owned by another user";
	if ((st.st_mode & S_IWOTH) || ((st.st_mode & S_IWGRP) && st.st_gid != 0))
		return "writable by others than its owner and root";
	return NULL;
}

/* dlopen vdev-TYPE.so from the search path; registry lock held. */
static int load_factory(const char *type, struct factory_entry **out, struct qerr *e)
{
	char path[PATH_MAX * 2 + 64], file[PATH_MAX + 80];
	const char *insecure = getenv("QVM_VDEV_INSECURE"), *why;
	bool check = !(insecure && strcmp(insecure, "1") == 0);
	void *h = NULL;

	vdev_search_path(path, sizeof(path));
	for (char *dir = path, *next; dir; dir = next) {
		next = strchr(dir, ':');
		if (next)
			*next++ = '\0';
		if (!*dir)
			continue;
		snprintf(file, sizeof(file), "%s/vdev-%s.so", dir, type);
		if (access(file, F_OK) != 0)
			continue;
		if (check && dir[0] != '/')
			return qerr_set(e, -EPERM, "vdev %s: not loading %s: the search path entry '%s' "
					"is relative (QVM_VDEV_INSECURE=1 allows it)", type, file, dir);
		const char *what = "its directory";
		why = check ? untrusted(dir, true) : NULL;
		if (check && !why) {
			what = "the file";
			why = untrusted(file, false);
		}
		if (why)
			return qerr_set(e, -EPERM, "vdev %s: not loading %s: %s is %s "
					"(QVM_VDEV_INSECURE=1 allows it)", type, file, what, why);
		loading = (struct loading){ .active = true };
		h = dlopen(file, RTLD_NOW | RTLD_LOCAL);
		loading.active = false;
		if (!h)
			return qerr_set(e, -ENOEXEC, "vdev %s: cannot load %s: %s", type, file, dlerror());
		break;
	}
	if (!h)
		return qerr_set(e, -ENOENT, "unknown vdev '%s': no vdev-%s.so in %s", type, type,
				vdev_search_path(path, sizeof(path)));
	if (loading.count != 1 || !loading.f) {
		dlclose(h);
		return qerr_set(e, -EINVAL, "%s registered %u factories (a vdev registers exactly one "
				"with vdev_register_factory)", file, loading.count);
	}
	if (loading.abi != QVM_VDEV_ABI) {
		dlclose(h);
		return qerr_set(e, -EPROTO, "%s was built for vdev ABI %u, this qvm has ABI %u: "
				"rebuild it against this qvm's headers", file, loading.abi, QVM_VDEV_ABI);
	}
	struct factory_entry *fe = calloc(1, sizeof(*fe));
	if (!fe) {
		dlclose(h);
		return qerr_set(e, -ENOMEM, "out of memory");
	}
	snprintf(fe->type, sizeof(fe->type), "%s", type);
	fe->f = loading.f;
	fe->abi = loading.abi;
	if (!fe->f->name)
		fe->f->name = fe->type;	/* patched, as the vendor does */
	fe->next = factories;
	fe->f->next = factories ? factories->f : NULL;
	factories = fe;
	*out = fe;
	return 0;
}

static int find_factory(const char *type, struct vdev_factory **out, struct qerr *e)
{
	struct factory_entry *fe;
	int r = 0;

	if (!valid_type(type))
		return qerr_set(e, -EINVAL, "invalid vdev name '%s'", type);
	pthread_mutex_lock(&reg_lock);
	for (fe = factories; fe; fe = fe->next)
		if (strcmp(fe->type, type) == 0)
			break;
	if (!fe)
		r = load_factory(type, &fe, e);
	else if (fe->abi != QVM_VDEV_ABI)
		r = qerr_set(e, -EPROTO, "vdev %s was built for vdev ABI %u, this qvm has ABI %u",
				type, fe->abi, QVM_VDEV_ABI);
	if (!r)
		*out = fe->f;
	pthread_mutex_unlock(&reg_lock);
	return r;
}

static const char *ctrl_name(unsigned ctrl)
{
	static const char *const names[] = {
		"OPTIONS_START", "OPTIONS_END", "GUEST_CONFIGURED", "TERMINATE", "STATUS",
		"GEN_ACPI", "GEN_FDT", "BUTTON", "ASSIGN", "GUEST_STARTING", "PCI_BARS",
	};
	return ctrl < sizeof(names) / sizeof(names[0]) ? names[ctrl] : "an option";
}

void vdev_mutex_init(pthread_mutex_t *m, unsigned factory_flags)
{
	pthread_mutexattr_t a;

	pthread_mutexattr_init(&a);
	/*
	 * Error-checking, not the default: a vdev reaching its own registers
	 * through guest_cpu_read (core/peer.c) gets EDEADLK instead of hanging.
	 */
	pthread_mutexattr_settype(&a, factory_flags & VFF_MUTEX_RECURSIVE ?
			PTHREAD_MUTEX_RECURSIVE : PTHREAD_MUTEX_ERRORCHECK);
	pthread_mutex_init(m, &a);
	pthread_mutexattr_destroy(&a);
}

int vdev_control(struct qvm_vdev *d, unsigned ctrl, const char *arg)
{
	struct qvm_vdev *prev = vdev_running;
	int r;

	if (!d->factory->control)
		return 0;
	vdev_running = d;
	r = d->factory->control(&d->pub, ctrl, arg);
	vdev_running = prev;
	return r;
}

int vm_vdevs_control(struct qvm_vm *vm, unsigned ctrl, struct qerr *e)
{
	for (struct qvm_vdev *d = vm->vdevs; d; d = d->next) {
		int r = vdev_control(d, ctrl, NULL);
		if (r)
			return qerr_set(e, -r, "vdev %s: VDEV_CTRL_%s failed: %s", d->name,
					ctrl_name(ctrl), strerror(r));
	}
	return 0;
}

/* This factory's naming hint, made on first use; NULL on ENOMEM. */
static struct auto_name *auto_name_of(struct qvm_vm *vm, const struct vdev_factory *f)
{
	for (unsigned i = 0; i < vm->nauto_names; i++)
		if (vm->auto_names[i].factory == f)
			return &vm->auto_names[i];
	struct auto_name *a = realloc(vm->auto_names, (vm->nauto_names + 1) * sizeof(*a));
	if (!a)
		return NULL;
	vm->auto_names = a;
	a[vm->nauto_names] = (struct auto_name){ f, 1 };
	return &a[vm->nauto_names++];
}

/* "TYPE" for n == 1, else "TYPE-N" (room for the suffix kept). */
static void auto_name(char *out, size_t len, const char *type, unsigned n)
{
	if (n == 1)
		snprintf(out, len, "%s", type);
	else
		snprintf(out, len, "%.52s-%u", type, n);
}

/*
 * The first free TYPE, TYPE-2, TYPE-3... Each type's hint is the lowest N
 * that may be free, so naming the k-th vdev does not retry the k-1 names
 * before it: a configuration's vdevs are named in linear time.
 */
static int pick_name(struct qvm_vdev *d)
{
	struct auto_name *a = auto_name_of(d->vm, d->factory);
	unsigned n;

	if (!a)
		return -ENOMEM;
	for (n = a->next;; n++) {
		auto_name(d->name, sizeof(d->name), d->type, n);
		if (!name_set_has(&d->vm->vdev_names, d->name))
			break;
	}
	a->next = n + 1;
	return name_set_add(&d->vm->vdev_names, d->name);
}

/* name is no longer held: hints that could have produced it go back to it. */
static void name_released(struct qvm_vm *vm, const char *name)
{
	char buf[sizeof(((struct qvm_vdev *)0)->name)];

	name_set_remove(&vm->vdev_names, name);
	for (unsigned i = 0; i < vm->nauto_names; i++) {
		struct auto_name *a = &vm->auto_names[i];
		const char *type = a->factory->name;
		size_t plen = strnlen(type, 52);
		unsigned long n = 1;
		if (strcmp(name, type) != 0) {
			char *end;
			if (strncmp(name, type, plen) != 0 || name[plen] != '-' ||
					name[plen + 1] < '1' || name[plen + 1] > '9')
				continue;
			n = strtoul(name + plen + 1, &end, 10);
			if (*end || n > UINT_MAX)
				continue;
			auto_name(buf, sizeof(buf), type, (unsigned)n);
			if (strcmp(buf, name) != 0)
				continue;
		}
		if (n < a->next)
			a->next = (unsigned)n;
	}
}

int vdev_create(struct qvm_vm *vm, const char *type, const struct qvm_token *where,
		struct qvm_vdev **out, struct qerr *e)
{
	struct vdev_factory *f = NULL;
	struct qvm_vdev *d;
	int r = -ENOENT;

	/*
	 * The vendor's `safety`: look for the safety-certified build first
	 * (vdev-TYPE-safety.so), then the plain one; one not built with
	 * VDEV_SAFETY_YES is a warning (warn) or a configuration error
	 * (required, where the vendor's qvm goes to its design safe state).
	 */
	if (vm->safety != QVM_SAFETY_NONE && strlen(type) < 50) {
		char sty[64];
		snprintf(sty, sizeof(sty), "%s-safety", type);
		r = find_factory(sty, &f, e);
		if (r && r != -ENOENT)
			return r;
	}
	if (r)
		r = find_factory(type, &f, e);
	if (r)
		return r;
	if (vm->safety != QVM_SAFETY_NONE && f->safety != (unsigned)VDEV_SAFETY_YES) {
		if (vm->safety == QVM_SAFETY_REQUIRED)
			return qerr_set(e, -EPERM, "vdev %s is not safety-certified (built without "
					"VDEV_SAFETY_YES) and `safety required` is in force", type);
		vm_log(vm, QL_QVM_WARN, "vdev %s is not safety-certified (built without "
				"VDEV_SAFETY_YES)", type);
	}
	if (ARCH_IO_QST == QST_NO_TYPE && (f->factory_flags & VFF_VDEV_X86_IO) &&
			!(f->factory_flags & (VFF_VDEV_MEM | VFF_VDEV_PCI)))
		return qerr_set(e, -EINVAL, "vdev %s works only in x86 I/O port space, which %s "
				"does not have", type, ARCH_NAME);
	if (vm->nvdevs >= QVM_MAX_VDEVS)
		return qerr_set(e, -E2BIG, "too many vdevs (at most %u)", QVM_MAX_VDEVS);
	d = calloc(1, sizeof(*d));
	if (!d)
		return qerr_set(e, -ENOMEM, "out of memory");
	if (f->extra_space) {
		d->pub.v_device = calloc(1, f->extra_space);
		if (!d->pub.v_device) {
			free(d);
			return qerr_set(e, -ENOMEM, "out of memory");
		}
	}
	d->vm = vm;
	d->factory = f;
	d->type = f->name;
	d->where = where;
	d->pub.v_factory = f;
	d->pub.v_block.location = QSL_NO_LOCATION;
	/* A vdev that can only live in I/O space defaults there. */
	bool io_only = (f->factory_flags & VFF_VDEV_X86_IO) && !(f->factory_flags & VFF_VDEV_MEM);
	d->pub.v_block.qst_type = io_only ? QST_X86_IO : QST_MEMORY;
	if (f->factory_flags & (VFF_MUTEX | VFF_MUTEX_RECURSIVE))
		vdev_mutex_init(&d->pub.v_mtx, f->factory_flags);
	*vm->vdev_tail = d;
	vm->vdev_tail = &d->next;
	vm->nvdevs++;
	*out = d;
	if (pick_name(d))
		return qerr_set(e, -ENOMEM, "out of memory");

	r = vdev_control(d, VDEV_CTRL_OPTIONS_START, NULL);
	if (r)
		return qerr_set(e, -r, "vdev %s: OPTIONS_START failed: %s", d->name, strerror(r));
	return 0;
}

int vdev_find_option(const struct qvm_vdev *d, const char *opt, bool *takes_arg)
{
	const char *const *list = d->factory->option_list;
	size_t pre = strlen(QVM_OPTION_NO_ARG_PREFIX);

	for (int i = 0; list && list[i]; i++) {
		const char *name = list[i];
		bool arg = true;
		if (strncmp(name, QVM_OPTION_NO_ARG_PREFIX, pre) == 0) {
			name += pre;
			arg = false;
		}
		if (strcmp(name, opt) == 0) {
			*takes_arg = arg;
			return i;
		}
	}
	return -1;
}

bool vdev_is_common_option(const char *opt, unsigned *nargs)
{
	static const struct { const char *name; unsigned nargs; } common[] = {
		{ "loc", 1 }, { "intr", 1 }, { "name", 1 }, { "log", 2 }, { "sched", 1 },
		{ "hostvector", 1 },
	};
	for (size_t i = 0; i < sizeof(common) / sizeof(common[0]); i++)
		if (strcmp(opt, common[i].name) == 0) {
			*nargs = common[i].nargs;
			return true;
		}
	return false;
}

static int set_loc(struct qvm_vdev *d, const char *spec, struct qerr *e)
{
	unsigned flags = d->factory->factory_flags;
	/* A bare number stays in the space the vdev chose at OPTIONS_START. */
	qvm_state_types_t type = d->pub.v_block.qst_type == QST_X86_IO ? QST_X86_IO : QST_MEMORY;
	unsigned space_flag = type == QST_X86_IO ? VFF_VDEV_X86_IO : VFF_VDEV_MEM;
	const char *num = spec;
	uint64_t v;
	int r;

	if (flags & VFF_LOC_NO)
		return qerr_set(e, -EINVAL, "vdev %s: option 'loc' is not allowed for this vdev "
				"(VFF_LOC_NO)", d->name);
	if (strncmp(spec, "mem:", 4) == 0) {
		num = spec + 4;
		type = QST_MEMORY;
		space_flag = VFF_VDEV_MEM;
	} else if (strncmp(spec, "io:", 3) == 0) {
		if (ARCH_IO_QST == QST_NO_TYPE)
			return qerr_set(e, -EINVAL, "vdev %s: loc '%s': %s has no I/O port space "
					"(give a memory address, mem:ADDR)", d->name, spec, ARCH_NAME);
		num = spec + 3;
		type = QST_X86_IO;
		space_flag = VFF_VDEV_X86_IO;
	} else if (strncmp(spec, "pci:", 4) == 0) {
		int r = pci_loc_parse(spec + 4);
		if (r)
			return qerr_set(e, -EINVAL, "vdev %s: loc '%s': expected pci:VENDOR/DEVICE "
					"(16-bit IDs) or pci:BUS:DEVICE[.FUNCTION] (bus 0-255, device 0-31, "
					"function 0-7)", d->name, spec);
		return qerr_set(e, -ENOTSUP, "vdev %s: loc '%s': this qvm has no PCI bus yet "
				"(give a mem: or io: location)", d->name, spec);
	}
	if ((flags & (VFF_VDEV_MEM | VFF_VDEV_X86_IO | VFF_VDEV_PCI)) && !(flags & space_flag))
		return qerr_set(e, -EINVAL, "vdev %s: loc '%s': this vdev cannot be in %s space "
				"(no %s)", d->name, spec, type == QST_X86_IO ? "I/O" : "memory",
				type == QST_X86_IO ? "VFF_VDEV_X86_IO" : "VFF_VDEV_MEM");
	r = number_parse(num, QPNF_ALLOW_SUFFIXES, &v, NULL);
	if (r)
		return qerr_set(e, r, "vdev %s: loc '%s': %s", d->name, spec,
				r == -ERANGE ? "number out of range" : "malformed location");
	if (type == QST_X86_IO && v > 0xffff)
		return qerr_set(e, -ERANGE, "vdev %s: loc '%s': I/O ports go up to 0xffff", d->name, spec);
	d->pub.v_block.location = v;
	d->pub.v_block.qst_type = type;
	d->loc_given = true;
	return 0;
}

int vdev_common_option(struct qvm_vdev *d, const char *opt, char *const *args, struct qerr *e)
{
	unsigned flags = d->factory->factory_flags;
	int r;

	if (strcmp(opt, "loc") == 0)
		return set_loc(d, args[0], e);
	if (strcmp(opt, "intr") == 0) {
		const char *end;
		if (flags & VFF_INTR_NO)
			return qerr_set(e, -EINVAL, "vdev %s: option 'intr' is not allowed for this vdev "
					"(VFF_INTR_NO)", d->name);
		r = intr_parse(d->vm, args[0], &d->pub.v_intr, &end, e);
		if (!r && *end)
			r = qerr_set(e, -EINVAL, "trailing characters '%s'", end);
		if (r)
			qerr_prefix(e, "vdev %s: intr '%s': ", d->name, args[0]);
		return r;
	}
	if (strcmp(opt, "hostvector") == 0) {
		uint64_t v;
		if (!is_pic(d))
			return qerr_set(e, -EINVAL, "vdev %s: hostvector applies only to interrupt "
					"controllers (PIC vdevs)", d->name);
		if (number_parse(args[0], 0, &v, NULL) || v > UINT32_MAX)
			return qerr_set(e, -EINVAL, "vdev %s: hostvector '%s': expected a number",
					d->name, args[0]);
		vdev_logf(QL_QVM_WARN, &d->pub, "hostvector %s: no host interrupt is passed through "
				"to a guest here: ignored", args[0]);
		return 0;
	}
	if (strcmp(opt, "name") == 0) {
		if (is_pic(d) && strchr(args[0], ':'))
			return qerr_set(e, -EINVAL, "vdev %s: name '%s': an interrupt controller's "
					"name cannot have a ':' (`intr NAME:N` would not reach it)", d->name,
					args[0]);
		if (!valid_name(args[0]))
			return qerr_set(e, -EINVAL, "vdev %s: invalid name '%s' (letters, digits, "
					"'-', '_', '.', ':'; at most 63)", d->name, args[0]);
		if (strcmp(args[0], ".") == 0 || strcmp(args[0], "..") == 0)
			return qerr_set(e, -EINVAL, "vdev %s: invalid name '%s' (it names a directory "
					"in vdev_path())", d->name, args[0]);
		if (strcmp(args[0], d->name) == 0)
			return 0;
		if (name_set_has(&d->vm->vdev_names, args[0]))
			return qerr_set(e, -EEXIST, "vdev %s: name '%s' is already used by another vdev",
					d->name, args[0]);
		name_released(d->vm, d->name);
		snprintf(d->name, sizeof(d->name), "%s", args[0]);
		return name_set_add(&d->vm->vdev_names, d->name) ?
			qerr_set(e, -ENOMEM, "out of memory") : 0;
	}
	if (strcmp(opt, "log") == 0) {
		if (!d->has_log)
			memset(d->log.dest, LOG_INHERIT, sizeof(d->log.dest));
		d->has_log = true;
		r = logger_parse(&d->log, args[0], args[1], e);
		if (r)
			qerr_prefix(e, "vdev %s: ", d->name);
		return r;
	}
	if (strcmp(opt, "sched") == 0) {
		int policy, prio;
		if (sched_parse(args[0], &policy, &prio))
			return qerr_set(e, -EINVAL, "vdev %s: sched '%s': expected PRIORITY[r|f|o] "
					"with a priority of 1 to 99", d->name, args[0]);
		d->pub.v_sched = (struct qvm_sched_info){ .priority = prio, .policy = policy };
		return 0;
	}
	return qerr_set(e, -EINVAL, "vdev %s: unknown option '%s'", d->name, opt);
}

static int map_loc(struct qvm_vdev *d, struct qerr *e)
{
	const vdev_t *v = &d->pub;
	unsigned space = v->v_block.qst_type == QST_X86_IO ? REGION_IO : REGION_MEM;
	uint64_t len = v->v_block.length ? v->v_block.length : space == REGION_IO ? 1 : 0x1000;
	const char *owner;

	if ((d->factory->factory_flags & VFF_MANUAL_REGION) || v->v_block.location == QSL_NO_LOCATION)
		return 0;
	if (space == REGION_IO && ARCH_IO_QST == QST_NO_TYPE)	/* a vdev's default, e.g. io:0x3f8 */
		return qerr_set(e, -EINVAL, "vdev %s: io:0x%llx: %s has no I/O port space "
				"(give `loc mem:ADDR`)", d->name, (unsigned long long)v->v_block.location,
				ARCH_NAME);
	/* QSL_NO_LOCATION is all ones, so a region ending at the very top is refused too */
	if (v->v_block.location + len < v->v_block.location ||
			v->v_block.location + len == QSL_NO_LOCATION)
		return qerr_set(e, -ERANGE, "vdev %s: %s:0x%llx (0x%llx bytes) runs past the end "
				"of the address space", d->name, space == REGION_IO ? "io" : "mem",
				(unsigned long long)v->v_block.location, (unsigned long long)len);
	const struct qvm_resv *rv = d->loc_given ? NULL :
		reserve_overlap(d->vm, space, v->v_block.location, len);
	if (rv)
		return qerr_set(e, -EEXIST, "vdev %s: its default location %s:0x%llx is in what line %u "
				"reserves: give it a `loc`", d->name, space == REGION_IO ? "io" : "mem",
				(unsigned long long)v->v_block.location, rv->line);
	owner = vm_range_owner(d->vm, space, v->v_block.location, len);
	if (owner)
		return qerr_set(e, -EEXIST, "vdev %s: %s:0x%llx (0x%llx bytes) overlaps %s", d->name,
				space == REGION_IO ? "io" : "mem",
				(unsigned long long)v->v_block.location, (unsigned long long)len, owner);
	int r = region_add(&d->vm->regions, space, v->v_block.location, len, d, 0, REGION_RW, NULL);
	if (r)
		return qerr_set(e, r, "vdev %s: cannot map its location: %s", d->name, strerror(-r));
	return 0;
}

int vdevs_assign(struct qvm_vm *vm, struct qerr *e)
{
	char where[300];
	int r = 0;

	for (struct qvm_vdev *d = vm->vdevs; d && !r; d = d->next) {
		vm->cur_tok = d->where;
		r = vdev_control(d, VDEV_CTRL_ASSIGN, NULL);
		if (r)
			r = qerr_set(e, -r, "vdev %s: ASSIGN failed: %s", d->name, strerror(r));
		else if ((d->factory->factory_flags & VFF_INTR_REQ) && !d->pub.v_intr.pic)
			r = qerr_set(e, -EINVAL, "vdev %s: needs an interrupt: give it an `intr` option",
					d->name);
		else
			r = map_loc(d, e);
		if (r)
			qerr_prefix(e, "%s", vm_where(vm, where, sizeof(where)));
	}
	/*
	 * Then PCI_BARS, to every vdev: BARs get their addresses once every
	 * vdev has its place, before the tables describe them. qvm has no PCI
	 * bus yet, so no vdev has BARs; the vendor's vio_ctrl_pci_bars()
	 * answers 0 for MMIO vdevs, and a vdev may answer an error here.
	 */
	for (struct qvm_vdev *d = vm->vdevs; d && !r; d = d->next) {
		vm->cur_tok = d->where;
		r = vdev_control(d, VDEV_CTRL_PCI_BARS, NULL);
		if (r)
			r = qerr_set(e, -r, "%svdev %s: PCI_BARS failed: %s",
					vm_where(vm, where, sizeof(where)), d->name, strerror(r));
	}
	vm->cur_tok = NULL;
	return r;
}

void vdevs_destroy(struct qvm_vm *vm)
{
	struct qvm_vdev *d = vm->vdevs, *next;

	for (; d; d = next) {
		next = d->next;
		if (d->factory->factory_flags & (VFF_MUTEX | VFF_MUTEX_RECURSIVE))
			pthread_mutex_destroy(&d->pub.v_mtx);
		vdev_pulses_free(d);
		cdevs_destroy(d);
		free(d->pub.v_device);
		free(d->path);
		free(d);
	}
	vm->vdevs = NULL;
	vm->vdev_tail = &vm->vdevs;
	vm->nvdevs = 0;
	name_set_free(&vm->vdev_names);
	free(vm->auto_names);
	vm->auto_names = NULL;
	vm->nauto_names = 0;
}
