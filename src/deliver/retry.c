/*
 * deliver/retry.c - temporary failures, tried again when they come due
 *
 * Owns: the second and later attempts. Due records are claimed from the
 * store (pushed a lease into the future so no other worker takes them),
 * composed again with the same Message-ID, and sent. A 250 clears the
 * record and counts the message as sent; another 4xx sets the next attempt
 * by exponential backoff (1 min doubling to 1 h) until retry_deadline after
 * the alert was created, when it becomes permanent; a 5xx is permanent.
 * A subscriber who left meanwhile is not mailed again. When the last
 * waiting recipient of a retrying alert has its outcome, the alert is done
 * (store_alert_settle); a sweep with every check catches the alerts whose
 * waiting records went another way (an erasure removes them).
 */
#include <stdlib.h>
#include <string.h>

#include "deliver_internal.h"

#define RETRY_BATCH 100
#define RETRY_CHECK_MS 5000

/* alert_id (0: any) done now that a recipient has an outcome? */
static void
retry_settle(struct engine *e, int64_t alert_id)
{
	struct store_alert *al = NULL;
	int64_t n = 0;
	uint64_t ms;
	char id[24], sent[24], secs[24];

	if (store_alert_settle(e->store, alert_id, deliver_now(), &n) != NF_OK) {
		deliver_store_warn(e, "deliver.settle_failed");
		return;
	}
	if (n == 0)
		return;
	if (alert_id == 0 || store_alert_get(e->store, alert_id, &al) != NF_OK) {
		pthread_mutex_lock(&e->d->lock);
		e->d->stats.alerts_done += (uint64_t)n;
		pthread_mutex_unlock(&e->d->lock);
		snprintf(id, sizeof(id), "%lld", (long long)n);
		log_event(LOG_INFO, "alert.done", "alerts", id, "after", "retries", NULL);
		return;
	}
	/* its last message was this retry: publish to last message, as shard.c records it */
	ms = (uint64_t)(time_now_ms() - al->created_at * 1000);
	pthread_mutex_lock(&e->d->lock);
	e->d->stats.alerts_done++;
	e->d->stats.publish_to_last_ms = ms;
	pthread_mutex_unlock(&e->d->lock);
	deliver_latency_record(e->d, (double)ms / 1000.0);
	snprintf(id, sizeof(id), "%lld", (long long)al->id);
	snprintf(sent, sizeof(sent), "%lld", (long long)al->sent);
	snprintf(secs, sizeof(secs), "%lld", (long long)(al->finished_at - al->created_at));
	log_event(LOG_INFO, "alert.done", "alert", id, "sent", sent, "seconds", secs,
		  "after", "retries", NULL);
	store_alert_free(al);
}

static void
retry_done(struct msg_ctx *m, const struct deliver_outcome *o)
{
	struct engine *e = m->e;
	struct store_alert *al = NULL;
	int64_t now = deliver_now();

	e->inflight_other--;
	if (o->result == DELIVER_SENT) {
		/* counted once it is in the store, as the alert's own count is */
		if (store_delivery_sent(e->store, m->alert_id, m->subscriber_id) == NF_OK)
			deliver_stat_add(e->d, &e->d->stats.sent, 1);
	} else if (o->result == DELIVER_TEMP &&
		   store_alert_get(e->store, m->alert_id, &al) == NF_OK &&
		   now < al->created_at + e->d->cfg.retry_deadline) {
		store_delivery_temp(e->store, m->alert_id, m->subscriber_id,
				    now + deliver_backoff(e->d, m->attempts), o->reply);
		deliver_stat_add(e->d, &e->d->stats.temp_failed, 1);
	} else {
		store_delivery_perm(e->store, m->alert_id, m->subscriber_id, o->reply);
		deliver_stat_add(e->d, &e->d->stats.perm_failed, 1);
		if (o->unknown_user && m->email_key[0])
			store_suppression_add(e->store, m->email_key, "bounce");
	}
	store_alert_free(al);
	retry_settle(e, m->alert_id);
	free(m);
}

static void
retry_one(struct engine *e, const struct store_delivery *dl)
{
	struct store_subscriber *sub = NULL;
	struct deliver_chan *c;
	enum deliver_send rc;
	struct msg_ctx *m;

	if (store_subscriber_get(e->store, dl->subscriber_id, &sub) != NF_OK ||
	    sub->status != STORE_CONFIRMED || sub->email == NULL ||
	    store_suppression_check(e->store, sub->email_key, NULL) == NF_OK) {
		store_delivery_perm(e->store, dl->alert_id, dl->subscriber_id,
				    "not retried: the subscriber left or is suppressed");
		store_subscriber_free(sub);
		retry_settle(e, dl->alert_id);
		return;
	}
	if (deliver_alert_prepare(e, dl->alert_id) != NF_OK) {
		store_subscriber_free(sub);
		return;		/* comes due again after the claim's lease */
	}
	c = &e->chan[deliver_channel_of(sub)];
	m = xcalloc(1, sizeof(*m));
	m->done = retry_done;
	m->e = e;
	m->alert_id = dl->alert_id;
	m->subscriber_id = sub->id;
	m->attempts = dl->attempts;
	snprintf(m->email_key, sizeof(m->email_key), "%s", sub->email_key);
	e->inflight_other++;
	c->ops->send(c->state, sub, m, 1, &rc);
	if (rc != DELIVER_SUBMITTED) {
		e->inflight_other--;
		/* one that could not be composed comes due again after the claim's lease */
		if (rc == DELIVER_REFUSED) {
			store_delivery_perm(e->store, dl->alert_id, dl->subscriber_id, "refused by the client");
			retry_settle(e, dl->alert_id);
		}
		free(m);
	}
	store_subscriber_free(sub);
}

int
deliver_retry_pump(struct engine *e)
{
	struct store_delivery **due = NULL;
	size_t n = 0, i;
	int64_t now_ms = time_now_ms();

	if (now_ms < e->next_retry_ms)
		return 0;
	e->next_retry_ms = now_ms + RETRY_CHECK_MS;
	retry_settle(e, 0);
	if (store_retries_claim(e->store, deliver_now(), e->d->cfg.lease_secs * 4, RETRY_BATCH,
				&due, &n) != NF_OK)
		return 0;
	for (i = 0; i < n; i++)
		retry_one(e, due[i]);
	store_delivery_list_free(due, n);
	if (n == RETRY_BATCH)
		e->next_retry_ms = 0;	/* more are due: come back at once */
	return n > 0;
}
