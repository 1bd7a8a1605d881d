/*
 * web/public/signup.c - the signup box: GET /, POST /subscribe, POST /api/subscribe
 *
 * Owns: the signup flow. Validate the address (addr/), store a pending
 * subscriber with its consent rows (store/: alerts always, marketing only
 * when its separate box was ticked), and queue the confirmation email on the
 * delivery engine's priority lane. The checks run on the HTTP thread; the
 * rows are written by the group-commit writer (signup_writer.c, through
 * public_signup_row here), and the answer waits for its batch's COMMIT. The answer is the same whatever state
 * the address was already in (no enumeration): a confirmed subscriber gets
 * no second subscription, a suppressed address nothing at all, and
 * confirmation mails to one address are paced and, per mailbox, capped
 * (confirm_cap in confirm_window: nobody can bomb an inbox through us).
 * Abuse resistance lives here too: per-IP rate limit, CSRF double-submit
 * plus Origin check on the form, a honeypot field, and with --signup-pow
 * the proof of work (signup_pow.c), checked before the rate limit.
 *
 * The box pasted into a publisher's articles (embed.c) posts here too, from
 * an origin on the --embed-origin list: the form without JavaScript, the
 * API with it (CORS, answered for that origin alone). Such a post carries
 * no cookie of ours, so http_request_site's Origin/Referer and
 * Sec-Fetch-Site checks stand in for the CSRF token; any other origin is
 * refused before anything is read. Everything after that is the same path
 * (rate limit, honeypot, the cap on confirmations); the ledger's source is
 * "embed: " and the article's URL, and its wording the snippet's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr/addr.h"
#include "deliver/deliver.h"
#include "mail/mail.h"
#include "store/store.h"
#include "public.h"

#define INVALID_EMAIL "Please enter a valid email address"
#define RATE_LIMITED "Too many sign-ups from your network. Please try again in a minute"

enum signup_outcome { SIGNUP_OK, SIGNUP_INVALID, SIGNUP_LIMITED, SIGNUP_UNAVAILABLE, SIGNUP_QUEUED };

struct signup_in {
	const char *email;
	size_t len;
	int marketing;
	const char *source;		/* "form", "api" or "embed: ARTICLE-URL" */
	const char *return_to;		/* the article, on a listed origin: a link back from our pages */
	const char *list;		/* the list to join, NULL for breaking-news */
};

#define EMBED_PAGE_MAX 1024

/* the signup page, with errors, the typed address and a hint when given */
static void
render_signup(struct web *w, struct http_request *req, struct http_response *res, int status,
	      const char *error, const char *detail, const char *typed, const char *suggestion,
	      int marketing, const char *return_to)
{
	char token[HTTP_CSRF_TOKEN_MAX];
	json_t *ctx = json_object(), *errs = json_array();

	http_csrf_cookie(w, req, res, token);
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
	if (return_to)
		json_object_set_new(ctx, "return_to", json_string(return_to));
	public_pow_page(w, req, res, ctx);
	public_page_render(w, res, status, PUBLIC_PAGE_SIGNUP, ctx);
	json_decref(ctx);
}

void
public_signup_page(struct web *w, struct http_request *req, struct http_response *res, const char *arg)
{
	NF_UNUSED(arg);
	render_signup(w, req, res, 200, NULL, NULL, NULL, NULL, 0, NULL);
}

void
public_privacy_page(struct web *w, struct http_request *req, struct http_response *res, const char *arg)
{
	json_t *ctx = json_object();

	NF_UNUSED(req);
	NF_UNUSED(arg);
	public_page_render(w, res, 200, PUBLIC_PAGE_PRIVACY, ctx);
	json_decref(ctx);
}

static void
consent_from_request(struct web *w, struct http_request *req, const char *source,
		     struct store_consent_in *ev, char version[32], char hash[65])
{
	if (strncmp(source, "embed:", 6) == 0)
		public_wording_embed(w, version, hash);
	else
		public_wording(w, version, hash);
	memset(ev, 0, sizeof(*ev));
	ev->source = source;
	ev->ip = req->ip;
	ev->user_agent = req->user_agent;
	ev->wording_version = version;
	ev->wording_hash = hash;
}

/*
 * One signup on its way through the writer: what the HTTP thread checked,
 * the job it hands over, and what the answer needs once resumed. In the
 * request's arena, which lives until the answer is sent.
 */
struct signup_call {
	struct public_signup_job job;
	struct signup_in in;
	struct addr_result ar;
	char version[32], hash[65];
	int api;			/* answer in JSON (POST /api/subscribe) */
	const char *cors;		/* the listed origin the answer is for, or NULL */
};

static struct signup_call *
signup_call_new(struct http_request *req, int api)
{
	struct signup_call *c = arena_alloc(req->arena, sizeof(*c));

	if (c) {
		memset(c, 0, sizeof(*c));
		c->api = api;
		c->job.req = req;
	}
	return c;
}

/*
 * public_signup_mailbox - the mailbox an address key delivers to, for the
 * cap on confirmation mails: the +tag of the local part folded away
 * (victim+1@ and victim+2@ are one inbox). out holds PUBLIC_MAILBOX_MAX.
 */
void
public_signup_mailbox(const char *key, char *out, size_t size)
{
	const char *at = strrchr(key, '@'), *plus = strchr(key, '+');

	if (at && plus && plus < at)
		snprintf(out, size, "%.*s%s", (int)(plus - key), key, at);
	else
		snprintf(out, size, "%s", key);
}

/*
 * The confirmation a pending signup owes, unless the cap says no: a slot
 * for its mailbox (store_confirm_slot), then the claim. Refused, the row is
 * withheld so the lane's recovery does not send it either.
 */
static int
owe_confirmation(struct web *w, struct store *s, struct public_signup_job *job,
		 const struct store_subscriber *sub)
{
	char mailbox[PUBLIC_MAILBOX_MAX];
	int64_t now = (int64_t)time(NULL);
	int rc, taken = 0;

	public_signup_mailbox(job->su.email_key, mailbox, sizeof(mailbox));
	rc = store_confirm_slot(s, mailbox, w->cfg.confirm_cap, w->cfg.confirm_window, now, &taken);
	if (rc != NF_OK)
		return rc;
	if (!taken) {
		log_event(LOG_INFO, "signup.confirm_capped", NULL);
		return store_confirm_withhold(s, job->id, now + w->cfg.confirm_window);
	}
	memcpy(job->email, sub->email, strlen(sub->email) + 1);
	memcpy(job->salt, sub->token_salt, strlen(sub->token_salt) + 1);
	job->confirm = 1;
	/* this process's lane sends it: other processes leave it for a lease */
	return store_confirm_claim(s, job->id, now, INT64_MAX);
}

/*
 * public_signup_row - the writer's unit of work, inside its transaction: the
 * subscriber (or the one already there: the same answer whatever its
 * state), back to pending for someone who left, and whether a confirmation
 * mail is owed (not when one went out within confirm_interval, nor past
 * the cap for its mailbox). A suppressed address (a bounce, a complaint,
 * "never email me", an erasure's keyed hash) gets the same answer and
 * nothing else: no row, no mail.
 */
int
public_signup_row(struct web *w, struct store *s, struct public_signup_job *job)
{
	struct store_subscriber *sub = NULL;
	enum store_sub_status status;
	int rc, paced, returning = 0;

	rc = store_suppression_check(s, job->su.email_key, NULL);
	if (rc == NF_OK) {
		log_event(LOG_INFO, "signup.suppressed", NULL);
		return NF_OK;
	}
	if (rc != NF_ERR_NOTFOUND)
		return rc;
	rc = store_subscriber_create(s, &job->su, &job->id, &status, &job->created);
	if (rc == NF_OK && !job->created && status == STORE_UNSUBSCRIBED) {
		/* someone who left signs up again: pending, and asked by mail even
		 * with --single-opt-in, since anyone can type an address that left */
		status = STORE_PENDING;
		returning = 1;
		rc = store_subscriber_set_status(s, job->id, status, &job->su.consent, NULL);
	}
	if (rc != NF_OK || (!job->pending && !returning) || status != STORE_PENDING)
		return rc;
	if ((rc = store_subscriber_get(s, job->id, &sub)) != NF_OK)
		return rc;
	paced = sub->confirm_sent_at &&
		(int64_t)time(NULL) - sub->confirm_sent_at < w->cfg.confirm_interval;
	if (!paced && sub->email && sub->token_salt && strlen(sub->email) < sizeof(job->email) &&
	    strlen(sub->token_salt) < sizeof(job->salt))
		rc = owe_confirmation(w, s, job, sub);
	store_subscriber_free(sub);
	return rc == NF_ERR_NOTFOUND ? NF_OK : rc;	/* sent meanwhile: nothing to claim */
}

static void signup_finish(struct web *w, struct http_request *req, struct http_response *res);

/*
 * signup_do - the checks that stay on the HTTP thread (rate limit, the
 * address, room for the confirmation), then the signup goes to the writer:
 * SIGNUP_QUEUED means the request is suspended until its batch commits.
 */
static enum signup_outcome
signup_do(struct web *w, struct http_request *req, struct signup_call *c)
{
	struct public_signup_job *job = &c->job;
	struct addr_result *ar = &c->ar;

	job->pending = !w->cfg.single_opt_in;
	if (!http_ratelimit_take(w->pub->signup_limit, req->ip, time_mono_us()))
		return SIGNUP_LIMITED;
	addr_check(c->in.email, c->in.len, w->cfg.addr_flags, ar);
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
	if (job->pending && w->cfg.engine == NULL) {
		/* serve --no-engine has no lane for the confirmation mail */
		log_event(LOG_ERROR, "signup.no_engine", "why",
			  "double opt-in needs the in-process engine to send confirmations", NULL);
		return SIGNUP_UNAVAILABLE;
	}
	if (job->pending && !deliver_priority_room(w->cfg.engine))
		return SIGNUP_UNAVAILABLE;	/* back-pressure: the lane is full */
	job->su.email = ar->normalized;
	job->su.email_key = ar->key;
	job->su.email_display = ar->display;
	job->su.confirmed = !job->pending;
	job->su.marketing = c->in.marketing;
	job->su.list = c->in.list;
	consent_from_request(w, req, c->in.source, &job->su.consent, c->version, c->hash);
	if (public_writer_submit(w->pub->writer, job, signup_finish, c) != NF_OK)
		return SIGNUP_UNAVAILABLE;	/* the queue is full: at once */
	return SIGNUP_QUEUED;
}

static void
render_thanks(struct web *w, struct http_response *res, int pending, const char *return_to)
{
	json_t *ctx = json_object();

	json_object_set_new(ctx, "pending", json_boolean(pending));
	if (return_to)
		json_object_set_new(ctx, "return_to", json_string(return_to));
	public_page_render(w, res, 200, PUBLIC_PAGE_THANKS, ctx);
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

static void
form_answer(struct web *w, struct http_request *req, struct http_response *res,
	    struct signup_call *c, enum signup_outcome outcome)
{
	const struct signup_in *in = &c->in;
	const struct addr_result *ar = &c->ar;

	switch (outcome) {
	case SIGNUP_QUEUED:
		break;
	case SIGNUP_OK:
		render_thanks(w, res, c->job.pending, in->return_to);
		break;
	case SIGNUP_INVALID:
		/* the reason helps, except for an empty field where it only repeats */
		render_signup(w, req, res, 422, INVALID_EMAIL, ar->reason == ADDR_EMPTY ? NULL : ar->message,
			      strlen(in->email) == in->len ? in->email : "", ar->suggestion, in->marketing,
			      in->return_to);
		break;
	case SIGNUP_LIMITED:
		render_signup(w, req, res, 429, RATE_LIMITED, NULL, in->email, NULL, in->marketing,
			      in->return_to);
		break;
	case SIGNUP_UNAVAILABLE:
		render_signup(w, req, res, 503, NULL, NULL, in->email, NULL, in->marketing, in->return_to);
		break;
	}
}

static void
api_answer(struct http_response *res, struct signup_call *c, enum signup_outcome outcome)
{
	const struct addr_result *ar = &c->ar;

	switch (outcome) {
	case SIGNUP_QUEUED:
		break;
	case SIGNUP_OK:
		http_reply_json(res, 200, json_pack("{s:s,s:s,s:b,s:s*}", "status", "ok",
			    "message", "Thanks for signing up to the Breaking News email", "confirm",
			    c->job.pending, "suggestion", ar->suggestion[0] ? ar->suggestion : NULL));
		break;
	case SIGNUP_INVALID:
		/* verifyErrors: the data the box's Mustache template renders */
		http_reply_json(res, 422, json_pack("{s:s,s:s,s:s,s:s*,s:[{s:s}]}", "error", INVALID_EMAIL,
			    "code", ar->code, "detail", ar->message,
			    "suggestion", ar->suggestion[0] ? ar->suggestion : NULL,
			    "verifyErrors", "message", INVALID_EMAIL));
		break;
	case SIGNUP_LIMITED:
		http_reply_json(res, 429, json_pack("{s:s,s:[{s:s}]}", "error", RATE_LIMITED,
			    "verifyErrors", "message", RATE_LIMITED));
		break;
	case SIGNUP_UNAVAILABLE:
		http_reply_json_error(res, 503, "Something went wrong. Please try again later");
		break;
	}
}

/* resumed after the writer: committed is 200, anything else the 503 page */
static void
signup_finish(struct web *w, struct http_request *req, struct http_response *res)
{
	struct signup_call *c = req->finish_arg;
	enum signup_outcome outcome = c->job.rc == NF_OK ? SIGNUP_OK : SIGNUP_UNAVAILABLE;

	if (c->cors)
		http_cors_allow(req, res, c->cors);
	if (c->api)
		api_answer(res, c, outcome);
	else
		form_answer(w, req, res, c, outcome);
}

/* url is on origin: origin itself or origin followed by /, ? or #; printable ASCII, not too long */
static int
url_on_origin(const char *url, const char *origin)
{
	size_t n = strlen(origin);
	const char *p;

	if (url == NULL || strlen(url) > EMBED_PAGE_MAX || strncasecmp(url, origin, n) != 0 ||
	    (url[n] != '\0' && url[n] != '/' && url[n] != '?' && url[n] != '#'))
		return 0;
	for (p = url; *p; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
			return 0;
	return 1;
}

/*
 * embed_from - an embedded signup from the listed origin: the article it
 * came from (the page the box says, when it is on that origin, else the
 * Referer when it is, else the origin alone) as the consent's source and
 * the link back
 */
static void
embed_from(struct http_request *req, struct signup_in *in, const char *origin, const char *page)
{
	const char *referer = http_header(req, "Referer");
	const char *url = url_on_origin(page, origin) ? page : url_on_origin(referer, origin) ? referer : origin;
	size_t n = strlen(url) + 8;
	char *src = arena_alloc(req->arena, n);

	if (src == NULL) {
		in->source = "embed";
		return;
	}
	snprintf(src, n, "embed: %s", url);
	in->source = src;
	in->return_to = src + 7;
}

/*
 * the list a signup names: NULL (breaking-news) when none; *bad when it is
 * no list of ours (checked here, so a made-up name never reaches the
 * writer's batch)
 */
static const char *
signup_list(struct web *w, const char *list, int *bad)
{
	struct store *s;
	int64_t id;

	*bad = 0;
	if (list == NULL || *list == '\0')
		return NULL;
	if (!store_list_name_ok(list) || (s = http_store(w)) == NULL || store_list_get(s, list, &id) != NF_OK)
		*bad = 1;
	return list;
}

/* the form's hidden pow_challenge and pow_counter, filled in by embed.js */
static enum http_pow_result
form_pow(struct web *w, const struct http_form *form)
{
	size_t clen = 0, nlen = 0;
	const char *challenge = http_form_get(form, "pow_challenge", &clen);
	const char *counter = http_form_get(form, "pow_counter", &nlen);

	return public_pow_check(w, challenge, clen, counter, nlen);
}

void
public_signup_form(struct web *w, struct http_request *req, struct http_response *res, const char *arg)
{
	struct http_form form;
	struct signup_call *c;
	const char *honeypot, *typo_ok, *embed = NULL;
	enum http_pow_result pow;
	enum http_site site;
	int bad_list;

	NF_UNUSED(arg);
	site = http_request_site(w, req, &embed);
	if (site == HTTP_SITE_FOREIGN) {
		/* another site's form: refused before anything is read, nothing stored */
		http_page_error(w, res, 403, "This form cannot be sent from that site");
		return;
	}
	if (http_form_parse(req->arena, req->body.data ? req->body.data : "", req->body.len, &form) != NF_OK) {
		http_page_error(w, res, 400, "The form could not be read. Please try again");
		return;
	}
	if (site != HTTP_SITE_EMBED && !http_form_guard(w, req, &form)) {
		render_signup(w, req, res, 403, "Your session expired. Please try again",
			      NULL, NULL, NULL, 0, NULL);
		return;
	}
	if ((c = signup_call_new(req, 0)) == NULL) {
		render_signup(w, req, res, 503, NULL, NULL, NULL, NULL, 0, NULL);
		return;
	}
	honeypot = http_form_get(&form, "website", NULL);
	c->in.email = http_form_get(&form, "email", &c->in.len);
	c->in.marketing = http_form_get(&form, "marketing", NULL) != NULL;
	c->in.source = "form";
	if (site == HTTP_SITE_EMBED)
		embed_from(req, &c->in, embed, http_form_get(&form, "return_to", NULL));
	c->in.list = signup_list(w, http_form_get(&form, "list", NULL), &bad_list);
	if (honeypot && *honeypot) {
		render_thanks(w, res, 1, c->in.return_to);	/* a bot: it learns nothing */
		return;
	}
	if (bad_list) {
		http_page_error(w, res, 400, "The form names no list of ours");
		return;
	}
	if (c->in.email == NULL)
		c->in.email = "", c->in.len = 0;
	if ((pow = form_pow(w, &form)) != HTTP_POW_OK) {
		/* nothing stored, no mail: the page says why (and, with JavaScript, solves anew) */
		render_signup(w, req, res, public_pow_status(pow), public_pow_message(pow), NULL,
			      strlen(c->in.email) == c->in.len ? c->in.email : "", NULL, c->in.marketing,
			      c->in.return_to);
		return;
	}
	typo_ok = http_form_get(&form, "typo_ok", NULL);
	/* the pasted box has no second round for a hint: it goes through as typed */
	if (site != HTTP_SITE_EMBED && likely_typo(w, &c->in, typo_ok, &c->ar)) {
		/* a hint, not an error: the same address sent again is taken as meant */
		render_signup(w, req, res, 200, NULL, NULL, c->in.email, c->ar.suggestion, c->in.marketing,
			      NULL);
		return;
	}
	form_answer(w, req, res, c, signup_do(w, req, c));
}

/*
 * public_signup_json_parse - the body of POST /api/subscribe: {"email": string,
 * "marketing": true|false}. The address is copied into the arena with its
 * length (JSON allows \u0000 inside it; addr_check refuses that later).
 */
int
public_signup_json_parse(struct arena *a, const char *body, size_t len, struct public_signup_json *out)
{
	json_error_t jerr;
	json_t *root, *email, *marketing, *website, *page, *list, *pow, *challenge, *counter;
	int rc = NF_ERR_INVALID;

	memset(out, 0, sizeof(*out));
	root = json_loadb(body, len, JSON_ALLOW_NUL, &jerr);
	email = json_is_object(root) ? json_object_get(root, "email") : NULL;
	marketing = json_is_object(root) ? json_object_get(root, "marketing") : NULL;
	website = json_is_object(root) ? json_object_get(root, "website") : NULL;
	page = json_is_object(root) ? json_object_get(root, "page") : NULL;
	list = json_is_object(root) ? json_object_get(root, "list") : NULL;
	pow = json_is_object(root) ? json_object_get(root, "pow") : NULL;
	challenge = json_object_get(pow, "challenge");		/* NULL when pow is not an object */
	counter = json_object_get(pow, "counter");
	if (json_is_string(email) && (marketing == NULL || json_is_boolean(marketing)) &&
	    (website == NULL || json_is_string(website)) && (page == NULL || json_is_string(page)) &&
	    (list == NULL || json_is_string(list)) &&
	    (pow == NULL || (json_is_string(challenge) && json_is_string(counter)))) {
		out->email_len = json_string_length(email);
		out->email = arena_strndup(a, json_string_value(email), out->email_len);
		out->marketing = marketing && json_is_true(marketing);
		out->honeypot = website && json_string_length(website) > 0;
		/* page and list are names and URLs: one with a NUL byte is simply not one */
		if (page && strlen(json_string_value(page)) == json_string_length(page))
			out->page = arena_strdup(a, json_string_value(page));
		if (list && strlen(json_string_value(list)) == json_string_length(list))
			out->list = arena_strdup(a, json_string_value(list));
		if (pow) {	/* checked by http_pow_parse, NUL bytes and all */
			out->pow_challenge_len = json_string_length(challenge);
			out->pow_challenge = arena_strndup(a, json_string_value(challenge), out->pow_challenge_len);
			out->pow_counter_len = json_string_length(counter);
			out->pow_counter = arena_strndup(a, json_string_value(counter), out->pow_counter_len);
		}
		rc = out->email && (pow == NULL || (out->pow_challenge && out->pow_counter)) ? NF_OK : NF_ERR_LIMIT;
	}
	json_decref(root);
	return rc;
}

void
public_signup_api(struct web *w, struct http_request *req, struct http_response *res, const char *arg)
{
	struct public_signup_json body;
	struct signup_call *c;
	const char *embed = NULL;
	enum http_pow_result pow;
	enum http_site site;
	int bad_list;

	NF_UNUSED(arg);
	site = http_request_site(w, req, &embed);
	if (site == HTTP_SITE_FOREIGN) {
		/* no CORS headers: the page that sent it cannot even read this */
		http_reply_json_error(res, 403, "cross-origin requests are not accepted");
		return;
	}
	if (site == HTTP_SITE_EMBED)
		http_cors_allow(req, res, embed);
	if (strncmp(req->content_type, "application/json", 16) != 0) {
		http_reply_json_error(res, 415, "Content-Type must be application/json");
		return;
	}
	if (public_signup_json_parse(req->arena, req->body.data ? req->body.data : "", req->body.len, &body) != NF_OK) {
		http_reply_json_error(res, 400, "expected {\"email\": string, \"marketing\": true|false}");
		return;
	}
	if ((c = signup_call_new(req, 1)) == NULL) {
		http_reply_json_error(res, 503, "Something went wrong. Please try again later");
		return;
	}
	c->in.email = body.email;
	c->in.len = body.email_len;
	c->in.marketing = body.marketing;
	c->in.source = "api";
	c->cors = embed;
	if (site == HTTP_SITE_EMBED)
		embed_from(req, &c->in, embed, body.page);
	c->in.list = signup_list(w, body.list, &bad_list);
	if (body.honeypot) {
		c->job.pending = !w->cfg.single_opt_in;
		api_answer(res, c, SIGNUP_OK);	/* a bot: it learns nothing */
		return;
	}
	if (bad_list) {
		http_reply_json_error(res, 400, "list: not the name of a list");
		return;
	}
	pow = public_pow_check(w, body.pow_challenge, body.pow_challenge_len, body.pow_counter,
			       body.pow_counter_len);
	if (pow != HTTP_POW_OK) {
		public_pow_refuse_json(w, res, pow);	/* nothing stored, no mail */
		return;
	}
	api_answer(res, c, signup_do(w, req, c));
}

/* only the request headers a JSON post needs: Content-Type */
static int
preflight_headers_ok(const char *h)
{
	const char *p = h, *end;

	while (*p) {
		p += strspn(p, " \t,");
		end = p + strcspn(p, " \t,");
		if (end > p && !(end - p == 12 && strncasecmp(p, "content-type", 12) == 0))
			return 0;
		p = end;
	}
	return 1;
}

/*
 * public_signup_preflight - OPTIONS /api/subscribe (Fetch standard, CORS
 * preflight): a POST with Content-Type from a listed origin may go ahead;
 * no credentials are allowed, so no cookie of ours ever rides along
 */
void
public_signup_preflight(struct web *w, struct http_request *req, struct http_response *res, const char *arg)
{
	const char *embed = NULL, *method = http_header(req, "Access-Control-Request-Method");
	const char *headers = http_header(req, "Access-Control-Request-Headers");

	NF_UNUSED(arg);
	if (req->origin == NULL || http_request_site(w, req, &embed) != HTTP_SITE_EMBED ||
	    method == NULL || strcmp(method, "POST") != 0 || (headers && !preflight_headers_ok(headers))) {
		http_reply_text(res, 403, "Cross-origin signups are accepted only from the sites set with --embed-origin\n");
		return;
	}
	http_cors_allow(req, res, embed);
	http_reply_header(req, res, "Access-Control-Allow-Methods", "POST");
	http_reply_header(req, res, "Access-Control-Allow-Headers", "Content-Type");
	http_reply_header(req, res, "Access-Control-Max-Age", "7200");
	http_reply_text(res, 204, "");
}
