/*
 * core/idset.c - a compressed set of ids (CRoaring), and its bytes
 *
 * Owns: sets of positive ids up to 2^32 - 1 (subscriber ids) kept as Roaring
 * bitmaps: an alert's reached record is one (deliver/ fills it, store/
 * keeps it). The stored form is CRoaring's portable serialisation (the
 * format other Roaring implementations read), after run compression, so a
 * run of consecutive ids costs a few bytes whatever its length.
 *
 * Input from a database is not trusted: idset_load reads it with the
 * bounded deserialiser and refuses bytes that do not make exactly one set.
 */
#include <roaring/roaring.h>
#include <stdlib.h>

#include "core.h"

struct idset {
	roaring_bitmap_t *bm;
};

/* idset_new - an empty set */
struct idset *
idset_new(void)
{
	struct idset *s = xcalloc(1, sizeof(*s));

	s->bm = roaring_bitmap_create();
	if (s->bm == NULL)
		log_panic("out of memory");
	return s;
}

void
idset_free(struct idset *s)
{
	if (s == NULL)
		return;
	roaring_bitmap_free(s->bm);
	free(s);
}

int
idset_add(struct idset *s, int64_t id)
{
	if (id <= 0 || id > (int64_t)IDSET_ID_MAX)
		return NF_ERR_INVALID;
	return roaring_bitmap_add_checked(s->bm, (uint32_t)id) ? 1 : 0;
}

int
idset_has(const struct idset *s, int64_t id)
{
	return id > 0 && id <= (int64_t)IDSET_ID_MAX && roaring_bitmap_contains(s->bm, (uint32_t)id);
}

uint64_t
idset_count(const struct idset *s)
{
	return roaring_bitmap_get_cardinality(s->bm);
}

void
idset_merge(struct idset *into, const struct idset *from)
{
	roaring_bitmap_or_inplace(into->bm, from->bm);
}

/* idset_save - the portable bytes of s appended to out (runs compressed first) */
int
idset_save(struct idset *s, struct buf *out)
{
	size_t n, at = out->len;
	int rc;

	roaring_bitmap_run_optimize(s->bm);
	n = roaring_bitmap_portable_size_in_bytes(s->bm);
	if ((rc = buf_reserve(out, n)) != NF_OK)
		return rc;
	if (roaring_bitmap_portable_serialize(s->bm, out->data + at) != n)
		log_panic("roaring: serialised size changed");
	out->len = at + n;
	out->data[out->len] = '\0';
	return NF_OK;
}

int
idset_load(struct idset **out, const void *in, size_t n)
{
	roaring_bitmap_t *bm;
	struct idset *s;

	*out = NULL;
	if (n == 0) {
		*out = idset_new();
		return NF_OK;
	}
	if (roaring_bitmap_portable_deserialize_size(in, n) != n)
		return NF_ERR_INVALID;	/* truncated, trailing bytes, or not a set at all */
	bm = roaring_bitmap_portable_deserialize_safe(in, n);
	if (bm == NULL)
		return NF_ERR_INVALID;
	s = xcalloc(1, sizeof(*s));
	s->bm = bm;
	*out = s;
	return NF_OK;
}
