/*
 * ELF executables, 64-bit (and 32-bit where an architecture boots them):
 * load each PT_LOAD segment where it asks to be.
 */
#include "elf_load.h"

#include <elf.h>
#include <errno.h>
#include <string.h>

/* The fields of a header or program header either class has. */
struct ehdr {
	unsigned type, machine, phentsize, phnum;
	uint64_t entry, phoff;
};

struct phdr {
	unsigned type;
	uint64_t offset, paddr, filesz, memsz;
};

static void read_ehdr(const uint8_t *buf, bool is64, struct ehdr *h)
{
	if (is64) {
		Elf64_Ehdr eh;
		memcpy(&eh, buf, sizeof(eh));
		*h = (struct ehdr){ eh.e_type, eh.e_machine, eh.e_phentsize, eh.e_phnum,
			eh.e_entry, eh.e_phoff };
	} else {
		Elf32_Ehdr eh;
		memcpy(&eh, buf, sizeof(eh));
		*h = (struct ehdr){ eh.e_type, eh.e_machine, eh.e_phentsize, eh.e_phnum,
			eh.e_entry, eh.e_phoff };
	}
}

static void read_phdr(const uint8_t *p, bool is64, struct phdr *ph)
{
	if (is64) {
		Elf64_Phdr h;
		memcpy(&h, p, sizeof(h));
		*ph = (struct phdr){ h.p_type, h.p_offset, h.p_paddr, h.p_filesz, h.p_memsz };
	} else {
		Elf32_Phdr h;
		memcpy(&h, p, sizeof(h));
		*ph = (struct phdr){ h.p_type, h.p_offset, h.p_paddr, h.p_filesz, h.p_memsz };
	}
}

int elf_load(const char *name, const uint8_t *buf, size_t size, unsigned machine,
		unsigned machine32, const char *arch, elf_dest_fn *dest, void *ctx, uint64_t *entry,
		struct qerr *e)
{
	if (size < EI_NIDENT || (buf[EI_CLASS] != ELFCLASS64 &&
				!(buf[EI_CLASS] == ELFCLASS32 && machine32)))
		return qerr_set(e, -ENOEXEC, "'%s': only 64-bit ELF images are supported%s", name,
				machine32 ? " (and 32-bit ones where a boot protocol says so)" : "");
	bool is64 = buf[EI_CLASS] == ELFCLASS64;
	size_t ehsize = is64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);
	size_t phsize = is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);
	struct ehdr eh;

	if (size < ehsize || buf[EI_DATA] != ELFDATA2LSB)
		return qerr_set(e, -ENOEXEC, "'%s': truncated or big-endian ELF image", name);
	read_ehdr(buf, is64, &eh);
	if (eh.machine != (is64 ? machine : machine32))
		return qerr_set(e, -ENOEXEC, "'%s': ELF image for machine %u, not %s", name,
				eh.machine, arch);
	if (eh.type != ET_EXEC)
		return qerr_set(e, -ENOEXEC, "'%s': not an ELF executable (type %u)", name, eh.type);
	if (eh.phentsize != phsize || eh.phoff > size || (size - eh.phoff) / phsize < eh.phnum)
		return qerr_set(e, -ENOEXEC, "'%s': bad ELF program headers", name);

	for (unsigned i = 0; i < eh.phnum; i++) {
		struct phdr ph;
		read_phdr(buf + eh.phoff + i * phsize, is64, &ph);
		if (ph.type != PT_LOAD || ph.memsz == 0)
			continue;
		if (ph.filesz > ph.memsz || ph.offset > size || size - ph.offset < ph.filesz)
			return qerr_set(e, -ENOEXEC, "'%s': ELF segment %u lies outside the file", name, i);
		uint8_t *dst = dest(ctx, ph.paddr, ph.memsz);
		if (!dst)
			return qerr_set(e, -ERANGE, "'%s': ELF segment %u (0x%llx-0x%llx) is outside "
					"ram/rom", name, i, (unsigned long long)ph.paddr,
					(unsigned long long)(ph.paddr + ph.memsz - 1));
		memcpy(dst, buf + ph.offset, ph.filesz);
		memset(dst + ph.filesz, 0, ph.memsz - ph.filesz);
	}
	*entry = eh.entry;
	return 0;
}

int elf64_load(const char *name, const uint8_t *buf, size_t size, unsigned machine,
		const char *arch, elf_dest_fn *dest, void *ctx, uint64_t *entry, struct qerr *e)
{
	return elf_load(name, buf, size, machine, 0, arch, dest, ctx, entry, e);
}

/* The notes of one PT_NOTE segment [p, p+len): does one have this owner? */
static bool notes_have_owner(const uint8_t *p, uint64_t len, const char *owner)
{
	size_t olen = strlen(owner) + 1;

	while (len >= 12) {
		uint32_t namesz, descsz;
		memcpy(&namesz, p, 4);
		memcpy(&descsz, p + 4, 4);
		uint64_t name_pad = ((uint64_t)namesz + 3) & ~3ull, desc_pad = ((uint64_t)descsz + 3) & ~3ull;
		if (name_pad > len - 12 || desc_pad > len - 12 - name_pad)
			return false;
		if (namesz == olen && memcmp(p + 12, owner, olen) == 0)
			return true;
		p += 12 + name_pad + desc_pad;
		len -= 12 + name_pad + desc_pad;
	}
	return false;
}

bool elf_has_note(const uint8_t *buf, size_t size, const char *owner)
{
	if (size < EI_NIDENT || memcmp(buf, ELFMAG, SELFMAG) != 0 || buf[EI_DATA] != ELFDATA2LSB ||
			(buf[EI_CLASS] != ELFCLASS64 && buf[EI_CLASS] != ELFCLASS32))
		return false;
	bool is64 = buf[EI_CLASS] == ELFCLASS64;
	size_t phsize = is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);
	struct ehdr eh;

	if (size < (is64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr)))
		return false;
	read_ehdr(buf, is64, &eh);
	if (eh.phentsize != phsize || eh.phoff > size || (size - eh.phoff) / phsize < eh.phnum)
		return false;
	for (unsigned i = 0; i < eh.phnum; i++) {
		struct phdr ph;
		read_phdr(buf + eh.phoff + i * phsize, is64, &ph);
		if (ph.type == PT_NOTE && ph.offset <= size && ph.filesz <= size - ph.offset &&
				notes_have_owner(buf + ph.offset, ph.filesz, owner))
			return true;
	}
	return false;
}
