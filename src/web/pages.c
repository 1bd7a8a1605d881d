/*
 * web/pages.c - rendering pages from the Mustache templates
 *
 * Owns: loading every page template once at start (an operator's broken
 * template stops the start with FILE:LINE:COL, not the first request), and
 * rendering one into a response with the fields every page shares
 * ({{publication}}). Values are HTML-escaped by the engine by default.
 * Also owns the consent wording's version and hash: the exact text a person
 * was shown when they ticked or submitted, recorded in the ledger.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "tmpl/tmpl.h"
#include "web_impl.h"

static const char *const page_names[PAGE_COUNT] = {
	[PAGE_SIGNUP] = "signup.html",
	[PAGE_THANKS] = "thanks.html",
	[PAGE_ERROR] = "error.html",
	[PAGE_CONFIRM] = "confirm-page.html",
	[PAGE_CONFIRMED] = "confirmed.html",
	[PAGE_PRIVACY] = "privacy.html",
	[PAGE_UNSUBSCRIBE] = "unsubscribe.html",
	[PAGE_UNSUBSCRIBED] = "unsubscribed.html",
	[PAGE_ERASED] = "erased.html",
	[PAGE_NR_SIGNIN] = "newsroom-signin.html",
	[PAGE_NR_HOME] = "newsroom-home.html",
	[PAGE_NR_COMPOSE] = "newsroom-compose.html",
	[PAGE_NR_PREVIEW] = "newsroom-preview.html",
	[PAGE_NR_PUBLISH] = "newsroom-publish.html",
	[PAGE_NR_ALERT] = "newsroom-alert.html",
	[PAGE_NR_ALERTS] = "newsroom-alerts.html",
	[PAGE_NR_AUDIENCE] = "newsroom-audience.html",
};

static int
load_one(struct web *w, enum page_id id)
{
	struct tmpl_options opts;
	struct tmpl_error err;
	struct buf src;
	char name[64];
	int rc;

	memset(&opts, 0, sizeof(opts));
	opts.loader = tmpl_load_dir;
	opts.loader_data = (void *)w->cfg.templates_dir;
	opts.escape = TMPL_ESCAPE_HTML;
	snprintf(name, sizeof(name), "%s", page_names[id]);
	buf_init(&src, TMPL_DEFAULT_MAX_SOURCE);
	rc = tmpl_load_dir((void *)w->cfg.templates_dir, name, strlen(name), &src);
	if (rc != NF_OK) {
		log_error("cannot read template %s/%s.mustache", w->cfg.templates_dir, name);
		buf_free(&src);
		return NF_ERR;
	}
	w->pages[id] = tmpl_compile(src.data, src.len, &opts, &err);
	if (w->pages[id] == NULL)
		log_error("%s/%s.mustache:%d:%d: %s", w->cfg.templates_dir,
			  err.partial[0] ? err.partial : name, err.line, err.col, err.message);
	if (id == PAGE_SIGNUP)
		sha256(src.data, src.len, w->signup_hash);
	if (id == PAGE_UNSUBSCRIBE)
		sha256(src.data, src.len, w->prefs_hash);
	buf_free(&src);
	return w->pages[id] ? NF_OK : NF_ERR;
}

int
pages_load(struct web *w)
{
	int i;

	for (i = 0; i < PAGE_COUNT; i++)
		if (load_one(w, (enum page_id)i) != NF_OK)
			return NF_ERR;
	return NF_OK;
}

void
pages_free(struct web *w)
{
	int i;

	for (i = 0; i < PAGE_COUNT; i++) {
		tmpl_free(w->pages[i]);
		w->pages[i] = NULL;
	}
}

/* render page id with ctx (a JSON object, borrowed; publication added) */
void
page_render(struct web *w, struct http_response *res, int status, enum page_id id, json_t *ctx)
{
	struct tmpl_value v;

	json_object_set_new(ctx, "publication", json_string(w->cfg.publication));
	tmpl_ctx_json(&v, ctx);
	buf_reset(&res->body);
	res->status = status;
	res->content_type = "text/html; charset=utf-8";
	if (tmpl_render(w->pages[id], &v, &res->body) != NF_OK)
		http_text(res, 500, "Something went wrong. Please try again later\n");
}

/* the error page: messages NULL gives the generic apology */
void
page_error(struct web *w, struct http_response *res, int status, const char *message)
{
	json_t *ctx = json_object(), *errs = json_array();

	if (message)
		json_array_append_new(errs, json_pack("{s:s}", "message", message));
	json_object_set_new(ctx, "verifyErrors", errs);
	page_render(w, res, status, PAGE_ERROR, ctx);
	json_decref(ctx);
}

/*
 * The wording a person consented to: the signup template's hash (the exact
 * text on the page) and a short version derived from it, so a ledger row
 * says which form, word for word, was shown.
 */
static void
wording(const unsigned char digest[32], const char *page, char version[32], char hash[65])
{
	struct buf hex;

	buf_init(&hex, 64);
	hex_encode(&hex, digest, 32);
	snprintf(hash, 65, "%s", hex.data);
	snprintf(version, 32, "%s-%.12s", page, hex.data);
	buf_free(&hex);
}

void
pages_wording(const struct web *w, char version[32], char hash[65])
{
	wording(w->signup_hash, "signup", version, hash);
}

void
pages_wording_prefs(const struct web *w, char version[32], char hash[65])
{
	wording(w->prefs_hash, "preferences", version, hash);
}
