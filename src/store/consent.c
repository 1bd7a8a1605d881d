/*
 * store/consent.c - the consent ledger: append and read back
 *
 * Owns: consent_events rows. The ledger is the proof of consent: who (the
 * subscriber), for what (alerts or marketing), what happened (given,
 * withdrawn, confirmed), when, through which door (form, api, one-click,
 * an import's stated source), from where (ip, user agent), exactly what
 * they were shown (a wording version and a hash of the text), and, for a
 * change to one list's membership, which list. Rows are only
 * ever added; the schema's triggers refuse changes, but for an erasure
 * blanking ip and user agent.
 */
#include <stdlib.h>

#include "store_internal.h"

int
store_consent_add(struct store *s, int64_t subscriber_id, enum store_purpose p,
		  enum store_action a, const struct store_consent_in *ev)
{
	return store_consent_add_list(s, subscriber_id, p, a, ev, 0);
}

int
store_consent_add_list(struct store *s, int64_t subscriber_id, enum store_purpose p,
		       enum store_action a, const struct store_consent_in *ev, int64_t list_id)
{
	struct store_param prm[10];

	if (ev == NULL || ev->source == NULL || *ev->source == '\0') {
		store_set_err(s, "a consent event needs a source");
		return NF_ERR_INVALID;
	}
	prm[0] = SP_INT(subscriber_id);
	prm[1] = SP_TEXT(store_purpose_name(p));
	prm[2] = SP_TEXT(store_action_name(a));
	prm[3] = SP_INT(store_now(ev->at));
	prm[4] = SP_TEXT(ev->source);
	prm[5] = SP_TEXT(ev->ip);
	prm[6] = SP_TEXT(ev->user_agent);
	prm[7] = SP_TEXT(ev->wording_version);
	prm[8] = SP_TEXT(ev->wording_hash);
	prm[9] = list_id > 0 ? SP_INT(list_id) : SP_NULL;
	return store_exec(s, Q_CONSENT_ADD, prm, 10, NULL, NULL, NULL);
}

int
store_consent_append(struct store *s, int64_t subscriber_id, enum store_purpose p,
		     enum store_action a, const struct store_consent_in *ev)
{
	struct store_subscriber *sub = NULL;
	int rc;

	if ((rc = store_tx_begin(s)) != NF_OK)
		return rc;
	rc = store_subscriber_get(s, subscriber_id, &sub);
	if (rc == NF_OK)
		rc = store_consent_add(s, subscriber_id, p, a, ev);
	store_subscriber_free(sub);
	return store_tx_end(s, rc);
}

static int
collect_consent(void *arg, const struct store_row *r)
{
	store_ptrs_push(arg, store_consent_from_row(r));
	return NF_OK;
}

int
store_consent_list(struct store *s, int64_t subscriber_id, struct store_consent ***out,
		   size_t *n)
{
	struct store_ptrs l = { NULL, 0, 0 };
	struct store_param p = SP_INT(subscriber_id);
	int rc = store_exec(s, Q_CONSENT_LIST, &p, 1, collect_consent, &l, NULL);

	if (rc != NF_OK) {
		store_consent_list_free((struct store_consent **)l.items, l.n);
		*out = NULL;
		*n = 0;
		return rc;
	}
	*out = (struct store_consent **)l.items;
	*n = l.n;
	return NF_OK;
}
