/*
 * The configuration as a token stream: files given with @FILE or --config
 * and command-line arguments, in order. Each token remembers where it came
 * from so that every error can name FILE:LINE.
 */
#ifndef QVM_TOKEN_H
#define QVM_TOKEN_H

#include <stdbool.h>
#include <stddef.h>

#include "qerr.h"

struct qvm_token {
	char *text;
	const char *file;	/* file name, or "command line" */
	const char *dir;	/* directory relative paths in it resolve against; NULL = cwd */
	unsigned line;		/* line in file, or argument number */
};

/*
 * Limits on what a configuration may hold, checked before the work: a file
 * is refused above QVM_CONFIG_MAX_BYTES, the whole configuration above
 * QVM_MAX_TOKENS tokens. Memory is proportional to the input: the tokens of
 * one file share one block the size of the file.
 */
#define QVM_CONFIG_MAX_BYTES	(16u << 20)
#define QVM_MAX_TOKENS		(4u << 20)

struct qvm_tokens {
	struct qvm_token *v;
	size_t n, cap;
	char **names;		/* blocks the tokens point into: names, directories, texts */
	size_t nnames, names_cap;
	const char *arg_file;	/* "command line", kept once for every argument */
};

/* Tokenize the file at path and append its tokens. */
int tokens_add_file(struct qvm_tokens *t, const char *path, struct qerr *e);

/* Tokenize text (the contents of a file named name) and append. */
int tokens_add_text(struct qvm_tokens *t, const char *text, size_t len,
		const char *name, const char *dir, struct qerr *e);

/* Append one command-line argument as a single token. */
int tokens_add_arg(struct qvm_tokens *t, const char *arg, unsigned argno);

void tokens_free(struct qvm_tokens *t);

#endif
