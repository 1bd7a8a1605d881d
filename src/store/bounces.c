/*
 * store/bounces.c - what returned mail does to a subscriber
 *
 * Owns: the effects of inbound reports (inbound/ decides what a report
 * says; this file only stores it): a hard bounce or a complaint puts the
 * address key on the suppression list and moves the status, soft bounces
 * are counted in a row until a limit, and the keyed record of which inbound
 * messages were already handled, so that a report read twice acts once.
 * Each change and its ledger row commit together.
 */
#include <stdlib.h>

#include "store_internal.h"

static int
suppress_locked(struct store *s, int64_t id, const char *reason, enum store_sub_status to,
		const struct store_consent_in *ev)
{
	struct store_subscriber *sub = NULL;
	int rc;

	if ((rc = store_subscriber_get(s, id, &sub)) != NF_OK)
		return rc;
	if (sub->status == STORE_ERASED)
		rc = NF_ERR_INVALID;
	else
		rc = store_suppression_add(s, sub->email_key, reason);
	/* a bounced address that complains stays bounced: both stop all mail */
	if (rc == NF_OK && !(sub->status == STORE_BOUNCED && to == STORE_UNSUBSCRIBED))
		rc = store_subscriber_set_status(s, id, to, ev, NULL);
	store_subscriber_free(sub);
	return rc;
}

int
store_subscriber_suppress(struct store *s, int64_t id, const char *reason,
			  enum store_sub_status to, const struct store_consent_in *ev)
{
	int rc;

	if (to != STORE_BOUNCED && to != STORE_UNSUBSCRIBED) {
		store_set_err(s, "a suppressed subscriber is bounced or unsubscribed");
		return NF_ERR_INVALID;
	}
	if ((rc = store_tx_begin(s)) != NF_OK)
		return rc;
	return store_tx_end(s, suppress_locked(s, id, reason, to, ev));
}

static int
soft_locked(struct store *s, int64_t id, int limit, const struct store_consent_in *ev,
	    int *count, int *suppressed)
{
	struct store_param p = SP_INT(id);
	int64_t n = 0;
	int rc;

	if ((rc = store_exec_int(s, Q_SUB_SOFT_BOUNCE, &p, 1, &n)) != NF_OK)
		return rc;	/* NOTFOUND: no such subscriber, or erased */
	*count = (int)n;
	if (limit > 0 && n >= limit) {
		rc = suppress_locked(s, id, "soft-bounce", STORE_BOUNCED, ev);
		*suppressed = rc == NF_OK;
	}
	return rc;
}

int
store_subscriber_soft_bounce(struct store *s, int64_t id, int limit,
			     const struct store_consent_in *ev, int *count, int *suppressed)
{
	int rc, c = 0, sup = 0;

	if ((rc = store_tx_begin(s)) != NF_OK)
		return rc;
	rc = store_tx_end(s, soft_locked(s, id, limit, ev, &c, &sup));
	if (count)
		*count = rc == NF_OK ? c : 0;
	if (suppressed)
		*suppressed = rc == NF_OK ? sup : 0;
	return rc;
}

int
store_subscriber_soft_reset(struct store *s, int64_t id)
{
	struct store_param p = SP_INT(id);

	return store_exec(s, Q_SUB_SOFT_RESET, &p, 1, NULL, NULL, NULL);
}

/*
 * The name is hashed with the store's key before it is kept: a Message-ID
 * can carry anything, an address included, and what is kept here must not
 * need erasing.
 */
int
store_inbound_seen(struct store *s, const char *name, const char *kind, int *fresh)
{
	struct store_param p[3];
	char hash[65];
	int64_t n = 0;
	int rc;

	store_key_hash(s, name, hash);
	p[0] = SP_TEXT(hash);
	p[1] = SP_TEXT(kind);
	p[2] = SP_INT(store_now(0));
	rc = store_exec(s, Q_INBOUND_SEEN, p, 3, NULL, NULL, &n);
	*fresh = rc == NF_OK && n > 0;
	return rc;
}
