/*
 * web/public/confirm_page.c - GET and POST /confirm/TOKEN: double opt-in
 *
 * Owns: turning a confirmation link into a confirmed subscriber. GET shows
 * a page with a Confirm button and changes nothing, because mail scanners
 * and link previews follow GETs; only the POST confirms, and records the
 * confirmation (time, IP, user agent) in the consent ledger. The token is
 * an HMAC (core/token.c) with purpose "confirm", checked in constant time
 * against the subscriber's salt, and it expires. A suppressed address is
 * never confirmed (the store refuses it), whatever link it holds.
 */
#include <string.h>

#include "store/store.h"
#include "public.h"

#define LINK_INVALID "This confirmation link is not valid or has expired. Please sign up again"

/* the subscriber the token is for, or NULL with the error page rendered */
static struct store_subscriber *
token_subscriber(struct web *w, struct http_response *res, const char *token)
{
	return public_token_page(w, res, token, "confirm", LINK_INVALID);
}

static void
render_with_email(struct web *w, struct http_response *res, enum public_page id,
		  const struct store_subscriber *sub, const char *token)
{
	json_t *ctx = json_object();

	json_object_set_new(ctx, "email", json_string(sub->email_display ? sub->email_display : sub->email));
	if (token)
		json_object_set_new(ctx, "token", json_string(token));
	public_page_render(w, res, 200, id, ctx);
	json_decref(ctx);
}

void
public_confirm_get(struct web *w, struct http_request *req, struct http_response *res, const char *token)
{
	struct store_subscriber *sub = token_subscriber(w, res, token);

	NF_UNUSED(req);
	if (sub == NULL)
		return;
	render_with_email(w, res, sub->status == STORE_CONFIRMED ? PUBLIC_PAGE_CONFIRMED : PUBLIC_PAGE_CONFIRM, sub, token);
	store_subscriber_free(sub);
}

void
public_confirm_post(struct web *w, struct http_request *req, struct http_response *res, const char *token)
{
	struct store_subscriber *sub = token_subscriber(w, res, token);
	struct store_consent_in ev;
	char version[32], hash[65];
	int rc;

	if (sub == NULL)
		return;
	if (sub->status == STORE_UNSUBSCRIBED || sub->status == STORE_BOUNCED) {
		/* an old link must not undo a later unsubscribe */
		http_page_error(w, res, 400, LINK_INVALID);
		store_subscriber_free(sub);
		return;
	}
	public_wording(w, version, hash);
	memset(&ev, 0, sizeof(ev));
	ev.source = "confirm-link";
	ev.ip = req->ip;
	ev.user_agent = req->user_agent;
	ev.wording_version = version;
	ev.wording_hash = hash;
	rc = store_subscriber_set_status(http_store(w), sub->id, STORE_CONFIRMED, &ev, NULL);
	if (rc == NF_ERR_INVALID) {
		/* suppressed since the mail went ("never email me", a complaint): never confirmed */
		http_page_error(w, res, 400, LINK_INVALID);
	} else if (rc != NF_OK) {
		http_page_error(w, res, 503, NULL);
	} else {
		log_event(LOG_INFO, "signup.confirmed", NULL);
		render_with_email(w, res, PUBLIC_PAGE_CONFIRMED, sub, NULL);
	}
	store_subscriber_free(sub);
}
