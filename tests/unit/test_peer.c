/*
 * guest_cpu_read/write reaching another vdev's registers (core/peer.c), and
 * the blocks they refuse: from a thread that is no vCPU, the vdev's own
 * registers through its own VFF_MUTEX (EDEADLK, not a hang), nesting
 * (ELOOP), nothing there and refused widths (-1: the guest would fault),
 * the vdev's own answers, blocks running out of RAM, register and
 * translation blocks without the caller's vCPU.
 */
#include <errno.h>

#include <qvm/guest.h>

#include "rig.h"
#include "test.h"
#include "vdev_impl.h"

#define DEV	0xfa000000ull		/* the rig's vdev, cookie 7 */
#define NOWHERE	0xfb000000ull
#define RAM	0x1000ull

static struct {
	unsigned reads, writes, cookie;
	uint64_t loc;
	uint32_t reg;
	struct guest_cpu *gcp;
	vdev_ref_status_t answer;	/* what vread answers */
	bool reenter;			/* vread reads its own register again */
	int inner;			/* ...and what that gave */
	unsigned depth, max_depth;
} seen;

static vdev_ref_status_t dev_vread(vdev_t *vdp, unsigned cookie, const struct qvm_state_block *vop,
		const struct qvm_state_block *oop, struct guest_cpu *gcp)
{
	(void)vdp;
	seen.reads++;
	seen.cookie = cookie;
	seen.loc = vop->location;
	seen.gcp = gcp;
	if (seen.reenter) {
		struct qvm_state_block b = { .location = DEV, .length = 4, .qst_type = QST_MEMORY };
		uint32_t v;
		if (++seen.depth > seen.max_depth)
			seen.max_depth = seen.depth;
		int r = guest_cpu_read(NULL, GXF_NONE, &b, 1, &v, sizeof(v));
		if (r)
			seen.inner = r;	/* the innermost failure, kept on the way out */
		seen.depth--;
	}
	uint32_t v = seen.reg + (uint32_t)(vop->location - DEV);
	guest_cpu_write(gcp, GXF_NONE, oop, 1, &v, sizeof(v));
	return seen.answer;
}

static vdev_ref_status_t dev_vwrite(vdev_t *vdp, unsigned cookie, const struct qvm_state_block *vop,
		const struct qvm_state_block *oop, struct guest_cpu *gcp)
{
	(void)vdp;
	(void)vop;
	seen.writes++;
	seen.cookie = cookie;
	guest_cpu_read(gcp, GXF_NONE, oop, 1, &seen.reg, sizeof(seen.reg));
	return seen.answer;
}

static struct rig *setup(unsigned flags)
{
	struct rig *g = rig_new_with(dev_vread, dev_vwrite, 1u << 4, flags, 0);

	memset(&seen, 0, sizeof(seen));
	if (flags & VFF_MUTEX)
		vdev_mutex_init(&g->d.pub.v_mtx, flags);	/* as qvm makes it */
	vm_set_current(&g->vm);
	return g;
}

static int rd(uint16_t type, uint64_t loc, void *buf, uint64_t len)
{
	struct qvm_state_block b = { .location = loc, .length = len, .qst_type = type };
	return guest_cpu_read(NULL, GXF_NONE, &b, 1, buf, len);
}

static int wr(uint16_t type, uint64_t loc, const void *buf, uint64_t len)
{
	struct qvm_state_block b = { .location = loc, .length = len, .qst_type = type };
	return guest_cpu_write(NULL, GXF_NONE, &b, 1, buf, len);
}

TEST(another_vdevs_registers_from_any_thread)
{
	struct rig *g = setup(0);
	uint32_t v = 0x5ca1ab1e;

	CHECK(wr(QST_MEMORY, DEV + 8, &v, 4) == EOK);
	CHECK(seen.writes == 1 && seen.cookie == 7 && seen.reg == 0x5ca1ab1e);
	v = 0;
	CHECK(rd(QST_MEMORY, DEV + 8, &v, 4) == EOK);
	CHECK_EQ_U64(v, 0x5ca1ab1e + 8);
	CHECK_EQ_U64(seen.loc, DEV + 8);
	/* no vCPU here: the vdev still gets a guest_cpu, one that stands in for none */
	CHECK(seen.gcp != NULL && seen.gcp != &g->cpu);
	rig_free(g);
}

TEST(ports)
{
	struct rig *g = setup(0);
	uint32_t v = 0;

	CHECK(rd(ARCH_IO_QST, 0x3f8, &v, 4) == EOK);
	CHECK(seen.reads == 1 && seen.cookie == 9 && seen.loc == 0x3f8);
	rig_free(g);
}

TEST(nothing_there_or_refused_is_a_fault)
{
	struct rig *g = setup(0);
	uint32_t v;
	uint16_t h;

	CHECK(rd(QST_MEMORY, NOWHERE, &v, 4) == -1);
	CHECK(rd(QST_MEMORY, DEV, &h, 2) == -1);		/* a width it does not take */
	CHECK(rd(QST_MEMORY, DEV + 0xfe, &v, 4) == -1);	/* runs past its region */
	CHECK(rd(QST_MEMORY, 0xffff0000, &v, 4) == -1);	/* ROM traps nothing: no RAM behind */
	CHECK(seen.reads == 0);
	seen.answer = VRS_BUS_ERROR;
	CHECK(rd(QST_MEMORY, DEV, &v, 4) == -1);
	seen.answer = VRS_ABORT;
	CHECK(rd(QST_MEMORY, DEV, &v, 4) == -1);
	seen.answer = VRS_ERRNO + EPERM;
	CHECK(rd(QST_MEMORY, DEV, &v, 4) == EPERM);
	CHECK(seen.reads == 3);
	uint8_t big[16];
	CHECK(rd(QST_MEMORY, DEV, big, sizeof(big)) == EINVAL);	/* one access, not 16 bytes */
	rig_free(g);
}

TEST(own_mutex_is_edeadlk_not_a_hang)
{
	struct rig *g = setup(VFF_MUTEX);
	uint32_t v;

	seen.reenter = true;
	CHECK(rd(QST_MEMORY, DEV, &v, 4) == EOK);
	CHECK(seen.inner == EDEADLK);
	CHECK(seen.reads == 1);
	/* and the mutex was given back */
	CHECK(pthread_mutex_trylock(&g->d.pub.v_mtx) == 0);
	pthread_mutex_unlock(&g->d.pub.v_mtx);
	rig_free(g);
}

TEST(nesting_stops_at_four)
{
	struct rig *g = setup(0);
	uint32_t v;

	seen.reenter = true;
	CHECK(rd(QST_MEMORY, DEV, &v, 4) == EOK);
	CHECK(seen.inner == ELOOP);
	CHECK_EQ_U64(seen.reads, 4);
	rig_free(g);
}

TEST(ram_blocks)
{
	struct rig *g = setup(0);
	uint8_t ram[64] = { 0 }, buf[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };

	g->vm.mem[0] = (struct qvm_mem){ .gpa = RAM, .len = sizeof(ram), .hva = ram };
	g->vm.nmem = 1;
	CHECK(wr(QST_MEMORY, RAM + 8, buf, 8) == EOK);
	CHECK(ram[8] == 1 && ram[15] == 8);
	CHECK(rd(QST_MEMORY, RAM + 60, buf, 8) == EINVAL);	/* out of its range */
	CHECK(seen.reads == 0);
	rig_free(g);
}

TEST(registers_and_translation_need_the_callers_vcpu)
{
	struct rig *g = setup(0);
	uint64_t v;
	struct qvm_state_block b = { .location = 0, .length = 8, .qst_type = QST_CPUREGS };

	CHECK(rd(QST_CPUREGS, 0, &v, 8) == EINVAL);
	CHECK(rd(QST_VIRTUAL, 0x1000, &v, 8) == EINVAL);
	/* a vCPU that is not the calling thread's */
	CHECK(guest_cpu_read(&g->cpu, GXF_NONE, &b, 1, &v, 8) == EINVAL);
	CHECK(rd(QST_FPUREGS, 0, &v, 8) == ENOTSUP);
	CHECK(rd(QST_PCI, 0, &v, 8) == ENOTSUP);
	rig_free(g);
}

int main(void)
{
	RUN(another_vdevs_registers_from_any_thread);
	RUN_IF(ARCH_IO_QST != QST_NO_TYPE, ports, "no I/O port space on this architecture");
	RUN(nothing_there_or_refused_is_a_fault);
	RUN(own_mutex_is_edeadlk_not_a_hang);
	RUN(nesting_stops_at_four);
	RUN(ram_blocks);
	RUN(registers_and_translation_need_the_callers_vcpu);
	TEST_EXIT();
}
