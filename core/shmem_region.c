/*
 * The shmem vdev's regions as host objects: a POSIX shared-memory object
 * per region, /qvm-shmem-NAME (after `subst`), whose first page is the
 * header every qvm attached shares (struct shm_hdr), made by the first
 * and joined by the others if they own it (core/shmem.c has the rest).
 */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <linux/futex.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <qvm/log.h>
#include <qvm/utils.h>

#include "shmem.h"
#include "vm.h"

long shm_futex(_Atomic uint32_t *w, int op, uint32_t val, const struct timespec *ts)
{
	return syscall(SYS_futex, (uint32_t *)w, op, val, ts, NULL, 0);
}

/* Tell every active client but `except` that something changed for it. */
void shm_wake_clients(struct shm_hdr *h, uint32_t mask, unsigned except)
{
	uint32_t act = atomic_load(&h->active);

	for (unsigned i = 0; i < MAX_CLIENTS; i++)
		if (i != except && (mask & act & (1u << i))) {
			atomic_fetch_add(&h->seq[i], 1);
			shm_futex(&h->seq[i], FUTEX_WAKE, INT32_MAX, NULL);
		}
}

/* ---- names and permissions ---- */

bool shm_legal_name(const char *n)
{
	if (!*n)
		return false;
	for (; *n; n++)
		if (*n == '/' || (unsigned char)*n < 0x21 || (unsigned char)*n > 0x7e)
			return false;
	return true;
}

bool shm_permitted(const struct shmem *s, const char *name)
{
	for (unsigned i = 0; i < s->npat; i++)
		if (fnmatch(s->pat[i].text, name, 0) == 0)
			return s->pat[i].allow;
	return !s->any_allow;	/* the vendor's implicit `deny *` after allows, else `allow *` */
}

void shm_host_name(const struct shmem *s, const char *name, char *out, size_t len)
{
	size_t from = strlen(s->subst_from);

	if (s->subst_to[0] && strncmp(name, s->subst_from, from) == 0)
		snprintf(out, len, "/qvm-shmem-%s%s", s->subst_to, name + from);
	else
		snprintf(out, len, "/qvm-shmem-%s", name);
}

/*
 * Open (and, if new, make) the object of name: its fd, with *pages the
 * region's size (the creator's). -errno.
 */
int shm_open_region(struct shmem *s, const char *name, uint32_t want, unsigned mode, int gid,
		uint32_t *pages, bool *made)
{
	char hn[128];
	int fd;

	*made = false;
	shm_host_name(s, name, hn, sizeof(hn));
	fd = shm_open(hn, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, mode & 0666);
	if (fd >= 0) {
		/* ours to make: its size, then the magic that says it is ready */
		if (fchmod(fd, mode & 0666) || (gid >= 0 && fchown(fd, (uid_t)-1, (gid_t)gid)) ||
				ftruncate(fd, (off_t)PAGE + (off_t)want * PAGE)) {
			int err = errno;
			close(fd);
			shm_unlink(hn);
			return -err;
		}
		struct shm_hdr *h = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (h == MAP_FAILED) {
			int err = errno;
			close(fd);
			shm_unlink(hn);
			return -err;
		}
		h->pages = want;
		atomic_store(&h->magic, HDR_MAGIC);
		munmap(h, PAGE);
		*pages = want;
		*made = true;
		return fd;
	}
	if (errno != EEXIST)
		return -errno;
	fd = shm_open(hn, O_RDWR | O_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/*
	 * Someone else's object is not joined: another user could have made it
	 * to read or feed the guests (`gid` names a group to share with).
	 */
	struct stat own;
	if (fstat(fd, &own) || (own.st_uid != geteuid() && (gid < 0 || own.st_gid != (gid_t)gid))) {
		close(fd);
		return -EPERM;
	}
	/* another qvm may be making it: its magic comes at once (200 ms at most) */
	for (int i = 0; i < 20; i++) {
		struct stat st;
		if (fstat(fd, &st) == 0 && st.st_size >= (off_t)PAGE) {
			struct shm_hdr *h = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, fd, 0);
			if (h != MAP_FAILED) {
				bool ready = atomic_load(&h->magic) == HDR_MAGIC;
				uint32_t p = h->pages;
				munmap(h, PAGE);
				if (ready && (uint64_t)st.st_size >= PAGE + (uint64_t)p * PAGE) {
					*pages = p;
					return fd;
				}
			}
		}
		usleep(10000);
	}
	close(fd);
	return -EPROTO;
}

/* ---- connections (on the vdev's thread) ---- */
/* Our slot among the region's clients: an OFD lock on its byte, freed if we die. */
int shm_take_client(int fd)
{
	for (unsigned i = 0; i < MAX_CLIENTS; i++) {
		struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET,
			.l_start = (off_t)(PAGE - MAX_CLIENTS + i), .l_len = 1 };
		if (fcntl(fd, F_OFD_SETLK, &fl) == 0)
			return (int)i;
	}
	return -1;
}
/* Undo what open_region made, if it was us and nobody came meanwhile. */
void shm_unmake(struct shmem *s, const char *name, int fd, bool made)
{
	char hn[128];
	struct shm_hdr *h = made ? mmap(NULL, PAGE, PROT_READ, MAP_SHARED, fd, 0) : MAP_FAILED;

	if (h != MAP_FAILED) {
		if (atomic_load(&h->active) == 0) {
			shm_host_name(s, name, hn, sizeof(hn));
			shm_unlink(hn);
		}
		munmap(h, PAGE);
	}
	close(fd);
}
void shm_precreate(struct shmem *s)
{
	for (unsigned i = 0; i < s->ncreates; i++) {
		uint32_t pages;
		bool made;
		int fd = shm_open_region(s, s->creates[i], s->create_pages[i], s->create_mode[i],
				s->create_gid[i], &pages, &made);
		if (fd < 0)
			qvm_fatal(QLS_CNF, "create %s: %s", s->creates[i], strerror(-fd));
		if (pages != s->create_pages[i])
			vdev_logf(QL_QVM_WARN, s->vdp, "create %s: it exists with %u pages, not %u: "
					"the first creator chose", s->creates[i], pages, s->create_pages[i]);
		close(fd);
	}
}

/* At the end, what `create` made and nobody is attached to goes (detach removes the rest). */
void shm_unmake_idle(struct shmem *s)
{
	for (unsigned i = 0; i < s->ncreates; i++) {
		char hn[128];
		bool ours = false;
		shm_host_name(s, s->creates[i], hn, sizeof(hn));
		for (unsigned c = 0; c < MAX_CONN; c++)
			ours |= s->conn[c].used && strcmp(s->conn[c].name, s->creates[i]) == 0;
		int fd = ours ? -1 : shm_open(hn, O_RDONLY | O_CLOEXEC, 0);
		if (fd >= 0)
			shm_unmake(s, s->creates[i], fd, true);
	}
}
