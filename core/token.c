#include "token.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Keeps block (allocated with malloc) until tokens_free; NULL (and block freed) on ENOMEM. */
static char *keep(struct qvm_tokens *t, char *block)
{
	if (block && t->nnames == t->names_cap) {
		size_t cap = t->names_cap ? t->names_cap * 2 : 16;
		char **nn = realloc(t->names, cap * sizeof(*nn));
		if (!nn) {
			free(block);
			return NULL;
		}
		t->names = nn;
		t->names_cap = cap;
	}
	if (block)
		t->names[t->nnames++] = block;
	return block;
}

static char *keep_name(struct qvm_tokens *t, const char *name)
{
	return keep(t, strdup(name));
}

static int push(struct qvm_tokens *t, char *text, const char *file,
		const char *dir, unsigned line)
{
	if (t->n >= QVM_MAX_TOKENS)
		return -E2BIG;
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		struct qvm_token *v = realloc(t->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
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
 * As the vendor's syntax page says, everything after a '#' on a line is a
 * comment, also in the middle of a token (`cpu#x` is `cpu`); a '#' in
 * quotes is a '#' (`"file#x"`).
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
	/* A NUL would end a token early without a word: refused wherever it is. */
	const char *nul = memchr(s, '\0', len);
	if (nul) {
		for (const char *p = s; p < nul; p++)
			line += *p == '\n';
		return qerr_set(e, -EINVAL, "%s:%u: NUL character", name, line);
	}
	/*
	 * Every token is at most as long as its source and is followed by a
	 * blank or the end, so text and terminating NULs fit in len + 1 bytes:
	 * one block for the whole file.
	 */
	char *out = keep(t, malloc(len + 1));
	if (!out)
		return qerr_set(e, -ENOMEM, "%s: out of memory", name);
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

		char *buf = out;
		unsigned start_line = line;
		while (i < len && !is_space(s[i]) && s[i] != '#') {
			if (s[i] != '"') {
				*out++ = s[i++];
				continue;
			}
			i++;
			while (i < len && s[i] != '"') {
				if (s[i] == '\\' && i + 1 < len && (s[i + 1] == '"' || s[i + 1] == '\\'))
					i++;
				if (s[i] == '\n')
					line++;
				*out++ = s[i++];
			}
			if (i == len)
				return qerr_set(e, -EINVAL, "%s:%u: unterminated string", name, start_line);
			i++;
		}
		*out++ = '\0';
		int r = push(t, buf, file, kdir, start_line);
		if (r == -E2BIG)
			return qerr_set(e, r, "%s:%u: too many tokens (the configuration may hold "
					"at most %u)", name, start_line, QVM_MAX_TOKENS);
		if (r)
			return qerr_set(e, r, "%s: out of memory", name);
	}
	return 0;
}

/*
 * The file's bytes, for a regular file of at most QVM_CONFIG_MAX_BYTES: a
 * FIFO or a device would block or never end. Opened non-blocking so that
 * open() itself cannot wait on a FIFO.
 */
static int read_config(const char *path, char **text, size_t *len, struct qerr *e)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	struct stat st;
	size_t got = 0;
	int err;

	if (fd < 0)
		return qerr_set(e, -errno, "%s: cannot read configuration file: %s", path,
				strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return qerr_set(e, -EINVAL, "%s: cannot read configuration file: not a regular file",
				path);
	}
	if (st.st_size > (off_t)QVM_CONFIG_MAX_BYTES) {
		close(fd);
		return qerr_set(e, -EFBIG, "%s: configuration file too large (%lld bytes; at most "
				"%u)", path, (long long)st.st_size, QVM_CONFIG_MAX_BYTES);
	}
	/* One byte more than its size: a file that grows meanwhile is read only so far. */
	*text = malloc((size_t)st.st_size + 1);
	if (!*text) {
		close(fd);
		return qerr_set(e, -ENOMEM, "%s: out of memory", path);
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, *text + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = errno;
			close(fd);
			free(*text);
			return qerr_set(e, -err, "%s: cannot read configuration file: %s", path,
					strerror(err));
		}
		if (n == 0)
			break;	/* shrank meanwhile: what is there */
		got += (size_t)n;
	}
	close(fd);
	*len = got;
	return 0;
}

int tokens_add_file(struct qvm_tokens *t, const char *path, struct qerr *e)
{
	char *text = NULL, *dir;
	size_t len = 0;
	int r = read_config(path, &text, &len, e);

	if (r)
		return r;
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
	if (!t->arg_file)
		t->arg_file = keep_name(t, "command line");
	char *text = keep(t, strdup(arg));

	if (!t->arg_file || !text)
		return -ENOMEM;
	return push(t, text, t->arg_file, NULL, argno);
}

void tokens_free(struct qvm_tokens *t)
{
	for (size_t i = 0; i < t->nnames; i++)
		free(t->names[i]);
	free(t->v);
	free(t->names);
	*t = (struct qvm_tokens){ 0 };
}
