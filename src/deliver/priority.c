/*
 * deliver/priority.c - the priority lane: one-off messages ahead of alerts
 *
 * Owns: signup confirmations and other single messages. Web threads queue
 * them (deliver_priority, deliver_confirm); engine thread 0 submits them
 * before any alert batch. A confirmation is composed when it goes and
 * carries the subscriber's own return path (bounce+ID-MAC, as alerts do),
 * so its bounce is matched to the person. These are email by nature: the
 * lane sends through the email channel's one-off functions
 * (channel_email.c), not through a channel chosen per subscription.
 *
 * Durability: the lane lives in memory, but a confirmation is not lost with
 * it. The subscriber's confirm_sent_at is written only once the relay took
 * the mail; so the pending rows of the last MAIL_CONFIRM_TTL with it unset
 * are the confirmations still owed. With confirm_recover (serve) the lane
 * looks for those when it starts (a kill -9 lost the queue), every half
 * lease, and when it has room after refusing one for being full. Those
 * not claimed within a lease (the signup's process claims its mail) it
 * claims (store/confirm.c: of several processes sharing the database, one
 * wins each) and queues. A set of the subscriber ids queued or out keeps
 * each person to one mail in the lane; duplicates can only come from mails
 * the relay took but whose confirm_sent_at was not written before a crash,
 * or from a mail that waited in a live lane for longer than a lease.
 *
 * A failure is logged (the relay's text without addresses) and not retried
 * here: the SMTP pool already retried it on fresh connections. A temporary
 * one is found again once its lease has passed; a permanent one is
 * recorded as sent, so a dead address is not tried again.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "deliver_internal.h"

#define RECOVER_PAGE 500

/* ---- the set of subscriber ids in the lane (open addressing, linear probing) ---- */

struct prio_ids {
	int64_t *slot;			/* 0 = empty; ids are > 0 */
	size_t cap, n;			/* cap a power of two */
};

static size_t
ids_home(const struct prio_ids *s, int64_t id)
{
	uint64_t h = (uint64_t)id * 0x9E3779B97F4A7C15ull;	/* Fibonacci hashing */

	return (size_t)(h >> 32) & (s->cap - 1);
}

static size_t
ids_find(const struct prio_ids *s, int64_t id)
{
	size_t i = ids_home(s, id);

	while (s->slot[i] != 0 && s->slot[i] != id)
		i = (i + 1) & (s->cap - 1);
	return i;
}

static void
ids_grow(struct prio_ids *s)
{
	int64_t *old = s->slot;
	size_t i, oldcap = s->cap;

	s->cap = oldcap ? oldcap * 2 : 1024;
	s->slot = xcalloc(s->cap, sizeof(*s->slot));
	for (i = 0; i < oldcap; i++)
		if (old[i] != 0)
			s->slot[ids_find(s, old[i])] = old[i];
	free(old);
}

static int
ids_has(const struct prio_ids *s, int64_t id)
{
	return s && s->cap && s->slot[ids_find(s, id)] == id;
}

static void
ids_add(struct prio_ids *s, int64_t id)
{
	if (2 * (s->n + 1) > s->cap)
		ids_grow(s);
	s->slot[ids_find(s, id)] = id;
	s->n++;
}

/* remove, then shift the run after it back so every id stays findable */
static void
ids_del(struct prio_ids *s, int64_t id)
{
	size_t i, j, home;

	if (!ids_has(s, id))
		return;
	i = ids_find(s, id);
	s->slot[i] = 0;
	s->n--;
	for (j = (i + 1) & (s->cap - 1); s->slot[j] != 0; j = (j + 1) & (s->cap - 1)) {
		home = ids_home(s, s->slot[j]);
		/* slot j may move to the hole i unless its home lies cyclically in (i, j] */
		if ((j > i && (home <= i || home > j)) || (j < i && home <= i && home > j)) {
			s->slot[i] = s->slot[j];
			s->slot[j] = 0;
			i = j;
		}
	}
}

/* ---- queueing ---- */

int
deliver_priority_room(struct deliver *d)
{
	int room;

	pthread_mutex_lock(&d->lock);
	room = !d->stopping && d->prio_count < d->cfg.priority_max;
	pthread_mutex_unlock(&d->lock);
	return room;
}

static void
prio_push(struct deliver *d, struct prio_msg *p)
{
	p->next = NULL;
	if (d->prio_tail)
		d->prio_tail->next = p;
	else
		d->prio_head = p;
	d->prio_tail = p;
	d->prio_count++;
}

int
deliver_priority(struct deliver *d, const char *to, char *msg, size_t len,
		 int64_t subscriber_id)
{
	struct prio_msg *p;

	pthread_mutex_lock(&d->lock);
	if (d->stopping || d->prio_count >= d->cfg.priority_max) {
		pthread_mutex_unlock(&d->lock);
		free(msg);
		return NF_ERR_TEMP;
	}
	p = xcalloc(1, sizeof(*p));
	p->to = xstrdup(to);
	p->msg = msg;
	p->len = len;
	p->subscriber_id = subscriber_id;
	prio_push(d, p);
	pthread_mutex_unlock(&d->lock);
	deliver_wake_all(d);
	return NF_OK;
}

#define CONFIRM_ALREADY 1	/* confirm_queue: one is queued or out already */

static int
confirm_queue(struct deliver *d, int64_t subscriber_id, const char *to, const char *salt)
{
	struct prio_msg *p;

	if (subscriber_id <= 0 || to == NULL || salt == NULL || strlen(salt) >= sizeof(p->salt))
		return NF_ERR_INVALID;
	pthread_mutex_lock(&d->lock);
	if (d->prio_ids && ids_has(d->prio_ids, subscriber_id)) {
		pthread_mutex_unlock(&d->lock);
		return CONFIRM_ALREADY;
	}
	if (d->stopping || d->prio_count >= d->cfg.priority_max) {
		if (!d->stopping)
			d->prio_overflow = 1;
		pthread_mutex_unlock(&d->lock);
		return NF_ERR_TEMP;
	}
	if (d->prio_ids == NULL)
		d->prio_ids = xcalloc(1, sizeof(*d->prio_ids));
	p = xcalloc(1, sizeof(*p));
	p->to = xstrdup(to);
	p->subscriber_id = subscriber_id;
	p->confirm = 1;
	memcpy(p->salt, salt, strlen(salt) + 1);
	ids_add(d->prio_ids, subscriber_id);
	prio_push(d, p);
	pthread_mutex_unlock(&d->lock);
	deliver_wake_all(d);
	return NF_OK;
}

int
deliver_confirm(struct deliver *d, int64_t subscriber_id, const char *to, const char *salt)
{
	int rc = confirm_queue(d, subscriber_id, to, salt);

	return rc == CONFIRM_ALREADY ? NF_OK : rc;	/* the mail queued or out serves */
}

static void
prio_free(struct prio_msg *p)
{
	free(p->to);
	free(p->msg);
	free(p);
}

/* a confirmation is out of the lane: a later one to the same person may be queued */
static void
prio_forget(struct deliver *d, const struct prio_msg *p)
{
	if (!p->confirm)
		return;
	pthread_mutex_lock(&d->lock);
	ids_del(d->prio_ids, p->subscriber_id);
	pthread_mutex_unlock(&d->lock);
}

void
deliver_priority_free(struct deliver *d)
{
	struct prio_msg *p, *next;

	for (p = d->prio_head; p; p = next) {
		next = p->next;
		prio_free(p);
	}
	d->prio_head = d->prio_tail = NULL;
	d->prio_count = 0;
	if (d->prio_ids)
		free(d->prio_ids->slot);
	free(d->prio_ids);
	d->prio_ids = NULL;
}

/* ---- sending ---- */

static void
prio_done(struct msg_ctx *m, const struct deliver_outcome *o)
{
	struct engine *e = m->e;
	struct prio_msg *p = m->prio;

	e->inflight_other--;
	p->msg = NULL;		/* the channel took it */
	if (o->result != DELIVER_SENT)
		log_event(LOG_WARN, "deliver.priority_failed", "outcome",
			  o->result == DELIVER_TEMP ? "temporary" : "permanent", "reply", o->log_reply, NULL);
	else
		deliver_stat_add(e->d, &e->d->stats.priority_sent, 1);
	/*
	 * Recorded before the id leaves the set, so a look for unsent
	 * confirmations never finds this one again; a temporary failure is
	 * left unrecorded: the next start sends it.
	 */
	if (p->subscriber_id > 0 && o->result != DELIVER_TEMP)
		store_subscriber_confirm_sent(e->store, p->subscriber_id, deliver_now());
	prio_forget(e->d, p);
	prio_free(p);
	free(m);
}

/* pop the first message that may go now, or NULL */
static struct prio_msg *
prio_pop(struct deliver *d)
{
	struct prio_msg *p;

	pthread_mutex_lock(&d->lock);
	p = d->prio_head;
	if (p) {
		d->prio_head = p->next;
		if (d->prio_head == NULL)
			d->prio_tail = NULL;
		d->prio_count--;
	}
	pthread_mutex_unlock(&d->lock);
	return p;
}

/*
 * prio_submit - on the email channel: a confirmation composed now (its
 * link lives MAIL_CONFIRM_TTL from now) with the subscriber's own return
 * path; any other message as it was queued, from bounce@DOMAIN
 */
static void
prio_submit(struct engine *e, struct prio_msg *p)
{
	struct deliver_channel *email = e->chan[DELIVER_CHANNEL_EMAIL].state;
	struct msg_ctx *m;

	if (p->confirm &&
	    deliver_email_confirm(email, p->subscriber_id, p->to, p->salt, &p->msg, &p->len) != NF_OK) {
		log_event(LOG_ERROR, "deliver.confirm_compose_failed", NULL);
		prio_forget(e->d, p);
		prio_free(p);
		return;
	}
	m = xcalloc(1, sizeof(*m));
	m->done = prio_done;
	m->e = e;
	m->prio = p;
	e->inflight_other++;
	if (deliver_email_send_one(email, m, p->to, p->subscriber_id, p->confirm ? p->salt : NULL,
				   p->msg, p->len) != NF_OK) {
		e->inflight_other--;
		p->msg = NULL;
		prio_forget(e->d, p);
		prio_free(p);
		free(m);
	}
}

/* ---- the confirmations owed: after a crash, or after the lane was full ---- */

/* 1 when the lane should look in the store for confirmations never sent */
static int
recover_due(struct deliver *d)
{
	int64_t now = deliver_now(), every = d->cfg.lease_secs / 2 > 0 ? d->cfg.lease_secs / 2 : 1;
	int due;

	if (!d->cfg.confirm_recover)
		return 0;
	pthread_mutex_lock(&d->lock);
	due = !d->stopping && (now >= d->prio_next_scan ||
			       (d->prio_overflow && d->prio_count <= d->cfg.priority_max / 2));
	if (due) {
		d->prio_next_scan = now + every;
		d->prio_overflow = 0;	/* set again if the lane fills while we look */
	}
	pthread_mutex_unlock(&d->lock);
	return due;
}

static void
priority_recover(struct engine *e)
{
	struct store_batch b;
	int64_t now = deliver_now(), cursor = 0, since = now - MAIL_CONFIRM_TTL, queued = 0;
	int64_t settled = now - e->d->cfg.lease_secs;
	char n[24];
	size_t i;
	int full = 0;

	store_batch_init(&b);
	while (!full && store_confirm_unsent(e->store, since, settled, &cursor, RECOVER_PAGE,
					     &b) == NF_OK && b.count > 0) {
		for (i = 0; i < b.count && !full; i++) {
			const struct store_subscriber *sub = &b.rows[i];

			if (sub->email == NULL || sub->token_salt == NULL ||
			    store_confirm_claim(e->store, sub->id, now, settled) != NF_OK)
				continue;
			switch (confirm_queue(e->d, sub->id, sub->email, sub->token_salt)) {
			case NF_OK:
				queued++;
				break;
			case NF_ERR_TEMP:
				full = 1;
				break;
			default:
				break;
			}
		}
	}
	store_batch_free(&b);
	if (queued > 0) {
		snprintf(n, sizeof(n), "%lld", (long long)queued);
		log_event(LOG_INFO, "deliver.confirm_requeued", "count", n, NULL);
	}
}

int
deliver_priority_pump(struct engine *e)
{
	struct prio_msg *p;
	int worked = 0;

	if (recover_due(e->d))
		priority_recover(e);
	while ((p = prio_pop(e->d)) != NULL) {
		prio_submit(e, p);
		worked = 1;
	}
	return worked;
}
