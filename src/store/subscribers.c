/*
 * store/subscribers.c - subscribers: signup, status changes, erasure, counts, streaming
 *
 * Owns: the life of a subscriber row and the rule for which status may
 * follow which. Every change that is about consent writes its ledger row in
 * the same transaction as the change itself, so the ledger can never
 * disagree with the status.
 *
 *   pending      -> confirmed (confirmed), unsubscribed, bounced (withdrawn)
 *   confirmed    -> unsubscribed, bounced (withdrawn)
 *   unsubscribed -> pending (given: a new signup), bounced
 *   bounced      -> pending (given), unsubscribed (withdrawn)
 *   any          -> erased, only through store_subscriber_erase; erased is final
 *
 * Streaming reads confirmed members by id range with a cursor and a LIMIT,
 * into a batch reused from call to call: memory stays flat however long the
 * list is, and a crashed sender resumes from the last committed cursor.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store_internal.h"

static int
take_subscriber(void *arg, const struct store_row *r)
{
	struct store_subscriber **out = arg;

	if (*out == NULL)
		*out = store_subscriber_from_row(r);
	return NF_OK;
}

static int
get_by(struct store *s, enum store_q q, struct store_param p, struct store_subscriber **out)
{
	int rc;

	*out = NULL;
	rc = store_exec(s, q, &p, 1, take_subscriber, out, NULL);
	if (rc == NF_OK && *out == NULL)
		rc = NF_ERR_NOTFOUND;
	return rc;
}

int
store_subscriber_get(struct store *s, int64_t id, struct store_subscriber **out)
{
	return get_by(s, Q_SUB_BY_ID, SP_INT(id), out);
}

int
store_subscriber_get_by_key(struct store *s, const char *email_key,
			    struct store_subscriber **out)
{
	if (email_key == NULL) {
		*out = NULL;
		return NF_ERR_NOTFOUND;
	}
	return get_by(s, Q_SUB_BY_KEY, SP_TEXT(email_key), out);
}

/*
 * store_subscriber_insert_row - the subscribers row alone, inside the
 * caller's transaction; NF_ERR_NOTFOUND, with nothing written, when the key
 * is taken. The import writes memberships and ledger rows per batch.
 */
int
store_subscriber_insert_row(struct store *s, const struct store_signup *in, int64_t *id)
{
	struct store_param p[10];
	int64_t at = in->consent.at;
	char salt[33], hash[65];

	store_new_salt(salt);
	store_key_hash(s, in->email_key, hash);
	p[0] = SP_TEXT(in->email);
	p[1] = SP_TEXT(in->email_key);
	/* the display form is kept only when it says something the address does not */
	p[2] = in->email_display && strcmp(in->email_display, in->email) != 0 ?
	       SP_TEXT(in->email_display) : SP_NULL;
	p[3] = SP_TEXT(in->name);
	p[4] = SP_TEXT(in->confirmed ? "confirmed" : "pending");
	p[5] = SP_INT(at);
	p[6] = in->confirmed ? SP_INT(at) : SP_NULL;
	p[7] = SP_TEXT(salt);
	p[8] = SP_INT(in->marketing ? 1 : 0);
	p[9] = SP_TEXT(hash);	/* so the audience also finds an erasure's suppression */
	return store_exec_int(s, Q_SUB_INSERT, p, 10, id);
}

/*
 * store_subscriber_insert - the row, its membership in list and its consent
 * events (alerts given; marketing given when ticked), inside the caller's
 * transaction. NF_ERR_NOTFOUND, with nothing written, when the key is taken.
 * in->consent.at must be set.
 */
int
store_subscriber_insert(struct store *s, const struct store_signup *in, int64_t list,
			int64_t *id)
{
	int rc;

	if ((rc = store_subscriber_insert_row(s, in, id)) != NF_OK)
		return rc;
	if ((rc = store_membership_add(s, *id, list)) != NF_OK)
		return rc;
	if ((rc = store_consent_add(s, *id, STORE_ALERTS, STORE_GIVEN, &in->consent)) != NF_OK)
		return rc;
	if (in->marketing)
		rc = store_consent_add(s, *id, STORE_MARKETING, STORE_GIVEN, &in->consent);
	return rc;
}

static int
create_locked(struct store *s, const struct store_signup *in, int64_t *id,
	      enum store_sub_status *status, int *created)
{
	struct store_subscriber *old = NULL;
	struct store_signup now = *in;
	int64_t list = s->default_list;
	int rc;

	if (in->list && store_list_get(s, in->list, &list) != NF_OK) {
		store_set_err(s, "no list named '%s'", in->list);
		return NF_ERR_INVALID;
	}
	now.consent.at = store_now(in->consent.at);
	rc = store_subscriber_insert(s, &now, list, id);
	if (rc == NF_ERR_NOTFOUND) {
		/* the key is there: say what it is and change nothing */
		if ((rc = store_subscriber_get_by_key(s, in->email_key, &old)) == NF_OK) {
			*id = old->id;
			*status = old->status;
		}
		store_subscriber_free(old);
		return rc;
	}
	if (rc == NF_OK) {
		*created = 1;
		*status = in->confirmed ? STORE_CONFIRMED : STORE_PENDING;
	}
	return rc;
}

int
store_subscriber_create(struct store *s, const struct store_signup *in, int64_t *id,
			enum store_sub_status *status, int *created)
{
	int rc, made = 0;
	int64_t sid = 0;
	enum store_sub_status st = STORE_PENDING;

	if (in->email == NULL || *in->email == '\0' || in->email_key == NULL ||
	    *in->email_key == '\0' || in->consent.source == NULL) {
		store_set_err(s, "a subscriber needs an address, its key and a consent source");
		return NF_ERR_INVALID;
	}
	if ((rc = store_tx_begin(s)) != NF_OK)
		return rc;
	rc = store_tx_end(s, create_locked(s, in, &sid, &st, &made));
	if (rc == NF_OK) {
		if (id)
			*id = sid;
		if (status)
			*status = st;
		if (created)
			*created = made;
	}
	return rc;
}

/* the ledger action a move to `to` records, or -1 when the move is refused */
static int
transition(enum store_sub_status from, enum store_sub_status to)
{
	switch (to) {
	case STORE_CONFIRMED:
		return from == STORE_PENDING ? STORE_CONFIRMED_ACT : -1;
	case STORE_UNSUBSCRIBED:
		return from == STORE_PENDING || from == STORE_CONFIRMED || from == STORE_BOUNCED ?
		       STORE_WITHDRAWN : -1;
	case STORE_BOUNCED:
		return from == STORE_PENDING || from == STORE_CONFIRMED ||
		       from == STORE_UNSUBSCRIBED ? STORE_WITHDRAWN : -1;
	case STORE_PENDING:
		return from == STORE_UNSUBSCRIBED || from == STORE_BOUNCED ? STORE_GIVEN : -1;
	default:
		return -1;
	}
}

static int
set_status_locked(struct store *s, int64_t id, enum store_sub_status to,
		  const struct store_consent_in *ev, int *changed)
{
	struct store_subscriber *sub = NULL;
	struct store_param p[3];
	int64_t at = store_now(ev->at);
	int rc, action;

	if ((rc = store_subscriber_get(s, id, &sub)) != NF_OK)
		return rc;
	if (sub->status == to) {
		store_subscriber_free(sub);
		return NF_OK;
	}
	if ((action = transition(sub->status, to)) < 0) {
		store_set_err(s, "subscriber %lld cannot go from %s to %s", (long long)id,
			      store_status_name(sub->status), store_status_name(to));
		store_subscriber_free(sub);
		return NF_ERR_INVALID;
	}
	/* a suppressed address (by key or an erasure's keyed hash) is never confirmed */
	if (to == STORE_CONFIRMED &&
	    (rc = store_suppression_check(s, sub->email_key, NULL)) != NF_ERR_NOTFOUND) {
		if (rc == NF_OK)
			store_set_err(s, "subscriber %lld is suppressed", (long long)id);
		store_subscriber_free(sub);
		return rc == NF_OK ? NF_ERR_INVALID : rc;
	}
	p[0] = SP_INT(id);
	p[1] = SP_TEXT(store_status_name(to));
	p[2] = to == STORE_CONFIRMED ? SP_INT(at) :
	       sub->confirmed_at ? SP_INT(sub->confirmed_at) : SP_NULL;
	store_subscriber_free(sub);
	rc = store_exec(s, Q_SUB_SET_STATUS, p, 3, NULL, NULL, NULL);
	if (rc == NF_OK)
		rc = store_consent_add(s, id, STORE_ALERTS, (enum store_action)action, ev);
	if (rc == NF_OK)
		*changed = 1;
	return rc;
}

int
store_subscriber_set_status(struct store *s, int64_t id, enum store_sub_status to,
			    const struct store_consent_in *ev, int *changed)
{
	int rc, ch = 0;

	if (ev == NULL || ev->source == NULL) {
		store_set_err(s, "a status change needs a consent source");
		return NF_ERR_INVALID;
	}
	if ((rc = store_tx_begin(s)) != NF_OK)
		return rc;
	rc = store_tx_end(s, set_status_locked(s, id, to, ev, &ch));
	if (changed)
		*changed = rc == NF_OK ? ch : 0;
	return rc;
}

static int
set_marketing_locked(struct store *s, int64_t id, int on, const struct store_consent_in *ev,
		     int *changed)
{
	struct store_subscriber *sub = NULL;
	struct store_param p[2] = { SP_INT(id), SP_INT(on ? 1 : 0) };
	int rc;

	if ((rc = store_subscriber_get(s, id, &sub)) != NF_OK)
		return rc;
	if (sub->status == STORE_ERASED)
		rc = NF_ERR_INVALID;
	else if (sub->marketing != (on != 0)) {
		rc = store_exec(s, Q_SUB_SET_MARKETING, p, 2, NULL, NULL, NULL);
		if (rc == NF_OK)
			rc = store_consent_add(s, id, STORE_MARKETING,
					       on ? STORE_GIVEN : STORE_WITHDRAWN, ev);
		*changed = rc == NF_OK;
	}
	store_subscriber_free(sub);
	return rc;
}

int
store_subscriber_set_marketing(struct store *s, int64_t id, int on,
			       const struct store_consent_in *ev, int *changed)
{
	int rc, ch = 0;

	if (ev == NULL || ev->source == NULL) {
		store_set_err(s, "a marketing change needs a consent source");
		return NF_ERR_INVALID;
	}
	if ((rc = store_tx_begin(s)) != NF_OK)
		return rc;
	rc = store_tx_end(s, set_marketing_locked(s, id, on, ev, &ch));
	if (changed)
		*changed = rc == NF_OK ? ch : 0;
	return rc;
}

int
store_subscriber_confirm_sent(struct store *s, int64_t id, int64_t at)
{
	struct store_param p[2] = { SP_INT(id), SP_INT(store_now(at)) };
	int64_t n = 0;
	int rc = store_exec(s, Q_SUB_CONFIRM_SENT, p, 2, NULL, NULL, &n);

	return rc == NF_OK && n == 0 ? NF_ERR_NOTFOUND : rc;
}

/*
 * The suppression an erasure leaves: a plain-key row would keep the
 * address, so it becomes the keyed hash. SUPPRESS keeps a hash in any case
 * (reason "erased"); FORGET keeps one only when the address was suppressed
 * already (a bounce or a complaint must outlive the person's data, or an
 * old CSV would bring a dead address back), with its reason.
 */
static int
erase_suppression(struct store *s, const char *email_key, enum store_erase_mode mode)
{
	struct store_param p[3];
	char hash[65], *had = NULL;
	int rc;

	rc = store_suppression_check(s, email_key, &had);
	if (rc != NF_OK && rc != NF_ERR_NOTFOUND)
		return rc;
	store_key_hash(s, email_key, hash);
	p[0] = SP_TEXT(email_key);
	rc = store_exec(s, Q_SUPP_DEL_KEY, p, 1, NULL, NULL, NULL);
	p[0] = SP_TEXT(hash);
	p[1] = SP_TEXT(mode == STORE_ERASE_SUPPRESS || had == NULL ? "erased" : had);
	p[2] = SP_INT(store_now(0));
	if (rc == NF_OK && (mode == STORE_ERASE_SUPPRESS || had != NULL))
		rc = store_exec(s, Q_SUPP_ADD_HASH, p, 3, NULL, NULL, NULL);
	free(had);
	return rc;
}

/*
 * Erasure deletes what identifies the person and keeps what proves the
 * service behaved: the row stays (status erased, no address), the ledger
 * rows stay without ip and user agent, and one more ledger row says the
 * erasure happened.
 */
static int
erase_locked(struct store *s, int64_t id, const char *source, enum store_erase_mode mode)
{
	struct store_consent_in ev = { source, NULL, NULL, NULL, NULL, 0 };
	struct store_subscriber *sub = NULL;
	struct store_param p[3];
	char salt[33];
	int rc;

	if ((rc = store_subscriber_get(s, id, &sub)) != NF_OK)
		return rc;
	if (sub->status == STORE_ERASED) {
		store_subscriber_free(sub);
		return NF_OK;
	}
	rc = erase_suppression(s, sub->email_key, mode);
	p[0] = SP_INT(id);
	if (rc == NF_OK)
		rc = store_exec(s, Q_SUB_UNLIST, p, 1, NULL, NULL, NULL);
	if (rc == NF_OK)
		rc = store_exec(s, Q_SUB_UNDELIVER, p, 1, NULL, NULL, NULL);
	if (rc == NF_OK)
		rc = store_exec(s, Q_CONSENT_SCRUB, p, 1, NULL, NULL, NULL);
	if (rc == NF_OK)
		rc = store_exec(s, Q_LINK_DEL_SUB, p, 1, NULL, NULL, NULL);
	store_new_salt(salt);
	p[1] = SP_TEXT(salt);
	if (rc == NF_OK)
		rc = store_exec(s, Q_SUB_ERASE, p, 2, NULL, NULL, NULL);
	if (rc == NF_OK)
		rc = store_consent_add(s, id, STORE_ALERTS, STORE_WITHDRAWN, &ev);
	if (rc == NF_OK && sub->marketing)
		rc = store_consent_add(s, id, STORE_MARKETING, STORE_WITHDRAWN, &ev);
	store_subscriber_free(sub);
	return rc;
}

/*
 * Outside any caller's transaction the files are scrubbed at once (see
 * store_scrub); a caller batching erasures scrubs once after its commit.
 */
int
store_subscriber_erase_as(struct store *s, int64_t id, const char *source,
			  enum store_erase_mode mode)
{
	int rc;

	if ((rc = store_tx_begin(s)) != NF_OK)
		return rc;
	rc = store_tx_end(s, erase_locked(s, id, source ? source : "erasure", mode));
	if (rc == NF_OK && s->depth == 0 && store_scrub(s) != NF_OK)
		log_event(LOG_WARN, "store.scrub_deferred", "reason", store_errmsg(s), NULL);
	return rc;
}

int
store_subscriber_erase(struct store *s, int64_t id, const char *source)
{
	return store_subscriber_erase_as(s, id, source, STORE_ERASE_SUPPRESS);
}

int
store_subscriber_count(struct store *s, const char *list, enum store_sub_status status,
		       int64_t *n)
{
	struct store_param p[2];
	int64_t lid;
	int rc;

	p[1] = status == STORE_ANY ? SP_NULL : SP_TEXT(store_status_name(status));
	if (list == NULL)
		return store_exec_int(s, Q_COUNT_ALL, &p[1], 1, n);
	if ((rc = store_list_get(s, list, &lid)) != NF_OK)
		return rc;
	p[0] = SP_INT(lid);
	return store_exec_int(s, Q_COUNT_LIST, p, 2, n);
}

/* ---- streaming ---- */

#define STREAM_MAX 100000	/* rows in one batch, at most */

/* the rows a batch may hold: 1 to STREAM_MAX */
static size_t
batch_max(size_t max)
{
	return max == 0 ? 1 : max > STREAM_MAX ? STREAM_MAX : max;
}

static int
next_batch(struct store *s, enum store_q q, struct store_param *p, size_t np, int64_t *cursor,
	   size_t max, struct store_batch *b)
{
	max = batch_max(max);
	p[np - 1] = SP_INT(max);
	return store_batch_fetch(s, q, p, np, max, cursor, b);
}

int
store_members_next(struct store *s, int64_t list_id, int64_t *cursor, int64_t hi, size_t max,
		   struct store_batch *b)
{
	struct store_param p[4] = { SP_INT(list_id), SP_INT(*cursor),
				    SP_INT(hi > 0 ? hi : INT64_MAX), SP_NULL };

	return next_batch(s, Q_MEMBERS_NEXT, p, 4, cursor, max, b);
}

int
store_audience_next(struct store *s, int64_t alert_id, int sparse, int64_t *cursor, int64_t hi,
		    size_t max, struct store_batch *b)
{
	struct store_param p[4] = { SP_INT(alert_id), SP_INT(*cursor),
				    SP_INT(hi > 0 ? hi : INT64_MAX), SP_NULL };

	if (sparse && s->ops->dialect == STORE_SQLITE)	/* no LATERAL there: audience_merge.c */
		return store_audience_merged(s, alert_id, cursor, p[2].i, batch_max(max), b);
	return next_batch(s, sparse ? Q_AUDIENCE_SPARSE : Q_AUDIENCE_NEXT, p, 4, cursor, max, b);
}

int
store_shard_members_next(struct store *s, const struct store_shard *sh, int64_t *cursor,
			 size_t max, struct store_batch *b)
{
	if (sh->nlists <= 1)
		return store_members_next(s, sh->list_id, cursor, sh->hi, max, b);
	/* an alert's first list is breaking-news when it has it (news_audience) */
	return store_audience_next(s, sh->alert_id, sh->list_id != s->default_list, cursor, sh->hi,
				   max, b);
}

int
store_subscribers_next(struct store *s, int64_t *cursor, size_t max, struct store_batch *b)
{
	struct store_param p[2] = { SP_INT(*cursor), SP_NULL };

	return next_batch(s, Q_SUBS_NEXT, p, 2, cursor, max, b);
}
