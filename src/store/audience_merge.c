/*
 * store/audience_merge.c - a topic alert's next batch, list by list, on SQLite
 *
 * Owns: store_audience_merged, AUDIENCE_SPARSE's plan (store/query.c says
 * why it is the right one for lists that are a small part of the
 * subscribers) for SQLite, which has no LATERAL to say it in one query:
 * each of the alert's lists gives its next max mailable members after the
 * cursor (an index range on the memberships' key), the ids are merged in
 * order, each person once, and the first max are the batch, exactly:
 * every id in it is among the first max of its own list. Then the rows of
 * those ids are read in one query.
 *
 * Why not walk subscribers as AUDIENCE_NEXT does: a 1% topic reads a
 * hundred subscribers for each one it mails (0.94 s for a 1% topic over
 * 100,000 before); this reads lists x max ids a batch, whatever the
 * lists' sizes.
 */
#include <stdlib.h>

#include "store_internal.h"

struct ids {
	int64_t *v;
	size_t n, cap;
};

static int
ids_add(void *arg, const struct store_row *r)
{
	struct ids *l = arg;

	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 256;
		l->v = xrealloc(l->v, l->cap * sizeof(*l->v));
	}
	l->v[l->n++] = store_col_int(r, 0);
	return NF_OK;
}

static int
by_id(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* sort, drop repeats, keep the first max */
static void
ids_first(struct ids *l, size_t max)
{
	size_t i, n = 0;

	if (l->n == 0)	/* no list had anyone: v may be NULL, which qsort may not be given */
		return;
	qsort(l->v, l->n, sizeof(*l->v), by_id);
	for (i = 0; i < l->n && n < max; i++)
		if (n == 0 || l->v[i] != l->v[n - 1])
			l->v[n++] = l->v[i];
	l->n = n;
}

/* the next max audience ids after *cursor, in order, into all */
static int
merged_ids(struct store *s, int64_t alert_id, int64_t cursor, int64_t hi, size_t max,
	   struct ids *all)
{
	struct store_param p[4] = { SP_INT(alert_id), SP_INT(cursor), SP_INT(hi), SP_INT(max) };
	struct ids lists = { NULL, 0, 0 };
	size_t i;
	int rc;

	rc = store_exec(s, Q_ALERT_LIST_IDS, p, 1, ids_add, &lists, NULL);
	for (i = 0; i < lists.n && rc == NF_OK; i++) {
		p[0] = SP_INT(lists.v[i]);
		rc = store_exec(s, Q_LIST_AUDIENCE_IDS, p, 4, ids_add, all, NULL);
	}
	free(lists.v);
	if (rc == NF_OK)
		ids_first(all, max);
	return rc;
}

/* the rows of ids, as a JSON array of numbers (json_each) */
static int
rows_of(struct store *s, const struct ids *l, struct store_batch *b)
{
	struct buf json;
	struct store_param p;
	size_t i;
	int rc;

	buf_init(&json, 0);
	buf_putc(&json, '[');
	for (i = 0; i < l->n; i++)
		buf_printf(&json, i ? ",%lld" : "%lld", (long long)l->v[i]);
	rc = buf_putc(&json, ']');
	p = SP_TEXT(json.data);
	if (rc == NF_OK)
		rc = store_exec(s, Q_SUBS_BY_IDS, &p, 1, store_batch_add, b, NULL);
	buf_free(&json);
	return rc;
}

int
store_audience_merged(struct store *s, int64_t alert_id, int64_t *cursor, int64_t hi, size_t max,
		      struct store_batch *b)
{
	struct ids all = { NULL, 0, 0 };
	int rc;

	/*
	 * Someone read in the first query may be gone by the second (erased);
	 * the cursor still passes every id read, and an empty batch is asked
	 * again from there, so it never ends a shard early.
	 */
	do {
		all.n = 0;
		store_batch_reset(b, max);
		rc = merged_ids(s, alert_id, *cursor, hi, max, &all);
		if (rc == NF_OK && all.n > 0)
			rc = rows_of(s, &all, b);
		if (rc != NF_OK)
			b->count = 0;
		else if (all.n > 0)
			*cursor = all.v[all.n - 1];
	} while (rc == NF_OK && all.n > 0 && b->count == 0);
	free(all.v);
	return rc;
}
