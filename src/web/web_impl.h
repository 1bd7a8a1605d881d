/*
 * web/web_impl.h - struct web, shared by the files of the web module
 */
#ifndef NEWSFLASH_WEB_IMPL_H
#define NEWSFLASH_WEB_IMPL_H

#include "http.h"
#include "web.h"

#include <jansson.h>

#include "news/news.h"
#include "store/store.h"

struct MHD_Daemon;
struct tmpl;
struct store;
struct mail_sender;

enum page_id {
	PAGE_SIGNUP, PAGE_THANKS, PAGE_ERROR, PAGE_CONFIRM, PAGE_CONFIRMED, PAGE_PRIVACY,
	PAGE_UNSUBSCRIBE, PAGE_UNSUBSCRIBED, PAGE_ERASED,
	PAGE_NR_SIGNIN, PAGE_NR_HOME, PAGE_NR_COMPOSE, PAGE_NR_PREVIEW, PAGE_NR_PUBLISH,
	PAGE_NR_ALERT, PAGE_NR_ALERTS, PAGE_NR_AUDIENCE,
	PAGE_COUNT
};

struct sse_hub;
struct publish_memo;

struct web {
	struct web_config cfg;
	struct MHD_Daemon *daemon;
	struct ratelimit *signup_limit;
	struct tmpl *pages[PAGE_COUNT];
	unsigned char signup_hash[32];
	unsigned char prefs_hash[32];	/* the preference centre's wording */
	char origin[256];		/* scheme://host[:port] of base_url */
	/* the newsroom */
	struct throttle_curve name_curve;	/* the waits after failures for one name */
	struct throttle_curve ip_curve;		/* and from one client address */
	struct throttle *signin_ip;	/* failed sign-ins per client address */
	struct throttle *signin_name;	/* failed sign-ins per name that is no editor's */
	struct sse_hub *sse;		/* live progress streams */
	struct publish_memo *published;	/* publish confirmations already used */
	struct web_purge *purge;	/* purge.c: the unconfirmed-signup timer */
	struct signup_writer *writer;	/* signup_writer.c: the group commit of signups */
	pthread_mutex_t defer_lock;	/* server.c: requests suspended, not yet ended */
	pthread_cond_t defer_cond;
	int deferred;
};

/* pages.c */
int pages_load(struct web *w);
void pages_free(struct web *w);
void page_render(struct web *w, struct http_response *res, int status, enum page_id id, json_t *ctx);
void page_error(struct web *w, struct http_response *res, int status, const char *message);
void pages_wording(const struct web *w, char version[32], char hash[65]);
/* the same for the preference centre's page (marketing ticked or unticked there) */
void pages_wording_prefs(const struct web *w, char version[32], char hash[65]);

/* app.c: this thread's store connection, opened on first use; NULL if it cannot */
struct store *web_store(struct web *w);

/* signup.c, confirm.c: route handlers */
void signup_page(struct web *w, struct http_request *req, struct http_response *res, const char *arg);
void signup_form(struct web *w, struct http_request *req, struct http_response *res, const char *arg);
void signup_api(struct web *w, struct http_request *req, struct http_response *res, const char *arg);
void privacy_page(struct web *w, struct http_request *req, struct http_response *res, const char *arg);
void confirm_get(struct web *w, struct http_request *req, struct http_response *res, const char *arg);
void api_articles_post(struct web *w, struct http_request *req, struct http_response *res, const char *arg);
void api_alert_get(struct web *w, struct http_request *req, struct http_response *res, const char *arg);
void metrics_get(struct web *w, struct http_request *req, struct http_response *res, const char *arg);
void confirm_post(struct web *w, struct http_request *req, struct http_response *res, const char *arg);

/* ---- the newsroom: /newsroom/... ---- */

/* a signed-in editor, as the request's session cookie says */
struct newsroom_session {
	int64_t editor_id;
	char name[72];
	char email[256];		/* "" when the editor has none */
	char id[64];			/* the cookie's value */
	char csrf[CSRF_TOKEN_MAX];	/* the token this session's forms carry */
};

/* newsroom.c: state, page frame, guards, the dashboard and the audience page */
void newsroom_init(struct web *w);
void newsroom_free(struct web *w);
/*
 * newsroom_render - a newsroom page: ctx (borrowed) gets the editor, the
 * CSRF token, a fresh script nonce and nav, and the response gets the
 * newsroom's Content-Security-Policy (scripts with that nonce only).
 */
void newsroom_render(struct web *w, struct http_request *req, struct http_response *res,
		     int status, enum page_id id, json_t *ctx, const struct newsroom_session *ss,
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
void newsroom_home(struct web *w, struct http_request *req, struct http_response *res, const char *arg);
void newsroom_audience(struct web *w, struct http_request *req, struct http_response *res, const char *arg);

/* session.c: the session cookie */
/* a new session for the editor: stored by digest, cookie set on res */
int session_begin(struct web *w, struct http_request *req, struct http_response *res,
		  int64_t editor_id);
/* 1 when the request carries a live session (filled into *ss) */
int session_find(struct web *w, struct http_request *req, struct newsroom_session *ss);
/* end it in the store and tell the browser to drop the cookie */
void session_end(struct web *w, struct http_request *req, struct http_response *res,
		 const struct newsroom_session *ss);

/* signin.c */
void signin_page(struct web *w, struct http_request *req, struct http_response *res, const char *arg);
void signin_post(struct web *w, struct http_request *req, struct http_response *res, const char *arg);
void signout_post(struct web *w, struct http_request *req, struct http_response *res, const char *arg);

/* draft.c: the compose form's fields as an article */
#define DRAFT_FIELDS 9
struct draft {
	char *value[DRAFT_FIELDS];	/* as typed, CRLF made LF; the request's arena */
	size_t len[DRAFT_FIELDS];
	json_t *errors;			/* form field -> message for people */
	struct news_article art;	/* when parsed */
	int parsed;
};
/* the form's fields, unchecked (draft_free after) */
void draft_read(struct draft *d, struct arena *a, const struct http_form *form);
/* read and check them; 1 when d->art is a valid article */
int draft_parse(struct draft *d, struct arena *a, const struct http_form *form);
void draft_free(struct draft *d);
/* the draft for a page: draft.NAME, errors.NAME, error_list, hidden[] */
void draft_context(const struct draft *d, json_t *ctx);

/* compose.c: write, preview, test, publish */
void compose_page(struct web *w, struct http_request *req, struct http_response *res, const char *arg);
void compose_edit(struct web *w, struct http_request *req, struct http_response *res, const char *arg);
void compose_preview(struct web *w, struct http_request *req, struct http_response *res, const char *arg);
void compose_test(struct web *w, struct http_request *req, struct http_response *res, const char *arg);
void compose_publish(struct web *w, struct http_request *req, struct http_response *res, const char *arg);
struct publish_memo *publish_memo_new(void);
void publish_memo_free(struct publish_memo *m);

/* preview.c: the message a subscriber gets, through the real composer, taken apart */
struct preview {
	struct buf message;		/* the whole message as composed (a test send takes it) */
	size_t size;			/* its length, kept when it is taken */
	struct buf html, text;		/* its parts, transfer encoding undone */
	char subject[1024];		/* as the article gives it */
	int signed_dkim;
};
void preview_init(struct preview *p);
void preview_free(struct preview *p);
/* compose art for sub (id 0: nobody's links) with the sender and split it */
int preview_make(const struct mail_sender *sender, const struct news_article *art,
		 const char *to, struct preview *out);
/* split a multipart/alternative message we composed into its decoded parts */
int preview_split(const char *msg, size_t len, struct buf *html, struct buf *text);

/* history.c: the alert history, one alert's live page, the kill switch */
void history_page(struct web *w, struct http_request *req, struct http_response *res, const char *arg);
void alert_page(struct web *w, struct http_request *req, struct http_response *res, const char *arg);
/* the latest alerts with what they caused, as rows for a table */
json_t *history_rows(struct store *s, size_t limit);
void alert_post(struct web *w, struct http_request *req, struct http_response *res, const char *arg);
struct store_alert;
/* the progress figures shared by the page and the stream: a JSON object */
json_t *alert_progress_json(const struct store_alert *a, int64_t now);

/* sse.c: Server-Sent Events of an alert's progress (text/event-stream) */
#define SSE_STREAMS_MAX 64
struct sse_hub *sse_hub_new(struct web *w);
/* resume every stream so each ends, before the daemon stops */
void sse_hub_shutdown(struct sse_hub *h);
void sse_hub_free(struct sse_hub *h);
/* answer req with a stream of alert_id's progress; 503 when SSE_STREAMS_MAX are open */
void sse_alert_stream(struct web *w, struct http_request *req, struct http_response *res,
		      int64_t alert_id);

/* chart.c: the audience per day as an inline SVG */
struct store_audience_day;
int chart_audience_svg(const struct store_audience_day *days, size_t n, int width, int height,
		       struct buf *out);
/* csrf.c: what every changing form shares (not the RFC 8058 POST) */
void web_csrf_cookie(struct web *w, struct http_request *req, struct http_response *res,
		     char token[CSRF_TOKEN_MAX]);
int web_origin_ok(struct web *w, struct http_request *req);
int web_form_guard(struct web *w, struct http_request *req, const struct http_form *form);

/* api.c: body (a reference the call takes) as the compact JSON answer */
void web_json_reply(struct http_response *res, int status, json_t *body);
/* api.c: this thread's store for a request with a valid API key; NULL with the 503 or 401 written */
struct store *api_store(struct web *w, struct http_request *req, struct http_response *res);

/* tokens.c: the live subscriber a link token of purpose is for, or NULL */
struct store_subscriber;
enum web_token_result { WEB_TOKEN_OK, WEB_TOKEN_BAD, WEB_TOKEN_UNAVAILABLE };
enum web_token_result web_token_subscriber(struct web *w, const char *token, const char *purpose,
					   struct store_subscriber **out);
/* the same for a page: NULL with the 400 page (invalid) or the 503 page written */
struct store_subscriber *web_token_page(struct web *w, struct http_response *res, const char *token,
					const char *purpose, const char *invalid);

/* leaving (unsubscribe.c, preferences.c, privacy_export.c, inbound.c) */
void unsubscribe_get(struct web *w, struct http_request *req, struct http_response *res, const char *arg);
void unsubscribe_post(struct web *w, struct http_request *req, struct http_response *res, const char *arg);
void preferences_get(struct web *w, struct http_request *req, struct http_response *res, const char *arg);
void preferences_post(struct web *w, struct http_request *req, struct http_response *res, const char *arg);
/* the preference centre page for sub, with an answer to the last change (notice, may be NULL) */
void preferences_render(struct web *w, struct http_request *req, struct http_response *res,
			int status, const struct store_subscriber *sub, const char *token,
			const char *notice);
void privacy_export_get(struct web *w, struct http_request *req, struct http_response *res, const char *arg);
void privacy_erase_post(struct web *w, struct http_request *req, struct http_response *res, const char *arg);
void api_inbound_post(struct web *w, struct http_request *req, struct http_response *res, const char *arg);

/* purge.c: forget unconfirmed signups every purge_interval (off when purge_after is 0) */
struct web_purge;
int web_purge_start(struct web *w);
void web_purge_stop(struct web *w);

/*
 * signup_writer.c: one thread per process writes the signups the HTTP
 * threads have checked, whatever is queued in one transaction, and answers
 * each only after that COMMIT.
 */
struct signup_job {
	struct signup_job *next;
	struct http_request *req;	/* suspended; resumed once rc is known */
	struct store_signup su;		/* strings in the request's arena */
	int pending;			/* double opt-in: a confirmation may be owed */
	/* the writer's answer */
	int rc;				/* NF_OK: committed (or already there: same answer) */
	int created;
	int64_t id;
	int confirm;			/* a confirmation mail is owed to email with salt */
	char email[256], salt[40];
};
struct signup_writer;
/* NULL when the thread cannot start */
struct signup_writer *signup_writer_start(struct web *w);
/*
 * hand job over: req is suspended (http_suspend with finish, arg) and
 * resumed once the job's batch is committed or has failed. NF_ERR_TEMP at
 * once (nothing suspended) when the queue is full or the writer stopping.
 */
int signup_writer_submit(struct signup_writer *sw, struct signup_job *job, http_finish_fn finish,
			 void *arg);
/* transactions, signups committed and batches redone row by row so far (/metrics) */
void signup_writer_counts(struct signup_writer *sw, uint64_t *batches, uint64_t *signups,
			  uint64_t *row_retries);
/* write and answer everything queued, then stop; later submits get NF_ERR_TEMP; sw may be NULL */
void signup_writer_stop(struct signup_writer *sw);
/* once no HTTP thread can call submit any more (the daemon stopped) */
void signup_writer_free(struct signup_writer *sw);
/* one signup's rows in the caller's transaction (the writer's unit of work) */
int signup_row(struct web *w, struct store *s, struct signup_job *job);

/* routes.c: answer one complete request */
void web_dispatch(struct web *w, struct http_request *req, struct http_response *res);
/* routes.c: the path for the access log, a secret argument replaced by {token} */
#define WEB_LOG_PATH_MAX 256
void web_log_path(const char *path, char *out, size_t len);
/* server.c */
int web_listen(struct web *w);
void web_unlisten(struct web *w);

#endif
