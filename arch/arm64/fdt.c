/*
 * The FDT an arm64 guest boots with (README "The FDT qvm builds"): the base
 * tree from the final layout, every vdev's VDEV_CTRL_GEN_FDT, then placed in
 * RAM for x0. Built once every vCPU exists, since each /cpus/cpu@N carries
 * the MPIDR affinity KVM gave that vCPU.
 */
#include <errno.h>
#include <libfdt.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "arm64.h"
#include "gic.h"
#include "loader.h"
#include "vm.h"

#define MPIDR_EL1	ARM64_SYS_REG(3, 0, 0, 0, 5)
#define MPIDR_AFF_MASK	0xff00ffffffull	/* Aff3, Aff2, Aff1, Aff0 */

#define FDT_DEFAULT_OFFSET	(128ull << 20)	/* from the start of RAM, as QEMU virt */
#define MIB2			(2ull << 20)

static int cpu_mpidr(struct guest_cpu *cpu, uint64_t *mpidr, struct qerr *e)
{
	int r = arm64_get_reg(cpu, MPIDR_EL1, mpidr);

	if (r)
		return qerr_set(e, r, "vcpu %u: cannot read MPIDR_EL1: %s", cpu->index,
				strerror(-r));
	*mpidr &= MPIDR_AFF_MASK;
	return 0;
}

/* Any libfdt failure of the base tree: the tree outgrew 2 MiB or a bug. */
static int failed(int r, const char *what, struct qerr *e)
{
	return qerr_set(e, -ENOSPC, "cannot build the FDT (%s): %s", what, fdt_strerror(r));
}

static int add_cpus(struct qvm_vm *vm, struct qerr *e)
{
	int cpus = vfdt_node(vm, 0, "cpus", QSL_NO_LOCATION), r;

	if (cpus < 0)
		return failed(cpus, "cpus", e);
	r = vfdt_prop_cells(vm, cpus, "#address-cells", (const uint32_t[]){ 1 }, 1);
	if (!r)
		r = vfdt_prop_cells(vm, cpus, "#size-cells", (const uint32_t[]){ 0 }, 1);
	for (unsigned i = 0; i < vm->ncpus && !r; i++) {
		uint64_t mpidr;
		if ((r = cpu_mpidr(&vm->cpus[i], &mpidr, e)))
			return r;
		if (mpidr >> 32)
			return qerr_set(e, -ERANGE, "vcpu %u: MPIDR 0x%llx has an Aff3 the FDT's "
					"one-cell cpu reg cannot hold", i, (unsigned long long)mpidr);
		cpus = vfdt_node(vm, 0, "cpus", QSL_NO_LOCATION);
		int n = cpus < 0 ? cpus : vfdt_node(vm, cpus, "cpu", mpidr);
		if (n < 0)
			return failed(n, "cpu", e);
		uint32_t reg = (uint32_t)mpidr;
		r = vfdt_prop_str(vm, n, "device_type", "cpu");
		if (!r)
			r = vfdt_prop_str(vm, n, "compatible", "arm,armv8");
		if (!r)
			r = vfdt_prop_cells(vm, n, "reg", &reg, 1);
		if (!r)
			r = vfdt_prop_str(vm, n, "enable-method", "psci");
	}
	return r ? failed(r, "cpus", e) : 0;
}

static int add_memory(struct qvm_vm *vm, struct qerr *e)
{
	for (unsigned i = 0; i < vm->nmem; i++) {
		const struct qvm_mem *m = &vm->mem[i];
		if (m->rom)
			continue;
		uint32_t reg[4] = { (uint32_t)(m->gpa >> 32), (uint32_t)m->gpa,
			(uint32_t)(m->len >> 32), (uint32_t)m->len };
		int n = vfdt_node(vm, 0, "memory", m->gpa), r = n;
		if (n >= 0)
			r = vfdt_prop_str(vm, n, "device_type", "memory");
		if (!r)
			r = vfdt_prop_cells(vm, n, "reg", reg, 4);
		if (r)
			return failed(r, "memory", e);
	}
	return 0;
}

static int add_gic(struct qvm_vm *vm, uint32_t *phandle, struct qerr *e)
{
	struct gic_range g[2];
	int nr = gic_ranges(vm, g);
	uint32_t reg[8];

	for (int i = 0; i < nr; i++) {
		reg[4 * i] = (uint32_t)(g[i].base >> 32);
		reg[4 * i + 1] = (uint32_t)g[i].base;
		reg[4 * i + 2] = (uint32_t)(g[i].len >> 32);
		reg[4 * i + 3] = (uint32_t)g[i].len;
	}
	int n = vfdt_node(vm, 0, "intc", g[0].base), r = n;
	bool v3 = gic_version(vm) == 3;
	if (n >= 0)
		r = vfdt_prop_str(vm, n, "compatible", v3 ? "arm,gic-v3" : "arm,cortex-a15-gic");
	if (!r)
		r = vfdt_prop_cells(vm, n, "#interrupt-cells", (const uint32_t[]){ 3 }, 1);
	if (!r)
		r = vfdt_prop(vm, n, "interrupt-controller", NULL, 0);
	if (!r)	/* no subnodes (no ITS); dtc wants it of an interrupt provider */
		r = vfdt_prop_cells(vm, n, "#address-cells", (const uint32_t[]){ 0 }, 1);
	if (!r)
		r = vfdt_prop_cells(vm, n, "reg", reg, 4 * (size_t)nr);
	if (!r && v3)
		r = vfdt_prop_cells(vm, n, "#redistributor-regions", (const uint32_t[]){ 1 }, 1);
	if (!r && !(*phandle = vfdt_phandle(vm, n)))
		r = -FDT_ERR_NOSPACE;
	return r ? failed(r, "interrupt controller", e) : 0;
}

static int add_fixed(struct qvm_vm *vm, struct qerr *e)
{
	/* the architected timers' PPIs: secure and non-secure physical, virtual, hypervisor */
	static const unsigned ppis[] = { 13, 14, 11, 10 };
	uint32_t irq[12];
	int r;

	for (unsigned i = 0; i < 4; i++) {
		irq[3 * i] = 1;
		irq[3 * i + 1] = ppis[i];
		irq[3 * i + 2] = gic_version(vm) == 3 ? 4 :
			/* GICv2 PPIs name the CPUs they reach */
			(((1u << (vm->ncpus > 8 ? 8 : vm->ncpus)) - 1) << 8) | 4;
	}
	int n = vfdt_node(vm, 0, "timer", QSL_NO_LOCATION);
	r = n < 0 ? n : vfdt_prop_str(vm, n, "compatible", "arm,armv8-timer");
	if (!r)
		r = vfdt_prop_cells(vm, n, "interrupts", irq, 12);
	if (!r)
		r = vfdt_prop(vm, n, "always-on", NULL, 0);
	if (r)
		return failed(r, "timer", e);

	n = vfdt_node(vm, 0, "psci", QSL_NO_LOCATION);
	r = n < 0 ? n : vfdt_prop(vm, n, "compatible", "arm,psci-1.0\0arm,psci-0.2",
			sizeof("arm,psci-1.0\0arm,psci-0.2"));
	if (!r)
		r = vfdt_prop_str(vm, n, "method", "hvc");
	return r ? failed(r, "psci", e) : 0;
}

static int add_chosen(struct qvm_vm *vm, struct qerr *e)
{
	const struct qvm_boot *b = &vm->boot;
	int n = vfdt_node(vm, 0, "chosen", QSL_NO_LOCATION), r = n < 0 ? n : 0;

	if (!r && vm->cmdline)
		r = vfdt_prop_str(vm, n, "bootargs", vm->cmdline);
	if (!r && b->initrd.len) {
		uint64_t s = cpu_to_fdt64(b->initrd.gpa), end = cpu_to_fdt64(b->initrd.gpa + b->initrd.len);
		r = vfdt_prop(vm, n, "linux,initrd-start", &s, sizeof(s));
		if (!r)
			r = vfdt_prop(vm, n, "linux,initrd-end", &end, sizeof(end));
	}
	return r ? failed(r, "chosen", e) : 0;
}

/*
 * /chosen/stdout-path: the first UART a vdev described (pl011, else a
 * 16550). libfdt put each new node first, so the first made is the last
 * found.
 */
static int add_stdout(struct qvm_vm *vm, struct qerr *e)
{
	static const char *const uarts[] = { "arm,pl011", "ns16550a" };
	char path[256];

	for (unsigned i = 0; i < 2; i++) {
		int n = -1, last = -1;
		while ((n = fdt_node_offset_by_compatible(vm->fdt.blob, n, uarts[i])) >= 0)
			last = n;
		if (last < 0 || fdt_get_path(vm->fdt.blob, last, path, sizeof(path)))
			continue;
		int c = fdt_path_offset(vm->fdt.blob, "/chosen");
		int r = c < 0 ? c : vfdt_prop_str(vm, c, "stdout-path", path);
		return r ? failed(r, "stdout-path", e) : 0;
	}
	return 0;
}

static int build(struct qvm_vm *vm, struct qerr *e)
{
	uint32_t gic_ph = 0;
	int r = vfdt_begin(vm, e);

	if (!r)
		r = vfdt_prop_str(vm, 0, "compatible", "qvm,virt") ? -ENOSPC : 0;
	if (!r)
		r = vfdt_prop_str(vm, 0, "model", "qvm") ? -ENOSPC : 0;
	if (!r)
		r = add_cpus(vm, e);
	if (!r)
		r = add_memory(vm, e);
	if (!r)
		r = add_gic(vm, &gic_ph, e);
	if (!r)
		r = add_fixed(vm, e);
	if (!r)
		r = add_chosen(vm, e);
	if (!r && vfdt_prop_cells(vm, 0, "interrupt-parent", &gic_ph, 1))
		r = qerr_set(e, -ENOSPC, "cannot build the FDT (interrupt-parent)");
	if (!r)
		r = vfdt_gen_vdevs(vm, e);
	if (!r)
		r = add_stdout(vm, e);
	return r;
}

/*
 * Where the tree goes: `fdt load ADDR,FILE`'s address, else RAM start +
 * 128 MiB when the lowest RAM reaches that far, else below the initrd, else
 * the top of that RAM; 8-byte aligned, within one 2 MiB block
 * (booting.rst), clear of everything the `load`s put in memory.
 */
static int place(struct qvm_vm *vm, uint64_t len, uint64_t *gpa, struct qerr *e)
{
	const struct qvm_mem *ram = NULL;

	for (unsigned i = 0; i < vm->nmem; i++)
		if (!vm->mem[i].rom && (!ram || vm->mem[i].gpa < ram->gpa))
			ram = &vm->mem[i];
	if (vm->fdt.user_have_addr) {
		/* checked when it was loaded: in ram, aligned, one 2 MiB block, clear of the loads */
		*gpa = vm->fdt.user_addr;
		return 0;
	}
	if (!ram)
		return qerr_set(e, -EINVAL, "no ram for the FDT");
	/* RAM + 128 MiB, else just below the initrd, else the top of RAM */
	const struct qvm_blob *rd = &vm->boot.initrd;
	uint64_t end = ram->gpa + ram->len;
	uint64_t tops[3] = { ram->gpa + FDT_DEFAULT_OFFSET + len, rd->len ? rd->gpa : 0, end };
	for (int i = 0; i < 3; i++) {
		if (tops[i] < ram->gpa + len || tops[i] > end)
			continue;
		*gpa = (tops[i] - len) & ~7ull;
		if ((*gpa / MIB2) != ((*gpa + len - 1) / MIB2))	/* into the 2 MiB block below */
			*gpa = (((*gpa + len - 1) & ~(MIB2 - 1)) - len) & ~7ull;
		if (*gpa >= ram->gpa && !loader_overlap(vm, *gpa, len) &&
				!reserve_overlap(vm, REGION_MEM, *gpa, len))
			return 0;
	}
	return qerr_set(e, -ENOSPC, "no room for the FDT (%llu bytes) in ram 0x%llx-0x%llx "
			"clear of what the loads put there: give more ram", (unsigned long long)len,
			(unsigned long long)ram->gpa, (unsigned long long)(end - 1));
}

int arm64_fdt_setup(struct qvm_vm *vm, struct qerr *e)
{
	int r = vm->fdt.user ? 0 : build(vm, e);
	uint64_t gpa = 0;

	if (!r)
		r = vfdt_finish(vm, e);
	if (r)
		return r;
	uint64_t len = fdt_totalsize(vm->fdt.blob);
	if ((r = place(vm, len, &gpa, e)))
		return r;
	void *dst = vm_gpa_to_hva(vm, gpa, len);
	if (!dst)	/* place() chose inside ram: a bug if not */
		return qerr_set(e, -EFAULT, "the FDT at 0x%llx is not in guest memory",
				(unsigned long long)gpa);
	memcpy(dst, vm->fdt.blob, len);
	vm->boot.fdt = (struct qvm_blob){ gpa, len };
	return 0;
}
