/*
 * store/store_internal.h - the store's private side: backends and shared code
 *
 * Owns: what the files of src/store share and nobody else sees: the table
 * of operations each backend fills (struct store_ops, in the manner of
 * OpenSMTPD's queue backends, at the level of "run this named statement"),
 * the named statements (enum store_q, written once in store/query.c), the
 * statement parameters (SP_INT, SP_TEXT, SP_NULL) and result rows, the
 * handle every backend starts with (struct store), the packers that turn
 * rows into the public structs (store/rows.c), database URLs
 * (store/dburl.c), and the schema's table list (store/schema.c).
 *
 * Included by the files of src/store only, and by the store's own unit tests
 * (tests/unit/store), which look underneath on purpose. Everyone else
 * includes store/store.h.
 */
#ifndef NEWSFLASH_STORE_INTERNAL_H
#define NEWSFLASH_STORE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

enum store_dialect { STORE_SQLITE, STORE_PG };

/* the schema version that brought the alert state 'retrying' (tests replay it) */
#define STORE_SCHEMA_RETRYING 7

/* one statement parameter; text is borrowed */
struct store_param {
	enum { STORE_P_NULL, STORE_P_INT, STORE_P_TEXT } type;
	int64_t i;
	const char *s;
	size_t len;
};
#define SP_NULL ((struct store_param){ STORE_P_NULL, 0, NULL, 0 })
#define SP_INT(v) ((struct store_param){ STORE_P_INT, (int64_t)(v), NULL, 0 })
#define SP_TEXT(v) store_param_text(v)
struct store_param store_param_text(const char *s);	/* NULL gives SQL NULL */

/* one result row: every column as text, val[i] NULL for SQL NULL */
#define STORE_MAX_COLS 24
struct store_row {
	int ncols;
	const char *val[STORE_MAX_COLS];
	size_t len[STORE_MAX_COLS];
};
typedef int (*store_row_fn)(void *arg, const struct store_row *row);

/* the named statements, written once in store/query.c */
enum store_q {
	Q_META_GET, Q_META_PUT, Q_VERSION, Q_VERSION_ADD,
	Q_LIST_GET, Q_LIST_ADD, Q_MEMBER_ADD, Q_MEMBER_DEL,
	Q_SUB_INSERT, Q_SUB_BY_ID, Q_SUB_BY_KEY, Q_SUB_SET_STATUS, Q_SUB_SET_MARKETING,
	Q_SUB_CONFIRM_SENT, Q_SUB_ERASE, Q_SUB_UNLIST, Q_SUB_UNDELIVER,
	Q_COUNT_ALL, Q_COUNT_LIST, Q_MEMBERS_NEXT, Q_SUBS_NEXT,
	Q_CONSENT_ADD, Q_CONSENT_LIST, Q_CONSENT_SCRUB,
	Q_SUPP_ANY, Q_SUPP_CHECK, Q_SUPP_ADD_KEY, Q_SUPP_ADD_HASH, Q_SUPP_DEL_KEY,
	Q_ARTICLE_ADD, Q_ARTICLE_GET,
	Q_ALERT_SPAN, Q_ALERT_ADD, Q_ALERT_GET, Q_ALERT_LIST, Q_ALERT_CANCEL,
	Q_ALERT_START, Q_ALERT_DONE_IF, Q_ALERT_RETRY_SENT, Q_ALERT_OF_SHARD,
	Q_ALERT_SETTLE, Q_ALERTS_SETTLE,
	Q_SHARD_ADD, Q_SHARD_CLAIM, Q_SHARD_RENEW, Q_SHARD_PROGRESS, Q_SHARD_FINISH,
	Q_DELIV_TEMP, Q_DELIV_PERM, Q_DELIV_DEL, Q_RETRIES_CLAIM,
	Q_APIKEY_ADD, Q_APIKEY_ALL, Q_APIKEY_LIST, Q_APIKEY_DEL, Q_EDITOR_DEL,
	Q_IMPORT_EXISTING, Q_IMPORT_SUPPRESSED, Q_IMPORT_IDS,	/* PostgreSQL's import */
	Q_IMPORT_MEMBERS, Q_IMPORT_CONSENT,	/* the plain-statement import */
	Q_IMPORT_JOINER,			/* a stored reader the import puts on its list */
	/* leaving and privacy */
	Q_LISTS_OF, Q_SUB_SOFT_BOUNCE, Q_SUB_SOFT_RESET, Q_DELIV_OF, Q_SUPP_GET,
	Q_INBOUND_SEEN, Q_PENDING_OLD,
	Q_CONFIRM_UNSENT, Q_CONFIRM_CLAIM,	/* confirm_owed.c */
	Q_CONFIRM_SENDS, Q_CONFIRM_SEND_ADD, Q_CONFIRM_SENDS_OLD, Q_CONFIRM_WITHHOLD,
	Q_KEYHASH_TODO, Q_KEYHASH_SET,		/* schema.c: version 6 */
	Q_LINK_GET, Q_LINK_PUT, Q_LINK_USE, Q_LINK_DEL_SUB,	/* action_links.c */
	/* the newsroom */
	Q_EDITOR_ADD, Q_EDITOR_GET, Q_EDITOR_LIST, Q_EDITOR_PASSWORD, Q_EDITOR_FAILED,
	Q_EDITOR_SIGNED_IN, Q_SESSION_ADD, Q_SESSION_GET, Q_SESSION_DEL, Q_SESSION_DEL_EDITOR,
	Q_SESSION_PURGE, Q_AUDIENCE_DAILY, Q_ALERT_REPORT,
	/* topic alerts: an alert's lists */
	Q_ALERT_LIST_ADD, Q_ALERT_AUDIENCE, Q_ALERT_LISTS_DEL, Q_ALERT_DEL, Q_AUDIENCE_SPAN,
	Q_AUDIENCE_NEXT, Q_AUDIENCE_SPARSE, Q_AUDIENCE_COUNT, Q_LISTS_ALL,
	Q_ALERT_LIST_IDS, Q_LIST_AUDIENCE_IDS, Q_SUBS_BY_IDS,
	/* the reached record (reached.c), stopping and resuming */
	Q_REACHED_GET, Q_REACHED_LOCK, Q_REACHED_PUT, Q_REACHED_MAKE, Q_REACHED_ALL,
	Q_REACHED_COUNT, Q_SENT_TOTAL, Q_SHARD_RELEASE, Q_ALERT_RESUME, Q_ALERT_EVENT_ADD,
	Q_ALERT_EVENTS,
	/* outgoing webhooks (webhooks.c) */
	Q_HOOK_ADD, Q_HOOK_GET, Q_HOOK_LIST, Q_HOOK_DEL, Q_HOOK_REPLAY, Q_HOOK_RECORD,
	Q_HOOK_DUE, Q_HOOK_CLAIM, Q_HOOK_NEXT, Q_HOOK_DONE, Q_HOOK_FAILED, Q_HOOK_RELEASE, Q_HOOK_PRUNE,
	Q_COUNT
};
struct store_query {
	const char *name;
	const char *sql;		/* $1.. placeholders; both dialects */
	const char *pg;			/* when PostgreSQL needs other text */
	/*
	 * An INSERT whose one result is the new row's id: PostgreSQL runs sql
	 * (... RETURNING id), SQLite runs this text, the same without RETURNING,
	 * and answers with sqlite3_last_insert_rowid() when a row went in.
	 */
	const char *sqlite_rowid;
};
extern const struct store_query store_queries[Q_COUNT];

struct store_url {
	enum store_dialect dialect;
	char *path;			/* sqlite */
	int sync_full;			/* sqlite: synchronous=FULL */
	long timeout_ms;		/* sqlite busy timeout */
	char *conninfo;			/* postgresql: the URL as given */
};
int store_url_parse(const char *url, struct store_url *out, char *err, size_t errlen);
void store_url_free(struct store_url *u);

/* the table of operations each backend fills */
struct store_ops {
	const char *name;
	enum store_dialect dialect;
	int (*open)(struct store *s, const struct store_url *u);
	void (*close)(struct store *s);
	/* a write transaction (SQLite: BEGIN IMMEDIATE) */
	int (*begin)(struct store *s);
	int (*commit)(struct store *s);
	void (*rollback)(struct store *s);
	/* run a named statement; fn gets each row; *changes rows written (may be NULL) */
	int (*exec)(struct store *s, enum store_q q, const struct store_param *p, size_t np,
		    store_row_fn fn, void *arg, int64_t *changes);
	/*
	 * a statement written at run time (db copy walks tables it learns from
	 * the catalogue), parsed on each call; $N placeholders as in query.c
	 */
	int (*query)(struct store *s, const char *sql, const struct store_param *p, size_t np,
		     store_row_fn fn, void *arg);
	/* several statements, no parameters (migrations) */
	int (*script)(struct store *s, const char *sql);
	/* inside begin: serialise migrations across processes */
	int (*lock_schema)(struct store *s);
	/* settings as the database reports them, for people and tests */
	void (*describe)(struct store *s, char *out, size_t len);
	/* inside begin: one import batch */
	int (*import)(struct store *s, const struct store_import *imp,
		      struct store_import_row *rows, size_t n);
	/* LISTEN/NOTIFY; NULL where the backend has none */
	int (*listen)(struct store *s, const char *channel);
	int (*notify)(struct store *s, const char *channel);
	int (*notify_fd)(struct store *s);
	int (*notify_drain)(struct store *s);
};

extern const struct store_ops store_sqlite_ops;
extern const struct store_ops store_pg_ops;

/* what every backend's handle starts with */
struct store {
	const struct store_ops *ops;
	void *impl;			/* the backend's connection state */
	int depth;			/* transaction nesting */
	int failed;			/* a call inside the transaction failed */
	unsigned char hash_key[32];	/* for keyed hashes in suppressions */
	int64_t default_list;		/* id of breaking-news */
	int migrated;			/* migrations applied by store_open */
	int import_lookup;		/* a batch on this handle met stored keys */
	char err[512];
};

void store_set_err(struct store *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* run a named statement */
int store_exec(struct store *s, enum store_q q, const struct store_param *p, size_t np,
	       store_row_fn fn, void *arg, int64_t *changes);
/* transactions that nest: tx_end(s, rc) commits or rolls back and returns the result */
int store_tx_begin(struct store *s);
int store_tx_end(struct store *s, int rc);
/* the keyed hash of an address key kept in suppressions (hex, 65 bytes) */
void store_key_hash(const struct store *s, const char *email_key, char out[65]);
/* read the keyed hashes' key from meta into s (store_open; the migration to version 6) */
int store_load_hash_key(struct store *s);
/* the SHA-256 of a secret (an API key, a session id) in hex: what is stored instead */
void store_sha256_hex(const char *secret, size_t len, char out[65]);
/* a fresh token salt (hex, 33 bytes) */
void store_new_salt(char out[33]);
int64_t store_now(int64_t at);
/* the single integer of a one-row answer; NF_ERR_NOTFOUND when no row */
int store_exec_int(struct store *s, enum store_q q, const struct store_param *p, size_t np,
		   int64_t *out);
/* the first column of the first row, as text (store_row_fn for store_exec) */
struct store_text {
	char text[128];
	int got;
};
int store_copy_text(void *arg, const struct store_row *r);
/* parse an integer column; 0 for NULL */
int64_t store_col_int(const struct store_row *r, int i);
/* rows into structs (store/rows.c): a struct and its strings in one block */
struct store_strmap {
	int col;			/* result column */
	size_t off;			/* offsetof the const char * it fills */
};
void *store_row_pack(size_t size, const struct store_row *r,
		     const struct store_strmap *m, size_t nm);
struct store_subscriber *store_subscriber_from_row(const struct store_row *r);
struct store_consent *store_consent_from_row(const struct store_row *r);
struct store_article *store_article_from_row(const struct store_row *r);
struct store_alert *store_alert_from_row(const struct store_row *r);
struct store_delivery *store_delivery_from_row(const struct store_row *r);
int store_alert_state_parse(const char *v);
/*
 * store_audience_merged - an alert's next batch of at most max (> 0) after
 * *cursor up to hi, list by list (audience_merge.c): store_audience_next's
 * sparse road on SQLite
 */
int store_audience_merged(struct store *s, int64_t alert_id, int64_t *cursor, int64_t hi,
			  size_t max, struct store_batch *b);
/*
 * store_reached_add_locked - subscriber_id into alert_id's retries part of
 * the reached record, inside the caller's transaction (reached.c); *added
 * is 0 when it was there already
 */
int store_reached_add_locked(struct store *s, int64_t alert_id, int64_t subscriber_id, int *added);
/* a batch emptied for up to max rows; store_batch_add is a store_row_fn */
void store_batch_reset(struct store_batch *b, size_t max);
int store_batch_add(void *arg, const struct store_row *r);
/* a page of rows after *cursor into b (rows.c); *cursor moves to its last id */
int store_batch_fetch(struct store *s, enum store_q q, const struct store_param *p, size_t np,
		      size_t max, int64_t *cursor, struct store_batch *b);
/* a growable array of row pointers */
struct store_ptrs {
	void **items;
	size_t n, cap;
};
void store_ptrs_push(struct store_ptrs *l, void *p);
/* one ledger row, inside the caller's transaction (consent.c) */
int store_consent_add(struct store *s, int64_t subscriber_id, enum store_purpose p,
		      enum store_action a, const struct store_consent_in *ev);
/* the same, about one list (list_id 0: none) */
int store_consent_add_list(struct store *s, int64_t subscriber_id, enum store_purpose p,
			   enum store_action a, const struct store_consent_in *ev, int64_t list_id);
/* SQLite: PRAGMA wal_checkpoint(TRUNCATE) (sqlite.c) */
int store_sqlite_checkpoint(struct store *s);
/* a new subscriber with membership and consent, in the caller's transaction */
int store_subscriber_insert(struct store *s, const struct store_signup *in, int64_t list,
			    int64_t *id);
/* the subscribers row alone (the import writes the rest per batch) */
int store_subscriber_insert_row(struct store *s, const struct store_signup *in, int64_t *id);
/* the import batch as plain statements (SQLite's import, PostgreSQL's fallback) */
int store_import_rows(struct store *s, const struct store_import *imp,
		      struct store_import_row *rows, size_t n);
/* mark rows whose key came earlier in the batch DUPLICATE, the others IMPORTED */
void store_import_mark_repeats(struct store_import_row *rows, size_t n);
/* PostgreSQL: COPY ... FROM STDIN of data; a unique violation is NF_ERR_TEMP */
int store_pg_copy(struct store *s, const char *sql, const struct buf *data);
int store_pg_import(struct store *s, const struct store_import *imp,
		    struct store_import_row *rows, size_t n);
/* sqlite.c: the SQLite connection of s, NULL on PostgreSQL (backup.c) */
struct sqlite3;
struct sqlite3 *store_sqlite_db(struct store *s);
/*
 * schema.c: every table, in an order foreign keys allow to fill, with the
 * columns that order its rows (its key) and whether it has an id column
 * behind a sequence (PostgreSQL identity)
 */
struct store_table {
	const char *name;
	const char *key;		/* "id", "list_id, subscriber_id" */
	int nkey;
	int has_identity;
};
const struct store_table *store_schema_tables(size_t *n);
/* migrations: run by store_open and store_migrate */
int store_schema_apply(struct store *s, int *version, int *applied);
int store_schema_latest(void);
const char *store_schema_sql(enum store_dialect d, int version);

/* sqlite.c: a database file not yet there made 0600 whatever the umask */
int store_sqlite_create_private(struct store *s, const char *path);

#endif
