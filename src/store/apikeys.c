/*
 * store/apikeys.c - API keys for the newsroom's JSON API
 *
 * Owns: making keys and checking them. A key is "nf_" and 43 characters of
 * base64url (32 random bytes); only its SHA-256 is stored, so a copy of the
 * database gives no usable key. Checking hashes the presented key and
 * compares it with every stored hash in constant time, without stopping at
 * a match: how long it takes depends on how many keys exist, never on how
 * close a guess came. Listing shows names and dates only (there is nothing
 * else to show); revoking deletes the row, and the key stops working at
 * its next request.
 */
#include <stdlib.h>
#include <string.h>

#include "store_internal.h"

#define KEY_PREFIX "nf_"
#define KEY_RANDOM 32

void
store_sha256_hex(const char *key, size_t len, char out[65])
{
	unsigned char h[32];
	struct buf hex;

	sha256(key, len, h);
	buf_init(&hex, 64);
	hex_encode(&hex, h, sizeof(h));
	memcpy(out, hex.data, 65);
	buf_free(&hex);
}

int
store_apikey_create(struct store *s, const char *name, char key[STORE_APIKEY_MAX])
{
	unsigned char raw[KEY_RANDOM];
	struct store_param p[3];
	struct buf k;
	char hash[65];
	int64_t n = 0;
	int rc;

	key[0] = '\0';
	if (name == NULL || *name == '\0' || strlen(name) > 64) {
		store_set_err(s, "an API key needs a name of 1-64 bytes");
		return NF_ERR_INVALID;
	}
	if ((rc = random_bytes(raw, sizeof(raw))) != NF_OK)
		return rc;
	buf_init(&k, STORE_APIKEY_MAX - 1);
	buf_puts(&k, KEY_PREFIX);
	base64url_encode(&k, raw, sizeof(raw));
	store_sha256_hex(k.data, k.len, hash);
	p[0] = SP_TEXT(name);
	p[1] = SP_TEXT(hash);
	p[2] = SP_INT(store_now(0));
	rc = store_exec(s, Q_APIKEY_ADD, p, 3, NULL, NULL, &n);
	if (rc == NF_OK && n == 0) {
		store_set_err(s, "an API key named '%s' exists", name);
		rc = NF_ERR_INVALID;
	}
	if (rc == NF_OK)
		memcpy(key, k.data, k.len + 1);
	buf_free(&k);
	return rc;
}

struct verify {
	char want[65];
	char *name;
};

static int
compare_key(void *arg, const struct store_row *r)
{
	struct verify *v = arg;
	int same = r->val[1] && r->len[1] == 64 && ct_equal(r->val[1], v->want, 64);

	if (same && v->name == NULL)
		v->name = xmemdup0(r->val[0] ? r->val[0] : "", r->val[0] ? r->len[0] : 0);
	return NF_OK;
}

int
store_apikey_verify(struct store *s, const char *key, size_t len, char **name)
{
	struct verify v = { "", NULL };
	int rc;

	if (name)
		*name = NULL;
	/* an oversized key is hashed like any other, and matches nothing */
	store_sha256_hex(key ? key : "", key ? len : 0, v.want);
	if ((rc = store_exec(s, Q_APIKEY_ALL, NULL, 0, compare_key, &v, NULL)) != NF_OK) {
		free(v.name);
		return rc;
	}
	if (v.name == NULL)
		return NF_ERR_NOTFOUND;
	if (name)
		*name = v.name;
	else
		free(v.name);
	return NF_OK;
}

struct list_cb {
	store_apikey_fn fn;
	void *arg;
};

static int
list_row(void *arg, const struct store_row *r)
{
	struct list_cb *l = arg;

	l->fn(l->arg, r->val[0] ? r->val[0] : "", store_col_int(r, 1));
	return NF_OK;
}

int
store_apikey_list(struct store *s, store_apikey_fn fn, void *arg)
{
	struct list_cb l = { fn, arg };

	return store_exec(s, Q_APIKEY_LIST, NULL, 0, list_row, &l, NULL);
}

int
store_apikey_revoke(struct store *s, const char *name)
{
	struct store_param p = SP_TEXT(name);
	int64_t n = 0;
	int rc = store_exec(s, Q_APIKEY_DEL, &p, 1, NULL, NULL, &n);

	if (rc == NF_OK && n == 0) {
		store_set_err(s, "no API key named '%s'", name);
		rc = NF_ERR_NOTFOUND;
	}
	return rc;
}
