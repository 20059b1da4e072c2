/*
 * platform.h - what the guest tests need to know of the aarch64 machine:
 * where RAM is (0x40000000), the console vdev the guests find in the FDT
 * (a pl011), where the trace vdev goes (as in
 * guest-images/aarch64/trace-demo.qvmconf), and how the demo ends: the
 * last vCPU powers off with PSCI SYSTEM_OFF, or halts with `cmdline halt`.
 */
#ifndef QVM_TEST_PLATFORM_H
#define QVM_TEST_PLATFORM_H

#define QT_RAM_CONF "ram 0x40000000,16M\n"
#define QT_CONSOLE_CONF "vdev pl011 loc 0x09000000\n"
#define QT_TRACE_LOC "0x9010000"
#define QT_DEMO_END "the guest asked for a system shutdown"
/* The callbacks that describe vdevs to the guest, in a lifecycle trace. */
#define QT_GEN_TABLES "GEN_FDT|"
/* What makes the demo end by halting, as the tests of halting need. */
#define QT_HALT_CONF "cmdline halt\n"
/* An unaligned MMIO access faults in the guest (the MMU is off: all Device
 * memory), so the guests make none and qvm never sees one. */
#define QT_UNALIGNED_MMIO 0

/* A free interrupt line for a vdev (the shmem test's notifications). */
#define QT_FREE_INTR "gic:40"

#endif
