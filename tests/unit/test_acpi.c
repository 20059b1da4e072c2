/*
 * The ACPI parts no architecture owns: the AML encoder (core/aml.c), the
 * SDK's acpi_* helpers building the DSDT as a vdev does during GEN_ACPI,
 * the check of an `acpi load` table, and the RSDT/XSDT/RSDP with their
 * checksums (core/acpi.c).
 */
#include <errno.h>
#include <stdlib.h>

#include <qvm/acpi.h>

#include "aml.h"
#include "test.h"
#include "vm.h"

static bool bytes_are(const struct aml *a, const uint8_t *want, size_t n)
{
	if (a->err || a->len != n || memcmp(a->buf, want, n) != 0) {
		printf("#   got %zu bytes (err %d):", a->len, a->err);
		for (size_t i = 0; i < a->len && i < 64; i++)
			printf(" %02x", a->buf[i]);
		printf("\n");
		return false;
	}
	return true;
}

TEST(integers_take_their_shortest_form)
{
	struct aml a;
	static const uint8_t want[] = {
		0x00, 0x01, 0xff, 0x0a, 0x02, 0x0a, 0xff, 0x0b, 0x00, 0x01, 0x0c, 0x00, 0x00, 0x01, 0x00,
		0x0e, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
	};

	aml_init(&a, 4096);
	aml_integer(&a, 0);
	aml_integer(&a, 1);
	aml_integer(&a, UINT64_MAX);
	aml_integer(&a, 2);
	aml_integer(&a, 0xff);
	aml_integer(&a, 0x100);
	aml_integer(&a, 0x10000);
	aml_integer(&a, 0x100000000ull);
	CHECK(bytes_are(&a, want, sizeof(want)));
	aml_free(&a);
}

TEST(pkglength_at_each_boundary)
{
	uint8_t p[4];

	/* the length counts itself: a body of 62 bytes is 63 in one byte, 63 needs two */
	CHECK(aml_pkglength(62, p) == 1 && p[0] == 63);
	CHECK(aml_pkglength(63, p) == 2 && p[0] == 0x41 && p[1] == 0x04);	/* 65 */
	CHECK(aml_pkglength(0xffd, p) == 2 && p[0] == 0x4f && p[1] == 0xff);	/* 0xfff */
	CHECK(aml_pkglength(0xffe, p) == 3 && p[0] == 0x81 && p[1] == 0x00 && p[2] == 0x01);
	CHECK(aml_pkglength((1u << 28) - 5, p) == 4 && p[0] == 0xcf && p[3] == 0xff);
	CHECK(aml_pkglength((1u << 28) - 4, p) == 0);	/* more than 28 bits: none */

	/* a scope closed around a body that needs two length bytes moves it up by them */
	struct aml a;
	aml_init(&a, 4096);
	static const uint8_t scope = AML_SCOPE;
	aml_open(&a, &scope, 1);
	uint8_t body[100];
	memset(body, 0xa5, sizeof(body));
	aml_bytes(&a, body, sizeof(body));
	aml_close(&a);
	CHECK(a.len == 103 && a.buf[0] == 0x10 && a.buf[1] == 0x46 && a.buf[2] == 0x06 &&
			a.buf[3] == 0xa5 && a.buf[102] == 0xa5);
	aml_close(&a);	/* nothing open */
	CHECK(a.err == -EINVAL);
	aml_free(&a);
}

TEST(names_and_strings)
{
	struct aml a;
	static const uint8_t want[] = {
		'\\', '_', 'S', 'B', '_',				/* \_SB */
		0x2e, '_', 'S', 'B', '_', 'C', 'O', 'M', '1',		/* _SB.COM1 */
		'\\', 0x2f, 3, 'A', '_', '_', '_', 'B', '1', '_', '_', 'C', '_', '_', '_',
		0x0d, 'h', 'i', 0,
	};

	aml_init(&a, 4096);
	aml_namestring(&a, "\\_SB");
	aml_namestring(&a, "_SB.COM1");
	aml_namestring(&a, "\\A.B1.C");
	aml_string(&a, "hi");
	CHECK(bytes_are(&a, want, sizeof(want)));
	aml_namestring(&a, "1ABC");	/* a digit first */
	CHECK(a.err == -EINVAL);
	aml_free(&a);
	aml_init(&a, 4096);
	aml_namestring(&a, "TOOLONG");
	CHECK(a.err == -EINVAL);
	aml_free(&a);
	aml_init(&a, 4096);
	aml_string(&a, "a\nb");	/* not printable */
	CHECK(a.err == -EINVAL);
	aml_free(&a);
	aml_init(&a, 8);	/* the bound */
	aml_string(&a, "too long for 8");
	CHECK(a.err == -E2BIG);
	aml_free(&a);
}

TEST(eisa_ids_as_iasl_compresses_them)
{
	CHECK_EQ_U64(aml_eisaid("PNP0501"), 0x0105d041);
	CHECK_EQ_U64(aml_eisaid("PNP0B00"), 0x000bd041);
	CHECK(aml_eisaid("PNP050") == -1 && aml_eisaid("pnp0501") == -1 && aml_eisaid("PNP050G") == -1);
	CHECK(aml_eisaid("ACPI0007") == -1);	/* an ACPI ID stays a string */
}

/* A VM as GEN_ACPI sees it, with the DSDT begun and \_SB open. */
static struct qvm_vm *gen_vm(void)
{
	struct qvm_vm *vm = NULL;
	struct qerr e;
	static const uint8_t scope = AML_SCOPE;

	if (vm_create(&vm, &e))
		abort();
	vm_set_current(vm);
	struct aml *d = vacpi_dsdt_begin(vm);
	aml_open(d, &scope, 1);
	aml_namestring(d, "\\_SB");
	vm->acpi.names = calloc(1, 37 * 37 * 37 * 37 / 8 + 1);
	vm->acpi.building = true;
	return vm;
}

static void done(struct qvm_vm *vm)
{
	vm->acpi.building = false;
	vm_set_current(NULL);
	vm_destroy(vm);
}

/* The bytes added since the start of \_SB's body. */
static bool sb_body_is(struct qvm_vm *vm, const uint8_t *want, size_t n)
{
	const struct aml *d = &vm->acpi.dsdt;
	size_t start = ACPI_HDR_LEN + 1 + 5;	/* ScopeOp, "\_SB_" (PkgLength not written yet) */

	if (vm->acpi.err || d->len != start + n || memcmp(d->buf + start, want, n) != 0) {
		printf("#   got (err %d %s):", vm->acpi.err, vm->acpi.err_call);
		for (size_t i = start; i < d->len && i < start + 96; i++)
			printf(" %02x", d->buf[i]);
		printf("\n");
		return false;
	}
	return true;
}

TEST(a_device_by_hand)
{
	struct qvm_vm *vm = gen_vm();
	static const uint8_t want[] = {
		0x5b, 0x82, 0x34, 'D', 'E', 'V', '_',			/* Device (DEV), 52 bytes */
		0x08, '_', 'H', 'I', 'D', 0x0c, 0x41, 0xd0, 0x05, 0x01,	/* EisaId ("PNP0501") */
		0x08, '_', 'U', 'I', 'D', 0x0a, 0x07,
		0x08, 'N', 'A', 'M', '_', 0x0d, 'x', 0,
		0x08, '_', 'C', 'R', 'S', 0x11, 0x10, 0x0a, 0x0d,	/* Buffer (13) */
		0x47, 0x01, 0x00, 0x06, 0x00, 0x06, 0x01, 0x04,		/* IO 0x600, 4 ports */
		0x22, 0x10, 0x00,					/* IRQNoFlags {4} */
		0x79, 0x00,						/* end tag */
	};

	acpi_device_begin("DEV", "PNP0501");
	acpi_name_integer("_UID", 7);
	acpi_name_string("NAM", "x");
	acpi_crs_begin();
	acpi_crs_io(0x600, 4);
	guest_intr_t irq = { .pic = &vm->pics[0].pub, .param = 4 };
	acpi_crs_interrupt(&irq);
	acpi_crs_end();
	acpi_device_end();
	CHECK(sb_body_is(vm, want, sizeof(want)));
	done(vm);
}

TEST(memory_above_4g_and_interrupts_above_15)
{
	struct qvm_vm *vm = gen_vm();

	acpi_device_begin(NULL, "ACME0001");	/* a string _HID, a name qvm picks */
	acpi_crs_begin();
	acpi_crs_memory(0x100000000ull, 0x1000, 1);
	acpi_crs_memory(0xfa000000, 0x10, 0);
	guest_intr_t irq = { .pic = &vm->pics[0].pub, .param = 20 };
	acpi_crs_interrupt(&irq);
	acpi_crs_end();
	acpi_device_end();
	CHECK(vm->acpi.err == 0);
	const struct aml *d = &vm->acpi.dsdt;
	const uint8_t *b = d->buf + ACPI_HDR_LEN + 6;	/* past Scope (\_SB: two length bytes */
	CHECK(b[0] == 0x5b && b[1] == 0x82 && (b[2] >> 6) == 1 && memcmp(b + 4, "V000", 4) == 0);
	CHECK(memcmp(b + 9, "_HID\x0d" "ACME0001", 13) == 0);
	/* QWordMemory, then Memory32Fixed read-only, then Interrupt (Level, ActiveHigh) {20} */
	const uint8_t *crs = memmem(d->buf, d->len, "\x8a\x2b\x00", 3);
	CHECK(crs && crs[3] == 0 && crs[4] == 0x0d && crs[5] == 1);
	CHECK(crs && memcmp(crs + 14, "\x00\x00\x00\x00\x01\x00\x00\x00", 8) == 0);
	CHECK(crs && memcmp(crs + 46, "\x86\x09\x00\x00\x00\x00\x00\xfa\x10\x00\x00\x00", 12) == 0);
	CHECK(crs && memcmp(crs + 58, "\x89\x06\x00\x01\x01\x14\x00\x00\x00\x79\x00", 11) == 0);
	done(vm);
}

TEST(misuse_is_remembered_for_the_vdev)
{
	struct qvm_vm *vm = gen_vm();

	acpi_device_begin("1BAD", "PNP0501");	/* a digit first */
	CHECK(vm->acpi.err == -EINVAL && strstr(vm->acpi.err_call, "acpi_device_begin") != NULL);
	vm->acpi.err = 0;
	acpi_crs_io(0x600, 4);			/* no _CRS open */
	CHECK(vm->acpi.err == -EINVAL && strstr(vm->acpi.err_call, "acpi_crs_io") != NULL);
	vm->acpi.err = 0;
	acpi_device_begin("ONE", "PNP0501");
	acpi_device_end();
	acpi_device_begin("ONE", "PNP0501");	/* the same name twice in \_SB */
	CHECK(vm->acpi.err == -EEXIST);
	vm->acpi.err = 0;
	acpi_device_end();			/* nothing open */
	CHECK(vm->acpi.err == -EINVAL);
	vm->acpi.err = 0;
	acpi_device_begin("TWO", "PNP0501");
	acpi_crs_begin();
	acpi_crs_io(0xfff0, 0x20);		/* past port 0xffff */
	CHECK(vm->acpi.err == -ERANGE);
	vm->acpi.err = 0;
	acpi_crs_memory(0xfffffffffffff000ull, 0x2000, 1);	/* wraps */
	CHECK(vm->acpi.err == -ERANGE);
	vm->acpi.err = 0;
	acpi_device_end();			/* the _CRS is still open */
	CHECK(vm->acpi.err == -EINVAL);
	vm->acpi.err = 0;
	acpi_add_table("RSDTxxxx", 8);		/* shorter than a header */
	CHECK(vm->acpi.err == -EINVAL);
	done(vm);
}

/* A table of len bytes with sig, its checksum right. */
static uint8_t *table(const char *sig, size_t len)
{
	uint8_t *t = calloc(1, len);

	acpi_header(t, sig, (uint32_t)len, 2);
	acpi_checksum(t, len, 9);
	return t;
}

TEST(vdev_tables_get_their_length_and_checksum)
{
	struct qvm_vm *vm = gen_vm();
	uint8_t *t = table("SSDT", 48);

	t[4] = 0;	/* wrong length, wrong checksum: qvm fixes both */
	t[9] ^= 0x55;
	acpi_add_table(t, 48);
	CHECK(vm->acpi.err == 0 && vm->acpi.ntables == 1);
	CHECK(vm->acpi.tables[0].len == 48 && vm->acpi.tables[0].data[4] == 48);
	CHECK(acpi_sum(vm->acpi.tables[0].data, 48) == 0);
	free(t);
	t = table("DSDT", 40);	/* qvm's own */
	acpi_add_table(t, 40);
	CHECK(vm->acpi.err == -EEXIST);
	free(t);
	done(vm);
}

TEST(acpi_load_checks_the_whole_table)
{
	struct qerr e;
	uint8_t *t = table("SSDT", 64);

	CHECK(acpi_table_check(t, 64, &e) == 0);
	CHECK(acpi_table_check(t, 30, &e) == -EINVAL && strstr(e.msg, "shorter than the 36-byte header"));
	CHECK(acpi_table_check(t, 63, &e) == -EINVAL && strstr(e.msg, "header says 64 bytes, there are 63"));
	t[20] ^= 1;
	CHECK(acpi_table_check(t, 64, &e) == -EINVAL && strstr(e.msg, "wrong checksum"));
	t[20] ^= 1;
	t[1] = '\n';
	CHECK(acpi_table_check(t, 64, &e) == -EINVAL && strstr(e.msg, "'S\\x0aDT'"));
	free(t);
	t = table("FACP", 64);
	CHECK(acpi_table_check(t, 64, &e) == -EEXIST && strstr(e.msg, "builds the FACP itself"));
	free(t);
}

TEST(rsdt_xsdt_and_rsdp)
{
	uint8_t r[ACPI_HDR_LEN + 16], x[ACPI_HDR_LEN + 16], p[ACPI_RSDP_LEN];
	uint64_t gpas[2] = { 0xfebe0000, 0x123456789ull };

	CHECK(acpi_make_rsdt(r, gpas, 2) == ACPI_HDR_LEN + 8 && acpi_sum(r, ACPI_HDR_LEN + 8) == 0);
	CHECK(memcmp(r, "RSDT", 4) == 0 && memcmp(r + ACPI_HDR_LEN, "\x00\x00\xbe\xfe", 4) == 0);
	CHECK(acpi_make_xsdt(x, gpas, 2) == ACPI_HDR_LEN + 16 && acpi_sum(x, ACPI_HDR_LEN + 16) == 0);
	CHECK(memcmp(x + ACPI_HDR_LEN + 8, "\x89\x67\x45\x23\x01\x00\x00\x00", 8) == 0);
	acpi_make_rsdp(p, 0xfebe1000, 0xfebe2000);
	CHECK(memcmp(p, "RSD PTR ", 8) == 0 && p[15] == 2);
	CHECK(acpi_sum(p, 20) == 0 && acpi_sum(p, ACPI_RSDP_LEN) == 0);
	CHECK(memcmp(p + 24, "\x00\x20\xbe\xfe\x00\x00\x00\x00", 8) == 0);
}

int main(void)
{
	RUN(integers_take_their_shortest_form);
	RUN(pkglength_at_each_boundary);
	RUN(names_and_strings);
	RUN(eisa_ids_as_iasl_compresses_them);
	RUN_IF(TEST_X86, a_device_by_hand, "interrupts in ACPI are x86's");
	RUN_IF(TEST_X86, memory_above_4g_and_interrupts_above_15, "interrupts in ACPI are x86's");
	RUN(misuse_is_remembered_for_the_vdev);
	RUN(vdev_tables_get_their_length_and_checksum);
	RUN(acpi_load_checks_the_whole_table);
	RUN(rsdt_xsdt_and_rsdp);
	TEST_EXIT();
}
