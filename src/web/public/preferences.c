/*
 * web/public/preferences.c - the preference centre: GET and POST /preferences/TOKEN
 *
 * Owns: what a person can choose with the link from any alert (the
 * unsubscribe token, so one link is enough): which lists and topics to
 * follow, and the separate marketing consent ("offers, events and updates"),
 * which is withdrawn with one untick as it was given with one tick (GDPR
 * Art. 7(3)). That token never expires and travels with every forwarded
 * alert, so with it a person can only lower: leave lists, withdraw
 * marketing, unsubscribe. Raising (joining a list, marketing, subscribing
 * again after leaving), downloading the data and erasing it need a link
 * mailed to the address on request (mailed_links.c); the manage link brings
 * them back to this page, where the same form then raises too. Every
 * change is a consent ledger row with the ip, the user agent and the hash
 * of this page's wording, written in one transaction with the change.
 *
 * These forms change consent, so they carry the CSRF double-submit token
 * and an Origin check (http/csrf.c), unlike the RFC 8058 POST.
 */
#include <ctype.h>
#include <string.h>
#include <time.h>

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

/*
 * The page for sub. token is the person's unsubscribe token (the one-click
 * form and the buttons that mail links post with it); manage, when the page
 * was opened from an emailed manage link, is where the choices go instead,
 * and there they may also be raised.
 */
void
public_preferences_render_as(struct web *w, struct http_request *req, struct http_response *res,
			     int status, const struct store_subscriber *sub, const char *token,
			     const char *manage, const char *notice)
{
	char csrf[HTTP_CSRF_TOKEN_MAX];
	struct store *s = http_store(w);
	json_t *ctx = json_object();
	struct buf url;

	http_csrf_cookie(w, req, res, csrf);
	buf_init(&url, 0);
	buf_printf(&url, manage ? "/manage/%s" : "/preferences/%s", manage ? manage : token);
	json_object_set_new(ctx, "email", json_string(sub->email_display ? sub->email_display : sub->email));
	json_object_set_new(ctx, "token", json_string(token));
	json_object_set_new(ctx, "form_url", json_string(url.data));
	json_object_set_new(ctx, "manage", json_boolean(manage != NULL));
	json_object_set_new(ctx, "csrf", json_string(csrf));
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
public_preferences_render(struct web *w, struct http_request *req, struct http_response *res,
			  int status, const struct store_subscriber *sub, const char *token,
			  const char *notice)
{
	public_preferences_render_as(w, req, res, status, sub, token, NULL, notice);
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

/*
 * The lists and the marketing box as ticked, in one transaction. Unless
 * raise is set (an emailed manage link), only what lowers is done: a list
 * left, marketing withdrawn; *wanted says something would have been
 * raised (a list joined, marketing given), which needs that link.
 */
static int
save_choices(struct store *s, const struct store_subscriber *sub, const struct http_form *form,
	     const struct store_consent_in *ev, int raise, int *wanted)
{
	struct store_list **ls = NULL;
	size_t i, n = 0;
	int rc, on;

	*wanted = 0;
	if ((rc = store_begin(s)) != NF_OK)
		return rc;
	rc = store_lists_of(s, sub->id, &ls, &n);
	for (i = 0; rc == NF_OK && i < n; i++) {
		on = form_has(form, "list", ls[i]->name);
		if (on && !ls[i]->member && !raise)
			*wanted = 1;
		else
			rc = store_membership_set(s, sub->id, ls[i]->id, on, ev, NULL);
	}
	store_list_list_free(ls, n);
	on = http_form_get(form, "marketing", NULL) != NULL;
	if (on && !sub->marketing && !raise)
		*wanted = 1;
	else if (rc == NF_OK)
		rc = store_subscriber_set_marketing(s, sub->id, on, ev, NULL);
	if (rc == NF_OK)
		return store_commit(s);
	store_rollback(s);
	return rc;
}

/*
 * back from unsubscribed: given again (pending), then confirmed, since the
 * emailed manage link that brought them here proves the mailbox as a
 * confirmation link does
 */
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

/* mail a link of purpose; the notice says so (the same when one went a moment ago) */
static int
mail_link(struct web *w, const struct store_subscriber *sub, const char *purpose, const char **notice)
{
	int sent = 0, rc = public_link_mail(w, sub, purpose, &sent);

	if (strcmp(purpose, "export") == 0)
		*notice = "We have emailed you a link to download your data. It works once, within an hour.";
	else if (strcmp(purpose, "erase") == 0)
		*notice = "We have emailed you a link to erase your data. It works once, within an hour.";
	else
		*notice = "We have emailed you a link to make that change. It works once, within an hour.";
	return rc;
}

/*
 * public_preferences_apply - one POST of the preference centre for sub,
 * answered with the page: from the unsubscribe token (raise 0) lowering is
 * done at once and the rest is a link mailed to the address; from an
 * emailed manage link (raise 1) everything is done.
 */
void
public_preferences_apply(struct web *w, struct http_request *req, struct http_response *res,
			 const struct store_subscriber *sub, const struct http_form *form, int raise)
{
	struct store_subscriber *now = NULL;
	struct store_consent_in ev;
	char version[32], hash[65], unsub[TOKEN_MAX];
	const char *action = http_form_get(form, "action", NULL), *notice = NULL;
	struct store *s = http_store(w);
	int rc, wanted = 0;

	consent_from(w, req, &ev, version, hash);
	if (raise)
		ev.source = "manage-link";
	if (action && (strcmp(action, "export") == 0 || strcmp(action, "erase") == 0)) {
		rc = mail_link(w, sub, action, &notice);
	} else if (action && strcmp(action, "resubscribe") == 0) {
		if (raise) {
			rc = resubscribe(s, sub, &ev);
			notice = "You are subscribed again.";
		} else if (sub->status != STORE_UNSUBSCRIBED ||
			   store_suppression_check(s, sub->email_key, NULL) == NF_OK) {
			rc = NF_ERR_INVALID;
		} else {
			rc = mail_link(w, sub, "manage", &notice);
		}
	} else {
		rc = save_choices(s, sub, form, &ev, raise, &wanted);
		notice = "Your choices are saved.";
		if (rc == NF_OK && wanted) {
			rc = mail_link(w, sub, "manage", &notice);
			notice = "We have saved what you turned off. To add a list or emails, use the link"
				 " we have emailed you: it works once, within an hour.";
		}
	}
	token_make(&w->cfg.key, "unsubscribe", (uint64_t)sub->id, 0, sub->token_salt, unsub);
	if (rc == NF_OK && store_subscriber_get(s, sub->id, &now) == NF_OK) {
		log_event(LOG_INFO, "preferences.saved", "action", action ? action : "save", NULL);
		public_preferences_render(w, req, res, 200, now, unsub, notice);
	} else if (rc == NF_ERR_INVALID) {
		public_preferences_render(w, req, res, 409, sub, unsub,
					  "This address cannot be subscribed again from here.");
	} else {
		log_event(LOG_ERROR, "preferences.failed", "reason", store_errmsg(s), NULL);
		http_page_error(w, res, 503, NULL);
	}
	store_subscriber_free(now);
}

void
public_preferences_post(struct web *w, struct http_request *req, struct http_response *res, const char *token)
{
	struct store_subscriber *sub = NULL;
	struct http_form form;

	if (public_token_subscriber(w, token, "unsubscribe", &sub) != PUBLIC_TOKEN_OK) {
		public_unsubscribe_get(w, req, res, token);	/* the same 400 or 503 */
		return;
	}
	if (http_form_parse(req->arena, req->body.data ? req->body.data : "", req->body.len, &form) != NF_OK ||
	    !http_form_guard(w, req, &form)) {
		public_preferences_render(w, req, res, 403, sub, token, SESSION_EXPIRED);
		store_subscriber_free(sub);
		return;
	}
	public_preferences_apply(w, req, res, sub, &form, 0);
	store_subscriber_free(sub);
}
