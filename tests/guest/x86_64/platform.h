/*
 * platform.h - what the guest tests need to know of the x86_64 machine:
 * the console vdev of guest-images/x86_64/console.c (a 16550 at COM1),
 * where the guest images expect the trace vdev (TRACE_REG_ADDR in
 * guest-images/x86_64/arch.h), and how the demo ends (exit-on-halt).
 */
#ifndef QVM_TEST_PLATFORM_H
#define QVM_TEST_PLATFORM_H

#define QT_RAM_CONF "ram 0,16M\n"
#define QT_CONSOLE_CONF "vdev ser8250\n"
#define QT_TRACE_LOC "0xfa000000"
#define QT_DEMO_END "all vcpus halted with interrupts off: exiting (exit-on-halt)"
#define QT_NO_HALT_TESTS NULL
/* The callbacks that describe vdevs to the guest, in a lifecycle trace: none
 * yet (ACPI comes later). */
#define QT_GEN_TABLES ""
#define QT_NO_WIDTH_TESTS NULL

#endif
