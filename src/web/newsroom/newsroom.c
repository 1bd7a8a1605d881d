/*
 * web/newsroom/newsroom.c - the newsroom's frame: state, pages, guards, dashboard
 *
 * Owns: what every /newsroom page shares — the sign-in guard, the form
 * guard (Origin, and a CSRF token bound to the session), the page frame
 * with its own Content-Security-Policy, number and time labels — and the
 * two read-only pages: the dashboard (audience figures, running alerts,
 * the latest alerts, a 30-day chart) and the audience page.
 *
 * The newsroom's pages are the only ones allowed a script: each response
 * carries a fresh random nonce in its CSP and on its one <script> tag
 * (CSP Level 3, "nonce-source"); every other page keeps script-src 'none'
 * from http/server.c. Images may come from any http(s) address so that the
 * preview shows the story's picture as the reader's mail client would.
 */
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "tmpl/tmpl.h"
#include "newsroom.h"

#define NONCE_BYTES 18
#define CHART_DAYS_HOME 30
#define CHART_PHONE_WIDTH 340	/* a 360 px screen less the page's margins */
#define CHART_PHONE_HEIGHT 260

static const char *const page_names[NEWSROOM_PAGE_COUNT] = {
	[NEWSROOM_PAGE_SIGNIN] = "newsroom-signin.html",
	[NEWSROOM_PAGE_HOME] = "newsroom-home.html",
	[NEWSROOM_PAGE_COMPOSE] = "newsroom-compose.html",
	[NEWSROOM_PAGE_PREVIEW] = "newsroom-preview.html",
	[NEWSROOM_PAGE_PUBLISH] = "newsroom-publish.html",
	[NEWSROOM_PAGE_ALERT] = "newsroom-alert.html",
	[NEWSROOM_PAGE_ALERTS] = "newsroom-alerts.html",
	[NEWSROOM_PAGE_AUDIENCE] = "newsroom-audience.html",
	[NEWSROOM_PAGE_WEBHOOKS] = "newsroom-webhooks.html",
};

int
newsroom_init(struct web *w)
{
	struct newsroom_state *nr = xcalloc(1, sizeof(*nr));
	int i;

	w->nr = nr;
	/* an editor's name: 3 free tries; an address: 10 (an office shares one) */
	nr->name_curve = (struct http_throttle_curve){ 3, w->cfg.signin_delay, 900 };
	nr->ip_curve = (struct http_throttle_curve){ 10, w->cfg.signin_delay, 900 };
	nr->signin_name = http_throttle_new(4096, &nr->name_curve, 3600);
	nr->signin_ip = http_throttle_new(65536, &nr->ip_curve, 3600);
	nr->signin_pair = http_throttle_new(65536, &nr->name_curve, 3600);
	nr->sse = newsroom_sse_new(w);
	nr->published = newsroom_publish_memo_new();
	for (i = 0; i < NEWSROOM_PAGE_COUNT; i++)
		if ((nr->pages[i] = http_page_load(w, page_names[i], NULL)) == NULL)
			return NF_ERR;
	return NF_OK;
}

void
newsroom_quiesce(struct web *w)
{
	if (w->nr)
		newsroom_sse_shutdown(w->nr->sse);
}

void
newsroom_free(struct web *w)
{
	struct newsroom_state *nr = w->nr;
	int i;

	if (nr == NULL)
		return;
	http_throttle_free(nr->signin_name);
	http_throttle_free(nr->signin_ip);
	http_throttle_free(nr->signin_pair);
	newsroom_sse_free(nr->sse);
	newsroom_publish_memo_free(nr->published);
	for (i = 0; i < NEWSROOM_PAGE_COUNT; i++)
		tmpl_free(nr->pages[i]);
	free(nr);
	w->nr = NULL;
}

static void
set_policy(struct http_request *req, struct http_response *res, const char *nonce)
{
	char csp[512];

	snprintf(csp, sizeof(csp),
		 "default-src 'none'; script-src 'nonce-%s'; connect-src 'self';"
		 " style-src 'unsafe-inline'; img-src 'self' data: https: http:;"
		 " form-action 'self'; frame-ancestors 'none'; base-uri 'none'", nonce);
	http_reply_header(req, res, "Content-Security-Policy", csp);
}

void
newsroom_render(struct web *w, struct http_request *req, struct http_response *res, int status,
		enum newsroom_page id, json_t *ctx, const struct newsroom_session *ss, const char *nav)
{
	unsigned char raw[NONCE_BYTES];
	struct buf nonce;

	if (random_bytes(raw, sizeof(raw)) != NF_OK)
		log_panic("getrandom failed");
	buf_init(&nonce, 0);
	base64url_encode(&nonce, raw, sizeof(raw));
	set_policy(req, res, nonce.data);
	json_object_set_new(ctx, "nonce", json_string(nonce.data));
	if (ss) {
		json_object_set_new(ctx, "editor", json_pack("{s:s,s:s}", "name", ss->name,
							     "email", ss->email));
		json_object_set_new(ctx, "csrf", json_string(ss->csrf));
	}
	if (nav)
		json_object_set_new(ctx, nav, json_true());
	http_page_render(w, res, status, w->nr->pages[id], ctx);
	buf_free(&nonce);
}

void
newsroom_message(struct web *w, struct http_request *req, struct http_response *res, int status,
		 const struct newsroom_session *ss, const char *message)
{
	json_t *ctx = json_pack("{s:s,s:b}", "message", message, "problem", status >= 400);

	newsroom_render(w, req, res, status, NEWSROOM_PAGE_HOME, ctx, ss, "nav_home");
	json_decref(ctx);
}

int
newsroom_guard(struct web *w, struct http_request *req, struct http_response *res,
	       struct newsroom_session *ss)
{
	if (newsroom_session_find(w, req, ss))
		return 1;
	http_reply_redirect(req, res, "/newsroom/signin");
	return 0;
}

struct store *
newsroom_store(struct web *w, struct http_request *req, struct http_response *res,
	       struct newsroom_session *ss)
{
	struct store *s;

	if (!newsroom_guard(w, req, res, ss))
		return NULL;
	if ((s = http_store(w)) == NULL)
		newsroom_message(w, req, res, 503, ss, "The database is not reachable. Please try again");
	return s;
}

int
newsroom_guard_post(struct web *w, struct http_request *req, struct http_response *res,
		    struct newsroom_session *ss, struct http_form *form)
{
	const char *token;
	size_t len = 0;

	if (!newsroom_session_find(w, req, ss)) {
		/* a post without a session is never acted on; say so plainly */
		http_reply_error(w, req, res, 403, "Please sign in to the newsroom first");
		return 0;
	}
	if (http_form_parse(req->arena, req->body.data ? req->body.data : "", req->body.len,
			    form) != NF_OK) {
		newsroom_message(w, req, res, 400, ss, "The form could not be read. Please try again");
		return 0;
	}
	token = http_form_get(form, "csrf", &len);
	if (!http_origin_ok(w, req) || !http_csrf_bound_check(&w->cfg.key, ss->id, token, len)) {
		newsroom_message(w, req, res, 403,
				 ss, "This form has expired or did not come from the newsroom. Nothing was changed");
		return 0;
	}
	return 1;
}

/* ---- labels ---- */

/* 1234567 -> "1,234,567" */
void
newsroom_count_label(int64_t n, char out[32])
{
	char digits[24];
	int len, i, o = 0;

	if (n < 0) {
		out[o++] = '-';
		n = -n;
	}
	len = snprintf(digits, sizeof(digits), "%lld", (long long)n);
	for (i = 0; i < len; i++) {
		if (i > 0 && (len - i) % 3 == 0)
			out[o++] = ',';
		out[o++] = digits[i];
	}
	out[o] = '\0';
}

/* "29 Nov 2026, 03:10 UTC" */
void
newsroom_time_label(int64_t t, char out[40])
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (t <= 0 || gmtime_r(&tt, &tm) == NULL || strftime(out, 40, "%e %b %Y, %H:%M UTC", &tm) == 0)
		snprintf(out, 40, "\xe2\x80\x93");
	else if (out[0] == ' ')
		memmove(out, out + 1, strlen(out));
}

/* "42 s", "3 min 5 s", "2 h 10 min" */
void
newsroom_duration_label(int64_t secs, char out[32])
{
	if (secs < 0)
		snprintf(out, 32, "\xe2\x80\x93");	/* an en dash: not yet */
	else if (secs < 1)
		snprintf(out, 32, "under 1 s");
	else if (secs < 60)
		snprintf(out, 32, "%lld s", (long long)secs);
	else if (secs < 3600)
		snprintf(out, 32, "%lld min %lld s", (long long)(secs / 60), (long long)(secs % 60));
	else
		snprintf(out, 32, "%lld h %lld min", (long long)(secs / 3600), (long long)(secs % 3600 / 60));
}

/* ---- the dashboard ---- */

/*
 * newsroom_breaking_readers - who the next breaking alert reaches: the
 * store's audience count (confirmed, unsuppressed, each person once), the
 * same figure the preview and the confirmation give, never a second way
 * of counting
 */
int
newsroom_breaking_readers(struct store *s, int64_t *n)
{
	int64_t list = store_default_list(s);

	return store_audience_count(s, &list, 1, n);
}

/* newsroom_all_readers - the same count over every list: everyone some alert can reach */
int
newsroom_all_readers(struct store *s, int64_t *n)
{
	struct store_list **ls = NULL;
	int64_t *ids;
	size_t i, k = 0;
	int rc;

	*n = 0;
	if ((rc = store_lists_all(s, &ls, &k)) != NF_OK)
		return rc;
	ids = xcalloc(k + 1, sizeof(*ids));
	for (i = 0; i < k; i++)
		ids[i] = ls[i]->id;
	rc = store_audience_count(s, ids, k, n);
	free(ids);
	store_list_list_free(ls, k);
	return rc;
}

static void
add_count(json_t *ctx, const char *key, int64_t n)
{
	char label[32];

	newsroom_count_label(n, label);
	json_object_set_new(ctx, key, json_string(label));
}

/* the audience's totals and the days' sums */
static json_t *
audience_figures(struct store *s, const struct store_audience_day *days, size_t n)
{
	json_t *o = json_object();
	int64_t readers = 0, breaking = 0, pending = 0, signups = 0, confirmations = 0, unsubs = 0;
	size_t i;

	newsroom_all_readers(s, &readers);
	newsroom_breaking_readers(s, &breaking);
	store_subscriber_count(s, STORE_LIST_DEFAULT, STORE_PENDING, &pending);
	for (i = 0; i < n; i++) {
		signups += days[i].signups;
		confirmations += days[i].confirmations;
		unsubs += days[i].unsubscribes;
	}
	add_count(o, "confirmed", readers);
	add_count(o, "breaking", breaking);
	add_count(o, "pending", pending);
	add_count(o, "signups", signups);
	add_count(o, "confirmations", confirmations);
	add_count(o, "unsubscribes", unsubs);
	add_count(o, "net", signups - unsubs);
	json_object_set_new(o, "days", json_integer((json_int_t)n));
	return o;
}

/* the days, newest first, as rows of a table */
static json_t *
daily_rows(const struct store_audience_day *days, size_t n)
{
	json_t *rows = json_array(), *o;
	char label[40];
	struct tm tm;
	time_t t;
	size_t i;

	for (i = n; i-- > 0;) {
		t = (time_t)days[i].day;
		if (gmtime_r(&t, &tm) == NULL || strftime(label, sizeof(label), "%a %e %b %Y", &tm) == 0)
			snprintf(label, sizeof(label), "?");
		o = json_object();
		json_object_set_new(o, "day", json_string(label));
		add_count(o, "signups", days[i].signups);
		add_count(o, "confirmations", days[i].confirmations);
		add_count(o, "unsubscribes", days[i].unsubscribes);
		json_array_append_new(rows, o);
	}
	return rows;
}

/* the chart of the last n days as SVG text in ctx, with the figures (and a table) */
static int
add_audience(struct store *s, json_t *ctx, size_t n, int width, int height, int table)
{
	struct store_audience_day *days = xcalloc(n, sizeof(*days));
	int64_t today = time(NULL);
	struct buf svg, narrow;
	int rc;

	buf_init(&svg, 4 << 20);
	buf_init(&narrow, 4 << 20);
	rc = store_audience_daily(s, today - (int64_t)(n - 1) * 86400, days, n);
	if (rc == NF_OK)
		rc = newsroom_chart_audience_svg(days, n, width, height, "chart-wide", &svg);
	if (rc == NF_OK)	/* a phone's chart, drawn at its width so that its text stays readable */
		rc = newsroom_chart_audience_svg(days, n, CHART_PHONE_WIDTH, CHART_PHONE_HEIGHT,
						 "chart-phone", &narrow);
	if (rc == NF_OK) {
		json_object_set_new(ctx, "chart", json_stringn(svg.data, svg.len));
		json_object_set_new(ctx, "chart_phone", json_stringn(narrow.data, narrow.len));
		json_object_set_new(ctx, "audience", audience_figures(s, days, n));
		if (table)
			json_object_set_new(ctx, "daily", daily_rows(days, n));
	}
	buf_free(&svg);
	buf_free(&narrow);
	free(days);
	return rc;
}

/* alerts still queued, sending or retrying, newest first, with their progress */
static json_t *
running_alerts(struct store *s)
{
	struct store_alert **list = NULL;
	json_t *arr = json_array();
	size_t n = 0, i;

	if (store_alert_list(s, 20, &list, &n) != NF_OK)
		return arr;
	for (i = 0; i < n; i++)
		if (list[i]->state == STORE_QUEUED || list[i]->state == STORE_SENDING ||
		    list[i]->state == STORE_RETRYING)
			json_array_append_new(arr, newsroom_alert_progress_json(list[i], time(NULL)));
	store_alert_list_free(list, n);
	return arr;
}

void
newsroom_home(struct web *w, struct http_request *req, struct http_response *res, const char *arg)
{
	struct newsroom_session ss;
	struct store *s;
	json_t *ctx, *running, *recent;

	NF_UNUSED(arg);
	if ((s = newsroom_store(w, req, res, &ss)) == NULL)
		return;
	ctx = json_object();
	running = running_alerts(s);
	json_object_set_new(ctx, "any_running", json_boolean(json_array_size(running) > 0));
	json_object_set_new(ctx, "running", running);
	recent = newsroom_history_rows(s, 5);
	json_object_set_new(ctx, "any_recent", json_boolean(json_array_size(recent) > 0));
	json_object_set_new(ctx, "recent", recent);
	json_object_set_new(ctx, "dashboard", json_true());
	add_audience(s, ctx, CHART_DAYS_HOME, 720, 240, 0);
	newsroom_render(w, req, res, 200, NEWSROOM_PAGE_HOME, ctx, &ss, "nav_home");
	json_decref(ctx);
}

/* ?days=N: one of the ranges the page offers, else 30 */
static size_t
days_param(const struct http_request *req)
{
	static const size_t allowed[] = { 7, 30, 90, 365 };
	const char *p = http_query_arg(req, "days");
	size_t i;
	long v;

	if (p == NULL)
		return 30;
	v = strtol(p, NULL, 10);
	for (i = 0; i < NF_ARRAY_LEN(allowed); i++)
		if ((long)allowed[i] == v)
			return allowed[i];
	return 30;
}

void
newsroom_audience(struct web *w, struct http_request *req, struct http_response *res, const char *arg)
{
	static const size_t ranges[] = { 7, 30, 90, 365 };
	struct newsroom_session ss;
	struct store *s;
	json_t *ctx, *opts;
	size_t days = days_param(req), i;

	NF_UNUSED(arg);
	if ((s = newsroom_store(w, req, res, &ss)) == NULL)
		return;
	ctx = json_object();
	opts = json_array();
	for (i = 0; i < NF_ARRAY_LEN(ranges); i++)
		json_array_append_new(opts, json_pack("{s:I,s:b}", "days", (json_int_t)ranges[i],
						      "current", ranges[i] == days));
	json_object_set_new(ctx, "ranges", opts);
	if (add_audience(s, ctx, days, 1100, 340, 1) != NF_OK)
		json_object_set_new(ctx, "unavailable", json_true());
	newsroom_render(w, req, res, 200, NEWSROOM_PAGE_AUDIENCE, ctx, &ss, "nav_audience");
	json_decref(ctx);
}
