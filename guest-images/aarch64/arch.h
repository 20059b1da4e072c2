/*
 * arch.h - the aarch64 side of the guest images: the CPU primitives, the
 * MMIO accessors guest-images/lib/guest.h promises, PSCI, and the machine
 * layout, which an arm64 guest reads from the FDT it is handed (boot.c)
 * rather than assuming it. Included through guest.h.
 */
#ifndef QVM_GUEST_ARCH_H
#define QVM_GUEST_ARCH_H

/* Per-vCPU stacks carved out of one .bss array by start.S. */
#define MAX_CPUS        16
#define STACK_SIZE      16384

#ifndef __ASSEMBLER__

#include <stdint.h>

/* ---- The machine, as the FDT describes it (boot.c fills these in) ---- */

extern uintptr_t uart_base;	/* "arm,pl011" */
extern uintptr_t trace_base;	/* "qvm,trace" */
extern uintptr_t wdog_base;	/* "arm,sp805", 0 if none */
extern uint64_t wdog_clock_hz;	/* its clocks' frequency */
extern uint64_t cpu_mpidr[MAX_CPUS];
extern const void *boot_fdt;	/* x0 at entry */

#define TRACE_REG_ADDR  trace_base
/* The trace demo's roll call: every vCPU reads the counter, advancing. */
#define DEMO_TRACE_EVERY_CPU
/* Without an FDT (a VMM that gives none, as the benchmark's baseline): the
 * console where QEMU's virt machine and the demos put it. */
#define DEFAULT_UART    0x09000000UL
/* Nothing is there (the same address as on x86): reads all ones. */
#define UNOWNED_ADDR    0xfb000000UL
/* A RAM word the access test may scribble on: 8 MiB into the 16 MiB it
 * is given, far above the image and its stacks, below the FDT at the top. */
#define RAM_PROBE       0x40800000UL
/* With the MMU off every access is to Device memory, where an unaligned
 * one faults (an alignment fault taken in the guest, not an exit). */
#define UNALIGNED_MMIO  0
/* A raised interrupt line is not read back here (shmem-test checks it on x86). */
#define IRQ_PENDING_KNOWN 0
static inline int irq_pending(unsigned gsi)
{
	(void)gsi;
	return 0;
}

/* ---- Compiler / CPU primitives ---- */

/* The MMU is off: every data access is Device-nGnRnE, so ordering between
 * vCPUs needs no more than the compiler's. */
static inline void barrier(void)
{
	__asm__ volatile("dsb sy" ::: "memory");
}

static inline void cpu_relax(void)
{
	__asm__ volatile("yield" ::: "memory");
}

_Noreturn static inline void halt_forever(void)
{
	for (;;)
		__asm__ volatile("msr daifset, #0xf; wfi" ::: "memory");
}

/* The roll call's hardware id: " (mpidr 0x...)" (boot.c). */
void arch_cpu_note(void);

static inline uint64_t read_mpidr(void)
{
	uint64_t v;
	__asm__ volatile("mrs %0, mpidr_el1" : "=r"(v));
	return v & 0xff00ffffffull;
}

/* ---- PSCI through hvc (the FDT's method) ---- */

#define PSCI_CPU_ON	0xc4000003u
#define PSCI_SYSTEM_OFF	0x84000008u

static inline int64_t psci_call(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3)
{
	register uint64_t x0 __asm__("x0") = fn, x1 __asm__("x1") = a1;
	register uint64_t x2 __asm__("x2") = a2, x3 __asm__("x3") = a3;

	/* SMCCC: x0-x3 carry the result, x4-x17 are not preserved */
	__asm__ volatile("hvc #0" : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3) : :
			"x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12", "x13",
			"x14", "x15", "x16", "x17", "memory");
	return (int64_t)x0;
}

/* ---- MMIO ----
 * Single loads and stores of exactly the width asked for, base register
 * only (no writeback): KVM decodes those from the syndrome. */

static inline uint8_t mmio_read8(uintptr_t addr)
{
	uint32_t v;
	__asm__ volatile("ldrb %w0, [%1]" : "=r"(v) : "r"(addr) : "memory");
	return (uint8_t)v;
}

static inline void mmio_write8(uintptr_t addr, uint8_t val)
{
	__asm__ volatile("strb %w0, [%1]" : : "r"((uint32_t)val), "r"(addr) : "memory");
}

static inline uint16_t mmio_read16(uintptr_t addr)
{
	uint32_t v;
	__asm__ volatile("ldrh %w0, [%1]" : "=r"(v) : "r"(addr) : "memory");
	return (uint16_t)v;
}

static inline void mmio_write16(uintptr_t addr, uint16_t val)
{
	__asm__ volatile("strh %w0, [%1]" : : "r"((uint32_t)val), "r"(addr) : "memory");
}

static inline uint32_t mmio_read32(uintptr_t addr)
{
	uint32_t v;
	__asm__ volatile("ldr %w0, [%1]" : "=r"(v) : "r"(addr) : "memory");
	return v;
}

static inline void mmio_write32(uintptr_t addr, uint32_t val)
{
	__asm__ volatile("str %w0, [%1]" : : "r"(val), "r"(addr) : "memory");
}

static inline uint64_t mmio_read64(uintptr_t addr)
{
	uint64_t v;
	__asm__ volatile("ldr %0, [%1]" : "=r"(v) : "r"(addr) : "memory");
	return v;
}

static inline void mmio_write64(uintptr_t addr, uint64_t val)
{
	__asm__ volatile("str %0, [%1]" : : "r"(val), "r"(addr) : "memory");
}

/* ---- Time: the virtual counter ---- */

/* The benchmark's stamp: the isb before makes earlier instructions (the
 * access) complete, the one after keeps later ones from starting. The MMIO
 * accesses trap synchronously, so their exits fall between two. */
static inline __attribute__((always_inline)) uint64_t bench_stamp(void)
{
	uint64_t v;
	__asm__ volatile("isb; mrs %0, cntvct_el0; isb" : "=r"(v) : : "memory");
	return v;
}

/* The kinds of tools/bench/bench-abi.h arm64 has: all but the two port ones. */
#define BENCH_ARCH_KINDS	0x27u

static inline uint64_t read_cntvct(void)
{
	uint64_t v;
	__asm__ volatile("isb; mrs %0, cntvct_el0" : "=r"(v) : : "memory");
	return v;
}

static inline uint64_t read_cntfrq(void)
{
	uint64_t v;
	__asm__ volatile("mrs %0, cntfrq_el0" : "=r"(v));
	return v;
}

/* Between two polls of the trace counter: 1 ms by the virtual counter (a
 * yield costs next to nothing, and each poll is an exit, which an emulated
 * machine's trace buffer records when emit-trace is on). */
static inline void poll_pause(void)
{
	uint64_t t0 = read_cntvct(), ticks = read_cntfrq() / 1000;

	while (read_cntvct() - t0 < ticks)
		cpu_relax();
}

#endif /* !__ASSEMBLER__ */

#endif /* QVM_GUEST_ARCH_H */
