/*
 * The x86 guest's ACPI tables as x86_acpi_build lays them out, without
 * KVM: followed from the RSDP as a guest follows them, every table's
 * checksum right, the FADT's pointers and PM blocks, a local APIC per
 * vCPU in the MADT, the tables of `acpi load` listed (in the area, or
 * where the option put them), the area clear of the boot page tables and
 * called ACPI data in the e820 map.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "longmode.h"
#include "pm.h"
#include "test.h"
#include "vm.h"
#include "x86.h"

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const uint8_t *p)
{
	return get32(p) | (uint64_t)get32(p + 4) << 32;
}

static struct qvm_vm *machine(unsigned ncpus)
{
	struct qvm_vm *vm = NULL;
	struct qerr e;

	if (vm_create(&vm, &e) || vm_add_mem(vm, true, 0, 16 << 20, false, &e))
		abort();
	vm->ncpus = ncpus;
	vm->arch.boot_gpa = 0xfebf0000;	/* as arch_boot_setup places it */
	vm->arch.boot_hva = mmap(NULL, LM_SLOT_SIZE, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return vm;
}

/* The table at gpa, whole in the ACPI area or in ram; NULL if not. */
static const uint8_t *at(struct qvm_vm *vm, uint64_t gpa)
{
	const struct arch_vm *x = &vm->arch;

	if (gpa >= x->acpi_gpa && gpa + ACPI_HDR_LEN <= x->acpi_gpa + x->acpi_len) {
		const uint8_t *t = x->acpi_hva + (gpa - x->acpi_gpa);
		bool rsdp = memcmp(t, "RSD PTR ", 8) == 0;
		uint64_t len = rsdp ? ACPI_RSDP_LEN : get32(t + 4);
		return gpa + len <= x->acpi_gpa + x->acpi_len ? t : NULL;
	}
	const uint8_t *t = vm_gpa_to_hva(vm, gpa, ACPI_HDR_LEN);
	return t && vm_gpa_to_hva(vm, gpa, get32(t + 4)) ? t : NULL;
}

/* The XSDT's entry with signature sig, or NULL. */
static const uint8_t *find(struct qvm_vm *vm, const uint8_t *xsdt, const char *sig)
{
	for (uint32_t o = ACPI_HDR_LEN; o + 8 <= get32(xsdt + 4); o += 8) {
		const uint8_t *t = at(vm, get64(xsdt + o));
		if (t && memcmp(t, sig, 4) == 0)
			return t;
	}
	return NULL;
}

TEST(followed_from_the_rsdp)
{
	struct qvm_vm *vm = machine(3);
	struct qerr e;

	/* one table for the area, one placed at 0x9000 in ram, as `acpi load` leaves them */
	uint8_t *ssdt = calloc(1, 40), *oem = calloc(1, 44);
	acpi_header(ssdt, "SSDT", 40, 2);
	acpi_checksum(ssdt, 40, 9);
	acpi_header(oem, "OEM1", 44, 1);
	acpi_checksum(oem, 44, 9);
	memcpy(vm_gpa_to_hva(vm, 0x9000, 44), oem, 44);
	CHECK(vacpi_user_table(vm, ssdt, 40, false, 0, &e) == 0);
	CHECK(vacpi_user_table(vm, oem, 44, true, 0x9000, &e) == 0);

	int r = x86_acpi_build(vm, &vm->boot, &e);
	CHECK(r == 0);
	if (r) {
		printf("# %s\n", e.msg);
		vm_destroy(vm);
		return;
	}
	const struct arch_vm *x = &vm->arch;
	CHECK(x->acpi_gpa + x->acpi_len <= x->boot_gpa && x->acpi_gpa >= 16 << 20);
	CHECK((x->acpi_gpa & 0xfff) == 0 && (x->acpi_len & 0xfff) == 0);

	const uint8_t *rsdp = at(vm, vm->boot.acpi.gpa);
	CHECK(rsdp && memcmp(rsdp, "RSD PTR ", 8) == 0 && (vm->boot.acpi.gpa & 15) == 0);
	CHECK(rsdp && acpi_sum(rsdp, 20) == 0 && acpi_sum(rsdp, 36) == 0);
	const uint8_t *xsdt = at(vm, get64(rsdp + 24)), *rsdt = at(vm, get32(rsdp + 16));
	CHECK(xsdt && memcmp(xsdt, "XSDT", 4) == 0 && acpi_sum(xsdt, get32(xsdt + 4)) == 0);
	CHECK(rsdt && memcmp(rsdt, "RSDT", 4) == 0 && acpi_sum(rsdt, get32(rsdt + 4)) == 0);
	/* FADT, MADT, the SSDT in the area, the OEM1 table where it was put */
	CHECK(xsdt && get32(xsdt + 4) == ACPI_HDR_LEN + 4 * 8);
	CHECK(rsdt && get32(rsdt + 4) == ACPI_HDR_LEN + 4 * 4);
	for (uint32_t i = 0; xsdt && rsdt && i < 4; i++) {
		uint64_t gpa = get64(xsdt + ACPI_HDR_LEN + 8 * i);
		const uint8_t *t = at(vm, gpa);
		CHECK(t && acpi_sum(t, get32(t + 4)) == 0);
		CHECK(get32(rsdt + ACPI_HDR_LEN + 4 * i) == gpa);
	}
	CHECK(xsdt && find(vm, xsdt, "OEM1") == vm_gpa_to_hva(vm, 0x9000, 44));
	CHECK(xsdt && find(vm, xsdt, "SSDT") != NULL);

	const uint8_t *fadt = xsdt ? find(vm, xsdt, "FACP") : NULL;
	CHECK(fadt && get32(fadt + 4) == 276 && fadt[8] == 6);
	if (fadt) {
		const uint8_t *dsdt = at(vm, get64(fadt + 140)), *facs = at(vm, get32(fadt + 36));
		CHECK(dsdt && get32(fadt + 40) == get64(fadt + 140));
		CHECK(dsdt && memcmp(dsdt, "DSDT", 4) == 0 && acpi_sum(dsdt, get32(dsdt + 4)) == 0);
		CHECK(facs && memcmp(facs, "FACS", 4) == 0 && (get32(fadt + 36) & 63) == 0);
		CHECK(get32(fadt + 56) == PM1_EVT && get32(fadt + 64) == PM1_CNT &&
				get32(fadt + 76) == PM_TMR && fadt[46] == PM_SCI_IRQ);
		CHECK(get64(fadt + 152) == PM1_EVT && get64(fadt + 176) == PM1_CNT);
		/* the reset register: 6 to io:0xcf9, which ends qvm as a reset does */
		CHECK(fadt[116] == 1 && get64(fadt + 120) == 0xcf9 && fadt[128] == 6);
		/* nothing at io:0x70 or io:0x60: no RTC, no 8042 */
		CHECK((fadt[109] & 0x22) == 0x20);
		/* the DSDT offers S5 with the SLP_TYP pm.c powers off on */
		CHECK(dsdt && memmem(dsdt, get32(dsdt + 4), "\x08\\_S5_\x12\x08\x04\x0a\x05\x0a\x05", 13));
	}
	const uint8_t *madt = xsdt ? find(vm, xsdt, "APIC") : NULL;
	unsigned lapics = 0, ioapics = 0;
	for (uint32_t o = ACPI_HDR_LEN + 8; madt && o + 2 <= get32(madt + 4); o += madt[o + 1]) {
		if (madt[o] == 0)
			CHECK(madt[o + 3] == lapics++ && (get32(madt + o + 4) & 1));
		if (madt[o] == 1)
			CHECK(get32(madt + o + 4) == 0xfec00000 && ioapics++ == 0);
		if (madt[o + 1] == 0)
			break;
	}
	CHECK(lapics == 3 && ioapics == 1);

	struct e820_entry m[E820_MAX];
	int n = x86_e820(vm, m, E820_MAX, &e), acpi = 0;
	for (int i = 0; i < n; i++)
		acpi += m[i].type == E820_ACPI && m[i].addr == x->acpi_gpa && m[i].size == x->acpi_len;
	CHECK(acpi == 1);
	/* the area and the boot page tables are taken */
	CHECK(vm_range_owner(vm, REGION_MEM, x->acpi_gpa, 1) != NULL);
	vm_destroy(vm);
}

TEST(no_room_below_the_boot_area)
{
	struct qvm_vm *vm = machine(1);
	struct qerr e;

	/* ram right up to the boot page tables: the tables have nowhere to go */
	CHECK(vm_add_mem(vm, true, 16 << 20, 0xfebf0000 - (16 << 20), false, &e) == 0);
	CHECK(x86_acpi_build(vm, &vm->boot, &e) == -ENOSPC && strstr(e.msg, "for the ACPI tables"));
	vm_destroy(vm);
}

int main(void)
{
	RUN(followed_from_the_rsdp);
	RUN(no_room_below_the_boot_area);
	TEST_EXIT();
}
