/* The Linux x86 64-bit boot protocol's zero page and command line (linux.h). */
#include "linux.h"
#include "le.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <qvm/log.h>

#include "loader.h"
#include "longmode.h"
#include "vm.h"

/* zero-page.rst */
#define ZP_SIZE			0x1000
#define ZP_EXT_RAMDISK_IMAGE	0x0c0
#define ZP_EXT_RAMDISK_SIZE	0x0c4
#define ZP_E820_ENTRIES		0x1e8
#define ZP_E820_TABLE		0x2d0
/* the setup header's fields qvm writes (boot.rst) */
#define ZP_ACPI_RSDP_ADDR	0x070
#define HDR_TYPE_OF_LOADER	0x210
#define HDR_RAMDISK_IMAGE	0x218
#define HDR_RAMDISK_SIZE	0x21c
#define HDR_CMD_LINE_PTR	0x228
#define LOADER_UNDEFINED	0xff	/* a boot loader with no assigned ID */

#define LOW_RAM_END		0x9fc00ull	/* below: RAM on a PC; to 1 MiB: the BIOS's */
#define ONE_MIB			0x100000ull

static int add(struct e820_entry *out, unsigned max, unsigned *n, uint64_t addr, uint64_t size,
		uint32_t type)
{
	if (!size)
		return 0;
	if (*n == max)
		return -ENOSPC;
	out[(*n)++] = (struct e820_entry){ addr, size, type };
	return 0;
}

static int by_addr(const void *a, const void *b)
{
	const struct e820_entry *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

int e820_build(const struct qvm_mem *mem, unsigned nmem, const struct e820_entry *extra,
		unsigned nextra, struct e820_entry *out, unsigned max)
{
	unsigned n = 0;
	int r = 0;

	for (unsigned i = 0; !r && i < nextra; i++)
		r = add(out, max, &n, extra[i].addr, extra[i].size, extra[i].type);
	for (unsigned i = 0; !r && i < nmem; i++) {
		uint64_t a = mem[i].gpa, end = a + mem[i].len;
		if (mem[i].rom) {
			r = add(out, max, &n, a, mem[i].len, E820_RESERVED);
			continue;
		}
		/* [LOW_RAM_END, 1 MiB) of a ram range is left out, as the BIOS's area on a PC */
		if (a < LOW_RAM_END)
			r = add(out, max, &n, a, (end < LOW_RAM_END ? end : LOW_RAM_END) - a, E820_RAM);
		if (!r && end > ONE_MIB)
			r = add(out, max, &n, a > ONE_MIB ? a : ONE_MIB, end - (a > ONE_MIB ? a : ONE_MIB),
					E820_RAM);
		if (!r && a >= LOW_RAM_END && a < ONE_MIB && end <= ONE_MIB)
			r = add(out, max, &n, a, mem[i].len, E820_RESERVED);
	}
	if (r)
		return r;
	qsort(out, n, sizeof(*out), by_addr);
	return (int)n;
}

int x86_e820(struct qvm_vm *vm, struct e820_entry *out, unsigned max, struct qerr *e)
{
	const struct arch_vm *x = &vm->arch;
	struct e820_entry extra[2] = {
		{ x->boot_gpa, LM_AREA_SIZE, E820_RESERVED },
		{ x->acpi_gpa, x->acpi_len, E820_ACPI },
	};
	int n = e820_build(vm->mem, vm->nmem, extra, 2, out, max);

	if (n < 0)
		return qerr_set(e, n, "too many ram and rom ranges for the e820 map (at most %u)", max);
	return n;
}

int x86_free_ram(struct qvm_vm *vm, uint64_t gpa, uint64_t len, const char *kind,
		const char *what, struct qerr *e)
{
	const struct qvm_mem *m = vm_mem_at(vm, gpa);

	if (!m || m->rom || gpa + len > m->gpa + m->len)
		return qerr_set(e, -ERANGE, "a %s kernel needs ram at 0x%llx-0x%llx for its %s "
				"(give `ram 0,...`)", kind, (unsigned long long)gpa,
				(unsigned long long)(gpa + len - 1), what);
	const struct qvm_blob *o = loader_overlap(vm, gpa, len);
	if (o)
		return qerr_set(e, -EEXIST, "the %s %s at 0x%llx-0x%llx overlaps what a `load` put "
				"at 0x%llx-0x%llx", kind, what, (unsigned long long)gpa,
				(unsigned long long)(gpa + len - 1), (unsigned long long)o->gpa,
				(unsigned long long)(o->gpa + o->len - 1));
	return 0;
}

int linux_boot_setup(struct qvm_vm *vm, struct qvm_boot *boot, struct qerr *e)
{
	const struct bzimage *bz = &vm->arch.bz;
	const char *cmdline = vm->cmdline ? vm->cmdline : "";
	size_t clen = strlen(cmdline);
	int r;

	if (clen > bz->cmdline_max)
		return qerr_set(e, -E2BIG, "cmdline is %zu bytes; this kernel takes at most %u",
				clen, bz->cmdline_max);
	r = x86_free_ram(vm, LINUX_ZERO_PAGE, ZP_SIZE, "Linux", "zero page", e);
	if (!r)
		r = x86_free_ram(vm, LINUX_CMDLINE, clen + 1, "Linux", "command line", e);
	if (r)
		return r;

	const struct qvm_blob *rd = &boot->initrd;
	uint64_t rd_max = bz->above_4g ? UINT64_MAX : bz->initrd_max;
	if (rd->len && rd->gpa + rd->len - 1 > rd_max)
		return qerr_set(e, -ERANGE, "the initrd at 0x%llx-0x%llx is above what this kernel "
				"can reach (0x%llx)", (unsigned long long)rd->gpa,
				(unsigned long long)(rd->gpa + rd->len - 1), (unsigned long long)rd_max);

	struct e820_entry map[E820_MAX];
	int n = x86_e820(vm, map, E820_MAX, e);
	if (n < 0)
		return n;

	uint8_t *zp = vm_gpa_to_hva(vm, LINUX_ZERO_PAGE, ZP_SIZE);
	memset(zp, 0, ZP_SIZE);
	memcpy(zp + BZ_HDR_START, bz->hdr, bz->hdr_len);
	zp[HDR_TYPE_OF_LOADER] = LOADER_UNDEFINED;
	put_le32(zp + HDR_CMD_LINE_PTR, (uint32_t)LINUX_CMDLINE);
	put_le32(zp + HDR_RAMDISK_IMAGE, (uint32_t)rd->gpa);
	put_le32(zp + HDR_RAMDISK_SIZE, (uint32_t)rd->len);
	put_le32(zp + ZP_EXT_RAMDISK_IMAGE, (uint32_t)(rd->gpa >> 32));
	put_le32(zp + ZP_EXT_RAMDISK_SIZE, (uint32_t)(rd->len >> 32));
	put_le64(zp + ZP_ACPI_RSDP_ADDR, boot->acpi.gpa);
	zp[ZP_E820_ENTRIES] = (uint8_t)n;
	for (int i = 0; i < n; i++) {
		uint8_t *p = zp + ZP_E820_TABLE + 20 * i;
		put_le64(p, map[i].addr);
		put_le64(p + 8, map[i].size);
		put_le32(p + 16, map[i].type);
	}
	memcpy(vm_gpa_to_hva(vm, LINUX_CMDLINE, clen + 1), cmdline, clen + 1);

	boot->params = (struct qvm_blob){ LINUX_ZERO_PAGE, ZP_SIZE };
	boot->cmdline = (struct qvm_blob){ LINUX_CMDLINE, clen + 1 };
	if (!bz->vmlinux)	/* a vmlinux keeps its ELF entry */
		boot->entry = bz->load_addr + BZ_ENTRY_64;
	vm_log(vm, QL_QVM_DEBUG, "Linux boot protocol %u.%02u (%s): entry 0x%llx, zero page at "
			"0x%llx, %d e820 entries", bz->version >> 8, bz->version & 0xff,
			bz->vmlinux ? "an ELF vmlinux" : "a bzImage", (unsigned long long)boot->entry,
			(unsigned long long)LINUX_ZERO_PAGE, n);
	return 0;
}
