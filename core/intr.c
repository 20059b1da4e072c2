/*
 * Interrupts from vdevs. The VM's interrupt controllers live in the kernel
 * (KVM's irqchip); each appears to vdevs as a vdev_t of its own so that
 * guest_intr_t.pic says which controller a line belongs to and is NULL
 * when a vdev has no `intr`.
 */
#include <errno.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include <qvm/guest.h>
#include <qvm/utils.h>

#include "number.h"
#include "vm.h"

struct pic_alias {
	char name[64];
	unsigned pic;
};

/* Built-in controllers have no callbacks: qvm drives them through KVM. */
static struct vdev_factory builtin_pic = { .name = "built-in interrupt controller" };

int intr_init(struct qvm_vm *vm, struct qerr *e)
{
	unsigned n;
	const struct arch_pic *pics = arch_pics(&n);

	vm->pics = calloc(n, sizeof(*vm->pics));
	if (!vm->pics)
		return qerr_set(e, -ENOMEM, "out of memory");
	vm->npics = n;
	for (unsigned i = 0; i < n; i++) {
		struct qvm_vdev *p = &vm->pics[i];
		p->vm = vm;
		p->factory = &builtin_pic;
		p->pub.v_factory = &builtin_pic;
		p->type = pics[i].name;
		p->pub.v_block.location = QSL_NO_LOCATION;
		snprintf(p->name, sizeof(p->name), "%s", pics[i].name);
	}
	return 0;
}

void intr_destroy(struct qvm_vm *vm)
{
	free(vm->pic_aliases);
	vm->pic_aliases = NULL;
	vm->npic_aliases = 0;
	free(vm->pics);
	vm->pics = NULL;
	vm->npics = 0;
}

/* The built-in controller called name[0, len) (its own name or an alias), or -1. */
static int pic_named(struct qvm_vm *vm, const char *name, size_t len)
{
	unsigned n;
	const struct arch_pic *pics = arch_pics(&n);

	for (unsigned i = 0; i < vm->npics; i++)
		if (strlen(pics[i].name) == len && strncmp(name, pics[i].name, len) == 0)
			return (int)i;
	for (unsigned i = 0; i < vm->npic_aliases; i++)
		if (strlen(vm->pic_aliases[i].name) == len &&
				strncmp(name, vm->pic_aliases[i].name, len) == 0)
			return (int)vm->pic_aliases[i].pic;
	return -1;
}

int intr_add_alias(struct qvm_vm *vm, const char *pic, const char *alias)
{
	int p = pic_named(vm, pic, strlen(pic)), had = pic_named(vm, alias, strlen(alias));

	if (p < 0)
		return -EINVAL;
	if (had >= 0)
		return had == p ? 0 : -EEXIST;
	struct pic_alias *a = realloc(vm->pic_aliases, (vm->npic_aliases + 1) * sizeof(*a));
	if (!a)
		return -ENOMEM;
	vm->pic_aliases = a;
	snprintf(a[vm->npic_aliases].name, sizeof(a->name), "%s", alias);
	a[vm->npic_aliases++].pic = (unsigned)p;
	return 0;
}

void intr_vdev_named(vdev_t *vdp, const char *pic)
{
	struct qvm_vdev *d = vdev_of(vdp);

	if (strcmp(d->name, d->type) == 0)
		return;	/* no name given */
	int r = intr_add_alias(d->vm, pic, d->name);
	if (r)
		qvm_fatal(QLS_CNF, "name '%s': %s", d->name, r == -EEXIST ?
				"another interrupt controller has it" : strerror(-r));
}

int intr_parse(struct qvm_vm *vm, const char *s, guest_intr_t *out, const char **end,
		struct qerr *e)
{
	const char *colon = s ? strchr(s, ':') : NULL;
	unsigned n;
	const struct arch_pic *pics = arch_pics(&n);
	char names[256] = "";
	uint64_t line;

	for (unsigned i = 0; i < n; i++)
		snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s",
				i ? ", " : "", pics[i].name);
	for (unsigned i = 0; vm && i < vm->npic_aliases; i++)
		snprintf(names + strlen(names), sizeof(names) - strlen(names), ", %s",
				vm->pic_aliases[i].name);
	if (!colon || !vm)
		return qerr_set(e, -EINVAL, "expected PIC:LINE (this VM has %s)", names);
	int i = pic_named(vm, s, (size_t)(colon - s));
	if (i >= 0) {
		if (number_parse(colon + 1, QPNF_ALLOW_TRAILING, &line, end))
			return qerr_set(e, -EINVAL, "malformed line number '%s'", colon + 1);
		if (line < pics[i].first || line >= pics[i].lines)
			return qerr_set(e, -ERANGE, "%s has lines %u to %u%s", pics[i].name,
					pics[i].first, pics[i].lines - 1, pics[i].first ?
					" (the ones below are private to each vCPU)" : "");
		*out = (guest_intr_t){ .pic = &vm->pics[i].pub, .param = (unsigned)line };
		return 0;
	}
	return qerr_set(e, -EINVAL, "no interrupt controller '%.*s' (this VM has %s)",
			(int)(colon - s), s, names);
}

int guest_intr_signal(guest_intr_t *gip, guest_intr_state_t gis)
{
	struct qvm_vdev *pic;
	struct qvm_vm *vm;

	if (!gip || !gip->pic)
		return EINVAL;
	pic = vdev_of(gip->pic);
	vm = pic->vm;
	if (pic->factory != &builtin_pic)
		return ENOTSUP;	/* interrupt-controller vdevs are not supported yet */
	if (vm_phase(vm) == QVM_PHASE_STARTUP)
		return api_violation(vm, vdev_running ? &vdev_running->pub : NULL,
				"guest_intr_signal()", "may only be called after VDEV_CTRL_GUEST_CONFIGURED");
	if (!(gis & (GIS_ON | GIS_OFF)))
		return 0;	/* GIS_NOP, or GIS_ISR asking: any thread may signal */
	if ((gis & GIS_ON) && (gis & GIS_OFF))
		return EINVAL;
	return -arch_irq_line(vm, (unsigned)(pic - vm->pics), gip->param, (gis & GIS_ON) ? 1 : 0);
}

int guest_msi_signal(const vdev_t *src, uint64_t addr, unsigned data)
{
	struct qvm_vm *vm = src ? vdev_of(src)->vm : vm_current();
	struct kvm_msi msi = { .address_lo = (uint32_t)addr, .address_hi = (uint32_t)(addr >> 32),
		.data = data };

	if (!vm)
		return EINVAL;
	if (vm_phase(vm) == QVM_PHASE_STARTUP)
		return api_violation(vm, src ? src : vdev_running ? &vdev_running->pub : NULL,
				"guest_msi_signal()", "may only be called after VDEV_CTRL_GUEST_CONFIGURED");
	/* 1: delivered, 0: the guest blocked it (its own business); errors are ours */
	if (ioctl(vm->vm_fd, KVM_SIGNAL_MSI, &msi) >= 0)
		return EOK;
	int err = errno;
	if (!atomic_exchange(&vm->msi_warned, true))
		vm_log(vm, QL_QVM_WARN, "guest_msi_signal(): KVM delivers no MSI to this guest (%s): "
				"address 0x%llx data 0x%x dropped, and any after it", strerror(err),
				(unsigned long long)addr, data);
	return err;
}
