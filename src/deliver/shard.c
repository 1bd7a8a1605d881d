/*
 * deliver/shard.c - working one claimed shard of an alert
 *
 * Owns: the pipeline for a shard: fetch the next batch of its alert's
 * audience after the cursor (confirmed, unsuppressed members of any of the
 * alert's lists, each person once), hand it to the channels in groups (a
 * run of subscribers of one channel, up to its group_max: the email
 * channel composes sixteen a call), and once every message of the oldest
 * batch has an outcome, commit it (cursor, sent count, the failures and
 * any suppressions) in one transaction: the group commit.
 * Up to batches_in_flight batches are submitted ahead of the oldest commit
 * so the relay never waits for the database; commits stay in order, so the
 * cursor never passes a message whose outcome is unknown.
 *
 * What the relay accepted is committed sooner: at least every
 * DELIVER_COMMIT_MS, with the shard's part of the reached record (the ids
 * accepted, store/reached.c) and the sent count in one transaction, so a
 * slow relay's progress shows within a second and a stop or a crash loses
 * no accepted message from the counts. The sent count grows only by ids new
 * to the record, so nobody is counted twice; a shard resumed (after a
 * crash, or a stopped alert resumed) skips everyone the record holds.
 */
#include <stdlib.h>
#include <string.h>

#include "deliver_internal.h"

int
deliver_shard_busy(const struct engine *e)
{
	return e->run != NULL;
}

size_t
deliver_shard_awaited(const struct engine *e)
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
	rec->next_attempt_at = kind == STORE_TEMP ? deliver_now() + deliver_backoff(d, 0) : 0;
	rec->reply = xstrdup(reply ? reply : "");
}

/* completion of one alert message, on the engine thread */
static void
alert_done(struct msg_ctx *m, const struct deliver_outcome *o)
{
	struct batch *b = m->batch;
	struct shard_run *r = m->e->run;

	b->done++;
	if (o->result == DELIVER_SENT) {
		/* out of the record's range (ids past 2^32) it still counts: it went */
		if (idset_add(r->reached, m->subscriber_id) != 0)
			r->unsaved++;
		return;
	}
	batch_add_failure(m->e->d, b, m->subscriber_id,
			  o->result == DELIVER_TEMP ? STORE_TEMP : STORE_PERM, o->reply);
	if (o->unknown_user && m->email_key[0]) {
		b->suppress = xrealloc(b->suppress, (b->nsuppress + 1) * sizeof(char *));
		b->suppress[b->nsuppress++] = xstrdup(m->email_key);
	}
}

/*
 * send_group - rows i .. i + n - 1, all of channel c, in one send call;
 * what the channel could not take is a permanent failure of the batch
 */
static void
send_group(struct engine *e, struct deliver_chan *c, struct batch *b, size_t i,
	   const struct store_subscriber *sub, size_t n)
{
	enum deliver_send rc[DELIVER_GROUP_MAX];
	size_t k;

	for (k = 0; k < n; k++) {
		struct msg_ctx *m = &b->msgs[i + k];

		m->done = alert_done;
		m->e = e;
		m->batch = b;
		m->subscriber_id = sub[k].id;
		snprintf(m->email_key, sizeof(m->email_key), "%s", sub[k].email_key ? sub[k].email_key : "");
	}
	c->ops->send(c->state, sub, &b->msgs[i], n, rc);
	for (k = 0; k < n; k++) {
		if (rc[k] == DELIVER_SUBMITTED) {
			b->submitted++;
			continue;
		}
		if (rc[k] == DELIVER_REFUSED)
			b->submitted++;
		b->done++;
		batch_add_failure(e->d, b, sub[k].id, STORE_PERM, rc[k] == DELIVER_REFUSED ?
				  "not sent: the address was refused by the client" :
				  "not sent: the message could not be composed");
	}
}

/*
 * group_end - where the group starting at row i ends: the run of rows of
 * one channel, at most its group_max, and the shard's first message alone
 * (the relay starts on it while the next sixteen are signed: with RSA,
 * ~6 ms)
 */
static size_t
group_end(const struct shard_run *r, size_t i, size_t max, int ch)
{
	size_t k, end = i + (r->started ? max : 1);

	if (end > r->rows.count)
		end = r->rows.count;
	for (k = i + 1; k < end; k++)
		if (deliver_channel_of(&r->rows.rows[k]) != ch)
			return k;
	return end;
}

/* drop the rows the reached record holds: they had the alert already */
static void
skip_reached(struct shard_run *r)
{
	size_t i, n = 0;

	if (idset_count(r->reached) == 0)
		return;
	for (i = 0; i < r->rows.count; i++)
		if (!idset_has(r->reached, r->rows.rows[i].id))
			r->rows.rows[n++] = r->rows.rows[i];
	r->rows.count = n;
}

/* fetch the next batch after the cursor and submit it; 0 when there was none */
static int
batch_start(struct engine *e, struct shard_run *r)
{
	struct batch *b = &r->ring[(r->head + r->inflight) % BATCHES_MAX];
	size_t i, n;
	int rc;

	rc = store_shard_members_next(e->store, &r->shard, &r->fetch_cursor, e->d->cfg.batch,
				      &r->rows);
	if (rc != NF_OK) {
		deliver_store_warn(e, "deliver.fetch_failed");
		return 0;
	}
	if (r->rows.count == 0) {
		r->exhausted = 1;
		return 0;
	}
	skip_reached(r);
	memset(b, 0, sizeof(*b));
	b->cursor_end = r->fetch_cursor;
	b->count = r->rows.count;
	b->msgs = xcalloc(b->count, sizeof(*b->msgs));
	r->inflight++;
	for (i = 0; i < r->rows.count; i = n) {
		int ch = deliver_channel_of(&r->rows.rows[i]);
		struct deliver_chan *c = &e->chan[ch];

		n = group_end(r, i, c->ops->group_max, ch);
		send_group(e, c, b, i, &r->rows.rows[i], n - i);
		r->started = 1;
		/*
		 * Outcomes are reported only inside a collect: take them after
		 * each group, so messages already sent give back their memory
		 * while the rest of the batch is being composed.
		 */
		c->ops->collect(c->state, 1, 0);
	}
	return 1;
}

/* how many batches from the oldest on have every outcome */
static int
batches_complete(const struct shard_run *r)
{
	int k;

	for (k = 0; k < r->inflight; k++) {
		const struct batch *b = &r->ring[(r->head + k) % BATCHES_MAX];

		if (b->done < b->count)
			break;
	}
	return k;
}

/* the commit's writes: progress per complete batch (or the accepted alone), the record, suppressions */
static int
commit_locked(struct engine *e, struct shard_run *r, int complete, int *cancelled)
{
	const struct deliver_config *c = &e->d->cfg;
	int64_t sent = r->unsaved, cursor = r->shard.cursor;
	int k, rc = NF_OK;
	size_t i;

	for (k = 0; rc == NF_OK && k < (complete ? complete : 1); k++) {
		const struct batch *b = &r->ring[(r->head + k) % BATCHES_MAX];

		if (complete)
			cursor = b->cursor_end;
		rc = store_shard_progress(e->store, r->shard.id, c->owner, cursor, sent,
					  complete ? b->recs : NULL, complete ? b->nrecs : 0,
					  deliver_now(), c->lease_secs, cancelled);
		for (i = 0; complete && rc == NF_OK && i < b->nsuppress; i++)
			rc = store_suppression_add(e->store, b->suppress[i], "bounce");
		sent = 0;
	}
	if (rc == NF_OK && r->unsaved > 0)
		rc = store_reached_save(e->store, r->shard.alert_id, r->shard.no, r->reached);
	return rc;
}

/*
 * shard_commit - the group commit: every complete batch from the oldest
 * on, and what the relay accepted since the last commit, in one
 * transaction; the latter alone once DELIVER_COMMIT_MS has passed. 0 when
 * there was nothing to commit yet (or the database was busy).
 */
static int
shard_commit(struct engine *e, struct shard_run *r)
{
	int complete = batches_complete(r), cancelled = 0, k, rc;
	int64_t now_ms = time_now_ms();
	uint64_t temp = 0, perm = 0, suppressed = 0;
	size_t i;

	if (complete == 0 && (r->unsaved == 0 || now_ms - r->last_commit_ms < DELIVER_COMMIT_MS))
		return 0;
	store_begin(e->store);
	rc = commit_locked(e, r, complete, &cancelled);
	rc = rc == NF_OK ? store_commit(e->store) : (store_rollback(e->store), rc);
	if (rc == NF_ERR_NOTFOUND) {
		/* another owner has the shard: what was not committed here is theirs to send */
		log_event(LOG_WARN, "deliver.lease_lost", "owner", e->d->cfg.owner, NULL);
		r->lost = 1;
		return 1;
	}
	if (rc != NF_OK) {
		deliver_store_warn(e, "deliver.commit_retry");
		return 0;	/* the database is busy: the outcomes stay and are committed later */
	}
	if (cancelled)
		r->cancelled = 1;
	r->last_commit_ms = now_ms;
	for (k = 0; k < complete; k++) {
		struct batch *b = &r->ring[r->head];

		for (i = 0; i < b->nrecs; i++)
			temp += b->recs[i].kind == STORE_TEMP;
		perm += b->nrecs;
		suppressed += b->nsuppress;
		r->shard.cursor = b->cursor_end;
		batch_clear(b);
		r->head = (r->head + 1) % BATCHES_MAX;
		r->inflight--;
	}
	pthread_mutex_lock(&e->d->lock);
	e->d->stats.sent += (uint64_t)r->unsaved;
	e->d->stats.temp_failed += temp;
	e->d->stats.perm_failed += perm - temp;
	e->d->stats.suppressed += suppressed;
	pthread_mutex_unlock(&e->d->lock);
	r->unsaved = 0;
	return 1;
}

static void
shard_finish(struct engine *e, struct shard_run *r)
{
	struct store_alert *al = NULL;

	if (store_shard_finish(e->store, r->shard.id, e->d->cfg.owner, deliver_now()) != NF_OK) {
		deliver_store_warn(e, "deliver.finish_failed");
		return;
	}
	deliver_stat_add(e->d, &e->d->stats.shards_done, 1);
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
	} else if (al && al->state == STORE_RETRYING) {
		char id[24], sent[24], waiting[24];

		snprintf(id, sizeof(id), "%lld", (long long)al->id);
		snprintf(sent, sizeof(sent), "%lld", (long long)al->sent);
		snprintf(waiting, sizeof(waiting), "%lld", (long long)al->retrying);
		log_event(LOG_INFO, "alert.retrying", "alert", id, "sent", sent, "retrying", waiting,
			  NULL);
	}
	store_alert_free(al);
}

void
deliver_shard_release(struct engine *e)
{
	struct shard_run *r = e->run;
	int i;

	if (r == NULL)
		return;
	for (i = 0; i < BATCHES_MAX; i++)
		batch_clear(&r->ring[i]);
	store_batch_free(&r->rows);
	idset_free(r->reached);
	free(r);
	e->run = NULL;
}

int
deliver_shard_claim(struct engine *e)
{
	const struct deliver_config *c = &e->d->cfg;
	struct shard_run *r = xcalloc(1, sizeof(*r));
	char id[24], cur[24];
	int rc;

	rc = store_shard_claim(e->store, c->owner, deliver_now(), c->lease_secs, &r->shard);
	if (rc == NF_OK && deliver_alert_prepare(e, r->shard.alert_id) != NF_OK)
		rc = NF_ERR;	/* the lease runs out and the shard is tried again */
	if (rc == NF_OK)
		rc = store_reached_part(e->store, r->shard.alert_id, r->shard.no, &r->reached);
	if (rc != NF_OK) {
		if (rc != NF_ERR_NOTFOUND)
			deliver_store_warn(e, "deliver.claim_failed");
		free(r);
		return 0;
	}
	r->last_commit_ms = 0;	/* the first accepted message shows at once, then every second */
	r->fetch_cursor = r->shard.cursor;
	r->last_renew = deliver_now();
	store_batch_init(&r->rows);
	e->run = r;
	snprintf(id, sizeof(id), "%lld", (long long)r->shard.id);
	snprintf(cur, sizeof(cur), "%lld", (long long)r->shard.cursor);
	if (r->shard.cursor >= r->shard.lo) {
		/* someone sent part of this shard before: at most the uncommitted batches repeat */
		char bound[24];

		snprintf(bound, sizeof(bound), "%zu", c->batch * (size_t)c->batches_in_flight);
		deliver_stat_add(e->d, &e->d->stats.possible_duplicates, c->batch * (size_t)c->batches_in_flight);
		log_event(LOG_WARN, "deliver.shard_resumed", "shard", id, "cursor", cur,
			  "possible_duplicates_at_most", bound, NULL);
	} else {
		log_event(LOG_DEBUG, "deliver.shard_claimed", "shard", id, NULL);
	}
	return 1;
}

int
deliver_shard_pump(struct engine *e)
{
	struct shard_run *r = e->run;
	const struct deliver_config *c = &e->d->cfg;
	int worked = 0, stopping = deliver_stopping(e->d);

	while (r->inflight > 0 && !r->lost && shard_commit(e, r))
		worked = 1;
	/* lost: the outcomes are no longer ours to commit; wait for them, keep nothing */
	while (r->lost && r->inflight > 0 && batches_complete(r) > 0) {
		batch_clear(&r->ring[r->head]);
		r->head = (r->head + 1) % BATCHES_MAX;
		r->inflight--;
		worked = 1;
	}
	/* stopping: finish what is in flight, fetch nothing new */
	while (!r->exhausted && !r->cancelled && !r->lost && !stopping &&
	       r->inflight < c->batches_in_flight && batch_start(e, r))
		worked = 1;
	if (deliver_now() - r->last_renew >= c->lease_secs / 3 && !r->lost) {
		if (store_shard_renew(e->store, r->shard.id, c->owner, deliver_now(), c->lease_secs) == NF_ERR_NOTFOUND)
			r->cancelled = 1;	/* cancelled or taken over: stop fetching */
		r->last_renew = deliver_now();
	}
	if (r->inflight == 0 && (r->exhausted || r->cancelled || r->lost || stopping)) {
		if (r->exhausted && !r->cancelled && !r->lost)
			shard_finish(e, r);
		else if (!r->lost)
			/* drained mid-shard: hand the lease back so a restart or a resume goes on at once */
			store_shard_release(e->store, r->shard.id, c->owner);
		deliver_shard_release(e);
		worked = 1;
	}
	return worked;
}
