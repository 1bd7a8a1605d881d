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
 *
 * One token per browser: a valid cookie is kept, not replaced, so a form
 * rendered in another tab or before a reload still posts.
 *
 * Also owns where a request comes from (http_request_site): our own pages,
 * a publisher's site on the --embed-origin list (the signup box pasted into
 * its articles), or elsewhere. Posts from a listed publisher carry no
 * cookie of ours (browsers block third-party cookies), so there the guard
 * is the Origin header (the Referer's origin when a browser sends none)
 * and Sec-Fetch-Site, which a page cannot forge; and the CORS answer
 * (Fetch standard, CORS protocol) names that origin alone, never with
 * credentials.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

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

/*
 * http_csrf_cookie - the browser's token for the form's hidden field: the
 * nf_csrf cookie it already holds when that is valid (other tabs' forms
 * keep working), else a fresh one set in the cookie
 */
void
http_csrf_cookie(struct web *w, struct http_request *req, struct http_response *res,
		 char token[HTTP_CSRF_TOKEN_MAX])
{
	char cookie[HTTP_CSRF_TOKEN_MAX + 96];
	const char *have = http_cookie_get(req->arena, req->cookie, "nf_csrf");

	if (have && strlen(have) < HTTP_CSRF_TOKEN_MAX &&
	    http_csrf_check(&w->cfg.key, have, strlen(have), have)) {
		memcpy(token, have, strlen(have) + 1);
		return;
	}
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

/*
 * web_embed_origin_check - an --embed-origin value as a browser sends it in
 * Origin (RFC 6454 section 6.1): http or https, a host, an optional port,
 * nothing after
 */
const char *
web_embed_origin_check(const char *origin)
{
	const char *host, *p;
	int port_digits = -1;

	if (strncmp(origin, "https://", 8) == 0)
		host = origin + 8;
	else if (strncmp(origin, "http://", 7) == 0)
		host = origin + 7;
	else
		return "expected http://HOST or https://HOST[:PORT]";
	if (strlen(origin) >= HTTP_ORIGIN_MAX)
		return "too long";
	if (*host == '\0' || *host == ':')
		return "no host";
	p = host;
	if (*p == '[') {	/* an IPv6 literal */
		p += strspn(p + 1, "0123456789abcdef:.") + 1;
		if (*p != ']' || p == host + 1)
			return "a bad IPv6 literal";
		p++;
	}
	for (; *p; p++) {
		if (port_digits >= 0) {
			if (*p < '0' || *p > '9')
				return "the port must be digits";
			port_digits++;
		} else if (*p == ':') {
			port_digits = 0;
		} else if (*p == '/') {
			return "an origin has no path (not even a trailing /)";
		} else if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' || *p == '.')) {
			return "the host must be lower-case letters, digits, '-' and '.'";
		}
	}
	if (port_digits == 0 || port_digits > 5)
		return "the port must be 1 to 5 digits";
	return NULL;
}

/* http_origin_of_url - scheme://host[:port] of an http(s) URL (a Referer) into out; 0 when not one */
int
http_origin_of_url(const char *url, char *out, size_t size)
{
	const char *host, *end;

	if (strncmp(url, "https://", 8) == 0)
		host = url + 8;
	else if (strncmp(url, "http://", 7) == 0)
		host = url + 7;
	else
		return 0;
	end = host + strcspn(host, "/?#");
	if (end == host || (size_t)(end - url) >= size)
		return 0;
	memcpy(out, url, (size_t)(end - url));
	out[end - url] = '\0';
	return 1;
}

/* the listed publisher origin equal to o, NULL when none */
static const char *
embed_listed(const struct web *w, const char *o)
{
	size_t i;

	for (i = 0; i < w->cfg.embed_origin_count; i++)
		if (strcasecmp(o, w->cfg.embed_origins[i]) == 0)
			return w->cfg.embed_origins[i];
	return NULL;
}

/*
 * http_request_site - where a request comes from. The Origin header, else
 * the Referer's origin; Sec-Fetch-Site (set by the browser, not the page)
 * must agree: a listed publisher is another site or a sibling, never
 * "same-origin"; our own origin is never "cross-site". *embed gets the
 * listed origin for HTTP_SITE_EMBED.
 */
enum http_site
http_request_site(struct web *w, const struct http_request *req, const char **embed)
{
	const char *sfs = http_header(req, "Sec-Fetch-Site");
	const char *referer = http_header(req, "Referer");
	const char *o = req->origin;
	char from_referer[HTTP_ORIGIN_MAX];
	int cross = sfs && (strcmp(sfs, "cross-site") == 0 || strcmp(sfs, "same-site") == 0);

	*embed = NULL;
	if (o == NULL && referer && *referer) {
		if (!http_origin_of_url(referer, from_referer, sizeof(from_referer)))
			return HTTP_SITE_FOREIGN;
		o = from_referer;
	}
	if (o == NULL)
		return sfs && strcmp(sfs, "cross-site") == 0 ? HTTP_SITE_FOREIGN : HTTP_SITE_UNKNOWN;
	if (strcasecmp(o, w->origin) == 0)
		return sfs && strcmp(sfs, "cross-site") == 0 ? HTTP_SITE_FOREIGN : HTTP_SITE_OURS;
	if ((*embed = embed_listed(w, o)) != NULL && (sfs == NULL || cross))
		return HTTP_SITE_EMBED;
	*embed = NULL;
	return HTTP_SITE_FOREIGN;
}

/* http_cors_allow - the CORS answer for a listed origin: that origin alone, no credentials */
void
http_cors_allow(struct http_request *req, struct http_response *res, const char *origin)
{
	http_reply_header(req, res, "Access-Control-Allow-Origin", origin);
	http_reply_header(req, res, "Vary", "Origin");
}
