/*
 * qvm/wdog.h - what watchdog vdevs share: the action taken when the guest
 * stops servicing the watchdog ("the watchdog bites").
 *
 * A watchdog vdev keeps a struct wdog_state in its instance data, fills it
 * from its `action [dump,]terminate|intr|fiq` option with wdog_parse_action(),
 * and calls wdog_bite() when its timer expires.
 */
#ifndef QVM_WDOG_H
#define QVM_WDOG_H

#include <qvm/types.h>

#ifdef __cplusplus
extern "C" {
#endif

enum {
	WDOG_ACTION_TERMINATE = 0x1,	/* end the guest: qvm exits 4 (GTC_WATCHDOG) */
	WDOG_ACTION_INTR = 0x2,		/* raise the vdev's interrupt (v_intr) */
	WDOG_ACTION_FIQ = 0x3,		/* arm64: the same line, as a fast interrupt */
	WDOG_ACTION_MASK = 0xff,
	WDOG_FLAG_DUMP = 0x100,		/* write a guest core dump first (`dump` option) */
};

struct wdog_state {
	vdev_t *ws_vdev;		/* the watchdog vdev */
	unsigned ws_action;		/* WDOG_ACTION_* | WDOG_FLAG_* */
	unsigned ws_bites;		/* how often it has bitten */
};

/*
 * Parse an `action` option value ("terminate", "dump,terminate", "intr",
 * "dump,intr", "fiq") into wds->ws_action. Returns 0 or EINVAL.
 */
int wdog_parse_action(struct wdog_state *wds, const char *arg);

/*
 * The watchdog expired: log it, write a dump if WDOG_FLAG_DUMP, then
 * terminate the guest or raise the interrupt, as ws_action says.
 */
void wdog_bite(struct wdog_state *wds);

#ifdef __cplusplus
}
#endif
#endif
