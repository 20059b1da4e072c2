/*
 * The guest's ACPI tables, arch-neutral parts (acpi.h): the DSDT with the
 * vdevs' devices, the SDK's acpi_* helpers (qvm/acpi.h), the tables vdevs
 * and `acpi load` add, the RSDT/XSDT/RSDP and the dump directory.
 */
#include "acpi.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <qvm/acpi.h>

#include "files.h"
#include "le.h"
#include "vdev_impl.h"
#include "vm.h"

#define OEM_ID		"QVM   "
#define OEM_TABLE_ID	"QVM     "
#define CREATOR_ID	"QVM "
#define CRS_MAX		(64u << 10)	/* one device's resource template */
/* Device names under \_SB: 37 characters ('_', A-Z, 0-9) in each of 4 places. */
#define NAME_SPACE	(37u * 37u * 37u * 37u)

void acpi_header(uint8_t *t, const char *sig, uint32_t len, uint8_t rev)
{
	memcpy(t, sig, 4);
	put_le32(t + 4, len);
	t[8] = rev;
	t[9] = 0;
	memcpy(t + 10, OEM_ID, 6);
	memcpy(t + 16, OEM_TABLE_ID, 8);
	put_le32(t + 24, 1);		/* OEM revision */
	memcpy(t + 28, CREATOR_ID, 4);
	put_le32(t + 32, 1);		/* creator revision */
}

uint8_t acpi_sum(const uint8_t *t, size_t len)
{
	uint8_t s = 0;

	for (size_t i = 0; i < len; i++)
		s = (uint8_t)(s + t[i]);
	return s;
}

void acpi_checksum(uint8_t *t, size_t len, size_t at)
{
	t[at] = 0;
	t[at] = (uint8_t)-acpi_sum(t, len);
}

static bool sig_char(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* The tables qvm makes itself, which a vdev or a file may not replace. */
static const char *reserved_sig(const uint8_t *sig)
{
	static const char *const own[] = { "RSDT", "XSDT", "FACP", "FACS", "DSDT", "APIC" };

	for (size_t i = 0; i < sizeof(own) / sizeof(own[0]); i++)
		if (memcmp(sig, own[i], 4) == 0)
			return own[i];
	return NULL;
}

/* The signature's 4 bytes as text, hex-escaped where not a signature character. */
static const char *sig_text(const uint8_t *sig, char out[17])
{
	char *p = out;

	for (int i = 0; i < 4; i++)
		p += sig_char(sig[i]) ? sprintf(p, "%c", sig[i]) : sprintf(p, "\\x%02x", sig[i]);
	return out;
}

int acpi_table_check(const uint8_t *t, size_t len, struct qerr *e)
{
	char s[17];

	if (len < ACPI_HDR_LEN)
		return qerr_set(e, -EINVAL, "not an ACPI table: %zu bytes, shorter than the %d-byte "
				"header", len, ACPI_HDR_LEN);
	for (int i = 0; i < 4; i++)
		if (!sig_char(t[i]))
			return qerr_set(e, -EINVAL, "not an ACPI table: signature '%s' is not four "
					"capitals, digits or '_'", sig_text(t, s));
	if (len > ACPI_TABLE_MAX)
		return qerr_set(e, -EFBIG, "ACPI table %s: %zu bytes, more than qvm takes (%u)",
				sig_text(t, s), len, ACPI_TABLE_MAX);
	uint32_t hlen = (uint32_t)t[4] | (uint32_t)t[5] << 8 | (uint32_t)t[6] << 16 |
		(uint32_t)t[7] << 24;
	if (hlen != len)
		return qerr_set(e, -EINVAL, "ACPI table %s: its header says %u bytes, there are %zu",
				sig_text(t, s), hlen, len);
	if (reserved_sig(t))
		return qerr_set(e, -EEXIST, "ACPI table %s: qvm builds the %s itself (describe "
				"devices in an SSDT)", sig_text(t, s), reserved_sig(t));
	if (acpi_sum(t, len))
		return qerr_set(e, -EINVAL, "ACPI table %s: wrong checksum (the bytes sum to 0x%02x, "
				"not 0)", sig_text(t, s), acpi_sum(t, len));
	return 0;
}

/* Keep a table (data malloc()ed, owned from here). */
static int keep_table(struct qvm_vm *vm, uint8_t *data, size_t len, bool placed, uint64_t gpa,
		struct qerr *e)
{
	struct qvm_acpi *a = &vm->acpi;

	if (a->ntables == ACPI_MAX_TABLES) {
		free(data);
		return qerr_set(e, -ENOSPC, "too many ACPI tables (at most %d besides qvm's own)",
				ACPI_MAX_TABLES);
	}
	struct acpi_table *t = &a->tables[a->ntables++];
	memcpy(t->sig, data, 4);
	t->sig[4] = '\0';
	t->data = data;
	t->len = len;
	t->placed = placed;
	t->gpa = gpa;
	return 0;
}

int vacpi_user_table(struct qvm_vm *vm, uint8_t *buf, size_t len, bool have_addr, uint64_t addr,
		struct qerr *e)
{
	int r = acpi_table_check(buf, len, e);

	if (r) {
		free(buf);
		return r;
	}
	return keep_table(vm, buf, len, have_addr, addr, e);
}

size_t acpi_make_rsdt(uint8_t *out, const uint64_t *gpas, unsigned n)
{
	size_t len = ACPI_HDR_LEN + 4 * (size_t)n;

	acpi_header(out, "RSDT", (uint32_t)len, 1);
	for (unsigned i = 0; i < n; i++)
		put_le32(out + ACPI_HDR_LEN + 4 * i, (uint32_t)gpas[i]);
	acpi_checksum(out, len, 9);
	return len;
}

size_t acpi_make_xsdt(uint8_t *out, const uint64_t *gpas, unsigned n)
{
	size_t len = ACPI_HDR_LEN + 8 * (size_t)n;

	acpi_header(out, "XSDT", (uint32_t)len, 1);
	for (unsigned i = 0; i < n; i++)
		put_le64(out + ACPI_HDR_LEN + 8 * i, gpas[i]);
	acpi_checksum(out, len, 9);
	return len;
}

void acpi_make_rsdp(uint8_t *out, uint32_t rsdt, uint64_t xsdt)
{
	memset(out, 0, ACPI_RSDP_LEN);
	memcpy(out, "RSD PTR ", 8);
	memcpy(out + 9, OEM_ID, 6);
	out[15] = 2;			/* revision: ACPI 2.0 and later, with the XSDT */
	put_le32(out + 16, rsdt);
	put_le32(out + 20, ACPI_RSDP_LEN);
	put_le64(out + 24, xsdt);
	acpi_checksum(out, 20, 8);	/* the ACPI 1.0 part */
	acpi_checksum(out, ACPI_RSDP_LEN, 32);
}

int vacpi_dump(struct qvm_vm *vm, const char *name, const uint8_t *t, size_t len, struct qerr *e)
{
	char path[4096];

	if (!vm->acpi.dump_dir)
		return 0;
	snprintf(path, sizeof(path), "%s/%s.dat", vm->acpi.dump_dir, name);
	int r = file_write_all(path, t, len);
	if (r)
		return qerr_set(e, r, "set acpi-dump-dir: cannot write '%s': %s", path, strerror(-r));
	return 0;
}

void vacpi_free(struct qvm_vm *vm)
{
	struct qvm_acpi *a = &vm->acpi;

	aml_free(&a->dsdt);
	aml_free(&a->crs);
	for (unsigned i = 0; i < a->ntables; i++)
		free(a->tables[i].data);
	a->ntables = 0;
	free(a->dump_dir);
	a->dump_dir = NULL;
	free(a->names);
	a->names = NULL;
}

/* ---- the DSDT ---- */

struct aml *vacpi_dsdt_begin(struct qvm_vm *vm)
{
	static const uint8_t header[ACPI_HDR_LEN];
	struct aml *d = &vm->acpi.dsdt;

	aml_free(d);
	aml_init(d, ACPI_TABLE_MAX);
	aml_bytes(d, header, sizeof(header));
	return d;
}

static int name_index(const char *s, size_t n)
{
	int v = 0;

	for (size_t i = 0; i < 4; i++) {
		char c = i < n ? s[i] : '_';
		v = v * 37 + (c == '_' ? 0 : c >= 'A' && c <= 'Z' ? c - 'A' + 1 : c - '0' + 27);
	}
	return v;
}

/* Claim a name in \_SB: 0, or -EEXIST if a device has it. */
static int claim(struct qvm_acpi *a, const char *s, size_t n)
{
	int i = name_index(s, n);

	if (a->names[i / 8] & (1u << (i % 8)))
		return -EEXIST;
	a->names[i / 8] |= (uint8_t)(1u << (i % 8));
	return 0;
}

int vacpi_dsdt_finish(struct qvm_vm *vm, struct qerr *e)
{
	struct qvm_acpi *a = &vm->acpi;
	struct aml *d = &a->dsdt;
	static const uint8_t scope = AML_SCOPE;
	char where[300];
	int r = 0;

	a->names = calloc(1, NAME_SPACE / 8 + 1);
	if (!a->names)
		return qerr_set(e, -ENOMEM, "out of memory");
	aml_open(d, &scope, 1);
	aml_namestring(d, "\\_SB");
	for (struct qvm_vdev *v = vm->vdevs; v && !r; v = v->next) {
		vm->cur_tok = v->where;
		a->err = 0;
		a->devices_open = 0;
		a->crs_open = false;
		a->building = true;
		r = vdev_control(v, VDEV_CTRL_GEN_ACPI, NULL);
		a->building = false;
		if (!r && !a->err && (a->devices_open || a->crs_open))
			snprintf(a->err_call, sizeof(a->err_call), "%s",
					a->crs_open ? "acpi_crs_begin() without acpi_crs_end()" :
					"acpi_device_begin() without acpi_device_end()"), a->err = -EINVAL;
		if (r)
			r = qerr_set(e, -r, "vdev %s: GEN_ACPI failed: %s", v->name, strerror(r));
		else if (a->err)
			r = qerr_set(e, a->err, "vdev %s: GEN_ACPI: %s failed: %s", v->name,
					a->err_call, a->err == -E2BIG ? "the DSDT would be larger "
					"than 4 MiB" : strerror(-a->err));
		if (r)
			qerr_prefix(e, "%s", vm_where(vm, where, sizeof(where)));
	}
	vm->cur_tok = NULL;
	free(a->names);
	a->names = NULL;
	aml_free(&a->crs);
	if (r)
		return r;
	aml_close(d);
	if (d->err)
		return qerr_set(e, d->err, "cannot build the DSDT: %s", d->err == -E2BIG ?
				"larger than 4 MiB" : strerror(-d->err));
	acpi_header(d->buf, "DSDT", (uint32_t)d->len, 2);	/* revision 2: 64-bit integers */
	acpi_checksum(d->buf, d->len, 9);
	return 0;
}

/* ---- the SDK's helpers, for the vdev being sent GEN_ACPI ---- */

/* The VM whose DSDT a vdev may add to now, or NULL after reporting the misuse. */
static struct qvm_vm *gen_vm(const char *fn)
{
	struct qvm_vm *vm = vm_current();

	if (!vm || !vm->acpi.building) {
		api_violation(vm, vdev_running ? &vdev_running->pub : NULL, fn,
				"may only be called while handling VDEV_CTRL_GEN_ACPI");
		return NULL;
	}
	return vm;
}

/* Keep the first failure of this vdev's calls; true if there is one now. */
static bool note(struct qvm_vm *vm, int r, const char *fn, const char *what)
{
	struct qvm_acpi *a = &vm->acpi;

	if (!r && a->dsdt.err)
		r = a->dsdt.err;
	if (!r && a->crs.err)
		r = a->crs.err;
	if (r && !a->err) {
		a->err = r;
		snprintf(a->err_call, sizeof(a->err_call), "%s(\"%.48s\")", fn, what ? what : "");
	}
	return a->err != 0;
}

static bool name_ok(const char *name)
{
	return name && aml_nameseg_ok(name, strlen(name));
}

void acpi_device_begin(const char *name, const char *hid)
{
	struct qvm_vm *vm = gen_vm("acpi_device_begin()");
	static const uint8_t op[2] = { AML_EXT_PREFIX, AML_DEVICE };
	char autoname[5];

	if (!vm)
		return;
	struct qvm_acpi *a = &vm->acpi;
	if (a->err)
		return;
	if (a->crs_open || !hid || (name && !name_ok(name))) {
		note(vm, -EINVAL, "acpi_device_begin", name);
		return;
	}
	if (!name) {	/* "V" and three of 0-9, A-Z: the first free */
		static const char digits[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
		for (;; a->next_auto++) {
			unsigned k = a->next_auto;
			if (k >= 36 * 36 * 36) {
				note(vm, -ENOSPC, "acpi_device_begin", "(no free name)");
				return;
			}
			snprintf(autoname, sizeof(autoname), "V%c%c%c", digits[k / 1296],
					digits[k / 36 % 36], digits[k % 36]);
			if (!(a->names[name_index(autoname, 4) / 8] &
						(1u << (name_index(autoname, 4) % 8))))
				break;
		}
		name = autoname;
	}
	/* device names directly in \_SB must differ; inside a device, the vdev's own business */
	if (a->devices_open == 0 && claim(a, name, strlen(name))) {
		note(vm, -EEXIST, "acpi_device_begin", name);
		return;
	}
	aml_open(&a->dsdt, op, 2);
	aml_namestring(&a->dsdt, name);
	aml_name(&a->dsdt, "_HID");
	int64_t eisa = aml_eisaid(hid);
	if (eisa >= 0)
		aml_integer(&a->dsdt, (uint64_t)eisa);
	else
		aml_string(&a->dsdt, hid);
	if (!note(vm, 0, "acpi_device_begin", name))
		a->devices_open++;
}

void acpi_device_end(void)
{
	struct qvm_vm *vm = gen_vm("acpi_device_end()");

	if (!vm || vm->acpi.err)
		return;
	if (!vm->acpi.devices_open || vm->acpi.crs_open) {
		note(vm, -EINVAL, "acpi_device_end", vm->acpi.crs_open ? "inside _CRS" :
				"no device open");
		return;
	}
	aml_close(&vm->acpi.dsdt);
	vm->acpi.devices_open--;
	note(vm, 0, "acpi_device_end", NULL);
}

void acpi_name_integer(const char *name, uint64_t value)
{
	struct qvm_vm *vm = gen_vm("acpi_name_integer()");

	if (!vm || vm->acpi.err)
		return;
	if (!name_ok(name) || vm->acpi.crs_open) {
		note(vm, -EINVAL, "acpi_name_integer", name);
		return;
	}
	aml_name(&vm->acpi.dsdt, name);
	aml_integer(&vm->acpi.dsdt, value);
	note(vm, 0, "acpi_name_integer", name);
}

void acpi_name_string(const char *name, const char *str)
{
	struct qvm_vm *vm = gen_vm("acpi_name_string()");

	if (!vm || vm->acpi.err)
		return;
	if (!name_ok(name) || !str || vm->acpi.crs_open) {
		note(vm, -EINVAL, "acpi_name_string", name);
		return;
	}
	aml_name(&vm->acpi.dsdt, name);
	aml_string(&vm->acpi.dsdt, str);
	note(vm, 0, "acpi_name_string", name);
}

void acpi_crs_begin(void)
{
	struct qvm_vm *vm = gen_vm("acpi_crs_begin()");

	if (!vm || vm->acpi.err)
		return;
	if (vm->acpi.crs_open) {
		note(vm, -EINVAL, "acpi_crs_begin", "already open");
		return;
	}
	aml_free(&vm->acpi.crs);
	aml_init(&vm->acpi.crs, CRS_MAX);
	vm->acpi.crs_open = true;
}

/* The VM of a _CRS helper, NULL if none is open (reported). */
static struct qvm_vm *crs_vm(const char *fn, const char *call)
{
	struct qvm_vm *vm = gen_vm(fn);

	if (!vm || vm->acpi.err)
		return NULL;
	if (!vm->acpi.crs_open) {
		note(vm, -EINVAL, call, "outside acpi_crs_begin()");
		return NULL;
	}
	return vm;
}

void acpi_crs_io(uint16_t port, uint16_t length)
{
	struct qvm_vm *vm = crs_vm("acpi_crs_io()", "acpi_crs_io");
	uint8_t d[8] = { 0x47, 0x01 };	/* IO, Decode16 */

	if (!vm)
		return;
	if (length == 0 || length > 0xff || (uint32_t)port + length - 1 > 0xffff) {
		note(vm, -ERANGE, "acpi_crs_io", "length");
		return;
	}
	put_le16(d + 2, port);
	put_le16(d + 4, port);
	d[6] = 1;
	d[7] = (uint8_t)length;
	aml_bytes(&vm->acpi.crs, d, sizeof(d));
	note(vm, 0, "acpi_crs_io", NULL);
}

void acpi_crs_memory(uint64_t address, uint64_t length, int writable)
{
	struct qvm_vm *vm = crs_vm("acpi_crs_memory()", "acpi_crs_memory");

	if (!vm)
		return;
	if (length == 0 || address + (length - 1) < address) {
		note(vm, -ERANGE, "acpi_crs_memory", "length");
		return;
	}
	if (address + (length - 1) <= 0xffffffffull) {
		uint8_t d[12] = { 0x86, 0x09, 0x00, writable ? 1 : 0 };	/* Memory32Fixed */
		put_le32(d + 4, (uint32_t)address);
		put_le32(d + 8, (uint32_t)length);
		aml_bytes(&vm->acpi.crs, d, sizeof(d));
	} else {
		/* QWordMemory: consumer, MinFixed, MaxFixed, non-cacheable */
		uint8_t d[46] = { 0x8a, 0x2b, 0x00, 0x00, 0x0d, writable ? 1 : 0 };
		put_le64(d + 6, 0);			/* granularity */
		put_le64(d + 14, address);
		put_le64(d + 22, address + length - 1);
		put_le64(d + 30, 0);			/* translation */
		put_le64(d + 38, length);
		aml_bytes(&vm->acpi.crs, d, sizeof(d));
	}
	note(vm, 0, "acpi_crs_memory", NULL);
}

void acpi_crs_interrupt(const guest_intr_t *intr)
{
	struct qvm_vm *vm = crs_vm("acpi_crs_interrupt()", "acpi_crs_interrupt");

	if (!vm || !intr || !intr->pic)
		return;
	struct qvm_vdev *pic = vdev_of(intr->pic);
	if (pic < vm->pics || pic >= vm->pics + vm->npics) {
		note(vm, -ENOTSUP, "acpi_crs_interrupt", "not a built-in interrupt controller");
		return;
	}
	int gsi = arch_acpi_gsi(vm, (unsigned)(pic - vm->pics), intr->param);
	if (gsi < 0) {
		note(vm, gsi, "acpi_crs_interrupt", pic->name);
		return;
	}
	if (gsi < 16) {
		uint8_t d[3] = { 0x22 };	/* IRQNoFlags: edge, active high, an ISA line */
		put_le16(d + 1, (uint16_t)(1u << gsi));
		aml_bytes(&vm->acpi.crs, d, sizeof(d));
	} else {
		/* Interrupt (ResourceConsumer, Level, ActiveHigh, Exclusive) */
		uint8_t d[9] = { 0x89, 0x06, 0x00, 0x01, 0x01 };
		put_le32(d + 5, (uint32_t)gsi);
		aml_bytes(&vm->acpi.crs, d, sizeof(d));
	}
	note(vm, 0, "acpi_crs_interrupt", NULL);
}

void acpi_crs_end(void)
{
	struct qvm_vm *vm = crs_vm("acpi_crs_end()", "acpi_crs_end");
	static const uint8_t end_tag[2] = { 0x79, 0x00 };	/* checksum 0: not checked */
	static const uint8_t buffer = AML_BUFFER;

	if (!vm)
		return;
	struct qvm_acpi *a = &vm->acpi;
	aml_bytes(&a->crs, end_tag, sizeof(end_tag));
	if (note(vm, 0, "acpi_crs_end", NULL))
		return;
	aml_name(&a->dsdt, "_CRS");
	aml_open(&a->dsdt, &buffer, 1);
	aml_integer(&a->dsdt, a->crs.len);
	aml_bytes(&a->dsdt, a->crs.buf, a->crs.len);
	aml_close(&a->dsdt);
	a->crs_open = false;
	aml_free(&a->crs);
	note(vm, 0, "acpi_crs_end", NULL);
}

void acpi_describe_vdev(vdev_t *vdp, const char *name, const char *hid, uint64_t uid)
{
	struct qvm_vm *vm = gen_vm("acpi_describe_vdev()");

	if (!vm || vm->acpi.err)
		return;
	if (!vdp) {
		note(vm, -EINVAL, "acpi_describe_vdev", "vdp NULL");
		return;
	}
	const struct qvm_state_block *b = &vdp->v_block;
	acpi_device_begin(name, hid);
	acpi_name_integer("_UID", uid);
	acpi_crs_begin();
	if (b->location != QSL_NO_LOCATION && b->length) {
		if (b->qst_type == ARCH_IO_QST)
			acpi_crs_io((uint16_t)b->location, (uint16_t)(b->length > 0xff ? 0 : b->length));
		else if (b->qst_type == QST_MEMORY)
			acpi_crs_memory(b->location, b->length, 1);
	}
	acpi_crs_interrupt(&vdp->v_intr);
	acpi_crs_end();
	acpi_device_end();
}

void acpi_add_table(const void *table, size_t len)
{
	struct qvm_vm *vm = gen_vm("acpi_add_table()");
	struct qerr e;

	if (!vm || vm->acpi.err)
		return;
	if (!table || len < ACPI_HDR_LEN || len > ACPI_TABLE_MAX) {
		note(vm, -EINVAL, "acpi_add_table", "length");
		return;
	}
	uint8_t *t = malloc(len);
	if (!t) {
		note(vm, -ENOMEM, "acpi_add_table", NULL);
		return;
	}
	memcpy(t, table, len);
	put_le32(t + 4, (uint32_t)len);
	acpi_checksum(t, len, 9);
	int r = acpi_table_check(t, len, &e);
	if (!r)
		r = keep_table(vm, t, len, false, 0, &e);
	else
		free(t);
	char sig[5] = { 0 };
	for (int i = 0; i < 4; i++)
		sig[i] = sig_char(((const uint8_t *)table)[i]) ? ((const char *)table)[i] : '?';
	note(vm, r, "acpi_add_table", sig);
}
