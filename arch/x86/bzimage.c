/* Reading a bzImage's setup header (see bzimage.h). */
#include "bzimage.h"
#include "le.h"

#include <errno.h>
#include <string.h>

#define OFF_SETUP_SECTS		0x1f1
#define OFF_BOOT_FLAG		0x1fe
#define OFF_JUMP		0x200
#define OFF_HEADER		0x202
#define OFF_VERSION		0x206
#define OFF_LOADFLAGS		0x211
#define OFF_INITRD_MAX		0x22c
#define OFF_KERNEL_ALIGN	0x230
#define OFF_RELOCATABLE		0x234
#define OFF_XLOADFLAGS		0x236
#define OFF_CMDLINE_SIZE	0x238
#define OFF_PREF_ADDRESS	0x258
#define OFF_INIT_SIZE		0x260

#define HDRS_MAGIC		0x53726448u	/* "HdrS" */
#define LOADED_HIGH		0x01
#define XLF_KERNEL_64		0x01
#define XLF_CAN_BE_LOADED_ABOVE_4G 0x02
#define MIN_VERSION		0x020c	/* xloadflags: the 64-bit entry is declared */
#define HIGH_LOAD		0x100000ull
#define MAX_SETUP_SECTS		64	/* 32 KiB of real-mode setup: the most there is room for */
#define MAX_INIT_SIZE		(1ull << 30)

void bzimage_vmlinux(struct bzimage *bz)
{
	uint8_t h[BZ_HEAD_MIN] = { 0 };

	put_le16(h + OFF_BOOT_FLAG, 0xaa55);
	put_le32(h + OFF_HEADER, HDRS_MAGIC);
	put_le16(h + OFF_VERSION, 0x020f);
	h[OFF_LOADFLAGS] = LOADED_HIGH;
	put_le32(h + OFF_INITRD_MAX, 0x7fffffff);
	put_le32(h + OFF_KERNEL_ALIGN, 0x200000);
	put_le16(h + OFF_XLOADFLAGS, XLF_KERNEL_64);
	put_le32(h + OFF_CMDLINE_SIZE, 2047);
	*bz = (struct bzimage){ .version = 0x020f, .initrd_max = 0x7fffffff, .cmdline_max = 2047,
		.hdr_len = BZ_HEAD_MIN - BZ_HDR_START, .vmlinux = true };
	memcpy(bz->hdr, h + BZ_HDR_START, bz->hdr_len);
}

int bzimage_parse(const uint8_t *head, size_t headlen, uint64_t size, struct bzimage *bz,
		struct qerr *e)
{
	if (headlen < OFF_HEADER + 4 || le16(head + OFF_BOOT_FLAG) != 0xaa55 ||
	    le32(head + OFF_HEADER) != HDRS_MAGIC)
		return 0;
	memset(bz, 0, sizeof(*bz));
	if (headlen < BZ_HEAD_MIN || size < BZ_HEAD_MIN)
		return qerr_set(e, -ENOEXEC, "truncated bzImage (%llu bytes)", (unsigned long long)size);
	bz->version = le16(head + OFF_VERSION);
	if (bz->version < MIN_VERSION)
		return qerr_set(e, -ENOEXEC, "Linux boot protocol %u.%02u: qvm needs 2.12 or later "
				"(the 64-bit entry)", bz->version >> 8, bz->version & 0xff);
	if (!(le16(head + OFF_XLOADFLAGS) & XLF_KERNEL_64))
		return qerr_set(e, -ENOEXEC, "not a 64-bit kernel (xloadflags has no XLF_KERNEL_64)");
	if (!(head[OFF_LOADFLAGS] & LOADED_HIGH))
		return qerr_set(e, -ENOEXEC, "a zImage (loaded low) cannot boot through the 64-bit entry");

	unsigned sects = head[OFF_SETUP_SECTS] ? head[OFF_SETUP_SECTS] : 4;
	if (sects > MAX_SETUP_SECTS)
		return qerr_set(e, -ENOEXEC, "bzImage setup_sects %u is more than %u", sects,
				MAX_SETUP_SECTS);
	bz->setup_size = (uint64_t)(sects + 1) * 512;
	if (size <= bz->setup_size + BZ_ENTRY_64)
		return qerr_set(e, -ENOEXEC, "truncated bzImage: %llu bytes, the setup code alone "
				"is %llu", (unsigned long long)size, (unsigned long long)bz->setup_size);

	/* the header ends where the jump at 0x200 lands */
	size_t end = OFF_HEADER + head[OFF_JUMP + 1];
	if (head[OFF_JUMP] != 0xeb || end < OFF_INIT_SIZE + 4 || end > BZ_HDR_START + BZ_HDR_MAX ||
	    end > headlen)
		return qerr_set(e, -ENOEXEC, "bzImage setup header of a strange length (jump "
				"0x%02x 0x%02x at 0x200)", head[OFF_JUMP], head[OFF_JUMP + 1]);
	bz->hdr_len = end - BZ_HDR_START;
	memcpy(bz->hdr, head + BZ_HDR_START, bz->hdr_len);

	uint64_t kernel_bytes = size - bz->setup_size;
	bz->init_size = le32(head + OFF_INIT_SIZE);
	if (bz->init_size < kernel_bytes)
		bz->init_size = kernel_bytes;
	if (bz->init_size > MAX_INIT_SIZE)
		return qerr_set(e, -ENOEXEC, "bzImage init_size %llu is more than 1 GiB",
				(unsigned long long)bz->init_size);

	/* a relocatable kernel where it prefers (aligned as it asks), else 1 MiB */
	bz->load_addr = HIGH_LOAD;
	if (head[OFF_RELOCATABLE]) {
		uint64_t pref = le64(head + OFF_PREF_ADDRESS);
		uint32_t align = le32(head + OFF_KERNEL_ALIGN);
		if (align && (align & (align - 1)))
			return qerr_set(e, -ENOEXEC, "bzImage kernel_alignment 0x%x is not a power of 2",
					align);
		if (pref >= HIGH_LOAD && pref < (1ull << 32) && (!align || (pref & (align - 1)) == 0))
			bz->load_addr = pref;
	}
	bz->above_4g = le16(head + OFF_XLOADFLAGS) & XLF_CAN_BE_LOADED_ABOVE_4G;
	bz->initrd_max = le32(head + OFF_INITRD_MAX);
	if (!bz->initrd_max)
		bz->initrd_max = 0x37ffffff;	/* what boot.rst says for older protocols */
	bz->cmdline_max = le32(head + OFF_CMDLINE_SIZE);
	if (!bz->cmdline_max)
		bz->cmdline_max = 255;
	return 1;
}
