/*
 * web/newsroom/hooks_page.c - the newsroom's webhooks page (/newsroom/webhooks)
 *
 * Owns: the editors' view of the outgoing webhooks: the endpoints with
 * their events, state (enabled, failing, disabled), backlog and last
 * attempt; a form to add one (the secret is made here and shown once, on
 * the answer to that form); per endpoint a test (a webhook.test event sent
 * at once, its answer shown) and a remove button. Every form carries the
 * session's CSRF token (newsroom_guard_post). The checks are the same as
 * the CLI's and the API's (deliver_hook_create).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deliver/deliver.h"
#include "store/store.h"
#include "newsroom.h"

/* the page: the endpoints, the event names, and what the last action said */
static void
hooks_render(struct web *w, struct http_request *req, struct http_response *res, int status,
	     const struct newsroom_session *ss, struct store *s, json_t *ctx)
{
	struct store_hook **hs = NULL;
	char when[40];
	json_t *rows = json_array(), *names = json_array();
	struct buf ev;
	size_t n = 0, i;

	buf_init(&ev, 0);
	for (i = 0; i < 31; i++)
		if (store_hook_event_name((int64_t)1 << i))
			json_array_append_new(names, json_string(store_hook_event_name((int64_t)1 << i)));
	if (s == NULL || store_hook_list(s, &hs, &n) != NF_OK)
		json_object_set_new(ctx, "unavailable", json_true());
	for (i = 0; i < n; i++) {
		const struct store_hook *h = hs[i];

		buf_reset(&ev);
		store_hook_events_format(h->events, &ev);
		newsroom_time_label(h->last_at, when);
		json_array_append_new(rows, json_pack("{s:I,s:s,s:s,s:b,s:s,s:I,s:I,s:s,s:s?}",
			"id", (json_int_t)h->id, "url", h->url, "events", ev.data,
			"include_email", h->include_email,
			"state", h->disabled_at ? "disabled" : h->failing_since ? "failing" : "enabled",
			"backlog", (json_int_t)h->backlog, "last_status", (json_int_t)h->last_status,
			"last_at", h->last_at ? when : "never", "last_error", h->last_error));
	}
	store_hook_list_free(hs, n);
	buf_free(&ev);
	json_object_set_new(ctx, "webhooks", rows);
	json_object_set_new(ctx, "event_names", names);
	newsroom_render(w, req, res, status, NEWSROOM_PAGE_WEBHOOKS, ctx, ss, NULL);
}

void
newsroom_webhooks_page(struct web *w, struct http_request *req, struct http_response *res,
		       const char *arg)
{
	struct newsroom_session ss;
	struct store *s;
	json_t *ctx;

	NF_UNUSED(arg);
	if ((s = newsroom_store(w, req, res, &ss)) == NULL)
		return;
	ctx = json_object();
	hooks_render(w, req, res, 200, &ss, s, ctx);
	json_decref(ctx);
}

/* add: the form's url, events, include_email; the made secret goes on the page, once */
static int
hooks_add(struct store *s, const struct http_form *form, json_t *ctx)
{
	struct deliver_hook_spec in = { 0 };
	char secret[DELIVER_HOOK_SECRET_MAX], err[256];
	int64_t id = 0;
	int rc;

	in.url = http_form_get(form, "url", NULL);
	in.events = http_form_get(form, "events", &in.events_len);
	in.include_email = http_form_get(form, "include_email", NULL) != NULL;
	rc = deliver_hook_create(s, &in, &id, secret, err, sizeof(err));
	if (rc != NF_OK) {
		json_object_set_new(ctx, "message", json_string(rc == NF_ERR_INVALID ? err :
					"The webhook could not be saved. Please try again"));
		json_object_set_new(ctx, "problem", json_true());
		return rc == NF_ERR_INVALID ? 422 : 503;
	}
	json_object_set_new(ctx, "message", json_string("Webhook added. Copy its secret now: it is not shown again."));
	json_object_set_new(ctx, "new_secret", json_string(secret));
	json_object_set_new(ctx, "new_id", json_integer(id));
	memset(secret, 0, sizeof(secret));
	return 201;
}

/* test or remove endpoint id */
static int
hooks_act(struct web *w, struct store *s, const char *action, int64_t id, json_t *ctx)
{
	struct deliver_hook_result r;
	struct store_hook *h = NULL;
	char msg[400];
	int rc = strcmp(action, "remove") == 0 ? store_hook_remove(s, id) : store_hook_get(s, id, &h);

	if (rc != NF_OK) {
		json_object_set_new(ctx, "message", json_string(rc == NF_ERR_NOTFOUND ?
				    "There is no such webhook" : "The database is not reachable. Please try again"));
		json_object_set_new(ctx, "problem", json_true());
		return rc == NF_ERR_NOTFOUND ? 404 : 503;
	}
	if (h == NULL) {
		snprintf(msg, sizeof(msg), "Webhook %lld removed.", (long long)id);
	} else if (deliver_hook_test(h, w->cfg.hook_allow_private, &r) == NF_OK) {
		snprintf(msg, sizeof(msg), "Test sent to webhook %lld: HTTP %ld.", (long long)id, r.status);
	} else {
		snprintf(msg, sizeof(msg), "Test to webhook %lld failed: %s", (long long)id, r.error);
		json_object_set_new(ctx, "problem", json_true());
	}
	json_object_set_new(ctx, "message", json_string(msg));
	store_hook_free(h);
	return 200;
}

void
newsroom_webhooks_post(struct web *w, struct http_request *req, struct http_response *res,
		       const char *arg)
{
	struct newsroom_session ss;
	struct http_form form;
	const char *action, *idv;
	struct store *s;
	json_t *ctx;
	char *end = NULL;
	long long id = 0;
	int status;

	NF_UNUSED(arg);
	if (!newsroom_guard_post(w, req, res, &ss, &form))
		return;
	action = http_form_get(&form, "action", NULL);
	if ((idv = http_form_get(&form, "id", NULL)) != NULL)
		id = strtoll(idv, &end, 10);
	ctx = json_object();
	s = http_store(w);
	if (s == NULL) {
		json_object_set_new(ctx, "message", json_string("The database is not reachable. Please try again"));
		json_object_set_new(ctx, "problem", json_true());
		status = 503;
	} else if (action && strcmp(action, "add") == 0) {
		status = hooks_add(s, &form, ctx);
	} else if (action && (strcmp(action, "test") == 0 || strcmp(action, "remove") == 0) &&
		   id > 0 && end && *end == '\0') {
		status = hooks_act(w, s, action, id, ctx);
	} else {
		json_object_set_new(ctx, "message", json_string("That is not something this page does"));
		json_object_set_new(ctx, "problem", json_true());
		status = 422;
	}
	hooks_render(w, req, res, status, &ss, s, ctx);
	json_decref(ctx);
}
