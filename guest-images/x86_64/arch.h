/*
 * arch.h - the x86_64 side of the guest images: the machine layout, the CPU
 * primitives and the port and MMIO accessors that guest-images/lib/guest.h
 * promises every architecture provides. Included through guest.h.
 *
 * The constants block is also included by start.S, so everything that is
 * not a plain #define sits behind !__ASSEMBLER__.
 */
#ifndef QVM_GUEST_ARCH_H
#define QVM_GUEST_ARCH_H

/* ---- Machine layout (fixed by the hypervisor's demo configuration) ---- */

/* 16550 UART on the legacy COM1 ports. */
#define UART_BASE       0x3f8
#define UART_THR        (UART_BASE + 0)  /* transmit holding register */
#define UART_IER        (UART_BASE + 1)  /* interrupt enable */
#define UART_FCR        (UART_BASE + 2)  /* FIFO control */
#define UART_LCR        (UART_BASE + 3)  /* line control */
#define UART_LSR        (UART_BASE + 5)  /* line status */
#define UART_LSR_THRE   0x20             /* THR empty: OK to send a byte */
#define UART_LCR_8N1    0x03
#define UART_FCR_ENABLE_CLEAR 0x07       /* enable FIFOs, clear RX and TX */

/* The "trace" device: one 32-bit register, counter ticks once a second. */
#define TRACE_REG_ADDR  0xfa000000UL
/* Deliberately unowned physical address: reads all ones, writes dropped. */
#define UNOWNED_ADDR    0xfb000000UL
/* A RAM word the access test may scribble on: the last 4 KiB of the 16 MiB
 * it is given, far above the image, its stacks and the boot page tables. */
#define RAM_PROBE       0xfff000UL
/* An MMIO access may be unaligned (the CPU splits nothing: KVM sees it whole). */
#define UNALIGNED_MMIO  1

/* Per-vCPU stacks carved out of one .bss array by start.S. */
#define MAX_CPUS        16
#define STACK_SIZE      16384

#ifndef __ASSEMBLER__

#include <stdint.h>

/* ---- Compiler / CPU primitives ---- */

/* Stops the compiler from caching or reordering memory accesses across it;
 * x86 is TSO so plain loads/stores need nothing stronger for our protocol. */
static inline void barrier(void)
{
	__asm__ volatile("" ::: "memory");
}

/* Spin-loop hint; also a memory clobber so polled variables get re-read. */
static inline void cpu_relax(void)
{
	__asm__ volatile("pause" ::: "memory");
}

/* Between two polls of the trace counter (the TSC's rate is not known
 * without calibrating it): 2000 pauses. */
static inline void poll_pause(void)
{
	for (unsigned i = 0; i < 2000; i++)
		cpu_relax();
}

/* The roll call's hardware id: nothing to add on x86. */
static inline void arch_cpu_note(void)
{
}

/* No IDT exists, so interrupts must stay off; hlt with IF=0 only wakes on
 * NMI/INIT/SMI, hence the loop. */
_Noreturn static inline void halt_forever(void)
{
	for (;;)
		__asm__ volatile("cli; hlt" ::: "memory");
}

/* ---- Port I/O ---- */

static inline void outb(uint16_t port, uint8_t val)
{
	__asm__ volatile("outb %0, %1" : : "a"(val), "Nd"(port) : "memory");
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t val;
	__asm__ volatile("inb %1, %0" : "=a"(val) : "Nd"(port) : "memory");
	return val;
}

/*
 * Whether a line of the in-kernel 8259s (GSIs 0-15 reach them as well as the
 * IOAPIC) has been raised: its bit of the IRR, which a read of the command
 * port returns by default, set on a rising edge whatever the mask.
 */
#define IRQ_PENDING_KNOWN 1
static inline int irq_pending(unsigned gsi)
{
	return gsi < 8 ? (inb(0x20) >> gsi) & 1 : gsi < 16 ? (inb(0xa0) >> (gsi - 8)) & 1 : 0;
}

static inline void outw(uint16_t port, uint16_t val)
{
	__asm__ volatile("outw %0, %1" : : "a"(val), "Nd"(port) : "memory");
}

static inline uint16_t inw(uint16_t port)
{
	uint16_t val;
	__asm__ volatile("inw %1, %0" : "=a"(val) : "Nd"(port) : "memory");
	return val;
}

static inline void outl(uint16_t port, uint32_t val)
{
	__asm__ volatile("outl %0, %1" : : "a"(val), "Nd"(port) : "memory");
}

static inline uint32_t inl(uint16_t port)
{
	uint32_t val;
	__asm__ volatile("inl %1, %0" : "=a"(val) : "Nd"(port) : "memory");
	return val;
}

/* ---- Time ----
 * The TSC of a KVM guest runs at a constant rate (in the GHz range) whether
 * the guest's code is executed natively or emulated, which makes it the only
 * clock a guest can use to bound a wait without a device's help. Its exact
 * rate is unknown here, so only use it for generous upper bounds. */

/* The benchmark's stamp: lfence before rdtsc so earlier instructions (the
 * access) have completed, after it so later ones have not started. MMIO
 * and port accesses trap synchronously, so their exits fall between two. */
static inline __attribute__((always_inline)) uint64_t bench_stamp(void)
{
	uint32_t lo, hi;
	__asm__ volatile("lfence; rdtsc; lfence" : "=a"(lo), "=d"(hi) : : "memory");
	return ((uint64_t)hi << 32) | lo;
}

/* Every kind of tools/bench/bench-abi.h: x86 has ports. */
#define BENCH_ARCH_KINDS	0x3fu
#define BENCH_HAS_PORTS		1

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi) : : "memory");
	return ((uint64_t)hi << 32) | lo;
}

/* ---- MMIO ----
 * Written as explicit mov instructions so the access width is exactly what
 * we ask for: the trace device treats 8-bit and 32-bit accesses differently,
 * and a C volatile access could legally be split or widened. */

static inline uint32_t mmio_read32(uintptr_t addr)
{
	uint32_t val;
	__asm__ volatile("movl (%1), %0" : "=r"(val) : "r"(addr) : "memory");
	return val;
}

static inline void mmio_write32(uintptr_t addr, uint32_t val)
{
	__asm__ volatile("movl %0, (%1)" : : "r"(val), "r"(addr) : "memory");
}

static inline uint8_t mmio_read8(uintptr_t addr)
{
	uint8_t val;
	__asm__ volatile("movb (%1), %0" : "=q"(val) : "r"(addr) : "memory");
	return val;
}

static inline void mmio_write8(uintptr_t addr, uint8_t val)
{
	__asm__ volatile("movb %0, (%1)" : : "q"(val), "r"(addr) : "memory");
}

static inline uint16_t mmio_read16(uintptr_t addr)
{
	uint16_t val;
	__asm__ volatile("movw (%1), %0" : "=r"(val) : "r"(addr) : "memory");
	return val;
}

static inline void mmio_write16(uintptr_t addr, uint16_t val)
{
	__asm__ volatile("movw %0, (%1)" : : "r"(val), "r"(addr) : "memory");
}

static inline uint64_t mmio_read64(uintptr_t addr)
{
	uint64_t val;
	__asm__ volatile("movq (%1), %0" : "=r"(val) : "r"(addr) : "memory");
	return val;
}

static inline void mmio_write64(uintptr_t addr, uint64_t val)
{
	__asm__ volatile("movq %0, (%1)" : : "r"(val), "r"(addr) : "memory");
}

#endif /* !__ASSEMBLER__ */

#endif /* QVM_GUEST_ARCH_H */
