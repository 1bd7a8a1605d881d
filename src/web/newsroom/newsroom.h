/*
 * web/newsroom/newsroom.h - the newsroom: the newsroom wing's own view
 *
 * Owns: what the files of src/web/newsroom share: their state (struct
 * newsroom_state: the sign-in throttles, the page templates, the live
 * progress streams, the publish confirmations used), the signed-in
 * editor's session, the page frame and guards, and the route handlers
 * routes.c lists. Includes the http wing only; the public and api wings
 * never include this.
 */
#ifndef NEWSFLASH_WEB_NEWSROOM_H
#define NEWSFLASH_WEB_NEWSROOM_H

#include <jansson.h>

#include "news/news.h"
#include "web/http/http.h"

struct mail_sender;
struct store_alert;
struct store_audience_day;

/* the newsroom's templates */
enum newsroom_page {
	NEWSROOM_PAGE_SIGNIN, NEWSROOM_PAGE_HOME, NEWSROOM_PAGE_COMPOSE, NEWSROOM_PAGE_PREVIEW,
	NEWSROOM_PAGE_PUBLISH, NEWSROOM_PAGE_ALERT, NEWSROOM_PAGE_ALERTS, NEWSROOM_PAGE_AUDIENCE,
	NEWSROOM_PAGE_WEBHOOKS,
	NEWSROOM_PAGE_COUNT
};

struct newsroom_sse;
struct newsroom_publish_memo;

/* the wing's state: w->nr */
struct newsroom_state {
	struct tmpl *pages[NEWSROOM_PAGE_COUNT];
	struct http_throttle_curve name_curve;	/* the waits after failures for one name */
	struct http_throttle_curve ip_curve;	/* and from one client address */
	struct http_throttle *signin_ip;	/* failed sign-ins per client address */
	struct http_throttle *signin_name;	/* failed sign-ins per name that is no editor's */
	struct http_throttle *signin_pair;	/* failed sign-ins per (name, client) */
	struct newsroom_sse *sse;		/* sse.c: live progress streams */
	struct newsroom_publish_memo *published;	/* compose.c: publish confirmations already used */
};

/* a signed-in editor, as the request's session cookie says */
struct newsroom_session {
	int64_t editor_id;
	char name[72];
	char email[256];		/* "" when the editor has none */
	char id[64];			/* the cookie's value */
	char csrf[HTTP_CSRF_TOKEN_MAX];	/* the token this session's forms carry */
};

/* newsroom.c: state, page frame, guards, the dashboard and the audience page */
/* w->nr: the sign-in throttles, the templates, the SSE hub; NF_OK or a logged failure */
int newsroom_init(struct web *w);
/* end every live stream (before the daemon stops: none may stay suspended) */
void newsroom_quiesce(struct web *w);
/* everything newsroom_init made; w->nr may be NULL or half made */
void newsroom_free(struct web *w);
/*
 * newsroom_render - a newsroom page: ctx (borrowed) gets the editor, the
 * CSRF token, a fresh script nonce and nav, and the response gets the
 * newsroom's Content-Security-Policy (scripts with that nonce only).
 */
void newsroom_render(struct web *w, struct http_request *req, struct http_response *res,
		     int status, enum newsroom_page id, json_t *ctx, const struct newsroom_session *ss,
		     const char *nav);
/* a plain message page inside the newsroom frame */
void newsroom_message(struct web *w, struct http_request *req, struct http_response *res,
		      int status, const struct newsroom_session *ss, const char *message);
/* 1 and *ss when signed in; else the answer (303 to the sign-in page) is written */
int newsroom_guard(struct web *w, struct http_request *req, struct http_response *res,
		   struct newsroom_session *ss);
/* newsroom_guard, then this thread's store; NULL when either fails (the answer is written) */
struct store *newsroom_store(struct web *w, struct http_request *req, struct http_response *res,
			     struct newsroom_session *ss);
/* the same for a form post, which must also come from our Origin with the session's token */
int newsroom_guard_post(struct web *w, struct http_request *req, struct http_response *res,
			struct newsroom_session *ss, struct http_form *form);
/* labels for people: "1,234,567"; "29 Nov 2026, 03:10 UTC"; "3 min 5 s" */
void newsroom_count_label(int64_t n, char out[32]);
void newsroom_time_label(int64_t t, char out[40]);
void newsroom_duration_label(int64_t secs, char out[32]);
/* the readers the next breaking alert reaches (the dashboard's and the audience page's figure) */
int newsroom_breaking_readers(struct store *s, int64_t *n);
/* the readers of every list, each once: everyone some alert can reach */
int newsroom_all_readers(struct store *s, int64_t *n);
void newsroom_home(struct web *w, struct http_request *req, struct http_response *res, const char *arg);
void newsroom_audience(struct web *w, struct http_request *req, struct http_response *res, const char *arg);

/* editor_session.c: the session cookie */
/* a new session for the editor: stored by digest, cookie set on res */
int newsroom_session_begin(struct web *w, struct http_request *req, struct http_response *res,
			   int64_t editor_id);
/* 1 when the request carries a live session (filled into *ss) */
int newsroom_session_find(struct web *w, struct http_request *req, struct newsroom_session *ss);
/* end it in the store and tell the browser to drop the cookie */
void newsroom_session_end(struct web *w, struct http_request *req, struct http_response *res,
			  const struct newsroom_session *ss);

/* signin.c */
void newsroom_signin_page(struct web *w, struct http_request *req, struct http_response *res, const char *arg);
void newsroom_signin_post(struct web *w, struct http_request *req, struct http_response *res, const char *arg);
void newsroom_signout_post(struct web *w, struct http_request *req, struct http_response *res, const char *arg);

/* draft.c: the compose form's fields as an article */
#define NEWSROOM_DRAFT_FIELDS 9
struct newsroom_draft {
	char *value[NEWSROOM_DRAFT_FIELDS];	/* as typed, CRLF made LF; the request's arena */
	size_t len[NEWSROOM_DRAFT_FIELDS];
	json_t *errors;			/* form field -> message for people */
	struct news_article art;	/* when parsed */
	int parsed;
	const char *test_to;		/* the desk addresses typed for a test, or NULL */
};
/* the form's fields, unchecked (newsroom_draft_free after) */
void newsroom_draft_read(struct newsroom_draft *d, struct arena *a, const struct http_form *form);
/* read and check them; 1 when d->art is a valid article */
int newsroom_draft_parse(struct newsroom_draft *d, struct arena *a, const struct http_form *form);
void newsroom_draft_free(struct newsroom_draft *d);
/* the draft's topics as typed and ticked, lower-cased words (a new array) */
json_t *newsroom_draft_topics(const struct newsroom_draft *d);
/* a problem found outside the article's own rules: message as given, the draft not valid */
void newsroom_draft_refuse(struct newsroom_draft *d, const char *field, const char *message);
/* the draft for a page: draft.NAME, errors.NAME, error_list, hidden[] */
void newsroom_draft_context(const struct newsroom_draft *d, json_t *ctx);

/* compose.c: write, preview, test, publish */
/* the alert templates are designed for headlines up to this many characters */
#define NEWSROOM_HEADLINE_FITS 90
/* what a test's subject starts with, so that nobody takes it for the alert */
#define NEWSROOM_TEST_TAG "[TEST]"
#define NEWSROOM_DESK_MAX 10		/* desk addresses one test goes to */
struct newsroom_desk {
	char addr[NEWSROOM_DESK_MAX][256];	/* normalised (ADDR_MAX + 1), each once */
	size_t n;
};
/*
 * newsroom_desk_parse - the desk addresses typed for a test (separated by
 * commas, semicolons or blanks), each checked; NF_OK, or a message in why
 */
int newsroom_desk_parse(const char *v, size_t len, struct newsroom_desk *out, char *why, size_t whylen);
void newsroom_compose_page(struct web *w, struct http_request *req, struct http_response *res, const char *arg);
void newsroom_compose_edit(struct web *w, struct http_request *req, struct http_response *res, const char *arg);
void newsroom_compose_preview(struct web *w, struct http_request *req, struct http_response *res, const char *arg);
void newsroom_compose_test(struct web *w, struct http_request *req, struct http_response *res, const char *arg);
void newsroom_compose_publish(struct web *w, struct http_request *req, struct http_response *res, const char *arg);
struct newsroom_publish_memo *newsroom_publish_memo_new(void);
void newsroom_publish_memo_free(struct newsroom_publish_memo *m);

/* preview.c: the message a subscriber gets, through the real composer, taken apart */
struct newsroom_preview {
	struct buf message;		/* the whole message as composed (a test send takes it) */
	size_t size;			/* its length, kept when it is taken */
	struct buf html, text;		/* its parts, transfer encoding undone */
	char subject[1024];		/* as the article gives it */
	int signed_dkim;
};
void newsroom_preview_init(struct newsroom_preview *p);
void newsroom_preview_free(struct newsroom_preview *p);
/* compose art for sub (id 0: nobody's links) with the sender and split it; test marks the subject */
int newsroom_preview_make(const struct mail_sender *sender, const struct news_article *art,
			  const char *to, int test, struct newsroom_preview *out);
/* split a multipart/alternative message we composed into its decoded parts */
int newsroom_preview_split(const char *msg, size_t len, struct buf *html, struct buf *text);

/* history.c: the alert history, one alert's live page, the kill switch */
void newsroom_history_page(struct web *w, struct http_request *req, struct http_response *res, const char *arg);
void newsroom_alert_page(struct web *w, struct http_request *req, struct http_response *res, const char *arg);
/* the latest alerts with what they caused, as rows for a table */
json_t *newsroom_history_rows(struct store *s, size_t limit);
void newsroom_alert_post(struct web *w, struct http_request *req, struct http_response *res, const char *arg);
/* the progress figures shared by the page and the stream: a JSON object */
json_t *newsroom_alert_progress_json(const struct store_alert *a, int64_t now);

/* hooks_page.c: the outgoing webhooks: list, add (secret shown once), test, remove */
void newsroom_webhooks_page(struct web *w, struct http_request *req, struct http_response *res, const char *arg);
void newsroom_webhooks_post(struct web *w, struct http_request *req, struct http_response *res, const char *arg);

/* sse.c: Server-Sent Events of an alert's progress (text/event-stream) */
#define NEWSROOM_SSE_STREAMS_MAX 64
struct newsroom_sse *newsroom_sse_new(struct web *w);
/* resume every stream so each ends, before the daemon stops */
void newsroom_sse_shutdown(struct newsroom_sse *h);
void newsroom_sse_free(struct newsroom_sse *h);
/* answer req with a stream of alert_id's progress; 503 when NEWSROOM_SSE_STREAMS_MAX are open */
void newsroom_sse_stream(struct web *w, struct http_request *req, struct http_response *res,
			 int64_t alert_id);

/* chart.c: the audience per day as an inline SVG */
/* its title and description get the ids ID-title and ID-desc */
int newsroom_chart_audience_svg(const struct store_audience_day *days, size_t n, int width,
				int height, const char *id, struct buf *out);

#endif
