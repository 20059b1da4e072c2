/*
 * platform.h - what the guest tests need to know of the x86_64 machine:
 * the console vdev of guest-images/x86_64/console.c (a 16550 at COM1),
 * and where the guest images expect the trace vdev (TRACE_REG_ADDR in
 * guest-images/x86_64/arch.h).
 */
#ifndef QVM_TEST_PLATFORM_H
#define QVM_TEST_PLATFORM_H

#define QT_CONSOLE_CONF "vdev ser8250\n"
#define QT_TRACE_LOC "0xfa000000"

#endif
