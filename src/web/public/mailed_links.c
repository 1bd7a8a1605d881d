/*
 * web/public/mailed_links.c - links mailed on request: export, erase, manage
 *
 * Owns: what the unsubscribe link in an alert cannot do. That link never
 * expires and travels with every forwarded alert, so it only unsubscribes
 * and lowers preferences (unsubscribe.c, preferences.c). Downloading the
 * data, erasing it, and raising anything (subscribing again, joining a
 * list, marketing) need a link we mail to the address when asked from the
 * preference centre: reading that mail proves the mailbox now.
 *
 * Such a link is a token (core/token.c) of purpose "export", "erase" or
 * "manage", expiring after PUBLIC_LINK_TTL, whose HMAC also covers a
 * random nonce kept in the store for that subscriber and purpose
 * (store/action_links.c): checked in constant time like every token, spent by the
 * POST that uses it (so it works once), and dead when a newer one is made
 * or the person is erased. GETs show a page with a button and change
 * nothing, since link scanners follow GETs; the POSTs carry the CSRF
 * double-submit token. A button pressed again within PUBLIC_LINK_GAP sends
 * no second mail, and one address gets PUBLIC_LINK_CAP such mails a day at
 * most.
 *
 * The mail itself (link.txt.mustache, link.html.mustache: {{url}},
 * {{what}}, {{minutes}}, {{publication}}, {{email}}) is composed here and
 * queued on the delivery engine's priority lane as it is.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "deliver/deliver.h"
#include "mail/mail.h"
#include "privacy/privacy.h"
#include "store/store.h"
#include "tmpl/tmpl.h"
#include "public.h"

#define LINK_INVALID "This link is not valid, was used already or has expired. Please ask for a new one from your email preferences"
#define LINK_MAIL_MAX (1u << 20)

struct link_kind {
	const char *purpose;
	const char *path;		/* BASE PATH TOKEN */
	const char *subject;
	const char *what;		/* "Use this link to ..." */
};

static const struct link_kind kinds[] = {
	{ "export", "/privacy/export/", "Your data download link", "download everything we hold about you" },
	{ "erase", "/privacy/erase/", "Your link to erase your data", "erase your address and everything linked to it" },
	{ "manage", "/manage/", "Your link to change your subscription",
	  "subscribe again or add lists and emails to your subscription" },
};

static const struct link_kind *
kind_of(const char *purpose)
{
	size_t i;

	for (i = 0; i < NF_ARRAY_LEN(kinds); i++)
		if (strcmp(kinds[i].purpose, purpose) == 0)
			return &kinds[i];
	return NULL;
}

/* the salt of an emailed link: the subscriber's salt and the link's nonce */
static void
link_salt(const char *salt, const char *nonce, struct buf *out)
{
	buf_printf(out, "%s:%s", salt, nonce);
}

static int
link_headers(struct buf *m, const struct mail_sender *s, const char *to, const char *subject,
	     int64_t id, time_t date, const char *boundary)
{
	char when[TIME_RFC5322_MAX];
	struct buf subj;
	int rc;

	buf_init(&subj, MAIL_HEADER_MAX);
	buf_puts(&subj, subject);
	if (s->publication && s->publication[0])
		buf_printf(&subj, " - %s", s->publication);
	rc = mail_hdr_mailbox(m, "From", s->from_name ? s->from_name : "",
			      s->from_name ? strlen(s->from_name) : 0, s->from_addr, strlen(s->from_addr));
	if (rc == NF_OK)
		rc = mail_hdr_mailbox(m, "To", "", 0, to, strlen(to));
	if (rc == NF_OK)
		rc = mail_hdr_text(m, "Subject", subj.data, subj.len);
	time_rfc5322(date, when);
	if (rc == NF_OK)
		rc = buf_printf(m, "Date: %s\r\nMessage-ID: ", when);
	if (rc == NF_OK)
		rc = mail_message_id(m, s->secret, "link", (uint64_t)id, (uint64_t)date,
				     mail_addr_domain(s->from_addr));
	if (rc == NF_OK)
		rc = buf_puts(m, "\r\nMIME-Version: 1.0\r\n");
	if (rc == NF_OK)
		rc = mail_mime_content_type(m, boundary);
	if (rc == NF_OK)
		rc = buf_append(m, "\r\n", 2);
	buf_free(&subj);
	return rc;
}

static int
link_body(struct buf *m, const struct mail_sender *s, const char *to, const struct link_kind *k,
	  const char *url, const char *boundary)
{
	json_t *ctx = json_object();
	int rc;

	json_object_set_new(ctx, "url", json_string(url));
	json_object_set_new(ctx, "what", json_string(k->what));
	json_object_set_new(ctx, "minutes", json_integer(PUBLIC_LINK_TTL / 60));
	json_object_set_new(ctx, "publication", json_string(s->publication ? s->publication : ""));
	json_object_set_new(ctx, "email", json_string(to));
	rc = mail_render_pair(m, boundary, s->templates_dir, "link", ctx, LINK_MAIL_MAX);
	json_decref(ctx);
	return rc;
}

/* the whole message, DKIM-signed as the confirmation is, into out */
static int
link_compose(const struct mail_sender *s, const char *to, int64_t id, const struct link_kind *k,
	     const char *url, struct buf *out)
{
	time_t date = time(NULL);
	char boundary[64];
	struct buf m;
	size_t i;
	int rc;

	if (mail_sender_check(s) != NF_OK || mail_hdr_addr_check(to, strlen(to)) != NF_OK)
		return NF_ERR_INVALID;
	snprintf(boundary, sizeof(boundary), "=_newsflash_link_%lld", (long long)id);
	buf_init(&m, LINK_MAIL_MAX);
	rc = link_headers(&m, s, to, k->subject, id, date, boundary);
	if (rc == NF_OK)
		rc = link_body(&m, s, to, k, url, boundary);
	for (i = 0; i < s->nkeys && rc == NF_OK; i++)
		rc = mail_dkim_sign(s->keys[i], m.data, m.len, mail_dkim_signed_headers,
				    mail_dkim_signed_count, (int64_t)date, out);
	if (rc == NF_OK)
		rc = buf_append(out, m.data, m.len);
	buf_free(&m);
	return rc;
}

int
public_link_mail(struct web *w, const struct store_subscriber *sub, const char *purpose, int *sent)
{
	const struct link_kind *k = kind_of(purpose);
	int64_t now = (int64_t)time(NULL);
	char nonce[STORE_LINK_NONCE_MAX], tok[TOKEN_MAX];
	struct buf salt, url, msg;
	size_t n, len = 0;
	int rc, issued = 0;

	*sent = 0;
	if (k == NULL || sub->email == NULL || sub->status == STORE_ERASED)
		return NF_ERR_INVALID;
	if (w->cfg.engine == NULL || w->cfg.sender == NULL || !deliver_priority_room(w->cfg.engine))
		return NF_ERR_TEMP;	/* no lane to send it (serve --no-engine), or it is full */
	rc = store_link_issue(http_store(w), sub->id, purpose, now, PUBLIC_LINK_TTL, PUBLIC_LINK_GAP,
			      nonce, &issued);
	if (rc != NF_OK || !issued)
		return rc;
	/*
	 * The holder of a forwarded alert could press the buttons all day: the
	 * mails to one address are capped as confirmations are, in a count of
	 * their own. Past it the page says the same and nothing is sent.
	 */
	buf_init(&salt, 0);
	buf_printf(&salt, "link:%s", sub->email_key);
	rc = store_confirm_slot(http_store(w), salt.data, PUBLIC_LINK_CAP, 86400, now, &issued);
	buf_free(&salt);
	if (rc != NF_OK || !issued) {
		if (rc == NF_OK)
			log_event(LOG_INFO, "link.capped", "purpose", purpose, NULL);
		return rc;
	}
	buf_init(&salt, 0);
	buf_init(&url, 0);
	buf_init(&msg, 0);
	link_salt(sub->token_salt, nonce, &salt);
	token_make(&w->cfg.key, purpose, (uint64_t)sub->id, now + PUBLIC_LINK_TTL, salt.data, tok);
	n = strlen(w->cfg.base_url);
	buf_printf(&url, "%.*s%s%s", (int)(n && w->cfg.base_url[n - 1] == '/' ? n - 1 : n),
		   w->cfg.base_url, k->path, tok);
	rc = link_compose(w->cfg.sender, sub->email, sub->id, k, url.data, &msg);
	if (rc == NF_OK) {
		char *bytes = buf_steal(&msg, &len);

		/* the engine takes the bytes; subscriber 0: this is no confirmation */
		rc = deliver_priority(w->cfg.engine, sub->email, bytes, len, 0);
	}
	if (rc == NF_OK) {
		*sent = 1;
		log_event(LOG_INFO, "link.mailed", "purpose", purpose, NULL);
	}
	buf_free(&salt);
	buf_free(&url);
	buf_free(&msg);
	return rc;
}

enum public_token_result
public_link_subscriber(struct web *w, const char *token, const char *purpose,
		       char nonce[STORE_LINK_NONCE_MAX], struct store_subscriber **out)
{
	struct store_subscriber *sub = NULL;
	struct store *s = http_store(w);
	int64_t now = (int64_t)time(NULL);
	size_t len = strlen(token);
	struct buf salt;
	uint64_t id;
	int rc, ok;

	*out = NULL;
	if (s == NULL)
		return PUBLIC_TOKEN_UNAVAILABLE;
	if (token_peek(token, len, &id) != NF_OK || id == 0 || id > INT64_MAX)
		return PUBLIC_TOKEN_BAD;
	rc = store_subscriber_get(s, (int64_t)id, &sub);
	if (rc == NF_OK && sub->status != STORE_ERASED)
		rc = store_link_nonce(s, (int64_t)id, purpose, now, nonce);
	else if (rc == NF_OK)
		rc = NF_ERR_NOTFOUND;
	if (rc != NF_OK) {
		store_subscriber_free(sub);
		return rc == NF_ERR_NOTFOUND ? PUBLIC_TOKEN_BAD : PUBLIC_TOKEN_UNAVAILABLE;
	}
	buf_init(&salt, 0);
	link_salt(sub->token_salt, nonce, &salt);
	ok = token_verify(&w->cfg.key, purpose, token, len, salt.data, now) == TOKEN_VALID;
	buf_free(&salt);
	if (!ok) {
		store_subscriber_free(sub);
		return PUBLIC_TOKEN_BAD;
	}
	*out = sub;
	return PUBLIC_TOKEN_OK;
}

/* the subscriber of a live link, or NULL with the 400 or 503 page written */
static struct store_subscriber *
link_page(struct web *w, struct http_response *res, const char *token, const char *purpose,
	  char nonce[STORE_LINK_NONCE_MAX])
{
	struct store_subscriber *sub = NULL;

	switch (public_link_subscriber(w, token, purpose, nonce, &sub)) {
	case PUBLIC_TOKEN_OK:
		return sub;
	case PUBLIC_TOKEN_BAD:
		http_page_error(w, res, 400, LINK_INVALID);
		break;
	case PUBLIC_TOKEN_UNAVAILABLE:
		http_page_error(w, res, 503, NULL);
		break;
	}
	return NULL;
}

/*
 * The checks every POST of a link makes, then spending it: the subscriber
 * (NULL when a page was written: 400, 403 or 503) and the parsed form.
 */
static struct store_subscriber *
link_spend(struct web *w, struct http_request *req, struct http_response *res, const char *token,
	   const char *purpose, struct http_form *form)
{
	char nonce[STORE_LINK_NONCE_MAX];
	struct store_subscriber *sub = link_page(w, res, token, purpose, nonce);
	int rc;

	if (sub == NULL)
		return NULL;
	if (http_form_parse(req->arena, req->body.data ? req->body.data : "", req->body.len, form) != NF_OK ||
	    !http_form_guard(w, req, form)) {
		http_page_error(w, res, 403, "Your session expired. Please open the link from the email again");
		store_subscriber_free(sub);
		return NULL;
	}
	if (strcmp(purpose, "erase") == 0 && http_form_get(form, "confirm", NULL) == NULL)
		return sub;	/* the caller answers 422; the link stays good */
	rc = store_link_use(http_store(w), sub->id, purpose, nonce, (int64_t)time(NULL));
	if (rc != NF_OK) {
		/* another request spent it a moment ago */
		http_page_error(w, res, rc == NF_ERR_NOTFOUND ? 400 : 503,
				rc == NF_ERR_NOTFOUND ? LINK_INVALID : NULL);
		store_subscriber_free(sub);
		return NULL;
	}
	return sub;
}

static void
render_link_page(struct web *w, struct http_request *req, struct http_response *res, int status,
		 const struct store_subscriber *sub, const char *purpose, const char *token,
		 const char *notice)
{
	char csrf[HTTP_CSRF_TOKEN_MAX];
	json_t *ctx = json_object();

	http_csrf_cookie(w, req, res, csrf);
	json_object_set_new(ctx, "email", json_string(sub->email_display ? sub->email_display : sub->email));
	json_object_set_new(ctx, "token", json_string(token));
	json_object_set_new(ctx, "csrf", json_string(csrf));
	json_object_set_new(ctx, purpose, json_true());
	if (notice)
		json_object_set_new(ctx, "notice", json_string(notice));
	public_page_render(w, res, status, PUBLIC_PAGE_LINK, ctx);
	json_decref(ctx);
}

/* GET /privacy/export/TOKEN and /privacy/erase/TOKEN: a page with the button */
static void
link_get(struct web *w, struct http_request *req, struct http_response *res, const char *token,
	 const char *purpose)
{
	char nonce[STORE_LINK_NONCE_MAX];
	struct store_subscriber *sub = link_page(w, res, token, purpose, nonce);

	if (sub == NULL)
		return;
	render_link_page(w, req, res, 200, sub, purpose, token, NULL);
	store_subscriber_free(sub);
}

void
public_export_get(struct web *w, struct http_request *req, struct http_response *res, const char *token)
{
	link_get(w, req, res, token, "export");
}

void
public_erase_get(struct web *w, struct http_request *req, struct http_response *res, const char *token)
{
	link_get(w, req, res, token, "erase");
}

void
public_export_post(struct web *w, struct http_request *req, struct http_response *res, const char *token)
{
	struct http_form form;
	struct store_subscriber *sub = link_spend(w, req, res, token, "export", &form);
	char *text = NULL;

	if (sub == NULL)
		return;
	if (privacy_export_text(http_store(w), sub->id, &text) != NF_OK) {
		log_event(LOG_ERROR, "privacy.export_failed", "reason", store_errmsg(http_store(w)), NULL);
		http_page_error(w, res, 503, NULL);
		store_subscriber_free(sub);
		return;
	}
	res->status = 200;
	res->content_type = "application/json";
	buf_reset(&res->body);
	buf_puts(&res->body, text);
	buf_putc(&res->body, '\n');
	http_reply_header(req, res, "Content-Disposition", "attachment; filename=\"my-newsflash-data.json\"");
	log_event(LOG_INFO, "privacy.exported", NULL);
	free(text);
	store_subscriber_free(sub);
}

void
public_erase_post(struct web *w, struct http_request *req, struct http_response *res, const char *token)
{
	struct http_form form;
	struct store_subscriber *sub = link_spend(w, req, res, token, "erase", &form);
	int suppress;
	json_t *ctx;

	if (sub == NULL)
		return;
	if (http_form_get(&form, "confirm", NULL) == NULL) {
		render_link_page(w, req, res, 422, sub, "erase", token,
				 "To erase your data, tick the box that says you understand.");
		store_subscriber_free(sub);
		return;
	}
	suppress = http_form_get(&form, "never_again", NULL) != NULL;
	if (privacy_erase(http_store(w), sub->id, PRIVACY_BY_SUBJECT, suppress) != NF_OK) {
		log_event(LOG_ERROR, "privacy.erase_failed", "reason", store_errmsg(http_store(w)), NULL);
		http_page_error(w, res, 503, NULL);
		store_subscriber_free(sub);
		return;
	}
	ctx = json_object();
	json_object_set_new(ctx, "never_again", json_boolean(suppress));
	public_page_render(w, res, 200, PUBLIC_PAGE_ERASED, ctx);
	json_decref(ctx);
	store_subscriber_free(sub);
}

/* GET /manage/TOKEN: the preference centre where choices may also be raised */
void
public_manage_get(struct web *w, struct http_request *req, struct http_response *res, const char *token)
{
	char nonce[STORE_LINK_NONCE_MAX], unsub[TOKEN_MAX];
	struct store_subscriber *sub = link_page(w, res, token, "manage", nonce);

	if (sub == NULL)
		return;
	token_make(&w->cfg.key, "unsubscribe", (uint64_t)sub->id, 0, sub->token_salt, unsub);
	public_preferences_render_as(w, req, res, 200, sub, unsub, token, NULL);
	store_subscriber_free(sub);
}

/* POST /manage/TOKEN: the choices as ticked, or subscribing again; the link is spent */
void
public_manage_post(struct web *w, struct http_request *req, struct http_response *res, const char *token)
{
	struct http_form form;
	struct store_subscriber *sub = link_spend(w, req, res, token, "manage", &form);

	if (sub == NULL)
		return;
	public_preferences_apply(w, req, res, sub, &form, 1);
	store_subscriber_free(sub);
}
