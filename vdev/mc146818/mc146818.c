/*
 * mc146818 - the PC's real-time clock and CMOS RAM (x86), the model of
 * rtc.c behind ports io:0x70 (index) and io:0x71 (data).
 *
 * Options:
 *   reg OFFSET,VALUE   a byte of the CMOS set before the guest starts, as
 *                      the guest would write it (`reg 0x0b,0x02`: 24-hour
 *                      BCD); may be repeated
 *   loc io:PORT        the two ports (default io:0x70)
 *
 * The clock reads the host's UTC time; what the guest writes to it moves
 * its own clock only. The chip's interrupts (periodic, alarm, update
 * ended) are not modelled (no `intr`): a guest polls register A's UIP and
 * C's flags, as Linux does to read the time. On x86 it describes itself
 * in the DSDT as a PNP0B00, and the FADT names its century byte (0x32).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <qvm/guest.h>
#include <qvm/log.h>
#include <qvm/utils.h>
#include <qvm/vdev-core.h>

#include "rtc.h"

static const char *const mc146818_options[] = {
	"reg",		/* VDEV_CTRL_FIRST_OPTIDX + 0 */
	NULL,
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* `reg OFFSET,VALUE` */
static void set_reg(struct rtc *r, const char *arg)
{
	uint64_t off, val;
	const char *comma = qvm_parse_num(arg, QPNF_ALLOW_TRAILING, &off), *end = NULL;

	if (comma && *comma == ',')
		end = qvm_parse_num(comma + 1, QPNF_NONE, &val);
	if (!end || *end || off >= RTC_BYTES || val > 0xff)
		qvm_fatal(QLS_CNF, "reg '%s': expected OFFSET,VALUE with an offset below 0x%x and "
				"a byte", arg, RTC_BYTES);
	uint64_t t = now_ns();
	rtc_write(r, 0, (uint8_t)off, t);
	rtc_write(r, 1, (uint8_t)val, t);
	rtc_write(r, 0, 0, t);
}

static int mc146818_control(vdev_t *vdp, unsigned ctrl, const char *arg)
{
	struct rtc *r = vdp->v_device;

	switch (ctrl) {
	case VDEV_CTRL_OPTIONS_START:
		vdp->v_block.location = 0x70;
		vdp->v_block.length = 2;
		vdp->v_block.qst_type = QST_X86_IO;
		rtc_reset(r, now_ns());
		break;
	case VDEV_CTRL_FIRST_OPTIDX + 0:
		set_reg(r, arg);
		break;
	case VDEV_CTRL_GEN_ACPI:
		acpi_describe_vdev(vdp, "RTC", "PNP0B00", 0);
		break;
	default:
		break;
	}
	return 0;
}

static vdev_ref_status_t mc146818_vread(vdev_t *vdp, unsigned cookie,
		const struct qvm_state_block *vopnd, const struct qvm_state_block *oopnd,
		struct guest_cpu *gcp)
{
	uint8_t val = rtc_read(vdp->v_device, (unsigned)(vopnd->location - vdp->v_block.location),
			now_ns());
	int rc = guest_cpu_write(gcp, GXF_NONE, oopnd, 1, &val, 1);

	(void)cookie;
	return rc == 0 ? VRS_NORMAL : (vdev_ref_status_t)(VRS_ERRNO + rc);
}

static vdev_ref_status_t mc146818_vwrite(vdev_t *vdp, unsigned cookie,
		const struct qvm_state_block *vopnd, const struct qvm_state_block *oopnd,
		struct guest_cpu *gcp)
{
	uint8_t val = 0;
	int rc = guest_cpu_read(gcp, GXF_NONE, oopnd, 1, &val, 1);

	(void)cookie;
	if (rc != 0)
		return (vdev_ref_status_t)(VRS_ERRNO + rc);
	rtc_write(vdp->v_device, (unsigned)(vopnd->location - vdp->v_block.location), val, now_ns());
	return VRS_NORMAL;
}

static struct vdev_factory mc146818_factory = {
	.control = mc146818_control,
	.vread = mc146818_vread,
	.vwrite = mc146818_vwrite,
	.option_list = mc146818_options,
	.name = NULL,	/* vdev-mc146818.so */
	/* the index and the data belong together: one access at a time */
	.factory_flags = VFF_VDEV_X86_IO | VFF_MUTEX | VFF_INTR_NO,
	.acc_sizes = 1u << 1,
	.extra_space = sizeof(struct rtc),
};

__attribute__((constructor))
static void mc146818_register(void)
{
	vdev_register_factory(&mc146818_factory, QVM_VDEV_ABI);
}
