/*
 * dispatch-bench: the host-side cost of qvm's dispatch alone, from a
 * trapped access to the vdev's vread/vwrite and back, without KVM: a VM
 * built by hand (tests/unit/rig.h) and dispatch_access() in a loop, as a
 * vCPU calls it after each exit. The vdev is a typical small one: VFF_MUTEX,
 * 32-bit accesses, the value moved with guest_cpu_read/guest_cpu_write.
 *
 *   dispatch-bench [--iters N] [--extra K] [--kind mmio-read|mmio-write|pio-read|pio-write|unowned]
 *
 * Prints "KIND: N dispatches, X ns each". Run under
 * `valgrind --tool=callgrind` for instruction counts (tools/bench/dispatch-cost.sh).
 */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <qvm/guest.h>

#include "rig.h"

static uint32_t reg;

/* The vdev's own work, kept out of the dispatch cost (dispatch-cost.sh subtracts it). */
vdev_ref_status_t bench_vread(vdev_t *vdp, unsigned cookie, const struct qvm_state_block *vop,
		const struct qvm_state_block *oop, struct guest_cpu *gcp);
vdev_ref_status_t bench_vwrite(vdev_t *vdp, unsigned cookie, const struct qvm_state_block *vop,
		const struct qvm_state_block *oop, struct guest_cpu *gcp);

__attribute__((noinline)) vdev_ref_status_t bench_vread(vdev_t *vdp, unsigned cookie,
		const struct qvm_state_block *vop, const struct qvm_state_block *oop,
		struct guest_cpu *gcp)
{
	(void)vdp;
	(void)cookie;
	guest_cpu_write(gcp, GXF_NONE, oop, 1, &reg, (size_t)vop->length);
	return VRS_NORMAL;
}

__attribute__((noinline)) vdev_ref_status_t bench_vwrite(vdev_t *vdp, unsigned cookie,
		const struct qvm_state_block *vop, const struct qvm_state_block *oop,
		struct guest_cpu *gcp)
{
	(void)vdp;
	(void)cookie;
	guest_cpu_read(gcp, GXF_NONE, oop, 1, &reg, (size_t)vop->length);
	return VRS_NORMAL;
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "iters", required_argument, NULL, 'n' },
		{ "extra", required_argument, NULL, 'k' },
		{ "kind", required_argument, NULL, 'K' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long iters = 10000000, extra = 8;
	const char *kind = "mmio-read";
	unsigned space = REGION_MEM, len = 4;
	uint64_t addr = 0xfa000000;
	bool write = false;
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'n')
			iters = strtoul(optarg, NULL, 0);
		else if (c == 'k')
			extra = strtoul(optarg, NULL, 0);
		else if (c == 'K')
			kind = optarg;
		else
			return 2;
	}
	if (strcmp(kind, "mmio-write") == 0) {
		write = true;
	} else if (strcmp(kind, "pio-read") == 0 || strcmp(kind, "pio-write") == 0) {
		space = REGION_IO;
		addr = 0x3ff;
		len = 1;
		write = kind[4] == 'w';
	} else if (strcmp(kind, "unowned") == 0) {
		addr = 0xfb000000;
	} else if (strcmp(kind, "mmio-read") != 0) {
		fprintf(stderr, "dispatch-bench: unknown kind '%s'\n", kind);
		return 2;
	}

	struct rig *g = rig_new_with(bench_vread, bench_vwrite, 1u << 1 | 1u << 4, VFF_MUTEX,
			(unsigned)extra);
	uint8_t data[8] = { 0 };
	uint64_t t0 = now_ns();
	for (unsigned long i = 0; i < iters; i++)
		dispatch_access(&g->cpu, space, addr, len, write, data);
	uint64_t t1 = now_ns();
	printf("%s: %lu dispatches (%lu other regions), %.1f ns each\n", kind, iters, extra,
			(double)(t1 - t0) / (double)iters);
	rig_free(g);
	return 0;
}
