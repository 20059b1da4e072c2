/*
 * Exit dispatch without KVM: a hand-built VM, region map and vCPU, and a
 * fake vdev. Covers acc_sizes, the unsupported-reference policies, vdev
 * status codes, VFF_MUTEX, and several vCPUs hitting one vdev at once.
 */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include <qvm/guest.h>

#include "rig.h"
#include "test.h"
#include "vcpu.h"

#if defined(__SANITIZE_ADDRESS__)
#define COUNTING 0	/* ASan owns malloc: nothing to interpose */
#else
#define COUNTING 1
/*
 * Count allocations and lock calls made by this process while `counting`
 * is set, by interposing the libc entry points (forwarding to glibc's).
 */
static _Atomic int counting;
static _Atomic unsigned allocs, locks;
void *__libc_malloc(size_t);
void *__libc_calloc(size_t, size_t);
void *__libc_realloc(void *, size_t);
static int (*real_mutex_lock)(pthread_mutex_t *);

void *malloc(size_t n)
{
	if (counting)
		allocs++;
	return __libc_malloc(n);
}

void *calloc(size_t n, size_t m)
{
	if (counting)
		allocs++;
	return __libc_calloc(n, m);
}

void *realloc(void *p, size_t n)
{
	if (counting)
		allocs++;
	return __libc_realloc(p, n);
}

int pthread_mutex_lock(pthread_mutex_t *m)
{
	if (counting)
		locks++;
	if (!real_mutex_lock)
		real_mutex_lock = (int (*)(pthread_mutex_t *))dlsym(RTLD_NEXT, "pthread_mutex_lock");
	return real_mutex_lock(m);
}
#endif

static struct {
	unsigned reads, writes;
	unsigned cookie;
	struct qvm_state_block vop;
	uint64_t written;
	vdev_ref_status_t status;
	int mutex_busy;		/* trylock result seen inside the callback */
	unsigned long hits;	/* unprotected counter for the concurrency test */
} seen;

static vdev_ref_status_t fake_vread(vdev_t *vdp, unsigned cookie, const struct qvm_state_block *vop,
		const struct qvm_state_block *oop, struct guest_cpu *gcp)
{
	uint64_t v = 0x1122334455667788ull;
	int r = pthread_mutex_trylock(&vdp->v_mtx);
	if (r == 0)
		pthread_mutex_unlock(&vdp->v_mtx);
	seen.mutex_busy = r;
	seen.reads++;
	seen.cookie = cookie;
	seen.vop = *vop;
	seen.hits++;
	guest_cpu_write(gcp, GXF_NONE, oop, 1, &v, (unsigned)vop->length);
	return seen.status;
}

static vdev_ref_status_t fake_vwrite(vdev_t *vdp, unsigned cookie, const struct qvm_state_block *vop,
		const struct qvm_state_block *oop, struct guest_cpu *gcp)
{
	(void)vdp;
	seen.writes++;
	seen.cookie = cookie;
	seen.vop = *vop;
	seen.written = 0;
	guest_cpu_read(gcp, GXF_NONE, oop, 1, &seen.written, (unsigned)vop->length);
	return seen.status;
}

static struct rig *rig_new(unsigned acc_sizes, unsigned flags)
{
	memset(&seen, 0, sizeof(seen));
	return rig_new_with(fake_vread, fake_vwrite, acc_sizes, flags, 0);
}

static unsigned warned(struct rig *g)
{
	unsigned n = 0;
	for (unsigned i = 0; i < QVM_UNSUPP_SLOTS; i++)
		n += atomic_load(&g->vm.unsupp_seen[i]) != 0;
	return n;
}

TEST(accepted_width_reaches_vread)
{
	struct rig *g = rig_new(1u << 4, 0);
	uint8_t data[8] = { 0 };

	dispatch_access(&g->cpu, REGION_MEM, 0xfa000010, 4, false, data);
	CHECK(seen.reads == 1);
	CHECK(seen.cookie == 7);
	CHECK_EQ_U64(seen.vop.location, 0xfa000010);
	CHECK(seen.vop.length == 4 && seen.vop.qst_type == QST_MEMORY);
	uint32_t v;
	memcpy(&v, data, 4);
	CHECK_EQ_U64(v, 0x55667788);	/* only the 4 bytes of the access */
	CHECK(data[4] == 0);

	uint32_t w = 0xdeadbeef;
	memcpy(data, &w, 4);
	dispatch_access(&g->cpu, REGION_MEM, 0xfa000000, 4, true, data);
	CHECK(seen.writes == 1);
	CHECK_EQ_U64(seen.written, 0xdeadbeef);
	rig_free(g);
}

TEST(refused_width_never_reaches_vdev)
{
	struct rig *g = rig_new(1u << 4, 0);
	uint8_t data[8] = { 0 };

	dispatch_access(&g->cpu, REGION_MEM, 0xfa000000, 1, false, data);
	CHECK(data[0] == 0xff);
	dispatch_access(&g->cpu, REGION_MEM, 0xfa000000, 2, false, data);
	CHECK(data[0] == 0xff && data[1] == 0xff);
	dispatch_access(&g->cpu, REGION_MEM, 0xfa000000, 8, false, data);
	CHECK(data[7] == 0xff);
	dispatch_access(&g->cpu, REGION_MEM, 0xfa000004, 1, true, data);
	CHECK(seen.reads == 0 && seen.writes == 0);
	CHECK(warned(g) == 2);	/* once per address */
	CHECK(!term_requested(&g->vm));
	rig_free(g);
}

TEST(any_width_when_acc_sizes_is_zero)
{
	struct rig *g = rig_new(0, 0);
	uint8_t data[8];

	for (unsigned len = 1; len <= 8; len *= 2)
		dispatch_access(&g->cpu, REGION_MEM, 0xfa000000, len, false, data);
	CHECK(seen.reads == 4);
	rig_free(g);
}

TEST(unowned_reads_all_ones_and_warns_once)
{
	struct rig *g = rig_new(0, 0);
	uint8_t data[8] = { 0 };

	for (int i = 0; i < 3; i++)
		dispatch_access(&g->cpu, REGION_MEM, 0xfb000000, 4, false, data);
	CHECK(data[0] == 0xff && data[3] == 0xff);
	dispatch_access(&g->cpu, REGION_MEM, 0xfb000000, 4, true, data);
	dispatch_access(&g->cpu, REGION_IO, 0x80, 1, true, data);
	dispatch_access(&g->cpu, REGION_MEM, 0xfa0000fe, 4, false, data);	/* crosses the end */
	CHECK(seen.reads == 0);
	CHECK(warned(g) == 3);
	CHECK(!term_requested(&g->vm));
	rig_free(g);
}

/*
 * An access that starts inside a region and runs past its end never reaches
 * the vdev, by however little it crosses; one that ends on the last byte does.
 */
TEST(access_past_the_region_end_is_refused)
{
	static const struct { unsigned space; uint64_t addr; unsigned len; bool reaches; } cases[] = {
		{ REGION_MEM, 0xfa0000fc, 4, true },	/* ends on the last byte (0xfa0000ff) */
		{ REGION_MEM, 0xfa0000f8, 8, true },
		{ REGION_MEM, 0xfa0000ff, 1, true },
		{ REGION_MEM, 0xfa0000fd, 4, false },	/* one byte past */
		{ REGION_MEM, 0xfa0000ff, 2, false },
		{ REGION_MEM, 0xfa0000f9, 8, false },
		{ REGION_MEM, 0xfa0000fe, 4, false },
		{ REGION_IO, 0x3fc, 4, true },		/* ports 0x3f8-0x3ff */
		{ REGION_IO, 0x3fd, 4, false },
		{ REGION_IO, 0x3ff, 2, false },
	};
	struct rig *g = rig_new(0, 0);

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t data[8] = { 0 };
		unsigned before = seen.reads + seen.writes;
		dispatch_access(&g->cpu, cases[i].space, cases[i].addr, cases[i].len, false, data);
		dispatch_access(&g->cpu, cases[i].space, cases[i].addr, cases[i].len, true, data);
		unsigned calls = seen.reads + seen.writes - before;
		if (calls != (cases[i].reaches ? 2u : 0u)) {
			printf("# FAIL %u-byte access at %s 0x%" PRIx64 ": %u calls reached the vdev\n",
					cases[i].len, cases[i].space == REGION_IO ? "io" : "mem",
					cases[i].addr, calls);
			test_failures++;
		}
	}
	CHECK(warned(g) == 6);	/* each refused address once */
	CHECK(!term_requested(&g->vm));
	rig_free(g);
}

TEST(abort_policy_ends_with_code_5)
{
	struct rig *g = rig_new(1u << 4, 0);
	uint8_t data[8];

	g->vm.unsupp[UNSUPP_REFERENCE] = UNSUPP_ABORT;
	dispatch_access(&g->cpu, REGION_MEM, 0xfb000000, 4, false, data);
	CHECK(term_requested(&g->vm) && term_code(&g->vm) == 5);
	rig_free(g);
}

TEST(rom_writes_are_dropped_quietly)
{
	struct rig *g = rig_new(0, 0);
	uint8_t data[8] = { 1 };

	dispatch_access(&g->cpu, REGION_MEM, 0xffff0010, 4, true, data);
	CHECK(warned(g) == 0 && seen.writes == 0 && !term_requested(&g->vm));
	rig_free(g);
}

TEST(port_io)
{
	struct rig *g = rig_new(0, 0);
	uint8_t data[8] = { 0x41 };

	dispatch_access(&g->cpu, REGION_IO, 0x3fd, 1, true, data);
	CHECK(seen.writes == 1 && seen.cookie == 9);
	CHECK(seen.vop.qst_type == QST_X86_IO && seen.vop.location == 0x3fd);
	CHECK(seen.written == 0x41);
	seen.status = VRS_CONTINUE;
	dispatch_access(&g->cpu, REGION_IO, 0x3f8, 1, false, data);
	CHECK(data[0] == 0xff);
	rig_free(g);
}

TEST(status_codes)
{
	struct rig *g = rig_new(0, 0);
	uint8_t data[8] = { 0 };

	seen.status = VRS_CONTINUE;	/* the vdev declines: treated as unowned */
	dispatch_access(&g->cpu, REGION_MEM, 0xfa000000, 4, false, data);
	CHECK(data[0] == 0xff && data[3] == 0xff);
	seen.status = VRS_ERRNO + EIO;
	memset(data, 0, sizeof(data));
	dispatch_access(&g->cpu, REGION_MEM, 0xfa000004, 4, false, data);
	CHECK(data[0] == 0xff && data[3] == 0xff && !term_requested(&g->vm));
	seen.status = VRS_TERMINATE;
	dispatch_access(&g->cpu, REGION_MEM, 0xfa000000, 4, false, data);
	CHECK(term_requested(&g->vm) && term_code(&g->vm) == 6);
	rig_free(g);
}

TEST(vff_mutex_is_held_around_the_call)
{
	struct rig *g = rig_new(0, VFF_MUTEX);
	uint8_t data[8];

	dispatch_access(&g->cpu, REGION_MEM, 0xfa000000, 4, false, data);
	CHECK(seen.mutex_busy == EBUSY);
	rig_free(g);

	g = rig_new(0, 0);
	dispatch_access(&g->cpu, REGION_MEM, 0xfa000000, 4, false, data);
	CHECK(seen.mutex_busy == 0);
	rig_free(g);
}

#define HAMMER_THREADS	4
#define HAMMER_N	200000

static void *hammer(void *arg)
{
	struct guest_cpu *cpu = arg;
	uint8_t data[8];

	for (int i = 0; i < HAMMER_N; i++)
		dispatch_access(cpu, REGION_MEM, 0xfa000000 + (unsigned)(i & 0x3c), 4, false, data);
	return NULL;
}

TEST(several_vcpus_one_vdev)
{
	struct rig *g = rig_new(1u << 4, VFF_MUTEX);
	struct guest_cpu cpus[HAMMER_THREADS];
	pthread_t t[HAMMER_THREADS];

	for (int i = 0; i < HAMMER_THREADS; i++) {
		cpus[i] = (struct guest_cpu){ .vm = &g->vm, .index = (unsigned)i };
		pthread_create(&t[i], NULL, hammer, &cpus[i]);
	}
	for (int i = 0; i < HAMMER_THREADS; i++)
		pthread_join(t[i], NULL);
	/* VFF_MUTEX serialises the vdev: no increment is lost. */
	CHECK_EQ_U64(seen.hits, (uint64_t)HAMMER_THREADS * HAMMER_N);
	rig_free(g);
}

/* The rule: from the exit to vread, no lock and no allocation. */
TEST(no_lock_no_allocation_on_the_path)
{
#if COUNTING
	struct rig *g = rig_new(0, 0);
	uint8_t data[8];

	/* Warm the per-vCPU hint, then count. */
	dispatch_access(&g->cpu, REGION_MEM, 0xfa000000, 4, false, data);
	allocs = locks = 0;
	counting = 1;
	for (int i = 0; i < 1000; i++) {
		dispatch_access(&g->cpu, REGION_MEM, 0xfa000000 + (unsigned)(i & 0xfc), 4, i & 1, data);
		dispatch_access(&g->cpu, REGION_IO, 0x3f8 + (unsigned)(i & 7), 1, i & 1, data);
	}
	counting = 0;
	CHECK(seen.reads + seen.writes == 2001);
	CHECK(allocs == 0);
	CHECK(locks == 0);

	/* The counters work: VFF_MUTEX shows up as one lock per access. */
	rig_free(g);
	g = rig_new(0, VFF_MUTEX);
	dispatch_access(&g->cpu, REGION_MEM, 0xfa000000, 4, false, data);
	locks = 0;
	counting = 1;
	dispatch_access(&g->cpu, REGION_MEM, 0xfa000000, 4, false, data);
	counting = 0;
	CHECK(locks == 1);
	rig_free(g);
#else
	SKIP(no_lock_no_allocation_on_the_path, "built with AddressSanitizer, which owns malloc");
	CHECK(1);
#endif
}

int main(void)
{
	RUN(accepted_width_reaches_vread);
	RUN(refused_width_never_reaches_vdev);
	RUN(any_width_when_acc_sizes_is_zero);
	RUN(unowned_reads_all_ones_and_warns_once);
	RUN(access_past_the_region_end_is_refused);
	RUN(abort_policy_ends_with_code_5);
	RUN(rom_writes_are_dropped_quietly);
	RUN_IF(TEST_X86, port_io, "no I/O port space on this architecture");
	RUN(status_codes);
	RUN(vff_mutex_is_held_around_the_call);
	RUN(several_vcpus_one_vdev);
#if COUNTING
	RUN(no_lock_no_allocation_on_the_path);
#else
	no_lock_no_allocation_on_the_path();
#endif
	TEST_EXIT();
}
