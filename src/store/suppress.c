/*
 * store/suppress.c - addresses never to mail again
 *
 * Owns: the suppression list. A hard bounce or a complaint is kept by the
 * address key itself (the operator needs to see which address bounced); an
 * erasure is kept only as a keyed hash of the key (HMAC-SHA256 under a
 * random key made at the first migration and kept in meta), so the address
 * is gone but an old CSV or a stale integration cannot bring it back.
 *
 * A check looks for both forms. Streaming members skips plain-key
 * suppressions in SQL; erased subscribers are never streamed at all.
 */
#include <stdlib.h>

#include "store_internal.h"

int
store_suppression_add(struct store *s, const char *email_key, const char *reason)
{
	struct store_param p[3] = { SP_TEXT(email_key), SP_TEXT(reason ? reason : "manual"),
				    SP_INT(store_now(0)) };

	if (email_key == NULL || *email_key == '\0') {
		store_set_err(s, "a suppression needs an address key");
		return NF_ERR_INVALID;
	}
	return store_exec(s, Q_SUPP_ADD_KEY, p, 3, NULL, NULL, NULL);
}

int
store_suppression_check(struct store *s, const char *email_key, char **reason)
{
	struct store_text t = { "", 0 };
	struct store_param p[2];
	char hash[65];
	int rc;

	if (reason)
		*reason = NULL;
	if (email_key == NULL)
		return NF_ERR_NOTFOUND;
	store_key_hash(s, email_key, hash);
	p[0] = SP_TEXT(email_key);
	p[1] = SP_TEXT(hash);
	if ((rc = store_exec(s, Q_SUPP_CHECK, p, 2, store_copy_text, &t, NULL)) != NF_OK)
		return rc;
	if (!t.got)
		return NF_ERR_NOTFOUND;
	if (reason)
		*reason = xstrdup(t.text);
	return NF_OK;
}

struct supp_row {
	char *reason;
	int64_t at;
	int hashed;
	int got;
};

static int
take_supp(void *arg, const struct store_row *r)
{
	struct supp_row *x = arg;

	if (x->got++)
		return NF_OK;
	x->reason = xmemdup0(r->val[0] ? r->val[0] : "", r->len[0]);
	x->at = store_col_int(r, 1);
	x->hashed = r->val[2] && r->val[2][0] == 'k';
	return NF_OK;
}

int
store_suppression_get(struct store *s, const char *email_key, char **reason, int64_t *at,
		      const char **form)
{
	struct supp_row x = { NULL, 0, 0, 0 };
	struct store_param p[2];
	char hash[65];
	int rc;

	*reason = NULL;
	if (email_key == NULL)
		return NF_ERR_NOTFOUND;
	store_key_hash(s, email_key, hash);
	p[0] = SP_TEXT(email_key);
	p[1] = SP_TEXT(hash);
	if ((rc = store_exec(s, Q_SUPP_GET, p, 2, take_supp, &x, NULL)) != NF_OK) {
		free(x.reason);
		return rc;
	}
	if (!x.got)
		return NF_ERR_NOTFOUND;
	*reason = x.reason;
	*at = x.at;
	*form = x.hashed ? "keyed-hash" : "address";
	return NF_OK;
}
