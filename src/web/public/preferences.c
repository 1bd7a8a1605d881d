/*
 * web/public/preferences.c - the preference centre: GET and POST /preferences/TOKEN
 *
 * Owns: what a person can choose with the link from any alert (the same
 * unsubscribe token, so one link is enough): which lists and topics to
 * follow, and the separate marketing consent ("offers, events and updates"),
 * which is withdrawn with one untick as it was given with one tick (GDPR
 * Art. 7(3)). Someone who left can subscribe again from here (their token
 * proves the mailbox, as a confirmation link does), unless the address is
 * suppressed (a bounce or a complaint). Every change is a consent ledger row
 * with the ip, the user agent and the hash of this page's wording, written
 * in one transaction with the change. The page also links to the export of
 * the person's data and carries the erase form (privacy_pages.c).
 *
 * These forms change consent, so they carry the CSRF double-submit token
 * and an Origin check (http/csrf.c), unlike the RFC 8058 POST.
 */
#include <ctype.h>
#include <string.h>
#include <time.h>

#include "privacy/privacy.h"
#include "store/store.h"
#include "public.h"

#define SESSION_EXPIRED "Your session expired. Please try again"

/* "breaking-news" -> "Breaking news" */
static json_t *
list_label(const char *name)
{
	char label[STORE_LIST_NAME_MAX + 1];
	size_t i;

	snprintf(label, sizeof(label), "%s", name);
	for (i = 0; label[i]; i++)
		if (label[i] == '-' || label[i] == '_')
			label[i] = ' ';
	label[0] = (char)toupper((unsigned char)label[0]);
	return json_string(label);
}

static json_t *
lists_json(struct store *s, int64_t id)
{
	struct store_list **ls = NULL;
	json_t *a = json_array();
	size_t i, n = 0;

	if (store_lists_of(s, id, &ls, &n) == NF_OK)
		for (i = 0; i < n; i++)
			json_array_append_new(a, json_pack("{s:s,s:o,s:b}", "name", ls[i]->name,
							   "label", list_label(ls[i]->name),
							   "checked", ls[i]->member));
	store_list_list_free(ls, n);
	return a;
}

static void
status_flags(struct store *s, const struct store_subscriber *sub, json_t *ctx)
{
	int suppressed = store_suppression_check(s, sub->email_key, NULL) == NF_OK;

	json_object_set_new(ctx, "subscribed", json_boolean(sub->status == STORE_CONFIRMED ||
							    sub->status == STORE_PENDING));
	json_object_set_new(ctx, "pending", json_boolean(sub->status == STORE_PENDING));
	json_object_set_new(ctx, "unsubscribed", json_boolean(sub->status == STORE_UNSUBSCRIBED));
	json_object_set_new(ctx, "bounced", json_boolean(sub->status == STORE_BOUNCED));
	json_object_set_new(ctx, "can_resubscribe",
			    json_boolean(sub->status == STORE_UNSUBSCRIBED && !suppressed));
}

void
public_preferences_render(struct web *w, struct http_request *req, struct http_response *res,
			  int status, const struct store_subscriber *sub, const char *token,
			  const char *notice)
{
	char csrf[HTTP_CSRF_TOKEN_MAX], export[TOKEN_MAX];
	struct store *s = http_store(w);
	json_t *ctx = json_object();
	struct buf url;

	http_csrf_cookie(w, req, res, csrf);
	token_make(&w->cfg.key, "export", (uint64_t)sub->id, (int64_t)time(NULL) + PRIVACY_EXPORT_TTL,
		   sub->token_salt, export);
	buf_init(&url, 0);
	buf_printf(&url, "/privacy/export/%s", export);
	json_object_set_new(ctx, "email", json_string(sub->email_display ? sub->email_display : sub->email));
	json_object_set_new(ctx, "token", json_string(token));
	json_object_set_new(ctx, "csrf", json_string(csrf));
	json_object_set_new(ctx, "export_url", json_string(url.data));
	json_object_set_new(ctx, "marketing", json_boolean(sub->marketing));
	json_object_set_new(ctx, "lists", lists_json(s, sub->id));
	status_flags(s, sub, ctx);
	if (notice)
		json_object_set_new(ctx, "notice", json_string(notice));
	public_page_render(w, res, status, PUBLIC_PAGE_UNSUBSCRIBE, ctx);
	json_decref(ctx);
	buf_free(&url);
}

void
public_preferences_get(struct web *w, struct http_request *req, struct http_response *res, const char *token)
{
	public_unsubscribe_get(w, req, res, token);
}

/* is value among the form's fields called name? (checkboxes repeat a name) */
static int
form_has(const struct http_form *f, const char *name, const char *value)
{
	int i;

	for (i = 0; i < f->count; i++)
		if (strcmp(f->fields[i].name, name) == 0 && strlen(value) == f->fields[i].value_len &&
		    memcmp(f->fields[i].value, value, f->fields[i].value_len) == 0)
			return 1;
	return 0;
}

/* the lists and the marketing box as ticked, in one transaction */
static int
save_choices(struct store *s, const struct store_subscriber *sub, const struct http_form *form,
	     const struct store_consent_in *ev)
{
	struct store_list **ls = NULL;
	size_t i, n = 0;
	int rc;

	if ((rc = store_begin(s)) != NF_OK)
		return rc;
	rc = store_lists_of(s, sub->id, &ls, &n);
	for (i = 0; rc == NF_OK && i < n; i++)
		rc = store_membership_set(s, sub->id, ls[i]->id, form_has(form, "list", ls[i]->name),
					  ev, NULL);
	store_list_list_free(ls, n);
	if (rc == NF_OK)
		rc = store_subscriber_set_marketing(s, sub->id, http_form_get(form, "marketing", NULL) != NULL,
						    ev, NULL);
	if (rc == NF_OK)
		return store_commit(s);
	store_rollback(s);
	return rc;
}

/* back from unsubscribed: given again (pending), then confirmed by the token's proof */
static int
resubscribe(struct store *s, const struct store_subscriber *sub, const struct store_consent_in *ev)
{
	int rc;

	if (sub->status != STORE_UNSUBSCRIBED || store_suppression_check(s, sub->email_key, NULL) == NF_OK)
		return NF_ERR_INVALID;
	if ((rc = store_begin(s)) != NF_OK)
		return rc;
	rc = store_subscriber_set_status(s, sub->id, STORE_PENDING, ev, NULL);
	if (rc == NF_OK)
		rc = store_subscriber_set_status(s, sub->id, STORE_CONFIRMED, ev, NULL);
	if (rc == NF_OK)
		return store_commit(s);
	store_rollback(s);
	return rc;
}

static void
consent_from(struct web *w, struct http_request *req, struct store_consent_in *ev,
	     char version[32], char hash[65])
{
	public_wording_prefs(w, version, hash);
	memset(ev, 0, sizeof(*ev));
	ev->source = "preferences";
	ev->ip = req->ip;
	ev->user_agent = req->user_agent;
	ev->wording_version = version;
	ev->wording_hash = hash;
}

void
public_preferences_post(struct web *w, struct http_request *req, struct http_response *res, const char *token)
{
	struct store_subscriber *sub = NULL, *now = NULL;
	struct store_consent_in ev;
	struct http_form form;
	char version[32], hash[65];
	const char *action, *notice;
	struct store *s;
	int rc;

	if (public_token_subscriber(w, token, "unsubscribe", &sub) != PUBLIC_TOKEN_OK) {
		public_unsubscribe_get(w, req, res, token);	/* the same 400 or 503 */
		return;
	}
	s = http_store(w);
	if (http_form_parse(req->arena, req->body.data ? req->body.data : "", req->body.len, &form) != NF_OK ||
	    !http_form_guard(w, req, &form)) {
		public_preferences_render(w, req, res, 403, sub, token, SESSION_EXPIRED);
		store_subscriber_free(sub);
		return;
	}
	consent_from(w, req, &ev, version, hash);
	action = http_form_get(&form, "action", NULL);
	if (action && strcmp(action, "resubscribe") == 0) {
		rc = resubscribe(s, sub, &ev);
		notice = "You are subscribed again.";
	} else {
		rc = save_choices(s, sub, &form, &ev);
		notice = "Your choices are saved.";
	}
	if (rc == NF_OK && store_subscriber_get(s, sub->id, &now) == NF_OK) {
		log_event(LOG_INFO, "preferences.saved", "action", action ? action : "save", NULL);
		public_preferences_render(w, req, res, 200, now, token, notice);
	} else if (rc == NF_ERR_INVALID) {
		public_preferences_render(w, req, res, 409, sub, token,
				   "This address cannot be subscribed again from here.");
	} else {
		log_event(LOG_ERROR, "preferences.failed", "reason", store_errmsg(s), NULL);
		http_page_error(w, res, 503, NULL);
	}
	store_subscriber_free(now);
	store_subscriber_free(sub);
}
