/*
 * store/import.c - bulk import of subscribers, one atomic batch at a time
 *
 * Owns: store_import_batch and the plain-statement import SQLite uses.
 *
 * Crash safety: each batch is one transaction, so after a kill -9 the
 * database holds whole batches only: every imported subscriber has its
 * membership and its consent events, or does not exist. The import is
 * resumable rather than atomic as a whole: running it again finds the keys
 * already stored, counts them as duplicates and leaves them alone, and
 * imports the rest. (One transaction for a million rows would make a crash
 * lose everything and hold the writer lock for the whole run.)
 *
 * A stored reader who is confirmed but not on the import's list is put on
 * it by a confirmed import (a membership and an "alerts given" ledger row
 * with the import's source): that is how existing readers join a topic
 * list. A --pending import asserts no consent, and adds nobody stored. Anyone else
 * stored already is a duplicate and never changed: someone who unsubscribed
 * must not be resubscribed by an old CSV, and a reader on the list already
 * is there. A suppressed address (bounced, complained, erased) is not
 * imported either.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store_internal.h"

#define IMPORT_ATTEMPTS 5

static uint32_t
key_hash32(const char *k)
{
	uint32_t h = 2166136261u;	/* FNV-1a */

	for (; *k; k++)
		h = (h ^ (unsigned char)*k) * 16777619u;
	return h;
}

/* an open-addressing set of the keys seen so far in the batch */
void
store_import_mark_repeats(struct store_import_row *rows, size_t n)
{
	size_t cap = 16, i, h, *slot;

	while (cap < 2 * n)
		cap *= 2;
	slot = xcalloc(cap, sizeof(*slot));
	for (i = 0; i < n; i++) {
		rows[i].outcome = STORE_IMPORTED;
		for (h = key_hash32(rows[i].email_key) & (cap - 1); slot[h]; h = (h + 1) & (cap - 1))
			if (strcmp(rows[slot[h] - 1].email_key, rows[i].email_key) == 0) {
				rows[i].outcome = STORE_DUPLICATE;
				break;
			}
		if (rows[i].outcome == STORE_IMPORTED)
			slot[h] = i + 1;
	}
	free(slot);
}

static int
suppressed(struct store *s, const char *email_key, int *yes)
{
	struct store_text t = { "", 0 };
	struct store_param p[2];
	char hash[65];
	int rc;

	store_key_hash(s, email_key, hash);
	p[0] = SP_TEXT(email_key);
	p[1] = SP_TEXT(hash);
	rc = store_exec(s, Q_SUPP_CHECK, p, 2, store_copy_text, &t, NULL);
	*yes = t.got;
	return rc;
}

/* the ids of a batch's new subscribers, as JSON arrays, for the set-based writes */
struct new_ids {
	struct buf all, marketing;
};

static void
id_add(struct buf *b, int64_t id)
{
	buf_printf(b, "%c%lld", b->len ? ',' : '[', (long long)id);
}

static int
import_row(struct store *s, const struct store_import *imp, struct store_import_row *row,
	   int64_t at, int check, struct new_ids *ids)
{
	struct store_signup in = {
		row->email, row->email_key, row->email_display, row->name, NULL,
		imp->confirmed, row->marketing, { imp->source, NULL, NULL, NULL, NULL, at }
	};
	int64_t id;
	int rc, sup = 0;

	if (check && ((rc = suppressed(s, row->email_key, &sup)) != NF_OK || sup)) {
		row->outcome = STORE_SUPPRESSED;
		return rc;
	}
	rc = store_subscriber_insert_row(s, &in, &id);
	row->outcome = rc == NF_ERR_NOTFOUND ? STORE_DUPLICATE : STORE_IMPORTED;
	if (rc != NF_OK)
		return rc == NF_ERR_NOTFOUND ? NF_OK : rc;
	id_add(&ids->all, id);
	if (row->marketing)
		id_add(&ids->marketing, id);
	return NF_OK;
}

/*
 * a ledger row of action for one purpose, for every id in the JSON array:
 * about the subscription as a whole (list_id 0), or about joining one list
 */
static int
ledger(struct store *s, const char *ids, enum store_purpose p, const char *action, int64_t at,
       const char *source, int64_t list_id)
{
	struct store_param prm[6];

	prm[0] = SP_TEXT(ids);
	prm[1] = SP_TEXT(store_purpose_name(p));
	prm[2] = SP_INT(at);
	prm[3] = SP_TEXT(source);
	prm[4] = SP_TEXT(action);
	prm[5] = list_id > 0 ? SP_INT(list_id) : SP_NULL;
	return store_exec(s, Q_IMPORT_CONSENT, prm, 6, NULL, NULL, NULL);
}

/*
 * The new subscribers' memberships and ledger rows, one statement each for
 * the whole batch: the rows signup writes one at a time (a statement per
 * row was a third of SQLite's import time). Readers stored already who join
 * the import's list (joining) get a ledger row about that list only: they
 * confirmed their address before.
 */
static int
write_children(struct store *s, const struct store_import *imp, struct new_ids *ids,
	       int64_t at, int joining)
{
	int64_t about = joining ? imp->list_id : 0;
	struct store_param p[2];
	int rc;

	if (ids->all.len == 0)
		return NF_OK;
	buf_putc(&ids->all, ']');
	p[0] = SP_INT(imp->list_id);
	p[1] = SP_TEXT(ids->all.data);
	rc = store_exec(s, Q_IMPORT_MEMBERS, p, 2, NULL, NULL, NULL);
	if (rc == NF_OK)
		rc = ledger(s, ids->all.data, STORE_ALERTS, store_action_name(STORE_GIVEN), at, imp->source,
			    about);
	/* readers imported as confirmed confirmed elsewhere: the ledger says so, as signup's does */
	if (rc == NF_OK && imp->confirmed && !joining)
		rc = ledger(s, ids->all.data, STORE_ALERTS, store_action_name(STORE_CONFIRMED_ACT), at,
			    imp->source, 0);
	if (rc == NF_OK && ids->marketing.len > 0) {
		buf_putc(&ids->marketing, ']');
		rc = ledger(s, ids->marketing.data, STORE_MARKETING, store_action_name(STORE_GIVEN), at,
			    imp->source, 0);
	}
	return rc;
}

/*
 * store_import_rows - the batch as prepared statements, inside the caller's
 * transaction: a subscribers row per row, then the memberships and ledger
 * rows of the new ones in one statement each. The suppression check (a
 * keyed hash and a lookup per row) is skipped when the table is empty, as
 * it is for a first import.
 */
int
store_import_rows(struct store *s, const struct store_import *imp,
		  struct store_import_row *rows, size_t n)
{
	int64_t any = 0, at = store_now(imp->at);
	struct new_ids ids;
	size_t i;
	int rc;

	if ((rc = store_exec_int(s, Q_SUPP_ANY, NULL, 0, &any)) != NF_OK)
		return rc;
	buf_init(&ids.all, 0);
	buf_init(&ids.marketing, 0);
	for (i = 0; i < n && rc == NF_OK; i++)
		rc = import_row(s, imp, &rows[i], at, any > 0, &ids);
	if (rc == NF_OK)
		rc = write_children(s, imp, &ids, at, 0);
	buf_free(&ids.all);
	buf_free(&ids.marketing);
	return rc;
}

/* one id of the first row, if any */
static int
first_id(void *arg, const struct store_row *r)
{
	*(int64_t *)arg = store_col_int(r, 0);
	return NF_OK;
}

/*
 * add_joiners - the batch's duplicates that are confirmed readers not on
 * the list yet: their memberships and ledger rows, in the batch's
 * transaction, and their outcome STORE_ADDED (a key repeated in the batch
 * finds the membership its first row made, and stays a duplicate)
 */
static int
add_joiners(struct store *s, const struct store_import *imp, struct store_import_row *rows,
	    size_t n)
{
	struct store_param p[2];
	struct new_ids ids;
	int64_t id, at = store_now(imp->at);
	size_t i;
	int rc = NF_OK;

	buf_init(&ids.all, 0);
	buf_init(&ids.marketing, 0);
	for (i = 0; i < n && rc == NF_OK; i++) {
		if (rows[i].outcome != STORE_DUPLICATE)
			continue;
		id = 0;
		p[0] = SP_TEXT(rows[i].email_key);
		p[1] = SP_INT(imp->list_id);
		rc = store_exec(s, Q_IMPORT_JOINER, p, 2, first_id, &id, NULL);
		if (rc != NF_OK || id == 0)
			continue;
		buf_reset(&ids.all);
		id_add(&ids.all, id);
		rc = write_children(s, imp, &ids, at, 1);
		if (rc == NF_OK)
			rows[i].outcome = STORE_ADDED;
	}
	buf_free(&ids.all);
	buf_free(&ids.marketing);
	return rc;
}

int
store_import_batch(struct store *s, const struct store_import *imp,
		   struct store_import_row *rows, size_t n)
{
	size_t i;
	int rc, attempt;

	if (n == 0)
		return NF_OK;
	if (imp->source == NULL || *imp->source == '\0') {
		store_set_err(s, "an import needs a consent source");
		return NF_ERR_INVALID;
	}
	for (i = 0; i < n; i++)
		if (rows[i].email == NULL || rows[i].email_key == NULL) {
			store_set_err(s, "import row %zu has no address", i);
			return NF_ERR_INVALID;
		}
	/*
	 * A batch that met a concurrent writer (NF_ERR_TEMP: SQLite busy past
	 * its timeout, or PostgreSQL finding a key stored since it looked) is
	 * run again from the start, when it is a transaction of its own.
	 */
	for (attempt = 0;; attempt++) {
		if ((rc = store_tx_begin(s)) != NF_OK)
			return rc;
		rc = s->ops->import(s, imp, rows, n);
		if (rc == NF_OK && imp->confirmed)
			rc = add_joiners(s, imp, rows, n);
		rc = store_tx_end(s, rc);
		if (rc != NF_ERR_TEMP || s->depth > 0 || attempt + 1 == IMPORT_ATTEMPTS)
			return rc;
		log_event(LOG_WARN, "store.import.retry", "why", s->err, NULL);
	}
}
