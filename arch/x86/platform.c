/*
 * The PC's platform devices by the vendor's vdev names, mapped onto what
 * KVM has in the kernel, so that a configuration written for the vendor's
 * qvm runs unchanged:
 *
 *   vdev ioapic [loc ADDR] [intr apic] [hostvector N] [name NAME]
 *	the in-kernel IOAPIC, always there (an implicit vdev). KVM's sits
 *	at 0xfec00000 and cannot move: another loc is reported and the
 *	guest finds it where it is, through the MADT. NAME is another name
 *	for it in `intr NAME:N`.
 *   vdev 8259 [loc io:0x20|io:0xa0] [name NAME]
 *	the in-kernel master and slave 8259s, always there.
 *   vdev timer8254 [loc io:0x40] [intr PIC:0]
 *	the in-kernel 8254 PIT (KVM_CREATE_PIT2) with its speaker port
 *	(0x61); without this vdev there is none. It raises IRQ 0.
 *   vdev hpet [loc ADDR] [intr PIC:N[,PIC:N...]] [frequency HZ] [legacy-free]
 *	accepted and checked; KVM has no HPET in the kernel and qvm emulates
 *	none yet, so the guest is given none (a warning says so).
 *
 * hostvector (a common option of PIC vdevs, core/vdev.c) and host
 * interrupts concern pass-through on the vendor's hypervisor; there is
 * none here, so hostvector is accepted with a warning.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <qvm/acpi.h>
#include <qvm/log.h>
#include <qvm/utils.h>
#include <qvm/vdev-core.h>

#include "vm.h"
#include "x86.h"

#define PIT_PORT	0x40
#define PIT_SPEAKER	0x61
#define HPET_BASE	0xfed00000ull

static struct qvm_vm *vm_of(vdev_t *vdp)
{
	return vdev_of(vdp)->vm;
}

/* ---- ioapic ---- */

enum { IOAPIC_INTR };
static const char *const ioapic_options[] = { "intr", NULL };

static int ioapic_control(vdev_t *vdp, unsigned ctrl, const char *arg)
{
	struct arch_vm *a = &vm_of(vdp)->arch;

	switch (ctrl) {
	case VDEV_CTRL_OPTIONS_START:
		if (a->ioapic_given)
			qvm_fatal(QLS_CNF, "KVM has one IOAPIC; give its options in one "
					"`vdev ioapic`");
		a->ioapic_given = true;
		vdp->v_block.location = IOAPIC_DEFAULT_BASE;
		vdp->v_block.length = IOAPIC_LEN;
		break;
	case VDEV_CTRL_FIRST_OPTIDX + IOAPIC_INTR:
		if (strcmp(arg, "apic") != 0)
			qvm_fatal(QLS_CNF, "intr '%s': an IOAPIC signals the local APICs: "
					"`intr apic`", arg);
		break;
	case VDEV_CTRL_OPTIONS_END:
		if (vdp->v_block.location != IOAPIC_DEFAULT_BASE)
			vdev_logf(QL_QVM_WARN, vdp, "ioapic: loc 0x%llx: KVM's in-kernel IOAPIC is "
					"fixed at 0x%llx, where the guest finds it through the ACPI MADT",
					(unsigned long long)vdp->v_block.location, IOAPIC_DEFAULT_BASE);
		intr_vdev_named(vdp, "ioapic");
		break;
	default:
		break;
	}
	return 0;
}

static struct vdev_factory ioapic_factory = {
	.name = "ioapic",
	.control = ioapic_control,
	.option_list = ioapic_options,
	/* registers in the kernel: no region; its `intr` is its own option */
	.factory_flags = VFF_VDEV_MEM | VFF_MANUAL_REGION,
	.acc_sizes = 1u << 4,
	.safety = VDEV_SAFETY_SELECTED,
};

/* ---- 8259 ---- */

static int i8259_control(vdev_t *vdp, unsigned ctrl, const char *arg)
{
	struct arch_vm *a = &vm_of(vdp)->arch;

	(void)arg;
	switch (ctrl) {
	case VDEV_CTRL_OPTIONS_START:
		vdp->v_block.location = 0x20;
		vdp->v_block.length = 2;
		break;
	case VDEV_CTRL_OPTIONS_END: {
		uint64_t loc = vdp->v_block.location;
		unsigned which = loc == 0xa0;
		if (loc != 0x20 && loc != 0xa0)
			qvm_fatal(QLS_CNF, "loc io:0x%llx: KVM's in-kernel 8259s are at "
					"io:0x20 and io:0xa0", (unsigned long long)loc);
		if (a->i8259_given & (1u << which))
			qvm_fatal(QLS_CNF, "loc io:0x%llx: given twice",
					(unsigned long long)loc);
		a->i8259_given |= 1u << which;
		intr_vdev_named(vdp, "8259");
		break;
	}
	default:
		break;
	}
	return 0;
}

static struct vdev_factory i8259_factory = {
	.name = "8259",
	.control = i8259_control,
	.factory_flags = VFF_VDEV_X86_IO | VFF_MANUAL_REGION | VFF_INTR_NO,
	.acc_sizes = 1u << 1,
	.safety = VDEV_SAFETY_SELECTED,
};

/* ---- timer8254 ---- */

static int pit_control(vdev_t *vdp, unsigned ctrl, const char *arg)
{
	struct arch_vm *a = &vm_of(vdp)->arch;

	(void)arg;
	switch (ctrl) {
	case VDEV_CTRL_OPTIONS_START:
		if (a->pit)
			qvm_fatal(QLS_CNF, "KVM has one 8254; give its options in one "
					"`vdev timer8254`");
		a->pit = true;
		vdp->v_block.location = PIT_PORT;
		vdp->v_block.length = 4;
		break;
	case VDEV_CTRL_OPTIONS_END:
		if (vdp->v_block.location != PIT_PORT || vdp->v_block.qst_type != QST_X86_IO)
			qvm_fatal(QLS_CNF, "loc 0x%llx: KVM's in-kernel 8254 is at "
					"io:0x40", (unsigned long long)vdp->v_block.location);
		if (vdp->v_intr.pic && vdp->v_intr.param != 0)
			qvm_fatal(QLS_CNF, "intr line %u: KVM's in-kernel 8254 raises "
					"IRQ 0 (give PIC:0)", vdp->v_intr.param);
		break;
	case VDEV_CTRL_GEN_ACPI:
		acpi_describe_vdev(vdp, "TMR", "PNP0100", 0);
		break;
	default:
		break;
	}
	return 0;
}

static struct vdev_factory pit_factory = {
	.name = "timer8254",
	.control = pit_control,
	.factory_flags = VFF_VDEV_X86_IO | VFF_MANUAL_REGION,
	.acc_sizes = 1u << 1,
	.safety = VDEV_SAFETY_SELECTED,
};

/* ---- hpet ---- */

enum { HPET_INTR, HPET_INTRMAP, HPET_FREQUENCY, HPET_LEGACY_FREE };
static const char *const hpet_options[] = {
	"intr", "intrmap", "frequency", QVM_OPTION_NO_ARG_PREFIX "legacy-free", NULL,
};

/* Each PIC:N of a comma-separated list must name a line of a controller. */
static void check_intr_list(vdev_t *vdp, const char *opt, const char *list)
{
	struct qvm_vm *vm = vm_of(vdp);
	char item[128];

	for (const char *p = list;;) {
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);
		guest_intr_t gi;
		const char *end = "";
		struct qerr e;
		snprintf(item, sizeof(item), "%.*s", (int)(n < sizeof(item) ? n : sizeof(item) - 1), p);
		if (!n)
			qvm_fatal(QLS_CNF, "%s '%s': an empty entry", opt, list);
		if (intr_parse(vm, item, &gi, &end, &e))
			qvm_fatal(QLS_CNF, "%s '%s': '%s': %s", opt, list, item, e.msg);
		if (*end)
			qvm_fatal(QLS_CNF, "%s '%s': '%s': trailing characters '%s'", opt,
					list, item, end);
		if (!comma)
			break;
		p = comma + 1;
	}
}

static int hpet_control(vdev_t *vdp, unsigned ctrl, const char *arg)
{
	uint64_t v;

	switch (ctrl) {
	case VDEV_CTRL_OPTIONS_START:
		vdp->v_block.location = HPET_BASE;
		vdp->v_block.length = 0x400;
		break;
	case VDEV_CTRL_FIRST_OPTIDX + HPET_INTR:
	case VDEV_CTRL_FIRST_OPTIDX + HPET_INTRMAP:
		check_intr_list(vdp, ctrl == VDEV_CTRL_FIRST_OPTIDX + HPET_INTR ? "intr" : "intrmap",
				arg);
		break;
	case VDEV_CTRL_FIRST_OPTIDX + HPET_FREQUENCY: {
		const char *end = qvm_parse_num(arg, QPNF_ALLOW_SUFFIXES, &v);
		if (!end || *end || v == 0 || v > 1000000000)
			qvm_fatal(QLS_CNF, "frequency '%s': expected 1 Hz to 1 GHz", arg);
		break;
	}
	case VDEV_CTRL_OPTIONS_END:
		vdev_logf(QL_QVM_WARN, vdp, "hpet: KVM has no HPET in the kernel and qvm emulates "
				"none yet: the guest has no HPET (its clocks are the PIT, the local "
				"APIC timers and the TSC)");
		break;
	default:
		break;
	}
	return 0;
}

static struct vdev_factory hpet_factory = {
	.name = "hpet",
	.control = hpet_control,
	.option_list = hpet_options,
	.factory_flags = VFF_VDEV_MEM | VFF_MANUAL_REGION,
	.acc_sizes = 1u << 4 | 1u << 8,
	.safety = VDEV_SAFETY_SELECTED,
};

static void __attribute__((constructor)) platform_register(void)
{
	vdev_register_factory(&ioapic_factory, QVM_VDEV_ABI);
	vdev_register_factory(&i8259_factory, QVM_VDEV_ABI);
	vdev_register_factory(&pit_factory, QVM_VDEV_ABI);
	vdev_register_factory(&hpet_factory, QVM_VDEV_ABI);
}
