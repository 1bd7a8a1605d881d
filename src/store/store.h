/*
 * store/store.h - the one storage interface, over SQLite or PostgreSQL
 *
 * Owns: subscribers and the consent ledger, lists and memberships,
 * articles, alerts and their shards, failed deliveries, suppressions and API
 * keys; schema migrations; bulk import. Does not own: what an address is
 * (addr/ validates and computes the key before the store sees it), sending
 * anything, tokens (core/), or the CSV files imports are read from
 * (core/csv.c).
 *
 * A store is opened from a URL:
 *   sqlite:PATH[?sync=normal|full][&timeout=MS]   (default sqlite:var/newsflash.db)
 *   postgresql://user@host:port/db?...             (any libpq connection URI)
 * and is one connection: use one per thread or worker, never share one.
 *
 * This header is the whole public interface. Underneath, each backend fills
 * a table of operations (struct store_ops, in the manner of OpenSMTPD's
 * queue backends) at the level of "run this named statement"; that table,
 * the statements and the row packers are in store/store_internal.h, which
 * only the store's own files include. The statements are written once
 * (store/query.c), so both backends behave the same by construction; where
 * the dialects must differ (claiming with SKIP LOCKED, COPY for import, the
 * migration lock) the difference is named in one place.
 *
 * Memory: every row handed out is one heap block (the struct and its strings
 * together) freed with the matching _free; _free(NULL) does nothing. Strings
 * passed in are borrowed for the call only. Times are unix seconds.
 *
 * Errors: NF_OK, NF_ERR_NOTFOUND (no such row, or a lease that is not yours),
 * NF_ERR_INVALID (bad argument or a refused change), NF_ERR_TEMP (the
 * database is busy: try again), NF_ERR (anything else; store_errmsg says).
 */
#ifndef NEWSFLASH_STORE_H
#define NEWSFLASH_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "core/core.h"

#define STORE_DEFAULT_URL "sqlite:var/newsflash.db"
#define STORE_DEFAULT_SHARDS 8		/* shards per alert when nobody says */
#define STORE_LIST_DEFAULT "breaking-news"
#define STORE_LIST_NAME_MAX 64
#define STORE_APIKEY_MAX 64		/* room for a key and its NUL */

struct store;

/* ---- opening, migrations, transactions ---- */

/* open the store at url and bring its schema up to date */
int store_open(const char *url, struct store **out);
/*
 * store_open_existing - store_open for a store that must be there already:
 * a SQLite file that does not exist, or a database without newsflash's
 * schema, is NF_ERR_NOTFOUND and nothing is created (store_errmsg(NULL)
 * says which); an older schema is still brought up to date
 */
int store_open_existing(const char *url, struct store **out);
void store_close(struct store *s);
/*
 * store_probe - whether store_open(url) would work, changing nothing: the
 * URL parses, an SQLite file is a readable database or can be created, a
 * PostgreSQL server accepts the connection. err says why not.
 */
int store_probe(const char *url, char *err, size_t errlen);
/* the last error from the database, for logs ("" when none) */
const char *store_errmsg(const struct store *s);
/* "sqlite" or "postgresql" */
const char *store_backend(const struct store *s);
/* the connection and its durability settings as the database reports them */
void store_describe(struct store *s, char *out, size_t len);
/*
 * apply pending migrations; *version is the result, *applied how many this
 * handle applied, at store_open or now (so `db migrate` can say)
 */
int store_migrate(struct store *s, int *version, int *applied);
int store_schema_version(struct store *s, int *version);

/*
 * Batching (group commit): between store_begin and store_commit every call
 * joins one transaction. A call that fails inside marks the transaction
 * failed: store_commit then rolls everything back and returns the error.
 * Calls nest; only the outermost commit writes.
 */
int store_begin(struct store *s);
int store_commit(struct store *s);
void store_rollback(struct store *s);

/* ---- subscribers and the consent ledger ---- */

enum store_sub_status {
	STORE_PENDING, STORE_CONFIRMED, STORE_UNSUBSCRIBED, STORE_BOUNCED, STORE_ERASED,
	STORE_ANY = -1			/* for counting */
};
enum store_purpose { STORE_ALERTS, STORE_MARKETING };
enum store_action { STORE_GIVEN, STORE_WITHDRAWN, STORE_CONFIRMED_ACT };

const char *store_status_name(enum store_sub_status st);
const char *store_purpose_name(enum store_purpose p);
const char *store_action_name(enum store_action a);
int store_status_parse(const char *name, enum store_sub_status *out);

struct store_subscriber {
	int64_t id;
	const char *email;		/* normalised; NULL once erased */
	const char *email_key;		/* the case-folded unique key */
	const char *email_display;	/* as the person typed it */
	const char *name;		/* optional display name (import) */
	enum store_sub_status status;
	int64_t created_at;
	int64_t confirmed_at;		/* 0 = never */
	int64_t confirm_sent_at;	/* last confirmation mail, 0 = never */
	const char *token_salt;		/* hex; changing it revokes every link */
	int marketing;
	const char *lists;		/* space-separated list names, export only */
	int soft_bounces;		/* soft bounces in a row (inbound DSNs) */
};
void store_subscriber_free(struct store_subscriber *sub);

/*
 * What the person agreed to and where: one ledger row. at = 0 means now.
 * wording_version / wording_hash identify the exact text they were shown.
 */
struct store_consent_in {
	const char *source;		/* "form", "api", "one-click", "import: ..." */
	const char *ip;
	const char *user_agent;
	const char *wording_version;
	const char *wording_hash;
	int64_t at;
};

struct store_consent {
	int64_t id;
	int64_t subscriber_id;
	enum store_purpose purpose;
	enum store_action action;
	int64_t at;
	const char *source, *ip, *user_agent, *wording_version, *wording_hash;
	const char *list;		/* the list a membership change was about, or NULL */
};
void store_consent_free(struct store_consent *ev);
void store_consent_list_free(struct store_consent **evs, size_t n);

struct store_signup {
	const char *email, *email_key, *email_display, *name;
	const char *list;		/* NULL = breaking-news */
	int confirmed;			/* 1: confirmed at once (import, single opt-in) */
	int marketing;			/* the separate marketing box was ticked */
	struct store_consent_in consent;
};

/*
 * store_subscriber_create - a new subscriber, its membership and its consent
 * events (alerts given; marketing given when ticked), atomically. When the
 * key exists nothing changes and *created is 0: *id and *status describe the
 * existing row, so the caller can answer the same whatever state it is in.
 */
int store_subscriber_create(struct store *s, const struct store_signup *in,
			    int64_t *id, enum store_sub_status *status, int *created);
int store_subscriber_get(struct store *s, int64_t id, struct store_subscriber **out);
int store_subscriber_get_by_key(struct store *s, const char *email_key,
				struct store_subscriber **out);
/*
 * store_subscriber_set_status - move to confirmed (action confirmed),
 * unsubscribed or bounced (withdrawn), or back to pending from unsubscribed
 * (given: a new signup), with the ledger row in the same transaction. Setting
 * the status a subscriber already has changes nothing (*changed = 0). Other
 * moves (confirming an unsubscribed address, anything once erased) return
 * NF_ERR_INVALID, as does confirming a suppressed address (by its key or an
 * erasure's keyed hash). changed may be NULL.
 */
int store_subscriber_set_status(struct store *s, int64_t id, enum store_sub_status to,
				const struct store_consent_in *ev, int *changed);
int store_subscriber_set_marketing(struct store *s, int64_t id, int on,
				   const struct store_consent_in *ev, int *changed);
/* record that the relay took a confirmation mail (paces resends; see below) */
int store_subscriber_confirm_sent(struct store *s, int64_t id, int64_t at);
/*
 * store_confirm_unsent - pending subscribers created at or after since
 * whose confirmation mail was never sent (confirm_sent_at unset) and that
 * nobody claimed at or after settled, by id after *cursor, at most max
 * into b; *cursor moves to the last. The priority lane claims and queues
 * them again after a crash or once it has room (store/confirm_owed.c).
 */
struct store_batch;
int store_confirm_unsent(struct store *s, int64_t since, int64_t settled, int64_t *cursor,
			 size_t max, struct store_batch *b);
/*
 * store_confirm_claim - take on id's owed confirmation (at now) unless it
 * was sent meanwhile or claimed at or after settled (INT64_MAX: whatever
 * the claim): NF_OK when the caller has it, NF_ERR_NOTFOUND when another
 * has (one writer wins the race)
 */
int store_confirm_claim(struct store *s, int64_t id, int64_t now, int64_t settled);
/*
 * store_confirm_slot - the cap on confirmation mails to one mailbox (the
 * address key with any +tag folded away: the caller folds): *taken = 1,
 * and the mail counted at now, when fewer than cap went to it in the
 * window seconds before now; else *taken = 0 and nothing counted.
 */
int store_confirm_slot(struct store *s, const char *mailbox, int cap, int64_t window, int64_t now,
		       int *taken);
/*
 * store_confirm_withhold - no confirmation is owed to pending id (the cap
 * refused it): the lane's recovery leaves it alone until until, by which
 * time it is too old to be owed. A later signup claims it as usual.
 */
int store_confirm_withhold(struct store *s, int64_t id, int64_t until);
/*
 * store_subscriber_erase - right to erasure: the address, name and network
 * details in the ledger are deleted, memberships and delivery records go,
 * the salt changes; a keyed hash of the key is kept in suppressions (so an
 * old CSV cannot bring the address back) and the ledger records, without the
 * address, that an erasure happened.
 */
int store_subscriber_erase(struct store *s, int64_t id, const char *source);
/* list NULL = every list; status STORE_ANY counts every status but erased */
int store_subscriber_count(struct store *s, const char *list,
			   enum store_sub_status status, int64_t *n);

int store_consent_append(struct store *s, int64_t subscriber_id, enum store_purpose p,
			 enum store_action a, const struct store_consent_in *ev);
int store_consent_list(struct store *s, int64_t subscriber_id,
		       struct store_consent ***out, size_t *n);

/*
 * Streaming in constant memory: a batch is reused from call to call; its rows
 * live until the next call or store_batch_free.
 */
struct store_batch {
	struct store_subscriber *rows;
	size_t count;
	/* private */
	size_t cap;
	struct arena *mem;
};
void store_batch_init(struct store_batch *b);
void store_batch_free(struct store_batch *b);

/*
 * store_members_next - up to max confirmed, unsuppressed members of list_id
 * with *cursor < id <= hi (hi 0 = no bound), in id order; *cursor moves to the
 * last id returned. b->count == 0 means the range is exhausted.
 */
int store_members_next(struct store *s, int64_t list_id, int64_t *cursor, int64_t hi,
		       size_t max, struct store_batch *b);
/*
 * store_audience_next - the same over every list of alert_id, each person
 * once however many of its lists they are on: up to max confirmed,
 * unsuppressed members of any of them with *cursor < id <= hi (0 = no
 * bound), in id order. sparse says how to find them (the answer is the
 * same): 0 walks subscribers by id, right when nearly everyone is in the
 * audience (an alert with breaking-news); 1, on PostgreSQL, reads each
 * list's next members instead, right for topic lists that may be a small
 * part of the subscribers (a batch costs the number of lists times max
 * rows, whatever their sizes). SQLite always walks.
 */
int store_audience_next(struct store *s, int64_t alert_id, int sparse, int64_t *cursor,
			int64_t hi, size_t max, struct store_batch *b);
/* store_subscribers_next - every subscriber but the erased, with lists (export) */
int store_subscribers_next(struct store *s, int64_t *cursor, size_t max,
			   struct store_batch *b);

/* ---- lists and memberships ---- */

/* names: 1-64 of a-z 0-9 - _ */
int store_list_name_ok(const char *name);
int store_list_ensure(struct store *s, const char *name, int64_t *id);
int store_list_get(struct store *s, const char *name, int64_t *id);
/* the id of STORE_LIST_DEFAULT (breaking-news), which every store has */
int64_t store_default_list(const struct store *s);
int store_membership_add(struct store *s, int64_t subscriber_id, int64_t list_id);
int store_membership_remove(struct store *s, int64_t subscriber_id, int64_t list_id);

/* a list, and whether one subscriber is on it (store_lists_of) or its counts (store_lists_all) */
struct store_list {
	int64_t id;
	const char *name;
	int member;
	int64_t members;		/* store_lists_all: members not erased */
	int64_t confirmed;		/* store_lists_all: the confirmed among them */
};
void store_list_list_free(struct store_list **ls, size_t n);
/* every list in id order, each saying whether subscriber_id is a member */
int store_lists_of(struct store *s, int64_t subscriber_id, struct store_list ***out, size_t *n);
/* every list in id order with its member counts */
int store_lists_all(struct store *s, struct store_list ***out, size_t *n);
/*
 * store_membership_set - join (on) or leave a list, with the ledger row
 * (alerts given or withdrawn, naming the list) in the same transaction;
 * nothing is written when the membership is already so (*changed = 0).
 * NF_ERR_INVALID for an erased subscriber. changed may be NULL.
 */
int store_membership_set(struct store *s, int64_t subscriber_id, int64_t list_id, int on,
			 const struct store_consent_in *ev, int *changed);

/* ---- leaving: bounces, complaints (bounces.c), erasure and purging (privacy.c) ---- */

/*
 * store_subscriber_suppress - a hard bounce or a complaint: the address key
 * goes on the suppression list with reason ("bounce", "complaint") and the
 * status moves to `to` (bounced or unsubscribed; the ledger row as
 * store_subscriber_set_status writes it), in one transaction. Already
 * there: nothing changes. NF_ERR_INVALID once erased.
 */
int store_subscriber_suppress(struct store *s, int64_t id, const char *reason,
			      enum store_sub_status to, const struct store_consent_in *ev);
/*
 * store_subscriber_soft_bounce - one more soft bounce in a row; *count is
 * the new count. At limit (> 0) the address is suppressed ("soft-bounce")
 * and the subscriber becomes bounced: *suppressed = 1.
 */
int store_subscriber_soft_bounce(struct store *s, int64_t id, int limit,
				 const struct store_consent_in *ev, int *count, int *suppressed);
/* a delivery that worked (a success DSN): the row of soft bounces is broken */
int store_subscriber_soft_reset(struct store *s, int64_t id);

enum store_erase_mode {
	STORE_ERASE_SUPPRESS,		/* never mail the address again: keyed hash kept */
	STORE_ERASE_FORGET		/* no new suppression (one already there stays, hashed) */
};
/* store_subscriber_erase with the choice (store_subscriber_erase is SUPPRESS) */
int store_subscriber_erase_as(struct store *s, int64_t id, const char *source,
			      enum store_erase_mode mode);
/*
 * store_subscribers_purge - forget (STORE_ERASE_FORGET) pending signups
 * made before `before` and sent no confirmation mail since, at most max of
 * them; *n says how many.
 */
int store_subscribers_purge(struct store *s, int64_t before, size_t max, int64_t *n);
/*
 * store_scrub - after deleting personal data, leave no copy in the files:
 * SQLite (whose secure_delete already zeroes freed space) checkpoints and
 * truncates the write-ahead log, which still holds the old pages; NF_ERR_TEMP
 * when readers kept it from finishing (the next checkpoint will). PostgreSQL:
 * nothing (the old row versions are vacuumed away by autovacuum).
 */
int store_scrub(struct store *s);

/*
 * store_suppression_get - the suppression of this key, by address or keyed
 * hash: *reason (caller frees), *at, and *form "address" or "keyed-hash"
 * (static). NF_ERR_NOTFOUND when there is none.
 */
int store_suppression_get(struct store *s, const char *email_key, char **reason, int64_t *at,
			  const char **form);
/*
 * store_inbound_seen - record that an inbound message (named by its
 * Message-ID or digest; only a keyed hash of the name is stored) was
 * processed: *fresh = 1 the first time, 0 after. Inside the caller's
 * transaction, so a message whose handling failed is not marked.
 */
int store_inbound_seen(struct store *s, const char *name, const char *kind, int *fresh);

/* ---- emailed links for export, erasure and managing choices (action_links.c) ---- */

#define STORE_LINK_NONCE_MAX 33		/* 32 hex digits and the NUL */

/*
 * store_link_issue - a new link of purpose for subscriber id, live until
 * now + ttl, replacing any older one (which stops working): its random
 * nonce in nonce and *issued = 1. When one was made within gap seconds
 * and still lives, nothing changes and *issued = 0 (so a button pressed
 * again and again sends one mail).
 */
int store_link_issue(struct store *s, int64_t id, const char *purpose, int64_t now, int64_t ttl,
		     int64_t gap, char nonce[STORE_LINK_NONCE_MAX], int *issued);
/* the live link's nonce; NF_ERR_NOTFOUND when there is none, or it expired */
int store_link_nonce(struct store *s, int64_t id, const char *purpose, int64_t now,
		     char nonce[STORE_LINK_NONCE_MAX]);
/*
 * store_link_use - spend the link with this nonce: NF_OK for exactly one
 * caller (the row is deleted), NF_ERR_NOTFOUND for the rest, or once it
 * expired or was replaced
 */
int store_link_use(struct store *s, int64_t id, const char *purpose, const char *nonce, int64_t now);

/* ---- bulk import (atomic per batch; re-running skips what is there) ---- */

/* STORE_ADDED: a confirmed reader stored already, put on a confirmed import's list */
enum store_import_outcome { STORE_IMPORTED, STORE_DUPLICATE, STORE_SUPPRESSED, STORE_ADDED };

struct store_import {
	int64_t list_id;
	int confirmed;			/* else pending */
	const char *source;		/* the consent source of every row */
	int64_t at;			/* 0 = now */
};

struct store_import_row {
	const char *email, *email_key, *email_display, *name;
	int marketing;
	long line;			/* for the caller's messages */
	enum store_import_outcome outcome;	/* set by store_import_batch */
};

/*
 * store_import_batch - insert rows in one transaction: each new key becomes a
 * subscriber with its membership and consent events; a key stored already
 * as a confirmed reader not on the list is put on it by a confirmed import
 * (STORE_ADDED: a membership and an "alerts given" ledger row); any other
 * key already stored (or earlier in the batch) is a duplicate and is left as
 * it is; a suppressed address is not imported. Either the whole batch is
 * stored or none of it.
 */
int store_import_batch(struct store *s, const struct store_import *imp,
		       struct store_import_row *rows, size_t n);

/* ---- articles and alerts ---- */

/*
 * RETRYING: every shard is worked but some recipients wait for a retry; DONE
 * only once every recipient has a final outcome (sent, or failed for good).
 */
enum store_alert_state { STORE_QUEUED, STORE_SENDING, STORE_DONE, STORE_CANCELLED, STORE_RETRYING };
const char *store_alert_state_name(enum store_alert_state st);

struct store_article {
	int64_t id;
	const char *slug, *headline, *standfirst, *body_html, *body_text, *byline, *url;
	int64_t published_at;
	const char *images_json;	/* [{"url":..,"caption":..,"credit":..}] as text */
	const char *topics_json;	/* ["politics", ...] as text */
	int breaking;
	int64_t created_at;
};
int store_article_insert(struct store *s, const struct store_article *a, int64_t *id);
int store_article_get(struct store *s, int64_t id, struct store_article **out);
void store_article_free(struct store_article *a);

/* room for the names of breaking-news and 20 topic lists, space-separated */
#define STORE_ALERT_LISTS_MAX (21 * (STORE_LIST_NAME_MAX + 1))

struct store_alert {
	int64_t id, article_id;
	int64_t list_id;		/* the first of its lists (breaking-news when breaking) */
	char lists[STORE_ALERT_LISTS_MAX];	/* its audience: list names, space-separated, id order */
	enum store_alert_state state;
	int64_t total;			/* confirmed members when it was created */
	int64_t sent;			/* relay said 250 (first pass and retries) */
	int64_t failed;			/* permanent failures */
	int64_t retrying;		/* temporary failures waiting */
	int64_t shards, shards_done;
	int64_t created_at, started_at, finished_at;
	/*
	 * shards an engine holds right now: a stopped alert with some is still
	 * finishing the messages already handed to the relay (they count)
	 */
	int64_t leased;
};
void store_alert_free(struct store_alert *a);
void store_alert_list_free(struct store_alert **as, size_t n);

/*
 * store_alert_create - an alert of article to list, split into at most
 * nshards shards of equal subscriber-id span over the confirmed members at
 * this moment. A list with nobody confirmed gives an alert already done.
 */
int store_alert_create(struct store *s, int64_t article_id, int64_t list_id,
		       int nshards, int64_t now, int64_t *id);
/*
 * store_alert_create_lists - an alert of article to everyone confirmed and
 * unsuppressed on any of lists[0..nlists) (repeats ignored), each person
 * counted and mailed once; lists[0] becomes the alert's list_id. The shards
 * span the distinct audience's ids as store_alert_create's do. With
 * STORE_ALERT_SKIP_EMPTY, an audience of nobody makes no alert at all
 * (*id = 0, nothing written); without it, an alert already done.
 */
#define STORE_ALERT_SKIP_EMPTY 1
/* store_audience_count - how many an alert to lists[0..nlists) would reach now (the newsroom asks first) */
int store_audience_count(struct store *s, const int64_t *lists, size_t nlists, int64_t *count);
int store_alert_create_lists(struct store *s, int64_t article_id, const int64_t *lists,
			     size_t nlists, int nshards, int flags, int64_t now, int64_t *id);
int store_alert_get(struct store *s, int64_t id, struct store_alert **out);
/* newest first */
int store_alert_list(struct store *s, size_t limit, struct store_alert ***out, size_t *n);
/* cancelled alerts hand out no more shards; progress already sent still counts */
int store_alert_cancel(struct store *s, int64_t id, int64_t now);
/*
 * store_alert_stop - store_alert_cancel, and who stopped it (an editor's or
 * API key's name, "cli:USER") kept in the alert's audit, in one transaction.
 * NF_ERR_INVALID when it had ended already, NF_ERR_NOTFOUND when no such alert.
 */
int store_alert_stop(struct store *s, int64_t id, const char *who, int64_t now);
/*
 * store_alert_resume - a stopped alert sends the rest: it is sending again
 * (or at once done or retrying when every shard had ended), who resumed it
 * goes into its audit. Its shards resume after their cursors and skip every
 * subscriber in its reached record, so nobody reached is sent it twice.
 * NF_ERR_INVALID when it is not stopped, NF_ERR_NOTFOUND when no such alert.
 */
int store_alert_resume(struct store *s, int64_t id, const char *who, int64_t now);

/* one line of an alert's audit: who did what to it, when */
struct store_alert_event {
	int64_t at;
	const char *action;		/* "stopped", "resumed" */
	const char *who;
};
void store_alert_event_list_free(struct store_alert_event **evs, size_t n);
/* an alert's audit, oldest first */
int store_alert_events(struct store *s, int64_t id, struct store_alert_event ***out, size_t *n);
/*
 * store_alert_finish - once every shard is done, the alert is done, or
 * retrying while recipients wait for a retry; *done says whether it is done
 */
int store_alert_finish(struct store *s, int64_t id, int64_t now, int *done);
/*
 * store_alert_settle - a retrying alert none of whose recipients waits any
 * more becomes done. Alert id, or every such alert when id is 0; *done
 * (may be NULL) counts the alerts that became done now.
 */
int store_alert_settle(struct store *s, int64_t id, int64_t now, int64_t *done);

enum store_shard_state { STORE_SHARD_QUEUED, STORE_SHARD_RUNNING, STORE_SHARD_DONE };

/* a claimed shard: caller storage, owner copied in */
struct store_shard {
	int64_t id, alert_id, list_id, article_id;
	int nlists;			/* how many lists the alert goes to */
	int no;
	int64_t lo, hi;			/* subscriber ids lo..hi inclusive */
	int64_t cursor;			/* everything <= cursor is done */
	int64_t lease_expiry;
	int64_t sent, failed;
};

/*
 * store_shard_claim - take the oldest claimable shard (not done, alert
 * queued or sending, lease free or expired) for owner until now+lease_secs.
 * NF_ERR_NOTFOUND when there is nothing to do. On PostgreSQL concurrent
 * claimers skip each other's rows (FOR UPDATE SKIP LOCKED); on SQLite the
 * claim is one write transaction.
 */
int store_shard_claim(struct store *s, const char *owner, int64_t now,
		      int64_t lease_secs, struct store_shard *out);
/*
 * store_shard_members_next - the next batch of the shard's audience after
 * *cursor: store_members_next for an alert to one list (its fast path
 * unchanged), store_audience_next for several (sparse unless one of them
 * is breaking-news).
 */
int store_shard_members_next(struct store *s, const struct store_shard *sh, int64_t *cursor,
			     size_t max, struct store_batch *b);
/* extend the lease; NF_ERR_NOTFOUND when it is no longer owner's or the alert was cancelled */
int store_shard_renew(struct store *s, int64_t shard_id, const char *owner,
		      int64_t now, int64_t lease_secs);

enum store_delivery_kind { STORE_TEMP, STORE_PERM };

struct store_delivery_rec {
	int64_t subscriber_id;
	enum store_delivery_kind kind;
	int64_t next_attempt_at;	/* temp only */
	const char *reply;		/* the relay's answer */
};

/*
 * store_shard_progress - group commit: the new cursor, how many were sent
 * since the last commit, and the failures among them, in one transaction,
 * renewing the lease. NF_ERR_NOTFOUND (and nothing written) when the lease
 * is no longer owner's; *cancelled (may be NULL) is set when the alert was
 * cancelled meanwhile, and the caller should stop.
 */
int store_shard_progress(struct store *s, int64_t shard_id, const char *owner,
			 int64_t cursor, int64_t sent,
			 const struct store_delivery_rec *recs, size_t nrecs,
			 int64_t now, int64_t lease_secs, int *cancelled);
/* the shard is done; the alert is finished when it was the last one */
int store_shard_finish(struct store *s, int64_t shard_id, const char *owner, int64_t now);
/*
 * store_shard_release - owner gives the shard's lease back at once (it
 * stops mid-shard: shutting down, or the alert was stopped), so whoever
 * claims it next (a restart, a resume) need not wait for the lease to run out
 */
int store_shard_release(struct store *s, int64_t shard_id, const char *owner);

/*
 * ---- the reached record (reached.c) ----
 *
 * Per alert, the subscribers whose message the relay accepted, as a
 * compressed set of ids (core's struct idset). A shard's part is written
 * by the shard's lease holder with store_reached_save between store_begin
 * and store_commit, after store_shard_progress, so the set, the cursor and
 * the sent count move in one transaction; retries add theirs in
 * store_delivery_sent's. An alert's sent count equals its record's size.
 */
#define STORE_REACHED_RETRIES (-1)	/* the part retries add to */
/* store_reached_load - the alert's whole record (every part merged; caller frees) */
int store_reached_load(struct store *s, int64_t alert_id, struct idset **out);
/* store_reached_count - its size, from the parts' stored counts (no decoding) */
int store_reached_count(struct store *s, int64_t alert_id, int64_t *n);
/* store_reached_has - whether subscriber_id is in it (loads it: for many ids, load once) */
int store_reached_has(struct store *s, int64_t alert_id, int64_t subscriber_id, int *has);
/* store_reached_part - one part (a shard's number, or STORE_REACHED_RETRIES); empty when none yet */
int store_reached_part(struct store *s, int64_t alert_id, int part, struct idset **out);
/* store_reached_save - write one part (replacing it), inside the caller's transaction */
int store_reached_save(struct store *s, int64_t alert_id, int part, struct idset *set);
/* store_sent_total - every alert's sent count added up (what /metrics reports) */
int store_sent_total(struct store *s, int64_t *n);

/* ---- deliveries that did not succeed ---- */

struct store_delivery {
	int64_t alert_id, subscriber_id;
	enum store_delivery_kind kind;
	int attempts;
	int64_t next_attempt_at;
	const char *reply;
};
void store_delivery_list_free(struct store_delivery **ds, size_t n);
const char *store_kind_name(enum store_delivery_kind k);

/* a 4xx: attempts + 1, try again at next_attempt_at (a perm failure stays perm) */
int store_delivery_temp(struct store *s, int64_t alert_id, int64_t subscriber_id,
			int64_t next_attempt_at, const char *reply);
int store_delivery_perm(struct store *s, int64_t alert_id, int64_t subscriber_id,
			const char *reply);
/* a subscriber's failed deliveries (export) */
int store_deliveries_of(struct store *s, int64_t subscriber_id,
			struct store_delivery ***out, size_t *n);
/*
 * a retry was accepted: the record goes, the subscriber joins the alert's
 * reached record and the alert's sent count grows (unless already reached)
 */
int store_delivery_sent(struct store *s, int64_t alert_id, int64_t subscriber_id);
/*
 * store_retries_claim - up to max temporary failures due at now, of alerts
 * not cancelled; each is pushed to now+lease_secs so that no other worker
 * takes it meanwhile (a worker that dies lets it come due again).
 */
int store_retries_claim(struct store *s, int64_t now, int64_t lease_secs, size_t max,
			struct store_delivery ***out, size_t *n);

/* ---- the whole database (backup.c, copy.c) ---- */

/*
 * store_backup - a consistent copy of a running SQLite store in path, made
 * with SQLite's online backup API while others go on reading and writing:
 * written to path.tmp, checked (PRAGMA quick_check), synced, renamed into
 * place. An existing path is replaced only with overwrite. NF_ERR_INVALID
 * on PostgreSQL, which is backed up with pg_dump.
 */
int store_backup(struct store *s, const char *path, int overwrite);
/*
 * store_restore - a backup at path (checked first with PRAGMA
 * integrity_check, and a newsflash schema no newer than ours) copied into
 * the SQLite store s page by page through s's own connection, so its -wal
 * and -shm stay consistent with it; stop every other process on s first
 */
int store_restore(struct store *s, const char *path);
/*
 * store_verify - PRAGMA integrity_check of a SQLite store and the rows that
 * matter, one "name value" line each into out ("integrity ok", "schema 7",
 * "subscribers 120", "confirmed 100", "lists 2", "memberships 130",
 * "alerts 3"); NF_ERR with the check's answer in store_errmsg when unsound
 */
int store_verify(struct store *s, struct buf *out);

/*
 * store_copy - every row of every table of from into to, ids preserved:
 * from is read in one snapshot, batch rows at a time in key order; each
 * table is written in one transaction on to, and on PostgreSQL its identity
 * sequence is then set past the largest id. to must be empty (migrated,
 * nothing added). progress (may be NULL) hears each table and its rows.
 * Errors say which table in store_errmsg(to) or store_errmsg(from).
 */
typedef void (*store_copy_fn)(void *arg, const char *table, int64_t rows);
int store_copy(struct store *from, struct store *to, size_t batch, store_copy_fn progress,
	       void *arg);

/* ---- wake-ups across processes (PostgreSQL LISTEN/NOTIFY) ----
 *
 * store_alert_create notifies on PostgreSQL when its transaction commits.
 * A worker calls store_listen once on its connection; store_notify_fd is
 * then readable when an alert was created anywhere (poll it beside your
 * own wake-ups) and store_notify_drain consumes what arrived, returning how
 * many. SQLite has no such channel: store_notify_fd is -1, so poll.
 */
int store_listen(struct store *s);
int store_notify_fd(struct store *s);
int store_notify_drain(struct store *s);

/* ---- suppressions ---- */

/* never mail this key again; reason: "bounce", "complaint", "manual" ... */
int store_suppression_add(struct store *s, const char *email_key, const char *reason);
/* NF_OK and *reason (may be NULL; caller frees) when suppressed, else NF_ERR_NOTFOUND */
int store_suppression_check(struct store *s, const char *email_key, char **reason);

/* ---- API keys (only a SHA-256 hash is stored) ---- */

/* a new random key, written to key (shown once, never stored) */
int store_apikey_create(struct store *s, const char *name, char key[STORE_APIKEY_MAX]);
/* NF_OK when key is valid (*name, may be NULL, is the caller's); NF_ERR_NOTFOUND else */
int store_apikey_verify(struct store *s, const char *key, size_t len, char **name);
/* every key's name and creation time (never the key: only its hash is kept), by name */
typedef void (*store_apikey_fn)(void *arg, const char *name, int64_t created_at);
int store_apikey_list(struct store *s, store_apikey_fn fn, void *arg);
/* the key stops working; NF_ERR_NOTFOUND when no key has that name */
int store_apikey_revoke(struct store *s, const char *name);

/* ---- editors and their sessions (the newsroom's sign-in) ---- */

#define STORE_EDITOR_NAME_MAX 64

/* names follow the lists' rule, 1-64 of a-z 0-9 - _ (the CLI folds upper case before) */
int store_editor_name_ok(const char *name);

struct store_editor {
	int64_t id;
	const char *name;
	const char *email;		/* where test alerts go; NULL when none */
	const char *password_hash;	/* an encoded Argon2id hash; the store never sees a password */
	int64_t created_at;
	int64_t failed_signins;		/* since the last good sign-in */
	int64_t last_failed_at;		/* 0 = never */
	int64_t last_signin_at;		/* 0 = never */
};
void store_editor_free(struct store_editor *e);
void store_editor_list_free(struct store_editor **es, size_t n);

/* a new editor; NF_ERR_INVALID when the name is taken or not valid */
int store_editor_add(struct store *s, const char *name, const char *email,
		     const char *password_hash, int64_t *id);
int store_editor_get(struct store *s, const char *name, struct store_editor **out);
int store_editor_list(struct store *s, struct store_editor ***out, size_t *n);
/* a new password hash: the failure count is cleared and every session ends */
int store_editor_set_password(struct store *s, const char *name, const char *password_hash);
/* the editor and their sessions; NF_ERR_NOTFOUND when no editor has that name */
int store_editor_remove(struct store *s, const char *name);
/* count a failed sign-in at now; *failures is the count after it */
int store_editor_signin_failed(struct store *s, int64_t id, int64_t now, int64_t *failures);
/* a good sign-in: the failure count goes back to 0 */
int store_editor_signin_ok(struct store *s, int64_t id, int64_t now);

/* a session, as a signed-in request sees it */
struct store_session {
	int64_t editor_id;
	const char *name, *email;	/* the editor's */
	int64_t created_at, expires_at;
};
void store_session_free(struct store_session *ss);

/*
 * A session is found by its id (the cookie's value), but only the id's
 * SHA-256 is stored, as with API keys: a copy of the database opens no
 * session.
 */
int store_session_add(struct store *s, const char *id, int64_t editor_id, int64_t now,
		      int64_t expires_at, const char *ip, const char *user_agent);
/* the live session (expires_at > now); NF_ERR_NOTFOUND when absent or expired */
int store_session_get(struct store *s, const char *id, int64_t now, struct store_session **out);
int store_session_delete(struct store *s, const char *id);
/* delete the sessions that expired at or before now; *n (may be NULL) how many */
int store_session_purge(struct store *s, int64_t now, int64_t *n);

/* ---- reports for the newsroom ---- */

/* one day of the breaking-news audience, from the consent ledger (alerts purpose) */
struct store_audience_day {
	int64_t day;			/* unix time of the day's start (UTC) */
	int64_t signups;		/* consent given (a form, the API, an import) */
	int64_t confirmations;		/* double opt-in completed */
	int64_t unsubscribes;		/* consent withdrawn */
};

/*
 * store_audience_daily - ndays days from the day holding from (rounded
 * down to midnight UTC), every day filled in, those without events as 0.
 */
int store_audience_daily(struct store *s, int64_t from, struct store_audience_day *days,
			 size_t ndays);

#define STORE_UNSUB_WINDOW (48 * 3600)

/*
 * An alert with what it caused: the alert as store_alert_list gives it, its
 * headline, its bounces and its unsubscribes. Blame for a withdrawal of
 * consent goes to the list's latest alert before it, within
 * STORE_UNSUB_WINDOW, when the person was one of that alert's recipients
 * (an id within its shards' span). Bounces: the alert's permanent failures
 * whose address bounced (status bounced, or suppressed as a bounce) and
 * the recipients a returned message made bounced in the window; every
 * other withdrawal in the window is an unsubscribe.
 */
struct store_alert_report {
	struct store_alert alert;
	const char *headline;
	int64_t bounces;
	int64_t unsubscribes;
};
void store_alert_report_list_free(struct store_alert_report **rs, size_t n);
/* newest first */
int store_alert_reports(struct store *s, size_t limit, struct store_alert_report ***out,
			size_t *n);

/* ---- outgoing webhooks: endpoints and the event outbox (store/webhooks.c) ---- */

/*
 * The event types, one bit each: an endpoint's events are a mask of them.
 * The values are stored (webhook_endpoints.events, webhook_events.bit, and
 * the schema's triggers name them), so they never change.
 */
#define STORE_HOOK_SUB_CREATED		(1 << 0)
#define STORE_HOOK_SUB_CONFIRMED	(1 << 1)
#define STORE_HOOK_SUB_UNSUBSCRIBED	(1 << 2)
#define STORE_HOOK_SUB_BOUNCED		(1 << 3)
#define STORE_HOOK_SUB_COMPLAINED	(1 << 4)
#define STORE_HOOK_SUB_ERASED		(1 << 5)
#define STORE_HOOK_ALERT_QUEUED		(1 << 6)
#define STORE_HOOK_ALERT_DONE		(1 << 7)
#define STORE_HOOK_ALERT_CANCELLED	(1 << 8)
#define STORE_HOOK_ALERT_CORRECTED	(1 << 9)	/* recorded by corrections (store_hook_record) */
#define STORE_HOOK_ALERT_WITHDRAWN	(1 << 10)	/* recorded by withdrawals (store_hook_record) */
#define STORE_HOOK_DELIVERY_FAILED	(1 << 11)
#define STORE_HOOK_FEED_ERROR		(1 << 12)	/* recorded by feeds (store_hook_record) */
#define STORE_HOOK_ALL			((1 << 13) - 1)
#define STORE_HOOK_URL_MAX 2048

/* "subscriber.created" for STORE_HOOK_SUB_CREATED; NULL unless bit is one known type */
const char *store_hook_event_name(int64_t bit);
/*
 * store_hook_events_parse - "a,b,c" (or "*": all) into a mask; NF_ERR_INVALID
 * when a name is unknown (bad then holds it) or the list is empty
 */
int store_hook_events_parse(const char *list, size_t len, int64_t *mask, char *bad,
			    size_t badlen);
/* the mask's names, comma-separated, in bit order */
void store_hook_events_format(int64_t mask, struct buf *out);

struct store_hook {
	int64_t id;
	const char *url;
	const char *secret;		/* whsec_...; never logged or listed */
	int64_t events;			/* STORE_HOOK_* mask */
	int include_email;
	int64_t created_at;
	int64_t cursor;			/* every event id at or below it is delivered */
	int64_t attempts;		/* failed attempts in a row */
	int64_t next_at;		/* not before (back-off) */
	int64_t failing_since;		/* 0 = the last attempt worked */
	int64_t last_at, last_status;	/* the last attempt: when, the HTTP status (0: none) */
	const char *last_error;
	int64_t disabled_at;		/* 0 = enabled */
	int64_t backlog;		/* events waiting (store_hook_list, store_hook_get) */
};
void store_hook_free(struct store_hook *h);
void store_hook_list_free(struct store_hook **hs, size_t n);
/* a new endpoint; it receives the events recorded from now on */
int store_hook_add(struct store *s, const char *url, const char *secret, int64_t events,
		   int include_email, int64_t *id);
int store_hook_get(struct store *s, int64_t id, struct store_hook **out);
int store_hook_list(struct store *s, struct store_hook ***out, size_t *n);
/* NF_ERR_NOTFOUND when there is no such endpoint */
int store_hook_remove(struct store *s, int64_t id);
/*
 * store_hook_replay - deliver again every event recorded at or after since
 * that is still kept, and enable the endpoint if it was disabled; *n is how
 * many of its events that puts back in its backlog
 */
int store_hook_replay(struct store *s, int64_t id, int64_t since, int64_t *n);
/*
 * store_hook_record - an event that no trigger records (alert.corrected,
 * alert.withdrawn, feed.error), inside the caller's transaction; nothing is
 * written unless an endpoint wants it
 */
int store_hook_record(struct store *s, int64_t bit, int64_t subscriber_id, int64_t alert_id,
		      const char *detail);

/* one event as the deliverer reads it */
struct store_hook_event {
	int64_t id, bit, at, subscriber_id, alert_id, article_id;
	const char *type, *detail;
	const char *email;		/* asked for, and the subscriber not erased; else NULL */
};
void store_hook_events_free(struct store_hook_event **evs, size_t n);
/*
 * store_hook_claim - one enabled endpoint, due, with events waiting and no
 * live lease, leased to owner until now + lease_secs; NF_ERR_NOTFOUND when none
 */
int store_hook_claim(struct store *s, const char *owner, int64_t now, int64_t lease_secs,
		     struct store_hook **out);
/* its next events after its cursor, oldest first, at most max */
int store_hook_next(struct store *s, const struct store_hook *h, size_t max,
		    struct store_hook_event ***out, size_t *n);
/* event_id arrived: the cursor moves, the lease is extended; NF_ERR_NOTFOUND: lease lost */
int store_hook_delivered(struct store *s, int64_t id, const char *owner, int64_t event_id,
			 int64_t status, int64_t now, int64_t lease_secs);
/*
 * store_hook_failed - an attempt failed: the next one not before next_at;
 * failing since give_up seconds or more disables the endpoint (*disabled = 1).
 * The lease is given back.
 */
int store_hook_failed(struct store *s, int64_t id, const char *owner, int64_t status,
		      const char *error, int64_t now, int64_t next_at, int64_t give_up,
		      int *disabled);
/* give the lease back */
int store_hook_release(struct store *s, int64_t id, const char *owner);
/* forget events recorded before `before` that every enabled endpoint has */
int store_hook_prune(struct store *s, int64_t before, int64_t *n);

#endif
