/*
 * QNX's <x86_64/context.h>, as far as vdevs use it: the CPU_REGISTERS layouts
 * of qvm/cpuregs.h. pkg-config's qvm-vdev flags put this directory on the
 * include path, so a vdev's #include <x86_64/context.h> compiles unchanged.
 */
#include <qvm/cpuregs.h>
