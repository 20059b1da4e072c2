/*
 * qvm/vio.h, the vendor's virtio device framework (struct vio_state,
 * vio_init, vio_read/vio_write, vio_ctrl_pci_bars, ...), is not in this
 * SDK yet: qvm has no virtio transport. A vdev that includes it stops here
 * with that said, rather than with a missing-file error.
 */
#ifndef QVM_VIO_H
#define QVM_VIO_H
#error "qvm/vio.h: qvm has no virtio support yet, so the vio_* framework is not available"
#endif
