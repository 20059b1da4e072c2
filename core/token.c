#include "token.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *keep_name(struct qvm_tokens *t, const char *name)
{
	char **nn = realloc(t->names, (t->nnames + 1) * sizeof(*nn));
	if (!nn)
		return NULL;
	t->names = nn;
	nn[t->nnames] = strdup(name);
	if (!nn[t->nnames])
		return NULL;
	return nn[t->nnames++];
}

static int push(struct qvm_tokens *t, char *text, const char *file,
		const char *dir, unsigned line)
{
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		struct qvm_token *v = realloc(t->v, cap * sizeof(*v));
		if (!v) {
			free(text);
			return -ENOMEM;
		}
		t->v = v;
		t->cap = cap;
	}
	t->v[t->n++] = (struct qvm_token){ text, file, dir, line };
	return 0;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/*
 * A token is a run of non-blank characters and double-quoted parts, so
 * `hostdev >"a b"` gives the token `>a b`. Inside quotes, \" and \\ escape.
 * '#' at the start of a token comments out the rest of the line.
 */
int tokens_add_text(struct qvm_tokens *t, const char *s, size_t len,
		const char *name, const char *dir, struct qerr *e)
{
	const char *file = keep_name(t, name);
	const char *kdir = dir ? keep_name(t, dir) : NULL;
	unsigned line = 1;
	size_t i = 0;

	if (!file || (dir && !kdir))
		return qerr_set(e, -ENOMEM, "out of memory");
	while (i < len) {
		char c = s[i];
		if (c == '\n') {
			line++;
			i++;
			continue;
		}
		if (is_space(c)) {
			i++;
			continue;
		}
		if (c == '#') {
			while (i < len && s[i] != '\n')
				i++;
			continue;
		}
		if (c == '\0')
			return qerr_set(e, -EINVAL, "%s:%u: NUL character in file", name, line);

		char *buf = malloc(len - i + 1);
		size_t n = 0;
		unsigned start_line = line;
		if (!buf)
			return qerr_set(e, -ENOMEM, "out of memory");
		while (i < len && !is_space(s[i])) {
			if (s[i] != '"') {
				buf[n++] = s[i++];
				continue;
			}
			i++;
			while (i < len && s[i] != '"') {
				if (s[i] == '\\' && i + 1 < len && (s[i + 1] == '"' || s[i + 1] == '\\'))
					i++;
				if (s[i] == '\n')
					line++;
				buf[n++] = s[i++];
			}
			if (i == len) {
				free(buf);
				return qerr_set(e, -EINVAL, "%s:%u: unterminated string", name, start_line);
			}
			i++;
		}
		buf[n] = '\0';
		int r = push(t, buf, file, kdir, start_line);
		if (r)
			return qerr_set(e, r, "out of memory");
	}
	return 0;
}

int tokens_add_file(struct qvm_tokens *t, const char *path, struct qerr *e)
{
	FILE *f = fopen(path, "rb");
	char *text = NULL, *dir;
	size_t len = 0, cap = 0;
	int r;

	if (!f)
		return qerr_set(e, -errno, "%s: cannot read configuration file: %s", path, strerror(errno));
	for (;;) {
		if (len == cap) {
			cap = cap ? cap * 2 : 4096;
			char *nt = realloc(text, cap);
			if (!nt) {
				fclose(f);
				free(text);
				return qerr_set(e, -ENOMEM, "out of memory");
			}
			text = nt;
		}
		size_t got = fread(text + len, 1, cap - len, f);
		len += got;
		if (got == 0)
			break;
	}
	r = ferror(f) ? -EIO : 0;
	fclose(f);
	if (r) {
		free(text);
		return qerr_set(e, r, "%s: cannot read configuration file", path);
	}
	/* Relative paths inside the file resolve against the file's directory. */
	dir = strdup(path);
	if (!dir) {
		free(text);
		return qerr_set(e, -ENOMEM, "out of memory");
	}
	char *slash = strrchr(dir, '/');
	if (slash)
		slash[slash == dir ? 1 : 0] = '\0';
	r = tokens_add_text(t, text, len, path, slash ? dir : NULL, e);
	free(dir);
	free(text);
	return r;
}

int tokens_add_arg(struct qvm_tokens *t, const char *arg, unsigned argno)
{
	const char *file = t->nnames && strcmp(t->names[t->nnames - 1], "command line") == 0 ?
		t->names[t->nnames - 1] : keep_name(t, "command line");
	char *text = strdup(arg);

	if (!file || !text) {
		free(text);
		return -ENOMEM;
	}
	return push(t, text, file, NULL, argno);
}

void tokens_free(struct qvm_tokens *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->v[i].text);
	for (size_t i = 0; i < t->nnames; i++)
		free(t->names[i]);
	free(t->v);
	free(t->names);
	*t = (struct qvm_tokens){ 0 };
}
