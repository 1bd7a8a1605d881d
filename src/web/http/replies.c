/*
 * web/http/replies.c - what a handler writes into its answer
 *
 * Owns: the small helpers every wing answers with: an extra header, a
 * plain-text answer, a JSON answer or {"error": ...}, a 303 to one of our
 * paths. The body goes out with the security headers server.c adds to
 * every answer; HTML pages are templates.c's.
 */
#include <stdlib.h>

#include "http.h"

void
http_reply_header(struct http_request *req, struct http_response *res,
		  const char *name, const char *value)
{
	if (res->nheaders == HTTP_HEADERS_MAX)
		log_panic("too many response headers");
	res->headers[res->nheaders][0] = arena_strdup(req->arena, name);
	res->headers[res->nheaders][1] = arena_strdup(req->arena, value);
	res->nheaders++;
}

void
http_reply_text(struct http_response *res, int status, const char *text)
{
	res->status = status;
	res->content_type = "text/plain; charset=utf-8";
	buf_reset(&res->body);
	buf_puts(&res->body, text);
}

void
http_reply_json_error(struct http_response *res, int status, const char *message)
{
	struct buf esc;
	const char *p;

	res->status = status;
	res->content_type = "application/json";
	buf_reset(&res->body);
	buf_init(&esc, 0);
	for (p = message; *p; p++) {
		if (*p == '"' || *p == '\\')
			buf_putc(&esc, '\\');
		buf_putc(&esc, *p);
	}
	buf_printf(&res->body, "{\"error\":\"%s\"}\n", esc.data ? esc.data : "");
	buf_free(&esc);
}

void
http_reply_redirect(struct http_request *req, struct http_response *res, const char *location)
{
	http_reply_header(req, res, "Location", location);
	http_reply_text(res, 303, "See other\n");
}


void
http_reply_json(struct http_response *res, int status, json_t *body)
{
	char *text = json_dumps(body, JSON_COMPACT);

	res->status = status;
	res->content_type = "application/json";
	buf_reset(&res->body);
	buf_puts(&res->body, text);
	buf_putc(&res->body, '\n');
	free(text);
	json_decref(body);
}
