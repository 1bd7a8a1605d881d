/*
 * web/newsroom/editor_session.c - editors' sessions: the cookie and its row in the store
 *
 * Owns: making a session at sign-in, finding it again from the Cookie
 * header, and ending it. The cookie's value is 32 random bytes (base64url);
 * the store keeps only their SHA-256 (store_session_add), with the editor
 * and an expiry, so a copy of the database opens no session. The cookie (RFC 6265 4.1) is
 * HttpOnly (no script reads it), SameSite=Strict (no other site's page can
 * make the browser send it), Path=/newsroom (the public pages never see
 * it), Secure when the base URL is https, and lives as long as its row.
 * Expired rows are swept at each sign-in.
 */
#include <string.h>

#include "store/store.h"
#include "newsroom.h"

#define SESSION_COOKIE "nf_session"
#define SESSION_BYTES 32
#define SESSION_TOKEN_LEN 43		/* base64url of 32 bytes, unpadded */
#define SESSION_TTL (12 * 3600)		/* a newsroom shift */

static void
set_cookie(struct http_request *req, struct http_response *res, const char *value, long max_age)
{
	char cookie[160];

	snprintf(cookie, sizeof(cookie), SESSION_COOKIE "=%s; Path=/newsroom; Max-Age=%ld;"
		 " HttpOnly; SameSite=Strict%s", value, max_age, req->https ? "; Secure" : "");
	http_reply_header(req, res, "Set-Cookie", cookie);
}

int
newsroom_session_begin(struct web *w, struct http_request *req, struct http_response *res,
		       int64_t editor_id)
{
	unsigned char raw[SESSION_BYTES];
	struct store *s = http_store(w);
	struct buf token;
	int64_t now = time(NULL);
	int rc;

	if (s == NULL)
		return NF_ERR;
	if ((rc = random_bytes(raw, sizeof(raw))) != NF_OK)
		return rc;
	buf_init(&token, 64);
	base64url_encode(&token, raw, sizeof(raw));
	store_session_purge(s, now, NULL);	/* housekeeping; a failure here changes nothing */
	rc = store_session_add(s, token.data, editor_id, now, now + SESSION_TTL, req->ip, req->user_agent);
	if (rc == NF_OK)
		set_cookie(req, res, token.data, SESSION_TTL);
	buf_free(&token);
	return rc;
}

int
newsroom_session_find(struct web *w, struct http_request *req, struct newsroom_session *ss)
{
	struct store_session *row = NULL;
	struct store *s;
	const char *token = http_cookie_get(req->arena, req->cookie, SESSION_COOKIE);

	memset(ss, 0, sizeof(*ss));
	if (token == NULL || strlen(token) != SESSION_TOKEN_LEN || (s = http_store(w)) == NULL)
		return 0;
	if (store_session_get(s, token, time(NULL), &row) != NF_OK)
		return 0;
	memcpy(ss->id, token, SESSION_TOKEN_LEN + 1);
	ss->editor_id = row->editor_id;
	snprintf(ss->name, sizeof(ss->name), "%s", row->name ? row->name : "");
	snprintf(ss->email, sizeof(ss->email), "%s", row->email ? row->email : "");
	http_csrf_bound_make(&w->cfg.key, ss->id, ss->csrf);
	store_session_free(row);
	return 1;
}

void
newsroom_session_end(struct web *w, struct http_request *req, struct http_response *res,
		     const struct newsroom_session *ss)
{
	struct store *s = http_store(w);

	if (s && ss->id[0])
		store_session_delete(s, ss->id);
	set_cookie(req, res, "", 0);
}
