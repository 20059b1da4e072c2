/*
 * The shmem vdev's shared state (core/shmem.c: the guest's registers and
 * connections; core/shmem_region.c: the regions as host objects).
 */
#ifndef QVM_SHMEM_H
#define QVM_SHMEM_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <qvm/vdev-core.h>

struct qvm_vm;

#define PAGE		0x1000u
#define SIGNATURE	0x4d534732474d5651ull	/* "QVMG2GSM" */
#define MAX_CLIENTS	16
#define NAME_MAX_LEN	32
#define MAX_CONN	16			/* connections of one vdev */
#define MAX_PATTERNS	32
#define MAX_CREATES	16
#define HDR_MAGIC	0x314d4853u		/* "SHM1" */
#define DEFAULT_WINDOW	(64u << 20)
#define MAX_SHMEM_VDEVS	8			/* 8 x 16 KVM slots from the top */

/* factory page */
enum { F_SIG = 0x00, F_SHMEM = 0x08, F_VECTOR = 0x10, F_STATUS = 0x14, F_SIZE = 0x18,
	F_NAME = 0x1c, F_FIND = 0x3c, F_END = 0x40 };
/* control page */
enum { C_STATUS = 0x0, C_IDX = 0x4, C_NOTIFY = 0x8, C_DETACH = 0xc };
enum { GSS_OK, GSS_UNKNOWN_FAILURE, GSS_NOMEM, GSS_CLIENT_MAX, GSS_ILLEGAL_NAME,
	GSS_NO_PERMISSION, GSS_DOES_NOT_EXIST };

/* The header page of a region's object, shared by every qvm attached. */
struct shm_hdr {
	_Atomic uint32_t magic;
	uint32_t pages;			/* data pages, as the creator chose */
	_Atomic uint32_t active;	/* bit i: client i attached */
	_Atomic uint32_t pending[MAX_CLIENTS];	/* for client i: bits of who notified it */
	_Atomic uint32_t seq[MAX_CLIENTS];	/* client i's futex word: bumped on news */
};

struct conn {
	bool used, busy;		/* busy: an attach of it is under way */
	char name[NAME_MAX_LEN + 1];
	unsigned idx;			/* our client slot in the region */
	uint64_t gpa;			/* the control page; the data follows */
	uint32_t pages;
	int fd, slot;
	struct shm_hdr *hdr;		/* the object's mapping: header then data */
	size_t map_len;
	pthread_t waiter;
	uint32_t seen;			/* its futex word when it attached */
	_Atomic bool stop;
	struct shmem *owner;
};

struct pattern { char text[64]; bool allow; };

struct shmem {
	vdev_t *vdp;
	struct qvm_vm *vm;
	uint64_t window;
	unsigned ordinal;		/* which shmem vdev of the VM: its KVM slots */
	/* factory registers */
	uint64_t f_shmem;
	uint32_t f_status, f_size, f_find;
	char f_name[NAME_MAX_LEN];
	struct conn conn[MAX_CONN];
	struct pattern pat[MAX_PATTERNS];
	unsigned npat;
	bool any_allow, any_deny;
	char creates[MAX_CREATES][NAME_MAX_LEN + 1];
	uint32_t create_pages[MAX_CREATES];
	unsigned create_mode[MAX_CREATES];
	int create_gid[MAX_CREATES];
	unsigned ncreates;
	unsigned umask_bits;
	int gid;
	char subst_from[NAME_MAX_LEN + 1], subst_to[64];
	/* the request a vCPU hands the vdev's thread */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	enum { REQ_NONE, REQ_ATTACH, REQ_DETACH, REQ_DONE } req;
	unsigned req_conn;
	pthread_t thread;
	bool thread_started, quit;
};

/* ---- the regions on the host (core/shmem_region.c) ---- */

long shm_futex(_Atomic uint32_t *w, int op, uint32_t val, const struct timespec *ts);
/* Tell every active client of mask but `except` that something changed for it. */
void shm_wake_clients(struct shm_hdr *h, uint32_t mask, unsigned except);
/* 1 to 32 printable characters, no '/'. */
bool shm_legal_name(const char *n);
/* allow and deny, first match wins. */
bool shm_permitted(const struct shmem *s, const char *name);
/* The host object's name of region name (after `subst`). */
void shm_host_name(const struct shmem *s, const char *name, char *out, size_t len);
/*
 * Open (and, if new, make: *made) the object of name: its fd, with *pages
 * the region's size (the creator's). -errno; -EPERM for another user's.
 */
int shm_open_region(struct shmem *s, const char *name, uint32_t want, unsigned mode, int gid,
		uint32_t *pages, bool *made);
/* Our client slot of the region open as fd (an OFD lock, freed if we die), or -1. */
int shm_take_client(int fd);
/* Close fd, removing the object if we made it (made) and nobody is attached. */
void shm_unmake(struct shmem *s, const char *name, int fd, bool made);
/* `create`: made when qvm starts; at the end, removed if nobody is attached. */
void shm_precreate(struct shmem *s);
void shm_unmake_idle(struct shmem *s);

#endif
