/*
 * web/signup.c - the signup box: GET /, POST /subscribe, POST /api/subscribe
 *
 * Owns: the signup flow. Validate the address (addr/), store a pending
 * subscriber with its consent rows (store/: alerts always, marketing only
 * when its separate box was ticked), and queue the confirmation email on the
 * delivery engine's priority lane. The answer is the same whatever state
 * the address was already in (no enumeration): a confirmed subscriber gets
 * no second subscription, and confirmation mails to one address are paced.
 * Abuse resistance lives here too: per-IP rate limit, CSRF double-submit
 * plus Origin check on the form, a honeypot field.
 */
#include <stdlib.h>
#include <string.h>

#include "addr/addr.h"
#include "deliver/deliver.h"
#include "mail/mail.h"
#include "store/store.h"
#include "web_impl.h"

#define INVALID_EMAIL "Please enter a valid email address"
#define RATE_LIMITED "Too many sign-ups from your network. Please try again in a minute"

enum signup_outcome { SIGNUP_OK, SIGNUP_INVALID, SIGNUP_LIMITED, SIGNUP_UNAVAILABLE };

struct signup_in {
	const char *email;
	size_t len;
	int marketing;
	const char *source;		/* "form" or "api" */
};

/* the signup page, with errors, the typed address and a hint when given */
static void
render_signup(struct web *w, struct http_request *req, struct http_response *res, int status,
	      const char *error, const char *detail, const char *typed, const char *suggestion,
	      int marketing)
{
	char token[CSRF_TOKEN_MAX];
	json_t *ctx = json_object(), *errs = json_array();

	web_csrf_cookie(w, req, res, token);
	json_object_set_new(ctx, "csrf", json_string(token));
	if (status != 200) {
		json_object_set_new(ctx, "hasErrors", json_true());
		if (error)
			json_array_append_new(errs, json_pack("{s:s}", "message", error));
		if (detail)
			json_array_append_new(errs, json_pack("{s:s}", "message", detail));
	}
	json_object_set_new(ctx, "verifyErrors", errs);
	if (typed)
		json_object_set_new(ctx, "email", json_stringn_nocheck(typed, strlen(typed)));
	if (suggestion && *suggestion) {
		json_object_set_new(ctx, "suggestion", json_string(suggestion));
		if (status == 200 && typed)	/* sending it again unchanged means it is right */
			json_object_set_new(ctx, "typo_ok", json_string(typed));
	}
	json_object_set_new(ctx, "marketing", json_boolean(marketing));
	page_render(w, res, status, PAGE_SIGNUP, ctx);
	json_decref(ctx);
}

void
signup_page(struct web *w, struct http_request *req, struct http_response *res, const char *arg)
{
	NF_UNUSED(arg);
	render_signup(w, req, res, 200, NULL, NULL, NULL, NULL, 0);
}

void
privacy_page(struct web *w, struct http_request *req, struct http_response *res, const char *arg)
{
	json_t *ctx = json_object();

	NF_UNUSED(req);
	NF_UNUSED(arg);
	page_render(w, res, 200, PAGE_PRIVACY, ctx);
	json_decref(ctx);
}

static void
consent_from_request(struct web *w, struct http_request *req, const char *source,
		     struct store_consent_in *ev, char version[32], char hash[65])
{
	pages_wording(w, version, hash);
	memset(ev, 0, sizeof(*ev));
	ev->source = source;
	ev->ip = req->ip;
	ev->user_agent = req->user_agent;
	ev->wording_version = version;
	ev->wording_hash = hash;
}

/* queue the confirmation mail unless one went out within confirm_interval */
static int
send_confirmation(struct web *w, struct store *s, int64_t id)
{
	struct store_subscriber *sub = NULL;
	struct mail_subscriber ms;
	struct buf msg;
	int rc;

	if ((rc = store_subscriber_get(s, id, &sub)) != NF_OK)
		return rc;
	if (sub->confirm_sent_at && (int64_t)time(NULL) - sub->confirm_sent_at < w->cfg.confirm_interval) {
		store_subscriber_free(sub);
		return NF_OK;	/* paced: the earlier mail is still good */
	}
	ms.id = (uint64_t)sub->id;
	ms.email = sub->email;
	ms.salt = sub->token_salt;
	buf_init(&msg, 0);
	rc = mail_confirm_compose(w->cfg.sender, &ms, time(NULL), &msg);
	if (rc == NF_OK) {
		rc = deliver_priority(w->cfg.engine, sub->email, msg.data, msg.len, sub->id);
		msg.data = NULL;
		/*
		 * Recorded once queued, so a burst of signups cannot queue many
		 * mails; but only then: a lane found full answers 503, and the
		 * person's next try must send the mail, not be paced for nothing.
		 */
		if (rc == NF_OK)
			store_subscriber_confirm_sent(s, sub->id, (int64_t)time(NULL));
	}
	buf_free(&msg);
	store_subscriber_free(sub);
	return rc;
}

static enum signup_outcome
signup_do(struct web *w, struct http_request *req, const struct signup_in *in,
	  struct addr_result *ar, int *pending)
{
	struct store_signup su;
	struct store *s;
	char version[32], hash[65];
	enum store_sub_status status;
	int64_t id;
	int created, rc;

	*pending = !w->cfg.single_opt_in;
	if (!ratelimit_take(w->signup_limit, req->ip, time_mono_us()))
		return SIGNUP_LIMITED;
	addr_check(in->email, in->len, w->cfg.addr_flags, ar);
	if (ar->valid && mail_hdr_addr_check(ar->normalized, strlen(ar->normalized)) != NF_OK) {
		/*
		 * RFC 5321 allows it ("a b"@example.com, a non-ASCII local part) but
		 * our mail cannot carry it in To:: refuse it now rather than store
		 * someone we could never write to (it used to be stored, then 503)
		 */
		ar->valid = 0;
		ar->code = "unsupported";
		ar->message = "Addresses with quotes, spaces or non-ASCII characters before the @ are not supported";
	}
	if (!ar->valid)
		return SIGNUP_INVALID;
	s = web_store(w);
	if (*pending && w->cfg.engine == NULL) {
		/* serve --no-engine has no lane for the confirmation mail */
		log_event(LOG_ERROR, "signup.no_engine", "why",
			  "double opt-in needs the in-process engine to send confirmations", NULL);
		return SIGNUP_UNAVAILABLE;
	}
	if (s == NULL || (*pending && !deliver_priority_room(w->cfg.engine)))
		return SIGNUP_UNAVAILABLE;
	memset(&su, 0, sizeof(su));
	su.email = ar->normalized;
	su.email_key = ar->key;
	su.email_display = ar->display;
	su.confirmed = !*pending;
	su.marketing = in->marketing;
	consent_from_request(w, req, in->source, &su.consent, version, hash);
	rc = store_subscriber_create(s, &su, &id, &status, &created);
	if (rc == NF_OK && !created && status == STORE_UNSUBSCRIBED)
		/* someone who left signs up again: pending (or active) once more */
		rc = store_subscriber_set_status(s, id, *pending ? STORE_PENDING : STORE_CONFIRMED,
						 &su.consent, NULL), status = *pending ? STORE_PENDING : STORE_CONFIRMED;
	if (rc == NF_OK && *pending && status == STORE_PENDING)
		rc = send_confirmation(w, s, id);
	if (rc != NF_OK) {
		log_event(LOG_ERROR, "signup.failed", "reason", store_errmsg(s), NULL);
		return SIGNUP_UNAVAILABLE;
	}
	if (created)
		log_event(LOG_INFO, "signup.created", "source", in->source, NULL);
	return SIGNUP_OK;
}

static void
render_thanks(struct web *w, struct http_response *res, int pending)
{
	json_t *ctx = json_object();

	json_object_set_new(ctx, "pending", json_boolean(pending));
	page_render(w, res, 200, PAGE_THANKS, ctx);
	json_decref(ctx);
}

/*
 * likely_typo - a valid address at a misspelt big provider (gmial.com) that
 * the person has not yet confirmed by sending it again unchanged
 */
static int
likely_typo(struct web *w, const struct signup_in *in, const char *typo_ok, struct addr_result *ar)
{
	if (typo_ok && strlen(typo_ok) == in->len && memcmp(typo_ok, in->email, in->len) == 0)
		return 0;
	addr_check(in->email, in->len, w->cfg.addr_flags, ar);
	return ar->valid && ar->suggestion[0];
}

void
signup_form(struct web *w, struct http_request *req, struct http_response *res, const char *arg)
{
	struct http_form form;
	struct signup_in in;
	struct addr_result ar;
	const char *honeypot, *typo_ok;
	int pending;

	NF_UNUSED(arg);
	if (http_form_parse(req->arena, req->body.data ? req->body.data : "", req->body.len, &form) != NF_OK) {
		page_error(w, res, 400, "The form could not be read. Please try again");
		return;
	}
	if (!web_form_guard(w, req, &form)) {
		render_signup(w, req, res, 403, "Your session expired. Please try again",
			      NULL, NULL, NULL, 0);
		return;
	}
	honeypot = http_form_get(&form, "website", NULL);
	memset(&in, 0, sizeof(in));
	in.email = http_form_get(&form, "email", &in.len);
	in.marketing = http_form_get(&form, "marketing", NULL) != NULL;
	in.source = "form";
	if (honeypot && *honeypot) {
		render_thanks(w, res, 1);	/* a bot: it learns nothing */
		return;
	}
	if (in.email == NULL)
		in.email = "", in.len = 0;
	typo_ok = http_form_get(&form, "typo_ok", NULL);
	if (likely_typo(w, &in, typo_ok, &ar)) {
		/* a hint, not an error: the same address sent again is taken as meant */
		render_signup(w, req, res, 200, NULL, NULL, in.email, ar.suggestion, in.marketing);
		return;
	}
	switch (signup_do(w, req, &in, &ar, &pending)) {
	case SIGNUP_OK:
		render_thanks(w, res, pending);
		break;
	case SIGNUP_INVALID:
		/* the reason helps, except for an empty field where it only repeats */
		render_signup(w, req, res, 422, INVALID_EMAIL, ar.reason == ADDR_EMPTY ? NULL : ar.message,
			      strlen(in.email) == in.len ? in.email : "", ar.suggestion, in.marketing);
		break;
	case SIGNUP_LIMITED:
		render_signup(w, req, res, 429, RATE_LIMITED, NULL, in.email, NULL, in.marketing);
		break;
	case SIGNUP_UNAVAILABLE:
		render_signup(w, req, res, 503, NULL, NULL, in.email, NULL, in.marketing);
		break;
	}
}

/*
 * signup_json_parse - the body of POST /api/subscribe: {"email": string,
 * "marketing": true|false}. The address is copied into the arena with its
 * length (JSON allows \u0000 inside it; addr_check refuses that later).
 */
int
signup_json_parse(struct arena *a, const char *body, size_t len, struct signup_json *out)
{
	json_error_t jerr;
	json_t *root, *email, *marketing;
	int rc = NF_ERR_INVALID;

	memset(out, 0, sizeof(*out));
	root = json_loadb(body, len, JSON_ALLOW_NUL, &jerr);
	email = json_is_object(root) ? json_object_get(root, "email") : NULL;
	marketing = json_is_object(root) ? json_object_get(root, "marketing") : NULL;
	if (json_is_string(email) && (marketing == NULL || json_is_boolean(marketing))) {
		out->email_len = json_string_length(email);
		out->email = arena_strndup(a, json_string_value(email), out->email_len);
		out->marketing = marketing && json_is_true(marketing);
		rc = out->email ? NF_OK : NF_ERR_LIMIT;
	}
	json_decref(root);
	return rc;
}

void
signup_api(struct web *w, struct http_request *req, struct http_response *res, const char *arg)
{
	struct signup_in in;
	struct signup_json body;
	struct addr_result ar;
	int pending;

	NF_UNUSED(arg);
	if (strncmp(req->content_type, "application/json", 16) != 0) {
		http_json_error(res, 415, "Content-Type must be application/json");
		return;
	}
	if (!web_origin_ok(w, req)) {
		http_json_error(res, 403, "cross-origin requests are not accepted");
		return;
	}
	if (signup_json_parse(req->arena, req->body.data ? req->body.data : "", req->body.len, &body) != NF_OK) {
		http_json_error(res, 400, "expected {\"email\": string, \"marketing\": true|false}");
		return;
	}
	in.email = body.email;
	in.len = body.email_len;
	in.marketing = body.marketing;
	in.source = "api";
	switch (signup_do(w, req, &in, &ar, &pending)) {
	case SIGNUP_OK:
		web_json_reply(res, 200, json_pack("{s:s,s:s,s:b,s:s*}", "status", "ok",
			    "message", "Thanks for signing up to the Breaking News email", "confirm", pending,
			    "suggestion", ar.suggestion[0] ? ar.suggestion : NULL));
		break;
	case SIGNUP_INVALID:
		web_json_reply(res, 422, json_pack("{s:s,s:s,s:s,s:s*}", "error", INVALID_EMAIL,
			    "code", ar.code, "detail", ar.message,
			    "suggestion", ar.suggestion[0] ? ar.suggestion : NULL));
		break;
	case SIGNUP_LIMITED:
		http_json_error(res, 429, RATE_LIMITED);
		break;
	case SIGNUP_UNAVAILABLE:
		http_json_error(res, 503, "Something went wrong. Please try again later");
		break;
	}
}
