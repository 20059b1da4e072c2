/*
 * The guest's ACPI tables, the parts no architecture owns (core/acpi.c):
 * the standard table header and its checksum, the DSDT with the \_SB scope
 * every vdev describes itself in during VDEV_CTRL_GEN_ACPI (the SDK's
 * qvm/acpi.h), the tables vdevs and `acpi load` add, the RSDT, XSDT and
 * RSDP that list them, and `set acpi-dump-dir`. Which tables describe the
 * machine (FADT, MADT) and where they go is the architecture's (x86:
 * arch/x86/acpi.c).
 */
#ifndef QVM_ACPI_IMPL_H
#define QVM_ACPI_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aml.h"
#include "qerr.h"

struct qvm_vm;

#define ACPI_HDR_LEN	36
#define ACPI_RSDP_LEN	36
/* Bounds: one table, and all of them together (the DSDT of 16,384 vdevs fits). */
#define ACPI_TABLE_MAX	(4u << 20)
#define ACPI_TOTAL_MAX	(16u << 20)
#define ACPI_MAX_TABLES	64	/* added by vdevs and `acpi load` */

/* A table beside the ones the architecture makes. */
struct acpi_table {
	char sig[5];
	uint8_t *data;		/* malloc()ed, len bytes, header's length and checksum right */
	size_t len;
	bool placed;		/* `acpi load ADDR,FILE`: already in guest memory at gpa */
	uint64_t gpa;
};

struct qvm_acpi {
	struct aml dsdt;		/* the DSDT being built, header first */
	bool building;			/* GEN_ACPI being delivered: the SDK's helpers allowed */
	int err;			/* first failed helper call of this vdev: -errno */
	char err_call[96];		/* ... and which call */
	unsigned devices_open;		/* acpi_device_begin without its end, this vdev */
	bool crs_open;
	struct aml crs;			/* the descriptors of the open _CRS */
	unsigned next_auto;		/* the next "Vxxx" name to try */
	uint8_t *names;			/* while building: a bit per NameSeg a device in \_SB has */
	struct acpi_table tables[ACPI_MAX_TABLES];
	unsigned ntables;
	char *dump_dir;			/* `set acpi-dump-dir` */
};

/*
 * The standard header of a table of len bytes: signature, length,
 * revision, qvm's OEM and creator IDs; the checksum byte 0 (acpi_checksum
 * sets it once the table is complete).
 */
void acpi_header(uint8_t *t, const char *sig, uint32_t len, uint8_t rev);
/* Set the byte at 'at' of [t, t+len) so that the bytes sum to 0. */
void acpi_checksum(uint8_t *t, size_t len, size_t at);
/* The sum of len bytes (0 for a table whose checksum is right). */
uint8_t acpi_sum(const uint8_t *t, size_t len);

/*
 * A table from a file (`acpi load`): its header read and checked against
 * the len bytes there are (length, checksum, a printable signature that is
 * not one qvm builds itself); 0 or -errno with e.
 */
int acpi_table_check(const uint8_t *t, size_t len, struct qerr *e);

/* The DSDT, started: its header's room, then the root scope's AML (the architecture's). */
struct aml *vacpi_dsdt_begin(struct qvm_vm *vm);
/*
 * Scope (\_SB) with every vdev's description: VDEV_CTRL_GEN_ACPI to each
 * in configuration order; a vdev whose helper call failed stops the build
 * with its name. Then the DSDT's header: 0 or -errno with e.
 */
int vacpi_dsdt_finish(struct qvm_vm *vm, struct qerr *e);

/* `acpi load [ADDR,]FILE`: the len bytes at buf (malloc()ed; the VM owns them from here). */
int vacpi_user_table(struct qvm_vm *vm, uint8_t *buf, size_t len, bool have_addr, uint64_t addr,
		struct qerr *e);

/*
 * The RSDT (32-bit) and XSDT (64-bit) listing n tables at gpas, into out
 * (room for ACPI_HDR_LEN + 8 n bytes; RSDT: + 4 n): their length.
 */
size_t acpi_make_rsdt(uint8_t *out, const uint64_t *gpas, unsigned n);
size_t acpi_make_xsdt(uint8_t *out, const uint64_t *gpas, unsigned n);
/* The RSDP (revision 2) of an RSDT and an XSDT at these addresses, into 36 bytes. */
void acpi_make_rsdp(uint8_t *out, uint32_t rsdt, uint64_t xsdt);

/*
 * `set acpi-dump-dir`: the table as DIR/NAME.dat (acpidump's names: NAME
 * the signature in lower case, dsdt, facp, apic, rsdp...). 0 without a
 * dump directory; -errno with e when it cannot be written.
 */
int vacpi_dump(struct qvm_vm *vm, const char *name, const uint8_t *t, size_t len, struct qerr *e);

void vacpi_free(struct qvm_vm *vm);

#endif
