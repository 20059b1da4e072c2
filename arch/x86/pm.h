/*
 * pm.h - the ACPI fixed-hardware registers of an x86 VM (arch/x86/pm.c):
 * the PM1a event block (status, enable), the PM1a control block (SCI_EN,
 * SLP_TYP, SLP_EN: S5 powers off) and the 32-bit PM timer, in I/O space
 * where the FADT (arch/x86/acpi.c) says, with the SCI on IRQ 9.
 */
#ifndef QVM_X86_PM_H
#define QVM_X86_PM_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct guest_cpu;
struct qvm_vm;

#define PM_BASE		0x600u	/* as QEMU's PIIX4/ICH9 (what guests expect there) */
#define PM1_EVT		(PM_BASE + 0)	/* PM1a_STS (2 bytes), PM1a_EN (2) */
#define PM1_CNT		(PM_BASE + 4)	/* 2 bytes */
#define PM_TMR		(PM_BASE + 8)	/* 4 bytes */
#define PM_LEN		12u
#define PM_SCI_IRQ	9u
#define PM_S5_TYP	5u	/* the SLP_TYP of \_S5 in the DSDT */
#define PM_TMR_HZ	3579545u

struct x86_pm {
	pthread_mutex_t lock;
	uint16_t sts, en, cnt;
	bool sci;		/* the level the SCI line was last driven to */
	bool bad_sleep_warned;
};

void pm_init(struct x86_pm *pm);
/*
 * An access of size bytes at port (in [PM_BASE, PM_BASE + PM_LEN)), data
 * in or out. false when the guest powered off (qvm ends with 0).
 */
bool pm_io(struct guest_cpu *cpu, uint16_t port, unsigned size, bool write, uint8_t *data);
/* The power button was pressed (SIGTERM): PWRBTN_STS, and the SCI if enabled. */
void pm_power_button(struct qvm_vm *vm);

#endif
