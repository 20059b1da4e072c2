/*
 * sdk-test.h - what the SDK guest (guest-images/lib/sdk-test.c) needs of
 * its architecture, from guest-images/<arch>/sdk-arch.c: the sdktest vdev's
 * second region, a clock for bounded waits, the vdev's interrupt routed to
 * sdk_irq(), and a bus error's fault routed to sdk_bus_fault().
 */
#ifndef QVM_GUEST_SDK_TEST_H
#define QVM_GUEST_SDK_TEST_H

#include <stdbool.h>
#include <stdint.h>

/* The sdktest vdev's registers (tests/sdk/sdktest.c), at the configuration's
 * `loc` of its two instances. */
#define SDK_BASE        0xfa100000UL    /* instance 1 */
#define SDK2_BASE       0xfa101000UL    /* instance 2 */
#define SDK_IRQ         0x24    /* W: 1 asserts the interrupt line, 0 deasserts */

/* A 32-bit read of the vdev's own region (`ioport`, or `mmio` where there
 * are no ports) plus off: 0 the startup region, 0x10 the run-time one. */
uint32_t sdk_arch_region_read(unsigned off);

/* A free-running counter and about how many counts make a millisecond. */
uint64_t sdk_arch_ticks(void);
uint64_t sdk_arch_ticks_per_ms(void);

/* Route the vdev's level interrupt to sdk_irq(), masked at the CPU until
 * sdk_arch_irq_enable(true). The architecture's handler calls sdk_irq(),
 * then ends the interrupt at its controller. */
void sdk_arch_irq_init(void);
void sdk_arch_irq_enable(bool on);
void sdk_irq(void);

/*
 * An MSI for guest_msi_signal: the address and data that interrupt this
 * vCPU, routed to sdk_msi() (interrupts on at the CPU from
 * sdk_arch_irq_enable(true)); false where the architecture has none here
 * (arm64: no ITS).
 */
bool sdk_arch_msi(uint32_t *addr, uint32_t *data);
void sdk_msi(void);

/* Route the fault a VRS_BUS_ERROR gives the guest (its name, for the
 * report: "#GP", "external abort") to sdk_bus_fault(the faulting pc); the
 * guest goes on past the access. */
extern const char sdk_arch_fault_name[];
void sdk_arch_fault_init(void);
void sdk_bus_fault(uint64_t pc);

#endif
