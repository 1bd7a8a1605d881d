/*
 * web/routes.c - which handler answers which method and path
 *
 * Owns: the route table. Paths are matched exactly or, for routes ending in
 * '/', by prefix (the rest is the route's argument, e.g. a token).
 */
#include <string.h>

#include "web_impl.h"

typedef void (*route_fn)(struct web *, struct http_request *, struct http_response *, const char *arg);

struct route {
	const char *method;
	const char *path;
	route_fn fn;
};

static void
healthz(struct web *w, struct http_request *req, struct http_response *res, const char *arg)
{
	NF_UNUSED(w);
	NF_UNUSED(req);
	NF_UNUSED(arg);
	http_text(res, 200, "ok\n");
}

static const struct route routes[] = {
	{ "GET", "/", signup_page },
	{ "POST", "/subscribe", signup_form },
	{ "POST", "/api/subscribe", signup_api },
	{ "GET", "/privacy", privacy_page },
	{ "GET", "/confirm/", confirm_get },
	{ "POST", "/confirm/", confirm_post },
	{ "POST", "/api/articles", api_articles_post },
	{ "GET", "/api/alerts/", api_alert_get },
	{ "GET", "/metrics", metrics_get },
	{ "GET", "/healthz", healthz },
	{ "GET", "/newsroom", newsroom_home },
	{ "GET", "/newsroom/signin", signin_page },
	{ "POST", "/newsroom/signin", signin_post },
	{ "POST", "/newsroom/signout", signout_post },
	{ "GET", "/newsroom/compose", compose_page },
	{ "POST", "/newsroom/compose", compose_edit },
	{ "POST", "/newsroom/preview", compose_preview },
	{ "POST", "/newsroom/test", compose_test },
	{ "POST", "/newsroom/publish", compose_publish },
	{ "GET", "/newsroom/alerts", history_page },
	{ "GET", "/newsroom/alerts/", alert_page },
	{ "POST", "/newsroom/alerts/", alert_post },
	{ "GET", "/newsroom/audience", newsroom_audience },
	{ NULL, NULL, NULL }
};

void
web_dispatch(struct web *w, struct http_request *req, struct http_response *res)
{
	const struct route *r;
	int path_known = 0;

	for (r = routes; r->method; r++) {
		size_t n = strlen(r->path);
		const char *arg = NULL;

		if (n > 1 && r->path[n - 1] == '/' && strncmp(req->path, r->path, n) == 0)
			arg = req->path + n;
		else if (strcmp(req->path, r->path) == 0)
			arg = "";
		if (arg == NULL)
			continue;
		path_known = 1;
		if (strcmp(req->method, r->method) == 0 ||
		    (strcmp(req->method, "HEAD") == 0 && strcmp(r->method, "GET") == 0)) {
			r->fn(w, req, res, arg);
			return;
		}
	}
	if (path_known)
		http_text(res, 405, "Method not allowed\n");
	else
		http_text(res, 404, "Not found\n");
}
