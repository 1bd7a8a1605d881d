/*
 * web/public/signup_pow.c - the proof of work a signup carries with --signup-pow
 *
 * Owns: GET /api/subscribe/challenge (a fresh challenge as JSON, with CORS
 * for the --embed-origin sites as POST /api/subscribe has), what a signup
 * is told when its solution is missing or refused (status, message, a
 * code, and a fresh challenge for the script to solve), and what the
 * signup page needs to solve one (the script's URL and integrity value, and
 * a Content-Security-Policy that lets that script run and fetch).
 *
 * Without JavaScript there is no solution: the form post is refused with
 * a message saying JavaScript is needed, and nothing is stored. The check
 * runs before the rate limit, the address and the writer (signup.c).
 * Does not own: the challenge format and the check (http/pow.c), the
 * solver (templates/embed.js).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "public.h"

/* the signup page's policy when it runs embed.js: the default one plus 'self' scripts and fetches */
#define POW_PAGE_CSP "default-src 'none'; script-src 'self'; connect-src 'self'; " \
	"style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; " \
	"frame-ancestors 'none'; base-uri 'none'"

static const struct {
	int status;
	const char *code, *message;
} pow_refusals[] = {
	[HTTP_POW_OK] = { 200, "ok", "" },
	[HTTP_POW_MISSING] = { 422, "pow_required", "Please turn on JavaScript to sign up: the form "
			       "solves a small puzzle first, which keeps automated sign-ups out" },
	[HTTP_POW_BAD] = { 403, "pow_invalid", "The sign-up puzzle did not come from us. "
			   "Please reload the page and try again" },
	[HTTP_POW_EXPIRED] = { 422, "pow_expired", "The sign-up puzzle expired. Please try again" },
	[HTTP_POW_WRONG] = { 422, "pow_wrong", "The sign-up puzzle was not solved. Please try again" },
	[HTTP_POW_REPLAYED] = { 403, "pow_replayed", "That sign-up puzzle was used already. "
				"Please try again" },
	[HTTP_POW_FULL] = { 503, "pow_busy", "Too many sign-ups right now. Please try again in a few minutes" },
};

/* public_pow_check - the solution a signup carries; HTTP_POW_OK when none is asked */
enum http_pow_result
public_pow_check(struct web *w, const char *challenge, size_t clen, const char *counter, size_t nlen)
{
	enum http_pow_result r;

	if (w->pub->pow == NULL)
		return HTTP_POW_OK;
	r = http_pow_verify(w->pub->pow, challenge, clen, counter, nlen, (int64_t)time(NULL));
	if (r != HTTP_POW_OK)
		log_event(LOG_INFO, "signup.pow_refused", "why", pow_refusals[r].code, NULL);
	return r;
}

int
public_pow_status(enum http_pow_result r)
{
	return pow_refusals[r].status;
}

const char *
public_pow_message(enum http_pow_result r)
{
	return pow_refusals[r].message;
}

/* {"challenge", "bits", "expires", "ttl"} for a fresh challenge, or {"bits": 0} when none is asked */
static json_t *
pow_challenge_json(struct web *w)
{
	char challenge[HTTP_POW_CHALLENGE_MAX];
	int64_t now = (int64_t)time(NULL);

	if (w->pub->pow == NULL)
		return json_pack("{s:i}", "bits", 0);
	http_pow_challenge(w->pub->pow, now, challenge);
	return json_pack("{s:s,s:i,s:I,s:i}", "challenge", challenge, "bits", http_pow_bits(w->pub->pow),
			 "expires", (json_int_t)(now + HTTP_POW_TTL), "ttl", HTTP_POW_TTL);
}

/* public_pow_refuse_json - POST /api/subscribe's refusal: the box's verifyErrors and a new challenge */
void
public_pow_refuse_json(struct web *w, struct http_response *res, enum http_pow_result r)
{
	const char *msg = pow_refusals[r].message;

	http_reply_json(res, pow_refusals[r].status, json_pack("{s:s,s:s,s:s,s:[{s:s}],s:o}", "error", msg,
			"code", pow_refusals[r].code, "detail", msg, "verifyErrors", "message", msg,
			"pow", pow_challenge_json(w)));
}

/*
 * public_pow_page - what the signup page adds when a solution is asked:
 * ctx's "pow" (the script and where to fetch challenges) and the policy
 * that lets the script run
 */
void
public_pow_page(struct web *w, struct http_request *req, struct http_response *res, json_t *ctx)
{
	struct public_state *pub = w->pub;
	char url[64];

	if (pub->pow == NULL)
		return;
	snprintf(url, sizeof(url), "/embed/%s.js", pub->embed_version);
	json_object_set_new(ctx, "pow", json_pack("{s:s,s:s,s:s,s:i}", "script_url", url, "integrity",
			    pub->embed_integrity, "challenge_url", "/api/subscribe/challenge",
			    "bits", http_pow_bits(pub->pow)));
	http_reply_header(req, res, "Content-Security-Policy", POW_PAGE_CSP);
}

/* GET /api/subscribe/challenge: a challenge to solve (or {"bits": 0}: none is asked) */
void
public_pow_challenge_get(struct web *w, struct http_request *req, struct http_response *res, const char *arg)
{
	const char *embed = NULL;

	NF_UNUSED(arg);
	if (http_request_site(w, req, &embed) == HTTP_SITE_FOREIGN) {
		http_reply_json_error(res, 403, "cross-origin requests are not accepted");
		return;
	}
	if (embed)
		http_cors_allow(req, res, embed);
	http_reply_json(res, 200, pow_challenge_json(w));
}
