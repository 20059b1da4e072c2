/*
 * vdev wdt-sp805: the ARM PrimeCell SP805 watchdog, 4 KiB of 32-bit
 * registers in memory space. sp805.c models the registers; this file
 * connects the model to qvm: guest accesses, one guest timer, the
 * interrupt line and the watchdog action.
 *
 * Options:
 *   loc ADDR          where the registers are (required)
 *   intr PIC:N        the watchdog interrupt (WDOGINT); without it the
 *                     guest can only poll WdogRIS
 *   action A          what a bite does: [dump,]terminate (the default: qvm
 *                     exits 4), intr or fiq (raise `intr`, which is then required)
 *   frequency HZ      the counter clock, 1..1e9 (default 1000000: 1 MHz, so
 *                     the reset Load of 0xffffffff is about 71 minutes)
 *
 * While INTEN = 1 the counter runs down from Load at `frequency`; each time
 * it reaches 0 it reloads from Load and counts again, and:
 *   - if WdogRIS is clear: RIS is set and the interrupt asserted;
 *   - if RIS is still set (the guest did not write WdogIntClr within a
 *     whole period) and RESEN = 1: the watchdog bites (the `action`), once
 *     until the guest clears RIS;
 *   - if RIS is still set and RESEN = 0: nothing more happens.
 * So a guest that stops servicing the watchdog is caught after two periods
 * (2 * Load / frequency). Writing WdogLoad or WdogIntClr, or setting INTEN,
 * reloads the counter. WdogITCR/WdogITOP (integration test) read 0 and
 * ignore writes: the test mode is not modelled.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include <qvm/guest.h>
#include <qvm/log.h>
#include <qvm/utils.h>
#include <qvm/vdev-core.h>
#include <qvm/wdog.h>

#include "primecell.h"
#include "sp805.h"

#define DEFAULT_FREQ	1000000u
#define MAX_FREQ	1000000000u	/* the timer resolution: 1 ns */

/* Per-instance state (the factory's extra_space). Guarded by v_mtx (VFF_MUTEX). */
struct wdt {
	struct sp805 regs;
	struct wdog_state wdog;
	struct guest_timer *timer;	/* the next expiry of the model */
	uint64_t freq;
};

enum { OPT_ACTION, OPT_FREQUENCY, OPT_NUM_OPTS };

static const char *const wdt_options[OPT_NUM_OPTS + 1] = {
	[OPT_ACTION] = "action",
	[OPT_FREQUENCY] = "frequency",
	[OPT_NUM_OPTS] = NULL,
};

/* The model's clock is guest time, the timeline guest_timer_notify() uses. */
static uint64_t guest_now(const struct wdt *w)
{
	struct guest_timer_data td;

	guest_timer_state(w->timer, &td);
	return td.guest_current;
}

/* Carry out what the model asked for. v_mtx is held. */
static void apply(vdev_t *vdp, struct wdt *w, unsigned act)
{
	uint64_t deadline;

	if ((act & SP805_ARM) && sp805_deadline(&w->regs, &deadline)) {
		vdev_logf(QL_QVM_DEBUG, vdp, "next expiry at guest time %" PRIu64 " ns",
				deadline);
		guest_timer_notify(w->timer, GUEST_TIMER_ABSOLUTE, deadline);
	} else if (act & SP805_CANCEL) {
		guest_timer_notify(w->timer, NULL, 0);
	}
	if (act & (SP805_IRQ_ON | SP805_IRQ_OFF)) {
		bool on = act & SP805_IRQ_ON;
		vdev_logf(QL_QVM_DEBUG, vdp, "interrupt %s%s", on ? "raised" : "cleared",
				vdp->v_intr.pic ? "" : " (no `intr`: not signalled)");
		if (vdp->v_intr.pic)
			guest_intr_signal(&vdp->v_intr, on ? GIS_ON : GIS_OFF);
	}
	if (act & SP805_BITE)
		wdog_bite(&w->wdog);	/* it logs the bite itself */
}

static int wdt_control(vdev_t *vdp, unsigned ctrl, const char *arg)
{
	struct wdt *w = vdp->v_device;
	uint64_t v;

	switch (ctrl) {
	case VDEV_CTRL_OPTIONS_START:
		vdp->v_block.location = QSL_NO_LOCATION;
		vdp->v_block.length = SP805_SIZE;
		w->wdog.ws_vdev = vdp;
		w->wdog.ws_action = WDOG_ACTION_TERMINATE;
		w->freq = DEFAULT_FREQ;
		break;
	case VDEV_CTRL_FIRST_OPTIDX + OPT_ACTION:
		if (wdog_parse_action(&w->wdog, arg) != 0)
			qvm_fatal(QLS_CNF, "action '%s': expected [dump,]terminate|intr|fiq",
					arg);
		break;
	case VDEV_CTRL_FIRST_OPTIDX + OPT_FREQUENCY:
		/* An invalid number already ends qvm inside qvm_parse_num. */
		if (qvm_parse_num(arg, QPNF_ALLOW_SUFFIXES | QPNF_SIZE_CHECK, &v) == NULL ||
		    v < 1 || v > MAX_FREQ)
			qvm_fatal(QLS_CNF, "frequency '%s': expected 1..%u Hz", arg,
					MAX_FREQ);
		w->freq = v;
		break;
	case VDEV_CTRL_OPTIONS_END: {
		uint64_t res;
		unsigned action = w->wdog.ws_action & WDOG_ACTION_MASK;

		if (vdp->v_block.location == QSL_NO_LOCATION)
			qvm_fatal(QLS_CNF, "no location given (use `loc ADDR`)");
		if ((action == WDOG_ACTION_INTR || action == WDOG_ACTION_FIQ) && !vdp->v_intr.pic)
			qvm_fatal(QLS_CNF, "action intr needs an `intr` option");
		w->timer = guest_timer_create(NULL, vdp, NULL, &res);
		if (!w->timer)
			qvm_fatal(QLS_QVM, "guest_timer_create: %s", strerror((int)res));
		sp805_init(&w->regs, w->freq);
		vdev_logf(QL_QVM_DEBUG, vdp, "at 0x%" PRIx64 ", %" PRIu64 " Hz",
				vdp->v_block.location, w->freq);
		break;
	}
	case VDEV_CTRL_GEN_FDT:
		/* arm64: the binding Linux's sp805_wdt binds to (arm,sp805.yaml) */
		primecell_gen_fdt(vdp, arg, "watchdog", "arm,sp805", (unsigned)w->freq, "wdog_clk");
		break;
	default:
		break;
	}
	return 0;
}

static vdev_ref_status_t wdt_vread(vdev_t *vdp, unsigned cookie,
		const struct qvm_state_block *vopnd, const struct qvm_state_block *oopnd,
		struct guest_cpu *gcp)
{
	struct wdt *w = vdp->v_device;
	uint32_t off = (uint32_t)(vopnd->location - vdp->v_block.location);
	uint32_t val = sp805_read(&w->regs, off, guest_now(w));

	(void)cookie;
	guest_cpu_write(gcp, GXF_NONE, oopnd, 1, &val, sizeof(val));
	return VRS_NORMAL;
}

static vdev_ref_status_t wdt_vwrite(vdev_t *vdp, unsigned cookie,
		const struct qvm_state_block *vopnd, const struct qvm_state_block *oopnd,
		struct guest_cpu *gcp)
{
	struct wdt *w = vdp->v_device;
	uint32_t off = (uint32_t)(vopnd->location - vdp->v_block.location);
	uint32_t val = 0;

	(void)cookie;
	guest_cpu_read(gcp, GXF_NONE, oopnd, 1, &val, sizeof(val));
	apply(vdp, w, sp805_write(&w->regs, off, val, guest_now(w)));
	return VRS_NORMAL;
}

/* The model's deadline passed (or a write moved it just as it fired: the model copes). */
static void wdt_timer(vdev_t *vdp, void *data, const struct guest_timer_data *tdp,
		struct guest_cpu *gcp)
{
	struct wdt *w = vdp->v_device;

	(void)data;
	(void)gcp;
	apply(vdp, w, sp805_expire(&w->regs, tdp->guest_current));
}

static struct vdev_factory wdt_factory = {
	.control = wdt_control,
	.vread = wdt_vread,
	.vwrite = wdt_vwrite,
	.timer = wdt_timer,
	.option_list = wdt_options,
	.name = NULL,		/* "wdt-sp805", after vdev-wdt-sp805.so */
	.factory_flags = VFF_VDEV_MEM | VFF_MUTEX,
	.acc_sizes = 1u << 4,	/* 32-bit registers only */
	.extra_space = sizeof(struct wdt),
	.safety = VDEV_SAFETY_SELECTED,
};

static void __attribute__((constructor)) wdt_register(void)
{
	vdev_register_factory(&wdt_factory, QVM_VDEV_ABI);
}
