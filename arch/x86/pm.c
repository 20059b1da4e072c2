/*
 * The ACPI PM registers (pm.h). The guest reaches them by port I/O only;
 * the lock orders accesses from several vCPUs and the signal thread's
 * power button.
 */
#include "pm.h"

#include <time.h>

#include <qvm/log.h>

#include "vm.h"

enum {
	STS_TMR = 1u << 0, STS_PWRBTN = 1u << 8, STS_WAK = 1u << 15,
	CNT_SCI_EN = 1u << 0, CNT_SLP_TYP_SHIFT = 10, CNT_SLP_TYP = 7u << 10, CNT_SLP_EN = 1u << 13,
	/* what the guest may set: SCI_EN stays on (no SMI_CMD: always in ACPI mode) */
	CNT_WRITABLE = 0x0006 | CNT_SLP_TYP,
	EN_WRITABLE = 0x0521,	/* TMR_EN, GBL_EN, PWRBTN_EN, RTC_EN */
};

void pm_init(struct x86_pm *pm)
{
	pthread_mutex_init(&pm->lock, NULL);
	pm->sts = pm->en = 0;
	pm->cnt = CNT_SCI_EN;
	pm->sci = false;
	pm->bad_sleep_warned = false;
}

/* The PM timer: 3.579545 MHz from the host's monotonic clock, 32 bits (TMR_VAL_EXT). */
static uint32_t pm_timer(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint32_t)((uint64_t)ts.tv_sec * PM_TMR_HZ +
			(uint64_t)ts.tv_nsec * PM_TMR_HZ / 1000000000u);
}

/* Drive the SCI to what status and enable say; lock held. */
static void update_sci(struct qvm_vm *vm, struct x86_pm *pm)
{
	bool level = (pm->sts & pm->en & (STS_PWRBTN | STS_TMR)) != 0;

	if (level != pm->sci && arch_irq_line(vm, 0, PM_SCI_IRQ, level) == 0)
		pm->sci = level;
}

/* The block's bytes as the guest reads them. */
static void image(struct x86_pm *pm, uint8_t b[PM_LEN])
{
	uint32_t t = pm_timer();

	b[0] = (uint8_t)pm->sts;
	b[1] = (uint8_t)(pm->sts >> 8);
	b[2] = (uint8_t)pm->en;
	b[3] = (uint8_t)(pm->en >> 8);
	b[4] = (uint8_t)pm->cnt;
	b[5] = (uint8_t)(pm->cnt >> 8);
	b[6] = b[7] = 0;
	for (int i = 0; i < 4; i++)
		b[8 + i] = (uint8_t)(t >> (8 * i));
}

bool pm_io(struct guest_cpu *cpu, uint16_t port, unsigned size, bool write, uint8_t *data)
{
	struct qvm_vm *vm = cpu->vm;
	struct x86_pm *pm = &vm->arch.pm;
	unsigned off = port - PM_BASE;
	bool on = true;

	pthread_mutex_lock(&pm->lock);
	if (!write) {
		uint8_t b[PM_LEN];
		image(pm, b);
		for (unsigned i = 0; i < size; i++)
			data[i] = off + i < PM_LEN ? b[off + i] : 0xff;
		pthread_mutex_unlock(&pm->lock);
		return true;
	}
	uint16_t sts_clear = 0, en = pm->en, cnt = pm->cnt;
	bool cnt_written = false;
	for (unsigned i = 0; i < size && off + i < PM_LEN; i++) {
		unsigned o = off + i, sh = 8 * (o & 1);
		uint16_t v = (uint16_t)(data[i] << sh), mask = (uint16_t)(0xff << sh);
		if (o < 2)
			sts_clear |= v;			/* write 1 to clear */
		else if (o < 4)
			en = (uint16_t)((en & ~mask) | (v & EN_WRITABLE & mask));
		else if (o < 6) {
			cnt = (uint16_t)((cnt & ~(mask & CNT_WRITABLE)) | (v & mask & CNT_WRITABLE));
			if ((o == 5) && (v & CNT_SLP_EN))
				cnt_written = true;
		}
	}
	pm->sts &= (uint16_t)~sts_clear;
	pm->en = en;
	pm->cnt = cnt;
	update_sci(vm, pm);
	if (cnt_written) {
		unsigned typ = (cnt & CNT_SLP_TYP) >> CNT_SLP_TYP_SHIFT;
		if (typ == PM_S5_TYP) {
			vm_log(vm, QL_QVM_INFO, "vcpu %u: the guest powered off (ACPI S5): exiting",
					cpu->index);
			term_request(vm, QVM_EXIT_NORMAL);
			on = false;
		} else if (!pm->bad_sleep_warned) {
			pm->bad_sleep_warned = true;
			vm_log(vm, QL_QVM_WARN, "vcpu %u: the guest asked for sleep type %u, which the "
					"DSDT does not offer (only S5): ignored", cpu->index, typ);
		}
	}
	pthread_mutex_unlock(&pm->lock);
	return on;
}

void pm_power_button(struct qvm_vm *vm)
{
	struct x86_pm *pm = &vm->arch.pm;

	pthread_mutex_lock(&pm->lock);
	pm->sts |= STS_PWRBTN;
	update_sci(vm, pm);
	pthread_mutex_unlock(&pm->lock);
}
