/* A vdev built for another ABI: qvm must refuse it, naming the file and both ABIs. */
#include <qvm/vdev-core.h>

static struct vdev_factory badabi_factory = { .factory_flags = VFF_LOC_NO };

static void __attribute__((constructor)) badabi_register(void)
{
	vdev_register_factory(&badabi_factory, QVM_VDEV_ABI + 1);
}
