/*
 * Fuzz target: the configuration tokenizer on any bytes. Every token it
 * keeps must be a NUL-terminated string no longer than the input, on a line
 * that exists, and an error must come with a message.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "token.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct qvm_tokens t = { 0 };
	struct qerr e = { { 0 } };
	size_t lines = 1;

	for (size_t i = 0; i < size; i++)
		lines += data[i] == '\n';
	int r = tokens_add_text(&t, (const char *)data, size, "fuzz.conf", "/dir", &e);
	if (r && !e.msg[0])
		abort();
	for (size_t i = 0; i < t.n; i++)
		if (strlen(t.v[i].text) > size || t.v[i].line < 1 || t.v[i].line > lines)
			abort();
	tokens_free(&t);
	return 0;
}
