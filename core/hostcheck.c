/* qvm --check-host (see hostcheck.h): the checks every architecture shares. */
#include "hostcheck.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/kvm.h>
#include <stdarg.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "arch.h"
#include "term.h"

void host_line(struct host_report *r, enum host_verdict v, const char *fmt, ...)
{
	static const char *const tag[] = { "PASS", "INFO", "WARN", "FAIL" };
	va_list ap;

	fprintf(r->f, "%s  ", tag[v]);
	va_start(ap, fmt);
	vfprintf(r->f, fmt, ap);
	va_end(ap);
	fputc('\n', r->f);
	r->fails += v == HOST_FAIL;
	r->warns += v == HOST_WARN;
}

int host_cap(struct host_report *r, int kvm_fd, long cap, const char *name, int required,
		const char *without, int show_value)
{
	int v = ioctl(kvm_fd, KVM_CHECK_EXTENSION, cap);

	if (v > 0 && show_value)
		host_line(r, HOST_PASS, "%s: %d", name, v);
	else if (v > 0)
		host_line(r, HOST_PASS, "%s", name);
	else
		host_line(r, required ? HOST_FAIL : HOST_WARN, "%s missing: %s", name, without);
	return v;
}

int host_file_has_word(const char *path, const char *word)
{
	FILE *f = fopen(path, "r");
	char line[4096];
	size_t wl = strlen(word);
	int found = 0;

	if (!f)
		return -1;
	while (!found && fgets(line, sizeof(line), f))
		for (char *p = strstr(line, word); p && !found; p = strstr(p + 1, word))
			found = (p == line || p[-1] == ' ' || p[-1] == '\t' || p[-1] == ':') &&
				(p[wl] == ' ' || p[wl] == '\n' || p[wl] == '\0');
	fclose(f);
	return found;
}

/* Why this user cannot open /dev/kvm, as a hint. */
static void kvm_access_hint(struct host_report *r, int err)
{
	struct group *g = getgrnam("kvm");

	if (err == ENOENT)
		host_line(r, HOST_FAIL, "/dev/kvm does not exist: KVM is not loaded (modprobe "
				"kvm_intel, kvm_amd, or kvm on arm64), or the CPU's virtualization is "
				"off in the firmware, or this is a container without the device");
	else if (err == EACCES || err == EPERM)
		host_line(r, HOST_FAIL, "/dev/kvm: %s: run qvm as a user in group %s", strerror(err),
				g ? g->gr_name : "kvm (which this host does not have: check the device's "
				"owner)");
	else
		host_line(r, HOST_FAIL, "/dev/kvm: %s", strerror(err));
}

static void limits(struct host_report *r)
{
	struct rlimit l;

	if (getrlimit(RLIMIT_NOFILE, &l) == 0) {
		if (l.rlim_cur < 256)
			host_line(r, HOST_WARN, "open files limited to %llu: each vCPU, memory "
					"range and vdev may need some (ulimit -n)",
					(unsigned long long)l.rlim_cur);
		else
			host_line(r, HOST_PASS, "open files: up to %llu", (unsigned long long)l.rlim_cur);
	}
	if (getrlimit(RLIMIT_AS, &l) == 0) {
		if (l.rlim_cur != RLIM_INFINITY)
			host_line(r, HOST_WARN, "address space limited to %llu MiB: guest RAM is "
					"mapped into qvm, so no guest can have more (ulimit -v)",
					(unsigned long long)(l.rlim_cur >> 20));
		else
			host_line(r, HOST_PASS, "address space: unlimited");
	}
	if (getrlimit(RLIMIT_MEMLOCK, &l) == 0)
		host_line(r, HOST_INFO, "locked memory: %s%llu KiB (qvm locks none itself)",
				l.rlim_cur == RLIM_INFINITY ? "unlimited, " : "",
				l.rlim_cur == RLIM_INFINITY ? 0ull : (unsigned long long)(l.rlim_cur >> 10));
}

int host_check(FILE *f)
{
	struct host_report r = { .f = f };
	struct utsname u;

	if (uname(&u) == 0)
		host_line(&r, HOST_INFO, "host: %s %s on %s", u.sysname, u.release, u.machine);
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		kvm_access_hint(&r, errno);
	} else {
		host_line(&r, HOST_PASS, "/dev/kvm: opened for reading and writing");
		int api = ioctl(fd, KVM_GET_API_VERSION, 0);
		if (api == KVM_API_VERSION)
			host_line(&r, HOST_PASS, "KVM API version %d", api);
		else
			host_line(&r, HOST_FAIL, "KVM API version %d: qvm needs %d", api, KVM_API_VERSION);
		host_cap(&r, fd, KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY", 1,
				"guest RAM cannot be given to KVM", 0);
		host_cap(&r, fd, KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT", 1,
				"vCPUs cannot be stopped reliably, nor vdev register writes applied", 0);
		host_cap(&r, fd, KVM_CAP_IRQCHIP, "KVM_CAP_IRQCHIP", 1,
				"no in-kernel interrupt controller", 0);
		host_cap(&r, fd, KVM_CAP_READONLY_MEM, "KVM_CAP_READONLY_MEM", 0,
				"`rom` and read-only guest RAM (gasp_region_set_soft) fail", 0);
		host_cap(&r, fd, KVM_CAP_MP_STATE, "KVM_CAP_MP_STATE", 0,
				"`quit-on-halt` and the guest power state cannot tell halted vCPUs", 0);
		host_cap(&r, fd, KVM_CAP_NR_MEMSLOTS, "memory slots", 0,
				"qvm assumes 32", 1);
		host_cap(&r, fd, KVM_CAP_MAX_VCPUS, "vCPUs per VM at most", 0,
				"qvm assumes KVM's recommended number", 1);
		arch_host_check(&r, fd);
		close(fd);
	}
	limits(&r);
	if (r.fails)
		fprintf(f, "qvm cannot run guests here: %u check%s failed (FAIL above)\n", r.fails,
				r.fails == 1 ? "" : "s");
	else
		fprintf(f, "qvm can run guests here%s\n",
				r.warns ? " (WARN above: some features are not available)" : "");
	return r.fails ? QVM_EXIT_FATAL : 0;
}
