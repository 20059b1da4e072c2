/*
 * test_multiboot.c - the multiboot test kernel (guest-images/x86_64/
 * multiboot/), as an ELF32 image and as a flat binary whose header gives
 * its load addresses: it starts in 32-bit protected mode with the magic in
 * EAX and prints the information qvm gave it (memory sizes, the e820 map
 * with qvm's ACPI area and boot area, the command line, a `data load` as a
 * module with its name, the loader's name), then ends qvm through the
 * sdktest vdev with exit 42.
 */
#include <stdio.h>
#include <string.h>

#include "harness.h"

static void boot(const char *name, const char *image)
{
	char mod[4096];
	struct qt_vm *vm = qt_vm_new(name);

	snprintf(mod, sizeof(mod), "%s/%s.mod", qt_dir(), name);
	FILE *f = fopen(mod, "w");
	QT_ASSERT(f && fputs("MODULE-1 contents\n", f) >= 0 && fclose(f) == 0, "cannot write %s", mod);
	qt_conf(vm, "ram 0,16M\n");
	qt_conf(vm, "load %s/build/guest-images/x86_64/%s\n", qt_top(), image);
	qt_conf(vm, "cmdline \"console=com1 answer=42\"\n");
	qt_conf(vm, "data load 0x400000,%s\n", mod);
	/* the vendor's address-less form: the first free page from 1 MiB, after the others */
	qt_conf(vm, "data load %s\n", mod);
	qt_console(vm);
	qt_test_vdevs(vm);
	qt_conf(vm, "vdev sdktest loc 0xfb100000\n");
	qt_run(vm, 60);
	QT_ASSERT_RC(vm, 42);
	QT_ASSERT_LINE(vm, "multiboot: magic 0x2badb002 flags 0x0000024d");
	QT_ASSERT_LINE(vm, "multiboot: mem_lower 639 KiB, mem_upper 15360 KiB");
	QT_ASSERT_LINE(vm, "multiboot: cmdline \"console=com1 answer=42\"");
	QT_ASSERT_LINE(vm, "multiboot: mmap 0x0000000000000000 length 0x000000000009fc00 type 1");
	QT_ASSERT_LINE(vm, "multiboot: mmap 0x0000000000100000 length 0x0000000000f00000 type 1");
	QT_ASSERT_LINE(vm, "multiboot: mmap 0x00000000febf0000 length 0x0000000000010000 type 2");
	QT_ASSERT(qt_find_line(vm, "multiboot: mmap 0x00000000febef000 length 0x0000000000001000 "
			"type 3"), "no ACPI area in the memory map");
	char want[256];
	snprintf(want, sizeof(want), "multiboot: module 0x00400000-0x00400012 \"%s.mod\" first "
			"bytes \"MODULE-1\"", name);
	QT_ASSERT_LINE(vm, want);
	unsigned long long at = 0, last = 0;
	const char *placed = strstr(qt_err(vm), "data load '");
	QT_ASSERT(placed && (placed = strstr(placed, "placed at ")) &&
			sscanf(placed, "placed at 0x%llx-0x%llx", &at, &last) == 2,
			"no 'placed at' line for the address-less data load");
	QT_ASSERT(at >= 0x100000 && (at & 0xfff) == 0 && last == at + 0x11 &&
			(last < 0x400000 || at > 0x400012), "data placed at 0x%llx-0x%llx", at, last);
	snprintf(want, sizeof(want), "multiboot: module 0x%08llx-0x%08llx \"%s.mod\" first "
			"bytes \"MODULE-1\"", at, last + 1, name);
	QT_ASSERT_LINE(vm, want);
	QT_ASSERT_LINE(vm, "multiboot: loader \"qvm\"");
	QT_ASSERT_LINE(vm, "multiboot: done");
	QT_ASSERT_ERR(vm, "guest terminated (cause 42)");
}

QT_TEST(elf32_kernel)
{
	boot("mbelf", "multiboot.elf");
}

QT_TEST(flat_kernel_with_load_addresses)
{
	boot("mbflat", "multiboot-aout.bin");
}
