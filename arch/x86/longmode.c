/* The x86_64 long-mode entry state (see longmode.h). */
#include "longmode.h"

#include <stdbool.h>
#include <string.h>

#define LM_GDT	0x6000ull
#define LM_GDT_LINUX	0x6100ull
#define LM_GDT_PM	0x6200ull

#define PTE_P	0x1ull
#define PTE_RW	0x2ull
#define PTE_US	0x4ull
#define PTE_A	0x20ull
#define PTE_D	0x40ull
#define PTE_PS	0x80ull
/*
 * Accessed and dirty are preset, so a page walk never has to write the
 * tables (a guest may still change them: they are in a writable slot).
 */
#define PTE_TABLE	(PTE_P | PTE_RW | PTE_US | PTE_A)
#define PTE_2M		(PTE_TABLE | PTE_D | PTE_PS)

#define CR0_PE	0x1ull
#define CR0_MP	0x2ull
#define CR0_ET	0x10ull
#define CR0_NE	0x20ull
#define CR0_WP	0x10000ull
#define CR0_PG	0x80000000ull
#define CR4_PAE	0x20ull
#define CR4_OSFXSR	0x200ull
#define CR4_OSXMMEXCPT	0x400ull
#define EFER_LME	0x100ull
#define EFER_LMA	0x400ull

static const uint64_t gdt[] = {
	0,
	0x00af9b000000ffffull,	/* 0x08: 64-bit code, DPL0 */
	0x00cf93000000ffffull,	/* 0x10: flat data, DPL0 */
};
static const uint64_t gdt_linux[] = {
	0,
	0,
	0x00af9b000000ffffull,	/* 0x10: __BOOT_CS */
	0x00cf93000000ffffull,	/* 0x18: __BOOT_DS */
};

static const uint64_t gdt_pm[] = {
	0,
	0x00cf9b000000ffffull,	/* 0x08: flat 32-bit code, DPL0 */
	0x00cf93000000ffffull,	/* 0x10: flat data, DPL0 */
};

void lm_build_tables(uint8_t *b, uint64_t base)
{
	uint64_t *pml4 = (uint64_t *)b, *pdpt = (uint64_t *)(b + 0x1000);

	pml4[0] = (base + 0x1000) | PTE_TABLE;
	for (unsigned i = 0; i < 4; i++) {
		uint64_t *pd = (uint64_t *)(b + 0x2000 + 0x1000 * i);
		pdpt[i] = (base + 0x2000 + 0x1000 * i) | PTE_TABLE;
		for (unsigned j = 0; j < 512; j++)
			pd[j] = (((uint64_t)i << 30) + ((uint64_t)j << 21)) | PTE_2M;
	}
	memcpy(b + LM_GDT, gdt, sizeof(gdt));
	memcpy(b + LM_GDT_LINUX, gdt_linux, sizeof(gdt_linux));
	memcpy(b + LM_GDT_PM, gdt_pm, sizeof(gdt_pm));
}

static void set_seg(struct kvm_segment *s, uint16_t sel, uint8_t type, bool code)
{
	*s = (struct kvm_segment){
		.base = 0, .limit = 0xffffffff, .selector = sel, .type = type,
		.present = 1, .dpl = 0, .db = code ? 0 : 1, .s = 1, .l = code ? 1 : 0, .g = 1,
	};
}

void lm_entry_sregs(struct kvm_sregs *sr, uint64_t base)
{
	set_seg(&sr->cs, 0x08, 0xb, true);
	set_seg(&sr->ds, 0x10, 0x3, false);
	sr->es = sr->fs = sr->gs = sr->ss = sr->ds;
	sr->gdt.base = base + LM_GDT;
	sr->gdt.limit = sizeof(gdt) - 1;
	sr->idt.base = 0;
	sr->idt.limit = 0;
	sr->cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_PG;
	sr->cr3 = base;
	sr->cr4 = CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT;
	sr->efer = EFER_LME | EFER_LMA;
}

void lm_entry_sregs_linux(struct kvm_sregs *sr, uint64_t base)
{
	lm_entry_sregs(sr, base);
	set_seg(&sr->cs, 0x10, 0xb, true);
	set_seg(&sr->ds, 0x18, 0x3, false);
	sr->es = sr->ss = sr->ds;
	sr->gdt.base = base + LM_GDT_LINUX;
	sr->gdt.limit = sizeof(gdt_linux) - 1;
}

void lm_entry_sregs_protected(struct kvm_sregs *sr, uint64_t base)
{
	lm_entry_sregs(sr, base);
	set_seg(&sr->cs, 0x08, 0xb, true);
	sr->cs.l = 0;
	sr->cs.db = 1;		/* 32-bit code */
	sr->gdt.base = base + LM_GDT_PM;
	sr->gdt.limit = sizeof(gdt_pm) - 1;
	sr->cr0 = CR0_PE | CR0_ET;
	sr->cr3 = 0;
	sr->cr4 = 0;
	sr->efer = 0;
}

void lm_entry_regs(struct kvm_regs *r, uint64_t entry, unsigned index, unsigned count)
{
	memset(r, 0, sizeof(*r));
	r->rip = entry;
	r->rflags = 0x2;
	r->rdi = index;
	r->rsi = count;
}

void lm_entry_fpu(struct kvm_fpu *fpu)
{
	memset(fpu, 0, sizeof(*fpu));
	fpu->fcw = 0x37f;
	fpu->mxcsr = 0x1f80;
}
