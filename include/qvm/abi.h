/*
 * qvm/abi.h - the number of the vdev ABI ("Definitions in abi.h", as the
 * vendor's guide says): what qvm and a vdev built against these headers
 * agree on. It changes whenever the binary interface does (a structure's
 * layout, a prototype), so that qvm refuses a vdev built for another:
 * vdev_register_factory(&factory, QVM_VDEV_ABI). The value is ours [ours]
 * (the vendor's is not public); functions added to the API keep it.
 */
#ifndef QVM_ABI_H
#define QVM_ABI_H

#define QVM_VDEV_ABI	801u

#endif
