/* The AML encoder (aml.h). */
#include "aml.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void aml_init(struct aml *a, size_t max)
{
	memset(a, 0, sizeof(*a));
	a->max = max;
}

void aml_free(struct aml *a)
{
	free(a->buf);
	a->buf = NULL;
	a->len = a->cap = 0;
}

static int fail(struct aml *a, int err)
{
	if (!a->err)
		a->err = err;
	return err;
}

/* Room for n more bytes; 0 or the error. */
static int room(struct aml *a, size_t n)
{
	if (a->err)
		return a->err;
	if (n > a->max || a->len > a->max - n)
		return fail(a, -E2BIG);
	if (a->len + n <= a->cap)
		return 0;
	size_t cap = a->cap ? a->cap : 256;
	while (cap < a->len + n)
		cap = cap > a->max / 2 ? a->max : cap * 2;
	uint8_t *p = realloc(a->buf, cap);
	if (!p)
		return fail(a, -ENOMEM);
	a->buf = p;
	a->cap = cap;
	return 0;
}

void aml_bytes(struct aml *a, const void *p, size_t n)
{
	if (!n || room(a, n))
		return;
	memcpy(a->buf + a->len, p, n);
	a->len += n;
}

void aml_byte(struct aml *a, uint8_t b)
{
	aml_bytes(a, &b, 1);
}

size_t aml_pkglength(size_t body, uint8_t out[4])
{
	/* the length counts its own bytes: 1 byte up to 63, then 1 + 1-3 bytes of 4+8k bits */
	for (size_t n = 1; n <= 4; n++) {
		size_t total = body + n;
		if (n == 1 && total < 0x40) {
			out[0] = (uint8_t)total;
			return 1;
		}
		if (n > 1 && total < (1ull << (4 + 8 * (n - 1)))) {
			out[0] = (uint8_t)(((n - 1) << 6) | (total & 0xf));
			for (size_t i = 1; i < n; i++)
				out[i] = (uint8_t)(total >> (4 + 8 * (i - 1)));
			return n;
		}
	}
	return 0;
}

void aml_open(struct aml *a, const uint8_t *op, size_t oplen)
{
	if (a->err)
		return;
	if (a->depth == AML_MAX_DEPTH) {
		fail(a, -EINVAL);
		return;
	}
	aml_bytes(a, op, oplen);
	a->open[a->depth++] = a->len;
}

void aml_close(struct aml *a)
{
	uint8_t pl[4];

	if (a->err)
		return;
	if (!a->depth) {
		fail(a, -EINVAL);
		return;
	}
	size_t start = a->open[--a->depth], body = a->len - start;
	size_t n = aml_pkglength(body, pl);
	if (!n) {
		fail(a, -E2BIG);
		return;
	}
	if (room(a, n))
		return;
	memmove(a->buf + start + n, a->buf + start, body);
	memcpy(a->buf + start, pl, n);
	a->len += n;
}

int aml_nameseg_ok(const char *s, size_t n)
{
	if (n < 1 || n > 4)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		int ok = (c >= 'A' && c <= 'Z') || c == '_' || (i > 0 && c >= '0' && c <= '9');
		if (!ok)
			return 0;
	}
	return 1;
}

void aml_namestring(struct aml *a, const char *path)
{
	const char *segs[8];
	size_t lens[8], nseg = 0;
	const char *p = path;

	if (a->err)
		return;
	if (*p == '\\') {
		aml_byte(a, '\\');
		p++;
	}
	while (*p) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);
		if (nseg == 8 || !aml_nameseg_ok(p, n)) {
			fail(a, -EINVAL);
			return;
		}
		segs[nseg] = p;
		lens[nseg++] = n;
		p += n + (dot ? 1 : 0);
		if (dot && !*p) {
			fail(a, -EINVAL);
			return;
		}
	}
	if (nseg == 0) {	/* the root alone: NullName after the backslash */
		aml_byte(a, 0);
		return;
	}
	if (nseg == 2)
		aml_byte(a, 0x2e);	/* DualNamePrefix */
	else if (nseg > 2) {
		aml_byte(a, 0x2f);	/* MultiNamePrefix */
		aml_byte(a, (uint8_t)nseg);
	}
	for (size_t i = 0; i < nseg; i++) {
		char seg[4] = { '_', '_', '_', '_' };
		memcpy(seg, segs[i], lens[i]);
		aml_bytes(a, seg, 4);
	}
}

void aml_integer(struct aml *a, uint64_t v)
{
	uint8_t b[9];
	size_t n;

	if (v == 0 || v == 1) {
		aml_byte(a, v ? AML_ONE : AML_ZERO);
		return;
	}
	if (v == UINT64_MAX) {
		aml_byte(a, AML_ONES);
		return;
	}
	if (v <= 0xff)
		b[0] = AML_BYTE_PREFIX, n = 1;
	else if (v <= 0xffff)
		b[0] = AML_WORD_PREFIX, n = 2;
	else if (v <= 0xffffffff)
		b[0] = AML_DWORD_PREFIX, n = 4;
	else
		b[0] = AML_QWORD_PREFIX, n = 8;
	for (size_t i = 0; i < n; i++)
		b[1 + i] = (uint8_t)(v >> (8 * i));
	aml_bytes(a, b, n + 1);
}

void aml_string(struct aml *a, const char *s)
{
	for (const char *p = s; *p; p++)
		if (*p < 0x20 || *p > 0x7e) {
			fail(a, -EINVAL);
			return;
		}
	aml_byte(a, AML_STRING_PREFIX);
	aml_bytes(a, s, strlen(s) + 1);
}

void aml_name(struct aml *a, const char *path)
{
	aml_byte(a, AML_NAME);
	aml_namestring(a, path);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int64_t aml_eisaid(const char *s)
{
	uint32_t id = 0;

	if (strlen(s) != 7)
		return -1;
	for (int i = 0; i < 3; i++) {
		if (s[i] < 'A' || s[i] > 'Z')
			return -1;
		id = id << 5 | (uint32_t)(s[i] - 0x40);
	}
	for (int i = 3; i < 7; i++) {
		int h = hexval(s[i]);
		if (h < 0)
			return -1;
		id = id << 4 | (uint32_t)h;
	}
	/* stored with the vendor letters in the first bytes: byte-swapped */
	return (int64_t)(((id & 0xff) << 24) | ((id & 0xff00) << 8) | ((id >> 8) & 0xff00) |
			(id >> 24));
}
