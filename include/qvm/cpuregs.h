/*
 * The vCPU registers as guest_cpu_read()/guest_cpu_write() see them with
 * QST_CPUREGS: a qvm_state_block's location is a byte offset into the architecture's
 * CPU_REGISTERS structure, the layout of QNX's <x86_64/context.h> and
 * <aarch64/context.h> (which the SDK also provides as shims of this file),
 * so that `offsetof(AARCH64_CPU_REGISTERS, gpr[0])` means what it does on
 * QNX. Both layouts are defined on every host; CPU_REGISTERS is the host's
 * (qvm runs guests of its own architecture).
 *
 * Reads see the vCPU as it stopped on the trapped access: the instruction
 * pointer is that instruction's address, and the register a read goes
 * into does not have the value yet. Writes take effect once KVM has
 * completed the access [ours: the vendor does not say]: after the access's
 * own result, so a write to the register the guest reads into wins, and a
 * write to the instruction pointer makes the vCPU resume there rather than
 * after the instruction. Every field can be written but the x86 segment
 * selectors cs and ss (EINVAL: a selector alone is not a segment).
 */
#ifndef QVM_CPUREGS_H
#define QVM_CPUREGS_H

#include <stdint.h>

#ifndef __X86_64_CONTEXT_H_INCLUDED
#define __X86_64_CONTEXT_H_INCLUDED
/* 160 bytes; the order is QNX's kernel-call argument order, then the rest. */
typedef struct x86_64_cpu_registers {
	uint64_t rdi, rsi, rdx, r10, r8, r9, rax, rbx, rbp, rcx, r11, r12, r13, r14, r15;
	uint64_t rip;
	uint32_t cs;		/* the code segment's selector (read only) */
	uint32_t rsvd1;
	uint64_t rflags;
	uint64_t rsp;
	uint32_t ss;		/* the stack segment's selector (read only) */
	uint32_t rsvd2;
} X86_64_CPU_REGISTERS;

#define X86_64_GET_REGIP(regs)		((regs)->rip)
#define X86_64_GET_REGSP(regs)		((regs)->rsp)
#define X86_64_SET_REGIP(regs, v)	((regs)->rip = (v))
#define X86_64_SET_REGSP(regs, v)	((regs)->rsp = (v))
#endif

#ifndef __AARCH64_CONTEXT_H_INCLUDED
#define __AARCH64_CONTEXT_H_INCLUDED
/*
 * 272 bytes: x0-x30, then the stack pointer of the vCPU's current
 * exception level and stack selection (SP_EL1 at EL1h, else SP_EL0) in
 * gpr[31]; elr is the address of the instruction being handled, pstate
 * the vCPU's PSTATE.
 */
typedef struct aarch64_cpu_registers {
	uint64_t gpr[32];
	uint64_t elr;
	uint64_t pstate;
} __attribute__((__aligned__(16))) AARCH64_CPU_REGISTERS;

#define AARCH64_REG_X0		0
#define AARCH64_REG_X1		1
#define AARCH64_REG_X2		2
#define AARCH64_REG_X3		3
#define AARCH64_REG_X4		4
#define AARCH64_REG_X5		5
#define AARCH64_REG_X6		6
#define AARCH64_REG_X7		7
#define AARCH64_REG_X8		8
#define AARCH64_REG_X9		9
#define AARCH64_REG_X10		10
#define AARCH64_REG_X11		11
#define AARCH64_REG_X12		12
#define AARCH64_REG_X13		13
#define AARCH64_REG_X14		14
#define AARCH64_REG_X15		15
#define AARCH64_REG_X16		16
#define AARCH64_REG_X17		17
#define AARCH64_REG_X18		18
#define AARCH64_REG_X19		19
#define AARCH64_REG_X20		20
#define AARCH64_REG_X21		21
#define AARCH64_REG_X22		22
#define AARCH64_REG_X23		23
#define AARCH64_REG_X24		24
#define AARCH64_REG_X25		25
#define AARCH64_REG_X26		26
#define AARCH64_REG_X27		27
#define AARCH64_REG_X28		28
#define AARCH64_REG_X29		29
#define AARCH64_REG_X30		30
#define AARCH64_REG_X31		31
#define AARCH64_REG_LR		30
#define AARCH64_REG_SP		31

#define AARCH64_GET_REGIP(regs)		((regs)->elr)
#define AARCH64_GET_REGSP(regs)		((regs)->gpr[AARCH64_REG_SP])
#define AARCH64_SET_REGIP(regs, v)	((regs)->elr = (v))
#define AARCH64_SET_REGSP(regs, v)	((regs)->gpr[AARCH64_REG_SP] = (v))
#endif

#if defined(__x86_64__)
typedef X86_64_CPU_REGISTERS CPU_REGISTERS;
#elif defined(__aarch64__)
typedef AARCH64_CPU_REGISTERS CPU_REGISTERS;
#endif

#endif
