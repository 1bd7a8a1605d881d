/*
 * web/api/articles.c - the JSON API for newsrooms: articles and alerts
 *
 * Owns: POST /api/articles (publish; 201 with the ids and the topics
 * nobody follows, 422 naming each bad field), GET /api/alerts/ID (state,
 * counts, how many its reached record holds, the lists it goes to, who
 * stopped or resumed it) and POST /api/alerts/ID/stop and /resume.
 * The API routes need "Authorization: Bearer KEY" with a key made by
 * `newsflash apikey create`; only its hash is stored and it is compared in
 * constant time by the store.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "deliver/deliver.h"
#include "news/news.h"
#include "store/store.h"
#include "api.h"

/* the request carries a valid API key (*name, may be NULL: its name); otherwise the 401 is written */
static int
api_authorised(struct web *w, struct http_request *req, struct http_response *res, struct store *s,
	       char **name)
{
	const char *auth = req->authorization;

	if (auth && strncmp(auth, "Bearer ", 7) == 0 &&
	    store_apikey_verify(s, auth + 7, strlen(auth + 7), name) == NF_OK)
		return 1;
	NF_UNUSED(w);
	http_reply_header(req, res, "WWW-Authenticate", "Bearer realm=\"newsflash\"");
	http_reply_json_error(res, 401, "an API key is required: Authorization: Bearer KEY");
	return 0;
}

/* api_store - this thread's store for an authorised API request; NULL with the 503 or 401 written */
struct store *
api_store(struct web *w, struct http_request *req, struct http_response *res)
{
	struct store *s = http_store(w);

	if (s == NULL) {
		http_reply_json_error(res, 503, "Something went wrong. Please try again later");
		return NULL;
	}
	return api_authorised(w, req, res, s, NULL) ? s : NULL;
}

/*
 * unfollowed_topics - the article's topics nobody would get an alert for
 * now: no list of that name, or nobody mailable on it. A CMS tags stories
 * freely, so these are accepted and only named in the answer.
 */
static json_t *
unfollowed_topics(struct store *s, const struct news_article *art)
{
	char list[NEWS_TOPIC_MAX + 1];
	json_t *arr = json_array();
	int64_t readers;
	size_t i;
	int rc;

	for (i = 0; i < art->ntopics; i++) {
		rc = news_topic_readers(s, art->topics[i], list, &readers);
		if (rc == NF_ERR_NOTFOUND || (rc == NF_OK && readers == 0))
			json_array_append_new(arr, json_string(art->topics[i]));
	}
	return arr;
}

void
api_articles_post(struct web *w, struct http_request *req, struct http_response *res, const char *arg)
{
	struct store *s = api_store(w, req, res);
	struct news_article art;
	struct news_errors errs;
	int64_t article_id, alert_id;
	json_t *body, *list;
	int i;

	NF_UNUSED(arg);
	if (s == NULL)
		return;
	if (news_article_parse(req->body.data ? req->body.data : "", req->body.len, &art, &errs) != NF_OK) {
		list = json_array();
		for (i = 0; i < errs.count; i++)
			json_array_append_new(list, json_pack("{s:s,s:s}", "field", errs.items[i].field,
							      "message", errs.items[i].message));
		http_reply_json(res, 422, json_pack("{s:s,s:o}", "error", "the article is not valid", "fields", list));
		return;
	}
	if (news_publish(s, &art, w->cfg.alert_shards, &article_id, &alert_id) != NF_OK) {
		log_event(LOG_ERROR, "api.publish_failed", "reason", store_errmsg(s), NULL);
		http_reply_json_error(res, 503, "Something went wrong. Please try again later");
	} else {
		body = json_pack("{s:I,s:o}", "id", (json_int_t)article_id, "unfollowed_topics",
				 unfollowed_topics(s, &art));
		if (alert_id) {
			json_object_set_new(body, "alert_id", json_integer(alert_id));
			if (w->cfg.engine)
				deliver_wake(w->cfg.engine);
		}
		http_reply_json(res, 201, body);
	}
	news_article_free(&art);
}

/* "breaking-news royal-family" -> ["breaking-news", "royal-family"]: the audience */
static json_t *
lists_json(const char *names)
{
	json_t *a = json_array();
	const char *p = names, *sp;

	while (p && *p) {
		sp = strchr(p, ' ');
		json_array_append_new(a, json_stringn(p, sp ? (size_t)(sp - p) : strlen(p)));
		p = sp ? sp + 1 : NULL;
	}
	return a;
}

/* an alert as the API shows it: state, counts, its reached record's size, its audit */
static json_t *
alert_json(struct store *s, const struct store_alert *a)
{
	struct store_alert_event **ev = NULL;
	json_t *events = json_array();
	int64_t reached = 0;
	size_t n = 0, i;

	store_reached_count(s, a->id, &reached);
	if (store_alert_events(s, a->id, &ev, &n) == NF_OK)
		for (i = 0; i < n; i++)
			json_array_append_new(events, json_pack("{s:I,s:s,s:s}", "at", (json_int_t)ev[i]->at,
								"action", ev[i]->action, "who", ev[i]->who));
	store_alert_event_list_free(ev, n);
	return json_pack("{s:I,s:I,s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:o,s:o}",
		"id", (json_int_t)a->id, "article_id", (json_int_t)a->article_id,
		"state", store_alert_state_name(a->state), "total", (json_int_t)a->total,
		"sent", (json_int_t)a->sent, "reached", (json_int_t)reached, "failed", (json_int_t)a->failed,
		"retrying", (json_int_t)a->retrying, "created_at", (json_int_t)a->created_at,
		"started_at", (json_int_t)a->started_at, "finished_at", (json_int_t)a->finished_at,
		"shards_done", (json_int_t)a->shards_done, "lists", lists_json(a->lists), "events", events);
}

void
api_alert_get(struct web *w, struct http_request *req, struct http_response *res, const char *arg)
{
	struct store *s = api_store(w, req, res);
	struct store_alert *a = NULL;
	char *end;
	long long id = strtoll(arg, &end, 10);

	if (s == NULL)
		return;
	if (*arg == '\0' || *end || id <= 0 || store_alert_get(s, id, &a) != NF_OK) {
		http_reply_json_error(res, 404, "no such alert");
		return;
	}
	http_reply_json(res, 200, alert_json(s, a));
	store_alert_free(a);
}

/*
 * POST /api/alerts/ID/stop and /api/alerts/ID/resume: the kill switch and
 * sending a stopped alert to the rest (nobody reached gets it twice). The
 * key's name goes into the alert's audit as "api:NAME". 409 when the alert
 * has ended (stop) or is not stopped (resume).
 */
void
api_alert_post(struct web *w, struct http_request *req, struct http_response *res, const char *arg)
{
	struct store *s = http_store(w);
	struct store_alert *a = NULL;
	char *end, *key = NULL, who[96], num[24];
	long long id = strtoll(arg, &end, 10);
	int rc, resume = 0;

	if (s == NULL) {
		http_reply_json_error(res, 503, "Something went wrong. Please try again later");
		return;
	}
	if (!api_authorised(w, req, res, s, &key))
		return;
	snprintf(who, sizeof(who), "api:%s", key ? key : "");
	free(key);
	if (*arg < '1' || *arg > '9' || id <= 0 || (strcmp(end, "/stop") != 0 && !(resume = strcmp(end, "/resume") == 0))) {
		http_reply_json_error(res, 404, "no such alert action: POST /api/alerts/ID/stop or /api/alerts/ID/resume");
		return;
	}
	rc = resume ? store_alert_resume(s, id, who, time(NULL)) : store_alert_stop(s, id, who, time(NULL));
	if (rc == NF_ERR_NOTFOUND) {
		http_reply_json_error(res, 404, "no such alert");
		return;
	}
	if (rc == NF_ERR_INVALID) {
		http_reply_json_error(res, 409, resume ? "the alert is not stopped: only a stopped alert can be resumed"
						       : "the alert has ended already");
		return;
	}
	if (rc != NF_OK || store_alert_get(s, id, &a) != NF_OK) {
		log_event(LOG_ERROR, "api.alert_failed", "reason", store_errmsg(s), NULL);
		http_reply_json_error(res, 503, "Something went wrong. Please try again later");
		return;
	}
	snprintf(num, sizeof(num), "%lld", id);
	log_event(LOG_WARN, resume ? "api.alert_resumed" : "api.alert_stopped", "alert", num, "who", who, NULL);
	if (resume && w->cfg.engine)
		deliver_wake(w->cfg.engine);
	http_reply_json(res, 200, alert_json(s, a));
	store_alert_free(a);
}
