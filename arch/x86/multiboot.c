/* Multiboot version 1 kernels (multiboot.h). */
#include "multiboot.h"

#include <errno.h>
#include <string.h>

#include <qvm/log.h>

#include "le.h"
#include "vm.h"
#include "x86.h"

/* header flags: what the kernel needs (0-15) and what it says (16-31) */
enum {
	MBF_PAGE_ALIGN = 1u << 0,	/* modules on 4 KiB boundaries */
	MBF_MEMORY = 1u << 1,		/* mem_* and the memory map */
	MBF_VIDEO = 1u << 2,		/* a video mode: not given by qvm */
	MBF_AOUT = 1u << 16,		/* the load addresses are in the header */
	MBF_KNOWN_NEEDS = MBF_PAGE_ALIGN | MBF_MEMORY,
};

/* the information's flags */
enum {
	MBI_MEMORY = 1u << 0, MBI_CMDLINE = 1u << 2, MBI_MODS = 1u << 3, MBI_MMAP = 1u << 6,
	MBI_LOADER_NAME = 1u << 9,
};

#define MBI_SIZE	88	/* up to boot_loader_name and apm_table */
#define MB_MOD_SIZE	16
#define MB_MMAP_ENTRY	24	/* size (20), base, length, type */
#define INFO_END	0x9fc00ull	/* below: RAM on a PC */

int multiboot_parse(const uint8_t *head, size_t headlen, uint64_t size, struct multiboot *mb,
		struct qerr *e)
{
	size_t n = headlen < MB_SEARCH ? headlen : MB_SEARCH;
	size_t off;

	for (off = 0; off + 12 <= n; off += 4)
		if (le32(head + off) == MB_HEADER_MAGIC)
			break;
	if (off + 12 > n)
		return 0;
	uint32_t flags = le32(head + off + 4);
	if ((uint32_t)(MB_HEADER_MAGIC + flags + le32(head + off + 8)) != 0)
		return qerr_set(e, -ENOEXEC, "multiboot header at byte %zu: wrong checksum", off);
	if (flags & MBF_VIDEO)
		return qerr_set(e, -ENOTSUP, "multiboot kernel: it needs a video mode (flag 2), which "
				"qvm does not set up");
	if (flags & 0xffffu & ~(uint32_t)MBF_KNOWN_NEEDS)
		return qerr_set(e, -ENOTSUP, "multiboot kernel: it needs features qvm does not know "
				"(flags 0x%08x)", flags);
	*mb = (struct multiboot){ .offset = (uint32_t)off, .flags = flags,
		.aout = (flags & MBF_AOUT) != 0 };
	if (!mb->aout)
		return 1;
	if (off + 32 > n)
		return qerr_set(e, -ENOEXEC, "multiboot header at byte %zu: cut short (flag 16 needs "
				"32 bytes)", off);
	mb->header_addr = le32(head + off + 12);
	mb->load_addr = le32(head + off + 16);
	mb->load_end = le32(head + off + 20);
	mb->bss_end = le32(head + off + 24);
	mb->entry = le32(head + off + 28);
	/* the header's own address says which byte of the file load_addr gets */
	if (mb->header_addr < mb->load_addr || mb->header_addr - mb->load_addr > off)
		return qerr_set(e, -ENOEXEC, "multiboot header: header_addr 0x%x and load_addr 0x%x "
				"put the image before the file's start", mb->header_addr, mb->load_addr);
	mb->file_off = off - (mb->header_addr - mb->load_addr);
	uint64_t avail = size - mb->file_off;
	if (mb->load_end && mb->load_end <= mb->load_addr)
		return qerr_set(e, -ENOEXEC, "multiboot header: load_end_addr 0x%x is not above "
				"load_addr 0x%x", mb->load_end, mb->load_addr);
	mb->copy = mb->load_end ? (uint64_t)mb->load_end - mb->load_addr : avail;
	if (mb->copy > avail)
		return qerr_set(e, -ENOEXEC, "multiboot header: load_end_addr 0x%x is past the end "
				"of the file (%llu bytes from 0x%x)", mb->load_end,
				(unsigned long long)avail, mb->load_addr);
	if ((uint64_t)mb->load_addr + mb->copy > 0x100000000ull)
		return qerr_set(e, -ENOEXEC, "multiboot header: the image runs past 4 GiB");
	mb->span = mb->copy;
	if (mb->bss_end) {
		if (mb->bss_end < mb->load_addr + mb->copy)
			return qerr_set(e, -ENOEXEC, "multiboot header: bss_end_addr 0x%x is below the "
					"image's end 0x%llx", mb->bss_end,
					(unsigned long long)(mb->load_addr + mb->copy));
		mb->span = (uint64_t)mb->bss_end - mb->load_addr;
	}
	if (mb->entry < mb->load_addr || mb->entry >= mb->load_addr + mb->span)
		return qerr_set(e, -ENOEXEC, "multiboot header: entry_addr 0x%x is outside the image "
				"(0x%x-0x%llx)", mb->entry, mb->load_addr,
				(unsigned long long)(mb->load_addr + mb->span - 1));
	return 1;
}

bool multiboot_module_misaligned(const struct multiboot *mb, uint64_t gpa)
{
	return (mb->flags & MBF_PAGE_ALIGN) && (gpa & 0xfff);
}

/* Room at *at for len bytes of the information area: where, or 0 when it is full. */
static uint64_t take(uint64_t *at, uint64_t len, uint64_t align)
{
	uint64_t p = (*at + align - 1) & ~(align - 1);

	if (len > INFO_END || p > INFO_END - len)
		return 0;
	*at = p + len;
	return p;
}

static const char *basename_of(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

int multiboot_boot_setup(struct qvm_vm *vm, struct qvm_boot *boot, struct qerr *e)
{
	const struct multiboot *mb = &vm->arch.mb;
	const char *cmdline = vm->cmdline ? vm->cmdline : "";
	struct e820_entry map[E820_MAX];
	uint64_t at = MB_INFO_ADDR;
	int n = x86_e820(vm, map, E820_MAX, e);

	if (n < 0)
		return n;
	/* the area's extent first: everything in it must be free ram */
	uint64_t need = MBI_SIZE + 8 + (uint64_t)n * MB_MMAP_ENTRY + boot->nmods * MB_MOD_SIZE +
		sizeof("qvm") + strlen(cmdline) + 1 + 16;
	for (unsigned i = 0; i < boot->nmods; i++)
		need += strlen(basename_of(boot->mods[i].name)) + 1;
	if (need > INFO_END - MB_INFO_ADDR)
		return qerr_set(e, -E2BIG, "multiboot: the command line and module names take %llu "
				"bytes, more than fit below 0x%llx", (unsigned long long)need, INFO_END);
	int r = x86_free_ram(vm, MB_INFO_ADDR, need, "multiboot", "information", e);
	if (r)
		return r;

	uint64_t info = take(&at, MBI_SIZE, 8);
	uint8_t *mi = vm_gpa_to_hva(vm, info, MBI_SIZE);
	memset(mi, 0, MBI_SIZE);
	uint32_t flags = MBI_MEMORY | MBI_MMAP | MBI_CMDLINE | MBI_LOADER_NAME;

	/* memory: KiB below 640 KiB and from 1 MiB up to the first hole, and the e820 map */
	uint64_t lower = 0, upper = 0;
	for (int i = 0; i < n; i++) {
		if (map[i].type != E820_RAM)
			continue;
		if (map[i].addr == 0)
			lower = map[i].size;
		if (map[i].addr == 0x100000)
			upper = map[i].size;
	}
	put_le32(mi + 4, (uint32_t)(lower >> 10));
	put_le32(mi + 8, (uint32_t)(upper >> 10 > 0xffffffffu ? 0xffffffffu : upper >> 10));
	uint64_t mmap = take(&at, (uint64_t)n * MB_MMAP_ENTRY, 8);
	uint8_t *mm = vm_gpa_to_hva(vm, mmap, (uint64_t)n * MB_MMAP_ENTRY);
	for (int i = 0; i < n; i++) {
		uint8_t *p = mm + i * MB_MMAP_ENTRY;
		put_le32(p, MB_MMAP_ENTRY - 4);
		put_le32(p + 4, (uint32_t)map[i].addr);
		put_le32(p + 8, (uint32_t)(map[i].addr >> 32));
		put_le32(p + 12, (uint32_t)map[i].size);
		put_le32(p + 16, (uint32_t)(map[i].size >> 32));
		put_le32(p + 20, map[i].type);
	}
	put_le32(mi + 44, (uint32_t)(n * MB_MMAP_ENTRY));
	put_le32(mi + 48, (uint32_t)mmap);

	/* modules: `initrd load` and `data load`, in the configuration's order, named by file */
	if (boot->nmods) {
		uint64_t mods = take(&at, boot->nmods * MB_MOD_SIZE, 16);
		uint8_t *mp = vm_gpa_to_hva(vm, mods, boot->nmods * MB_MOD_SIZE);
		for (unsigned i = 0; i < boot->nmods; i++) {
			const char *name = basename_of(boot->mods[i].name);
			uint64_t s = take(&at, strlen(name) + 1, 1);
			memcpy(vm_gpa_to_hva(vm, s, strlen(name) + 1), name, strlen(name) + 1);
			put_le32(mp + i * MB_MOD_SIZE, (uint32_t)boot->mods[i].gpa);
			put_le32(mp + i * MB_MOD_SIZE + 4, (uint32_t)(boot->mods[i].gpa + boot->mods[i].len));
			put_le32(mp + i * MB_MOD_SIZE + 8, (uint32_t)s);
			put_le32(mp + i * MB_MOD_SIZE + 12, 0);
		}
		put_le32(mi + 20, boot->nmods);
		put_le32(mi + 24, (uint32_t)mods);
		flags |= MBI_MODS;
	}
	uint64_t cl = take(&at, strlen(cmdline) + 1, 1);
	memcpy(vm_gpa_to_hva(vm, cl, strlen(cmdline) + 1), cmdline, strlen(cmdline) + 1);
	put_le32(mi + 16, (uint32_t)cl);
	uint64_t name = take(&at, sizeof("qvm"), 1);
	memcpy(vm_gpa_to_hva(vm, name, sizeof("qvm")), "qvm", sizeof("qvm"));
	put_le32(mi + 64, (uint32_t)name);
	put_le32(mi, flags);

	boot->params = (struct qvm_blob){ info, at - info };
	boot->cmdline = (struct qvm_blob){ cl, strlen(cmdline) + 1 };
	if (mb->aout)
		boot->entry = mb->entry;
	if (boot->entry > 0xffffffffull)
		return qerr_set(e, -ERANGE, "multiboot: the entry point 0x%llx is above 4 GiB",
				(unsigned long long)boot->entry);
	vm_log(vm, QL_QVM_DEBUG, "multiboot: entry 0x%llx, information at 0x%llx, %d map entries, "
			"%u modules", (unsigned long long)boot->entry, (unsigned long long)info, n,
			boot->nmods);
	return 0;
}
