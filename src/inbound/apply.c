/*
 * inbound/apply.c - acting on what came back, once
 *
 * Owns: the rules that turn a classified message into store changes, and
 * doing each message once. The rules:
 *   DSN, a recipient failed with 5.x.x  suppress ("bounce"), status bounced
 *   DSN, failed with 4.x.x (given up)   soft bounce: counted; at the limit
 *                                       in a row, suppressed and bounced
 *   DSN, delivered/relayed/expanded     the row of soft bounces is broken
 *   DSN, delayed                        a warning: nothing
 *   ARF (any type but not-spam)         suppress ("complaint"), unsubscribe,
 *                                       marketing withdrawn: the person
 *                                       called our mail spam
 *   mail to unsubscribe+ID-MAC@         unsubscribe (RFC 2369 mailto)
 * A report is about the subscriber whose signed token it carries
 * (ident.c); a mailto only counts when the token is in the message's own
 * recipient fields, since anyone could quote one in a body. Each message
 * is recorded (store_inbound_seen) in the same transaction as its effects,
 * so a crash between the two is impossible and a second run finds it done;
 * one whose token did not verify is not recorded (it was not acted on).
 */
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "inbound_internal.h"

void
inbound_config_defaults(struct inbound_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->soft_limit = INBOUND_SOFT_LIMIT;
}

const char *
inbound_outcome_name(enum inbound_outcome o)
{
	static const char *const names[] = { "duplicate", "ignored", "unverified", "skipped",
					     "suppressed", "counted", "reset", "unsubscribed" };

	return (size_t)o < NF_ARRAY_LEN(names) ? names[o] : "?";
}

/* the first identity that verifies for a live subscriber: their id, else 0 */
static int
identify(struct store *s, const struct token_key *key, const struct inbound_report *r,
	 int envelope_mailto_only, int64_t *id)
{
	struct store_subscriber *sub = NULL;
	size_t i;
	int rc, ok;

	*id = 0;
	for (i = 0; i < r->nidents; i++) {
		const struct inbound_ident *c = &r->idents[i];

		if (envelope_mailto_only && (c->kind != INBOUND_ID_MAILTO || !c->envelope))
			continue;
		if (c->id == 0 || c->id > INT64_MAX)
			continue;
		rc = store_subscriber_get(s, (int64_t)c->id, &sub);
		if (rc == NF_ERR_NOTFOUND)
			continue;
		if (rc != NF_OK)
			return rc;
		ok = sub->status != STORE_ERASED && inbound_ident_verify(key, c, sub->token_salt);
		store_subscriber_free(sub);
		if (ok) {
			*id = (int64_t)c->id;
			return NF_OK;
		}
	}
	return NF_OK;
}

static int
apply_dsn(struct store *s, const struct inbound_config *cfg, const struct inbound_report *r,
	  int64_t id, struct inbound_result *res)
{
	struct store_consent_in ev = { "bounce", NULL, NULL, NULL, NULL, 0 };
	int rc, suppressed = 0;

	switch (r->verdict) {
	case INBOUND_HARD:
		res->outcome = INBOUND_SUPPRESSED;
		return store_subscriber_suppress(s, id, "bounce", STORE_BOUNCED, &ev);
	case INBOUND_SOFT:
		ev.source = "soft-bounce";
		rc = store_subscriber_soft_bounce(s, id, cfg->soft_limit, &ev, &res->soft_count,
						  &suppressed);
		res->outcome = suppressed ? INBOUND_SUPPRESSED : INBOUND_COUNTED;
		return rc;
	case INBOUND_DELIVERED:
		res->outcome = INBOUND_RESET;
		return store_subscriber_soft_reset(s, id);
	default:
		res->outcome = INBOUND_IGNORED;
		return NF_OK;
	}
}

static int
apply_complaint(struct store *s, int64_t id, struct inbound_result *res)
{
	struct store_consent_in ev = { "complaint", NULL, NULL, NULL, NULL, 0 };
	int rc;

	res->outcome = INBOUND_UNSUBSCRIBED;
	rc = store_subscriber_suppress(s, id, "complaint", STORE_UNSUBSCRIBED, &ev);
	if (rc == NF_OK)
		rc = store_subscriber_set_marketing(s, id, 0, &ev, NULL);
	return rc;
}

static int
apply_mailto(struct store *s, int64_t id, struct inbound_result *res)
{
	struct store_consent_in ev = { "mailto", NULL, NULL, NULL, NULL, 0 };
	struct store_subscriber *sub = NULL;
	int rc;

	res->outcome = INBOUND_UNSUBSCRIBED;
	if ((rc = store_subscriber_get(s, id, &sub)) != NF_OK)
		return rc;
	/* bounced already stops all mail; unsubscribed is where we are going */
	if (sub->status != STORE_BOUNCED)
		rc = store_subscriber_set_status(s, id, STORE_UNSUBSCRIBED, &ev, NULL);
	store_subscriber_free(sub);
	return rc;
}

/* what the report means for the store, inside the caller's transaction */
static int
apply(struct store *s, const struct inbound_config *cfg, const struct inbound_report *r,
      struct inbound_result *res)
{
	int rc;

	res->outcome = INBOUND_IGNORED;
	if (r->kind == INBOUND_MALFORMED) {
		res->outcome = INBOUND_SKIPPED;
		return NF_OK;
	}
	if (r->kind == INBOUND_OTHER || (r->kind == INBOUND_DSN && r->verdict < INBOUND_DELIVERED) ||
	    (r->kind == INBOUND_DSN && r->verdict == INBOUND_DELAYED) ||
	    (r->kind == INBOUND_ARF && strcmp(r->feedback_type, "not-spam") == 0))
		return NF_OK;
	rc = identify(s, cfg->key, r, r->kind == INBOUND_UNSUBSCRIBE, &res->subscriber_id);
	if (rc != NF_OK)
		return rc;
	if (res->subscriber_id == 0) {
		res->outcome = INBOUND_UNVERIFIED;
		return NF_OK;
	}
	if (r->kind == INBOUND_DSN)
		return apply_dsn(s, cfg, r, res->subscriber_id, res);
	if (r->kind == INBOUND_ARF)
		return apply_complaint(s, res->subscriber_id, res);
	return apply_mailto(s, res->subscriber_id, res);
}

/* the name a message is remembered by: its Message-ID, else its digest */
static void
message_name(const struct inbound_report *r, struct buf *name)
{
	if (r->message_id[0]) {
		buf_printf(name, "mid:%s", r->message_id);
		return;
	}
	buf_puts(name, "sha256:");
	hex_encode(name, r->digest, sizeof(r->digest));
}

static void
log_result(const char *source, const struct inbound_report *r, const struct inbound_result *res)
{
	char id[24];

	snprintf(id, sizeof(id), "%lld", (long long)res->subscriber_id);
	log_event(r->kind == INBOUND_MALFORMED ? LOG_WARN : LOG_INFO, "inbound.message",
		  "source", source, "kind", inbound_kind_name(r->kind),
		  "verdict", inbound_verdict_name(r->verdict),
		  "outcome", inbound_outcome_name(res->outcome), "subscriber", id,
		  "why", r->why, NULL);
}

int
inbound_process(struct store *s, const struct inbound_config *cfg, const char *source,
		const char *msg, size_t len, struct inbound_result *res)
{
	struct inbound_report *r = xmalloc(sizeof(*r));
	struct buf name;
	int rc, fresh = 0;

	memset(res, 0, sizeof(*res));
	inbound_classify(msg, len, r);
	res->kind = r->kind;
	buf_init(&name, 0);
	message_name(r, &name);
	if ((rc = store_begin(s)) == NF_OK) {
		rc = store_inbound_seen(s, name.data, inbound_kind_name(r->kind), &fresh);
		if (rc == NF_OK && !fresh)
			res->outcome = INBOUND_DUPLICATE;
		else if (rc == NF_OK)
			rc = apply(s, cfg, r, res);
		/*
		 * Unverified is not done with: the token may be genuine and the
		 * secret the wrong one. Nothing was changed; leaving it unrecorded
		 * lets a later run act on it instead of calling it a duplicate.
		 */
		if (rc == NF_OK && res->outcome != INBOUND_UNVERIFIED)
			rc = store_commit(s);
		else
			store_rollback(s);
	}
	if (rc == NF_OK)
		log_result(source, r, res);
	else
		log_event(LOG_WARN, "inbound.store_failed", "source", source, "reason",
			  store_errmsg(s), NULL);
	buf_free(&name);
	free(r);
	return rc;
}
