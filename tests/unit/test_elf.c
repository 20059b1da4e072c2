/*
 * The ELF loader (core/elf_load.c): an ELF64 and an ELF32 image placed by
 * their program headers, an ELF32 one refused where no 32-bit machine is
 * taken, and the vmlinux test (a PT_NOTE with a "Linux" note) on good
 * notes and on notes whose sizes run past their segment or the file.
 */
#include <elf.h>
#include <errno.h>
#include <stdlib.h>

#include "elf_load.h"
#include "test.h"

static uint8_t mem[0x10000];

static void *dest(void *ctx, uint64_t gpa, uint64_t len)
{
	(void)ctx;
	return gpa <= sizeof(mem) && len <= sizeof(mem) - gpa ? mem + gpa : NULL;
}

/* An image of class cls: one PT_LOAD of 16 bytes to 0x1000 (+0x20 zeroed), one PT_NOTE with notes. */
static size_t image(uint8_t *buf, int cls, const void *notes, size_t nlen)
{
	size_t eh = cls == ELFCLASS64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);
	size_t ph = cls == ELFCLASS64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);
	size_t data = eh + 2 * ph, note = data + 16;

	memset(buf, 0, 4096);
	memcpy(buf, ELFMAG, SELFMAG);
	buf[EI_CLASS] = (uint8_t)cls;
	buf[EI_DATA] = ELFDATA2LSB;
	buf[EI_VERSION] = EV_CURRENT;
	if (cls == ELFCLASS64) {
		Elf64_Ehdr h = { .e_type = ET_EXEC, .e_machine = EM_X86_64, .e_entry = 0x1004,
			.e_phoff = eh, .e_ehsize = (uint16_t)eh, .e_phentsize = (uint16_t)ph, .e_phnum = 2 };
		memcpy(h.e_ident, buf, EI_NIDENT);
		memcpy(buf, &h, sizeof(h));
		Elf64_Phdr p[2] = { { .p_type = PT_LOAD, .p_offset = data, .p_paddr = 0x1000,
			.p_filesz = 16, .p_memsz = 0x30 }, { .p_type = PT_NOTE, .p_offset = note,
			.p_filesz = nlen } };
		memcpy(buf + eh, p, sizeof(p));
	} else {
		Elf32_Ehdr h = { .e_type = ET_EXEC, .e_machine = EM_386, .e_entry = 0x1004,
			.e_phoff = (uint32_t)eh, .e_ehsize = (uint16_t)eh, .e_phentsize = (uint16_t)ph,
			.e_phnum = 2 };
		memcpy(h.e_ident, buf, EI_NIDENT);
		memcpy(buf, &h, sizeof(h));
		Elf32_Phdr p[2] = { { .p_type = PT_LOAD, .p_offset = (uint32_t)data, .p_paddr = 0x1000,
			.p_filesz = 16, .p_memsz = 0x30 }, { .p_type = PT_NOTE,
			.p_offset = (uint32_t)note, .p_filesz = (uint32_t)nlen } };
		memcpy(buf + eh, p, sizeof(p));
	}
	memset(buf + data, 0xab, 16);
	memcpy(buf + note, notes, nlen);
	return note + nlen;
}

/* namesz, descsz, type, name padded to 4, desc padded to 4 */
static const uint8_t gnu_then_linux[] = {
	4, 0, 0, 0, 4, 0, 0, 0, 3, 0, 0, 0, 'G', 'N', 'U', 0, 1, 2, 3, 4,
	6, 0, 0, 0, 4, 0, 0, 0, 0, 1, 0, 0, 'L', 'i', 'n', 'u', 'x', 0, 0, 0, 0, 0, 0, 0,
};

TEST(both_classes_load)
{
	uint8_t buf[4096];
	struct qerr e;
	uint64_t entry = 0;

	for (int cls = ELFCLASS32; cls <= ELFCLASS64; cls++) {
		size_t n = image(buf, cls, gnu_then_linux, sizeof(gnu_then_linux));
		memset(mem, 0x55, sizeof(mem));
		CHECK(elf_load("t.elf", buf, n, EM_X86_64, EM_386, "x86_64", dest, NULL, &entry, &e) == 0);
		CHECK(entry == 0x1004 && mem[0x1000] == 0xab && mem[0x100f] == 0xab);
		CHECK(mem[0x1010] == 0 && mem[0x102f] == 0 && mem[0x1030] == 0x55);
	}
	/* 32-bit where only 64-bit is taken */
	size_t n = image(buf, ELFCLASS32, gnu_then_linux, sizeof(gnu_then_linux));
	CHECK(elf64_load("t.elf", buf, n, EM_X86_64, "x86_64", dest, NULL, &entry, &e) == -ENOEXEC);
	CHECK(strstr(e.msg, "only 64-bit ELF images") != NULL);
}

TEST(vmlinux_note)
{
	uint8_t buf[4096], notes[64];

	size_t n = image(buf, ELFCLASS64, gnu_then_linux, sizeof(gnu_then_linux));
	CHECK(elf_has_note(buf, n, "Linux") && elf_has_note(buf, n, "GNU"));
	CHECK(!elf_has_note(buf, n, "Xen") && !elf_has_note(buf, n, "Linu"));
	n = image(buf, ELFCLASS32, gnu_then_linux, sizeof(gnu_then_linux));
	CHECK(elf_has_note(buf, n, "Linux"));
	/* a name size past the segment: no note is read there */
	memcpy(notes, gnu_then_linux, sizeof(gnu_then_linux));
	notes[0] = 0xff;
	n = image(buf, ELFCLASS64, notes, sizeof(gnu_then_linux));
	CHECK(!elf_has_note(buf, n, "Linux"));
	memcpy(notes, gnu_then_linux, sizeof(gnu_then_linux));
	notes[4] = 0xf0;	/* a huge descsz */
	notes[7] = 0xff;
	n = image(buf, ELFCLASS64, notes, sizeof(gnu_then_linux));
	CHECK(!elf_has_note(buf, n, "Linux"));
	/* a segment that runs past the file */
	n = image(buf, ELFCLASS64, gnu_then_linux, sizeof(gnu_then_linux));
	CHECK(!elf_has_note(buf, n - 4, "Linux"));
	CHECK(!elf_has_note(buf, 10, "Linux"));
}

int main(void)
{
	RUN(both_classes_load);
	RUN(vmlinux_note);
	TEST_EXIT();
}
