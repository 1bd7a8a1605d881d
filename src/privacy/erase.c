/*
 * privacy/erase.c - erasure, the purge of unconfirmed signups, finding a person
 *
 * Owns: the rules of forgetting. Which erasure mode a request means, what
 * the ledger row says about who asked (the person or the operator), how
 * old an unconfirmed signup must be to be purged, and how an address an
 * operator types is matched to a subscriber (its key, as signup stored it:
 * "Jane@Example.com" finds jane@example.com). The rows themselves are the
 * store's (store_subscriber_erase_as, store_subscribers_purge).
 */
#include <string.h>
#include <time.h>

#include "addr/addr.h"
#include "store/store.h"
#include "privacy.h"

int
privacy_erase(struct store *s, int64_t id, enum privacy_requester by, int suppress)
{
	const char *source = by == PRIVACY_BY_SUBJECT ? "erasure: preference centre" : "erasure: operator";
	int rc;

	rc = store_subscriber_erase_as(s, id, source, suppress ? STORE_ERASE_SUPPRESS : STORE_ERASE_FORGET);
	if (rc == NF_OK)
		log_event(LOG_INFO, "subscriber.erased", "source",
			  by == PRIVACY_BY_SUBJECT ? "preferences" : "cli", NULL);
	return rc;
}

int
privacy_purge(struct store *s, int64_t older_than, size_t max, int64_t *n)
{
	return store_subscribers_purge(s, (int64_t)time(NULL) - older_than, max, n);
}

int
privacy_subject_find(struct store *s, const char *email, int64_t *id)
{
	struct store_subscriber *sub = NULL;
	struct addr_result ar;
	int rc;

	addr_check(email, strlen(email), ADDR_SMTPUTF8, &ar);
	rc = ar.valid ? store_subscriber_get_by_key(s, ar.key, &sub) : NF_ERR_NOTFOUND;
	if (rc == NF_OK) {
		*id = sub->id;
		store_subscriber_free(sub);
	}
	return rc;
}
