/*
 * store/store.c - opening a store, transactions, and what every part shares
 *
 * Owns: choosing the backend from the URL, running migrations on open,
 * nested transactions with failure marking (group commit for callers that
 * batch), the error text, and small helpers: parameters, integer columns,
 * token salts, keyed hashes of address keys, status names.
 *
 * Does not own: any SQL (store/query.c) or any driver (sqlite.c, pg.c).
 */
#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store_internal.h"

/* why the last store_open in this thread failed (store_errmsg(NULL)) */
static _Thread_local char open_err[512];

static const char *const status_names[] = {
	"pending", "confirmed", "unsubscribed", "bounced", "erased"
};

const char *
store_status_name(enum store_sub_status st)
{
	if ((int)st < 0 || (size_t)st >= NF_ARRAY_LEN(status_names))
		return "?";
	return status_names[st];
}

int
store_status_parse(const char *name, enum store_sub_status *out)
{
	size_t i;

	for (i = 0; name && i < NF_ARRAY_LEN(status_names); i++)
		if (strcmp(name, status_names[i]) == 0) {
			*out = (enum store_sub_status)i;
			return NF_OK;
		}
	return NF_ERR_INVALID;
}

void
store_set_err(struct store *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->err, sizeof(s->err), fmt, ap);
	va_end(ap);
}

const char *
store_errmsg(const struct store *s)
{
	return s ? s->err : open_err;
}

const char *
store_backend(const struct store *s)
{
	return s->ops->name;
}

void
store_describe(struct store *s, char *out, size_t len)
{
	s->ops->describe(s, out, len);
}

struct store_param
store_param_text(const char *s)
{
	struct store_param p = { STORE_P_NULL, 0, NULL, 0 };

	if (s) {
		p.type = STORE_P_TEXT;
		p.s = s;
		p.len = strlen(s);
	}
	return p;
}

int64_t
store_col_int(const struct store_row *r, int i)
{
	const char *v;
	int64_t n = 0;
	int neg = 0;

	if (i >= r->ncols || (v = r->val[i]) == NULL)
		return 0;
	if (*v == '-') {
		neg = 1;
		v++;
	}
	/* columns are ours: counts, ids, times; PostgreSQL may add ".0" to numerics */
	for (; *v >= '0' && *v <= '9'; v++)
		n = n * 10 + (*v - '0');
	return neg ? -n : n;
}

int64_t
store_now(int64_t at)
{
	return at ? at : (int64_t)time(NULL);
}

/*
 * Salts come from a per-thread pool filled 4 KiB at a time: one getrandom
 * per 256 salts instead of one per subscriber (an import makes a million).
 */
#define SALT_BYTES 16
#define SALT_POOL 4096

void
store_new_salt(char out[33])
{
	static _Thread_local unsigned char pool[SALT_POOL];
	static _Thread_local size_t left;
	static const char hex[] = "0123456789abcdef";
	const unsigned char *raw;
	size_t i;

	if (left < SALT_BYTES) {
		if (random_bytes(pool, sizeof(pool)) != NF_OK)
			log_panic("no entropy for a token salt");
		left = sizeof(pool);
	}
	raw = pool + sizeof(pool) - left;
	for (i = 0; i < SALT_BYTES; i++) {
		out[2 * i] = hex[raw[i] >> 4];
		out[2 * i + 1] = hex[raw[i] & 15];
	}
	memset(pool + sizeof(pool) - left, 0, SALT_BYTES);	/* used once, then gone */
	left -= SALT_BYTES;
	out[32] = '\0';
}

void
store_key_hash(const struct store *s, const char *email_key, char out[65])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char mac[HMAC_SHA256_LEN];
	size_t i;

	hmac_sha256(s->hash_key, sizeof(s->hash_key), email_key, strlen(email_key), mac);
	for (i = 0; i < sizeof(mac); i++) {
		out[2 * i] = hex[mac[i] >> 4];
		out[2 * i + 1] = hex[mac[i] & 15];
	}
	out[64] = '\0';
}

/* ---- statements and transactions ---- */

/*
 * NOT FOUND and INVALID are answers decided before anything was written, so
 * they do not spoil an enclosing batch; any other failure does (PostgreSQL
 * has aborted the transaction anyway), and the outermost level then rolls
 * back and reports it.
 */
static void
note_failure(struct store *s, int rc)
{
	if (s->depth > 0 && rc != NF_OK && rc != NF_ERR_NOTFOUND && rc != NF_ERR_INVALID &&
	    s->failed == NF_OK)
		s->failed = rc;
}

int
store_exec(struct store *s, enum store_q q, const struct store_param *p, size_t np,
	   store_row_fn fn, void *arg, int64_t *changes)
{
	int rc;

	assert(q < Q_COUNT);
	rc = s->ops->exec(s, q, p, np, fn, arg, changes);
	note_failure(s, rc);
	return rc;
}

struct first_int {
	int64_t v;
	int got;
};

static int
take_first_int(void *arg, const struct store_row *r)
{
	struct first_int *f = arg;

	if (!f->got) {
		f->v = store_col_int(r, 0);
		f->got = 1;
	}
	return NF_OK;
}

int
store_exec_int(struct store *s, enum store_q q, const struct store_param *p, size_t np,
	       int64_t *out)
{
	struct first_int f = { 0, 0 };
	int rc = store_exec(s, q, p, np, take_first_int, &f, NULL);

	if (rc != NF_OK)
		return rc;
	if (!f.got)
		return NF_ERR_NOTFOUND;
	if (out)
		*out = f.v;
	return NF_OK;
}

int
store_tx_begin(struct store *s)
{
	int rc;

	if (s->depth++ > 0)
		return NF_OK;
	s->failed = NF_OK;
	if ((rc = s->ops->begin(s)) != NF_OK)
		s->depth = 0;
	return rc;
}

/* store_tx_end - close one level; the outermost commits, or rolls back a spoilt batch */
int
store_tx_end(struct store *s, int rc)
{
	int result;

	assert(s->depth > 0);
	note_failure(s, rc);
	if (--s->depth > 0)
		return rc;
	if (s->failed != NF_OK || rc != NF_OK) {
		s->ops->rollback(s);
		result = s->failed != NF_OK ? s->failed : rc;
		s->failed = NF_OK;
		return result;
	}
	return s->ops->commit(s);
}

int
store_begin(struct store *s)
{
	return store_tx_begin(s);
}

int
store_commit(struct store *s)
{
	if (s->depth == 0)
		return NF_OK;
	return store_tx_end(s, NF_OK);
}

void
store_rollback(struct store *s)
{
	if (s->depth == 0)
		return;
	if (s->failed == NF_OK)
		s->failed = NF_ERR;
	store_tx_end(s, NF_ERR);
}

/* ---- open and close ---- */

int
store_copy_text(void *arg, const struct store_row *r)
{
	struct store_text *t = arg;

	if (!t->got && r->ncols > 0 && r->val[0] && r->len[0] < sizeof(t->text)) {
		memcpy(t->text, r->val[0], r->len[0]);
		t->text[r->len[0]] = '\0';
		t->got = 1;
	}
	return NF_OK;
}

int
store_load_hash_key(struct store *s)
{
	struct store_text t = { "", 0 };
	struct store_param p = SP_TEXT("hash_key");
	struct buf raw;
	int rc;

	if ((rc = store_exec(s, Q_META_GET, &p, 1, store_copy_text, &t, NULL)) != NF_OK)
		return rc;
	buf_init(&raw, sizeof(s->hash_key));
	if (hex_decode(&raw, t.text, strlen(t.text)) != NF_OK || raw.len != sizeof(s->hash_key)) {
		buf_free(&raw);
		store_set_err(s, "meta.hash_key is missing or damaged");
		return NF_ERR;
	}
	memcpy(s->hash_key, raw.data, sizeof(s->hash_key));
	buf_free(&raw);
	return NF_OK;
}

/*
 * has_schema - whether a database just opened was made by newsflash (has
 * its schema_version table and a version in it): NF_ERR_NOTFOUND when not
 */
static int
has_schema(struct store *s)
{
	int version = 0;

	if (store_schema_version(s, &version) == NF_OK && version > 0)
		return NF_OK;
	store_set_err(s, "it holds no newsflash schema");
	return NF_ERR_NOTFOUND;
}

/* open_url - store_open; with existing, nothing is created (see store_open_existing) */
static int
open_url(const char *url, int existing, struct store **out)
{
	struct store_url u;
	struct store *s;
	int rc;

	*out = NULL;
	open_err[0] = '\0';
	if (url == NULL || *url == '\0')
		url = STORE_DEFAULT_URL;
	if ((rc = store_url_parse(url, &u, open_err, sizeof(open_err))) != NF_OK)
		return rc;
	if (existing && u.dialect == STORE_SQLITE && access(u.path, F_OK) != 0) {
		snprintf(open_err, sizeof(open_err), "%s: %s", u.path, strerror(errno));
		store_url_free(&u);
		return NF_ERR_NOTFOUND;
	}
	s = xcalloc(1, sizeof(*s));
	s->ops = u.dialect == STORE_PG ? &store_pg_ops : &store_sqlite_ops;
	rc = s->ops->open(s, &u);
	store_url_free(&u);
	if (rc == NF_OK && existing && (rc = has_schema(s)) != NF_OK) {
		snprintf(open_err, sizeof(open_err), "%s", s->err);
		store_close(s);
		return rc;
	}
	if (rc == NF_OK)
		rc = store_schema_apply(s, NULL, &s->migrated);
	if (rc == NF_OK)
		rc = store_load_hash_key(s);
	if (rc == NF_OK)
		rc = store_list_get(s, STORE_LIST_DEFAULT, &s->default_list);
	if (rc != NF_OK) {
		snprintf(open_err, sizeof(open_err), "%s", s->err[0] ? s->err : nf_strstatus(rc));
		store_close(s);
		return rc == NF_ERR_NOTFOUND ? NF_ERR : rc;
	}
	*out = s;
	return NF_OK;
}

int
store_open(const char *url, struct store **out)
{
	return open_url(url, 0, out);
}

int
store_open_existing(const char *url, struct store **out)
{
	return open_url(url, 1, out);
}

void
store_close(struct store *s)
{
	if (s == NULL)
		return;
	if (s->depth > 0) {
		s->ops->rollback(s);
		s->depth = 0;
	}
	s->ops->close(s);
	free(s);
}

int
store_migrate(struct store *s, int *version, int *applied)
{
	int n = 0, rc = store_schema_apply(s, version, &n);

	if (applied)
		*applied = rc == NF_OK ? n + s->migrated : 0;
	return rc;
}

int
store_schema_version(struct store *s, int *version)
{
	int64_t v = 0;
	int rc = store_exec_int(s, Q_VERSION, NULL, 0, &v);

	*version = rc == NF_OK ? (int)v : 0;
	return rc;
}
