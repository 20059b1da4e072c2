/*
 * Interrupts from vdevs. The VM's interrupt controllers live in the kernel
 * (KVM's irqchip); each appears to vdevs as a vdev_t of its own so that
 * guest_intr_t.pic says which controller a line belongs to and is NULL
 * when a vdev has no `intr`.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <qvm/guest.h>
#include <qvm/utils.h>

#include "number.h"
#include "vm.h"

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
	free(vm->pics);
	vm->pics = NULL;
	vm->npics = 0;
}

int intr_parse(struct qvm_vm *vm, const char *s, guest_intr_t *out, const char **end,
		struct qerr *e)
{
	const char *colon = s ? strchr(s, ':') : NULL;
	unsigned n;
	const struct arch_pic *pics = arch_pics(&n);
	char names[128] = "";
	uint64_t line;

	for (unsigned i = 0; i < n; i++)
		snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s",
				i ? ", " : "", pics[i].name);
	if (!colon || !vm)
		return qerr_set(e, -EINVAL, "expected PIC:LINE (this VM has %s)", names);
	for (unsigned i = 0; i < vm->npics; i++) {
		if (strlen(pics[i].name) != (size_t)(colon - s) || strncmp(s, pics[i].name, colon - s))
			continue;
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
