/*
 * web/app.h - the top of the web front: what app.c, routes.c and prometheus.c share
 *
 * Owns: nothing but these declarations. The top layer includes every wing
 * (http, public, api, newsroom); no wing includes this.
 */
#ifndef NEWSFLASH_WEB_APP_H
#define NEWSFLASH_WEB_APP_H

#include "web/http/http.h"

/* routes.c: answer one complete request (http_listen's dispatch) */
void web_dispatch(struct web *w, struct http_request *req, struct http_response *res);
/* routes.c: the path for the access log, a secret argument replaced by {token} */
void web_log_path(const char *path, char *out, size_t len);
/* prometheus.c: GET /metrics */
void web_metrics_get(struct web *w, struct http_request *req, struct http_response *res, const char *arg);

#endif
