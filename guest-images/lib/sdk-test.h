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

/*
 * QST_CPUREGS: a 32-bit read of addr made with *reg in a general register
 * the architecture picks, at byte sdk_arch_reg_off of its CPU_REGISTERS;
 * returns what the read gave, and the register afterwards in *reg.
 *
 * And the instruction pointer (CPU_REGISTERS offset sdk_arch_pc_off): a
 * 32-bit write to add_reg of the distance from a read of addr to a label
 * past the instruction that follows it, then that read; returns what the
 * read gave, *pc the read's address, *skipped whether the instruction
 * between was skipped (the vCPU resumed at the label).
 */
extern const uint32_t sdk_arch_reg_off, sdk_arch_pc_off;
uint32_t sdk_arch_reg_access(uintptr_t addr, uint64_t *reg);
uint32_t sdk_arch_pc_access(uintptr_t addr, uintptr_t add_reg, uint64_t *pc, bool *skipped);

/*
 * QST_VIRTUAL: a virtual address of the object at p, one other than p's
 * own where the guest has paging on (x86: a second mapping it adds), and
 * a virtual address where nothing is mapped or answers.
 */
void sdk_arch_virtual(const volatile void *p, uint64_t *va, uint64_t *unmapped);

/*
 * Pages of guest RAM the image does not use: one whose permissions the
 * vdev changes, and the configuration's `ram-hole` (taken out at startup).
 */
extern const uintptr_t sdk_arch_ram_page, sdk_arch_ram_hole;

/* A byte of the console's input, -1 if none yet, -2 if the console takes no input here. */
int sdk_arch_uart_getc(void);

/* The sdktest vdev's own region (`ioport` or `mmio`): its qst_type and address. */
extern const uint32_t sdk_arch_region_space, sdk_arch_region_addr;

#endif
