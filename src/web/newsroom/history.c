/*
 * web/newsroom/history.c - alerts as the newsroom follows them
 *
 * Owns: GET /newsroom/alerts (the history: each alert's reach, how long
 * from publication to its last message, failures, bounces and the
 * unsubscribes it caused), GET /newsroom/alerts/ID (one alert, live: its
 * page subscribes to /newsroom/alerts/ID/events, see sse.c, and without
 * script refreshes itself), GET /newsroom/alerts/ID/stop (the confirmation
 * step of "Stop sending", with how many were reached so far), POST
 * /newsroom/alerts/ID/cancel (the kill switch: a cancelled alert hands out
 * no more shards and the engine stops at its next commit, within about a
 * second) and POST /newsroom/alerts/ID/resume (a stopped alert goes to the
 * rest; nobody reached gets it twice). Who stopped and who resumed is kept
 * in the alert's audit and shown on its page. The progress figures are
 * computed once here for both the page and the stream, so the two always
 * agree.
 */
#include <stdlib.h>
#include <string.h>

#include "deliver/deliver.h"
#include "store/store.h"
#include "newsroom.h"

#define NONE "\xe2\x80\x93"	/* an en dash: no figure yet */

/* by enum store_alert_state */
static const char *const state_labels[] = { "Queued", "Sending", "Sent", "Stopped", "Retrying" };

static void
put_count(json_t *o, const char *key, int64_t n)
{
	char label[32];

	newsroom_count_label(n, label);
	json_object_set_new(o, key, json_string(label));
}

static void
put_time(json_t *o, const char *key, int64_t t)
{
	char label[40];

	newsroom_time_label(t, label);
	json_object_set_new(o, key, json_string(label));
}

static void
put_duration(json_t *o, const char *key, int64_t secs)
{
	char label[32];

	newsroom_duration_label(secs, label);
	json_object_set_new(o, key, json_string(label));
}

/*
 * The rate is the average since the first shard was claimed: the sent
 * count moves in group commits of hundreds, so a rate between two polls
 * would jump between nothing and thousands.
 */
json_t *
newsroom_alert_progress_json(const struct store_alert *a, int64_t now)
{
	json_t *o = json_object();
	int64_t done = a->sent + a->failed, left = a->total > done ? a->total - done : 0;
	int64_t end = a->finished_at ? a->finished_at : now, elapsed = end - a->started_at;
	/* a retrying alert is still under way: recipients wait for a retry */
	int running = a->state == STORE_QUEUED || a->state == STORE_SENDING ||
		      a->state == STORE_RETRYING;
	/* stopped, but what was already handed to the relay is still going (and counting) */
	int stopping = a->state == STORE_CANCELLED && a->leased > 0;
	double rate = 0;
	int percent;
	char count[32], label[48];

	if (a->started_at && a->sent > 0)
		rate = (double)a->sent / (double)(elapsed > 0 ? elapsed : 1);
	percent = a->total ? (int)(done * 100 / a->total) : 100;
	if (percent > 100 || a->state == STORE_DONE)
		percent = 100;
	json_object_set_new(o, "id", json_integer((json_int_t)a->id));
	json_object_set_new(o, "state", json_string(store_alert_state_name(a->state)));
	json_object_set_new(o, "state_label", json_string(stopping ? "Stopping" : state_labels[a->state]));
	json_object_set_new(o, "running", json_boolean(running));
	json_object_set_new(o, "stopping", json_boolean(stopping));
	json_object_set_new(o, "ended", json_boolean(!running && !stopping));
	json_object_set_new(o, "cancelled", json_boolean(a->state == STORE_CANCELLED));
	json_object_set_new(o, "resumable", json_boolean(a->state == STORE_CANCELLED && !stopping));
	json_object_set_new(o, "percent", json_integer(percent));
	put_count(o, "total", a->total);
	put_count(o, "sent", a->sent);
	put_count(o, "failed", a->failed);
	put_count(o, "retrying", a->retrying);
	put_count(o, "left", left);
	newsroom_count_label((int64_t)(rate + 0.5), count);
	snprintf(label, sizeof(label), "%s a second", count);
	json_object_set_new(o, "rate", json_string(rate > 0 ? label : NONE));
	if (running && rate > 0)
		put_duration(o, "eta", (int64_t)((double)left / rate + 0.5));
	else
		json_object_set_new(o, "eta", json_string(running ? "estimating" : NONE));
	put_time(o, "created", a->created_at);
	put_time(o, "started", a->started_at);
	put_time(o, "finished", a->finished_at);
	put_duration(o, "to_last", a->finished_at ? a->finished_at - a->created_at : -1);
	put_duration(o, "elapsed", a->started_at ? elapsed : -1);
	snprintf(label, sizeof(label), "%lld of %lld", (long long)a->shards_done, (long long)a->shards);
	json_object_set_new(o, "shards", json_string(label));
	return o;
}

json_t *
newsroom_history_rows(struct store *s, size_t limit)
{
	struct store_alert_report **r = NULL;
	json_t *rows = json_array(), *o;
	size_t n = 0, i;

	if (store_alert_reports(s, limit, &r, &n) != NF_OK)
		return rows;
	for (i = 0; i < n; i++) {
		o = newsroom_alert_progress_json(&r[i]->alert, time(NULL));
		json_object_set_new(o, "headline", json_string(r[i]->headline ? r[i]->headline : ""));
		put_count(o, "bounces", r[i]->bounces);
		put_count(o, "unsubscribes", r[i]->unsubscribes);
		json_object_set_new(o, "any_failed", json_boolean(r[i]->alert.failed > 0));
		json_object_set_new(o, "any_unsubscribes", json_boolean(r[i]->unsubscribes > 0));
		json_array_append_new(rows, o);
	}
	store_alert_report_list_free(r, n);
	return rows;
}

void
newsroom_history_page(struct web *w, struct http_request *req, struct http_response *res, const char *arg)
{
	struct newsroom_session ss;
	struct store *s;
	json_t *ctx, *rows;

	NF_UNUSED(arg);
	if ((s = newsroom_store(w, req, res, &ss)) == NULL)
		return;
	rows = newsroom_history_rows(s, 100);
	ctx = json_pack("{s:b}", "any", json_array_size(rows) > 0);
	json_object_set_new(ctx, "alerts", rows);
	newsroom_render(w, req, res, 200, NEWSROOM_PAGE_ALERTS, ctx, &ss, "nav_alerts");
	json_decref(ctx);
}

/* "123" or "123/what": the id, and what follows the slash ("" when nothing) */
static int64_t
alert_arg(const char *arg, const char **rest)
{
	char *end;
	long long id;

	*rest = "";
	if (*arg < '1' || *arg > '9')
		return 0;
	id = strtoll(arg, &end, 10);
	if (*end == '/')
		*rest = end + 1;
	else if (*end)
		return 0;
	return id > 0 ? id : 0;
}

/* "breaking-news royal-family" -> list "breaking-news, royal-family", several: the audience */
static void
audience_json(json_t *ctx, const char *names)
{
	char text[STORE_ALERT_LISTS_MAX * 2];
	size_t n = 0;
	const char *p;

	for (p = *names ? names : STORE_LIST_DEFAULT; *p && n + 3 < sizeof(text); p++) {
		if (*p == ' ')
			text[n++] = ',';
		text[n++] = *p;
	}
	text[n] = '\0';
	json_object_set_new(ctx, "list", json_string(text));
	json_object_set_new(ctx, "several", json_boolean(strchr(names, ' ') != NULL));
}

/* who stopped and who resumed the alert, oldest first: "Stopped by NAME", time */
static json_t *
audit_json(struct store *s, int64_t id)
{
	struct store_alert_event **ev = NULL;
	json_t *rows = json_array(), *o;
	size_t n = 0, i;

	if (store_alert_events(s, id, &ev, &n) != NF_OK)
		return rows;
	for (i = 0; i < n; i++) {
		o = json_pack("{s:s,s:s}", "action", strcmp(ev[i]->action, "stopped") == 0 ? "Stopped" :
			      strcmp(ev[i]->action, "resumed") == 0 ? "Resumed" : ev[i]->action,
			      "who", ev[i]->who);
		put_time(o, "at", ev[i]->at);
		json_array_append_new(rows, o);
	}
	store_alert_event_list_free(ev, n);
	return rows;
}

/*
 * The alert's page; confirm_stop: the confirmation step of "Stop sending"
 * (the same page with the question in place of the button: it works
 * without script, and says how many were reached so far)
 */
static void
live_page(struct web *w, struct http_request *req, struct http_response *res,
	  const struct newsroom_session *ss, struct store *s, int64_t id, int confirm_stop)
{
	struct store_alert *a = NULL;
	struct store_article *art = NULL;
	char events[64];
	json_t *ctx, *audit;

	if (store_alert_get(s, id, &a) != NF_OK) {
		newsroom_message(w, req, res, 404, ss, "There is no such alert");
		return;
	}
	store_article_get(s, a->article_id, &art);
	ctx = json_object();
	json_object_set_new(ctx, "alert", newsroom_alert_progress_json(a, time(NULL)));
	json_object_set_new(ctx, "confirm_stop", json_boolean(confirm_stop && (a->state == STORE_QUEUED ||
				a->state == STORE_SENDING || a->state == STORE_RETRYING)));
	audit = audit_json(s, id);
	json_object_set_new(ctx, "any_audit", json_boolean(json_array_size(audit) > 0));
	json_object_set_new(ctx, "audit", audit);
	json_object_set_new(ctx, "headline", json_string(art && art->headline ? art->headline : ""));
	if (art && art->standfirst)
		json_object_set_new(ctx, "standfirst", json_string(art->standfirst));
	if (art && art->url)
		json_object_set_new(ctx, "story_url", json_string(art->url));
	audience_json(ctx, a->lists);
	snprintf(events, sizeof(events), "/newsroom/alerts/%lld/events", (long long)id);
	json_object_set_new(ctx, "events_url", json_string(events));
	newsroom_render(w, req, res, 200, NEWSROOM_PAGE_ALERT, ctx, ss, "nav_alerts");
	json_decref(ctx);
	store_article_free(art);
	store_alert_free(a);
}

void
newsroom_alert_page(struct web *w, struct http_request *req, struct http_response *res, const char *arg)
{
	struct newsroom_session ss;
	struct store *s;
	const char *rest;
	int64_t id = alert_arg(arg, &rest);

	if (strcmp(rest, "events") == 0) {
		/* an EventSource cannot follow a redirect to a page: refuse plainly */
		if (!newsroom_session_find(w, req, &ss))
			http_reply_error(w, req, res, 403, "Please sign in to the newsroom first");
		else if (id == 0)
			http_reply_error(w, req, res, 404, "Not found");
		else
			newsroom_sse_stream(w, req, res, id);
		return;
	}
	if ((s = newsroom_store(w, req, res, &ss)) == NULL)
		return;
	if (id == 0 || (*rest && strcmp(rest, "stop") != 0))
		newsroom_message(w, req, res, 404, &ss, "There is no such page");
	else
		live_page(w, req, res, &ss, s, id, *rest != '\0');
}

void
newsroom_alert_post(struct web *w, struct http_request *req, struct http_response *res, const char *arg)
{
	struct newsroom_session ss;
	struct http_form form;
	struct store *s;
	const char *rest;
	int64_t id = alert_arg(arg, &rest);
	char where[64], num[24];
	int rc, resume = 0;

	if (!newsroom_guard_post(w, req, res, &ss, &form))
		return;
	if (id == 0 || (strcmp(rest, "cancel") != 0 && !(resume = strcmp(rest, "resume") == 0))) {
		newsroom_message(w, req, res, 404, &ss, "There is no such page");
		return;
	}
	if ((s = http_store(w)) == NULL) {
		newsroom_message(w, req, res, 503, &ss, resume ?
				 "The database is not reachable. The alert was not resumed" :
				 "The database is not reachable. The alert was not stopped");
		return;
	}
	rc = resume ? store_alert_resume(s, id, ss.name, time(NULL)) : store_alert_stop(s, id, ss.name, time(NULL));
	if (rc == NF_ERR_NOTFOUND) {
		newsroom_message(w, req, res, 404, &ss, "There is no such alert");
		return;
	}
	if (rc == NF_ERR_INVALID && resume) {
		newsroom_message(w, req, res, 409, &ss, "Only a stopped alert can be resumed");
		return;
	}
	if (rc != NF_OK && rc != NF_ERR_INVALID) {	/* INVALID: it had ended already */
		newsroom_message(w, req, res, 503, &ss, resume ? "The alert could not be resumed. Please try again" :
				 "The alert could not be stopped. Please try again");
		return;
	}
	snprintf(num, sizeof(num), "%lld", (long long)id);
	if (rc == NF_OK)
		log_event(LOG_WARN, resume ? "newsroom.alert_resumed" : "newsroom.alert_cancelled", "alert", num,
			  "editor", ss.name, NULL);
	if (rc == NF_OK && resume && w->cfg.engine)
		deliver_wake(w->cfg.engine);
	snprintf(where, sizeof(where), "/newsroom/alerts/%lld", (long long)id);
	http_reply_redirect(req, res, where);
}
