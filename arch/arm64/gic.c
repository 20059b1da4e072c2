/*
 * The interrupt controller: KVM's in-kernel vGIC (v3 by default, v2 on
 * request), an implicit vdev as on the vendor's qvm: present without being
 * named, `vdev gic` only changes its options. Its registers are the
 * kernel's, so qvm maps no region for it: arch_range_owner() reports its
 * ranges so nothing else is placed there.
 *
 *   vdev gic [version 2|3] [loc ADDR] [gicr ADDR] [gicc ADDR] [name NAME]
 *
 * loc is the distributor (64 KiB; 4 KiB for v2); gicr [ours] the v3
 * redistributors (128 KiB per vCPU), gicc [ours] the v2 CPU interface
 * (8 KiB). The defaults are QEMU virt's. SPIs are `intr gic:N` with N the
 * interrupt ID (32 to 991, as the vendor writes them); KVM is given all
 * the IDs it takes (GIC_MAX_IRQS), since a vdev may signal lines
 * (qvm_parse_intr) that no `intr` option names. NAME is another name for
 * it in `intr NAME:N`.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <qvm/log.h>
#include <qvm/utils.h>
#include <qvm/vdev-core.h>

#include "gic.h"
#include "vm.h"

#define GIC_DIST_BASE	0x08000000ull
#define GIC_CPU_BASE	0x08010000ull	/* v2 */
#define GIC_REDIST_BASE	0x080a0000ull	/* v3 */
#define GIC_V3_DIST_SIZE	0x10000ull
#define GIC_V2_DIST_SIZE	0x1000ull
#define GIC_V2_CPU_SIZE		0x2000ull
#define GIC_V3_REDIST_SIZE	0x20000ull	/* per vCPU: RD_base and SGI_base frames */

unsigned gic_version(const struct qvm_vm *vm)
{
	return vm->arch.gic.version ? vm->arch.gic.version : 3;
}

int gic_ranges(const struct qvm_vm *vm, struct gic_range r[2])
{
	const struct arch_gic *g = &vm->arch.gic;
	unsigned v = gic_version(vm), ncpus = vm->ncpus ? vm->ncpus : 1;

	r[0] = (struct gic_range){ g->dist_given ? g->dist : GIC_DIST_BASE,
		v == 3 ? GIC_V3_DIST_SIZE : GIC_V2_DIST_SIZE, "gic distributor" };
	if (v == 3)
		r[1] = (struct gic_range){ g->cpu_given ? g->cpu : GIC_REDIST_BASE,
			GIC_V3_REDIST_SIZE * ncpus, "gic redistributors" };
	else
		r[1] = (struct gic_range){ g->cpu_given ? g->cpu : GIC_CPU_BASE,
			GIC_V2_CPU_SIZE, "gic cpu interface" };
	return 2;
}

const char *gic_owner(const struct qvm_vm *vm, uint64_t base, uint64_t len)
{
	struct gic_range r[2];
	int n = gic_ranges(vm, r);

	for (int i = 0; i < n; i++)
		if (base < r[i].base + r[i].len && r[i].base < base + len)
			return r[i].name;
	return NULL;
}

/* ---- `vdev gic`: the options of the implicit controller ---- */

enum { OPT_VERSION, OPT_GICR, OPT_GICC, OPT_N };
static const char *const gic_options[OPT_N + 1] = {
	[OPT_VERSION] = "version", [OPT_GICR] = "gicr", [OPT_GICC] = "gicc", [OPT_N] = NULL,
};

static uint64_t parse_addr(const char *opt, const char *arg)
{
	uint64_t v = 0;
	const char *end = qvm_parse_num(arg, QPNF_ALLOW_SUFFIXES, &v);

	if (!end || *end || (v & 0xffff))
		qvm_fatal(QLS_CNF, "%s '%s': expected an address aligned to 64 KiB", opt, arg);
	return v;
}

static int gic_control(vdev_t *vdp, unsigned ctrl, const char *arg)
{
	struct qvm_vm *vm = vdev_of(vdp)->vm;
	struct arch_gic *g = &vm->arch.gic;

	switch (ctrl) {
	case VDEV_CTRL_OPTIONS_START:
		if (g->configured)
			qvm_fatal(QLS_CNF, "a VM has one interrupt controller; "
					"give its options in one `vdev gic`");
		g->configured = true;
		break;
	case VDEV_CTRL_FIRST_OPTIDX + OPT_VERSION:
		if (strcmp(arg, "2") && strcmp(arg, "3"))
			qvm_fatal(QLS_CNF, "version '%s': expected 2 or 3", arg);
		g->version = (unsigned)(arg[0] - '0');
		break;
	case VDEV_CTRL_FIRST_OPTIDX + OPT_GICR:
	case VDEV_CTRL_FIRST_OPTIDX + OPT_GICC:
		g->gicr_given = ctrl == VDEV_CTRL_FIRST_OPTIDX + OPT_GICR;
		g->cpu = parse_addr(g->gicr_given ? "gicr" : "gicc", arg);
		g->cpu_given = true;
		break;
	case VDEV_CTRL_OPTIONS_END:
		if (g->cpu_given && (g->gicr_given ? gic_version(vm) != 3 : gic_version(vm) != 2))
			qvm_fatal(QLS_CNF, "%s is for version %s (this gic is version %u)",
					g->gicr_given ? "gicr" : "gicc", g->gicr_given ? "3" : "2",
					gic_version(vm));
		if (vdp->v_block.location != QSL_NO_LOCATION) {
			if (vdp->v_block.location & 0xfff)
				qvm_fatal(QLS_CNF, "loc 0x%llx: the distributor must be "
						"aligned to 4 KiB (64 KiB for version 3)",
						(unsigned long long)vdp->v_block.location);
			g->dist = vdp->v_block.location;
			g->dist_given = true;
		}
		if (g->dist_given && gic_version(vm) == 3 && (g->dist & 0xffff))
			qvm_fatal(QLS_CNF, "loc 0x%llx: a version 3 distributor must be "
					"aligned to 64 KiB", (unsigned long long)g->dist);
		intr_vdev_named(vdp, "gic");
		break;
	default:
		break;
	}
	return 0;
}

static struct vdev_factory gic_factory = {
	.name = "gic",
	.control = gic_control,
	.option_list = gic_options,
	/* registers in the kernel: no region, no interrupt of its own */
	.factory_flags = VFF_VDEV_MEM | VFF_INTR_NO | VFF_MANUAL_REGION,
	.acc_sizes = 1u << 4,
	.safety = VDEV_SAFETY_SELECTED,
};

static void __attribute__((constructor)) gic_register(void)
{
	vdev_register_factory(&gic_factory, QVM_VDEV_ABI);
}

/* ---- the vGIC in KVM ---- */

int gic_check(struct qvm_vm *vm, struct qerr *e)
{
	struct gic_range r[2];
	int n = gic_ranges(vm, r);

	if (r[0].base < r[1].base + r[1].len && r[1].base < r[0].base + r[0].len)
		return qerr_set(e, -EEXIST, "the gic distributor at 0x%llx overlaps the %s at 0x%llx "
				"(move one with `vdev gic`)", (unsigned long long)r[0].base, r[1].name + 4,
				(unsigned long long)r[1].base);
	for (int i = 0; i < n; i++) {
		const struct qvm_mem *m = NULL;
		for (unsigned k = 0; k < vm->nmem && !m; k++)
			if (r[i].base < vm->mem[k].gpa + vm->mem[k].len && vm->mem[k].gpa < r[i].base + r[i].len)
				m = &vm->mem[k];
		const struct qvm_region *o = region_find_overlap(&vm->regions, REGION_MEM,
				r[i].base, r[i].len);
		const char *owner = m ? (m->rom ? "rom" : "ram") : o && o->vdev ? o->vdev->name : NULL;
		if (owner)
			return qerr_set(e, -EEXIST, "the %s at 0x%llx-0x%llx overlaps %s (move it with "
					"`vdev gic`)", r[i].name, (unsigned long long)r[i].base,
					(unsigned long long)(r[i].base + r[i].len - 1), owner);
	}
	if (gic_version(vm) == 2 && vm->ncpus > 8)
		return qerr_set(e, -EINVAL, "vdev gic version 2 serves at most 8 vCPUs (this VM has %u)",
				vm->ncpus);
	return 0;
}

static int set_attr(int fd, uint32_t group, uint64_t attr, void *val, const char *what,
		struct qerr *e)
{
	struct kvm_device_attr a = { .group = group, .attr = attr, .addr = (uintptr_t)val };

	if (ioctl(fd, KVM_SET_DEVICE_ATTR, &a) < 0)
		return qerr_set(e, -errno, "vgic: cannot set %s: %s", what, strerror(errno));
	return 0;
}

int gic_create(struct qvm_vm *vm, struct qerr *e)
{
	struct arch_gic *g = &vm->arch.gic;
	unsigned v = gic_version(vm);
	struct kvm_create_device cd = {
		.type = v == 3 ? KVM_DEV_TYPE_ARM_VGIC_V3 : KVM_DEV_TYPE_ARM_VGIC_V2,
	};
	struct gic_range r[2];
	int rc;

	if (ioctl(vm->vm_fd, KVM_CREATE_DEVICE, &cd) < 0)
		return qerr_set(e, -errno, "KVM cannot make a GIC version %u here: %s (try "
				"`vdev gic version %u`)", v, strerror(errno), v == 2 ? 3 : 2);
	g->fd = (int)cd.fd;
	gic_ranges(vm, r);
	rc = set_attr(g->fd, KVM_DEV_ARM_VGIC_GRP_ADDR,
			v == 3 ? KVM_VGIC_V3_ADDR_TYPE_DIST : KVM_VGIC_V2_ADDR_TYPE_DIST,
			&r[0].base, "the distributor address", e);
	if (!rc)
		rc = set_attr(g->fd, KVM_DEV_ARM_VGIC_GRP_ADDR,
				v == 3 ? KVM_VGIC_V3_ADDR_TYPE_REDIST : KVM_VGIC_V2_ADDR_TYPE_CPU,
				&r[1].base, v == 3 ? "the redistributor address" :
				"the CPU interface address", e);
	uint32_t nirqs = GIC_MAX_IRQS;
	if (!rc)
		rc = set_attr(g->fd, KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0, &nirqs, "the IRQ count", e);
	return rc;
}

int gic_init(struct qvm_vm *vm, struct qerr *e)
{
	return set_attr(vm->arch.gic.fd, KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_CTRL_INIT,
			NULL, "CTRL_INIT (every vCPU made)", e);
}

void gic_destroy(struct qvm_vm *vm)
{
	if (vm->arch.gic.fd > 0)
		close(vm->arch.gic.fd);
	vm->arch.gic.fd = -1;
}

int gic_irq_line(struct qvm_vm *vm, unsigned intid, int level)
{
	struct kvm_irq_level irq = {
		.irq = (KVM_ARM_IRQ_TYPE_SPI << KVM_ARM_IRQ_TYPE_SHIFT) | (intid & KVM_ARM_IRQ_NUM_MASK),
		.level = (uint32_t)level,
	};

	if (intid < 32 || intid >= GIC_MAX_IRQS)
		return -EINVAL;
	return ioctl(vm->vm_fd, KVM_IRQ_LINE, &irq) < 0 ? -errno : 0;
}

int gic_fdt_interrupt(unsigned intid, uint32_t *cells, size_t max)
{
	if (max < 3 || intid < 16 || intid >= GIC_MAX_IRQS)
		return -EINVAL;
	/* <type number flags>: SPI 0 / PPI 1, numbered from 32 / 16; level high */
	cells[0] = intid >= 32 ? 0 : 1;
	cells[1] = intid >= 32 ? intid - 32 : intid - 16;
	cells[2] = 4;
	return 3;
}
