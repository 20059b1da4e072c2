/* qvm/wdog.h: what every watchdog vdev does when it bites. */
#include <errno.h>
#include <string.h>

#include <qvm/guest.h>
#include <qvm/log.h>
#include <qvm/wdog.h>

#include "dump.h"
#include "vm.h"

int wdog_parse_action(struct wdog_state *wds, const char *arg)
{
	unsigned action = 0, flags = 0;

	for (const char *p = arg; p && *p;) {
		size_t n = strcspn(p, ",");
		if (n == 4 && strncmp(p, "dump", 4) == 0)
			flags |= WDOG_FLAG_DUMP;
		else if (action)
			return EINVAL;	/* one action only */
		else if (n == 9 && strncmp(p, "terminate", 9) == 0)
			action = WDOG_ACTION_TERMINATE;
		else if (n == 4 && strncmp(p, "intr", 4) == 0)
			action = WDOG_ACTION_INTR;
		else if (n == 3 && strncmp(p, "fiq", 3) == 0)
			action = WDOG_ACTION_FIQ;
		else
			return EINVAL;
		p += n;
		if (*p == ',')
			p++;
	}
	if (!action)
		return EINVAL;
	wds->ws_action = action | flags;
	return 0;
}

void wdog_bite(struct wdog_state *wds)
{
	vdev_t *vdp = wds->ws_vdev;
	struct qvm_vm *vm = vdp ? vdev_of(vdp)->vm : vm_current();
	unsigned action = wds->ws_action & WDOG_ACTION_MASK;

	wds->ws_bites++;
	vdev_logf(QL_QVM_ERR, vdp, "the watchdog bit (%s%s)",
			wds->ws_action & WDOG_FLAG_DUMP ? "dump, " : "",
			action == WDOG_ACTION_INTR ? "interrupt" : action == WDOG_ACTION_FIQ ? "fiq" :
			"terminate");
	if ((wds->ws_action & WDOG_FLAG_DUMP) && vm)
		vm_dump(vm, "watchdog");
	switch (action) {
	case WDOG_ACTION_INTR:
	case WDOG_ACTION_FIQ:
		if (!vdp || guest_intr_signal(&vdp->v_intr, GIS_ON) != 0) {
			vdev_logf(QL_QVM_ERR, vdp, "cannot raise the watchdog interrupt: terminating");
			guest_terminate(GTC_WATCHDOG);
		}
		break;
	default:
		guest_terminate(GTC_WATCHDOG);
		break;
	}
}
