/*
 * deliver/retry.c - temporary failures, tried again when they come due
 *
 * Owns: the second and later attempts. Due records are claimed from the
 * store (pushed a lease into the future so no other worker takes them),
 * composed again with the same Message-ID, and sent. A 250 clears the
 * record and counts the message as sent; another 4xx sets the next attempt
 * by exponential backoff (1 min doubling to 1 h) until retry_deadline after
 * the alert was created, when it becomes permanent; a 5xx is permanent.
 * A subscriber who left meanwhile is not mailed again.
 */
#include <stdlib.h>
#include <string.h>

#include "engine_impl.h"

#define RETRY_BATCH 100
#define RETRY_CHECK_MS 5000

static void
retry_done(void *arg, const struct smtp_result *r)
{
	struct msg_ctx *m = arg;
	struct engine *e = m->e;
	struct store_alert *al = NULL;
	char reply[600];
	int64_t now = engine_now();

	e->inflight_other--;
	snprintf(reply, sizeof(reply), "%d %s %s", r->code, r->enhanced ? r->enhanced : "",
		 r->text ? r->text : "");
	if (r->outcome == SMTP_ACCEPTED) {
		store_delivery_sent(e->store, m->alert_id, m->subscriber_id);
		engine_stat_add(e->d, &e->d->stats.sent, 1);
	} else if (r->outcome == SMTP_TEMPORARY &&
		   store_alert_get(e->store, m->alert_id, &al) == NF_OK &&
		   now < al->created_at + e->d->cfg.retry_deadline) {
		store_delivery_temp(e->store, m->alert_id, m->subscriber_id,
				    now + engine_backoff(e->d, m->attempts), reply);
		engine_stat_add(e->d, &e->d->stats.temp_failed, 1);
	} else {
		store_delivery_perm(e->store, m->alert_id, m->subscriber_id, reply);
		engine_stat_add(e->d, &e->d->stats.perm_failed, 1);
		if (engine_unknown_user(r) && m->email_key[0])
			store_suppression_add(e->store, m->email_key, "bounce");
	}
	store_alert_free(al);
	free(m);
}

static void
retry_one(struct engine *e, const struct store_delivery *dl)
{
	struct store_subscriber *sub = NULL;
	struct mail_subscriber ms;
	struct msg_ctx *m;
	struct buf msg, from;

	if (store_subscriber_get(e->store, dl->subscriber_id, &sub) != NF_OK ||
	    sub->status != STORE_CONFIRMED || sub->email == NULL ||
	    store_suppression_check(e->store, sub->email_key, NULL) == NF_OK) {
		store_delivery_perm(e->store, dl->alert_id, dl->subscriber_id,
				    "not retried: the subscriber left or is suppressed");
		store_subscriber_free(sub);
		return;
	}
	if (engine_prepare_alert(e, dl->alert_id) != NF_OK) {
		store_subscriber_free(sub);
		return;		/* comes due again after the claim's lease */
	}
	ms.id = (uint64_t)sub->id;
	ms.email = sub->email;
	ms.salt = sub->token_salt;
	buf_init(&msg, 0);
	buf_init(&from, 0);
	if (mail_alert_compose(e->prepared, &ms, &msg) == NF_OK) {
		m = xcalloc(1, sizeof(*m));
		m->e = e;
		m->alert_id = dl->alert_id;
		m->subscriber_id = sub->id;
		m->attempts = dl->attempts;
		snprintf(m->email_key, sizeof(m->email_key), "%s", sub->email_key);
		engine_envelope_from(e, sub->id, sub->token_salt, &from);
		e->inflight_other++;
		if (engine_submit(e, from.data, sub->email, msg.data, msg.len, retry_done, m) != NF_OK) {
			e->inflight_other--;
			store_delivery_perm(e->store, dl->alert_id, dl->subscriber_id, "refused by the client");
			free(m);
		}
		msg.data = NULL;
	}
	buf_free(&msg);
	buf_free(&from);
	store_subscriber_free(sub);
}

int
retry_pump(struct engine *e)
{
	struct store_delivery **due = NULL;
	size_t n = 0, i;
	int64_t now_ms = time_now_ms();

	if (now_ms < e->next_retry_ms)
		return 0;
	e->next_retry_ms = now_ms + RETRY_CHECK_MS;
	if (store_retries_claim(e->store, engine_now(), e->d->cfg.lease_secs * 4, RETRY_BATCH,
				&due, &n) != NF_OK)
		return 0;
	for (i = 0; i < n; i++)
		retry_one(e, due[i]);
	store_delivery_list_free(due, n);
	if (n == RETRY_BATCH)
		e->next_retry_ms = 0;	/* more are due: come back at once */
	return n > 0;
}
