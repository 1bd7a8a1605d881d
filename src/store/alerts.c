/*
 * store/alerts.c - articles, alerts and the shards workers claim
 *
 * Owns: storing articles; creating an alert and splitting it into shards;
 * leases on shards (claim, renew); group-committed progress; finishing and
 * cancelling.
 *
 * An alert goes to one or more lists (alert_lists: breaking-news and the
 * lists its article's topics name); each person on any of them is one
 * recipient. It is split when it is created, over the confirmed members of
 * its lists at that moment: K shards of equal subscriber-id span between the
 * smallest and largest member id. Ids only grow, so later signups fall
 * outside every shard and do not get an alert published before they joined.
 *
 * A shard is worked by whoever holds its lease (owner, expiry). Progress is
 * committed in batches: the cursor (every id at or below it is done), how
 * many were sent, and the failures, in one transaction that also extends
 * the lease. A worker that dies stops renewing; once the lease expires
 * another worker claims the shard and resumes after the cursor, so the only
 * messages sent twice are those after the last commit. A worker whose lease
 * was taken over can no longer commit anything (the owner check fails).
 *
 * An alert is queued, then sending once a shard is claimed, then done when
 * every shard is and every recipient has a final outcome. If some wait for
 * a retry when the last shard ends it is retrying instead, until the retries
 * end (sent, or failed for good at the deadline) and store_alert_settle
 * makes it done. Cancelling (stopping) is possible until then, and a
 * stopped alert can be resumed: its shards go on after their cursors, and
 * the engine skips whoever its reached record (store/reached.c) holds.
 * Who stopped and who resumed is kept in alert_events.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store_internal.h"

#define STORE_ALERT_CHANNEL "newsflash_alerts"

#define MAX_SHARDS 4096

int
store_article_insert(struct store *s, const struct store_article *a, int64_t *id)
{
	struct store_param p[12];

	if (a->headline == NULL || *a->headline == '\0') {
		store_set_err(s, "an article needs a headline");
		return NF_ERR_INVALID;
	}
	p[0] = SP_TEXT(a->slug);
	p[1] = SP_TEXT(a->headline);
	p[2] = SP_TEXT(a->standfirst);
	p[3] = SP_TEXT(a->body_html);
	p[4] = SP_TEXT(a->body_text);
	p[5] = SP_TEXT(a->byline);
	p[6] = SP_TEXT(a->url);
	p[7] = a->published_at ? SP_INT(a->published_at) : SP_NULL;
	p[8] = SP_TEXT(a->images_json);
	p[9] = SP_TEXT(a->topics_json);
	p[10] = SP_INT(a->breaking ? 1 : 0);
	p[11] = SP_INT(store_now(a->created_at));
	return store_exec_int(s, Q_ARTICLE_ADD, p, 12, id);
}

static int
take_article(void *arg, const struct store_row *r)
{
	struct store_article **out = arg;

	if (*out == NULL)
		*out = store_article_from_row(r);
	return NF_OK;
}

int
store_article_get(struct store *s, int64_t id, struct store_article **out)
{
	struct store_param p = SP_INT(id);
	int rc;

	*out = NULL;
	rc = store_exec(s, Q_ARTICLE_GET, &p, 1, take_article, out, NULL);
	return rc == NF_OK && *out == NULL ? NF_ERR_NOTFOUND : rc;
}

/* ---- alerts ---- */

struct span {
	int64_t lo, hi, count;
};

static int
take_span(void *arg, const struct store_row *r)
{
	struct span *sp = arg;

	sp->lo = store_col_int(r, 0);
	sp->hi = store_col_int(r, 1);
	sp->count = store_col_int(r, 2);
	return NF_OK;
}

/*
 * Shard i covers lo + i*width/k .. lo + (i+1)*width/k - 1: k spans whose
 * widths differ by one at most. k never exceeds the member count, which never
 * exceeds the width, so no span is empty.
 */
static int
add_shards(struct store *s, int64_t alert, const struct span *sp, int nshards)
{
	struct store_param p[5];
	int64_t width = sp->hi - sp->lo + 1, k = nshards, i, a, b;
	int rc = NF_OK;

	if (k > sp->count)
		k = sp->count;
	for (i = 0; i < k && rc == NF_OK; i++) {
		a = sp->lo + i * width / k;
		b = sp->lo + (i + 1) * width / k - 1;
		p[0] = SP_INT(alert);
		p[1] = SP_INT(i);
		p[2] = SP_INT(a);
		p[3] = SP_INT(b);
		p[4] = SP_INT(a - 1);
		rc = store_exec(s, Q_SHARD_ADD, p, 5, NULL, NULL, NULL);
	}
	return rc;
}

/*
 * The audience's span and size. One list: the members_next plan, as before
 * topic alerts. Several: over alert_lists (already written), each person
 * once.
 */
static int
audience_span(struct store *s, int64_t alert, const int64_t *lists, size_t nlists,
	      struct span *sp)
{
	struct store_param p = SP_INT(nlists == 1 ? lists[0] : alert);

	return store_exec(s, nlists == 1 ? Q_ALERT_SPAN : Q_AUDIENCE_SPAN, &p, 1, take_span, sp,
			  NULL);
}

/* nobody to mail and the caller wants no empty alert: it goes again, unseen */
static int
drop_alert(struct store *s, int64_t *id)
{
	struct store_param p = SP_INT(*id);
	int rc = store_exec(s, Q_ALERT_LISTS_DEL, &p, 1, NULL, NULL, NULL);

	if (rc == NF_OK)
		rc = store_exec(s, Q_ALERT_DEL, &p, 1, NULL, NULL, NULL);
	*id = 0;
	return rc;
}

/*
 * The alert row goes in first (alert_lists refers to it), then its lists,
 * then the audience is measured and the row told its total and state.
 */
static int
create_locked(struct store *s, int64_t article_id, const int64_t *lists, size_t nlists,
	      int nshards, int flags, int64_t now, int64_t *id)
{
	struct span sp = { 0, 0, 0 };
	struct store_param p[6];
	size_t i;
	int rc;

	p[0] = SP_INT(article_id);
	p[1] = SP_INT(lists[0]);
	p[2] = SP_TEXT("queued");
	p[3] = SP_INT(0);
	p[4] = SP_INT(now);
	p[5] = SP_NULL;
	if ((rc = store_exec_int(s, Q_ALERT_ADD, p, 6, id)) != NF_OK)
		return rc;
	for (i = 0; i < nlists && rc == NF_OK; i++) {
		p[0] = SP_INT(*id);
		p[1] = SP_INT(lists[i]);
		rc = store_exec(s, Q_ALERT_LIST_ADD, p, 2, NULL, NULL, NULL);
	}
	if (rc == NF_OK)
		rc = audience_span(s, *id, lists, nlists, &sp);
	if (rc != NF_OK)
		return rc;
	if (sp.count == 0 && (flags & STORE_ALERT_SKIP_EMPTY))
		return drop_alert(s, id);
	p[0] = SP_INT(*id);
	p[1] = SP_INT(sp.count);
	p[2] = SP_TEXT(sp.count ? "queued" : "done");
	p[3] = sp.count ? SP_NULL : SP_INT(now);
	if ((rc = store_exec(s, Q_ALERT_AUDIENCE, p, 4, NULL, NULL, NULL)) != NF_OK)
		return rc;
	return sp.count ? add_shards(s, *id, &sp, nshards) : NF_OK;
}

int
store_alert_create_lists(struct store *s, int64_t article_id, const int64_t *lists,
			 size_t nlists, int nshards, int flags, int64_t now, int64_t *id)
{
	int rc;

	*id = 0;
	if (nshards < 1 || nshards > MAX_SHARDS) {
		store_set_err(s, "an alert has 1 to %d shards", MAX_SHARDS);
		return NF_ERR_INVALID;
	}
	if (lists == NULL || nlists == 0) {
		store_set_err(s, "an alert goes to at least one list");
		return NF_ERR_INVALID;
	}
	if ((rc = store_tx_begin(s)) != NF_OK)
		return rc;
	rc = create_locked(s, article_id, lists, nlists, nshards, flags, store_now(now), id);
	if (rc == NF_OK && *id && s->ops->notify)
		rc = s->ops->notify(s, STORE_ALERT_CHANNEL);	/* workers elsewhere wake at commit */
	return store_tx_end(s, rc);
}

int
store_audience_count(struct store *s, const int64_t *lists, size_t nlists, int64_t *count)
{
	struct store_param p;
	struct buf ids;
	size_t i;
	int rc;

	*count = 0;
	if (nlists == 0)
		return NF_OK;
	buf_init(&ids, 0);
	for (i = 0; i < nlists; i++)
		buf_printf(&ids, "%c%lld", i ? ',' : '[', (long long)lists[i]);
	buf_puts(&ids, "]");
	p = SP_TEXT(ids.data);
	rc = store_exec_int(s, Q_AUDIENCE_COUNT, &p, 1, count);
	buf_free(&ids);
	return rc;
}

int
store_alert_create(struct store *s, int64_t article_id, int64_t list_id, int nshards,
		   int64_t now, int64_t *id)
{
	return store_alert_create_lists(s, article_id, &list_id, 1, nshards, 0, now, id);
}

int
store_listen(struct store *s)
{
	return s->ops->listen ? s->ops->listen(s, STORE_ALERT_CHANNEL) : NF_OK;
}

int
store_notify_fd(struct store *s)
{
	return s->ops->notify_fd ? s->ops->notify_fd(s) : -1;
}

int
store_notify_drain(struct store *s)
{
	return s->ops->notify_drain ? s->ops->notify_drain(s) : 0;
}

static int
collect_alert(void *arg, const struct store_row *r)
{
	store_ptrs_push(arg, store_alert_from_row(r));
	return NF_OK;
}

int
store_alert_list(struct store *s, size_t limit, struct store_alert ***out, size_t *n)
{
	struct store_ptrs l = { NULL, 0, 0 };
	struct store_param p = SP_INT(limit ? limit : 100);
	int rc = store_exec(s, Q_ALERT_LIST, &p, 1, collect_alert, &l, NULL);

	if (rc != NF_OK) {
		store_alert_list_free((struct store_alert **)l.items, l.n);
		l.items = NULL;
		l.n = 0;
	}
	*out = (struct store_alert **)l.items;
	*n = l.n;
	return rc;
}

int
store_alert_get(struct store *s, int64_t id, struct store_alert **out)
{
	struct store_ptrs l = { NULL, 0, 0 };
	struct store_param p = SP_INT(id);
	int rc = store_exec(s, Q_ALERT_GET, &p, 1, collect_alert, &l, NULL);

	*out = NULL;
	if (rc == NF_OK && l.n == 0)
		rc = NF_ERR_NOTFOUND;
	if (rc == NF_OK)
		*out = l.items[0];
	free(l.items);
	return rc;
}

/* nothing changed: NF_ERR_NOTFOUND when there is no such alert, else NF_ERR_INVALID */
static int
unchanged(struct store *s, int64_t id)
{
	struct store_alert *a = NULL;
	int rc = store_alert_get(s, id, &a);

	store_alert_free(a);
	return rc == NF_OK ? NF_ERR_INVALID : rc;
}

/* q moved alert id (one row changed), and who did it is in its audit */
static int
audited_locked(struct store *s, enum store_q q, int64_t id, const char *action, const char *who,
	       int64_t now)
{
	struct store_param p[4] = { SP_INT(id), SP_INT(now), SP_TEXT(action), SP_TEXT(who) };
	int64_t n = 0;
	int rc = store_exec(s, q, p, 2, NULL, NULL, &n);

	if (rc != NF_OK)
		return rc;
	if (n == 0)
		return unchanged(s, id);
	if (who == NULL)
		return NF_OK;
	return store_exec(s, Q_ALERT_EVENT_ADD, p, 4, NULL, NULL, NULL);
}

int
store_alert_stop(struct store *s, int64_t id, const char *who, int64_t now)
{
	int rc;

	if ((rc = store_tx_begin(s)) != NF_OK)
		return rc;
	return store_tx_end(s, audited_locked(s, Q_ALERT_CANCEL, id, "stopped", who, store_now(now)));
}

int
store_alert_cancel(struct store *s, int64_t id, int64_t now)
{
	return store_alert_stop(s, id, NULL, now);
}

/*
 * Resuming sets the alert sending; an alert whose every shard had ended
 * (stopped while retries waited) is settled at once, as the last shard's
 * finish would have. Shards still leased by the engine that was draining
 * them when the stop came are claimed once it gives them back.
 */
static int
resume_locked(struct store *s, int64_t id, const char *who, int64_t now)
{
	struct store_param p[2] = { SP_INT(id), SP_INT(now) };
	int rc = audited_locked(s, Q_ALERT_RESUME, id, "resumed", who, now);

	if (rc == NF_OK)
		rc = store_exec(s, Q_ALERT_DONE_IF, p, 2, NULL, NULL, NULL);
	if (rc == NF_OK && s->ops->notify)
		rc = s->ops->notify(s, STORE_ALERT_CHANNEL);
	return rc;
}

int
store_alert_resume(struct store *s, int64_t id, const char *who, int64_t now)
{
	int rc;

	if ((rc = store_tx_begin(s)) != NF_OK)
		return rc;
	return store_tx_end(s, resume_locked(s, id, who, store_now(now)));
}

#define EVT(field) offsetof(struct store_alert_event, field)
static const struct store_strmap event_map[] = { { 1, EVT(action) }, { 2, EVT(who) } };

static int
collect_event(void *arg, const struct store_row *r)
{
	struct store_alert_event *ev = store_row_pack(sizeof(*ev), r, event_map,
						      NF_ARRAY_LEN(event_map));

	ev->at = store_col_int(r, 0);
	store_ptrs_push(arg, ev);
	return NF_OK;
}

void
store_alert_event_list_free(struct store_alert_event **evs, size_t n)
{
	size_t i;

	for (i = 0; evs && i < n; i++)
		free(evs[i]);
	free(evs);
}

int
store_alert_events(struct store *s, int64_t id, struct store_alert_event ***out, size_t *n)
{
	struct store_ptrs l = { NULL, 0, 0 };
	struct store_param p = SP_INT(id);
	int rc = store_exec(s, Q_ALERT_EVENTS, &p, 1, collect_event, &l, NULL);

	if (rc != NF_OK) {
		store_alert_event_list_free((struct store_alert_event **)l.items, l.n);
		l.items = NULL;
		l.n = 0;
	}
	*out = (struct store_alert_event **)l.items;
	*n = l.n;
	return rc;
}

int
store_alert_finish(struct store *s, int64_t id, int64_t now, int *done)
{
	struct store_param p[2] = { SP_INT(id), SP_INT(store_now(now)) };
	struct store_alert *a = NULL;
	int rc = store_exec(s, Q_ALERT_DONE_IF, p, 2, NULL, NULL, NULL);

	if (rc == NF_OK)
		rc = store_alert_get(s, id, &a);
	if (done)
		*done = rc == NF_OK && a->state == STORE_DONE;
	store_alert_free(a);
	return rc;
}

int
store_alert_settle(struct store *s, int64_t id, int64_t now, int64_t *done)
{
	struct store_param p[2];
	int64_t n = 0;
	int rc;

	now = store_now(now);
	if (id) {
		p[0] = SP_INT(id);
		p[1] = SP_INT(now);
		rc = store_exec(s, Q_ALERT_SETTLE, p, 2, NULL, NULL, &n);
	} else {
		p[0] = SP_INT(now);
		rc = store_exec(s, Q_ALERTS_SETTLE, p, 1, NULL, NULL, &n);
	}
	if (done)
		*done = rc == NF_OK ? n : 0;
	return rc;
}

/* ---- shards ---- */

/* SHARD_COLS in store/query.c */
static int
take_shard(void *arg, const struct store_row *r)
{
	struct store_shard *sh = arg;

	sh->id = store_col_int(r, 0);
	sh->alert_id = store_col_int(r, 1);
	sh->no = (int)store_col_int(r, 2);
	sh->lo = store_col_int(r, 3);
	sh->hi = store_col_int(r, 4);
	sh->cursor = store_col_int(r, 5);
	sh->lease_expiry = store_col_int(r, 6);
	sh->sent = store_col_int(r, 7);
	sh->failed = store_col_int(r, 8);
	return NF_OK;
}

struct alert_of {
	int64_t id, list_id, article_id;
	int state, nlists;
};

static int
take_alert_of(void *arg, const struct store_row *r)
{
	struct alert_of *a = arg;

	a->id = store_col_int(r, 0);
	a->list_id = store_col_int(r, 1);
	a->article_id = store_col_int(r, 2);
	a->state = store_alert_state_parse(r->val[3]);
	a->nlists = (int)store_col_int(r, 4);
	return NF_OK;
}

static int
alert_of_shard(struct store *s, int64_t shard_id, struct alert_of *a)
{
	struct store_param p = SP_INT(shard_id);

	a->id = 0;
	return store_exec(s, Q_ALERT_OF_SHARD, &p, 1, take_alert_of, a, NULL);
}

static int
claim_locked(struct store *s, const char *owner, int64_t now, int64_t lease,
	     struct store_shard *out)
{
	struct store_param p[3] = { SP_TEXT(owner), SP_INT(now), SP_INT(now + lease) };
	struct alert_of a;
	int rc;

	out->id = 0;
	if ((rc = store_exec(s, Q_SHARD_CLAIM, p, 3, take_shard, out, NULL)) != NF_OK)
		return rc;
	if (out->id == 0)
		return NF_ERR_NOTFOUND;
	p[0] = SP_INT(out->alert_id);
	p[1] = SP_INT(now);
	if ((rc = store_exec(s, Q_ALERT_START, p, 2, NULL, NULL, NULL)) != NF_OK)
		return rc;
	if ((rc = alert_of_shard(s, out->id, &a)) != NF_OK)
		return rc;
	out->list_id = a.list_id;
	out->article_id = a.article_id;
	out->nlists = a.nlists;
	return NF_OK;
}

int
store_shard_claim(struct store *s, const char *owner, int64_t now, int64_t lease_secs,
		  struct store_shard *out)
{
	int rc;

	if (owner == NULL || *owner == '\0' || lease_secs <= 0) {
		store_set_err(s, "a claim needs an owner and a lease");
		return NF_ERR_INVALID;
	}
	memset(out, 0, sizeof(*out));
	if ((rc = store_tx_begin(s)) != NF_OK)
		return rc;
	now = store_now(now);
	return store_tx_end(s, claim_locked(s, owner, now, lease_secs, out));
}

int
store_shard_renew(struct store *s, int64_t shard_id, const char *owner, int64_t now,
		  int64_t lease_secs)
{
	struct store_param p[3] = { SP_INT(shard_id), SP_TEXT(owner),
				    SP_INT(store_now(now) + lease_secs) };
	int64_t n = 0;
	int rc = store_exec(s, Q_SHARD_RENEW, p, 3, NULL, NULL, &n);

	return rc == NF_OK && n == 0 ? NF_ERR_NOTFOUND : rc;
}

static int
record(struct store *s, int64_t alert, const struct store_delivery_rec *d)
{
	if (d->kind == STORE_PERM)
		return store_delivery_perm(s, alert, d->subscriber_id, d->reply);
	return store_delivery_temp(s, alert, d->subscriber_id, d->next_attempt_at, d->reply);
}

static int
progress_locked(struct store *s, int64_t shard_id, const char *owner, int64_t cursor,
		int64_t sent, const struct store_delivery_rec *recs, size_t nrecs,
		int64_t expiry, int *cancelled)
{
	struct store_param p[6];
	struct alert_of a;
	int64_t alert = 0, failed = 0;
	size_t i;
	int rc;

	for (i = 0; i < nrecs; i++)
		failed += recs[i].kind == STORE_PERM;
	p[0] = SP_INT(shard_id);
	p[1] = SP_TEXT(owner);
	p[2] = SP_INT(cursor);
	p[3] = SP_INT(sent);
	p[4] = SP_INT(failed);
	p[5] = SP_INT(expiry);
	if ((rc = store_exec_int(s, Q_SHARD_PROGRESS, p, 6, &alert)) != NF_OK)
		return rc;	/* NOT FOUND: the lease is someone else's now */
	for (i = 0; i < nrecs && rc == NF_OK; i++)
		rc = record(s, alert, &recs[i]);
	if (rc == NF_OK && cancelled && (rc = alert_of_shard(s, shard_id, &a)) == NF_OK)
		*cancelled = a.state == STORE_CANCELLED;
	return rc;
}

int
store_shard_progress(struct store *s, int64_t shard_id, const char *owner, int64_t cursor,
		     int64_t sent, const struct store_delivery_rec *recs, size_t nrecs,
		     int64_t now, int64_t lease_secs, int *cancelled)
{
	int rc;

	if (cancelled)
		*cancelled = 0;
	if ((rc = store_tx_begin(s)) != NF_OK)
		return rc;
	return store_tx_end(s, progress_locked(s, shard_id, owner, cursor, sent, recs, nrecs,
					       store_now(now) + lease_secs, cancelled));
}

static int
finish_locked(struct store *s, int64_t shard_id, const char *owner, int64_t now)
{
	struct store_param p[2] = { SP_INT(shard_id), SP_TEXT(owner) };
	int64_t alert = 0;
	int rc;

	if ((rc = store_exec_int(s, Q_SHARD_FINISH, p, 2, &alert)) != NF_OK)
		return rc;
	p[0] = SP_INT(alert);
	p[1] = SP_INT(now);
	return store_exec(s, Q_ALERT_DONE_IF, p, 2, NULL, NULL, NULL);
}

int
store_shard_release(struct store *s, int64_t shard_id, const char *owner)
{
	struct store_param p[2] = { SP_INT(shard_id), SP_TEXT(owner) };

	return store_exec(s, Q_SHARD_RELEASE, p, 2, NULL, NULL, NULL);
}

int
store_shard_finish(struct store *s, int64_t shard_id, const char *owner, int64_t now)
{
	int rc;

	if ((rc = store_tx_begin(s)) != NF_OK)
		return rc;
	return store_tx_end(s, finish_locked(s, shard_id, owner, store_now(now)));
}
