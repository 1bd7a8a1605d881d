/*
 * web/http/templates.c - pages from the Mustache templates
 *
 * Owns: compiling one page template (an operator's broken template stops
 * the start with FILE:LINE:COL, not the first request), rendering one into
 * an answer with the fields every page shares ({{publication}}; values are
 * HTML-escaped by the engine by default), and the error page every wing
 * may answer with, and an error answered in the form the client reads: the
 * error page to a browser (Accept: text/html), {"error": ...} under /api/,
 * plain text to anything else (curl, a monitor). Which pages exist is each wing's (public/pages.c, the
 * newsroom's newsroom.c); they load them through http_page_load at start.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tmpl/tmpl.h"
#include "http.h"

struct tmpl *
http_page_load(struct web *w, const char *name, unsigned char digest[32])
{
	struct tmpl_options opts;
	struct tmpl_error err;
	struct tmpl *page;
	struct buf src;

	memset(&opts, 0, sizeof(opts));
	opts.loader = tmpl_load_dir;
	opts.loader_data = (void *)w->cfg.templates_dir;
	opts.escape = TMPL_ESCAPE_HTML;
	buf_init(&src, TMPL_DEFAULT_MAX_SOURCE);
	if (tmpl_load_dir((void *)w->cfg.templates_dir, name, strlen(name), &src) != NF_OK) {
		log_error("cannot read template %s/%s.mustache", w->cfg.templates_dir, name);
		buf_free(&src);
		return NULL;
	}
	page = tmpl_compile(src.data, src.len, &opts, &err);
	if (page == NULL)
		log_error("%s/%s.mustache:%d:%d: %s", w->cfg.templates_dir,
			  err.partial[0] ? err.partial : name, err.line, err.col, err.message);
	if (digest)
		sha256(src.data, src.len, digest);
	buf_free(&src);
	return page;
}

int
http_pages_load(struct web *w)
{
	w->error_page = http_page_load(w, "error.html", NULL);
	return w->error_page ? NF_OK : NF_ERR;
}

void
http_pages_free(struct web *w)
{
	tmpl_free(w->error_page);
	w->error_page = NULL;
}

void
http_page_render(struct web *w, struct http_response *res, int status, const struct tmpl *page,
		 json_t *ctx)
{
	struct tmpl_value v;

	json_object_set_new(ctx, "publication", json_string(w->cfg.publication));
	tmpl_ctx_json(&v, ctx);
	buf_reset(&res->body);
	res->status = status;
	res->content_type = "text/html; charset=utf-8";
	if (tmpl_render(page, &v, &res->body) != NF_OK)
		http_reply_text(res, 500, "Something went wrong. Please try again later\n");
}

static void
page_error(struct web *w, struct http_response *res, int status, const char *heading,
	   const char *message)
{
	json_t *ctx = json_object(), *errs = json_array();

	if (heading)
		json_object_set_new(ctx, "heading", json_string(heading));
	if (message)
		json_array_append_new(errs, json_pack("{s:s}", "message", message));
	json_object_set_new(ctx, "verifyErrors", errs);
	http_page_render(w, res, status, w->error_page, ctx);
	json_decref(ctx);
}

void
http_page_error(struct web *w, struct http_response *res, int status, const char *message)
{
	page_error(w, res, status, NULL, message);
}

/* the Accept header names text/html (or XHTML) with a q above 0: a browser */
static int
wants_html(const char *accept)
{
	const char *p = accept, *end, *q;
	size_t n;

	while (p && *p) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		end = strchr(p, ',');
		n = end ? (size_t)(end - p) : strlen(p);
		if ((n >= 9 && strncasecmp(p, "text/html", 9) == 0 && (n == 9 || p[9] == ';' || p[9] == ' ')) ||
		    (n >= 21 && strncasecmp(p, "application/xhtml+xml", 21) == 0)) {
			q = memchr(p, '=', n);
			/* "q=0", "q=0.0", "q=0.000": refused explicitly */
			if (q == NULL || strspn(q + 1, "0.") < (size_t)(p + n - q - 1))
				return 1;
		}
		p = end ? end + 1 : NULL;
	}
	return 0;
}

static const char *
status_heading(int status)
{
	switch (status) {
	case 404: return "Page not found";
	case 405: return "Not allowed here";
	case 408: return "This took too long";
	case 413: return "Too much at once";
	case 429: return "Too many requests";
	default: return status >= 500 ? "Something went wrong" : "Sorry";
	}
}

void
http_reply_error(struct web *w, struct http_request *req, struct http_response *res, int status,
		 const char *message)
{
	const char *accept = http_header(req, "Accept");
	struct buf text;

	if (strncmp(req->path, "/api/", 5) == 0) {
		http_reply_json_error(res, status, message);
	} else if (accept && wants_html(accept) && w->error_page) {
		page_error(w, res, status, status_heading(status), message);
	} else {
		buf_init(&text, 0);
		buf_printf(&text, "%s\n", message);
		http_reply_text(res, status, text.data);
		buf_free(&text);
	}
}
