/*
 * web/api/hooks_api.c - /api/webhooks: outgoing webhook endpoints over the JSON API
 *
 * Owns: GET /api/webhooks (the endpoints, their backlog and last attempt,
 * never a secret), POST /api/webhooks ({"url", "events": [...] or "a,b",
 * "secret"?, "include_email"?}; 201 with the id and the secret, which is
 * never shown again; 422 with a message for a bad URL, an unknown event or
 * a bad secret), DELETE /api/webhooks/ID, POST /api/webhooks/ID/test (a
 * webhook.test event sent at once: 200 with the endpoint's status, or 502
 * with why it failed) and POST /api/webhooks/ID/replay ({"since": RFC 3339
 * or unix seconds}). Every route needs the API key (api_store).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "deliver/deliver.h"
#include "store/store.h"
#include "api.h"

#define HOOK_BODY_MAX 16384

static json_t *
hook_json(const struct store_hook *h)
{
	struct buf ev;
	json_t *o, *events = json_array();
	const char *p, *comma;

	buf_init(&ev, 0);
	store_hook_events_format(h->events, &ev);
	for (p = ev.data; p && *p; p = comma ? comma + 1 : p + strlen(p)) {
		comma = strchr(p, ',');
		json_array_append_new(events, json_stringn(p, comma ? (size_t)(comma - p) : strlen(p)));
	}
	buf_free(&ev);
	o = json_pack("{s:I,s:s,s:o,s:b,s:s,s:I,s:I,s:I,s:I}", "id", (json_int_t)h->id,
		      "url", h->url, "events", events, "include_email", h->include_email,
		      "state", h->disabled_at ? "disabled" : h->failing_since ? "failing" : "enabled",
		      "backlog", (json_int_t)h->backlog, "attempts", (json_int_t)h->attempts,
		      "last_status", (json_int_t)h->last_status, "last_at", (json_int_t)h->last_at);
	json_object_set_new(o, "last_error", h->last_error ? json_string(h->last_error) : json_null());
	json_object_set_new(o, "disabled_at", h->disabled_at ? json_integer(h->disabled_at) : json_null());
	return o;
}

static void
hooks_list(struct store *s, struct http_response *res)
{
	struct store_hook **hs = NULL;
	json_t *list;
	size_t n = 0, i;

	if (store_hook_list(s, &hs, &n) != NF_OK) {
		http_reply_json_error(res, 503, "Something went wrong. Please try again later");
		return;
	}
	list = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(list, hook_json(hs[i]));
	store_hook_list_free(hs, n);
	http_reply_json(res, 200, json_pack("{s:o}", "webhooks", list));
}

/* "events" as an array of names or one comma-separated string, into b */
static int
events_text(json_t *v, struct buf *b)
{
	size_t i;
	json_t *e;

	if (json_is_string(v))
		return buf_append(b, json_string_value(v), json_string_length(v));
	if (!json_is_array(v))
		return NF_ERR_INVALID;
	json_array_foreach(v, i, e) {
		if (!json_is_string(e))
			return NF_ERR_INVALID;
		if (i)
			buf_putc(b, ',');
		buf_append(b, json_string_value(e), json_string_length(e));
	}
	return NF_OK;
}

static void
hooks_add(struct store *s, struct http_request *req, struct http_response *res)
{
	char secret[DELIVER_HOOK_SECRET_MAX], err[256];
	struct deliver_hook_spec in = { 0 };
	json_t *body = NULL, *v;
	json_error_t jerr;
	struct buf events;
	int64_t id = 0;
	int rc;

	buf_init(&events, HOOK_BODY_MAX);
	if (req->body.len > HOOK_BODY_MAX ||
	    (body = json_loadb(req->body.data ? req->body.data : "", req->body.len, 0, &jerr)) == NULL ||
	    !json_is_object(body)) {
		http_reply_json_error(res, 422, "the body must be a JSON object");
		goto out;
	}
	in.url = json_string_value(json_object_get(body, "url"));
	v = json_object_get(body, "secret");
	in.secret = json_string_value(v);
	if (v && !json_is_null(v) && in.secret == NULL) {
		http_reply_json_error(res, 422, "secret must be a string");
		goto out;
	}
	v = json_object_get(body, "include_email");
	if (v && !json_is_boolean(v)) {
		http_reply_json_error(res, 422, "include_email must be true or false");
		goto out;
	}
	in.include_email = json_is_true(v);
	v = json_object_get(body, "events");
	if (v && events_text(v, &events) != NF_OK) {
		http_reply_json_error(res, 422, "events must be an array of event names");
		goto out;
	}
	in.events = events.data;
	in.events_len = events.len;
	rc = deliver_hook_create(s, &in, &id, secret, err, sizeof(err));
	if (rc == NF_ERR_INVALID)
		http_reply_json_error(res, 422, err);
	else if (rc != NF_OK)
		http_reply_json_error(res, 503, "Something went wrong. Please try again later");
	else
		http_reply_json(res, 201, json_pack("{s:I,s:s}", "id", (json_int_t)id, "secret", secret));
	memset(secret, 0, sizeof(secret));
out:
	json_decref(body);
	buf_free(&events);
}

/* {"since": "2026-12-01T08:00:00Z" or 1764576000} */
static int
replay_since(struct http_request *req, int64_t *since)
{
	json_error_t jerr;
	json_t *body = json_loadb(req->body.data ? req->body.data : "", req->body.len, 0, &jerr);
	json_t *v = json_object_get(body, "since");
	time_t t;
	int rc = NF_ERR_INVALID;

	if (json_is_integer(v) && json_integer_value(v) >= 0) {
		*since = json_integer_value(v);
		rc = NF_OK;
	} else if (json_is_string(v) &&
		   time_rfc3339_parse(json_string_value(v), json_string_length(v), &t) == NF_OK) {
		*since = (int64_t)t;
		rc = NF_OK;
	}
	json_decref(body);
	return rc;
}

/* ID, ID/test or ID/replay */
static void
hooks_one(struct web *w, struct store *s, struct http_request *req, struct http_response *res,
	  const char *arg)
{
	struct deliver_hook_result r;
	struct store_hook *h = NULL;
	int64_t since = 0, n = 0;
	const char *what;
	char *end;
	long long id = strtoll(arg, &end, 10);
	int rc, del = strcmp(req->method, "DELETE") == 0;

	what = *end == '/' ? end + 1 : end;
	if (end == arg || id <= 0 || (*end && *end != '/') ||
	    !(del ? *what == '\0' : strcmp(what, "test") == 0 || strcmp(what, "replay") == 0)) {
		http_reply_json_error(res, 404, "no such route");
		return;
	}
	if (strcmp(what, "replay") == 0 && replay_since(req, &since) != NF_OK) {
		http_reply_json_error(res, 422, "since must be an RFC 3339 time or unix seconds");
		return;
	}
	rc = del ? store_hook_remove(s, id) : strcmp(what, "replay") == 0 ?
	     store_hook_replay(s, id, since, &n) : store_hook_get(s, id, &h);
	if (rc == NF_ERR_NOTFOUND) {
		http_reply_json_error(res, 404, "no such webhook");
	} else if (rc != NF_OK) {
		http_reply_json_error(res, 503, "Something went wrong. Please try again later");
	} else if (del) {
		http_reply_json(res, 200, json_pack("{s:I,s:b}", "id", (json_int_t)id, "removed", 1));
	} else if (h == NULL) {
		http_reply_json(res, 200, json_pack("{s:I,s:I}", "id", (json_int_t)id,
						    "backlog", (json_int_t)n));
	} else if (deliver_hook_test(h, w->cfg.hook_allow_private, &r) == NF_OK) {
		http_reply_json(res, 200, json_pack("{s:I,s:I}", "id", (json_int_t)id,
						    "status", (json_int_t)r.status));
	} else {
		http_reply_json(res, 502, json_pack("{s:s,s:I}", "error", r.error,
						    "status", (json_int_t)r.status));
	}
	store_hook_free(h);
}

void
api_webhooks(struct web *w, struct http_request *req, struct http_response *res, const char *arg)
{
	struct store *s = api_store(w, req, res);

	if (s == NULL)
		return;
	if (arg && *arg)
		hooks_one(w, s, req, res, arg);
	else if (strcmp(req->method, "GET") == 0)
		hooks_list(s, res);
	else
		hooks_add(s, req, res);
}
