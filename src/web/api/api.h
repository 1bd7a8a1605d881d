/*
 * web/api/api.h - the JSON API and the inbound webhook: the api wing's own view
 *
 * Owns: the route handlers of /api/articles, /api/alerts/ID, /api/webhooks and
 * /api/inbound, which routes.c lists, and the API key check they share.
 * Includes the http wing only. (POST /api/subscribe is a reader's signup:
 * public/signup.c; GET /metrics is the app's: prometheus.c.)
 */
#ifndef NEWSFLASH_WEB_API_H
#define NEWSFLASH_WEB_API_H

#include "web/http/http.h"

/* articles.c: this thread's store for a request with a valid API key; NULL with the 503 or 401 written */
struct store *api_store(struct web *w, struct http_request *req, struct http_response *res);
void api_articles_post(struct web *w, struct http_request *req, struct http_response *res, const char *arg);
void api_alert_get(struct web *w, struct http_request *req, struct http_response *res, const char *arg);
/* POST /api/alerts/ID/stop, /api/alerts/ID/resume */
void api_alert_post(struct web *w, struct http_request *req, struct http_response *res, const char *arg);

/* hooks_api.c: GET, POST /api/webhooks; DELETE /api/webhooks/ID; POST /api/webhooks/ID/test, /replay */
void api_webhooks(struct web *w, struct http_request *req, struct http_response *res, const char *arg);

/* inbound_hook.c: POST /api/inbound */
void api_inbound_post(struct web *w, struct http_request *req, struct http_response *res, const char *arg);

#endif
