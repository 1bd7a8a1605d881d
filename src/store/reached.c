/*
 * store/reached.c - the reached record: whom each alert's message reached
 *
 * Owns: the alert_reached table. Per alert, the subscriber ids whose
 * message the relay accepted, as compressed sets of ids (core/idset.c:
 * Roaring bitmaps, CRoaring's portable bytes in base64 text, which both
 * backends and db copy carry unchanged), never one row per recipient.
 *
 * The layout is one row per alert and part: part N is shard N's (only the
 * shard's lease holder writes it, in the same transaction as the shard's
 * cursor and sent count, store_reached_save), part STORE_REACHED_RETRIES
 * holds what retries delivered (store_delivery_sent adds to it under a row
 * lock). A reader merges the parts. One row per shard, rather than one per
 * alert, because the shards of an alert commit at the same moments from
 * different threads and nodes: on PostgreSQL one row would serialise every
 * commit of the alert behind one row lock (and make each rewrite as large
 * as the whole alert's set); per shard, each writer owns its row and
 * rewrites only its share. Each row keeps its set's size (count), so the
 * count of an alert's reached record is a sum, not a decoding.
 */
#include <stdlib.h>
#include <string.h>

#include "store_internal.h"

#define REACHED_TEXT_MAX (64u << 20)	/* a stored set past this is not ours */

/* text (base64) to a set; bad text is an error, not a crash */
static int
decode_set(const char *text, size_t len, struct idset **out)
{
	struct buf raw;
	int rc;

	*out = NULL;
	if (len > REACHED_TEXT_MAX)
		return NF_ERR_INVALID;
	buf_init(&raw, 0);
	rc = base64_decode(&raw, text ? text : "", len);
	if (rc == NF_OK)
		rc = idset_load(out, raw.data, raw.len);
	buf_free(&raw);
	return rc;
}

struct merged {
	struct idset *set;
	int rc;
};

/* a row (ids in column col): its set merged into m's */
static int
merge_row(struct merged *m, const struct store_row *r, int col)
{
	struct idset *part = NULL;

	if (m->rc == NF_OK)
		m->rc = decode_set(r->val[col], r->len[col], &part);
	if (part) {
		if (m->set == NULL)
			m->set = part;
		else {
			idset_merge(m->set, part);
			idset_free(part);
		}
	}
	return NF_OK;
}

static int
take_part(void *arg, const struct store_row *r)
{
	return merge_row(arg, r, 0);
}

static int
take_parts(void *arg, const struct store_row *r)
{
	return merge_row(arg, r, 1);
}

/* one part's set, an empty one when it has no row yet */
static int
part_load(struct store *s, enum store_q q, int64_t alert_id, int part, struct idset **out)
{
	struct store_param p[2] = { SP_INT(alert_id), SP_INT(part) };
	struct merged m = { NULL, NF_OK };
	int rc = store_exec(s, q, p, 2, take_part, &m, NULL);

	if (rc == NF_OK && m.rc != NF_OK) {
		store_set_err(s, "alert %lld: the reached record of part %d is damaged",
			      (long long)alert_id, part);
		rc = m.rc;
	}
	if (rc != NF_OK) {
		idset_free(m.set);
		m.set = NULL;
	}
	*out = rc == NF_OK ? (m.set ? m.set : idset_new()) : NULL;
	return rc;
}

int
store_reached_part(struct store *s, int64_t alert_id, int part, struct idset **out)
{
	return part_load(s, Q_REACHED_GET, alert_id, part, out);
}

int
store_reached_save(struct store *s, int64_t alert_id, int part, struct idset *set)
{
	struct store_param p[4];
	struct buf raw, text;
	int rc;

	buf_init(&raw, 0);
	buf_init(&text, 0);
	rc = idset_save(set, &raw);
	if (rc == NF_OK)
		rc = base64_encode(&text, raw.data, raw.len);
	if (rc == NF_OK) {
		p[0] = SP_INT(alert_id);
		p[1] = SP_INT(part);
		p[2] = SP_TEXT(text.data ? text.data : "");
		p[3] = SP_INT((int64_t)idset_count(set));
		rc = store_exec(s, Q_REACHED_PUT, p, 4, NULL, NULL, NULL);
	}
	buf_free(&raw);
	buf_free(&text);
	return rc;
}

int
store_reached_load(struct store *s, int64_t alert_id, struct idset **out)
{
	struct store_param p = SP_INT(alert_id);
	struct merged m = { NULL, NF_OK };
	int rc = store_exec(s, Q_REACHED_ALL, &p, 1, take_parts, &m, NULL);

	if (rc == NF_OK && m.rc != NF_OK) {
		store_set_err(s, "alert %lld: its reached record is damaged", (long long)alert_id);
		rc = m.rc;
	}
	if (rc != NF_OK) {
		idset_free(m.set);
		*out = NULL;
		return rc;
	}
	*out = m.set ? m.set : idset_new();
	return NF_OK;
}

int
store_reached_count(struct store *s, int64_t alert_id, int64_t *n)
{
	struct store_param p = SP_INT(alert_id);

	*n = 0;
	return store_exec_int(s, Q_REACHED_COUNT, &p, 1, n);
}

int
store_reached_has(struct store *s, int64_t alert_id, int64_t subscriber_id, int *has)
{
	struct idset *set = NULL;
	int rc = store_reached_load(s, alert_id, &set);

	*has = rc == NF_OK && idset_has(set, subscriber_id);
	idset_free(set);
	return rc;
}

/*
 * store_reached_add_locked - add one id to the retries' part inside the
 * caller's transaction: the row is made first (empty) so that the read can
 * lock it on PostgreSQL (SELECT ... FOR UPDATE; SQLite's write transaction
 * is already exclusive), then read, changed and written back. *added is 0
 * when the id was there already.
 */
int
store_reached_add_locked(struct store *s, int64_t alert_id, int64_t subscriber_id, int *added)
{
	struct store_param p[4] = { SP_INT(alert_id), SP_INT(STORE_REACHED_RETRIES), SP_TEXT(""),
				    SP_INT(0) };
	struct idset *set = NULL;
	int rc, r;

	*added = 0;
	if ((rc = store_exec(s, Q_REACHED_MAKE, p, 4, NULL, NULL, NULL)) != NF_OK)
		return rc;
	if ((rc = part_load(s, Q_REACHED_LOCK, alert_id, STORE_REACHED_RETRIES, &set)) != NF_OK)
		return rc;
	r = idset_add(set, subscriber_id);
	if (r < 0) {
		store_set_err(s, "subscriber id %lld cannot be in a reached record", (long long)subscriber_id);
		rc = NF_ERR_INVALID;
	} else if (r == 1) {
		*added = 1;
		rc = store_reached_save(s, alert_id, STORE_REACHED_RETRIES, set);
	}
	idset_free(set);
	return rc;
}

int
store_sent_total(struct store *s, int64_t *n)
{
	*n = 0;
	return store_exec_int(s, Q_SENT_TOTAL, NULL, 0, n);
}
