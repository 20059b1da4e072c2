/* x86_64 parts of struct qvm_vm and struct guest_cpu. */
#ifndef QVM_ARCH_TYPES_H
#define QVM_ARCH_TYPES_H

#include <elf.h>
#include <linux/kvm.h>
#include <stdbool.h>
#include <stdint.h>

#include <qvm/cpuregs.h>

#include "bzimage.h"
#include "multiboot.h"
#include "pm.h"

#define ARCH_NAME		"x86_64"
#define ARCH_ELF_MACHINE	EM_X86_64
/* 32-bit ELF images it boots: multiboot kernels */
#define ARCH_ELF32_MACHINE	EM_386
/* A trapped port access, as vdevs see it (vop->qst_type). */
#define ARCH_IO_QST		QST_X86_IO
/* Where the first `ram` without a start begins. */
#define ARCH_RAM_BASE		0x0ull
/* Guests are described by ACPI tables rather than an FDT (arm64). */
#define ARCH_HAS_FDT		0
#define ARCH_DATA_FLOOR		0x100000ull	/* the first MiB: boot structures, legacy holes */
#define ARCH_HAS_ACPI		1

struct kvm_cpuid2;

struct arch_vm {
	uint64_t boot_gpa;		/* page tables and GDT (see boot.c) */
	uint8_t *boot_hva;
	struct kvm_cpuid2 *cpuid;	/* what KVM supports, patched per vCPU */
	struct bzimage bz;		/* the kernel's setup header (QVM_BOOT_LINUX) */
	struct multiboot mb;		/* the kernel's multiboot header (QVM_BOOT_MULTIBOOT) */
	uint64_t acpi_gpa, acpi_len;	/* the ACPI tables' area (acpi.c) */
	uint8_t *acpi_hva;
	struct x86_pm pm;		/* the ACPI PM registers (pm.c) */
	/* the platform's vdevs (platform.c) */
	bool ioapic_given;		/* `vdev ioapic` seen */
	unsigned i8259_given;		/* bit 0: io:0x20, bit 1: io:0xa0 */
	bool pit;			/* `vdev timer8254`: the in-kernel PIT */
};

struct arch_vcpu {
	/* saved on the vCPU's thread for core dumps (arch_vcpu_save_regs) */
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	bool saved;
	/* the vdevs' copy of the registers in an exit, and its 8-byte fields written (regs.c) */
	X86_64_CPU_REGISTERS copy;
	uint32_t written;
};

#endif
