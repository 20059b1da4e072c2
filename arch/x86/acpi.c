/*
 * The x86 guest's ACPI tables: a DSDT (\_S5 and the vdevs' devices, with
 * core/acpi.c), a FADT for the PM registers of pm.c (S5 power-off, the
 * reset register at 0xcf9), a MADT (a local APIC per vCPU, the in-kernel
 * IOAPIC, the SCI's override), a FACS, the tables vdevs and `acpi load`
 * add, and the RSDT/XSDT/RSDP listing them.
 *
 * They live in an area of their own outside RAM (a memory slot of qvm's,
 * like the boot page tables), which the e820 map calls ACPI data; the
 * RSDP is also copied to 0xe0000 where the guest has RAM there, the place
 * a PC guest searches, and a Linux kernel is told its address in the zero
 * page.
 */
#include "acpi.h"
#include "le.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include <qvm/log.h>

#include "loader.h"
#include "pm.h"
#include "vm.h"
#include "x86.h"

#define FADT_LEN	276	/* ACPI 6.x, revision 6 */
#define FACS_LEN	64
#define RSDP_LOW	0xe0000ull	/* where a PC guest looks for the RSDP */
#define MADT_LAPIC_LEN	8
#define MADT_IOAPIC_LEN	12
#define MADT_ISO_LEN	10
#define MADT_NMI_LEN	6

/* A Generic Address Structure in I/O space. */
static void gas_io(uint8_t *p, unsigned bits, unsigned access, uint64_t port)
{
	p[0] = 1;		/* SystemIO */
	p[1] = (uint8_t)bits;
	p[2] = 0;
	p[3] = (uint8_t)access;	/* 1 byte, 2 word, 3 dword */
	put_le64(p + 4, port);
}

static bool owned(struct qvm_vm *vm, uint64_t port, uint64_t len)
{
	return vm_range_owner(vm, REGION_IO, port, len) != NULL;
}

static void make_fadt(struct qvm_vm *vm, uint8_t *t, uint32_t facs, uint32_t dsdt)
{
	enum {
		WBINVD = 1u << 0, PROC_C1 = 1u << 2, SLP_BUTTON = 1u << 5, TMR_VAL_EXT = 1u << 8,
		RESET_REG_SUP = 1u << 10,
		LEGACY_DEVICES = 1u << 0, I8042 = 1u << 1, NO_VGA = 1u << 2, NO_MSI = 1u << 3,
		NO_CMOS_RTC = 1u << 5,
	};
	bool rtc = owned(vm, 0x70, 2), kbd = owned(vm, 0x60, 1) && owned(vm, 0x64, 1);

	memset(t, 0, FADT_LEN);
	acpi_header(t, "FACP", FADT_LEN, 6);
	put_le32(t + 36, facs);
	put_le32(t + 40, dsdt);
	put_le16(t + 46, PM_SCI_IRQ);
	/* SMI_CMD 0: always in ACPI mode, no transition (PM1 SCI_EN reads 1) */
	put_le32(t + 56, PM1_EVT);
	put_le32(t + 64, PM1_CNT);
	put_le32(t + 76, PM_TMR);
	t[88] = 4;	/* PM1_EVT_LEN */
	t[89] = 2;	/* PM1_CNT_LEN */
	t[91] = 4;	/* PM_TMR_LEN */
	put_le16(t + 96, 101);	/* P_LVL2_LAT > 100: no C2 */
	put_le16(t + 98, 1001);	/* P_LVL3_LAT > 1000: no C3 */
	t[108] = rtc ? 0x32 : 0;	/* CENTURY: the mc146818's century byte */
	/* `set legacy-free`: a PC without ISA devices, as ACPI describes one */
	put_le16(t + 109, (uint16_t)((vm->legacy_free ? 0 : LEGACY_DEVICES | (kbd ? I8042 : 0)) |
			NO_VGA | NO_MSI |
			(rtc ? 0 : NO_CMOS_RTC)));
	put_le32(t + 112, WBINVD | PROC_C1 | SLP_BUTTON | TMR_VAL_EXT | RESET_REG_SUP);
	gas_io(t + 116, 8, 1, 0xcf9);	/* RESET_REG: the chipset's reset control */
	t[128] = 0x06;			/* RESET_VALUE: full reset (arch/x86/exit.c) */
	t[131] = 0;			/* FADT minor version */
	put_le64(t + 140, dsdt);		/* X_DSDT */
	gas_io(t + 148, 32, 2, PM1_EVT);
	gas_io(t + 172, 16, 2, PM1_CNT);
	gas_io(t + 208, 32, 3, PM_TMR);
	memcpy(t + 268, "QVM     ", 8);	/* hypervisor vendor identity [ours] */
	acpi_checksum(t, FADT_LEN, 9);
}

/* The MADT into t (room for x86_madt_len): its length. */
static size_t madt_len(unsigned ncpus)
{
	return ACPI_HDR_LEN + 8 + ncpus * MADT_LAPIC_LEN + MADT_IOAPIC_LEN + MADT_ISO_LEN +
		MADT_NMI_LEN;
}

static void make_madt(struct qvm_vm *vm, uint8_t *t)
{
	size_t len = madt_len(vm->ncpus);
	uint8_t *p = t + ACPI_HDR_LEN;

	memset(t, 0, len);
	acpi_header(t, "APIC", (uint32_t)len, 3);
	put_le32(p, (uint32_t)LAPIC_DEFAULT_BASE);
	put_le32(p + 4, vm->legacy_free ? 0 : 1);	/* PCAT_COMPAT: the 8259s are there too */
	p += 8;
	for (unsigned i = 0; i < vm->ncpus; i++, p += MADT_LAPIC_LEN) {
		p[0] = 0;		/* processor local APIC */
		p[1] = MADT_LAPIC_LEN;
		p[2] = (uint8_t)i;	/* ACPI processor UID */
		p[3] = (uint8_t)i;	/* APIC ID: the vCPU index (arch/x86/cpu.c) */
		put_le32(p + 4, 1);	/* enabled */
	}
	p[0] = 1;			/* I/O APIC */
	p[1] = MADT_IOAPIC_LEN;
	p[2] = 0;			/* its ID: KVM's resets to 0 */
	put_le32(p + 4, (uint32_t)x86_ioapic_base(vm));
	put_le32(p + 8, 0);		/* GSI base */
	p += MADT_IOAPIC_LEN;
	p[0] = 2;			/* interrupt source override: the SCI, level, active high */
	p[1] = MADT_ISO_LEN;
	p[2] = 0;			/* ISA */
	p[3] = PM_SCI_IRQ;
	put_le32(p + 4, PM_SCI_IRQ);
	put_le16(p + 8, 0x000d);
	p += MADT_ISO_LEN;
	p[0] = 4;			/* local APIC NMI: every processor's LINT1 */
	p[1] = MADT_NMI_LEN;
	p[2] = 0xff;
	put_le16(p + 3, 0);
	p[5] = 1;
	acpi_checksum(t, len, 9);
}

/* Name (\_S5, Package () { S5, S5, 0, 0 }): the SLP_TYP pm.c powers off on. */
static void dsdt_root(struct aml *d)
{
	static const uint8_t package = AML_PACKAGE;

	aml_name(d, "\\_S5");
	aml_open(d, &package, 1);
	aml_byte(d, 4);
	aml_integer(d, PM_S5_TYP);
	aml_integer(d, PM_S5_TYP);
	aml_integer(d, 0);
	aml_integer(d, 0);
	aml_close(d);
}

/* Where each table goes in the area; the order they are laid out in. */
struct piece {
	const char *name;	/* for acpi-dump-dir */
	const uint8_t *data;
	size_t len, off;
};

static size_t align_up(size_t v, size_t a)
{
	return (v + a - 1) & ~(a - 1);
}

int x86_acpi_build(struct qvm_vm *vm, struct qvm_boot *boot, struct qerr *e)
{
	struct qvm_acpi *a = &vm->acpi;
	struct arch_vm *x = &vm->arch;
	uint8_t facs[FACS_LEN] = { 0 }, fadt[FADT_LEN], *madt = NULL, *rsdt = NULL, *xsdt = NULL;
	uint8_t rsdp[ACPI_RSDP_LEN];
	struct piece p[ACPI_MAX_TABLES + 8];
	uint64_t gpas[ACPI_MAX_TABLES + 3];
	unsigned n = 0, nlist = 0;
	int r;

	dsdt_root(vacpi_dsdt_begin(vm));
	r = vacpi_dsdt_finish(vm, e);
	if (r)
		return r;
	madt = malloc(madt_len(vm->ncpus));
	if (!madt)
		return qerr_set(e, -ENOMEM, "out of memory");
	make_madt(vm, madt);
	memcpy(facs, "FACS", 4);
	put_le32(facs + 4, FACS_LEN);
	facs[32] = 2;	/* version */

	/* the layout: FACS (64-byte aligned) first, then the rest 16-byte aligned */
	p[n++] = (struct piece){ "facs", facs, FACS_LEN, 0 };
	p[n++] = (struct piece){ "dsdt", a->dsdt.buf, a->dsdt.len, 0 };
	p[n++] = (struct piece){ "facp", fadt, FADT_LEN, 0 };
	p[n++] = (struct piece){ "apic", madt, madt_len(vm->ncpus), 0 };
	unsigned first_extra = n;
	for (unsigned i = 0; i < a->ntables; i++)
		if (!a->tables[i].placed)
			p[n++] = (struct piece){ NULL, a->tables[i].data, a->tables[i].len, 0 };
	unsigned ntab = 2 + (n - first_extra);	/* FADT, MADT and the extras... */
	for (unsigned i = 0; i < a->ntables; i++)
		ntab += a->tables[i].placed;	/* ... and the tables already in RAM */
	size_t rsdt_len = ACPI_HDR_LEN + 4 * (size_t)ntab, xsdt_len = ACPI_HDR_LEN + 8 * (size_t)ntab;
	rsdt = malloc(rsdt_len);
	xsdt = malloc(xsdt_len);
	if (!rsdt || !xsdt) {
		r = qerr_set(e, -ENOMEM, "out of memory");
		goto out;
	}
	unsigned i_rsdt = n;
	p[n++] = (struct piece){ "rsdt", rsdt, rsdt_len, 0 };
	p[n++] = (struct piece){ "xsdt", xsdt, xsdt_len, 0 };
	p[n++] = (struct piece){ "rsdp", rsdp, ACPI_RSDP_LEN, 0 };
	size_t off = 0;
	for (unsigned i = 0; i < n; i++) {
		p[i].off = off;
		off = align_up(off + p[i].len, i == 0 ? 64 : 16);
	}
	if (off > ACPI_TOTAL_MAX) {
		r = qerr_set(e, -E2BIG, "the ACPI tables are %zu bytes, more than %u", off,
				ACPI_TOTAL_MAX);
		goto out;
	}
	size_t area = align_up(off, 0x1000);
	uint64_t base;
	if (x86_find_hole(vm, area, 0x1000, x->boot_gpa, &base)) {
		r = qerr_set(e, -ENOSPC, "no free %zu bytes below 0x%llx for the ACPI tables", area,
				(unsigned long long)x->boot_gpa);
		goto out;
	}

	/* the tables that point at others, now that every address is known */
	make_fadt(vm, fadt, (uint32_t)(base + p[0].off), (uint32_t)(base + p[1].off));
	gpas[nlist++] = base + p[2].off;
	gpas[nlist++] = base + p[3].off;
	for (unsigned i = first_extra; i < i_rsdt; i++)
		gpas[nlist++] = base + p[i].off;
	for (unsigned i = 0; i < a->ntables; i++)
		if (a->tables[i].placed)
			gpas[nlist++] = a->tables[i].gpa;
	acpi_make_rsdt(rsdt, gpas, nlist);
	acpi_make_xsdt(xsdt, gpas, nlist);
	acpi_make_rsdp(rsdp, (uint32_t)(base + p[i_rsdt].off), base + p[i_rsdt + 1].off);

	x->acpi_hva = mmap(NULL, area, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (x->acpi_hva == MAP_FAILED) {
		x->acpi_hva = NULL;
		r = qerr_set(e, -errno, "cannot allocate the ACPI area: %s", strerror(errno));
		goto out;
	}
	x->acpi_len = area;
	x->acpi_gpa = base;
	for (unsigned i = 0; i < n; i++)
		memcpy(x->acpi_hva + p[i].off, p[i].data, p[i].len);
	boot->acpi = (struct qvm_blob){ base + p[n - 1].off, ACPI_RSDP_LEN };

	/* acpidump's names: a second table of a kind gets its number */
	for (unsigned i = 0; !r && i < n; i++) {
		char name[16];
		if (p[i].name) {
			snprintf(name, sizeof(name), "%s", p[i].name);
		} else {
			unsigned same = 0;
			for (unsigned k = first_extra; k < i; k++)
				same += memcmp(p[k].data, p[i].data, 4) == 0;
			for (int c = 0; c < 4; c++)
				name[c] = (char)(p[i].data[c] >= 'A' && p[i].data[c] <= 'Z' ?
						p[i].data[c] + 'a' - 'A' : p[i].data[c]);
			if (same)
				snprintf(name + 4, sizeof(name) - 4, "%u", same + 1);
			else
				name[4] = '\0';
		}
		r = vacpi_dump(vm, name, p[i].data, p[i].len, e);
	}
	vm_log(vm, QL_QVM_DEBUG, "ACPI: %u tables at 0x%llx (%zu bytes), RSDP at 0x%llx", nlist + 2,
			(unsigned long long)base, off, (unsigned long long)boot->acpi.gpa);
out:
	free(madt);
	free(rsdt);
	free(xsdt);
	return r;
}

int x86_acpi_setup(struct qvm_vm *vm, struct qvm_boot *boot, struct qerr *e)
{
	struct arch_vm *x = &vm->arch;
	int r = x86_acpi_build(vm, boot, e);

	if (r)
		return r;
	struct kvm_userspace_memory_region slot = {
		.slot = ACPI_SLOT,
		.guest_phys_addr = x->acpi_gpa,
		.memory_size = x->acpi_len,
		.userspace_addr = (uintptr_t)x->acpi_hva,
	};
	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &slot) < 0)
		return qerr_set(e, -errno, "KVM_SET_USER_MEMORY_REGION (ACPI tables): %s",
				strerror(errno));
	/* a PC guest's search: 0xe0000-0xfffff on 16-byte boundaries */
	uint8_t *low = vm_gpa_to_hva(vm, RSDP_LOW, ACPI_RSDP_LEN);
	if (low && !vm_mem_at(vm, RSDP_LOW)->rom && !loader_overlap(vm, RSDP_LOW, ACPI_RSDP_LEN))
		memcpy(low, x->acpi_hva + (boot->acpi.gpa - x->acpi_gpa), ACPI_RSDP_LEN);
	else
		vm_log(vm, QL_QVM_DEBUG, "ACPI: no free ram at 0x%llx: the RSDP is only at 0x%llx",
				RSDP_LOW, (unsigned long long)boot->acpi.gpa);
	return 0;
}

int arch_acpi_gsi(struct qvm_vm *vm, unsigned pic, unsigned line)
{
	(void)vm;
	(void)pic;
	return (int)line;	/* KVM's routing: GSI N is IOAPIC pin N and, below 16, 8259 line N */
}
