/*
 * store/privacy.c - forgetting: purging unconfirmed signups, scrubbing the files
 *
 * Owns: the purge of signups nobody confirmed (GDPR Art. 5(1)(e): kept no
 * longer than needed; the privacy page promises seven days) and the scrub
 * that makes deleted data unrecoverable from the database files. The
 * erasure itself is store/subscribers.c's.
 *
 * A purge forgets: the row is erased like any erasure but leaves no new
 * suppression, since the person never asked not to be mailed; they can sign
 * up again. It runs in batches, one transaction each, then scrubs once.
 */
#include <stdint.h>
#include <stdlib.h>

#include "store_internal.h"

#define PURGE_BATCH 500

static int
take_id(void *arg, const struct store_row *r)
{
	store_ptrs_push(arg, (void *)(intptr_t)store_col_int(r, 0));
	return NF_OK;
}

static int
purge_batch(struct store *s, int64_t before, size_t max, int64_t *n)
{
	struct store_ptrs ids = { NULL, 0, 0 };
	struct store_param p[2] = { SP_INT(before), SP_INT(max) };
	size_t i;
	int rc;

	if ((rc = store_tx_begin(s)) != NF_OK)
		return rc;
	rc = store_exec(s, Q_PENDING_OLD, p, 2, take_id, &ids, NULL);
	for (i = 0; rc == NF_OK && i < ids.n; i++)
		rc = store_subscriber_erase_as(s, (int64_t)(intptr_t)ids.items[i],
					       "unconfirmed: purged", STORE_ERASE_FORGET);
	rc = store_tx_end(s, rc);
	if (rc == NF_OK)
		*n = (int64_t)ids.n;
	free(ids.items);
	return rc;
}

int
store_subscribers_purge(struct store *s, int64_t before, size_t max, int64_t *n)
{
	int64_t got = 0, total = 0;
	int rc = NF_OK;

	while (total < (int64_t)max) {
		size_t want = max - (size_t)total < PURGE_BATCH ? max - (size_t)total : PURGE_BATCH;

		if ((rc = purge_batch(s, before, want, &got)) != NF_OK || got == 0)
			break;
		total += got;
	}
	if (n)
		*n = total;
	if (total > 0 && s->depth == 0 && store_scrub(s) != NF_OK)
		log_event(LOG_WARN, "store.scrub_deferred", "reason", store_errmsg(s), NULL);
	return rc;
}

int
store_scrub(struct store *s)
{
	if (s->ops->dialect != STORE_SQLITE)
		return NF_OK;
	return store_sqlite_checkpoint(s);
}
