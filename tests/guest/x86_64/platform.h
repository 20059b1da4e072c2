/*
 * platform.h - what the guest tests need to know of the x86_64 machine:
 * the console vdev of guest-images/x86_64/console.c (a 16550 at COM1),
 * where the guest images expect the trace vdev (TRACE_REG_ADDR in
 * guest-images/x86_64/arch.h), and how the demo ends (quit-on-halt).
 */
#ifndef QVM_TEST_PLATFORM_H
#define QVM_TEST_PLATFORM_H

#define QT_RAM_CONF "ram 0,16M\n"
#define QT_CONSOLE_CONF "vdev ser8250\n"
#define QT_TRACE_LOC "0xfa000000"
#define QT_DEMO_END "all vcpus halted with interrupts off: exiting (quit-on-halt)"
/* The demo always ends by halting. */
#define QT_HALT_CONF ""
/* The callbacks that describe vdevs to the guest, in a lifecycle trace. */
#define QT_GEN_TABLES "GEN_ACPI|"
/* An unaligned MMIO access reaches qvm (the guests make some). */
#define QT_UNALIGNED_MMIO 1

/* A free interrupt line for a vdev (the shmem test's notifications). */
#define QT_FREE_INTR "ioapic:10"

#endif
