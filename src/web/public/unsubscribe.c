/*
 * web/public/unsubscribe.c - GET and POST /u/TOKEN: leaving in one click (RFC 8058)
 *
 * Owns: the link in every alert's List-Unsubscribe (RFC 2369 3.2) and
 * footer. RFC 8058 3.1: a POST whose body holds List-Unsubscribe=One-Click,
 * as application/x-www-form-urlencoded or multipart/form-data, unsubscribes
 * at once: no cookie, no login, no CSRF token (a mailbox provider's server
 * sends it, and the token in the URL is the authority), answers 200 with a
 * short body and never a redirect (RFC 8058 3.2 forbids one), and does the
 * same however often it comes (idempotent: one ledger row). The body is read
 * by libmicrohttpd's post processor for both encodings.
 *
 * A GET never changes anything: link scanners and previews follow GETs. It
 * shows the preference centre (preferences.c) with an Unsubscribe button,
 * a form that sends the one-click body.
 *
 * The unsubscribe takes effect for every message not yet handed to the
 * relay: the delivery engine streams only confirmed members, batch by batch
 * (store_members_next), so an alert in flight skips the person from the
 * next batch it fetches on.
 */
#include <microhttpd.h>
#include <string.h>

#include "store/store.h"
#include "public.h"

#define LINK_INVALID "This unsubscribe link is not valid. Please use the link in your most recent email"
#define ONE_CLICK_NAME "List-Unsubscribe"
#define ONE_CLICK_VALUE "One-Click"

void
public_unsubscribe_get(struct web *w, struct http_request *req, struct http_response *res, const char *token)
{
	struct store_subscriber *sub = public_token_page(w, res, token, "unsubscribe", LINK_INVALID);

	if (sub == NULL)
		return;
	public_preferences_render(w, req, res, 200, sub, token, NULL);
	store_subscriber_free(sub);
}

/* the value of List-Unsubscribe in the body, whichever encoding (a small ceiling) */
struct one_click {
	struct buf value;
	int seen;
};

static enum MHD_Result
one_click_field(void *cls, enum MHD_ValueKind kind, const char *key, const char *filename,
		const char *content_type, const char *transfer_encoding, const char *data,
		uint64_t off, size_t size)
{
	struct one_click *oc = cls;

	NF_UNUSED(kind);
	NF_UNUSED(filename);
	NF_UNUSED(content_type);
	NF_UNUSED(transfer_encoding);
	NF_UNUSED(off);
	if (key == NULL || strcmp(key, ONE_CLICK_NAME) != 0)
		return MHD_YES;
	oc->seen = 1;
	if (buf_append(&oc->value, data, size) != NF_OK)
		buf_reset(&oc->value);	/* too long: cannot be "One-Click" */
	return MHD_YES;
}

/* RFC 8058 3.1: the body is (or contains) List-Unsubscribe=One-Click */
static int
is_one_click(struct http_request *req)
{
	struct one_click oc = { { NULL, 0, 0, 0 }, 0 };
	struct MHD_PostProcessor *pp;
	int ok;

	buf_init(&oc.value, 32);
	pp = MHD_create_post_processor(req->conn, 1024, one_click_field, &oc);
	if (pp == NULL) {
		buf_free(&oc.value);
		return 0;	/* neither form encoding */
	}
	ok = MHD_post_process(pp, req->body.data ? req->body.data : "", req->body.len) == MHD_YES;
	/* MHD_NO here: a multipart body that never reached its closing boundary */
	ok = MHD_destroy_post_processor(pp) == MHD_YES && ok;
	ok = ok && oc.seen && oc.value.len == strlen(ONE_CLICK_VALUE) &&
	     memcmp(oc.value.data, ONE_CLICK_VALUE, oc.value.len) == 0;
	buf_free(&oc.value);
	return ok;
}

/* browsers that pressed our button get a page; mail providers a line of text */
static void
answer_done(struct web *w, struct http_request *req, struct http_response *res, const char *token)
{
	const char *accept = http_header(req, "Accept");
	json_t *ctx;

	if (accept == NULL || strstr(accept, "text/html") == NULL) {
		http_reply_text(res, 200, "You are unsubscribed.\n");
		return;
	}
	ctx = json_object();
	json_object_set_new(ctx, "token", json_string(token));
	public_page_render(w, res, 200, PUBLIC_PAGE_UNSUBSCRIBED, ctx);
	json_decref(ctx);
}

void
public_unsubscribe_post(struct web *w, struct http_request *req, struct http_response *res, const char *token)
{
	struct store_subscriber *sub = NULL;
	struct store_consent_in ev;
	int rc = NF_OK;

	switch (public_token_subscriber(w, token, "unsubscribe", &sub)) {
	case PUBLIC_TOKEN_BAD:
		http_reply_text(res, 400, LINK_INVALID "\n");
		return;
	case PUBLIC_TOKEN_UNAVAILABLE:
		http_reply_text(res, 503, "Something went wrong. Please try again later\n");
		return;
	case PUBLIC_TOKEN_OK:
		break;
	}
	if (!is_one_click(req)) {
		http_reply_text(res, 400, "Expected the body List-Unsubscribe=One-Click (RFC 8058)\n");
		store_subscriber_free(sub);
		return;
	}
	memset(&ev, 0, sizeof(ev));
	ev.source = "one-click";
	ev.ip = req->ip;
	ev.user_agent = req->user_agent;
	/* bounced already receives nothing; an unsubscribe stays as it is */
	if (sub->status == STORE_PENDING || sub->status == STORE_CONFIRMED)
		rc = store_subscriber_set_status(http_store(w), sub->id, STORE_UNSUBSCRIBED, &ev, NULL);
	store_subscriber_free(sub);
	if (rc != NF_OK) {
		log_event(LOG_ERROR, "unsubscribe.failed", "reason", store_errmsg(http_store(w)), NULL);
		http_reply_text(res, 503, "Something went wrong. Please try again later\n");
		return;
	}
	log_event(LOG_INFO, "unsubscribe.one_click", NULL);
	answer_done(w, req, res, token);
}
