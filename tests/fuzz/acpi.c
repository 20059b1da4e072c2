/*
 * Fuzz target: `acpi load`'s check of a table file (acpi_table_check) on
 * any bytes; a table it takes must be whole: its header's length the
 * file's, its bytes summing to 0, its signature one qvm does not build.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "acpi.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct qerr e;

	if (acpi_table_check(data, size, &e) != 0)
		return 0;
	uint32_t len = (uint32_t)data[4] | (uint32_t)data[5] << 8 | (uint32_t)data[6] << 16 |
		(uint32_t)data[7] << 24;
	if (size < ACPI_HDR_LEN || len != size || acpi_sum(data, size) != 0 ||
			memcmp(data, "DSDT", 4) == 0 || memcmp(data, "FACP", 4) == 0)
		abort();
	return 0;
}
