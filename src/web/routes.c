/*
 * web/routes.c - which handler answers which method and path: the one route table
 *
 * Owns: the route table. Paths are matched exactly or, for routes ending in
 * '/', by prefix (the rest is the route's argument, e.g. a token). The
 * prefixes whose argument is a secret (confirmation and unsubscribe tokens)
 * are listed apart, and web_log_path writes such paths with {token} in its
 * place: the access log must not become a list of working links.
 */
#include <stdio.h>
#include <string.h>

#include "web/api/api.h"
#include "web/newsroom/newsroom.h"
#include "web/public/public.h"
#include "app.h"

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
	http_reply_text(res, 200, "ok\n");
}

static const struct route routes[] = {
	{ "GET", "/", public_signup_page },
	{ "POST", "/subscribe", public_signup_form },
	{ "POST", "/api/subscribe", public_signup_api },
	{ "OPTIONS", "/api/subscribe", public_signup_preflight },
	{ "GET", "/api/subscribe/challenge", public_pow_challenge_get },
	{ "GET", "/embed.js", public_embed_js },
	{ "GET", "/embed/", public_embed_js },
	{ "GET", "/privacy", public_privacy_page },
	{ "GET", "/confirm/", public_confirm_get },
	{ "POST", "/confirm/", public_confirm_post },
	{ "GET", "/never/", public_never_get },
	{ "POST", "/never/", public_never_post },
	{ "POST", "/api/articles", api_articles_post },
	{ "GET", "/api/alerts/", api_alert_get },
	{ "POST", "/api/alerts/", api_alert_post },
	{ "GET", "/u/", public_unsubscribe_get },
	{ "POST", "/u/", public_unsubscribe_post },
	{ "GET", "/preferences/", public_preferences_get },
	{ "POST", "/preferences/", public_preferences_post },
	{ "GET", "/privacy/export/", public_export_get },
	{ "POST", "/privacy/export/", public_export_post },
	{ "GET", "/privacy/erase/", public_erase_get },
	{ "POST", "/privacy/erase/", public_erase_post },
	{ "GET", "/manage/", public_manage_get },
	{ "POST", "/manage/", public_manage_post },
	{ "POST", "/api/inbound", api_inbound_post },
	{ "GET", "/api/webhooks", api_webhooks },
	{ "POST", "/api/webhooks", api_webhooks },
	{ "POST", "/api/webhooks/", api_webhooks },
	{ "DELETE", "/api/webhooks/", api_webhooks },
	{ "GET", "/metrics", web_metrics_get },
	{ "GET", "/healthz", healthz },
	{ "GET", "/newsroom", newsroom_home },
	{ "GET", "/newsroom/signin", newsroom_signin_page },
	{ "POST", "/newsroom/signin", newsroom_signin_post },
	{ "POST", "/newsroom/signout", newsroom_signout_post },
	{ "GET", "/newsroom/compose", newsroom_compose_page },
	{ "POST", "/newsroom/compose", newsroom_compose_edit },
	{ "POST", "/newsroom/preview", newsroom_compose_preview },
	{ "POST", "/newsroom/test", newsroom_compose_test },
	{ "POST", "/newsroom/publish", newsroom_compose_publish },
	{ "GET", "/newsroom/alerts", newsroom_history_page },
	{ "GET", "/newsroom/alerts/", newsroom_alert_page },
	{ "POST", "/newsroom/alerts/", newsroom_alert_post },
	{ "GET", "/newsroom/audience", newsroom_audience },
	{ "GET", "/newsroom/webhooks", newsroom_webhooks_page },
	{ "POST", "/newsroom/webhooks", newsroom_webhooks_post },
	{ NULL, NULL, NULL }
};

/* routes whose argument is a token */
static const char *const secret_prefixes[] = {
	"/confirm/", "/never/", "/u/", "/preferences/", "/manage/", "/privacy/export/",
	"/privacy/erase/", NULL
};

/* web_log_path - path as the access log may show it: tokens become {token} */
void
web_log_path(const char *path, char *out, size_t len)
{
	size_t i, n;

	for (i = 0; secret_prefixes[i]; i++) {
		n = strlen(secret_prefixes[i]);
		if (strncmp(path, secret_prefixes[i], n) == 0 && path[n] != '\0') {
			snprintf(out, len, "%s{token}", secret_prefixes[i]);
			return;
		}
	}
	snprintf(out, len, "%s", path);	/* cut at len; log_event escapes the rest */
}

void
web_dispatch(struct web *w, struct http_request *req, struct http_response *res)
{
	const struct route *r;
	int path_known = 0;

	/* with --metrics-listen, /metrics is there only, and nothing else is */
	if (w->cfg.metrics_listen &&
	    (strcmp(req->path, "/metrics") == 0) != (req->metrics_listener != 0) &&
	    strcmp(req->path, "/healthz") != 0) {
		http_reply_error(w, req, res, 404, "Not found");
		return;
	}
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
		http_reply_error(w, req, res, 405, "Method not allowed");
	else
		http_reply_error(w, req, res, 404, "Not found");
}
