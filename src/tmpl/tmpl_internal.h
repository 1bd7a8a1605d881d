/*
 * tmpl/tmpl_internal.h - the compiled form, shared by the files of tmpl/ only
 *
 * Owns: the structures the compiler builds and the renderer walks. Nothing
 * outside src/tmpl/ includes this file; other modules see tmpl.h alone. It
 * exists because compiling (tags.c, lines.c, build.c, compile.c) and
 * rendering (render.c, inherit.c, value.c) are separate concerns that must
 * agree on one representation.
 *
 * Compilation runs in three passes over one source:
 *   tags.c   source -> tokens (text runs and tags), following delimiter changes
 *   lines.c  marks standalone lines and clips their white space and newline
 *   build.c  tokens -> a tree of nodes, names split into paths, blocks reindented
 */
#ifndef NEWSFLASH_TMPL_PRIVATE_H
#define NEWSFLASH_TMPL_PRIVATE_H

#include <string.h>

#include "tmpl.h"

/* the longest indentation a render may accumulate (nested standalone partials) */
#define TMPL_INDENT_MAX 4096
/* the most partials one template may name, all levels together */
#define TMPL_MAX_PARTIALS 1024
#define TMPL_DELIM_MAX 32

struct tmpl_delims {
	const char *open, *close;
	size_t olen, clen;
};

extern const struct tmpl_delims tmpl_default_delims;

/* ---- tokens (tags.c, lines.c) ---- */

#define TOK_TEXT 0	/* tags use their sigil: v (plain name), & { # ^ / ! = > < $ */

struct tmpl_tok {
	char type;
	unsigned char standalone;	/* alone on its line: the line is removed */
	size_t start, end;		/* text: the bytes; tag: open delimiter .. after close */
	size_t name, name_len;		/* tag: the content after the sigil, trimmed */
	size_t indent, indent_len;	/* standalone: the white space the line began with */
	size_t line_end;		/* standalone: where the next line starts */
	const struct tmpl_delims *delims;	/* in effect for this tag */
};

struct tmpl_scan {
	struct tmpl_tok *tok;
	size_t n, cap;
};

int tmpl_scan(struct arena *a, const char *src, size_t len, const struct tmpl_delims *d,
	      struct tmpl_scan *s, struct tmpl_error *err);
void tmpl_mark_standalone(const char *src, size_t len, struct tmpl_scan *s);
void tmpl_scan_free(struct tmpl_scan *s);
/* fill err with the line and column of pos in src and a message */
void tmpl_error_at(struct tmpl_error *err, const char *src, size_t len, size_t pos,
		   const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* ---- the compiled tree (build.c) ---- */

enum tmpl_node_kind {
	NODE_TEXT,
	NODE_VAR,	/* {{x}} {{{x}}} {{&x}} */
	NODE_SECTION,	/* {{#x}} */
	NODE_INVERTED,	/* {{^x}} */
	NODE_PARTIAL,	/* {{>x}} {{>*x}} */
	NODE_PARENT,	/* {{<x}}: body holds only its BLOCK nodes, the overrides */
	NODE_BLOCK,	/* {{$x}}: body is the default content */
	NODE_FRAMES,	/* tmpl_bind: render body with these frames and overrides */
};

struct tmpl_seg {
	const char *p;
	size_t len;
};

/* a dotted name split at compile time; nseg 0 is "." (the current item) */
struct tmpl_path {
	const char *name;
	size_t len;
	size_t nseg;
	const struct tmpl_seg *seg;
};

struct tmpl_node {
	unsigned char kind;
	unsigned char escape;		/* VAR: HTML-escape the value */
	unsigned char ends_line;	/* TEXT: the last byte is a newline */
	unsigned char dynamic;		/* PARTIAL, PARENT: path names the partial */
	int partial;			/* PARTIAL, PARENT: index in the root's table, -1 by name */
	const char *text;		/* TEXT: the bytes; PARTIAL, PARENT, BLOCK: the name */
	size_t len;
	struct tmpl_path path;		/* VAR, SECTION, INVERTED; dynamic PARTIAL, PARENT */
	const struct tmpl_node *body;	/* SECTION, INVERTED, PARENT, BLOCK */
	size_t nbody;
	const char *indent;		/* PARTIAL, PARENT, BLOCK: added at each line start */
	size_t indent_len;
	const char *raw;		/* SECTION: the source between the tags, for lambdas */
	size_t raw_len;
	const struct tmpl_delims *delims;	/* SECTION: for what a lambda returns */
	const struct tmpl_value *frames;	/* FRAMES: pushed bottom first */
	size_t nframes;
	const struct tmpl_node *const *parents;	/* FRAMES: the overrides, outermost first */
	size_t nparents;
};

enum tmpl_partial_state { PARTIAL_PENDING, PARTIAL_LOADED, PARTIAL_MISSING };

struct tmpl_partial {
	const char *name;
	size_t len;
	enum tmpl_partial_state state;
	const struct tmpl_node *body;
	size_t nbody;
};

struct tmpl {
	struct arena *arena;		/* nodes, names, sources: freed in one call */
	const struct tmpl_node *body;
	size_t nbody;
	struct tmpl_options opts;	/* with the defaults filled in */
	struct tmpl_partial *partials;	/* the root's table, by name */
	size_t npartials;
	struct tmpl_loaded *loaded;	/* tmpl_bind: partials it loaded, kept with it */
	const struct tmpl *root;	/* itself, or for a fragment the template it serves */
};

struct tmpl_build_in {
	struct tmpl *t;			/* arena, options, partial table */
	const char *src;		/* already in t's arena */
	size_t len;
	const struct tmpl_delims *delims;
	int fragment;			/* compiled while rendering: the table is read-only */
};

int tmpl_build(const struct tmpl_build_in *in, const struct tmpl_node **body, size_t *n,
	       struct tmpl_error *err);
/* the index of name in the root's table, adding it (unless fragment); -1 if full or unknown */
int tmpl_partial_ref(struct tmpl *t, const char *name, size_t len, int fragment);
int tmpl_partial_find(const struct tmpl *root, const char *name, size_t len);

/*
 * tmpl_fragment - compile text produced while rendering (a lambda's result,
 * a partial named by the data) against root's table and options.
 */
struct tmpl *tmpl_fragment(const struct tmpl *root, const char *src, size_t len,
			   const struct tmpl_delims *d, struct tmpl_error *err);
/* an empty template serving root (tmpl_bind fills it) */
struct tmpl *tmpl_derive(const struct tmpl *root);

/* a list of nodes growing while it is built, then moved into an arena */
struct tmpl_nodes {
	struct tmpl_node *v;
	size_t n, cap;
};

struct tmpl_node *tmpl_nodes_add(struct tmpl_nodes *l, enum tmpl_node_kind kind);
void tmpl_nodes_done(struct arena *a, struct tmpl_nodes *l, const struct tmpl_node **out,
		     size_t *n);
/* arena_alloc for an arena without a ceiling: it cannot fail */
void *tmpl_alloc(struct arena *a, size_t n);

/* ---- rendering (render.c, inherit.c, value.c) ---- */

struct tmpl_frame {
	struct tmpl_value v;
	const struct tmpl_frame *up;
};

/* the overrides in force: one link per parent tag being rendered, innermost first */
struct tmpl_ovr {
	const struct tmpl_node *parent;
	const struct tmpl_ovr *up;
};

struct tmpl_loaded {
	char *name;
	size_t len;
	struct tmpl *t;			/* NULL: the loader had no such partial */
	struct tmpl_loaded *next;
};

struct tmpl_render {
	const struct tmpl *root;
	struct buf *out;
	int pending;			/* at a line start: the indent is due */
	unsigned depth;			/* nested render calls */
	unsigned partial_depth;
	struct tmpl_loaded *loaded;	/* partials loaded during this render */
	size_t indent_len;
	char indent[TMPL_INDENT_MAX];
};

int tmpl_render_nodes(struct tmpl_render *r, const struct tmpl_node *nodes, size_t n,
		      const struct tmpl_frame *f, const struct tmpl_ovr *o);
int tmpl_render_partial(struct tmpl_render *r, const struct tmpl_node *nd,
			const struct tmpl_frame *f, const struct tmpl_ovr *o);
int tmpl_render_parent(struct tmpl_render *r, const struct tmpl_node *nd,
		       const struct tmpl_frame *f, const struct tmpl_ovr *o);
int tmpl_render_block(struct tmpl_render *r, const struct tmpl_node *nd,
		      const struct tmpl_frame *f, const struct tmpl_ovr *o);
int tmpl_render_frames(struct tmpl_render *r, const struct tmpl_node *nd,
		       const struct tmpl_frame *f, const struct tmpl_ovr *o);
/* the block whose content a {{$name}} renders: the outermost override, or itself */
const struct tmpl_node *tmpl_block_pick(const struct tmpl_node *nd, const struct tmpl_ovr *o);
/* the body of the partial nd names, for a render or for tmpl_bind (NULL: none) */
int tmpl_partial_body(const struct tmpl *root, struct tmpl_loaded **loaded,
		      const struct tmpl_node *nd, const char *name, size_t len,
		      const struct tmpl_node **body, size_t *n);
/* render a template compiled during this render (lambda result, dynamic partial) */
int tmpl_render_fragment(struct tmpl_render *r, const struct tmpl *frag,
			 const struct tmpl_frame *f, const struct tmpl_ovr *o);
int tmpl_indent_push(struct tmpl_render *r, const char *s, size_t n, size_t *saved);
void tmpl_loaded_free(struct tmpl_loaded *l);

/* the value of p in the stack f; a chain is searched layer by layer */
int tmpl_resolve(const struct tmpl_frame *f, const struct tmpl_path *p, struct tmpl_value *out);
/* p against one layer alone; found says whether its first part is there */
int tmpl_resolve_layer(const struct tmpl_value *layer, const struct tmpl_path *p,
		       struct tmpl_value *out, int *found);
int tmpl_truthy(const struct tmpl_value *v);

/*
 * tmpl_put - append to a render's output: the common case (room enough) is a
 * bare memcpy. The NUL that struct buf keeps after its bytes is written once,
 * when tmpl_render returns, not after every piece.
 */
static inline int
tmpl_put(struct buf *b, const char *p, size_t n)
{
	if (n < b->cap - b->len && n <= b->max - b->len) {
		memcpy(b->data + b->len, p, n);
		b->len += n;
		return NF_OK;
	}
	return buf_append(b, p, n);
}
#define TMPL_NUMBER_MAX 40
/* the text of a number, boolean or string value; 0 for anything else */
size_t tmpl_scalar_text(const struct tmpl_value *v, char num[TMPL_NUMBER_MAX], const char **text);

#endif
