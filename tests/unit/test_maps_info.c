/* gasp_region_info() from a vdev thread while the maps are replaced and freed (AddressSanitizer). */
#include <pthread.h>
#include <stdlib.h>
#include <qvm/gasp.h>
#include "rig.h"
#include "test.h"
#include "vcpu.h"
#include "vdev_impl.h"

static struct {
	struct qvm_vm vm;
	struct vdev_factory f;
	struct qvm_vdev d;
	struct guest_cpu cpus[1];
	_Atomic bool stop;
} w;

static vdev_ref_status_t vread(vdev_t *a, unsigned b, const struct qvm_state_block *c,
		const struct qvm_state_block *d, struct guest_cpu *e)
{ (void)a; (void)b; (void)c; (void)d; (void)e; return VRS_NORMAL; }

static void *info_thread(void *arg)
{
	(void)arg;
	vm_set_current(&w.vm);		/* a vdev's own thread, or the timer thread */
	struct qvm_state_block blk = { .location = 0xfa000000, .length = 4, .qst_type = QST_MEMORY };
	while (!atomic_load(&w.stop)) {
		struct gasp_region g;
		gasp_region_info(&blk, &g);
	}
	return NULL;
}

TEST(region_info_while_replaced)
{
	struct qvm_vm *vm = &w.vm;
	rig_vm_init(vm);
	w.f = (struct vdev_factory){ .vread = vread };
	rig_vdev_init(&w.d, vm, &w.f, "x");
	region_add(&vm->regions, REGION_MEM, 0xfa000000, 4, &w.d, 1, REGION_RD, NULL);
	vm_publish_map(vm);
	vm->cpus = w.cpus; vm->ncpus = 1;
	w.cpus[0].vm = vm; vcpu_offline(&w.cpus[0]);	/* e.g. paused for a dump, or HLT-free */
	vm_set_current(vm);
	vdev_running = &w.d;
	pthread_t t;
	pthread_create(&t, NULL, info_thread, NULL);
	for (unsigned n = 0; n < 200000; n++) {
		struct gasp_region g = { .flags = GRF_VIRT_RD, .cookie = 1 + (n & 1), .vdev = &w.d.pub,
			.guest = { .location = 0xfa000000, .length = 4, .qst_type = QST_MEMORY } };
		gasp_lock(QST_MEMORY);
		gasp_region_set_soft(1, &g);
		gasp_unlock(QST_MEMORY);
	}
	atomic_store(&w.stop, true);
	pthread_join(t, NULL);
	vdev_running = NULL;
}

int main(void)
{
	RUN(region_info_while_replaced);
	TEST_EXIT();
}
