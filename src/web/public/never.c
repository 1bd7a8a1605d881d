/*
 * web/public/never.c - GET and POST /never/TOKEN: "This wasn't me: never email me"
 *
 * Owns: the way out for someone whose address another person typed into
 * the signup box. Every confirmation mail carries this link (purpose
 * "never", made in the confirmation's data). GET shows what it will do and
 * a button, and changes nothing (link scanners follow GETs); the POST puts
 * the address on the suppression list (reason "not-me") and moves the row
 * to unsubscribed, in one transaction with its ledger row. From then on a
 * signup of the address gets the usual answer and no mail (signup.c), and
 * it is never confirmed nor mailed an alert. Like RFC 8058's one-click the
 * token is the authority: no cookie, no CSRF token, the same answer however
 * often it comes.
 */
#include <string.h>

#include "store/store.h"
#include "public.h"

#define NEVER_INVALID "This link is not valid. Please use the link in the most recent email"

static void
render_never(struct web *w, struct http_response *res, const struct store_subscriber *sub,
	     const char *token, int done)
{
	json_t *ctx = json_object();

	json_object_set_new(ctx, "email", json_string(sub->email_display ? sub->email_display : sub->email));
	json_object_set_new(ctx, "token", json_string(token));
	json_object_set_new(ctx, "done", json_boolean(done));
	public_page_render(w, res, 200, PUBLIC_PAGE_NEVER, ctx);
	json_decref(ctx);
}

void
public_never_get(struct web *w, struct http_request *req, struct http_response *res, const char *token)
{
	struct store_subscriber *sub = public_token_page(w, res, token, "never", NEVER_INVALID);

	NF_UNUSED(req);
	if (sub == NULL)
		return;
	render_never(w, res, sub, token,
		     store_suppression_check(http_store(w), sub->email_key, NULL) == NF_OK);
	store_subscriber_free(sub);
}

void
public_never_post(struct web *w, struct http_request *req, struct http_response *res, const char *token)
{
	struct store_subscriber *sub = public_token_page(w, res, token, "never", NEVER_INVALID);
	struct store_consent_in ev;
	int rc;

	if (sub == NULL)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.source = "not-me";
	ev.ip = req->ip;
	ev.user_agent = req->user_agent;
	/* a bounced address stays bounced (suppress keeps it); any other stops here */
	rc = store_subscriber_suppress(http_store(w), sub->id, "not-me",
				       sub->status == STORE_BOUNCED ? STORE_BOUNCED : STORE_UNSUBSCRIBED, &ev);
	if (rc != NF_OK) {
		log_event(LOG_ERROR, "never.failed", "reason", store_errmsg(http_store(w)), NULL);
		http_page_error(w, res, 503, NULL);
	} else {
		log_event(LOG_INFO, "never.suppressed", NULL);
		render_never(w, res, sub, token, 1);
	}
	store_subscriber_free(sub);
}
