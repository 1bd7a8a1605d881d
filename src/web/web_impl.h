/*
 * web/web_impl.h - struct web, shared by the files of the web module
 */
#ifndef NEWSFLASH_WEB_IMPL_H
#define NEWSFLASH_WEB_IMPL_H

#include "http.h"
#include "web.h"

struct MHD_Daemon;

struct web {
	struct web_config cfg;
	struct MHD_Daemon *daemon;
	struct ratelimit *signup_limit;
};

/* routes.c: answer one complete request */
void web_dispatch(struct web *w, struct http_request *req, struct http_response *res);
/* server.c */
int web_listen(struct web *w);
void web_unlisten(struct web *w);

#endif
