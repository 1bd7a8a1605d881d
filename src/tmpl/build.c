/*
 * tmpl/build.c - tokens to the compiled tree
 *
 * Owns: nesting (sections, inverted sections, parents and blocks matched
 * with their closing tags), the errors of structure (unclosed section,
 * mismatched or stray closing tag, nesting too deep), names split into dotted
 * paths once (spec "Dotted Names"), partial names entered in the root's
 * table, and the indentation of blocks (spec ~inheritance "Block
 * reindentation", "Intrinsic indentation", "Nested block reindentation").
 *
 * Text runs are merged into one node between tags (comments and delimiter
 * changes leave no node), so rendering static text is one memcpy per run.
 *
 * Block indentation. A block's content has an intrinsic indentation: the
 * white space its first content line starts with when the opening tag stands
 * alone (the tag's own indentation when the content is empty), or the white
 * space before the tag when only white space precedes it. That much is
 * stripped from the start of each content line here, once, and the renderer
 * adds the indentation of the place where the content is expanded. Nested
 * blocks, partials and parents record their indentation relative to the
 * enclosing block's, so a block's content moves as one piece.
 */
#include <stdlib.h>
#include <string.h>

#include "tmpl_internal.h"

struct build {
	const struct tmpl_build_in *in;
	struct tmpl_scan *s;
	size_t i;			/* the next token */
	struct buf run;			/* text gathered for the next TEXT node */
	struct tmpl_error *err;
};

struct strip {
	const char *p;			/* the enclosing block's intrinsic indentation */
	size_t len;
};

static int build_body(struct build *b, unsigned depth, const struct tmpl_tok *open,
		      const struct strip *strip, const struct tmpl_node **out, size_t *nout);

void *
tmpl_alloc(struct arena *a, size_t n)
{
	void *p = arena_alloc(a, n);

	if (p == NULL)		/* the arena has no ceiling */
		log_panic("tmpl: arena refused %zu bytes", n);
	return p;
}

static void *
balloc(struct build *b, size_t n)
{
	return tmpl_alloc(b->in->t->arena, n);
}

struct tmpl_node *
tmpl_nodes_add(struct tmpl_nodes *l, enum tmpl_node_kind kind)
{
	struct tmpl_node *nd;

	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 8;
		l->v = xrealloc(l->v, l->cap * sizeof(*l->v));
	}
	nd = &l->v[l->n++];
	memset(nd, 0, sizeof(*nd));
	nd->kind = (unsigned char)kind;
	nd->partial = -1;
	return nd;
}

/* move a finished list into the arena */
void
tmpl_nodes_done(struct arena *a, struct tmpl_nodes *l, const struct tmpl_node **out, size_t *n)
{
	struct tmpl_node *v = NULL;

	if (l->n) {
		v = tmpl_alloc(a, l->n * sizeof(*v));
		memcpy(v, l->v, l->n * sizeof(*v));
	}
	*out = v;
	*n = l->n;
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}

static int
is_line_start(const char *src, size_t pos)
{
	return pos == 0 || src[pos - 1] == '\n';
}

/* add the token's bytes to the run, dropping the block indentation at each line start */
static int
gather_text(struct build *b, const struct tmpl_tok *t, const struct strip *strip)
{
	const char *src = b->in->src;
	size_t p = t->start, k, end;
	const char *nl;
	int rc = NF_OK;

	while (p < t->end && rc == NF_OK) {
		if (strip->len && is_line_start(src, p))
			for (k = 0; k < strip->len && p < t->end && src[p] == strip->p[k]; k++)
				p++;
		nl = memchr(src + p, '\n', t->end - p);
		end = nl ? (size_t)(nl - src) + 1 : t->end;
		rc = buf_append(&b->run, src + p, end - p);
		p = end;
	}
	return rc;
}

static void
flush_text(struct build *b, struct tmpl_nodes *l)
{
	struct tmpl_node *nd;
	char *text;

	if (b->run.len == 0)
		return;
	text = balloc(b, b->run.len);
	memcpy(text, b->run.data, b->run.len);
	nd = tmpl_nodes_add(l, NODE_TEXT);
	nd->text = text;
	nd->len = b->run.len;
	nd->ends_line = text[b->run.len - 1] == '\n';
	buf_reset(&b->run);
}

/* split a dotted name; "." alone is the current item, empty segments are errors */
static int
make_path(struct build *b, const struct tmpl_tok *t, const char *name, size_t len,
	  struct tmpl_path *path)
{
	struct tmpl_seg *seg;
	size_t i, start, n = 1, k = 0;

	path->name = name;
	path->len = len;
	path->nseg = 0;
	path->seg = NULL;
	if (len == 1 && name[0] == '.')
		return NF_OK;
	for (i = 0; i < len; i++)
		n += name[i] == '.';
	seg = balloc(b, n * sizeof(*seg));
	for (start = 0, i = 0; i <= len; i++) {
		if (i < len && name[i] != '.')
			continue;
		if (i == start) {
			tmpl_error_at(b->err, b->in->src, b->in->len, t->start,
				      "bad name '%.*s': empty part in a dotted name",
				      len > 40 ? 40 : (int)len, name);
			return NF_ERR_INVALID;
		}
		seg[k].p = name + start;
		seg[k].len = i - start;
		k++;
		start = i + 1;
	}
	path->seg = seg;
	path->nseg = k;
	return NF_OK;
}

/* s minus the enclosing block's indentation when that is a prefix of it */
static void
relative_indent(const char *s, size_t n, const struct strip *strip, struct tmpl_node *nd)
{
	if (strip->len && strip->len <= n && memcmp(s, strip->p, strip->len) == 0) {
		s += strip->len;
		n -= strip->len;
	}
	nd->indent = s;
	nd->indent_len = n;
}

/* {{>name}} {{<name}}: a name, or '*' and a dotted name looked up at render time */
static int
partial_name(struct build *b, const struct tmpl_tok *t, struct tmpl_node *nd)
{
	const char *src = b->in->src, *p = src + t->name;
	size_t n = t->name_len;

	if (n && *p == '*') {
		p++;
		n--;
		while (n && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')) {
			p++;
			n--;
		}
		nd->dynamic = 1;
		return make_path(b, t, p, n, &nd->path);
	}
	nd->text = p;
	nd->len = n;
	nd->partial = tmpl_partial_ref(b->in->t, p, n, b->in->fragment);
	if (nd->partial == -2) {
		tmpl_error_at(b->err, src, b->in->len, t->start,
			      "more than %d partials", TMPL_MAX_PARTIALS);
		return NF_ERR_LIMIT;
	}
	return NF_OK;
}

static int
too_deep(struct build *b, unsigned depth, const struct tmpl_tok *t)
{
	unsigned max = b->in->t->opts.max_nesting;

	if (depth < max)
		return NF_OK;
	tmpl_error_at(b->err, b->in->src, b->in->len, t->start,
		      "sections nested more than %u deep", max);
	return NF_ERR_LIMIT;
}

static int
add_section(struct build *b, struct tmpl_nodes *l, unsigned depth, const struct tmpl_tok *t,
	    const struct strip *strip)
{
	struct tmpl_node *nd;
	struct tmpl_path path;
	const struct tmpl_node *body;
	size_t nbody;
	int rc;

	if ((rc = too_deep(b, depth, t)) != NF_OK)
		return rc;
	rc = make_path(b, t, b->in->src + t->name, t->name_len, &path);
	if (rc == NF_OK)
		rc = build_body(b, depth + 1, t, strip, &body, &nbody);
	if (rc)
		return rc;
	nd = tmpl_nodes_add(l, t->type == '#' ? NODE_SECTION : NODE_INVERTED);
	nd->path = path;
	nd->body = body;
	nd->nbody = nbody;
	nd->raw = b->in->src + t->end;
	nd->raw_len = b->s->tok[b->i - 1].start - t->end;
	nd->delims = t->delims;
	return NF_OK;
}

static int
add_partial(struct build *b, struct tmpl_nodes *l, const struct tmpl_tok *t, const struct strip *strip)
{
	struct tmpl_node *nd = tmpl_nodes_add(l, NODE_PARTIAL);

	if (t->standalone)
		relative_indent(b->in->src + t->indent, t->indent_len, strip, nd);
	return partial_name(b, t, nd);
}

/* a parent keeps only the blocks of its body: the rest is ignored (spec) */
static int
add_parent(struct build *b, struct tmpl_nodes *l, unsigned depth, const struct tmpl_tok *t,
	   const struct strip *strip)
{
	struct tmpl_node tmp, *nd, *blocks;
	const struct tmpl_node *body;
	size_t nbody, i, k = 0;
	int rc;

	if ((rc = too_deep(b, depth, t)) != NF_OK)
		return rc;
	memset(&tmp, 0, sizeof(tmp));
	tmp.kind = NODE_PARENT;
	if (t->standalone)
		relative_indent(b->in->src + t->indent, t->indent_len, strip, &tmp);
	if ((rc = partial_name(b, t, &tmp)) != NF_OK)
		return rc;
	if ((rc = build_body(b, depth + 1, t, strip, &body, &nbody)) != NF_OK)
		return rc;
	blocks = nbody ? balloc(b, nbody * sizeof(*blocks)) : NULL;
	for (i = 0; i < nbody; i++)
		if (body[i].kind == NODE_BLOCK)
			blocks[k++] = body[i];
	tmp.body = blocks;
	tmp.nbody = k;
	nd = tmpl_nodes_add(l, NODE_PARENT);
	*nd = tmp;
	return NF_OK;
}

/* the white space before position pos when nothing else precedes it on its line */
static size_t
leading_space(const char *src, size_t pos, size_t *start)
{
	size_t p = pos;

	while (p > 0 && (src[p - 1] == ' ' || src[p - 1] == '\t'))
		p--;
	if (p > 0 && src[p - 1] != '\n')
		return 0;
	*start = p;
	return pos - p;
}

static int
add_block(struct build *b, struct tmpl_nodes *l, unsigned depth, const struct tmpl_tok *t,
	  const struct strip *outer)
{
	const char *src = b->in->src;
	struct tmpl_node *nd;
	const struct tmpl_node *body;
	struct strip own = { "", 0 };
	size_t nbody, start = 0, n;
	int rc;

	if ((rc = too_deep(b, depth, t)) != NF_OK)
		return rc;
	if (t->standalone) {		/* the first content line says */
		for (n = t->line_end; n < b->in->len && (src[n] == ' ' || src[n] == '\t'); n++)
			;
		own.p = src + t->line_end;
		own.len = n - t->line_end;
	} else if ((n = leading_space(src, t->start, &start)) != 0) {
		own.p = src + start;
		own.len = n;
	}
	if ((rc = build_body(b, depth + 1, t, &own, &body, &nbody)) != NF_OK)
		return rc;
	if (t->standalone && nbody == 0) {
		own.p = src + t->indent;
		own.len = t->indent_len;
	}
	nd = tmpl_nodes_add(l, NODE_BLOCK);
	nd->text = src + t->name;
	nd->len = t->name_len;
	nd->body = body;
	nd->nbody = nbody;
	relative_indent(own.p, own.len, outer, nd);
	return NF_OK;
}

static int
add_var(struct build *b, struct tmpl_nodes *l, const struct tmpl_tok *t)
{
	struct tmpl_node *nd = tmpl_nodes_add(l, NODE_VAR);

	nd->escape = t->type == 'v' && b->in->t->opts.escape == TMPL_ESCAPE_HTML;
	return make_path(b, t, b->in->src + t->name, t->name_len, &nd->path);
}

/* a closing tag: it must close the open one */
static int
close_tag(struct build *b, const struct tmpl_tok *open, const struct tmpl_tok *t)
{
	const char *src = b->in->src;
	int on, cn;

	cn = t->name_len > 40 ? 40 : (int)t->name_len;
	if (open == NULL) {
		tmpl_error_at(b->err, src, b->in->len, t->start,
			      "closing tag {{/%.*s}} without an open section", cn, src + t->name);
		return NF_ERR_INVALID;
	}
	if (open->name_len != t->name_len ||
	    memcmp(src + open->name, src + t->name, t->name_len) != 0) {
		struct tmpl_error at;

		on = open->name_len > 40 ? 40 : (int)open->name_len;
		tmpl_error_at(&at, src, b->in->len, open->start, "-");
		tmpl_error_at(b->err, src, b->in->len, t->start,
			      "mismatched closing tag {{/%.*s}}: the open section is {{%c%.*s}} "
			      "from line %d", cn, src + t->name, open->type, on,
			      src + open->name, at.line);
		return NF_ERR_INVALID;
	}
	return NF_OK;
}

static int
add_tag(struct build *b, struct tmpl_nodes *l, unsigned depth, const struct tmpl_tok *t,
	const struct strip *strip)
{
	switch (t->type) {
	case 'v':
	case '&':
	case '{':
		return add_var(b, l, t);
	case '#':
	case '^':
		return add_section(b, l, depth, t, strip);
	case '>':
		return add_partial(b, l, t, strip);
	case '<':
		return add_parent(b, l, depth, t, strip);
	case '$':
		return add_block(b, l, depth, t, strip);
	}
	return NF_OK;
}

/* nodes up to the tag closing open (or to the end when open is NULL) */
static int
build_body(struct build *b, unsigned depth, const struct tmpl_tok *open,
	   const struct strip *strip, const struct tmpl_node **out, size_t *nout)
{
	struct tmpl_nodes l = { NULL, 0, 0 };
	const struct tmpl_tok *t;
	int rc = NF_OK, closed = 0;

	while (rc == NF_OK && !closed && b->i < b->s->n) {
		t = &b->s->tok[b->i++];
		if (t->type == TOK_TEXT) {
			rc = gather_text(b, t, strip);
			continue;
		}
		if (t->type == '!' || t->type == '=')
			continue;
		flush_text(b, &l);
		if (t->type == '/') {
			rc = close_tag(b, open, t);
			closed = 1;
		} else {
			rc = add_tag(b, &l, depth, t, strip);
		}
	}
	if (rc == NF_OK && open && !closed) {
		tmpl_error_at(b->err, b->in->src, b->in->len, open->start,
			      "unclosed section {{%c%.*s}}: no {{/%.*s}} before the end",
			      open->type, open->name_len > 40 ? 40 : (int)open->name_len,
			      b->in->src + open->name,
			      open->name_len > 40 ? 40 : (int)open->name_len,
			      b->in->src + open->name);
		rc = NF_ERR_INVALID;
	}
	if (rc == NF_OK)
		flush_text(b, &l);
	tmpl_nodes_done(b->in->t->arena, &l, out, nout);
	return rc;
}

int
tmpl_build(const struct tmpl_build_in *in, const struct tmpl_node **body, size_t *n,
	   struct tmpl_error *err)
{
	struct tmpl_scan s = { NULL, 0, 0 };
	struct strip none = { "", 0 };
	struct build b;
	int rc;

	memset(&b, 0, sizeof(b));
	b.in = in;
	b.s = &s;
	b.err = err;
	buf_init(&b.run, 0);
	rc = tmpl_scan(in->t->arena, in->src, in->len, in->delims, &s, err);
	if (rc == NF_OK) {
		tmpl_mark_standalone(in->src, in->len, &s);
		rc = build_body(&b, 0, NULL, &none, body, n);
	}
	buf_free(&b.run);
	tmpl_scan_free(&s);
	return rc;
}
