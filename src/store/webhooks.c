/*
 * store/webhooks.c - outgoing webhooks: endpoints and the event outbox
 *
 * Owns: the endpoints (add, list with their backlog, remove, replay), the
 * names of the event types, and the deliverer's side of the outbox: claim
 * an endpoint under a lease, read its next events in id order, move its
 * cursor when one arrived, record a failed attempt (with the back-off the
 * caller chose) and disable an endpoint that has failed for too long.
 * Does not own: recording the events, which the schema's triggers do in the
 * transaction of each change (schema.c, version 8), nor HTTP and signing
 * (deliver/webhook_post.c).
 *
 * Delivery is at least once and in order per endpoint: the cursor moves
 * past an event only after the endpoint answered 2xx, and only the lease
 * holder may move it. A deliverer that dies leaves its lease to expire;
 * whoever claims next resends from the cursor.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_internal.h"

/* in bit order: names[i] is the type of bit 1 << i */
static const char *const hook_names[] = {
	"subscriber.created", "subscriber.confirmed", "subscriber.unsubscribed",
	"subscriber.bounced", "subscriber.complained", "subscriber.erased",
	"alert.queued", "alert.done", "alert.cancelled", "alert.corrected", "alert.withdrawn",
	"delivery.failed", "feed.error",
};

#define HOOK_NEXT_MAX 1000

const char *
store_hook_event_name(int64_t bit)
{
	size_t i;

	for (i = 0; i < NF_ARRAY_LEN(hook_names); i++)
		if (bit == (int64_t)1 << i)
			return hook_names[i];
	return NULL;
}

int
store_hook_events_parse(const char *list, size_t len, int64_t *mask, char *bad, size_t badlen)
{
	const char *p = list, *end = list + len, *comma;
	size_t i, n;

	*mask = 0;
	if (bad && badlen)
		bad[0] = '\0';
	while (p < end) {
		comma = memchr(p, ',', (size_t)(end - p));
		n = (size_t)((comma ? comma : end) - p);
		while (n > 0 && (*p == ' ' || *p == '\t'))
			p++, n--;
		while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		if (n == 1 && *p == '*') {
			*mask |= STORE_HOOK_ALL;
			p = comma ? comma + 1 : end;
			continue;
		}
		for (i = 0; i < NF_ARRAY_LEN(hook_names); i++)
			if (strlen(hook_names[i]) == n && memcmp(hook_names[i], p, n) == 0)
				break;
		if (i == NF_ARRAY_LEN(hook_names)) {
			if (bad && badlen)
				snprintf(bad, badlen, "%.*s", (int)(n < 64 ? n : 64), p);
			return NF_ERR_INVALID;
		}
		*mask |= (int64_t)1 << i;
		p = comma ? comma + 1 : end;
	}
	return *mask ? NF_OK : NF_ERR_INVALID;
}

void
store_hook_events_format(int64_t mask, struct buf *out)
{
	size_t i;
	int first = 1;

	for (i = 0; i < NF_ARRAY_LEN(hook_names); i++)
		if (mask & ((int64_t)1 << i)) {
			buf_printf(out, "%s%s", first ? "" : ",", hook_names[i]);
			first = 0;
		}
}

/* HOOK_COLS (+ the backlog) in store/query.c */
static struct store_hook *
hook_from_row(const struct store_row *r)
{
	static const struct store_strmap m[] = {
		{ 1, offsetof(struct store_hook, url) },
		{ 2, offsetof(struct store_hook, secret) },
		{ 12, offsetof(struct store_hook, last_error) },
	};
	struct store_hook *h = store_row_pack(sizeof(*h), r, m, NF_ARRAY_LEN(m));

	h->id = store_col_int(r, 0);
	h->events = store_col_int(r, 3);
	h->include_email = store_col_int(r, 4) != 0;
	h->created_at = store_col_int(r, 5);
	h->cursor = store_col_int(r, 6);
	h->attempts = store_col_int(r, 7);
	h->next_at = store_col_int(r, 8);
	h->failing_since = store_col_int(r, 9);
	h->last_at = store_col_int(r, 10);
	h->last_status = store_col_int(r, 11);
	h->disabled_at = store_col_int(r, 13);
	h->backlog = store_col_int(r, 14);
	return h;
}

static int
collect_hook(void *arg, const struct store_row *r)
{
	store_ptrs_push(arg, hook_from_row(r));
	return NF_OK;
}

void
store_hook_free(struct store_hook *h)
{
	free(h);
}

void
store_hook_list_free(struct store_hook **hs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		store_hook_free(hs[i]);
	free(hs);
}

int
store_hook_add(struct store *s, const char *url, const char *secret, int64_t events,
	       int include_email, int64_t *id)
{
	struct store_param p[5] = { SP_TEXT(url), SP_TEXT(secret), SP_INT(events),
				    SP_INT(include_email ? 1 : 0), SP_INT(store_now(0)) };

	if (url == NULL || secret == NULL || (events & STORE_HOOK_ALL) == 0 ||
	    (events & ~(int64_t)STORE_HOOK_ALL) != 0) {
		store_set_err(s, "an endpoint needs a URL, a secret and known events");
		return NF_ERR_INVALID;
	}
	return store_exec_int(s, Q_HOOK_ADD, p, 5, id);
}

/* the rows of q into a list */
static int
hooks_of(struct store *s, enum store_q q, const struct store_param *p, size_t np,
	 struct store_hook ***out, size_t *n)
{
	struct store_ptrs l = { NULL, 0, 0 };
	int rc = store_exec(s, q, p, np, collect_hook, &l, NULL);

	if (rc != NF_OK) {
		store_hook_list_free((struct store_hook **)l.items, l.n);
		return rc;
	}
	*out = (struct store_hook **)l.items;
	*n = l.n;
	return NF_OK;
}

int
store_hook_list(struct store *s, struct store_hook ***out, size_t *n)
{
	return hooks_of(s, Q_HOOK_LIST, NULL, 0, out, n);
}

/* the one endpoint q answers with, or NF_ERR_NOTFOUND */
static int
hook_one(struct store *s, enum store_q q, const struct store_param *p, size_t np,
	 struct store_hook **out)
{
	struct store_hook **hs = NULL;
	size_t n = 0;
	int rc = hooks_of(s, q, p, np, &hs, &n);

	*out = NULL;
	if (rc == NF_OK && n == 0)
		rc = NF_ERR_NOTFOUND;
	if (rc == NF_OK) {
		*out = hs[0];
		hs[0] = NULL;
	}
	store_hook_list_free(hs, n);
	return rc;
}

int
store_hook_get(struct store *s, int64_t id, struct store_hook **out)
{
	struct store_param p = SP_INT(id);

	return hook_one(s, Q_HOOK_GET, &p, 1, out);
}

int
store_hook_remove(struct store *s, int64_t id)
{
	struct store_param p = SP_INT(id);
	int64_t n = 0;
	int rc = store_exec(s, Q_HOOK_DEL, &p, 1, NULL, NULL, &n);

	return rc == NF_OK && n == 0 ? NF_ERR_NOTFOUND : rc;
}

static int
replay_locked(struct store *s, int64_t id, int64_t since, int64_t *n)
{
	struct store_param p[2] = { SP_INT(id), SP_INT(since) };
	struct store_hook *h = NULL;
	int64_t changed = 0;
	int rc = store_exec(s, Q_HOOK_REPLAY, p, 2, NULL, NULL, &changed);

	if (rc == NF_OK && changed == 0)
		rc = NF_ERR_NOTFOUND;
	if (rc == NF_OK && (rc = store_hook_get(s, id, &h)) == NF_OK && n)
		*n = h->backlog;
	store_hook_free(h);
	return rc;
}

int
store_hook_replay(struct store *s, int64_t id, int64_t since, int64_t *n)
{
	int rc;

	if ((rc = store_tx_begin(s)) != NF_OK)
		return rc;
	return store_tx_end(s, replay_locked(s, id, since, n));
}

int
store_hook_record(struct store *s, int64_t bit, int64_t subscriber_id, int64_t alert_id,
		  const char *detail)
{
	struct store_param p[5];
	const char *type = store_hook_event_name(bit);

	if (type == NULL) {
		store_set_err(s, "no webhook event type %lld", (long long)bit);
		return NF_ERR_INVALID;
	}
	p[0] = SP_TEXT(type);
	p[1] = SP_INT(bit);
	p[2] = subscriber_id ? SP_INT(subscriber_id) : SP_NULL;
	p[3] = alert_id ? SP_INT(alert_id) : SP_NULL;
	p[4] = SP_TEXT(detail);
	return store_exec(s, Q_HOOK_RECORD, p, 5, NULL, NULL, NULL);
}

/* ---- the deliverer's side ---- */

int
store_hook_claim(struct store *s, const char *owner, int64_t now, int64_t lease_secs,
		 struct store_hook **out)
{
	struct store_param p[3];
	int64_t due = 0;
	int rc;

	now = store_now(now);
	p[0] = SP_INT(now);
	*out = NULL;
	if (s->depth == 0 && ((rc = store_exec_int(s, Q_HOOK_DUE, p, 1, &due)) != NF_OK || due == 0))
		return rc == NF_OK ? NF_ERR_NOTFOUND : rc;
	p[0] = SP_TEXT(owner);
	p[1] = SP_INT(now);
	p[2] = SP_INT(now + lease_secs);
	if ((rc = store_tx_begin(s)) != NF_OK)
		return rc;
	return store_tx_end(s, hook_one(s, Q_HOOK_CLAIM, p, 3, out));
}

static int
collect_event(void *arg, const struct store_row *r)
{
	static const struct store_strmap m[] = {
		{ 6, offsetof(struct store_hook_event, type) },
		{ 7, offsetof(struct store_hook_event, detail) },
		{ 8, offsetof(struct store_hook_event, email) },
	};
	struct store_hook_event *ev = store_row_pack(sizeof(*ev), r, m, NF_ARRAY_LEN(m));

	ev->id = store_col_int(r, 0);
	ev->bit = store_col_int(r, 1);
	ev->at = store_col_int(r, 2);
	ev->subscriber_id = store_col_int(r, 3);
	ev->alert_id = store_col_int(r, 4);
	ev->article_id = store_col_int(r, 5);
	store_ptrs_push(arg, ev);
	return NF_OK;
}

void
store_hook_events_free(struct store_hook_event **evs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(evs[i]);
	free(evs);
}

int
store_hook_next(struct store *s, const struct store_hook *h, size_t max,
		struct store_hook_event ***out, size_t *n)
{
	struct store_ptrs l = { NULL, 0, 0 };
	struct store_param p[4] = { SP_INT(h->cursor), SP_INT(h->events),
				    SP_INT(h->include_email ? 1 : 0),
				    SP_INT(max == 0 || max > HOOK_NEXT_MAX ? HOOK_NEXT_MAX : max) };
	int rc = store_exec(s, Q_HOOK_NEXT, p, 4, collect_event, &l, NULL);

	if (rc != NF_OK) {
		store_hook_events_free((struct store_hook_event **)l.items, l.n);
		return rc;
	}
	*out = (struct store_hook_event **)l.items;
	*n = l.n;
	return NF_OK;
}

int
store_hook_delivered(struct store *s, int64_t id, const char *owner, int64_t event_id,
		     int64_t status, int64_t now, int64_t lease_secs)
{
	struct store_param p[6] = { SP_INT(id), SP_TEXT(owner), SP_INT(event_id), SP_INT(status),
				    SP_INT(store_now(now)), SP_INT(store_now(now) + lease_secs) };
	int64_t n = 0;
	int rc = store_exec(s, Q_HOOK_DONE, p, 6, NULL, NULL, &n);

	return rc == NF_OK && n == 0 ? NF_ERR_NOTFOUND : rc;
}

int
store_hook_failed(struct store *s, int64_t id, const char *owner, int64_t status,
		  const char *error, int64_t now, int64_t next_at, int64_t give_up, int *disabled)
{
	struct store_param p[7] = { SP_INT(id), SP_TEXT(owner), SP_INT(status), SP_TEXT(error),
				    SP_INT(store_now(now)), SP_INT(next_at), SP_INT(give_up) };
	int64_t off = 0;
	int rc;

	if ((rc = store_tx_begin(s)) != NF_OK)
		return rc;
	rc = store_tx_end(s, store_exec_int(s, Q_HOOK_FAILED, p, 7, &off));
	if (disabled)
		*disabled = rc == NF_OK && off != 0;
	return rc;
}

int
store_hook_release(struct store *s, int64_t id, const char *owner)
{
	struct store_param p[2] = { SP_INT(id), SP_TEXT(owner) };

	return store_exec(s, Q_HOOK_RELEASE, p, 2, NULL, NULL, NULL);
}

int
store_hook_prune(struct store *s, int64_t before, int64_t *n)
{
	struct store_param p = SP_INT(before);
	int64_t gone = 0;
	int rc = store_exec(s, Q_HOOK_PRUNE, &p, 1, NULL, NULL, &gone);

	if (n)
		*n = rc == NF_OK ? gone : 0;
	return rc;
}
