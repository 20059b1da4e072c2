/*
 * vdev-certified-safety.so: a vdev built as the safety variant
 * (VDEV_SAFETY_YES) with no plain build beside it, for `safety required`
 * (tests/vendor.sh): `vdev certified` must find it under its -safety name.
 */
#include <qvm/vdev-core.h>

static int certified_control(vdev_t *vdp, unsigned ctrl, const char *arg)
{
	(void)vdp;
	(void)ctrl;
	(void)arg;
	return 0;
}

static struct vdev_factory certified_factory = {
	.name = "certified",
	.control = certified_control,
	.factory_flags = VFF_VDEV_MEM | VFF_LOC_NO | VFF_INTR_NO | VFF_MANUAL_REGION,
	.acc_sizes = 1u << 4,
	.safety = (unsigned)VDEV_SAFETY_YES,
};

__attribute__((constructor))
static void certified_register(void)
{
	vdev_register_factory(&certified_factory, QVM_VDEV_ABI);
}
