/*
 * Fuzz target: the SDK's parsers qvm_parse_num, qvm_parse_block and
 * qvm_parse_intr on any string (the first byte picks the flags), as a vdev
 * calls them outside option processing, where a bad string is an error
 * return. What they return must point into the string.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <qvm/utils.h>

#include "vm.h"

static struct qvm_vm *vm;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct qerr e;

	(void)argc;
	(void)argv;
	if (vm_create(&vm, &e))	/* the VM's interrupt controllers, for qvm_parse_intr */
		abort();
	vm_set_current(vm);
	return 0;
}

static void inside(const char *s, size_t len, const char *end)
{
	if (end && (end < s || end > s + len))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	size_t len = size - 1;
	char *s = malloc(size);
	if (!s)
		return 0;
	memcpy(s, data + 1, len);
	s[len] = '\0';
	len = strlen(s);

	uint64_t v;
	inside(s, len, qvm_parse_num(s, data[0] & 0xf, &v));
	struct qvm_state_block b = { .qst_type = data[0] & 0x10 ? QST_X86_IO : QST_MEMORY };
	inside(s, len, qvm_parse_block(s, &b));
	guest_intr_t intr;
	inside(s, len, qvm_parse_intr(s, &intr));
	free(s);
	return 0;
}
