/* ELF64 executables: load each PT_LOAD segment where it asks to be. */
#include "elf_load.h"

#include <elf.h>
#include <errno.h>
#include <string.h>

int elf64_load(const char *name, const uint8_t *buf, size_t size, unsigned machine,
		const char *arch, elf_dest_fn *dest, void *ctx, uint64_t *entry, struct qerr *e)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)buf;

	if (size < EI_NIDENT || buf[EI_CLASS] != ELFCLASS64)
		return qerr_set(e, -ENOEXEC, "'%s': only 64-bit ELF images are supported", name);
	if (size < sizeof(*eh) || buf[EI_DATA] != ELFDATA2LSB)
		return qerr_set(e, -ENOEXEC, "'%s': truncated or big-endian ELF image", name);
	if (eh->e_machine != machine)
		return qerr_set(e, -ENOEXEC, "'%s': ELF image for machine %u, not %s", name,
				eh->e_machine, arch);
	if (eh->e_type != ET_EXEC)
		return qerr_set(e, -ENOEXEC, "'%s': not an ELF executable (type %u)", name, eh->e_type);
	if (eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phoff > size ||
	    (size - eh->e_phoff) / sizeof(Elf64_Phdr) < eh->e_phnum)
		return qerr_set(e, -ENOEXEC, "'%s': bad ELF program headers", name);

	for (unsigned i = 0; i < eh->e_phnum; i++) {
		Elf64_Phdr ph;
		memcpy(&ph, buf + eh->e_phoff + i * sizeof(ph), sizeof(ph));
		if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
			continue;
		if (ph.p_filesz > ph.p_memsz || ph.p_offset > size || size - ph.p_offset < ph.p_filesz)
			return qerr_set(e, -ENOEXEC, "'%s': ELF segment %u lies outside the file", name, i);
		uint8_t *dst = dest(ctx, ph.p_paddr, ph.p_memsz);
		if (!dst)
			return qerr_set(e, -ERANGE, "'%s': ELF segment %u (0x%llx-0x%llx) is outside "
					"ram/rom", name, i, (unsigned long long)ph.p_paddr,
					(unsigned long long)(ph.p_paddr + ph.p_memsz - 1));
		memcpy(dst, buf + ph.p_offset, ph.p_filesz);
		memset(dst + ph.p_filesz, 0, ph.p_memsz - ph.p_filesz);
	}
	*entry = eh->e_entry;
	return 0;
}

