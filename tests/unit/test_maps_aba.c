/*
 * A vCPU that replaces the map from its own vwrite, then dispatches again in
 * the same exit (rep outs): its hint must reach neither the freed map nor a
 * new map that the allocator placed at the same address.
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

static struct {
	struct qvm_vm vm;
	struct vdev_factory f;
	struct qvm_vdev d;
	struct guest_cpu cpus[1];
	int calls1, calls9, remapped;
	const void *m1, *m3;
} w;

static vdev_ref_status_t vwrite(vdev_t *vdp, unsigned cookie, const struct qvm_state_block *vop,
		const struct qvm_state_block *oop, struct guest_cpu *gcp)
{
	(void)vdp; (void)vop; (void)oop; (void)gcp;
	if (cookie == 9) { w.calls9++; return VRS_NORMAL; }
	w.calls1++;
	if (w.remapped++)
		return VRS_NORMAL;
	/* e.g. a BAR move: add the new window, then drop the old one */
	struct gasp_region add = { .flags = GRF_VIRT_WR, .cookie = 9, .vdev = &w.d.pub,
		.guest = { .location = 0, .length = 0x10000, .qst_type = QST_MEMORY } };
	struct gasp_region del = { .flags = GRF_NONE, .cookie = 1, .vdev = &w.d.pub,
		.guest = { .location = 0x100, .length = 1, .qst_type = QST_X86_IO } };
	gasp_lock(QST_MEMORY);
	gasp_region_set_soft(1, &add);
	gasp_unlock(QST_MEMORY);
	gasp_lock(QST_X86_IO);
	gasp_region_set_soft(1, &del);
	gasp_unlock(QST_X86_IO);
	w.m3 = atomic_load(&w.vm.map);
	return VRS_NORMAL;
}

TEST(self_publish_then_second_rep_element)
{
	struct qvm_vm *vm = &w.vm;
	rig_vm_init(vm);
	w.f = (struct vdev_factory){ .vwrite = vwrite };
	rig_vdev_init(&w.d, vm, &w.f, "bar");
	region_add(&vm->regions, REGION_IO, 0x100, 1, &w.d, 1, REGION_WR, NULL);
	vm_publish_map(vm);
	w.m1 = atomic_load(&vm->map);
	vm->cpus = w.cpus; vm->ncpus = 1;
	struct guest_cpu *cpu = &w.cpus[0];
	cpu->vm = vm; vcpu_init_operands(cpu); vcpu_offline(cpu);
	vm_set_current(vm);
	vcpu_self = cpu;
	vcpu_online(cpu);
	vcpu_quiescent(cpu);
	/* a long-running process: the tcache bin for this size is full */
	void *fill[7];
	for (int i = 0; i < 7; i++) fill[i] = malloc(88);
	for (int i = 0; i < 7; i++) free(fill[i]);
	uint8_t data[2] = { 0x55, 0x66 };
	/* one KVM_EXIT_IO, rep outsb, count 2: handle_io's loop */
	dispatch_access(cpu, REGION_IO, 0x100, 1, true, &data[0]);
	dispatch_access(cpu, REGION_IO, 0x100, 1, true, &data[1]);
	printf("# M1=%p M3=%p  calls cookie1=%d cookie9=%d\n", w.m1, w.m3, w.calls1, w.calls9);
	CHECK(w.calls1 == 1);
	CHECK(w.calls9 == 0);	/* port 0x100 is gone: the 2nd element must be refused */
}

int main(void)
{
	RUN(self_publish_then_second_rep_element);
	TEST_EXIT();
}
