/*
 * tmpl/render.c - walking the compiled tree into output
 *
 * Owns: tmpl_render, static text, interpolation (spec "interpolation"),
 * sections and inverted sections (spec "sections", "inverted"), lambdas
 * (spec ~lambdas), the indentation of partial and block content, and the
 * bounds on recursion. Partials, parents and blocks are in inherit.c.
 *
 * Everything a render needs lives in its struct tmpl_render and on its stack;
 * the template is only read, so renders of one template may run at once.
 *
 * Indentation is applied lazily: a standalone partial or a reindented block
 * pushes its indentation, and the next output at the start of a line of
 * template text emits it first. Interpolated values never start lines of
 * their own (spec "Standalone Indentation": a value's newlines are not
 * indented). Empty lines get no indentation, so output carries no trailing
 * white space. With no indentation in force (the usual case) static text is
 * one buf_append.
 */
#include <stdlib.h>
#include <string.h>

#include "tmpl_internal.h"

int
tmpl_indent_push(struct tmpl_render *r, const char *s, size_t n, size_t *saved)
{
	*saved = r->indent_len;
	if (n > TMPL_INDENT_MAX - r->indent_len)
		return NF_ERR_LIMIT;
	if (n)
		memcpy(r->indent + r->indent_len, s, n);
	r->indent_len += n;
	return NF_OK;
}

static int
at_line_end(const char *p, size_t n)
{
	return p[0] == '\n' || (p[0] == '\r' && n > 1 && p[1] == '\n');
}

/* text with an indentation in force: emit it before each non-empty line */
static int
emit_indented(struct tmpl_render *r, const char *p, size_t n)
{
	const char *nl;
	size_t k;
	int rc = NF_OK;

	while (n && rc == NF_OK) {
		if (r->pending && !at_line_end(p, n))
			rc = tmpl_put(r->out, r->indent, r->indent_len);
		nl = memchr(p, '\n', n);
		k = nl ? (size_t)(nl - p) + 1 : n;
		if (rc == NF_OK)
			rc = tmpl_put(r->out, p, k);
		r->pending = nl != NULL;
		p += k;
		n -= k;
	}
	return rc;
}

static int
emit_text(struct tmpl_render *r, const struct tmpl_node *nd)
{
	if (r->indent_len == 0) {
		r->pending = nd->ends_line;
		return tmpl_put(r->out, nd->text, nd->len);
	}
	return emit_indented(r, nd->text, nd->len);
}

static int
emit_value(struct tmpl_render *r, const char *s, size_t n, int escape)
{
	int rc;

	if (n == 0)
		return NF_OK;
	if (r->pending && r->indent_len &&
	    (rc = tmpl_put(r->out, r->indent, r->indent_len)) != NF_OK)
		return rc;
	r->pending = 0;
	return escape ? tmpl_escape_html(r->out, s, n) : tmpl_put(r->out, s, n);
}

int
tmpl_render_fragment(struct tmpl_render *r, const struct tmpl *frag,
		     const struct tmpl_frame *f, const struct tmpl_ovr *o)
{
	int rc;

	if (r->partial_depth >= r->root->opts.max_partial_depth)
		return NF_ERR_LIMIT;
	r->partial_depth++;
	rc = tmpl_render_nodes(r, frag->body, frag->nbody, f, o);
	r->partial_depth--;
	return rc;
}

/* compile what a lambda returned and render it here */
static int
expand(struct tmpl_render *r, const struct buf *text, const struct tmpl_delims *d,
       const struct tmpl_frame *f, const struct tmpl_ovr *o)
{
	struct tmpl_error err;
	struct tmpl *frag;
	int rc;

	if (r->partial_depth >= r->root->opts.max_partial_depth)
		return NF_ERR_LIMIT;
	frag = tmpl_fragment(r->root, text->data ? text->data : "", text->len, d, &err);
	if (frag == NULL) {
		log_event(LOG_WARN, "tmpl.lambda_invalid", "error", err.message, NULL);
		return NF_ERR_INVALID;
	}
	rc = tmpl_render_fragment(r, frag, f, o);
	tmpl_free(frag);
	return rc;
}

/*
 * {{name}} with a lambda: the text it returns is rendered with the default
 * delimiters into a value of its own, then escaped as the tag says.
 */
static int
var_lambda(struct tmpl_render *r, const struct tmpl_node *nd, const struct tmpl_value *v,
	   const struct tmpl_frame *f, const struct tmpl_ovr *o)
{
	struct tmpl_render *sub = xmalloc(sizeof(*sub));
	struct buf text, value;
	size_t room = r->out->max - r->out->len;
	int rc;

	buf_init(&text, r->root->opts.max_source);
	buf_init(&value, room ? room : 1);
	*sub = *r;
	sub->out = &value;
	sub->pending = 0;
	sub->indent_len = 0;
	rc = v->u.lambda.fn(v->u.lambda.data, NULL, 0, &text);
	if (rc == NF_OK)
		rc = expand(sub, &text, &tmpl_default_delims, f, o);
	r->loaded = sub->loaded;
	if (rc == NF_OK)
		rc = emit_value(r, value.data, value.len, nd->escape);
	buf_free(&text);
	buf_free(&value);
	free(sub);
	return rc;
}

static int
render_var(struct tmpl_render *r, const struct tmpl_node *nd, const struct tmpl_frame *f,
	   const struct tmpl_ovr *o)
{
	struct tmpl_value v;
	char num[TMPL_NUMBER_MAX];
	const char *text;
	size_t n;
	int rc;

	if ((rc = tmpl_resolve(f, &nd->path, &v)) != NF_OK)
		return rc;
	if (v.type == TMPL_STRING)	/* the common case, first */
		return emit_value(r, v.u.str.ptr, v.u.str.len, nd->escape);
	if (v.type == TMPL_LAMBDA)
		return var_lambda(r, nd, &v, f, o);
	n = tmpl_scalar_text(&v, num, &text);
	return emit_value(r, text, n, nd->escape);
}

/* {{#name}} with a lambda: it gets the raw section, its text uses the section's delimiters */
static int
section_lambda(struct tmpl_render *r, const struct tmpl_node *nd, const struct tmpl_value *v,
	       const struct tmpl_frame *f, const struct tmpl_ovr *o)
{
	struct buf text;
	int rc;

	buf_init(&text, r->root->opts.max_source);
	rc = v->u.lambda.fn(v->u.lambda.data, nd->raw, nd->raw_len, &text);
	if (rc == NF_OK)
		rc = expand(r, &text, nd->delims, f, o);
	buf_free(&text);
	return rc;
}

static int
render_section(struct tmpl_render *r, const struct tmpl_node *nd, const struct tmpl_frame *f,
	       const struct tmpl_ovr *o)
{
	struct tmpl_frame fr;
	struct tmpl_value v;
	size_t i;
	int rc;

	if ((rc = tmpl_resolve(f, &nd->path, &v)) != NF_OK)
		return rc;
	if (v.type == TMPL_LAMBDA)
		return section_lambda(r, nd, &v, f, o);
	fr.up = f;
	if (v.type == TMPL_LIST) {
		for (i = 0; i < v.u.ref.count && v.u.ref.ops->item && rc == NF_OK; i++) {
			rc = v.u.ref.ops->item(v.u.ref.handle, i, &fr.v);
			if (rc == NF_OK)
				rc = tmpl_render_nodes(r, nd->body, nd->nbody, &fr, o);
		}
		return rc;
	}
	if (!tmpl_truthy(&v))
		return NF_OK;
	fr.v = v;
	return tmpl_render_nodes(r, nd->body, nd->nbody, &fr, o);
}

static int
render_inverted(struct tmpl_render *r, const struct tmpl_node *nd, const struct tmpl_frame *f,
		const struct tmpl_ovr *o)
{
	struct tmpl_value v;
	int rc;

	if ((rc = tmpl_resolve(f, &nd->path, &v)) != NF_OK)
		return rc;
	if (tmpl_truthy(&v))
		return NF_OK;
	return tmpl_render_nodes(r, nd->body, nd->nbody, f, o);
}

static int
render_node(struct tmpl_render *r, const struct tmpl_node *nd, const struct tmpl_frame *f,
	    const struct tmpl_ovr *o)
{
	switch (nd->kind) {
	case NODE_TEXT:
		return emit_text(r, nd);
	case NODE_VAR:
		return render_var(r, nd, f, o);
	case NODE_SECTION:
		return render_section(r, nd, f, o);
	case NODE_INVERTED:
		return render_inverted(r, nd, f, o);
	case NODE_PARTIAL:
		return tmpl_render_partial(r, nd, f, o);
	case NODE_PARENT:
		return tmpl_render_parent(r, nd, f, o);
	case NODE_BLOCK:
		return tmpl_render_block(r, nd, f, o);
	case NODE_FRAMES:
		return tmpl_render_frames(r, nd, f, o);
	}
	return NF_OK;
}

int
tmpl_render_nodes(struct tmpl_render *r, const struct tmpl_node *nodes, size_t n,
		  const struct tmpl_frame *f, const struct tmpl_ovr *o)
{
	size_t i;
	int rc = NF_OK;

	if (r->depth >= TMPL_STACK_MAX)
		return NF_ERR_LIMIT;
	r->depth++;
	for (i = 0; i < n && rc == NF_OK; i++)
		rc = render_node(r, &nodes[i], f, o);
	r->depth--;
	return rc;
}

int
tmpl_render(const struct tmpl *t, const struct tmpl_value *ctx, struct buf *out)
{
	struct tmpl_render r;
	struct tmpl_frame root, *f = NULL;
	int rc;

	r.root = t->root;
	r.out = out;
	r.pending = 1;
	r.depth = 0;
	r.partial_depth = 0;
	r.loaded = NULL;
	r.indent_len = 0;
	if (ctx) {
		root.v = *ctx;
		root.up = NULL;
		f = &root;
	}
	rc = tmpl_render_nodes(&r, t->body, t->nbody, f, NULL);
	if (out->data)		/* tmpl_put leaves the NUL to the end */
		out->data[out->len] = '\0';
	tmpl_loaded_free(r.loaded);
	return rc;
}
