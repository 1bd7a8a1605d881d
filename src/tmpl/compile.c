/*
 * tmpl/compile.c - compiled templates: their life, their options, their partials
 *
 * Owns: tmpl_compile and tmpl_free, the defaults of struct tmpl_options, the
 * root's table of partials (each name loaded and compiled once, at compile
 * time, so a shared template never changes afterwards), and fragments: text
 * compiled while rendering (what a lambda returns, a partial whose name
 * comes from the data), which reads the root's table but never adds to it.
 *
 * Partials are loaded breadth-first from a work list rather than by
 * recursion, so a partial that includes itself is compiled once and a long
 * chain of partials costs no stack.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tmpl_internal.h"

static void
options_init(struct tmpl_options *o, const struct tmpl_options *in)
{
	if (in)
		*o = *in;
	else
		memset(o, 0, sizeof(*o));
	if (o->max_nesting == 0)
		o->max_nesting = TMPL_DEFAULT_DEPTH;
	if (o->max_nesting > TMPL_DEPTH_LIMIT)
		o->max_nesting = TMPL_DEPTH_LIMIT;
	if (o->max_partial_depth == 0)
		o->max_partial_depth = TMPL_DEFAULT_DEPTH;
	if (o->max_partial_depth > TMPL_DEPTH_LIMIT)
		o->max_partial_depth = TMPL_DEPTH_LIMIT;
	if (o->max_source == 0)
		o->max_source = TMPL_DEFAULT_MAX_SOURCE;
}

int
tmpl_partial_find(const struct tmpl *root, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < root->npartials; i++)
		if (root->partials[i].len == len && memcmp(root->partials[i].name, name, len) == 0)
			return (int)i;
	return -1;
}

/* tmpl_partial_ref - index of name in the table; -1 unknown to a fragment; -2 full */
int
tmpl_partial_ref(struct tmpl *t, const char *name, size_t len, int fragment)
{
	struct tmpl_partial *p;
	int i = tmpl_partial_find(t->root, name, len);

	if (i >= 0 || fragment)
		return i;
	if (t->npartials >= TMPL_MAX_PARTIALS)
		return -2;
	t->partials = xrealloc(t->partials, (t->npartials + 1) * sizeof(*t->partials));
	p = &t->partials[t->npartials];
	memset(p, 0, sizeof(*p));
	p->name = arena_strndup(t->arena, name, len);
	p->len = len;
	p->state = PARTIAL_PENDING;
	return (int)t->npartials++;
}

/* copy src into t's arena (nodes point into it) and build its tree */
static int
compile_source(struct tmpl *t, const char *src, size_t len, const struct tmpl_delims *d,
	       int fragment, const struct tmpl_node **body, size_t *n, struct tmpl_error *err)
{
	struct tmpl_build_in in;
	char *copy = arena_alloc(t->arena, len + 1);

	if (copy == NULL)
		log_panic("tmpl: arena refused %zu bytes", len + 1);
	if (len)
		memcpy(copy, src, len);
	copy[len] = '\0';
	in.t = t;
	in.src = copy;
	in.len = len;
	in.delims = d;
	in.fragment = fragment;
	return tmpl_build(&in, body, n, err);
}

static void
partial_error(struct tmpl_error *err, const struct tmpl_partial *p)
{
	if (err == NULL)
		return;
	snprintf(err->partial, sizeof(err->partial), "%.*s",
		 p->len > TMPL_ERROR_NAME_MAX - 1 ? TMPL_ERROR_NAME_MAX - 1 : (int)p->len, p->name);
}

static int
load_one(struct tmpl *t, size_t i, struct tmpl_error *err)
{
	const struct tmpl_node *body;
	size_t n;
	struct buf src;
	int rc;

	buf_init(&src, t->opts.max_source);
	rc = t->opts.loader(t->opts.loader_data, t->partials[i].name, t->partials[i].len, &src);
	if (rc == NF_ERR_NOTFOUND) {
		log_event(LOG_DEBUG, "tmpl.partial_missing", "name", t->partials[i].name, NULL);
		t->partials[i].state = PARTIAL_MISSING;
		rc = NF_OK;
	} else if (rc != NF_OK) {
		tmpl_error_at(err, "", 0, 0, "cannot load the partial: %s", nf_strstatus(rc));
		partial_error(err, &t->partials[i]);
	} else {
		rc = compile_source(t, src.data, src.len, &tmpl_default_delims, 0, &body, &n, err);
		if (rc == NF_OK) {	/* the table may have moved: index again */
			t->partials[i].body = body;
			t->partials[i].nbody = n;
			t->partials[i].state = PARTIAL_LOADED;
		} else {
			partial_error(err, &t->partials[i]);
		}
	}
	buf_free(&src);
	return rc;
}

static int
load_partials(struct tmpl *t, struct tmpl_error *err)
{
	size_t i;
	int rc = NF_OK;

	for (i = 0; i < t->npartials && rc == NF_OK; i++) {
		if (t->opts.loader == NULL)
			t->partials[i].state = PARTIAL_MISSING;
		else
			rc = load_one(t, i, err);
	}
	return rc;
}

static struct tmpl *
tmpl_new(const struct tmpl *root, const struct tmpl_options *opts)
{
	struct tmpl *t = xcalloc(1, sizeof(*t));

	t->arena = arena_new(0);
	t->root = root ? root : t;
	options_init(&t->opts, root ? &root->opts : opts);
	return t;
}

struct tmpl *
tmpl_derive(const struct tmpl *root)
{
	return tmpl_new(root, NULL);
}

struct tmpl *
tmpl_compile(const char *src, size_t len, const struct tmpl_options *opts,
	     struct tmpl_error *err)
{
	struct tmpl *t = tmpl_new(NULL, opts);
	int rc;

	if (err)
		memset(err, 0, sizeof(*err));
	rc = compile_source(t, src, len, &tmpl_default_delims, 0, &t->body, &t->nbody, err);
	if (rc == NF_OK)
		rc = load_partials(t, err);
	if (rc != NF_OK) {
		tmpl_free(t);
		return NULL;
	}
	return t;
}

struct tmpl *
tmpl_fragment(const struct tmpl *root, const char *src, size_t len,
	      const struct tmpl_delims *d, struct tmpl_error *err)
{
	struct tmpl *t = tmpl_new(root, NULL);

	if (compile_source(t, src, len, d, 1, &t->body, &t->nbody, err) != NF_OK) {
		tmpl_free(t);
		return NULL;
	}
	return t;
}

void
tmpl_free(struct tmpl *t)
{
	if (t == NULL)
		return;
	free(t->partials);
	tmpl_loaded_free(t->loaded);
	arena_free(t->arena);
	free(t);
}
