/*
 * web/web_impl.h - struct web, shared by the files of the web module
 */
#ifndef NEWSFLASH_WEB_IMPL_H
#define NEWSFLASH_WEB_IMPL_H

#include "http.h"
#include "web.h"

#include <jansson.h>

struct MHD_Daemon;
struct tmpl;
struct store;

enum page_id {
	PAGE_SIGNUP, PAGE_THANKS, PAGE_ERROR, PAGE_CONFIRM, PAGE_CONFIRMED, PAGE_PRIVACY,
	PAGE_UNSUBSCRIBE, PAGE_UNSUBSCRIBED, PAGE_ERASED,
	PAGE_COUNT
};

struct web {
	struct web_config cfg;
	struct MHD_Daemon *daemon;
	struct ratelimit *signup_limit;
	struct tmpl *pages[PAGE_COUNT];
	unsigned char signup_hash[32];
	unsigned char prefs_hash[32];	/* the preference centre's wording */
	char origin[256];		/* scheme://host[:port] of base_url */
	struct web_purge *purge;	/* purge.c: the unconfirmed-signup timer */
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

/* routes.c: answer one complete request */
void web_dispatch(struct web *w, struct http_request *req, struct http_response *res);
/* routes.c: the path for the access log, a secret argument replaced by {token} */
#define WEB_LOG_PATH_MAX 256
void web_log_path(const char *path, char *out, size_t len);
/* server.c */
int web_listen(struct web *w);
void web_unlisten(struct web *w);

#endif
