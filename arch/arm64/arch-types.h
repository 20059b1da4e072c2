/* aarch64 parts of struct qvm_vm and struct guest_cpu (see README.md). */
#ifndef QVM_ARCH_TYPES_H
#define QVM_ARCH_TYPES_H

#include <elf.h>
#include <linux/kvm.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

#include <qvm/cpuregs.h>

#define ARCH_NAME		"aarch64"
#define ARCH_ELF_MACHINE	EM_AARCH64
/* No 32-bit ELF images */
#define ARCH_ELF32_MACHINE	0
/* No ports: `loc io:` and VFF_VDEV_X86_IO-only vdevs find no port space. */
#define ARCH_IO_QST		QST_NO_TYPE
/* As QEMU's virt machine: devices below 1 GiB, RAM from there. */
#define ARCH_RAM_BASE		0x40000000ull
#define ARCH_HAS_FDT		1
#define ARCH_DATA_FLOOR		0x0ull
#define ARCH_HAS_ACPI		0

/* The KVM_{GET,SET}_ONE_REG id of the core register at offset off in struct kvm_regs. */
static inline uint64_t arch_core_reg(size_t off)
{
	return KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | (off / sizeof(uint32_t));
}

/* The in-kernel vGIC (gic.c): `vdev gic` options, or the defaults. */
struct arch_gic {
	unsigned version;		/* 2 or 3; 0 = not set (3) */
	uint64_t dist, cpu;		/* distributor; v3 redistributors or v2 CPU interface */
	bool dist_given, cpu_given, gicr_given;
	bool configured;		/* a `vdev gic` exists */
	int fd;				/* KVM_CREATE_DEVICE's, -1 before */
};

struct arch_vm {
	unsigned ipa_bits;		/* the VM's IPA size (arch_vm_type) */
	struct arch_gic gic;
};

struct arch_vcpu {
	struct kvm_vcpu_init init;	/* target and features (arch_vcpu_init) */
	/* saved on the vCPU's thread for core dumps (arch_vcpu_save_regs) */
	uint64_t regs[31], sp, pc, pstate;
	bool saved;
	/* the vdevs' copy of the registers in an exit, its fields read and written (regs.c) */
	AARCH64_CPU_REGISTERS copy;
	uint64_t have, written;
};

#endif
