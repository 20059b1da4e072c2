/*
 * A VM built by hand, without KVM, around one fake vdev: enough for
 * dispatch_access() to run exactly as on a vCPU. Used by test_dispatch and
 * by the dispatch microbenchmark (tools/bench/dispatch-bench.c).
 *
 * The vdev answers at mem 0xfa000000 (0x100 bytes, cookie 7) and io 0x3f8
 * (8 ports, cookie 9); 0xffff0000 is ROM; `extra` more one-page regions of
 * the same vdev sit at 0xfa100000 + i * 0x1000 so that lookups are not
 * trivial.
 */
#ifndef QVM_TEST_RIG_H
#define QVM_TEST_RIG_H

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vcpu.h"

struct rig {
	struct qvm_vm vm;
	struct vdev_factory f;
	struct qvm_vdev d;
	struct guest_cpu cpu;
	struct qvm_regmap *map;
};

/* A hand-built running VM's own state: locks, termination, quiet logs, ignored references. */
static inline void rig_vm_init(struct qvm_vm *vm)
{
	vm->phase = QVM_PHASE_STARTED;
	vm->unsupp[UNSUPP_REFERENCE] = UNSUPP_IGNORE;
	term_init(&vm->term);
	pthread_mutex_init(&vm->regions_lock, NULL);
	pthread_mutex_init(&vm->kick_lock, NULL);
	for (unsigned s = 0; s < REGION_SPACES; s++)
		pthread_mutex_init(&vm->gasp_mtx[s], NULL);
	for (unsigned i = 0; i < LOG_SEVERITIES; i++)
		vm->log.dest[i] = LOG_NONE;
}

/* A vdev instance of f in vm, named name. */
static inline void rig_vdev_init(struct qvm_vdev *d, struct qvm_vm *vm,
		const struct vdev_factory *f, const char *name)
{
	d->vm = vm;
	d->factory = f;
	d->pub.v_factory = f;
	snprintf(d->name, sizeof(d->name), "%s", name);
	pthread_mutex_init(&d->pub.v_mtx, NULL);
}

static inline struct rig *rig_new_with(vdev_ref_func_t *vread, vdev_ref_func_t *vwrite,
		unsigned acc_sizes, unsigned flags, unsigned extra)
{
	struct rig *g = calloc(1, sizeof(*g));
	struct region_builder b = { 0 };

	rig_vm_init(&g->vm);
	g->f = (struct vdev_factory){ .vread = vread, .vwrite = vwrite,
		.acc_sizes = acc_sizes, .factory_flags = flags };
	rig_vdev_init(&g->d, &g->vm, &g->f, "fake");
	region_add(&b, REGION_MEM, 0xfa000000, 0x100, &g->d, 7, REGION_RW, NULL);
	region_add(&b, REGION_IO, 0x3f8, 8, &g->d, 9, REGION_RW, NULL);
	region_add(&b, REGION_MEM, 0xffff0000, 0x10000, NULL, 0, 0, NULL);	/* ROM: traps nothing */
	for (unsigned i = 0; i < extra; i++)
		region_add(&b, REGION_MEM, 0xfa100000 + i * 0x1000ull, 0x1000, &g->d, 100 + i,
				REGION_RW, NULL);
	g->map = regmap_build(&b, dispatch_prepare_region);
	region_builder_free(&b);
	atomic_store(&g->vm.map, g->map);
	g->cpu.vm = &g->vm;
	vcpu_init_operands(&g->cpu);
	return g;
}

static inline void rig_free(struct rig *g)
{
	free(g->map);
	free(g);
}

#endif
