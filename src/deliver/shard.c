/*
 * deliver/shard.c - working one claimed shard of an alert
 *
 * Owns: the pipeline for a shard: fetch the next batch of its alert's
 * audience after the cursor (confirmed, unsuppressed members of any of the
 * alert's lists, each person once), compose and submit each message (up
 * to sixteen per compose call: mail_alert_compose_many hashes their bodies
 * together), and once every message of the oldest batch has an outcome,
 * commit it (cursor, sent count, the failures and any suppressions) in one
 * transaction: the group commit.
 * Up to batches_in_flight batches are submitted ahead of the oldest commit
 * so the relay never waits for the database; commits stay in order, so the
 * cursor never passes a message whose outcome is unknown.
 */
#include <stdlib.h>
#include <string.h>

#include "engine_impl.h"

int
shard_busy(const struct engine *e)
{
	return e->run != NULL;
}

size_t
shard_awaited(const struct engine *e)
{
	const struct shard_run *r = e->run;
	const struct batch *b;

	if (r == NULL || r->inflight == 0)
		return 1;
	b = &r->ring[r->head];
	return b->count > b->done ? b->count - b->done : 1;
}

static void
batch_clear(struct batch *b)
{
	size_t i;

	for (i = 0; i < b->nrecs; i++)
		free((char *)b->recs[i].reply);
	for (i = 0; i < b->nsuppress; i++)
		free(b->suppress[i]);
	free(b->recs);
	free(b->suppress);
	free(b->msgs);
	memset(b, 0, sizeof(*b));
}

static void
batch_add_failure(const struct deliver *d, struct batch *b, int64_t subscriber_id,
		  enum store_delivery_kind kind, const char *reply)
{
	struct store_delivery_rec *rec;

	b->recs = xrealloc(b->recs, (b->nrecs + 1) * sizeof(*b->recs));
	rec = &b->recs[b->nrecs++];
	rec->subscriber_id = subscriber_id;
	rec->kind = kind;
	rec->next_attempt_at = kind == STORE_TEMP ? engine_now() + engine_backoff(d, 0) : 0;
	rec->reply = xstrdup(reply ? reply : "");
}

static void
reply_text(const struct smtp_result *r, char *out, size_t len)
{
	snprintf(out, len, "%d %s %s", r->code, r->enhanced ? r->enhanced : "",
		 r->text ? r->text : "");
}

/* completion of one alert message, on the engine thread */
static void
alert_done(void *arg, const struct smtp_result *r)
{
	struct msg_ctx *m = arg;
	struct batch *b = m->batch;
	char reply[600];

	b->done++;
	if (r->outcome == SMTP_ACCEPTED) {
		b->sent++;
		return;
	}
	reply_text(r, reply, sizeof(reply));
	batch_add_failure(m->e->d, b, m->subscriber_id,
			  r->outcome == SMTP_TEMPORARY ? STORE_TEMP : STORE_PERM, reply);
	if (engine_unknown_user(r) && m->email_key[0]) {
		b->suppress = xrealloc(b->suppress, (b->nsuppress + 1) * sizeof(char *));
		b->suppress[b->nsuppress++] = xstrdup(m->email_key);
	}
}

/* submit_composed - hand message i (mail's result rc, the message in msg) to the transport */
static void
submit_composed(struct engine *e, struct batch *b, size_t i, const struct store_subscriber *sub,
		struct buf *msg, int rc, struct buf *from)
{
	struct msg_ctx *m = &b->msgs[i];

	m->e = e;
	m->batch = b;
	m->subscriber_id = sub->id;
	snprintf(m->email_key, sizeof(m->email_key), "%s", sub->email_key ? sub->email_key : "");
	if (rc != NF_OK) {
		buf_free(msg);
		b->done++;
		batch_add_failure(m->e->d, b, sub->id, STORE_PERM, "not sent: the message could not be composed");
		return;
	}
	engine_envelope_from(e, sub->id, sub->token_salt, from);
	b->submitted++;
	if (engine_submit(e, from->data, sub->email, msg->data, msg->len, alert_done, m) != NF_OK) {
		b->done++;
		batch_add_failure(m->e->d, b, sub->id, STORE_PERM, "not sent: the address was refused by the client");
	}
	msg->data = NULL;	/* the transport owns it now */
}

/*
 * submit_group - rows i .. i + n - 1 composed in one call:
 * mail_alert_compose_many hashes their bodies together, cheaper than n
 * compose calls (core/sha256_lanes.c); the messages are the same.
 */
static void
submit_group(struct engine *e, struct batch *b, size_t i, const struct store_subscriber *sub,
	     size_t n, struct buf *from)
{
	/* initialised for GCC's -O1 flow analysis, which cannot see n <= the rows filled */
	struct mail_subscriber ms[MAIL_COMPOSE_MANY] = { { 0, NULL, NULL } };
	struct buf msg[MAIL_COMPOSE_MANY], *out[MAIL_COMPOSE_MANY] = { NULL };
	int rc[MAIL_COMPOSE_MANY];
	size_t k;

	for (k = 0; k < n; k++) {
		ms[k] = (struct mail_subscriber){ (uint64_t)sub[k].id, sub[k].email, sub[k].token_salt };
		buf_init(&msg[k], 0);
		out[k] = &msg[k];
	}
	mail_alert_compose_many(e->prepared, ms, n, out, rc);
	for (k = 0; k < n; k++)
		submit_composed(e, b, i + k, &sub[k], &msg[k], rc[k], from);
}

/* fetch the next batch after the cursor and submit it; 0 when there was none */
static int
batch_start(struct engine *e, struct shard_run *r)
{
	struct batch *b = &r->ring[(r->head + r->inflight) % BATCHES_MAX];
	struct buf from;
	size_t i, n;
	int rc;

	rc = store_shard_members_next(e->store, &r->shard, &r->fetch_cursor, e->d->cfg.batch,
				      &r->rows);
	if (rc != NF_OK) {
		engine_store_warn(e, "deliver.fetch_failed");
		return 0;
	}
	if (r->rows.count == 0) {
		r->exhausted = 1;
		return 0;
	}
	memset(b, 0, sizeof(*b));
	b->cursor_end = r->fetch_cursor;
	b->count = r->rows.count;
	b->msgs = xcalloc(b->count, sizeof(*b->msgs));
	r->inflight++;
	buf_init(&from, 0);
	for (i = 0; i < r->rows.count; i += n) {
		/*
		 * The shard's first message goes out alone: the relay starts on it
		 * while the next sixteen are signed (with RSA, ~6 ms).
		 */
		n = r->started ? MAIL_COMPOSE_MANY : 1;
		if (n > r->rows.count - i)
			n = r->rows.count - i;
		submit_group(e, b, i, &r->rows.rows[i], n, &from);
		r->started = 1;
		/*
		 * The relay's outcomes are reported only inside a wait: take them
		 * after each group, so messages already sent give back their
		 * memory while the rest of the batch is being signed.
		 */
		smtp_transport_wait(e->t, 0);
	}
	buf_free(&from);
	return 1;
}

/* the group commit of the oldest batch; 0 when it must wait */
static int
batch_commit(struct engine *e, struct shard_run *r)
{
	struct batch *b = &r->ring[r->head];
	const struct deliver_config *c = &e->d->cfg;
	int rc, cancelled = 0;
	size_t i, temp = 0;

	if (b->done < b->count)
		return 0;
	store_begin(e->store);
	rc = store_shard_progress(e->store, r->shard.id, c->owner, b->cursor_end, b->sent,
				  b->recs, b->nrecs, engine_now(), c->lease_secs, &cancelled);
	for (i = 0; rc == NF_OK && i < b->nsuppress; i++)
		rc = store_suppression_add(e->store, b->suppress[i], "bounce");
	rc = rc == NF_OK ? store_commit(e->store) : (store_rollback(e->store), rc);
	if (rc == NF_ERR_NOTFOUND) {
		log_event(LOG_WARN, "deliver.lease_lost", "owner", c->owner, NULL);
		r->lost = 1;
	} else if (rc != NF_OK) {
		engine_store_warn(e, "deliver.commit_retry");
		return 0;	/* the database is busy: the batch stays and is committed later */
	}
	if (cancelled)
		r->cancelled = 1;
	for (i = 0; i < b->nrecs; i++)
		temp += b->recs[i].kind == STORE_TEMP;
	pthread_mutex_lock(&e->d->lock);
	e->d->stats.sent += (uint64_t)b->sent;
	e->d->stats.temp_failed += temp;
	e->d->stats.perm_failed += b->nrecs - temp;
	e->d->stats.suppressed += b->nsuppress;
	pthread_mutex_unlock(&e->d->lock);
	r->shard.cursor = b->cursor_end;
	batch_clear(b);
	r->head = (r->head + 1) % BATCHES_MAX;
	r->inflight--;
	return 1;
}

static void
shard_finish(struct engine *e, struct shard_run *r)
{
	struct store_alert *al = NULL;

	if (store_shard_finish(e->store, r->shard.id, e->d->cfg.owner, engine_now()) != NF_OK) {
		engine_store_warn(e, "deliver.finish_failed");
		return;
	}
	engine_stat_add(e->d, &e->d->stats.shards_done, 1);
	if (store_alert_get(e->store, r->shard.alert_id, &al) == NF_OK && al->state == STORE_DONE) {
		char id[24], sent[24], secs[24];
		uint64_t ms = (uint64_t)(time_now_ms() - al->created_at * 1000);

		snprintf(id, sizeof(id), "%lld", (long long)al->id);
		snprintf(sent, sizeof(sent), "%lld", (long long)al->sent);
		snprintf(secs, sizeof(secs), "%lld", (long long)(al->finished_at - al->created_at));
		pthread_mutex_lock(&e->d->lock);
		e->d->stats.alerts_done++;
		e->d->stats.publish_to_last_ms = ms;
		pthread_mutex_unlock(&e->d->lock);
		deliver_latency_record(e->d, (double)ms / 1000.0);
		log_event(LOG_INFO, "alert.done", "alert", id, "sent", sent, "seconds", secs, NULL);
	}
	store_alert_free(al);
}

void
shard_release(struct engine *e)
{
	struct shard_run *r = e->run;
	int i;

	if (r == NULL)
		return;
	for (i = 0; i < BATCHES_MAX; i++)
		batch_clear(&r->ring[i]);
	store_batch_free(&r->rows);
	free(r);
	e->run = NULL;
}

int
shard_try_claim(struct engine *e)
{
	const struct deliver_config *c = &e->d->cfg;
	struct shard_run *r = xcalloc(1, sizeof(*r));
	char id[24], cur[24];
	int rc;

	rc = store_shard_claim(e->store, c->owner, engine_now(), c->lease_secs, &r->shard);
	if (rc == NF_OK && engine_prepare_alert(e, r->shard.alert_id) != NF_OK)
		rc = NF_ERR;	/* the lease runs out and the shard is tried again */
	if (rc != NF_OK) {
		if (rc != NF_ERR_NOTFOUND)
			engine_store_warn(e, "deliver.claim_failed");
		free(r);
		return 0;
	}
	r->fetch_cursor = r->shard.cursor;
	r->last_renew = engine_now();
	store_batch_init(&r->rows);
	e->run = r;
	snprintf(id, sizeof(id), "%lld", (long long)r->shard.id);
	snprintf(cur, sizeof(cur), "%lld", (long long)r->shard.cursor);
	if (r->shard.cursor >= r->shard.lo) {
		/* someone sent part of this shard before: at most the uncommitted batches repeat */
		char bound[24];

		snprintf(bound, sizeof(bound), "%zu", c->batch * (size_t)c->batches_in_flight);
		engine_stat_add(e->d, &e->d->stats.possible_duplicates, c->batch * (size_t)c->batches_in_flight);
		log_event(LOG_WARN, "deliver.shard_resumed", "shard", id, "cursor", cur,
			  "possible_duplicates_at_most", bound, NULL);
	} else {
		log_event(LOG_DEBUG, "deliver.shard_claimed", "shard", id, NULL);
	}
	return 1;
}

int
shard_pump(struct engine *e)
{
	struct shard_run *r = e->run;
	const struct deliver_config *c = &e->d->cfg;
	int worked = 0, stopping = engine_stopping(e->d);

	while (r->inflight > 0 && batch_commit(e, r))
		worked = 1;
	/* stopping: finish what is in flight, fetch nothing new */
	while (!r->exhausted && !r->cancelled && !r->lost && !stopping &&
	       r->inflight < c->batches_in_flight && batch_start(e, r))
		worked = 1;
	if (engine_now() - r->last_renew >= c->lease_secs / 3 && !r->lost) {
		if (store_shard_renew(e->store, r->shard.id, c->owner, engine_now(), c->lease_secs) == NF_ERR_NOTFOUND)
			r->cancelled = 1;	/* cancelled or taken over: stop fetching */
		r->last_renew = engine_now();
	}
	if (r->inflight == 0 && (r->exhausted || r->cancelled || r->lost || stopping)) {
		if (r->exhausted && !r->cancelled && !r->lost)
			shard_finish(e, r);
		else if (!r->cancelled && !r->lost)
			/* drained mid-shard: hand the lease back so a restart resumes at once */
			store_shard_renew(e->store, r->shard.id, c->owner, engine_now(), 0);
		shard_release(e);
		worked = 1;
	}
	return worked;
}
