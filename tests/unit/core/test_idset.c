/* tests for core/idset.c: the compressed id sets of the reached record, and their bytes */
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "../../harness.h"

/* add, has, count; ids out of range are refused, a repeat is not counted */
TEST(idset_adds_counts_and_refuses_out_of_range)
{
	struct idset *s = idset_new();

	CHECK_INT(idset_add(s, 7), 1);
	CHECK_INT(idset_add(s, 7), 0);
	CHECK_INT(idset_add(s, 4294967295LL), 1);
	CHECK_INT(idset_add(s, 0), NF_ERR_INVALID);
	CHECK_INT(idset_add(s, -3), NF_ERR_INVALID);
	CHECK_INT(idset_add(s, 4294967296LL), NF_ERR_INVALID);
	CHECK_INT(idset_count(s), 2);
	CHECK(idset_has(s, 7));
	CHECK(!idset_has(s, 8));
	CHECK(!idset_has(s, 4294967296LL + 7));
	idset_free(s);
	idset_free(NULL);
}

/* the round trip: runs, scattered ids and dense blocks come back exactly */
TEST(idset_round_trip_is_exact)
{
	struct idset *s = idset_new(), *t = NULL, *u = NULL;
	struct buf b;
	uint64_t x = 88172645463325252ULL;
	int64_t i, ids[2000];

	buf_init(&b, 0);
	for (i = 1; i <= 100000; i++)	/* a run */
		idset_add(s, i);
	CHECK_INT(idset_save(s, &b), NF_OK);
	CHECK(b.len < 64);	/* the run costs a few bytes, not 100,000 bits */
	buf_reset(&b);
	for (i = 0; i < 2000; i++) {	/* scattered, xorshift */
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		ids[i] = (int64_t)(x % 50000000) + 200000;
		idset_add(s, ids[i]);
	}
	for (i = 0; i < 65536; i += 2)	/* a dense block, every other id */
		idset_add(s, 100000000 + i);
	CHECK_INT(idset_save(s, &b), NF_OK);
	CHECK_INT(idset_load(&t, b.data, b.len), NF_OK);
	CHECK_INT(idset_count(t), idset_count(s));
	CHECK(idset_has(t, 1) && idset_has(t, 100000) && !idset_has(t, 100001));
	for (i = 0; i < 2000; i++)
		CHECK(idset_has(t, ids[i]));
	CHECK(idset_has(t, 100000000) && !idset_has(t, 100000001));
	/* merged with an overlapping set: the union, each id once */
	u = idset_new();
	idset_add(u, 5);
	idset_add(u, 100000001);
	idset_merge(t, u);
	CHECK_INT(idset_count(t), idset_count(s) + 1);
	idset_free(u);
	idset_free(t);
	CHECK_INT(idset_load(&t, "", 0), NF_OK);	/* no bytes: the empty set */
	CHECK_INT(idset_count(t), 0);
	idset_free(t);
	idset_free(s);
	buf_free(&b);
}

/* bytes that are not exactly one set are refused, not read past */
TEST(idset_load_refuses_damaged_bytes)
{
	struct idset *s = idset_new(), *t = (struct idset *)1;
	struct buf b;
	int64_t i;

	for (i = 1; i < 5000; i += 3)
		idset_add(s, i);
	buf_init(&b, 0);
	CHECK_INT(idset_save(s, &b), NF_OK);
	CHECK_INT(idset_load(&t, b.data, b.len - 1), NF_ERR_INVALID);	/* cut short */
	CHECK(t == NULL);
	CHECK_INT(buf_putc(&b, 'x'), NF_OK);
	CHECK_INT(idset_load(&t, b.data, b.len), NF_ERR_INVALID);	/* trailing bytes */
	CHECK_INT(idset_load(&t, "not a bitmap", 12), NF_ERR_INVALID);
	idset_free(s);
	buf_free(&b);
}
