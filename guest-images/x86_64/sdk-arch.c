/*
 * sdk-arch.c - the x86_64 half of the SDK guest (guest-images/lib/sdk-test.h):
 * the vdev's I/O-port region, the TSC, the vdev's interrupt through KVM's
 * in-kernel IOAPIC and LAPIC, and #GP for a bus error.
 */
#include "guest.h"
#include "idt.h"
#include "sdk-test.h"

#define SDK_IO_PORT     0x510   /* the vdev's `ioport` (0x510-0x513; +0x10 at run time) */
#define SDK_IRQ_PIN     10      /* intr ioapic:10, level, active high */

#define LAPIC_BASE      0xfee00000UL
#define LAPIC_TPR       0x80
#define LAPIC_EOI       0xb0
#define LAPIC_SVR       0xf0
#define LAPIC_LVT_LINT0 0x350
#define LAPIC_SVR_ENABLE 0x100
#define LAPIC_LVT_MASKED 0x10000

#define IOAPIC_BASE     0xfec00000UL
#define IOAPIC_REGSEL   0x00
#define IOAPIC_WIN      0x10
#define IOAPIC_REDTBL(pin) (0x10 + 2 * (pin))   /* low dword; high is +1 */
#define IOAPIC_LEVEL    (1u << 15)              /* trigger mode: level */

#define PIC1_DATA       0x21    /* 8259 master, interrupt mask (OCW1) */
#define PIC2_DATA       0xa1    /* 8259 slave */

#define SDK_VECTOR      0x40
#define MSI_VECTOR      0x41
#define SPURIOUS_VECTOR 0xff
#define GP_VECTOR       13

const char sdk_arch_fault_name[] = "#GP";

const uintptr_t sdk_arch_ram_page = 0xa00000, sdk_arch_ram_hole = 0xb00000;

#define UART_RBR        0x3f8   /* receive buffer */
#define UART_LSR_DR     0x01    /* data ready */

int sdk_arch_uart_getc(void)
{
	return inb(UART_LSR) & UART_LSR_DR ? inb(UART_RBR) : -1;
}
const uint32_t sdk_arch_region_space = 0x8000;	/* QST_X86_IO */
const uint32_t sdk_arch_region_addr = SDK_IO_PORT;

/* X86_64_CPU_REGISTERS: rsi, rip */
const uint32_t sdk_arch_reg_off = 8;
const uint32_t sdk_arch_pc_off = 120;

uint32_t sdk_arch_reg_access(uintptr_t addr, uint64_t *reg)
{
	uint64_t rsi = *reg;
	uint32_t v;

	__asm__ volatile("movl (%2), %0" : "=a"(v), "+S"(rsi) : "d"(addr) : "memory");
	*reg = rsi;
	return v;
}

uint32_t sdk_arch_pc_access(uintptr_t addr, uintptr_t add_reg, uint64_t *pc, bool *skipped)
{
	uint32_t v, ran;
	uint64_t at;

	__asm__ volatile(
		"leaq 2f(%%rip), %%rcx\n\t"
		"leaq 1f(%%rip), %%rsi\n\t"
		"subq %%rsi, %%rcx\n\t"
		"movl %%ecx, (%4)\n\t"	/* the distance, to add_reg */
		"xorl %%ecx, %%ecx\n"
		"1:\tmovl (%3), %%eax\n\t"	/* the read: the vdev moves rip to 2f */
		"movl $1, %%ecx\n"		/* skipped, if it did */
		"2:"
		: "=&a"(v), "=&c"(ran), "=&S"(at) : "d"(addr), "D"(add_reg) : "memory");
	*pc = at;
	*skipped = ran == 0;
	return v;
}

/*
 * A second mapping at 512 GiB (PML4 entry 1, unused by the identity map
 * qvm starts the guest with): one 2 MiB page over p's; the next 1 GiB has
 * no page directory.
 */
#define ALIAS_VA        0x8000000000ull
#define PTE_P_RW        0x3ull
#define PTE_PS          0x80ull
#define PAGE_2M         0x200000ull

static uint64_t alias_pdpt[512] __attribute__((aligned(4096)));
static uint64_t alias_pd[512] __attribute__((aligned(4096)));

void sdk_arch_virtual(const volatile void *p, uint64_t *va, uint64_t *unmapped)
{
	uint64_t cr3, pa = (uintptr_t)p, page = pa & ~(PAGE_2M - 1);

	__asm__ volatile("mov %%cr3, %0" : "=r"(cr3));
	uint64_t *pml4 = (uint64_t *)(uintptr_t)(cr3 & ~0xfffull);
	alias_pd[0] = page | PTE_P_RW | PTE_PS;
	alias_pdpt[0] = (uintptr_t)alias_pd | PTE_P_RW;
	pml4[1] = (uintptr_t)alias_pdpt | PTE_P_RW;
	__asm__ volatile("mov %0, %%cr3" : : "r"(cr3) : "memory");
	*va = ALIAS_VA + (pa - page);
	*unmapped = ALIAS_VA + (1ull << 30);
}

uint32_t sdk_arch_region_read(unsigned off)
{
	return inl((uint16_t)(SDK_IO_PORT + off));
}

uint64_t sdk_arch_ticks(void)
{
	return rdtsc();
}

/* The TSC's rate is not known here: assume 3 GHz (it is ~2.6 GHz on the
 * test machines), which keeps a bound within a small factor of what it says. */
uint64_t sdk_arch_ticks_per_ms(void)
{
	return 3000000ull;
}

static void lapic_write(uint32_t reg, uint32_t val)
{
	mmio_write32(LAPIC_BASE + reg, val);
}

static void ioapic_write(uint32_t reg, uint32_t val)
{
	mmio_write32(IOAPIC_BASE + IOAPIC_REGSEL, reg);
	mmio_write32(IOAPIC_BASE + IOAPIC_WIN, val);
}

static void irq_entry(struct isr_frame *frame)
{
	(void)frame;
	sdk_irq();
	lapic_write(LAPIC_EOI, 0);
}

static void msi_entry(struct isr_frame *frame)
{
	(void)frame;
	sdk_msi();
	lapic_write(LAPIC_EOI, 0);
}

/* Fixed delivery to APIC ID 0 (this vCPU), edge: address and data as a PCI device's. */
bool sdk_arch_msi(uint32_t *addr, uint32_t *data)
{
	idt_set_handler(MSI_VECTOR, msi_entry);
	*addr = (uint32_t)LAPIC_BASE;
	*data = MSI_VECTOR;
	return true;
}

/* The LAPIC's spurious vector: no EOI for those. */
static void spurious_entry(struct isr_frame *frame)
{
	(void)frame;
}

void sdk_arch_irq_init(void)
{
	idt_init();
	idt_set_handler(SDK_VECTOR, irq_entry);
	idt_set_handler(SPURIOUS_VECTOR, spurious_entry);

	/* KVM also routes GSIs 0-15 to its 8259s, which start unmasked and
	 * reach vCPU 0 through LINT0 (ExtINT): shut that second path so the
	 * line only arrives through the IOAPIC. */
	outb(PIC1_DATA, 0xff);
	outb(PIC2_DATA, 0xff);

	lapic_write(LAPIC_SVR, LAPIC_SVR_ENABLE | SPURIOUS_VECTOR);
	lapic_write(LAPIC_TPR, 0);
	lapic_write(LAPIC_LVT_LINT0, LAPIC_LVT_MASKED);

	/* High dword first (destination APIC ID 0 in bits 56-63), then the low
	 * one, which unmasks the entry: fixed delivery, physical destination,
	 * active high, level triggered. */
	ioapic_write(IOAPIC_REDTBL(SDK_IRQ_PIN) + 1, 0);
	ioapic_write(IOAPIC_REDTBL(SDK_IRQ_PIN), SDK_VECTOR | IOAPIC_LEVEL);
}

void sdk_arch_irq_enable(bool on)
{
	if (on)
		__asm__ volatile("sti" ::: "memory");
	else
		__asm__ volatile("cli" ::: "memory");
}

/* qvm delivers the #GP once the access completed: the saved rip is
 * already past it. */
static void gp_entry(struct isr_frame *frame)
{
	sdk_bus_fault(frame->rip);
}

void sdk_arch_fault_init(void)
{
	idt_set_handler(GP_VECTOR, gp_entry);
}
