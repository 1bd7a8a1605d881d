/*
 * tmpl/inherit.c - partials, parents and blocks at render time
 *
 * Owns: finding the body of a partial (spec "partials"), names taken from
 * the data (spec ~dynamic-names), parents and the blocks they override
 * (spec ~inheritance), and the partial recursion bound.
 *
 * Static names were loaded at compile time into the root's table. A name
 * the compiler could not know ({{>*name}}, or a partial named in a lambda's
 * result) is looked up in the table, then in the partials this render has
 * already loaded, then through the loader; what the loader gives is compiled
 * as a fragment and kept until the render ends, so the shared template is
 * never written to.
 *
 * Overrides: a parent tag pushes a link to its blocks; a block renders the
 * override from the outermost parent that has one (spec "Multi-level
 * inheritance": the top-level substitution wins), else its default content,
 * in the context stack of the place it appears (spec "Block scope").
 */
#include <stdlib.h>
#include <string.h>

#include "tmpl_internal.h"

void
tmpl_loaded_free(struct tmpl_loaded *l)
{
	struct tmpl_loaded *next;

	for (; l; l = next) {
		next = l->next;
		tmpl_free(l->t);
		free(l->name);
		free(l);
	}
}

static struct tmpl_loaded *
remember(struct tmpl_loaded **loaded, const char *name, size_t len, struct tmpl *t)
{
	struct tmpl_loaded *l = xmalloc(sizeof(*l));

	l->name = xmemdup0(name, len);
	l->len = len;
	l->t = t;
	l->next = *loaded;
	*loaded = l;
	return l;
}

/* load and compile a partial whose name was not known at compile time */
static int
load_late(const struct tmpl *root, struct tmpl_loaded **loaded, const char *name, size_t len,
	  const struct tmpl **out)
{
	const struct tmpl_options *opts = &root->opts;
	struct tmpl_error err;
	struct tmpl *t = NULL;
	struct buf src;
	int rc;

	buf_init(&src, opts->max_source);
	rc = opts->loader(opts->loader_data, name, len, &src);
	if (rc == NF_OK) {
		t = tmpl_fragment(root, src.data ? src.data : "", src.len, &tmpl_default_delims, &err);
		if (t == NULL) {
			log_event(LOG_WARN, "tmpl.partial_invalid",
				  "name", remember(loaded, name, len, NULL)->name,
				  "error", err.message, NULL);
			rc = NF_ERR_INVALID;
		}
	}
	buf_free(&src);
	if (rc == NF_ERR_NOTFOUND)
		rc = NF_OK;
	if (rc == NF_OK)
		*out = remember(loaded, name, len, t)->t;
	return rc;
}

int
tmpl_partial_body(const struct tmpl *root, struct tmpl_loaded **loaded,
		  const struct tmpl_node *nd, const char *name, size_t len,
		  const struct tmpl_node **body, size_t *n)
{
	const struct tmpl *t = NULL;
	const struct tmpl_loaded *l;
	int i, rc = NF_OK;

	*body = NULL;
	*n = 0;
	i = nd && !nd->dynamic && nd->partial >= 0 ? nd->partial
						    : tmpl_partial_find(root, name, len);
	if (i >= 0) {
		if (root->partials[i].state == PARTIAL_LOADED) {
			*body = root->partials[i].body;
			*n = root->partials[i].nbody;
		}
		return NF_OK;
	}
	for (l = *loaded; l; l = l->next)
		if (l->len == len && memcmp(l->name, name, len) == 0)
			break;
	if (l)
		t = l->t;
	else if (root->opts.loader && len)
		rc = load_late(root, loaded, name, len, &t);
	if (t) {
		*body = t->body;
		*n = t->nbody;
	}
	return rc;
}

/* the body of the partial nd names: NULL when there is none (it renders empty) */
static int
partial_body(struct tmpl_render *r, const struct tmpl_node *nd, const struct tmpl_frame *f,
	     const struct tmpl_node **body, size_t *n)
{
	struct tmpl_value v;
	char num[TMPL_NUMBER_MAX];
	const char *name = nd->text;
	size_t len = nd->len;
	int rc;

	*body = NULL;
	*n = 0;
	if (nd->dynamic) {
		if ((rc = tmpl_resolve(f, &nd->path, &v)) != NF_OK)
			return rc;
		len = tmpl_scalar_text(&v, num, &name);
		if (len == 0 || v.type == TMPL_BOOL)
			return NF_OK;
	}
	return tmpl_partial_body(r->root, &r->loaded, nd, name, len, body, n);
}

/* render body as a partial: one level deeper, with the tag's indentation */
static int
render_included(struct tmpl_render *r, const struct tmpl_node *nd,
		const struct tmpl_node *body, size_t n, const struct tmpl_frame *f,
		const struct tmpl_ovr *o)
{
	size_t saved;
	int rc;

	if (r->partial_depth >= r->root->opts.max_partial_depth)
		return NF_ERR_LIMIT;
	if ((rc = tmpl_indent_push(r, nd->indent, nd->indent_len, &saved)) != NF_OK)
		return rc;
	r->partial_depth++;
	rc = tmpl_render_nodes(r, body, n, f, o);
	r->partial_depth--;
	r->indent_len = saved;
	return rc;
}

int
tmpl_render_partial(struct tmpl_render *r, const struct tmpl_node *nd,
		    const struct tmpl_frame *f, const struct tmpl_ovr *o)
{
	const struct tmpl_node *body;
	size_t n;
	int rc = partial_body(r, nd, f, &body, &n);

	if (rc != NF_OK || body == NULL)
		return rc;
	return render_included(r, nd, body, n, f, o);
}

int
tmpl_render_parent(struct tmpl_render *r, const struct tmpl_node *nd,
		   const struct tmpl_frame *f, const struct tmpl_ovr *o)
{
	const struct tmpl_node *body;
	struct tmpl_ovr link;
	size_t n;
	int rc = partial_body(r, nd, f, &body, &n);

	if (rc != NF_OK || body == NULL)
		return rc;
	link.parent = nd;
	link.up = o;
	return render_included(r, nd, body, n, f, &link);
}

const struct tmpl_node *
tmpl_block_pick(const struct tmpl_node *nd, const struct tmpl_ovr *o)
{
	const struct tmpl_node *use = nd, *b;
	size_t i;

	for (; o; o = o->up) {	/* innermost first: the last match is the outermost */
		for (i = 0; i < o->parent->nbody; i++) {
			b = &o->parent->body[i];
			if (b->len == nd->len && memcmp(b->text, nd->text, nd->len) == 0) {
				use = b;
				break;
			}
		}
	}
	return use;
}

int
tmpl_render_block(struct tmpl_render *r, const struct tmpl_node *nd,
		  const struct tmpl_frame *f, const struct tmpl_ovr *o)
{
	const struct tmpl_node *use = tmpl_block_pick(nd, o);
	size_t saved;
	int rc;

	if ((rc = tmpl_indent_push(r, nd->indent, nd->indent_len, &saved)) != NF_OK)
		return rc;
	rc = tmpl_render_nodes(r, use->body, use->nbody, f, o);
	r->indent_len = saved;
	return rc;
}

/* a node tmpl_bind could not fold: the frames and overrides it had, then the node */
static int
push_parents(struct tmpl_render *r, const struct tmpl_node *nd, size_t k,
	     const struct tmpl_frame *f, const struct tmpl_ovr *o)
{
	struct tmpl_ovr link;

	if (k == nd->nparents)
		return tmpl_render_nodes(r, nd->body, nd->nbody, f, o);
	link.parent = nd->parents[k];
	link.up = o;
	return push_parents(r, nd, k + 1, f, &link);
}

static int
push_frames(struct tmpl_render *r, const struct tmpl_node *nd, size_t k,
	    const struct tmpl_frame *f, const struct tmpl_ovr *o)
{
	struct tmpl_frame fr;
	int rc;

	if (k == nd->nframes)
		return push_parents(r, nd, 0, f, o);
	if (r->depth >= TMPL_STACK_MAX)
		return NF_ERR_LIMIT;
	r->depth++;
	fr.v = nd->frames[k];
	fr.up = f;
	rc = push_frames(r, nd, k + 1, &fr, o);
	r->depth--;
	return rc;
}

int
tmpl_render_frames(struct tmpl_render *r, const struct tmpl_node *nd,
		   const struct tmpl_frame *f, const struct tmpl_ovr *o)
{
	return push_frames(r, nd, 0, f, o);
}
