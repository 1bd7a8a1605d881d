/*
 * web/http/csrf.c - signed double-submit CSRF tokens, the Origin check
 *
 * Owns: the token put both in a cookie and in a hidden form field. It is
 * 16 random bytes plus a truncated HMAC of them under the server secret,
 * base64url. A forged form must carry the same value as the victim's cookie
 * (which another site cannot read) and the MAC stops a cookie planted by a
 * sibling subdomain from being any value the attacker likes. Every form
 * that changes something (signup, preferences, erasure) goes through
 * http_form_guard: the token, and an Origin that is ours when one is sent.
 * The one exception is the RFC 8058 one-click POST, which a mail provider
 * sends without any cookie: its token in the URL is its authority.
 */
#include <stdio.h>
#include <string.h>

#include "http.h"

#define CSRF_RANDOM 16
#define CSRF_MAC 16

static void
csrf_mac(const struct token_key *key, const unsigned char *rnd, unsigned char *mac)
{
	unsigned char full[HMAC_SHA256_LEN];
	unsigned char msg[5 + CSRF_RANDOM];

	memcpy(msg, "csrf:", 5);
	memcpy(msg + 5, rnd, CSRF_RANDOM);
	hmac_sha256(key->secret, key->len, msg, sizeof(msg), full);
	memcpy(mac, full, CSRF_MAC);
}

void
http_csrf_make(const struct token_key *key, char out[HTTP_CSRF_TOKEN_MAX])
{
	unsigned char raw[CSRF_RANDOM + CSRF_MAC];
	struct buf enc;

	if (random_bytes(raw, CSRF_RANDOM) != NF_OK)
		log_panic("getrandom failed");
	csrf_mac(key, raw, raw + CSRF_RANDOM);
	buf_init(&enc, HTTP_CSRF_TOKEN_MAX - 1);
	base64url_encode(&enc, raw, sizeof(raw));
	memcpy(out, enc.data, enc.len + 1);
	buf_free(&enc);
}

int
http_csrf_check(const struct token_key *key, const char *form_token, size_t form_len,
		const char *cookie_token)
{
	unsigned char mac[CSRF_MAC];
	struct buf raw;
	int ok = 0;

	if (form_token == NULL || cookie_token == NULL ||
	    form_len != strlen(cookie_token) || form_len == 0 ||
	    !ct_equal(form_token, cookie_token, form_len))
		return 0;
	buf_init(&raw, CSRF_RANDOM + CSRF_MAC);
	if (base64url_decode(&raw, form_token, form_len) == NF_OK &&
	    raw.len == CSRF_RANDOM + CSRF_MAC) {
		csrf_mac(key, (unsigned char *)raw.data, mac);
		ok = ct_equal(mac, raw.data + CSRF_RANDOM, CSRF_MAC);
	}
	buf_free(&raw);
	return ok;
}

/*
 * Tokens bound to a session: the HMAC of the session's id under the server
 * secret (which gives nothing of the id away). The newsroom's forms carry
 * it; it is worthless once the session ends, and needs no cookie beside
 * the session's own, which is HttpOnly and SameSite=Strict.
 */
#define CSRF_BOUND_BYTES 24

static void
csrf_bound_raw(const struct token_key *key, const char *binding, unsigned char *out)
{
	unsigned char full[HMAC_SHA256_LEN];
	struct buf msg;

	buf_init(&msg, 0);
	buf_puts(&msg, "csrf-bound:");
	buf_puts(&msg, binding);
	hmac_sha256(key->secret, key->len, msg.data, msg.len, full);
	memcpy(out, full, CSRF_BOUND_BYTES);
	buf_free(&msg);
}

void
http_csrf_bound_make(const struct token_key *key, const char *binding, char out[HTTP_CSRF_TOKEN_MAX])
{
	unsigned char raw[CSRF_BOUND_BYTES];
	struct buf enc;

	csrf_bound_raw(key, binding, raw);
	buf_init(&enc, HTTP_CSRF_TOKEN_MAX - 1);
	base64url_encode(&enc, raw, sizeof(raw));
	memcpy(out, enc.data, enc.len + 1);
	buf_free(&enc);
}

int
http_csrf_bound_check(const struct token_key *key, const char *binding, const char *token, size_t len)
{
	char want[HTTP_CSRF_TOKEN_MAX];

	if (token == NULL || binding == NULL || *binding == '\0')
		return 0;
	http_csrf_bound_make(key, binding, want);
	return len == strlen(want) && ct_equal(token, want, len);
}

/* http_csrf_cookie - a fresh token in the nf_csrf cookie; the form's hidden field gets token */
void
http_csrf_cookie(struct web *w, struct http_request *req, struct http_response *res,
		 char token[HTTP_CSRF_TOKEN_MAX])
{
	char cookie[HTTP_CSRF_TOKEN_MAX + 96];

	http_csrf_make(&w->cfg.key, token);
	snprintf(cookie, sizeof(cookie), "nf_csrf=%s; Path=/; HttpOnly; SameSite=Strict%s",
		 token, req->https ? "; Secure" : "");
	http_reply_header(req, res, "Set-Cookie", cookie);
}

/* the Origin header, when present, must be ours ("null" from privacy modes is refused) */
int
http_origin_ok(struct web *w, struct http_request *req)
{
	return req->origin == NULL || strcmp(req->origin, w->origin) == 0;
}

/* http_form_guard - a form post carries our Origin (or none) and the cookie's CSRF token */
int
http_form_guard(struct web *w, struct http_request *req, const struct http_form *form)
{
	const char *csrf, *cookie;
	size_t len = 0;

	csrf = http_form_get(form, "csrf", &len);
	cookie = http_cookie_get(req->arena, req->cookie, "nf_csrf");
	return http_origin_ok(w, req) && http_csrf_check(&w->cfg.key, csrf, len, cookie);
}
