/*
 * Region maps replaced while vCPUs use them (core/maps.c): a vdev replaces
 * its regions 100,000 times through gasp_region_set_soft() while two vCPU
 * threads dispatch accesses to them with dispatch_access(), exactly as on
 * KVM exits. Every access must reach the vdev with the cookie of a region
 * that was really there, replaced maps must be freed as the vCPUs pass
 * quiescent points (memory bounded), and none may be read once freed
 * (AddressSanitizer in `make check SANITIZE=address`).
 */
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>

#include <qvm/gasp.h>
#include <qvm/guest.h>

#include "rig.h"
#include "test.h"
#include "vcpu.h"
#include "vdev_impl.h"

#define REPLACEMENTS	100000
#define NCPUS		2
#define A		0xfa000000ull	/* always mapped: cookie 1 or 2 */
#define B		0xfb000000ull	/* mapped (cookie 3) or not */

static struct {
	struct qvm_vm vm;
	struct vdev_factory f;
	struct qvm_vdev d;
	struct guest_cpu cpus[NCPUS];
	_Atomic bool stop;
	_Atomic unsigned long reached, astray, refused_a;
	_Atomic unsigned max_retired;
} w;

static vdev_ref_status_t vread(vdev_t *vdp, unsigned cookie, const struct qvm_state_block *vop,
		const struct qvm_state_block *oop, struct guest_cpu *gcp)
{
	uint32_t v = cookie;

	(void)vdp;
	bool ok = (vop->location == A && (cookie == 1 || cookie == 2)) ||
		(vop->location == B && cookie == 3);
	atomic_fetch_add(ok ? &w.reached : &w.astray, 1);
	guest_cpu_write(gcp, GXF_NONE, oop, 1, &v, 4);
	return VRS_NORMAL;
}

static void *vcpu_loop(void *arg)
{
	struct guest_cpu *cpu = arg;

	vm_set_current(&w.vm);
	vcpu_self = cpu;
	vcpu_online(cpu);
	while (!atomic_load(&w.stop)) {
		uint8_t data[4];
		vcpu_quiescent(cpu);
		dispatch_access(cpu, REGION_MEM, A, 4, false, data);
		uint32_t got;
		memcpy(&got, data, 4);
		if (got != 1 && got != 2)
			atomic_fetch_add(&w.refused_a, 1);	/* A is always there */
		dispatch_access(cpu, REGION_MEM, B, 4, false, data);
		sched_yield();	/* an exit's worth of time: let the writer run on two cores */
	}
	vcpu_offline(cpu);
	vcpu_self = NULL;
	return NULL;
}

static void setup(void)
{
	struct qvm_vm *vm = &w.vm;

	rig_vm_init(vm);
	w.f = (struct vdev_factory){ .vread = vread, .acc_sizes = 1u << 4 };
	rig_vdev_init(&w.d, vm, &w.f, "remapper");
	region_add(&vm->regions, REGION_MEM, A, 4, &w.d, 1, REGION_RD, NULL);
	vm_publish_map(vm);
	vm->cpus = w.cpus;
	vm->ncpus = NCPUS;
	for (unsigned i = 0; i < NCPUS; i++) {
		w.cpus[i].vm = vm;
		w.cpus[i].index = i;
		vcpu_init_operands(&w.cpus[i]);
		vcpu_offline(&w.cpus[i]);
	}
}

/* The vdev's side: replace A's region (the other cookie), and add or remove B every other time. */
static void replace(unsigned n)
{
	bool b_now = n & 2, b_before = n > 0 && ((n - 1) & 2);
	struct gasp_region g[2] = {
		{ .flags = GRF_VIRT_RD, .cookie = 1 + (n & 1), .vdev = &w.d.pub,
		  .guest = { .location = A, .length = 4, .qst_type = QST_MEMORY } },
		{ .flags = b_now ? GRF_VIRT_RD : GRF_NONE, .cookie = 3, .vdev = &w.d.pub,
		  .guest = { .location = B, .length = 4, .qst_type = QST_MEMORY } },
	};
	unsigned want = b_now != b_before ? 2 : 1;

	gasp_lock(QST_MEMORY);
	unsigned done = gasp_region_set_soft(want, g);
	gasp_unlock(QST_MEMORY);
	if (done != want) {
		printf("# FAIL replacement %u: %u of %u regions set\n", n, done, want);
		test_failures++;
	}
	if (w.vm.nretired > atomic_load(&w.max_retired))
		atomic_store(&w.max_retired, w.vm.nretired);
}

TEST(maps_replaced_while_vcpus_dispatch)
{
	pthread_t t[NCPUS];
	unsigned failures = (unsigned)test_failures;

	setup();
	vdev_running = &w.d;
	for (unsigned i = 0; i < NCPUS; i++)
		pthread_create(&t[i], NULL, vcpu_loop, &w.cpus[i]);
	for (unsigned n = 0; n < REPLACEMENTS && (unsigned)test_failures == failures; n++)
		replace(n);
	atomic_store(&w.stop, true);
	for (unsigned i = 0; i < NCPUS; i++)
		pthread_join(t[i], NULL);
	printf("# %lu accesses reached the vdev, at most %u replaced maps kept at once\n",
			atomic_load(&w.reached), atomic_load(&w.max_retired));
	CHECK(atomic_load(&w.astray) == 0);
	CHECK(atomic_load(&w.refused_a) == 0);
	CHECK(atomic_load(&w.reached) > 0);
	/* Bounded: the writer kicks lagging vCPUs past 16 and waits for them past 256 (core/maps.c). */
	CHECK(atomic_load(&w.max_retired) <= 257);
	/* With every vCPU offline, the next replacement frees all that is left. */
	replace(REPLACEMENTS);
	CHECK(w.vm.nretired == 0);
	vdev_running = NULL;
	maps_destroy(&w.vm);
	region_builder_free(&w.vm.regions);
}

int main(void)
{
	RUN(maps_replaced_while_vcpus_dispatch);
	TEST_EXIT();
}
