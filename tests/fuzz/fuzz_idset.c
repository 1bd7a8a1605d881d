/*
 * fuzz_idset - the reached record's bytes as a database might hand them
 * back (damaged, cut short, or not ours): idset_load must refuse what is
 * not exactly one Roaring set and never read past the bytes; what it
 * accepts must save back to bytes that load to the same set.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct idset *s = NULL, *t = NULL;
	struct buf b;
	uint8_t *copy = malloc(size ? size : 1);	/* exactly size bytes: ASan sees a read past them */

	memcpy(copy, data, size);
	if (idset_load(&s, copy, size) == NF_OK) {
		buf_init(&b, 0);
		if (idset_save(s, &b) != NF_OK || idset_load(&t, b.data, b.len) != NF_OK ||
		    idset_count(t) != idset_count(s))
			abort();
		idset_free(t);
		buf_free(&b);
		idset_free(s);
	}
	free(copy);
	return 0;
}
