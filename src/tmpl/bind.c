/*
 * tmpl/bind.c - specialise a template for data that stays the same
 *
 * Owns: tmpl_bind, which renders once, ahead of time, everything in a
 * template that depends only on the fixed layer of its context, and leaves
 * the rest for each render. A fan-out renders one alert for a million
 * subscribers: the article and site fields are the same each time, only
 * {{email}}, {{unsubscribe_url}} and the like change. After tmpl_bind the
 * alert is a few long runs of static text and those few tags, so a render
 * is little more than the memcpy of its bytes.
 *
 * How: the tree is walked as a render would walk it, over a context stack
 * whose bottom is "the varying layer over the fixed layer". A name whose
 * first part is one of the varying names (and is not found in a section's
 * item above) stays a tag; any other name is resolved in the fixed data and
 * its text (escaped as the tag says) joins the static text. Sections over
 * fixed data are unrolled, inverted sections decided, partials, parents and
 * blocks inlined. Whatever cannot be decided ahead - a section on a varying
 * name, a lambda, indented partial or block content, a partial named by a
 * varying value - is kept as it was, wrapped in a NODE_FRAMES node that
 * restores at render time the section items and parent overrides it was
 * found under. The result renders exactly what the original renders with
 * the same context, as long as the varying layer answers only varying names.
 *
 * Indentation is only ever folded while none is in force, so the renderer's
 * line-start bookkeeping (render.c) sees the same text it would have seen;
 * TEXT nodes made here carry the line-start state a render would have after
 * them, not merely whether they end in a newline.
 */
#include <stdlib.h>
#include <string.h>

#include "tmpl_internal.h"

#define BIND_TEXT_MAX (64u << 20)

struct spec {
	const struct tmpl *root;
	struct tmpl *out;
	const struct tmpl_value *fixed;
	const char *const *varying;
	size_t nvarying;
	struct tmpl_nodes list;		/* the bound template's nodes */
	struct buf text;		/* static text not yet made a node */
	int pending;			/* a render's line-start flag here: 1, 0, -1 unknown */
	unsigned depth, partial_depth;
};

static int spec_nodes(struct spec *s, const struct tmpl_node *nodes, size_t n,
		      const struct tmpl_frame *f, const struct tmpl_ovr *o);

static int
is_varying(const struct spec *s, const struct tmpl_seg *seg)
{
	size_t i;

	for (i = 0; i < s->nvarying; i++)
		if (strlen(s->varying[i]) == seg->len && memcmp(s->varying[i], seg->p, seg->len) == 0)
			return 1;
	return 0;
}

/* *varying 1: p's value is known only at render time; else out holds it */
static int
spec_resolve(const struct spec *s, const struct tmpl_frame *f, const struct tmpl_path *p,
	     struct tmpl_value *out, int *varying)
{
	int found, rc;

	*varying = 0;
	if (p->nseg == 0) {		/* "." at the bottom is the whole context */
		if (f)
			*out = f->v;
		*varying = f == NULL;
		return NF_OK;
	}
	for (; f; f = f->up) {
		rc = tmpl_resolve_layer(&f->v, p, out, &found);
		if (rc != NF_OK || found)
			return rc;
	}
	if (is_varying(s, &p->seg[0])) {
		*varying = 1;
		return NF_OK;
	}
	return tmpl_resolve_layer(s->fixed, p, out, &found);
}

static void
flush_text(struct spec *s)
{
	struct tmpl_node *nd;
	char *text;

	if (s->text.len == 0)
		return;
	text = tmpl_alloc(s->out->arena, s->text.len);
	memcpy(text, s->text.data, s->text.len);
	nd = tmpl_nodes_add(&s->list, NODE_TEXT);
	nd->text = text;
	nd->len = s->text.len;
	nd->ends_line = s->pending > 0;
	buf_reset(&s->text);
}

/* keep nd for render time, with the section items and overrides it is under */
static int
keep(struct spec *s, const struct tmpl_node *nd, const struct tmpl_frame *f,
     const struct tmpl_ovr *o)
{
	const struct tmpl_frame *fi;
	const struct tmpl_ovr *oi;
	const struct tmpl_node **parents;
	struct tmpl_value *frames;
	struct tmpl_node *k;
	size_t nf = 0, no = 0, i;

	flush_text(s);
	s->pending = -1;
	for (fi = f; fi; fi = fi->up)
		nf++;
	for (oi = o; oi; oi = oi->up)
		no++;
	frames = nf ? tmpl_alloc(s->out->arena, nf * sizeof(*frames)) : NULL;
	parents = no ? tmpl_alloc(s->out->arena, no * sizeof(*parents)) : NULL;
	for (i = nf, fi = f; fi; fi = fi->up)	/* bottom first */
		frames[--i] = fi->v;
	for (i = no, oi = o; oi; oi = oi->up)	/* outermost first */
		parents[--i] = oi->parent;
	if (nf == 0 && no == 0) {
		k = tmpl_nodes_add(&s->list, (enum tmpl_node_kind)nd->kind);
		*k = *nd;
		return NF_OK;
	}
	k = tmpl_nodes_add(&s->list, NODE_FRAMES);
	k->frames = frames;
	k->nframes = nf;
	k->parents = parents;
	k->nparents = no;
	k->body = nd;
	k->nbody = 1;
	return NF_OK;
}

static int
spec_var(struct spec *s, const struct tmpl_node *nd, const struct tmpl_frame *f,
	 const struct tmpl_ovr *o)
{
	struct tmpl_value v;
	char num[TMPL_NUMBER_MAX];
	const char *text;
	size_t n;
	int varying, rc;

	if ((rc = spec_resolve(s, f, &nd->path, &v, &varying)) != NF_OK)
		return rc;
	if (varying || v.type == TMPL_LAMBDA)	/* a varying value may be a lambda too */
		return keep(s, nd, f, o);
	n = tmpl_scalar_text(&v, num, &text);
	if (n == 0)
		return NF_OK;
	s->pending = 0;
	return nd->escape ? tmpl_escape_html(&s->text, text, n) : buf_append(&s->text, text, n);
}

static int
spec_section(struct spec *s, const struct tmpl_node *nd, const struct tmpl_frame *f,
	     const struct tmpl_ovr *o)
{
	struct tmpl_frame fr;
	struct tmpl_value v;
	size_t i;
	int varying, rc;

	if ((rc = spec_resolve(s, f, &nd->path, &v, &varying)) != NF_OK)
		return rc;
	if (varying || (v.type == TMPL_LAMBDA && nd->kind == NODE_SECTION))
		return keep(s, nd, f, o);
	if (nd->kind == NODE_INVERTED)
		return tmpl_truthy(&v) ? NF_OK : spec_nodes(s, nd->body, nd->nbody, f, o);
	fr.up = f;
	if (v.type == TMPL_LIST) {
		for (i = 0; i < v.u.ref.count && v.u.ref.ops->item && rc == NF_OK; i++) {
			rc = v.u.ref.ops->item(v.u.ref.handle, i, &fr.v);
			if (rc == NF_OK)
				rc = spec_nodes(s, nd->body, nd->nbody, &fr, o);
		}
		return rc;
	}
	if (!tmpl_truthy(&v))
		return NF_OK;
	fr.v = v;
	return spec_nodes(s, nd->body, nd->nbody, &fr, o);
}

/* partials and parents are inlined unless indented, named at render time, or too deep */
static int
spec_partial(struct spec *s, const struct tmpl_node *nd, const struct tmpl_frame *f,
	     const struct tmpl_ovr *o)
{
	const struct tmpl_node *body;
	struct tmpl_ovr link;
	struct tmpl_value v;
	char num[TMPL_NUMBER_MAX];
	const char *name = nd->text;
	size_t n, len = nd->len;
	int varying, rc;

	if (nd->indent_len || s->partial_depth >= s->root->opts.max_partial_depth)
		return keep(s, nd, f, o);
	if (nd->dynamic) {
		if ((rc = spec_resolve(s, f, &nd->path, &v, &varying)) != NF_OK)
			return rc;
		if (varying)
			return keep(s, nd, f, o);
		len = tmpl_scalar_text(&v, num, &name);
		if (len == 0 || v.type == TMPL_BOOL)
			return NF_OK;
	}
	rc = tmpl_partial_body(s->root, &s->out->loaded, nd, name, len, &body, &n);
	if (rc != NF_OK || body == NULL)
		return rc;
	link.parent = nd;
	link.up = o;
	s->partial_depth++;
	rc = spec_nodes(s, body, n, f, nd->kind == NODE_PARENT ? &link : o);
	s->partial_depth--;
	return rc;
}

static int
spec_node(struct spec *s, const struct tmpl_node *nd, const struct tmpl_frame *f,
	  const struct tmpl_ovr *o)
{
	const struct tmpl_node *use;

	switch (nd->kind) {
	case NODE_TEXT:
		s->pending = nd->ends_line;
		return buf_append(&s->text, nd->text, nd->len);
	case NODE_VAR:
		return spec_var(s, nd, f, o);
	case NODE_SECTION:
	case NODE_INVERTED:
		return spec_section(s, nd, f, o);
	case NODE_PARTIAL:
	case NODE_PARENT:
		return spec_partial(s, nd, f, o);
	case NODE_BLOCK:
		if (nd->indent_len)
			return keep(s, nd, f, o);
		use = tmpl_block_pick(nd, o);
		return spec_nodes(s, use->body, use->nbody, f, o);
	}
	return keep(s, nd, f, o);	/* NODE_FRAMES: a bound template bound again */
}

static int
spec_nodes(struct spec *s, const struct tmpl_node *nodes, size_t n, const struct tmpl_frame *f,
	   const struct tmpl_ovr *o)
{
	size_t i;
	int rc = NF_OK;

	if (s->depth >= TMPL_STACK_MAX)
		return NF_ERR_LIMIT;
	s->depth++;
	for (i = 0; i < n && rc == NF_OK; i++)
		rc = spec_node(s, &nodes[i], f, o);
	s->depth--;
	return rc;
}

int
tmpl_bind(const struct tmpl *t, const struct tmpl_value *fixed, const char *const *varying,
	  size_t nvarying, struct tmpl **out)
{
	struct tmpl_value none;
	struct spec s;
	int rc;

	memset(&s, 0, sizeof(s));
	tmpl_value_missing(&none);
	s.root = t->root;
	s.out = tmpl_derive(t->root);
	s.fixed = fixed ? fixed : &none;
	s.varying = varying;
	s.nvarying = nvarying;
	s.pending = 1;
	buf_init(&s.text, BIND_TEXT_MAX);
	rc = spec_nodes(&s, t->body, t->nbody, NULL, NULL);
	flush_text(&s);
	tmpl_nodes_done(s.out->arena, &s.list, &s.out->body, &s.out->nbody);
	buf_free(&s.text);
	if (rc != NF_OK) {
		tmpl_free(s.out);
		s.out = NULL;
	}
	*out = s.out;
	return rc;
}
