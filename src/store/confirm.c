/*
 * store/confirm.c - signups whose confirmation mail never went out
 *
 * Owns: store_confirm_unsent, what makes confirmations durable. The
 * priority lane keeps its mails in memory; a signup is answered once its
 * row is committed, and confirm_sent_at is set only when the relay took
 * the mail. So after a kill -9 (or a lane that was full) the rows still
 * pending with confirm_sent_at unset are exactly the confirmations owed,
 * and the lane asks for them here (the subscribers_pending index serves it).
 */
#include "store.h"

#define UNSENT_MAX 10000	/* rows in one page, at most */

int
store_confirm_unsent(struct store *s, int64_t since, int64_t *cursor, size_t max,
		     struct store_batch *b)
{
	struct store_param p[3];
	int rc;

	if (max == 0 || max > UNSENT_MAX)
		max = UNSENT_MAX;
	p[0] = SP_INT(since);
	p[1] = SP_INT(*cursor);
	p[2] = SP_INT((int64_t)max);
	store_batch_reset(b, max);
	rc = store_exec(s, Q_CONFIRM_UNSENT, p, 3, store_batch_add, b, NULL);
	if (rc != NF_OK) {
		b->count = 0;
		return rc;
	}
	if (b->count > 0)
		*cursor = b->rows[b->count - 1].id;
	return NF_OK;
}
