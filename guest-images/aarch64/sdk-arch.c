/*
 * sdk-arch.c - the aarch64 half of the SDK guest (guest-images/lib/sdk-test.h):
 * the vdev's region in memory space (`mmio`), the virtual counter, the
 * vdev's SPI through the in-kernel GICv3 to an IRQ at EL1, and the
 * synchronous external abort of a bus error. The addresses are the
 * configuration's (tests/configs/aarch64/sdk.qvmconf).
 */
#include "guest.h"
#include "sdk-test.h"

#define SDK_MMIO        0xfa102000UL    /* the vdev's `mmio` (+0x10 at run time) */
#define SDK_SPI         40              /* intr gic:40, level */

#define GICD_BASE       0x08000000UL    /* vdev gic loc */
#define GICR_BASE       0x080a0000UL    /* vdev gic gicr: vCPU 0's redistributor */
#define GICD_CTLR       0x0000
#define GICD_IGROUPR(n) (0x0080 + 4 * ((n) / 32))
#define GICD_ISENABLER(n) (0x0100 + 4 * ((n) / 32))
#define GICD_IPRIORITYR(n) (0x0400 + (n))	/* a byte each */
#define GICD_ICFGR(n)   (0x0c00 + 4 * ((n) / 16))
#define GICD_IROUTER(n) (0x6000 + 8 * (n))
#define GICD_CTLR_RWP   (1u << 31)
#define GICD_CTLR_ON    0x13u   /* ARE, EnableGrp1, EnableGrp0 (one security state) */
#define GICR_WAKER      0x0014
#define GICR_WAKER_SLEEP (1u << 1)
#define GICR_WAKER_ASLEEP (1u << 2)
#define INTID_SPURIOUS  1020    /* and up */

/* The GICv3 CPU interface's system registers */
#define ICC_PMR_EL1     "S3_0_C4_C6_0"
#define ICC_IAR1_EL1    "S3_0_C12_C12_0"
#define ICC_EOIR1_EL1   "S3_0_C12_C12_1"
#define ICC_BPR1_EL1    "S3_0_C12_C12_3"
#define ICC_SRE_EL1     "S3_0_C12_C12_5"
#define ICC_IGRPEN1_EL1 "S3_0_C12_C12_7"

extern char el1_vectors[];

/* MSIs need an ITS, which qvm's vGIC has not. */
bool sdk_arch_msi(uint32_t *addr, uint32_t *data)
{
	(void)addr;
	(void)data;
	return false;
}

const char sdk_arch_fault_name[] = "external abort";

const uintptr_t sdk_arch_ram_page = 0x40a00000, sdk_arch_ram_hole = 0x40b00000;

/* The pl011 takes no input. */
int sdk_arch_uart_getc(void)
{
	return -2;
}
const uint32_t sdk_arch_region_space = 0;	/* QST_MEMORY */
const uint32_t sdk_arch_region_addr = SDK_MMIO;

/* AARCH64_CPU_REGISTERS: gpr[5], elr */
const uint32_t sdk_arch_reg_off = 5 * 8;
const uint32_t sdk_arch_pc_off = 32 * 8;

uint32_t sdk_arch_reg_access(uintptr_t addr, uint64_t *reg)
{
	register uint64_t x5 __asm__("x5") = *reg;
	uint32_t v;

	__asm__ volatile("ldr %w0, [%2]" : "=&r"(v), "+r"(x5) : "r"(addr) : "memory");
	*reg = x5;
	return v;
}

uint32_t sdk_arch_pc_access(uintptr_t addr, uintptr_t add_reg, uint64_t *pc, bool *skipped)
{
	uint32_t v;
	uint64_t at, ran, dist;

	__asm__ volatile(
		"adr %3, 2f\n\t"
		"adr %2, 1f\n\t"
		"sub %3, %3, %2\n\t"
		"str %w3, [%5]\n\t"		/* the distance, to add_reg */
		"mov %1, #0\n"
		"1:\tldr %w0, [%4]\n\t"	/* the read: the vdev moves pc to 2f */
		"mov %1, #1\n"			/* skipped, if it did */
		"2:"
		: "=&r"(v), "=&r"(ran), "=&r"(at), "=&r"(dist) : "r"(addr), "r"(add_reg) : "memory");
	*pc = at;
	*skipped = ran == 0;
	return v;
}

/* The MMU is off: virtual addresses are physical ones; nothing answers at 0xfa200000. */
void sdk_arch_virtual(const volatile void *p, uint64_t *va, uint64_t *unmapped)
{
	*va = (uintptr_t)p;
	*unmapped = 0xfa200000ull;
}

uint32_t sdk_arch_region_read(unsigned off)
{
	return mmio_read32(SDK_MMIO + off);
}

uint64_t sdk_arch_ticks(void)
{
	return read_cntvct();
}

uint64_t sdk_arch_ticks_per_ms(void)
{
	return read_cntfrq() / 1000;
}

/* From vectors.S. The SPI is the only interrupt enabled. */
void irq_handler(void)
{
	uint64_t iar;

	__asm__ volatile("mrs %0, " ICC_IAR1_EL1 : "=r"(iar));
	iar &= 0xffffff;
	if (iar >= INTID_SPURIOUS)
		return;
	if (iar == SDK_SPI)
		sdk_irq();
	__asm__ volatile("msr " ICC_EOIR1_EL1 ", %0; isb" : : "r"(iar));
}

void sdk_arch_irq_init(void)
{
	uintptr_t d = GICD_BASE;

	__asm__ volatile("msr vbar_el1, %0; isb" : : "r"(el1_vectors));
	/* the distributor on, affinity routing; vCPU 0's redistributor awake */
	mmio_write32(d + GICD_CTLR, GICD_CTLR_ON);
	while (mmio_read32(d + GICD_CTLR) & GICD_CTLR_RWP)
		cpu_relax();
	mmio_write32(GICR_BASE + GICR_WAKER, mmio_read32(GICR_BASE + GICR_WAKER) & ~GICR_WAKER_SLEEP);
	while (mmio_read32(GICR_BASE + GICR_WAKER) & GICR_WAKER_ASLEEP)
		cpu_relax();
	/* the SPI: group 1, a priority above the mask, level, to vCPU 0, enabled */
	mmio_write32(d + GICD_IGROUPR(SDK_SPI), mmio_read32(d + GICD_IGROUPR(SDK_SPI)) |
			1u << (SDK_SPI % 32));
	mmio_write8(d + GICD_IPRIORITYR(SDK_SPI), 0xa0);
	mmio_write32(d + GICD_ICFGR(SDK_SPI), mmio_read32(d + GICD_ICFGR(SDK_SPI)) &
			~(2u << (2 * (SDK_SPI % 16))));
	mmio_write64(d + GICD_IROUTER(SDK_SPI), 0);
	mmio_write32(d + GICD_ISENABLER(SDK_SPI), 1u << (SDK_SPI % 32));
	/* the CPU interface: system registers, every priority, group 1 on */
	__asm__ volatile("msr " ICC_SRE_EL1 ", %0; isb" : : "r"(7ull));
	__asm__ volatile("msr " ICC_PMR_EL1 ", %0" : : "r"(0xffull));
	__asm__ volatile("msr " ICC_BPR1_EL1 ", %0" : : "r"(0ull));
	__asm__ volatile("msr " ICC_IGRPEN1_EL1 ", %0; isb" : : "r"(1ull));
}

void sdk_arch_irq_enable(bool on)
{
	if (on)
		__asm__ volatile("msr daifclr, #2; isb" ::: "memory");
	else
		__asm__ volatile("msr daifset, #2; isb" ::: "memory");
}

/* From vectors.S: the abort is taken on the access itself; go on past it. */
uint64_t fault_handler(uint64_t esr, uint64_t far, uint64_t elr)
{
	(void)esr;
	(void)far;
	sdk_bus_fault(elr);
	return elr + 4;
}

void sdk_arch_fault_init(void)
{
	__asm__ volatile("msr vbar_el1, %0; isb" : : "r"(el1_vectors));
}
