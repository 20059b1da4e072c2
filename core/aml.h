/*
 * aml.h - an encoder of ACPI Machine Language (ACPI 6.x, chapter 20), the
 * byte code of the DSDT qvm and its vdevs build (core/acpi.c).
 *
 * Bytes go to a growing buffer bounded by max. A scope with a PkgLength
 * (Scope, Device, Package, Buffer) is opened with aml_open and ended with
 * aml_close, which writes the PkgLength in its shortest encoding in front
 * of the body. Calls after a failure do nothing; the first failure stays
 * in err (-ENOMEM, -E2BIG past max, -EINVAL for a bad name or nesting).
 *
 * Ours, not a library's: ACPICA's compiler (iasl) turns ASL source into AML
 * at build time, but the DSDT depends on the configuration and the vdevs,
 * and no packaged library encodes AML at run time. The few terms qvm
 * needs are encoded here; the tests check the result with iasl's
 * disassembler (tests/acpi.sh).
 */
#ifndef QVM_AML_H
#define QVM_AML_H

#include <stddef.h>
#include <stdint.h>

#define AML_MAX_DEPTH	16

enum {
	AML_ZERO = 0x00, AML_ONE = 0x01, AML_NAME = 0x08, AML_BYTE_PREFIX = 0x0a,
	AML_WORD_PREFIX = 0x0b, AML_DWORD_PREFIX = 0x0c, AML_STRING_PREFIX = 0x0d,
	AML_QWORD_PREFIX = 0x0e, AML_SCOPE = 0x10, AML_BUFFER = 0x11, AML_PACKAGE = 0x12,
	AML_EXT_PREFIX = 0x5b, AML_DEVICE = 0x82 /* after AML_EXT_PREFIX */, AML_ONES = 0xff,
};

struct aml {
	uint8_t *buf;
	size_t len, cap, max;
	size_t open[AML_MAX_DEPTH];	/* where each open scope's body starts */
	unsigned depth;
	int err;
};

void aml_init(struct aml *a, size_t max);
void aml_free(struct aml *a);
void aml_bytes(struct aml *a, const void *p, size_t n);
void aml_byte(struct aml *a, uint8_t b);
/* oplen bytes of opcode, then a scope whose PkgLength aml_close writes. */
void aml_open(struct aml *a, const uint8_t *op, size_t oplen);
void aml_close(struct aml *a);
/*
 * A NameString: "\\" for the root, then NameSegs of 1 to 4 characters
 * ([A-Z_] then [A-Z0-9_], padded with '_') separated by '.': "\\_SB",
 * "_HID", "\\_SB.COM1".
 */
void aml_namestring(struct aml *a, const char *path);
/* An integer in its shortest form (Zero, One, Ones, Byte/Word/DWord/QWord). */
void aml_integer(struct aml *a, uint64_t v);
/* A String of printable ASCII (anything else is -EINVAL). */
void aml_string(struct aml *a, const char *s);
/* Name (path, ...): the value follows. */
void aml_name(struct aml *a, const char *path);

/* Is s a valid NameSeg of 1-4 characters? */
int aml_nameseg_ok(const char *s, size_t n);
/*
 * "PNP0501" (three capitals, four hex digits) as iasl's EisaId(): the
 * compressed 32-bit EISA ID; -1 if s is not one.
 */
int64_t aml_eisaid(const char *s);
/* The PkgLength of a body of body bytes into out (4 bytes): its size, 0 if too large. */
size_t aml_pkglength(size_t body, uint8_t out[4]);

#endif
