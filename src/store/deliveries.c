/*
 * store/deliveries.c - what did not go out the first time
 *
 * Owns: the deliveries table, which holds only non-success: temporary
 * failures waiting for their next attempt (4xx) and permanent ones (5xx),
 * each with the relay's reply. A plain success leaves no row (it is counted
 * in its shard, its id in the reached record), so the table stays small
 * however big the list.
 *
 * Retries are claimed like shards, with the due time as the lease: claiming
 * pushes next_attempt_at forward, so a second worker does not take the same
 * row, and a worker that dies lets it come due again.
 */
#include <string.h>

#include "store_internal.h"

#define RETRIES_MAX 10000

int
store_delivery_temp(struct store *s, int64_t alert_id, int64_t subscriber_id,
		    int64_t next_attempt_at, const char *reply)
{
	struct store_param p[4] = { SP_INT(alert_id), SP_INT(subscriber_id),
				    SP_INT(next_attempt_at), SP_TEXT(reply) };

	return store_exec(s, Q_DELIV_TEMP, p, 4, NULL, NULL, NULL);
}

int
store_delivery_perm(struct store *s, int64_t alert_id, int64_t subscriber_id, const char *reply)
{
	struct store_param p[3] = { SP_INT(alert_id), SP_INT(subscriber_id), SP_TEXT(reply) };

	return store_exec(s, Q_DELIV_PERM, p, 3, NULL, NULL, NULL);
}

static int
sent_locked(struct store *s, int64_t alert_id, int64_t subscriber_id)
{
	struct store_param p[2] = { SP_INT(alert_id), SP_INT(subscriber_id) };
	int64_t n = 0;
	int added = 0;
	int rc = store_exec(s, Q_DELIV_DEL, p, 2, NULL, NULL, &n);

	if (rc != NF_OK)
		return rc;
	if (n == 0)
		return NF_ERR_NOTFOUND;
	if ((rc = store_reached_add_locked(s, alert_id, subscriber_id, &added)) != NF_OK || !added)
		return rc;	/* reached already: counted once */
	return store_exec(s, Q_ALERT_RETRY_SENT, p, 1, NULL, NULL, NULL);
}

int
store_delivery_sent(struct store *s, int64_t alert_id, int64_t subscriber_id)
{
	int rc;

	if ((rc = store_tx_begin(s)) != NF_OK)
		return rc;
	return store_tx_end(s, sent_locked(s, alert_id, subscriber_id));
}

static int
collect_delivery(void *arg, const struct store_row *r)
{
	store_ptrs_push(arg, store_delivery_from_row(r));
	return NF_OK;
}

int
store_retries_claim(struct store *s, int64_t now, int64_t lease_secs, size_t max,
		    struct store_delivery ***out, size_t *n)
{
	struct store_ptrs l = { NULL, 0, 0 };
	struct store_param p[3];
	int rc;

	now = store_now(now);
	p[0] = SP_INT(now);
	p[1] = SP_INT(now + lease_secs);
	p[2] = SP_INT(max == 0 || max > RETRIES_MAX ? RETRIES_MAX : max);
	if ((rc = store_tx_begin(s)) == NF_OK)
		rc = store_tx_end(s, store_exec(s, Q_RETRIES_CLAIM, p, 3, collect_delivery, &l, NULL));
	if (rc != NF_OK) {
		store_delivery_list_free((struct store_delivery **)l.items, l.n);
		l.items = NULL;
		l.n = 0;
	}
	*out = (struct store_delivery **)l.items;
	*n = l.n;
	return rc;
}

int
store_deliveries_of(struct store *s, int64_t subscriber_id, struct store_delivery ***out,
		    size_t *n)
{
	struct store_ptrs l = { NULL, 0, 0 };
	struct store_param p = SP_INT(subscriber_id);
	int rc = store_exec(s, Q_DELIV_OF, &p, 1, collect_delivery, &l, NULL);

	if (rc != NF_OK) {
		store_delivery_list_free((struct store_delivery **)l.items, l.n);
		l.items = NULL;
		l.n = 0;
	}
	*out = (struct store_delivery **)l.items;
	*n = l.n;
	return rc;
}
