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
	PAGE_COUNT
};

struct web {
	struct web_config cfg;
	struct MHD_Daemon *daemon;
	struct ratelimit *signup_limit;
	struct tmpl *pages[PAGE_COUNT];
	unsigned char signup_hash[32];
	char origin[256];		/* scheme://host[:port] of base_url */
};

/* pages.c */
int pages_load(struct web *w);
void pages_free(struct web *w);
void page_render(struct web *w, struct http_response *res, int status, enum page_id id, json_t *ctx);
void page_error(struct web *w, struct http_response *res, int status, const char *message);
void pages_wording(const struct web *w, char version[32], char hash[65]);

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

/* routes.c: answer one complete request */
void web_dispatch(struct web *w, struct http_request *req, struct http_response *res);
/* routes.c: the path for the access log, a secret argument replaced by {token} */
#define WEB_LOG_PATH_MAX 256
void web_log_path(const char *path, char *out, size_t len);
/* server.c */
int web_listen(struct web *w);
void web_unlisten(struct web *w);

#endif
