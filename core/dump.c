/*
 * Guest core dumps: an ELF core file a debugger opens (`gdb -c FILE`),
 * with one NT_PRSTATUS note per vCPU (gdb shows them as threads, the boot
 * vCPU first) and one PT_LOAD per ram/rom range at its guest-physical
 * address (the guest sees that address too while identity-mapped).
 */
#include "dump.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <spawn.h>
#include <sys/procfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <qvm/log.h>

#include "vcpu.h"
#include "vdev_impl.h"
#include "vm.h"

#define NOTE_NAME	"CORE"
#define PAGE		4096u

struct out {
	FILE *f;
	uint64_t pos;
	int err;
};

static void put(struct out *o, const void *p, size_t n)
{
	if (o->err || n == 0)
		return;
	if (fwrite(p, 1, n, o->f) != n)
		o->err = errno ? errno : EIO;
	o->pos += n;
}

static void pad_to(struct out *o, uint64_t pos)
{
	static const uint8_t zeros[PAGE];
	while (o->pos < pos)
		put(o, zeros, (size_t)(pos - o->pos < PAGE ? pos - o->pos : PAGE));
}

/* A note of owner (its name and NUL padded to 4 bytes) and desc bytes. */
static size_t named_note_size(const char *owner, size_t desc)
{
	return sizeof(Elf64_Nhdr) + ((strlen(owner) + 1 + 3) & ~(size_t)3) + ((desc + 3) & ~(size_t)3);
}

static size_t note_size(size_t desc)
{
	return named_note_size(NOTE_NAME, desc);
}

/* A note of owner ("CORE", "QVM": at most 7 characters). */
static void put_named_note(struct out *o, const char *owner, uint32_t type, const void *desc,
		size_t len)
{
	char name[8] = { 0 };
	size_t n = strlen(owner) + 1;
	Elf64_Nhdr h = { .n_namesz = (uint32_t)n, .n_descsz = (uint32_t)len, .n_type = type };
	static const uint8_t zeros[4];

	memcpy(name, owner, n - 1);
	put(o, &h, sizeof(h));
	put(o, name, (n + 3) & ~(size_t)3);
	put(o, desc, len);
	put(o, zeros, ((len + 3) & ~(size_t)3) - len);
}

static void put_note(struct out *o, uint32_t type, const void *desc, size_t len)
{
	put_named_note(o, NOTE_NAME, type, desc, len);
}

/*
 * "|CMD": run CMD under /bin/sh with the core on its standard input. Not
 * popen(): the child must not inherit qvm's blocked signals and ignored
 * SIGPIPE, or it could not be stopped or see its reader go away.
 */
static FILE *spawn_pipe(const char *cmd, pid_t *pid)
{
	int fds[2];
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, dflt;
	char *argv[] = { "sh", "-c", (char *)(uintptr_t)cmd, NULL };
	extern char **environ;
	int r;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return NULL;
	sigemptyset(&none);
	sigfillset(&dflt);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[0], 0);
	posix_spawnattr_init(&at);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &dflt);
	r = posix_spawn(pid, "/bin/sh", &fa, &at, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	close(fds[0]);
	if (r) {
		close(fds[1]);
		errno = r;
		return NULL;
	}
	return fdopen(fds[1], "w");
}

/* Where the core goes: a new file in the `dump` directory, or a command's stdin. */
static FILE *open_dest(struct qvm_vm *vm, char *name, size_t len, bool *is_pipe, pid_t *pid)
{
	const char *dest = vm->dump_dest;
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;

	*is_pipe = dest[0] == '|';
	if (*is_pipe) {
		snprintf(name, len, "%s", dest);
		return spawn_pipe(dest + 1, pid);
	}
	localtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
	for (int i = 0; i < 100; i++) {
		/* Two dumps in one second get -1, -2, ... rather than overwrite. */
		if (i)
			snprintf(name, len, "%s/%s-%s-%d.gcore", dest,
					vm->system[0] ? vm->system : "qvm", stamp, i);
		else
			snprintf(name, len, "%s/%s-%s.gcore", dest, vm->system[0] ? vm->system : "qvm",
					stamp);
		int fd = open(name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd >= 0)
			return fdopen(fd, "w");
		if (errno != EEXIST)
			return NULL;
	}
	errno = EEXIST;
	return NULL;
}

static void write_core(struct qvm_vm *vm, struct out *o, const char *status, size_t status_len)
{
	unsigned nph = 1 + vm->nmem;
	uint8_t desc[1024];
	size_t notes = 0, prlen = arch_core_prstatus(&vm->cpus[0], desc, sizeof(desc));
	struct elf_prpsinfo ps;

	memset(&ps, 0, sizeof(ps));
	ps.pr_state = 'R';
	snprintf(ps.pr_fname, sizeof(ps.pr_fname), "%s", vm->system[0] ? vm->system : "guest");
	snprintf(ps.pr_psargs, sizeof(ps.pr_psargs), "qvm guest %s", vm->system);
	notes = note_size(sizeof(ps)) + vm->ncpus * note_size(prlen) +
		(status_len ? named_note_size("QVM", status_len) : 0);

	uint64_t off = sizeof(Elf64_Ehdr) + nph * sizeof(Elf64_Phdr);
	uint64_t data = (off + notes + PAGE - 1) / PAGE * PAGE;
	Elf64_Ehdr eh = {
		.e_ident = { ELFMAG0, ELFMAG1, ELFMAG2, ELFMAG3, ELFCLASS64, ELFDATA2LSB, EV_CURRENT },
		.e_type = ET_CORE, .e_machine = ARCH_ELF_MACHINE, .e_version = EV_CURRENT,
		.e_phoff = sizeof(Elf64_Ehdr), .e_ehsize = sizeof(Elf64_Ehdr),
		.e_phentsize = sizeof(Elf64_Phdr), .e_phnum = (uint16_t)nph,
	};
	put(o, &eh, sizeof(eh));
	Elf64_Phdr note = { .p_type = PT_NOTE, .p_offset = off, .p_filesz = notes };
	put(o, &note, sizeof(note));
	for (unsigned i = 0; i < vm->nmem; i++) {
		Elf64_Phdr ph = {
			.p_type = PT_LOAD, .p_offset = data, .p_vaddr = vm->mem[i].gpa,
			.p_paddr = vm->mem[i].gpa, .p_filesz = vm->mem[i].len, .p_memsz = vm->mem[i].len,
			.p_flags = PF_R | PF_X | (vm->mem[i].rom ? 0 : PF_W), .p_align = PAGE,
		};
		put(o, &ph, sizeof(ph));
		data += vm->mem[i].len;
	}
	put_note(o, NT_PRPSINFO, &ps, sizeof(ps));
	for (unsigned i = 0; i < vm->ncpus; i++) {
		size_t n = arch_core_prstatus(&vm->cpus[i], desc, sizeof(desc));
		put_note(o, NT_PRSTATUS, desc, n);
	}
	if (status_len)
		put_named_note(o, "QVM", NT_QVM_STATUS, status, status_len);
	pad_to(o, (off + notes + PAGE - 1) / PAGE * PAGE);
	for (unsigned i = 0; i < vm->nmem; i++)
		put(o, vm->mem[i].hva, vm->mem[i].len);
}

static int dump(struct qvm_vm *vm, const char *why, const char *report, size_t report_len)
{
	bool answered[QVM_MAX_CPUS], is_pipe;
	pid_t child = -1;
	char name[4200];
	struct out o = { 0 };

	if (!vm->dump_dest) {
		vm_log(vm, QL_QVM_WARN, "%s: no `dump` option: no core dump written", why);
		return -ENOENT;
	}
	if (!vm->cpus) {
		vm_log(vm, QL_QVM_WARN, "%s: the guest has not started: no core dump written", why);
		return -EAGAIN;
	}
	pthread_mutex_lock(&vm->dump_lock);	/* one dump at a time */
	unsigned held = vcpus_pause(vm, answered);
	o.f = open_dest(vm, name, sizeof(name), &is_pipe, &child);
	if (!o.f) {
		int err = errno;
		vcpus_resume(vm);
		pthread_mutex_unlock(&vm->dump_lock);
		vm_log(vm, QL_QVM_ERR, "%s: cannot write a core dump to %s: %s", why, name, strerror(err));
		return -err;
	}
	write_core(vm, &o, report, report_len);
	int rc = fclose(o.f), status = 0;
	if (is_pipe && rc == 0 && (waitpid(child, &status, 0) < 0 || !WIFEXITED(status) ||
			WEXITSTATUS(status) != 0))
		rc = -1;
	vcpus_resume(vm);
	pthread_mutex_unlock(&vm->dump_lock);
	if (!o.err && rc != 0)
		o.err = is_pipe ? EPIPE : errno;
	if (o.err) {
		vm_log(vm, QL_QVM_ERR, "%s: core dump to %s failed: %s", why, name, strerror(o.err));
		return -o.err;
	}
	for (unsigned i = 0; i < vm->ncpus; i++)
		if (!answered[i])
			vm_log(vm, QL_QVM_WARN, "%s: vcpu %u was busy in a vdev: its registers in the "
					"dump are those of its last stop", why, i);
	vm_log(vm, QL_QVM_INFO, "%s: core dump written to %s (%u of %u vcpus held)", why, name,
			held, vm->ncpus);
	return 0;
}

int vm_dump(struct qvm_vm *vm, const char *why)
{
	return dump(vm, why, NULL, 0);
}

int vm_dump_with_status(struct qvm_vm *vm, const char *why)
{
	report_capture(vm, true);
	for (struct qvm_vdev *d = vm->vdevs; d; d = d->next)
		vdev_control(d, VDEV_CTRL_STATUS, NULL);
	report_capture(vm, false);
	pthread_mutex_lock(&vm->report_lock);
	char *status = vm->report;	/* ours now: the next capture starts afresh */
	size_t len = vm->report_len;
	vm->report = NULL;
	vm->report_len = 0;
	pthread_mutex_unlock(&vm->report_lock);
	int r = dump(vm, why, status, len);
	free(status);
	return r;
}
