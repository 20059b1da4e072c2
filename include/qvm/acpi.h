/*
 * qvm/acpi.h - a vdev describing itself in the guest's ACPI tables (x86).
 *
 * qvm builds the tables an x86 guest boots with (RSDP, XSDT, FADT, MADT,
 * DSDT). Inside the DSDT's \_SB scope every vdev gets VDEV_CTRL_GEN_ACPI
 * (arg NULL), in configuration order, and adds its device with these
 * helpers, in the spirit of the vendor's acpi_* helpers (the names and
 * signatures are ours [ours]); nowhere else (qvm stops with a message
 * naming the vdev). An arm64 VM has no ACPI tables: it never sends
 * GEN_ACPI.
 *
 * The usual case is one call, which makes
 *     Device (NAME) { Name (_HID, hid) Name (_UID, uid)
 *                     Name (_CRS, ResourceTemplate () { <loc> <intr> }) }
 * from the vdev's loc (an IO or a memory range of v_block.length bytes)
 * and intr:
 *
 *	case VDEV_CTRL_GEN_ACPI:
 *		acpi_describe_vdev(vdp, "COM1", "PNP0501", 1);
 *		break;
 *
 * By hand, the same device:
 *
 *	acpi_device_begin("COM1", "PNP0501");
 *	acpi_name_integer("_UID", 1);
 *	acpi_crs_begin();
 *	acpi_crs_io(0x3f8, 8);
 *	acpi_crs_interrupt(&vdp->v_intr);
 *	acpi_crs_end();
 *	acpi_device_end();
 *
 * Names are ACPI NameSegs: 1 to 4 characters, capitals, digits and '_',
 * not starting with a digit (padded with '_'). A name of NULL for a device
 * makes qvm pick one no other device has ("V000", "V001", ...). A _HID of
 * the form "PNP0501" (three capitals, four hex digits) is stored as an
 * EISA ID, as iasl's EisaId() does; anything else as a string.
 *
 * The helpers return nothing: a failure (a bad name, an unbalanced begin
 * and end, the tables' size limit) is remembered and stops qvm after the
 * callback, naming the vdev and the call.
 */
#ifndef QVM_ACPI_H
#define QVM_ACPI_H

#include <stddef.h>
#include <stdint.h>

#include <qvm/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Device (name) with Name (_HID, hid); ends with acpi_device_end(). */
void acpi_device_begin(const char *name, const char *hid);
void acpi_device_end(void);
/* Name (name, value) in the open device (in \_SB outside one). */
void acpi_name_integer(const char *name, uint64_t value);
void acpi_name_string(const char *name, const char *str);
/* Name (_CRS, ResourceTemplate () { ... }) of the open device, from the calls between. */
void acpi_crs_begin(void);
/* IO (Decode16, port, port, 1, length) */
void acpi_crs_io(uint16_t port, uint16_t length);
/* Memory32Fixed, or a QWordMemory range above 4 GiB. */
void acpi_crs_memory(uint64_t address, uint64_t length, int writable);
/*
 * An interrupt as the guest's interrupt controller numbers it: an ISA line
 * (below 16) as IRQNoFlags, others as a level, active-high Interrupt. An
 * interrupt without a controller (no `intr`) adds nothing.
 */
void acpi_crs_interrupt(const guest_intr_t *intr);
void acpi_crs_end(void);
/*
 * Device (name) { _HID hid, _UID uid, _CRS: the vdev's loc (I/O or memory,
 * v_block.length bytes) and its intr }, as above.
 */
void acpi_describe_vdev(vdev_t *vdp, const char *name, const char *hid, uint64_t uid);
/*
 * A whole table of the vdev's own (an SSDT, an SPCR, ...): len bytes
 * starting with its 36-byte header, whose signature qvm keeps; qvm sets
 * the header's length and checksum and lists the table in the XSDT. The
 * bytes are copied.
 */
void acpi_add_table(const void *table, size_t len);

#ifdef __cplusplus
}
#endif

#endif
