/*
 * Publishing the region map, and freeing the maps it replaces once no vCPU
 * can still be reading them.
 *
 * vCPUs read the map with no lock (core/dispatch.c). Each vCPU announces,
 * between two exits, the map epoch it has seen (vcpu_quiescent() in
 * vcpu.h: a load and a store, no lock and no read-modify-write); a map
 * retired at epoch E is freed once every running vCPU has announced E or
 * later, as KVM's own SRCU-protected bus is. A vCPU sitting in the guest
 * announces nothing, so when maps pile up the writer kicks the vCPUs that
 * lag; past 256 kept maps it also waits up to 10 ms for them. A vCPU
 * blocked inside a vdev callback holds its maps until it returns.
 */
#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "vcpu.h"

#define RETIRED_MAX	16	/* maps kept before the writer kicks the vCPUs */
#define RETIRED_CAP	256	/* ... and before it waits for them */
#define CATCH_UP_MS	10	/* for at most this long per publish */

/* The oldest epoch a running vCPU may still be reading; UINT64_MAX if none runs. */
static uint64_t oldest_seen(struct qvm_vm *vm)
{
	uint64_t min = UINT64_MAX;

	/* Pairs with the fence of a vCPU coming online (vcpu_online). */
	atomic_thread_fence(memory_order_seq_cst);
	for (unsigned i = 0; vm->cpus && i < vm->ncpus; i++) {
		struct guest_cpu *cpu = &vm->cpus[i];
		/*
		 * A vCPU replacing the map from its own vread or vwrite reads no map
		 * after its callback returns (dispatch_access): it is quiescent.
		 */
		if (cpu == vcpu_self)
			continue;
		uint64_t seen = atomic_load_explicit(&cpu->seen_epoch, memory_order_acquire);
		if (seen < min)
			min = seen;
	}
	return min;
}

/* Free the replaced maps retired at or before epoch safe. */
static void free_retired(struct qvm_vm *vm, uint64_t safe)
{
	struct retired_map **p = &vm->retired;

	while (*p) {
		struct retired_map *r = *p;
		if (r->epoch <= safe) {
			*p = r->next;
			free((void *)r->map);
			free(r);
			vm->nretired--;
		} else {
			p = &r->next;
		}
	}
}

static void reclaim(struct qvm_vm *vm)
{
	free_retired(vm, oldest_seen(vm));
}

/*
 * Kick the vCPUs that lag so that they pass a quiescent point; later
 * publishes free what they then may. Only past RETIRED_CAP does the writer
 * wait for them, briefly: it holds regions_lock and its gasp_lock, which a
 * lagging vCPU's callback may want, and a vCPU blocked in a callback may
 * never come.
 */
static void catch_up(struct qvm_vm *vm)
{
	uint64_t now = atomic_load(&vm->map_epoch);

	for (unsigned i = 0; vm->cpus && i < vm->ncpus; i++)
		if (&vm->cpus[i] != vcpu_self && atomic_load(&vm->cpus[i].seen_epoch) < now)
			vcpu_kick(&vm->cpus[i]);
	for (unsigned ms = 0; vm->nretired > RETIRED_CAP && ms < CATCH_UP_MS; ms++) {
		struct timespec ts = { 0, 1000000 };
		nanosleep(&ts, NULL);
		reclaim(vm);
	}
}

int vm_publish_map(struct qvm_vm *vm)
{
	struct qvm_regmap *map = regmap_build(&vm->regions, dispatch_prepare_region);
	struct retired_map *r = NULL;
	const struct qvm_regmap *old = atomic_load(&vm->map);

	if (!map || (old && !(r = malloc(sizeof(*r))))) {
		free(map);
		return -ENOMEM;
	}
	atomic_store_explicit(&vm->map, map, memory_order_release);
	/*
	 * A vCPU publishing from its own callback is not held back by its epoch
	 * (oldest_seen skips it), so its hints must go now: a rep ins/outs
	 * dispatches again within the same exit, and a freed map's address may
	 * come back as a new map's.
	 */
	if (vcpu_self)
		vcpu_self->hint_map = NULL;
	uint64_t epoch = atomic_load(&vm->map_epoch) + 1;
	/* A vCPU that sees this epoch sees the new map (it loads the epoch first). */
	atomic_store_explicit(&vm->map_epoch, epoch, memory_order_release);
	if (r) {
		r->map = old;
		r->epoch = epoch;
		r->next = vm->retired;
		vm->retired = r;
		vm->nretired++;
	}
	reclaim(vm);
	if (vm->nretired > RETIRED_MAX)
		catch_up(vm);
	return 0;
}

void maps_destroy(struct qvm_vm *vm)
{
	free((void *)atomic_load(&vm->map));
	atomic_store(&vm->map, NULL);
	free_retired(vm, UINT64_MAX);
}
