/*
 * web/http/templates.c - pages from the Mustache templates
 *
 * Owns: compiling one page template (an operator's broken template stops
 * the start with FILE:LINE:COL, not the first request), rendering one into
 * an answer with the fields every page shares ({{publication}}; values are
 * HTML-escaped by the engine by default), and the error page every wing
 * may answer with. Which pages exist is each wing's (public/pages.c, the
 * newsroom's newsroom.c); they load them through http_page_load at start.
 */
#include <stdlib.h>
#include <string.h>

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

void
http_page_error(struct web *w, struct http_response *res, int status, const char *message)
{
	json_t *ctx = json_object(), *errs = json_array();

	if (message)
		json_array_append_new(errs, json_pack("{s:s}", "message", message));
	json_object_set_new(ctx, "verifyErrors", errs);
	http_page_render(w, res, status, w->error_page, ctx);
	json_decref(ctx);
}
