/*
 * store/editors.c - the newsroom's editors and their sign-in sessions
 *
 * Owns: editor rows (name, the address test alerts go to, the password's
 * encoded hash, the count of failed sign-ins) and sessions. The store never
 * sees a password (the web front hands in an encoded Argon2id hash) and
 * keeps only the SHA-256 of a session's id, as it does for API keys. Failed sign-ins
 * are counted in one UPDATE so that nodes sharing a database count
 * together and the growing delay survives a restart.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "store_internal.h"

/* one rule for every name an operator types: lists, API keys, editors */
int
store_editor_name_ok(const char *name)
{
	return store_list_name_ok(name);
}

/* EDITOR_COLS in store/query.c */
#define ED(field) offsetof(struct store_editor, field)
static const struct store_strmap editor_map[] = {
	{ 1, ED(name) }, { 2, ED(email) }, { 3, ED(password_hash) },
};

static int
collect_editor(void *arg, const struct store_row *r)
{
	struct store_editor *e = store_row_pack(sizeof(*e), r, editor_map, NF_ARRAY_LEN(editor_map));

	e->id = store_col_int(r, 0);
	e->created_at = store_col_int(r, 4);
	e->failed_signins = store_col_int(r, 5);
	e->last_failed_at = store_col_int(r, 6);
	e->last_signin_at = store_col_int(r, 7);
	store_ptrs_push(arg, e);
	return NF_OK;
}

void
store_editor_free(struct store_editor *e)
{
	free(e);
}

void
store_editor_list_free(struct store_editor **es, size_t n)
{
	size_t i;

	for (i = 0; es && i < n; i++)
		free(es[i]);
	free(es);
}

int
store_editor_add(struct store *s, const char *name, const char *email,
		 const char *password_hash, int64_t *id)
{
	struct store_param p[4];
	int rc;

	if (!store_editor_name_ok(name) || password_hash == NULL || *password_hash == '\0') {
		store_set_err(s, "an editor needs a name of 1-%d of a-z 0-9 - _ and a password hash",
			      STORE_EDITOR_NAME_MAX);
		return NF_ERR_INVALID;
	}
	p[0] = SP_TEXT(name);
	p[1] = SP_TEXT(email && *email ? email : NULL);
	p[2] = SP_TEXT(password_hash);
	p[3] = SP_INT(store_now(0));
	rc = store_exec_int(s, Q_EDITOR_ADD, p, 4, id);
	if (rc == NF_ERR_NOTFOUND) {	/* ON CONFLICT: nothing went in */
		store_set_err(s, "an editor named '%s' exists", name);
		rc = NF_ERR_INVALID;
	}
	return rc;
}

int
store_editor_get(struct store *s, const char *name, struct store_editor **out)
{
	struct store_ptrs l = { NULL, 0, 0 };
	struct store_param p = SP_TEXT(name);
	int rc = store_exec(s, Q_EDITOR_GET, &p, 1, collect_editor, &l, NULL);

	*out = NULL;
	if (rc == NF_OK && l.n == 0)
		rc = NF_ERR_NOTFOUND;
	if (rc == NF_OK) {
		*out = l.items[0];	/* names are unique: one row */
		free(l.items);
	} else {
		store_editor_list_free((struct store_editor **)l.items, l.n);
	}
	return rc;
}

int
store_editor_list(struct store *s, struct store_editor ***out, size_t *n)
{
	struct store_ptrs l = { NULL, 0, 0 };
	int rc = store_exec(s, Q_EDITOR_LIST, NULL, 0, collect_editor, &l, NULL);

	if (rc != NF_OK) {
		store_editor_list_free((struct store_editor **)l.items, l.n);
		l.items = NULL;
		l.n = 0;
	}
	*out = (struct store_editor **)l.items;
	*n = l.n;
	return rc;
}

static int
set_password_locked(struct store *s, const char *name, const char *hash)
{
	struct store_param p[2] = { SP_TEXT(name), SP_TEXT(hash) };
	int64_t id = 0;
	int rc;

	if ((rc = store_exec_int(s, Q_EDITOR_PASSWORD, p, 2, &id)) != NF_OK)
		return rc;
	p[0] = SP_INT(id);
	return store_exec(s, Q_SESSION_DEL_EDITOR, p, 1, NULL, NULL, NULL);
}

int
store_editor_set_password(struct store *s, const char *name, const char *password_hash)
{
	int rc;

	if (password_hash == NULL || *password_hash == '\0') {
		store_set_err(s, "a password hash is required");
		return NF_ERR_INVALID;
	}
	if ((rc = store_tx_begin(s)) != NF_OK)
		return rc;
	return store_tx_end(s, set_password_locked(s, name, password_hash));
}

static int
remove_locked(struct store *s, const char *name)
{
	struct store_editor *e = NULL;
	struct store_param p;
	int rc;

	if ((rc = store_editor_get(s, name, &e)) != NF_OK) {
		if (rc == NF_ERR_NOTFOUND)
			store_set_err(s, "no editor named '%s'", name);
		return rc;
	}
	p = SP_INT(e->id);
	store_editor_free(e);
	if ((rc = store_exec(s, Q_SESSION_DEL_EDITOR, &p, 1, NULL, NULL, NULL)) != NF_OK)
		return rc;
	return store_exec(s, Q_EDITOR_DEL, &p, 1, NULL, NULL, NULL);
}

/* store_editor_remove - the editor and every session of theirs, in one transaction */
int
store_editor_remove(struct store *s, const char *name)
{
	int rc;

	if ((rc = store_tx_begin(s)) != NF_OK)
		return rc;
	return store_tx_end(s, remove_locked(s, name));
}

int
store_editor_signin_failed(struct store *s, int64_t id, int64_t now, int64_t *failures)
{
	struct store_param p[2] = { SP_INT(id), SP_INT(store_now(now)) };

	return store_exec_int(s, Q_EDITOR_FAILED, p, 2, failures);
}

int
store_editor_signin_ok(struct store *s, int64_t id, int64_t now)
{
	struct store_param p[2] = { SP_INT(id), SP_INT(store_now(now)) };

	return store_exec(s, Q_EDITOR_SIGNED_IN, p, 2, NULL, NULL, NULL);
}

/* ---- sessions ---- */

#define SS(field) offsetof(struct store_session, field)
static const struct store_strmap session_map[] = { { 1, SS(name) }, { 2, SS(email) } };

static int
take_session(void *arg, const struct store_row *r)
{
	struct store_session **out = arg, *x;

	if (*out)
		return NF_OK;
	x = store_row_pack(sizeof(*x), r, session_map, NF_ARRAY_LEN(session_map));
	x->editor_id = store_col_int(r, 0);
	x->created_at = store_col_int(r, 3);
	x->expires_at = store_col_int(r, 4);
	*out = x;
	return NF_OK;
}

void
store_session_free(struct store_session *ss)
{
	free(ss);
}

int
store_session_add(struct store *s, const char *id, int64_t editor_id, int64_t now,
		  int64_t expires_at, const char *ip, const char *user_agent)
{
	struct store_param p[6];
	char hash[65];

	if (id == NULL || *id == '\0' || expires_at <= store_now(now)) {
		store_set_err(s, "a session needs an id and an expiry in the future");
		return NF_ERR_INVALID;
	}
	store_sha256_hex(id, strlen(id), hash);
	p[0] = SP_TEXT(hash);
	p[1] = SP_INT(editor_id);
	p[2] = SP_INT(store_now(now));
	p[3] = SP_INT(expires_at);
	p[4] = SP_TEXT(ip);
	p[5] = SP_TEXT(user_agent);
	return store_exec(s, Q_SESSION_ADD, p, 6, NULL, NULL, NULL);
}

int
store_session_get(struct store *s, const char *id, int64_t now, struct store_session **out)
{
	struct store_param p[2];
	char hash[65];
	int rc;

	store_sha256_hex(id ? id : "", id ? strlen(id) : 0, hash);
	p[0] = SP_TEXT(hash);
	p[1] = SP_INT(store_now(now));
	*out = NULL;
	rc = store_exec(s, Q_SESSION_GET, p, 2, take_session, out, NULL);
	return rc == NF_OK && *out == NULL ? NF_ERR_NOTFOUND : rc;
}

int
store_session_delete(struct store *s, const char *id)
{
	struct store_param p;
	char hash[65];

	store_sha256_hex(id ? id : "", id ? strlen(id) : 0, hash);
	p = SP_TEXT(hash);

	return store_exec(s, Q_SESSION_DEL, &p, 1, NULL, NULL, NULL);
}

int
store_session_purge(struct store *s, int64_t now, int64_t *n)
{
	struct store_param p = SP_INT(store_now(now));

	return store_exec(s, Q_SESSION_PURGE, &p, 1, NULL, NULL, n);
}
