/*
 * The x86_64 long-mode entry state, shared by qvm (arch/x86/boot.c) and the
 * benchmark's raw-KVM baseline (tools/bench/kvm-baseline.c), so that both
 * start a guest in exactly the same state.
 *
 * A 64 KiB boot area outside guest RAM:
 *   +0x0000  PML4          +0x1000  PDPT       +0x2000..+0x5fff  4 PDs
 *   +0x6000  GDT (null, 0x08 64-bit code, 0x10 flat data)
 *   +0x6100  GDT for Linux (boot.rst: 0x10 __BOOT_CS, 0x18 __BOOT_DS)
 *   +0x6200  GDT for multiboot (0x08 flat 32-bit code, 0x10 flat data)
 *   +0x8000  3 pages for KVM_SET_TSS_ADDR, +0xb000 identity-map page
 *            (used by KVM on Intel hosts; not a memory slot)
 * The PDs identity-map the first 4 GiB with 2 MiB pages, writable and
 * user-accessible, so a guest can run code at CPL3 without its own tables.
 */
#ifndef QVM_LONGMODE_H
#define QVM_LONGMODE_H

#include <linux/kvm.h>
#include <stdint.h>

#define LM_AREA_SIZE	0x10000ull	/* the hole the area needs */
#define LM_SLOT_SIZE	0x8000ull	/* the part that is a memory slot */
#define LM_TSS		0x8000ull
#define LM_IDMAP	0xb000ull

/* Page tables and GDT into the LM_SLOT_SIZE bytes at area, which the guest sees at base. */
void lm_build_tables(uint8_t *area, uint64_t base);
/* Long mode in sregs (as read with KVM_GET_SREGS) for an area at base. */
void lm_entry_sregs(struct kvm_sregs *sr, uint64_t base);
/* The same with the Linux 64-bit boot protocol's selectors and GDT. */
void lm_entry_sregs_linux(struct kvm_sregs *sr, uint64_t base);
/*
 * 32-bit protected mode with paging off and flat 4 GiB segments (code 0x08,
 * data 0x10, a GDT of them in the area): the multiboot entry state.
 */
void lm_entry_sregs_protected(struct kvm_sregs *sr, uint64_t base);
/* RIP = entry, RFLAGS = 0x2, RDI = vCPU index, RSI = vCPU count, the rest 0. */
void lm_entry_regs(struct kvm_regs *r, uint64_t entry, unsigned index, unsigned count);
/* x87 and SSE control words at their reset values. */
void lm_entry_fpu(struct kvm_fpu *fpu);

#endif
