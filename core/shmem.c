/*
 * vdev shmem: the vendor's inter-guest shared memory, between the guests
 * of qvm processes on one host. Built into qvm: a guest's connection maps
 * host memory into the guest at run time, which the vdev SDK does not
 * offer vdevs.
 *
 *   vdev shmem loc ADDR intr PIC:N [create NAME,SIZE[,MODE[,GID]]]...
 *        [allow PATTERN]... [deny PATTERN]... [gid G] [umask M]
 *        [subst [ORIGINAL],PREFIX] [window SIZE]
 *
 * The guest sees the vendor's registers (its guest_shm.h): a factory page
 * at loc (signature, the last connection's control page and its vector,
 * status, size in 4 KiB pages, a 32-byte name, find), and per connection a
 * control page (status: pending notifications in the low 16 bits, active
 * clients in the high 16; idx; notify; detach) followed by the region's
 * pages, all in a window after the factory page ([ours] `window`, 64 MiB
 * by default). Writing size attaches to the region called name, making it
 * first (the creator picks the size).
 *
 * On the host a region is a POSIX shared-memory object, /qvm-shmem-NAME
 * (after `subst`), whose first page is qvm's own header: the size, the
 * active clients, each client's pending notifications and a futex word it
 * waits on. A client's slot is held by an OFD lock on its byte of the
 * header, so a qvm that dies frees it. Each connection has a thread that
 * waits on its futex word and raises intr (a level: lowered when the guest
 * reads status). The guest's requests go to the vdev's own thread, which
 * may open files where a vCPU thread may not (core/sandbox.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <qvm/guest.h>
#include <qvm/log.h>
#include <qvm/utils.h>
#include <qvm/vdev-core.h>

#include "shmem.h"
#include "vm.h"

static void *waiter(void *arg);

/* The lowest offset in the window where span bytes touch no connection: first fit. */
static bool window_fit(const struct shmem *s, uint64_t span, uint64_t *off)
{
	uint64_t base = s->vdp->v_block.location + PAGE, at = 0;

	for (unsigned tries = 0; tries <= MAX_CONN; tries++) {
		bool clash = false;
		for (unsigned i = 0; i < MAX_CONN && !clash; i++) {
			const struct conn *o = &s->conn[i];
			uint64_t lo = o->gpa - base, hi = lo + o->map_len;
			if (o->used && at < hi && lo < at + span) {
				at = hi;
				clash = true;
			}
		}
		if (!clash)
			break;
	}
	if (at > s->window || span > s->window - at)
		return false;
	*off = at;
	return true;
}

static uint32_t attach(struct shmem *s, struct conn *c)
{
	uint32_t pages;
	uint64_t off;
	bool made;

	/* checked before anything is made: no host object of a size that cannot be mapped */
	if (c->used || s->f_size == 0 || (uint64_t)s->f_size * PAGE >= s->window ||
			s->vm->max_slots < 512 || sysconf(_SC_PAGESIZE) != PAGE)
		return GSS_NOMEM;
	int fd = shm_open_region(s, c->name, s->f_size, 0666 & ~s->umask_bits, s->gid, &pages, &made);
	if (fd < 0)
		return fd == -EACCES || fd == -EPERM ? GSS_NO_PERMISSION :
			fd == -ENOMEM || fd == -ENOSPC ? GSS_NOMEM : GSS_UNKNOWN_FAILURE;
	uint64_t span = PAGE + (uint64_t)pages * PAGE;
	/* its KVM slot counts down from the top, far from the ones core/ram_perm.c takes */
	if (pages == 0 || !window_fit(s, span, &off)) {
		shm_unmake(s, c->name, fd, made);
		return GSS_NOMEM;	/* the window is full */
	}
	int idx = shm_take_client(fd);
	if (idx < 0) {
		shm_unmake(s, c->name, fd, made);
		return GSS_CLIENT_MAX;
	}
	void *m = mmap(NULL, span, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED) {
		shm_unmake(s, c->name, fd, made);
		return GSS_NOMEM;
	}
	unsigned ci = (unsigned)(c - s->conn);
	c->fd = fd;
	c->hdr = m;
	c->map_len = span;
	c->pages = pages;
	c->idx = (unsigned)idx;
	c->gpa = s->vdp->v_block.location + PAGE + off;
	c->slot = s->vm->max_slots - 1 - (int)(s->ordinal * MAX_CONN + ci);
	c->owner = s;
	if (vm_slot_set(s->vm, (unsigned)c->slot, c->gpa + PAGE, (uint64_t)pages * PAGE,
			(uint8_t *)m + PAGE, false)) {
		munmap(m, span);
		shm_unmake(s, c->name, fd, made);
		return GSS_NOMEM;
	}
	atomic_store(&c->stop, false);
	atomic_store(&c->hdr->pending[c->idx], 0);
	/* before the others can see us: news from then on is news to the waiter */
	c->seen = atomic_load(&c->hdr->seq[c->idx]);
	atomic_fetch_or(&c->hdr->active, 1u << c->idx);
	shm_wake_clients(c->hdr, ~0u, c->idx);	/* the others see one more */
	c->used = true;
	if (vdev_thread_create(s->vdp, "shmem-wait", &c->waiter, NULL, waiter, c)) {
		c->waiter = 0;
		vdev_logf(QL_QVM_WARN, s->vdp, "%s: no thread to wait for notifications: the guest "
				"must poll", c->name);
	}
	s->f_shmem = c->gpa;
	s->f_size = pages;
	return GSS_OK;
}

/* The vdev's connections share one line: up while any of them has news unread. */
static void reraise(struct shmem *s)
{
	for (unsigned i = 0; i < MAX_CONN; i++)
		if (s->conn[i].used && atomic_load(&s->conn[i].hdr->pending[s->conn[i].idx])) {
			guest_intr_signal(&s->vdp->v_intr, GIS_ON);
			return;
		}
}

static void detach(struct shmem *s, struct conn *c)
{
	if (!c->used)
		return;
	c->used = false;
	atomic_store(&c->stop, true);
	atomic_fetch_add(&c->hdr->seq[c->idx], 1);
	shm_futex(&c->hdr->seq[c->idx], FUTEX_WAKE, INT32_MAX, NULL);
	if (c->waiter)
		pthread_join(c->waiter, NULL);
	vm_slot_set(s->vm, (unsigned)c->slot, c->gpa + PAGE, 0, (uint8_t *)c->hdr + PAGE, false);
	uint32_t left = atomic_fetch_and(&c->hdr->active, ~(1u << c->idx)) & ~(1u << c->idx);
	shm_wake_clients(c->hdr, ~0u, c->idx);
	if (!left) {	/* the last one out: the host's object goes (its name is free again) */
		char hn[128];
		shm_host_name(s, c->name, hn, sizeof(hn));
		shm_unlink(hn);
	}
	munmap(c->hdr, c->map_len);
	close(c->fd);	/* and with it our client lock */
	c->hdr = NULL;
	guest_intr_signal(&s->vdp->v_intr, GIS_OFF);	/* its news went with it */
	reraise(s);
}

static void *service(void *arg)
{
	struct shmem *s = arg;

	pthread_mutex_lock(&s->lock);
	while (!s->quit) {
		if (s->req == REQ_ATTACH || s->req == REQ_DETACH) {
			struct conn *c = &s->conn[s->req_conn];
			if (s->req == REQ_ATTACH)
				s->f_status = attach(s, c);
			else
				detach(s, c);
			s->req = REQ_DONE;
			pthread_cond_broadcast(&s->cond);
		}
		pthread_cond_wait(&s->cond, &s->lock);
	}
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

/* Hand the request to the vdev's thread and wait for it (s->lock held). */
static void request(struct shmem *s, int what, unsigned ci)
{
	if (!s->thread_started) {	/* no thread (it could not start): here, best effort */
		struct conn *c = &s->conn[ci];
		if (what == REQ_ATTACH)
			s->f_status = attach(s, c);
		else
			detach(s, c);
		return;
	}
	/* one request at a time: a second vCPU waits for the first to have seen its answer */
	while (s->req != REQ_NONE)
		pthread_cond_wait(&s->cond, &s->lock);
	s->req = what;
	s->req_conn = ci;
	pthread_cond_broadcast(&s->cond);
	while (s->req != REQ_DONE)
		pthread_cond_wait(&s->cond, &s->lock);
	s->req = REQ_NONE;
	pthread_cond_broadcast(&s->cond);
}

/* Each connection: wait for news on its futex word and raise the line. */
static void *waiter(void *arg)
{
	struct conn *c = arg;
	struct shm_hdr *h = c->hdr;
	uint32_t seen = c->seen;

	while (!atomic_load(&c->stop)) {
		struct timespec ts = { 0, 200 * 1000 * 1000 };
		shm_futex(&h->seq[c->idx], FUTEX_WAIT, seen, &ts);
		uint32_t now = atomic_load(&h->seq[c->idx]);
		if (now != seen && !atomic_load(&c->stop)) {
			seen = now;
			guest_intr_signal(&c->owner->vdp->v_intr, GIS_ON);
		}
	}
	return NULL;
}

static void create_connection(struct shmem *s)
{
	char name[NAME_MAX_LEN + 1];
	unsigned ci;

	memcpy(name, s->f_name, NAME_MAX_LEN);
	name[NAME_MAX_LEN] = '\0';
	if (!shm_legal_name(name)) {
		s->f_status = GSS_ILLEGAL_NAME;
		return;
	}
	if (!shm_permitted(s, name)) {
		s->f_status = GSS_NO_PERMISSION;
		return;
	}
	for (ci = 0; ci < MAX_CONN; ci++)
		if ((s->conn[ci].used || s->conn[ci].busy) && strcmp(s->conn[ci].name, name) == 0) {
			if (s->conn[ci].busy) {	/* another vCPU is attaching it: not twice */
				s->f_status = GSS_UNKNOWN_FAILURE;
				return;
			}
			/* attached already: the same connection again */
			s->f_shmem = s->conn[ci].gpa;
			s->f_size = s->conn[ci].pages;
			s->f_status = GSS_OK;
			return;
		}
	for (ci = 0; ci < MAX_CONN && (s->conn[ci].used || s->conn[ci].busy); ci++)
		;
	if (ci == MAX_CONN) {
		s->f_status = GSS_NOMEM;
		return;
	}
	snprintf(s->conn[ci].name, sizeof(s->conn[ci].name), "%s", name);
	s->conn[ci].busy = true;
	request(s, REQ_ATTACH, ci);
	s->conn[ci].busy = false;
}

/* ---- registers ---- */

static struct conn *conn_at(struct shmem *s, uint64_t gpa, uint64_t *off)
{
	for (unsigned i = 0; i < MAX_CONN; i++) {
		struct conn *c = &s->conn[i];
		if (c->used && gpa >= c->gpa && gpa < c->gpa + PAGE) {
			*off = gpa - c->gpa;
			return c;
		}
	}
	return NULL;
}

static uint64_t factory_read(struct shmem *s, uint64_t off, unsigned len)
{
	uint8_t regs[F_END];
	uint64_t v = 0;

	memset(regs, 0, sizeof(regs));
	uint64_t sig = SIGNATURE;
	uint32_t vec = s->vdp->v_intr.param;
	memcpy(regs + F_SIG, &sig, 8);
	memcpy(regs + F_SHMEM, &s->f_shmem, 8);
	memcpy(regs + F_VECTOR, &vec, 4);
	memcpy(regs + F_STATUS, &s->f_status, 4);
	memcpy(regs + F_SIZE, &s->f_size, 4);
	memcpy(regs + F_NAME, s->f_name, NAME_MAX_LEN);
	memcpy(regs + F_FIND, &s->f_find, 4);
	if (off + len <= F_END)
		memcpy(&v, regs + off, len);
	else
		v = ~0ull;
	return v;
}

static void factory_write(struct shmem *s, uint64_t off, unsigned len, uint64_t v)
{
	if (off >= F_NAME && off + len <= F_NAME + NAME_MAX_LEN) {
		memcpy(s->f_name + (off - F_NAME), &v, len);
	} else if (off == F_SIZE && len == 4) {
		s->f_size = (uint32_t)v;
		create_connection(s);
	} else if (off == F_FIND && len == 4) {
		/* the vendor's find: connection N of this guest, if there is one */
		s->f_find = (uint32_t)v;
		unsigned n = 0;
		s->f_status = GSS_DOES_NOT_EXIST;
		for (unsigned i = 0; i < MAX_CONN; i++)
			if (s->conn[i].used && n++ == s->f_find) {
				s->f_shmem = s->conn[i].gpa;
				s->f_size = s->conn[i].pages;
				memcpy(s->f_name, s->conn[i].name, NAME_MAX_LEN);
				s->f_status = GSS_OK;
				break;
			}
	}
	/* the read-only registers ignore writes */
}

static uint64_t control_read(struct shmem *s, struct conn *c, uint64_t off, unsigned len)
{
	if (len != 4)
		return ~0ull;
	if (off == C_IDX)
		return c->idx;
	if (off == C_STATUS) {
		/* lowered first, then taken: news arriving in between raises it again */
		guest_intr_signal(&s->vdp->v_intr, GIS_OFF);
		uint32_t p = atomic_exchange(&c->hdr->pending[c->idx], 0);
		uint32_t v = (p & 0xffffu) | (atomic_load(&c->hdr->active) << 16);
		reraise(s);
		return v;
	}
	return 0;
}

static void control_write(struct shmem *s, struct conn *c, uint64_t off, unsigned len, uint64_t v)
{
	if (len != 4)
		return;
	if (off == C_NOTIFY) {
		uint32_t mask = (uint32_t)v == ~0u ? ~(1u << c->idx) : (uint32_t)v;
		uint32_t act = atomic_load(&c->hdr->active);
		for (unsigned i = 0; i < MAX_CLIENTS; i++)
			if (i != c->idx && (mask & act & (1u << i)))
				atomic_fetch_or(&c->hdr->pending[i], 1u << c->idx);
		shm_wake_clients(c->hdr, mask, c->idx);
	} else if (off == C_DETACH) {
		request(s, REQ_DETACH, (unsigned)(c - s->conn));
	}
}

static vdev_ref_status_t shmem_vread(vdev_t *vdp, unsigned cookie,
		const struct qvm_state_block *vopnd, const struct qvm_state_block *oopnd,
		struct guest_cpu *gcp)
{
	struct shmem *s = vdp->v_device;
	uint64_t off = vopnd->location - vdp->v_block.location, v = ~0ull, coff;
	unsigned len = vopnd->length;

	(void)cookie;
	pthread_mutex_lock(&s->lock);
	if (off < PAGE) {
		v = factory_read(s, off, len);
	} else {
		struct conn *c = conn_at(s, vopnd->location, &coff);
		if (c)
			v = control_read(s, c, coff, len);
	}
	pthread_mutex_unlock(&s->lock);
	int rc = guest_cpu_write(gcp, GXF_NONE, oopnd, 1, &v, len);
	return rc == 0 ? VRS_NORMAL : (vdev_ref_status_t)(VRS_ERRNO + rc);
}

static vdev_ref_status_t shmem_vwrite(vdev_t *vdp, unsigned cookie,
		const struct qvm_state_block *vopnd, const struct qvm_state_block *oopnd,
		struct guest_cpu *gcp)
{
	struct shmem *s = vdp->v_device;
	uint64_t off = vopnd->location - vdp->v_block.location, v = 0, coff;
	unsigned len = vopnd->length;
	int rc = guest_cpu_read(gcp, GXF_NONE, oopnd, 1, &v, len);

	(void)cookie;
	if (rc != 0)
		return (vdev_ref_status_t)(VRS_ERRNO + rc);
	pthread_mutex_lock(&s->lock);
	if (off < PAGE) {
		factory_write(s, off, len, v);
	} else {
		struct conn *c = conn_at(s, vopnd->location, &coff);
		if (c)
			control_write(s, c, coff, len, v);
	}
	pthread_mutex_unlock(&s->lock);
	return VRS_NORMAL;
}

/* ---- options ---- */

enum { OPT_CREATE, OPT_ALLOW, OPT_DENY, OPT_GID, OPT_UMASK, OPT_SUBST, OPT_WINDOW };
static const char *const shmem_options[] = {
	"create", "allow", "deny", "gid", "umask", "subst", "window", NULL,
};

static uint64_t num(const char *opt, const char *a, unsigned flags)
{
	uint64_t v;
	const char *end = qvm_parse_num(a, flags, &v);

	if (!end || *end)
		qvm_fatal(QLS_CNF, "%s '%s': expected a number", opt, a);
	return v;
}

/* A POSIX mode, in octal as chmod(1) takes it. */
static unsigned octal(const char *opt, const char *a)
{
	char *end;
	unsigned long v = strtoul(a, &end, 8);

	if (!*a || *end || v > 0777)
		qvm_fatal(QLS_CNF, "%s '%s': expected an octal mode (0 to 0777)", opt, a);
	return (unsigned)v;
}

static int group_id(const char *g)
{
	const char *end;
	uint64_t v;

	if ((end = qvm_parse_num(g, QPNF_NONE, &v)) && !*end && v < 0x7fffffff)
		return (int)v;
	struct group *gr = getgrnam(g);
	if (!gr)
		qvm_fatal(QLS_CNF, "gid '%s': no such group", g);
	return (int)gr->gr_gid;
}

/* `create NAME,SIZE[,MODE[,GID]]`: made now, when qvm starts, as the vendor does. */
static void opt_create(struct shmem *s, const char *a)
{
	char buf[160], *f[4] = { 0 };
	unsigned n = 0;

	snprintf(buf, sizeof(buf), "%s", a);
	for (char *p = buf, *t; n < 4 && (t = strsep(&p, ",")); )
		f[n++] = t;
	if (n < 2 || !shm_legal_name(f[0]) || strlen(f[0]) > NAME_MAX_LEN)
		qvm_fatal(QLS_CNF, "create '%s': expected NAME,SIZE[,MODE[,GID]] (a name of 1 to 32 "
				"printable characters, no '/')", a);
	if (s->ncreates == MAX_CREATES)
		qvm_fatal(QLS_CNF, "create: at most %d", MAX_CREATES);
	uint64_t size = num("create", f[1], QPNF_ALLOW_SUFFIXES);
	if (size == 0 || size > (1ull << 30))
		qvm_fatal(QLS_CNF, "create '%s': a size from 1 byte to 1G", a);
	unsigned mode = f[2] ? octal("create", f[2]) : 0666;
	if (f[3] && !f[2])
		qvm_fatal(QLS_CNF, "create '%s': a GID needs a MODE before it", a);
	unsigned i = s->ncreates++;
	snprintf(s->creates[i], sizeof(s->creates[i]), "%s", f[0]);
	s->create_pages[i] = (uint32_t)((size + PAGE - 1) / PAGE);
	s->create_mode[i] = mode & ~s->umask_bits;
	s->create_gid[i] = f[3] ? group_id(f[3]) : s->gid;
}

static int shmem_control(vdev_t *vdp, unsigned ctrl, const char *arg)
{
	struct shmem *s = vdp->v_device;

	switch (ctrl) {
	case VDEV_CTRL_OPTIONS_START:
		s->vdp = vdp;
		s->vm = vdev_of(vdp)->vm;
		if (s->vm->nshmem == MAX_SHMEM_VDEVS)
			qvm_fatal(QLS_CNF, "at most %d shmem vdevs in a VM", MAX_SHMEM_VDEVS);
		s->ordinal = s->vm->nshmem++;
		s->window = DEFAULT_WINDOW;
		s->gid = -1;
		pthread_mutex_init(&s->lock, NULL);
		pthread_cond_init(&s->cond, NULL);
		vdp->v_block.location = QSL_NO_LOCATION;
		break;
	case VDEV_CTRL_FIRST_OPTIDX + OPT_CREATE:
		opt_create(s, arg);
		break;
	case VDEV_CTRL_FIRST_OPTIDX + OPT_ALLOW:
	case VDEV_CTRL_FIRST_OPTIDX + OPT_DENY:
		if (s->npat == MAX_PATTERNS || strlen(arg) >= sizeof(s->pat[0].text))
			qvm_fatal(QLS_CNF, "%s '%s': at most %d patterns of 63 characters",
					ctrl == VDEV_CTRL_FIRST_OPTIDX + OPT_ALLOW ? "allow" : "deny", arg,
					MAX_PATTERNS);
		s->pat[s->npat].allow = ctrl == VDEV_CTRL_FIRST_OPTIDX + OPT_ALLOW;
		snprintf(s->pat[s->npat].text, sizeof(s->pat[0].text), "%s", arg);
		s->any_allow |= s->pat[s->npat].allow;
		s->any_deny |= !s->pat[s->npat].allow;
		s->npat++;
		break;
	case VDEV_CTRL_FIRST_OPTIDX + OPT_GID:
		s->gid = group_id(arg);
		break;
	case VDEV_CTRL_FIRST_OPTIDX + OPT_UMASK:
		s->umask_bits = octal("umask", arg);
		break;
	case VDEV_CTRL_FIRST_OPTIDX + OPT_SUBST: {
		const char *comma = strchr(arg, ',');
		if (!comma || (size_t)(comma - arg) > NAME_MAX_LEN || !comma[1] ||
				strlen(comma + 1) >= sizeof(s->subst_to) || strchr(comma + 1, '/'))
			qvm_fatal(QLS_CNF, "subst '%s': expected [ORIGINAL],PREFIX", arg);
		snprintf(s->subst_from, sizeof(s->subst_from), "%.*s", (int)(comma - arg), arg);
		snprintf(s->subst_to, sizeof(s->subst_to), "%s", comma + 1);
		break;
	}
	case VDEV_CTRL_FIRST_OPTIDX + OPT_WINDOW:
		s->window = num("window", arg, QPNF_ALLOW_SUFFIXES);
		if (s->window < 2 * PAGE || s->window > (16ull << 30) || (s->window & (PAGE - 1)))
			qvm_fatal(QLS_CNF, "window '%s': 8K to 16G, in whole 4K pages", arg);
		break;
	case VDEV_CTRL_OPTIONS_END:
		if (vdp->v_block.location == QSL_NO_LOCATION)
			qvm_fatal(QLS_CNF, "give it `loc ADDR` (the factory page) and `intr`: without "
					"loc it would be a PCI device, and qvm has no PCI bus yet");
		if (!vdp->v_intr.pic)
			qvm_fatal(QLS_CNF, "with loc, intr is required (the interrupt of its "
					"notifications)");
		if (vdp->v_block.location & (PAGE - 1))
			qvm_fatal(QLS_CNF, "loc 0x%llx: the factory page must be 4K-aligned",
					(unsigned long long)vdp->v_block.location);
		vdp->v_block.length = PAGE + s->window;
		shm_precreate(s);
		break;
	case VDEV_CTRL_GUEST_STARTING:
		if (vdev_thread_create(vdp, "shmem", &s->thread, NULL, service, s) == 0)
			s->thread_started = true;
		break;
	case VDEV_CTRL_TERMINATE:
		shm_unmake_idle(s);
		for (unsigned i = 0; i < MAX_CONN; i++)
			if (s->conn[i].used) {
				pthread_mutex_lock(&s->lock);
				detach(s, &s->conn[i]);
				pthread_mutex_unlock(&s->lock);
			}
		if (s->thread_started) {
			pthread_mutex_lock(&s->lock);
			s->quit = true;
			pthread_cond_broadcast(&s->cond);
			pthread_mutex_unlock(&s->lock);
			pthread_join(s->thread, NULL);
			s->thread_started = false;
		}
		break;
	default:
		break;
	}
	return 0;
}

static struct vdev_factory shmem_factory = {
	.name = "shmem",
	.control = shmem_control,
	.vread = shmem_vread,
	.vwrite = shmem_vwrite,
	.option_list = shmem_options,
	.factory_flags = VFF_VDEV_MEM,
	.acc_sizes = (1u << 1) | (1u << 2) | (1u << 4) | (1u << 8),
	.extra_space = sizeof(struct shmem),
	.safety = VDEV_SAFETY_SELECTED,
};

static void __attribute__((constructor)) shmem_register(void)
{
	vdev_register_factory(&shmem_factory, QVM_VDEV_ABI);
}
