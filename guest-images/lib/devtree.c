/*
 * devtree.c - a minimal FDT walker for the guest images (DTSpec 5): the
 * structure block's tokens, node by node, with each node's compatible,
 * reg, device_type, phandle, clocks, clock-frequency and bootargs noted.
 */
#include "devtree.h"

#define FDT_MAGIC	0xd00dfeedu
enum { TOK_BEGIN = 1, TOK_END = 2, TOK_PROP = 3, TOK_NOP = 4, TOK_DONE = 9 };

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int streq(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

/* Does the string list [s, s+len) hold want? */
static int list_has(const char *s, uint32_t len, const char *want)
{
	uint32_t i = 0;

	while (i < len) {
		if (streq(s + i, want))
			return 1;
		while (i < len && s[i])
			i++;
		i++;
	}
	return 0;
}

struct node {
	int compat_hit, is_cpu;
	uint64_t reg0;
	uint32_t reg_len, phandle, clock_ph, freq;
	const char *bootargs;
	uint32_t bootargs_len;
};

/* What walk() reports for each node when it ends; 1 stops the walk. */
typedef int (*visit_fn)(const struct node *n, void *ctx);

static int walk(const void *fdt, const char *compat, visit_fn visit, void *ctx)
{
	const uint8_t *b = fdt;
	uint32_t size = be32(b + 4), off = be32(b + 8), strs = be32(b + 12);
	uint32_t ssize = be32(b + 32), end = off + be32(b + 36);
	struct node stack[8];
	int depth = -1;

	if (end > size || strs + ssize > size)
		return -1;
	while (off + 4 <= end) {
		uint32_t tok = be32(b + off);
		off += 4;
		if (tok == TOK_BEGIN) {
			while (off < end && b[off])
				off++;
			off = (off + 4) & ~3u;	/* past the NUL, aligned */
			if (++depth >= 8)
				return -1;
			stack[depth] = (struct node){ 0 };
		} else if (tok == TOK_END) {
			if (depth < 0)
				return -1;
			if (visit(&stack[depth], ctx))
				return 0;
			depth--;
		} else if (tok == TOK_PROP) {
			if (off + 8 > end || depth < 0)
				return -1;
			uint32_t len = be32(b + off), name = be32(b + off + 4);
			const uint8_t *v = b + off + 8;
			off += 8;
			if (len > end - off || name >= ssize)
				return -1;
			const char *pn = (const char *)b + strs + name;
			struct node *n = &stack[depth];
			if (streq(pn, "compatible") && compat)
				n->compat_hit = list_has((const char *)v, len, compat);
			else if (streq(pn, "device_type"))
				n->is_cpu = list_has((const char *)v, len, "cpu");
			else if (streq(pn, "reg") && len >= 4) {
				n->reg_len = len;
				n->reg0 = len >= 8 ? (uint64_t)be32(v) << 32 | be32(v + 4) : be32(v);
			} else if (streq(pn, "phandle") && len == 4)
				n->phandle = be32(v);
			else if (streq(pn, "clocks") && len >= 4)
				n->clock_ph = be32(v);
			else if (streq(pn, "clock-frequency") && len == 4)
				n->freq = be32(v);
			else if (streq(pn, "bootargs"))
				n->bootargs = (const char *)v, n->bootargs_len = len;
			off = (off + len + 3) & ~3u;
		} else if (tok == TOK_DONE) {
			return 0;
		} else if (tok != TOK_NOP) {
			return -1;
		}
	}
	return -1;
}

int devtree_ok(const void *fdt)
{
	const uint8_t *b = fdt;

	return b && be32(b) == FDT_MAGIC && be32(b + 4) >= 40 && be32(b + 4) <= (2u << 20);
}

struct find_ctx {
	uint64_t addr;
	uint32_t clock_ph, freq;
	int found;
};

static int find_node(const struct node *n, void *p)
{
	struct find_ctx *c = p;

	if (!n->compat_hit)
		return 0;
	c->found = 1;
	c->addr = n->reg0;
	c->clock_ph = n->clock_ph;
	return 1;
}

static int find_clock(const struct node *n, void *p)
{
	struct find_ctx *c = p;

	if (n->phandle != c->clock_ph)
		return 0;
	c->freq = n->freq;
	return 1;
}

int devtree_find(const void *fdt, const char *compat, uint64_t *addr, uint64_t *clock_hz)
{
	struct find_ctx c = { 0 };

	if (!devtree_ok(fdt) || walk(fdt, compat, find_node, &c) || !c.found)
		return -1;
	*addr = c.addr;
	if (clock_hz) {
		if (c.clock_ph)
			walk(fdt, 0, find_clock, &c);
		*clock_hz = c.freq;
	}
	return 0;
}

struct cpus_ctx {
	uint64_t *mpidr;
	unsigned n, max;
};

static int count_cpu(const struct node *n, void *p)
{
	struct cpus_ctx *c = p;

	if (n->is_cpu && c->n < c->max)
		c->mpidr[c->n++] = n->reg0;
	return 0;
}

unsigned devtree_cpus(const void *fdt, uint64_t *mpidr, unsigned max)
{
	struct cpus_ctx c = { mpidr, 0, max };

	if (!devtree_ok(fdt) || walk(fdt, 0, count_cpu, &c))
		return 0;
	return c.n;
}

struct arg_ctx {
	const char *word;
	int found;
};

/* Is word one of the blank-separated words of [s, s+len)? */
static int words_have(const char *s, uint32_t len, const char *word)
{
	uint32_t i = 0;

	while (i < len && s[i]) {
		uint32_t j = 0;
		while (i + j < len && word[j] && s[i + j] == word[j])
			j++;
		if (!word[j] && (i + j == len || s[i + j] == ' ' || !s[i + j]))
			return 1;
		while (i < len && s[i] && s[i] != ' ')
			i++;
		while (i < len && s[i] == ' ')
			i++;
	}
	return 0;
}

static int find_arg(const struct node *n, void *p)
{
	struct arg_ctx *c = p;

	if (!n->bootargs)
		return 0;
	c->found = words_have(n->bootargs, n->bootargs_len, c->word);
	return 1;
}

int devtree_bootarg(const void *fdt, const char *word)
{
	struct arg_ctx c = { word, 0 };

	return devtree_ok(fdt) && walk(fdt, 0, find_arg, &c) == 0 && c.found;
}
