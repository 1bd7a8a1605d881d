/*
 * web/public/embed.c - the signup box on publishers' pages: GET /embed.js and the snippet
 *
 * Owns: the script a publisher's page loads (TEMPLATES/embed.js, read once
 * at start), served at /embed/VERSION.js with a year's immutable caching
 * (VERSION is the start of its SHA-256, so a new script is a new URL) and
 * at /embed.js with a short one; its Subresource Integrity value (W3C SRI:
 * "sha256-" and the base64 digest), which the snippet's <script> carries;
 * and the snippet itself (embed-snippet.html.mustache), whose source hash
 * is the wording an embedded signup consented to. Both answers carry
 * Access-Control-Allow-Origin: * because a cross-origin script checked
 * against an integrity value must be fetched with CORS; the script is
 * public and no cookie is read or set. Does not own: the signups the box
 * posts (signup.c) or which origins may post them (http/csrf.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "tmpl/tmpl.h"
#include "public.h"

#define EMBED_JS_MAX (64 * 1024)
#define EMBED_SEED_TEMPLATE "{{ #verifyErrors }} {{ message }} {{ /verifyErrors }} {{ ^verifyErrors }} " \
	"Something went wrong. Please try again later {{ /verifyErrors }}"

/* web_embed_script - TEMPLATES/embed.js into js, its URL version and its integrity value */
int
web_embed_script(const char *templates_dir, struct buf *js, char version[WEB_EMBED_VERSION_MAX],
		 char integrity[WEB_EMBED_SRI_MAX])
{
	unsigned char digest[32];
	struct buf path, enc;
	char chunk[4096];
	size_t n;
	FILE *f;
	int rc = NF_OK;

	buf_init(&path, 0);
	buf_printf(&path, "%s/embed.js", templates_dir);
	f = fopen(path.data, "rb");
	buf_free(&path);
	if (f == NULL)
		return NF_ERR_NOTFOUND;
	while (rc == NF_OK && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (js->len + n > EMBED_JS_MAX || buf_append(js, chunk, n) != NF_OK)
			rc = NF_ERR_LIMIT;
	if (ferror(f))
		rc = NF_ERR_IO;
	fclose(f);
	if (rc != NF_OK)
		return rc;
	sha256(js->data ? js->data : "", js->len, digest);
	buf_init(&enc, 0);
	hex_encode(&enc, digest, 8);
	snprintf(version, WEB_EMBED_VERSION_MAX, "%s", enc.data);
	buf_reset(&enc);
	base64_encode(&enc, digest, sizeof(digest));
	snprintf(integrity, WEB_EMBED_SRI_MAX, "sha256-%s", enc.data);
	buf_free(&enc);
	return NF_OK;
}

/* web_embed_snippet - the HTML a publisher pastes (TEMPLATES/embed-snippet.html.mustache) */
int
web_embed_snippet(const struct web_embed_in *in, struct buf *out)
{
	char version[WEB_EMBED_VERSION_MAX], integrity[WEB_EMBED_SRI_MAX];
	struct tmpl_options opts;
	struct tmpl_error err;
	struct tmpl_value ctx;
	struct tmpl *t;
	struct buf js, src, url;
	json_t *data;
	int rc;

	buf_init(&js, 0);
	rc = web_embed_script(in->templates_dir, &js, version, integrity);
	buf_free(&js);
	if (rc != NF_OK) {
		log_error("cannot read %s/embed.js", in->templates_dir);
		return rc;
	}
	memset(&opts, 0, sizeof(opts));
	opts.loader = tmpl_load_dir;
	opts.loader_data = (void *)in->templates_dir;
	opts.escape = TMPL_ESCAPE_HTML;
	buf_init(&src, TMPL_DEFAULT_MAX_SOURCE);
	if (tmpl_load_dir((void *)in->templates_dir, "embed-snippet.html", 18, &src) != NF_OK) {
		log_error("cannot read template %s/embed-snippet.html.mustache", in->templates_dir);
		buf_free(&src);
		return NF_ERR_NOTFOUND;
	}
	t = tmpl_compile(src.data, src.len, &opts, &err);
	buf_free(&src);
	if (t == NULL) {
		log_error("%s/embed-snippet.html.mustache:%d:%d: %s", in->templates_dir, err.line, err.col,
			  err.message);
		return NF_ERR_INVALID;
	}
	buf_init(&url, 0);
	buf_printf(&url, "%s/embed/%s.js", in->base_url, version);
	data = json_pack("{s:s,s:s,s:s,s:s,s:s}", "base_url", in->base_url, "publication", in->publication,
			 "script_url", url.data, "integrity", integrity, "error_template", EMBED_SEED_TEMPLATE);
	if (in->list)
		json_object_set_new(data, "list", json_string(in->list));
	tmpl_ctx_json(&ctx, data);
	rc = tmpl_render(t, &ctx, out);
	json_decref(data);
	buf_free(&url);
	tmpl_free(t);
	return rc;
}

/* public_embed_load - the script and the snippet's wording hash, once at start */
int
public_embed_load(struct web *w)
{
	struct public_state *pub = w->pub;
	struct tmpl *snippet;

	buf_init(&pub->embed_js, EMBED_JS_MAX);
	if (web_embed_script(w->cfg.templates_dir, &pub->embed_js, pub->embed_version,
			     pub->embed_integrity) != NF_OK) {
		log_error("cannot read %s/embed.js (at most %d bytes)", w->cfg.templates_dir, EMBED_JS_MAX);
		return NF_ERR;
	}
	if ((snippet = http_page_load(w, "embed-snippet.html", pub->embed_hash)) == NULL)
		return NF_ERR;
	tmpl_free(snippet);	/* only its wording's hash is needed here */
	return NF_OK;
}

void
public_embed_free(struct web *w)
{
	buf_free(&w->pub->embed_js);
}

/* GET /embed.js (cached five minutes) and GET /embed/VERSION.js (cached a year, never changes) */
void
public_embed_js(struct web *w, struct http_request *req, struct http_response *res, const char *arg)
{
	struct public_state *pub = w->pub;
	size_t n = strlen(pub->embed_version);

	if (*arg && (strncmp(arg, pub->embed_version, n) != 0 || strcmp(arg + n, ".js") != 0)) {
		/* an older script's URL: its integrity value would refuse this one */
		http_reply_text(res, 404, "Not found: run 'newsflash embed snippet' again for the current script\n");
		return;
	}
	res->status = 200;
	res->content_type = "text/javascript; charset=utf-8";
	buf_reset(&res->body);
	buf_append(&res->body, pub->embed_js.data, pub->embed_js.len);
	http_reply_header(req, res, "Cache-Control", *arg ? "public, max-age=31536000, immutable" :
			  "public, max-age=300");
	http_reply_header(req, res, "Access-Control-Allow-Origin", "*");
	http_reply_header(req, res, "Cross-Origin-Resource-Policy", "cross-origin");
}

/* the wording an embedded signup consented to: the snippet's version and hash */
void
public_wording_embed(const struct web *w, char version[32], char hash[65])
{
	public_wording_from(w->pub->embed_hash, "embed", version, hash);
}
