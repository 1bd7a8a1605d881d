/*
 * web/public/privacy_pages.c - GET /privacy/export/TOKEN and POST /privacy/erase/TOKEN
 *
 * Owns: the person's own door to their rights, as HTTP. What the export
 * holds and what an erasure leaves are privacy/'s rules (privacy_export_text,
 * privacy_erase), the same the CLI follows. The export (GDPR Art. 15, 20)
 * is a JSON download; its link is made on the preference page with purpose
 * "export" and lives PRIVACY_EXPORT_TTL. The erase form (Art. 17) sits on
 * the preference page: CSRF and Origin checked, a box that must be ticked
 * to say they mean it, and a second box, ticked by default, to be never
 * mailed again (suppress); unticked, the service forgets them entirely and
 * they may sign up again.
 */
#include <stdlib.h>
#include <string.h>

#include "privacy/privacy.h"
#include "store/store.h"
#include "public.h"

#define EXPORT_INVALID "This download link is not valid or has expired. Please open your preferences again from any of our emails"

void
public_export_get(struct web *w, struct http_request *req, struct http_response *res, const char *token)
{
	struct store_subscriber *sub = public_token_page(w, res, token, "export", EXPORT_INVALID);
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
	struct store_subscriber *sub = NULL;
	struct http_form form;
	int suppress;
	json_t *ctx;

	if (public_token_subscriber(w, token, "unsubscribe", &sub) != PUBLIC_TOKEN_OK) {
		public_unsubscribe_get(w, req, res, token);	/* the same 400 or 503 */
		return;
	}
	if (http_form_parse(req->arena, req->body.data ? req->body.data : "", req->body.len, &form) != NF_OK ||
	    !http_form_guard(w, req, &form)) {
		public_preferences_render(w, req, res, 403, sub, token, "Your session expired. Please try again");
		store_subscriber_free(sub);
		return;
	}
	if (http_form_get(&form, "confirm", NULL) == NULL) {
		public_preferences_render(w, req, res, 422, sub, token,
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
