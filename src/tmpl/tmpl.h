/*
 * tmpl/tmpl.h - the Mustache engine: compile once, render many times
 *
 * Owns: turning Mustache template text into an immutable compiled form and
 * rendering that form against a context, with HTML escaping, partials,
 * template inheritance (parents and blocks), dynamic names and lambdas.
 * Follows the Mustache specification v1.4 (github.com/mustache/spec):
 * comments, delimiters, interpolation, inverted, partials, sections and the
 * optional ~inheritance, ~dynamic-names and ~lambdas modules.
 * Does not own: where templates come from (a loader callback says) or what
 * the data means (a context interface says).
 *
 * Why hand-written: Debian ships no C Mustache library that compiles a
 * template once and renders it fast against a C callback context. The fan-out
 * engine renders one compiled alert for a million subscribers, supplying
 * {{unsubscribe_url}} and {{email}} from its own structs, without building a
 * JSON document per subscriber.
 *
 * Guarantees other modules rely on:
 * - A struct tmpl is immutable once tmpl_compile returns. Any number of
 *   threads may call tmpl_render on the same template at once; a render keeps
 *   all of its state on its own stack and in its own allocations. (Callbacks
 *   you supply - lookups, lambdas, the loader for dynamic partial names - run
 *   on the rendering thread and must be as thread-safe as your use needs.)
 * - Static text costs one memcpy per render: it is stored as ready-made
 *   segments, and names are split into dotted paths at compile time.
 * - Errors are values: tmpl_compile fills a struct tmpl_error with the line,
 *   column and a message (unclosed section, mismatched closing tag, bad
 *   delimiter change, unclosed tag, bad tag name, nesting too deep).
 * - Partials ({{>name}}, and parents {{<name}}) are loaded through the
 *   loader at compile time, once each, and compiled into the template;
 *   names known only at render time ({{>*name}}) are loaded at render time
 *   and dropped when the render ends. An unknown partial renders as empty.
 * - Bounded: section nesting (max_nesting, default 100) at compile time,
 *   partial/parent/lambda nesting (max_partial_depth, default 100) at render
 *   time, and the render's recursion overall (TMPL_STACK_MAX): past a bound a
 *   render returns NF_ERR_LIMIT, it never overflows the stack. Output is
 *   capped by the ceiling of the caller's struct buf: past it tmpl_render
 *   returns NF_ERR_LIMIT.
 * - {{name}} escapes & < > " ' for HTML (&amp; &lt; &gt; &quot; &#39;);
 *   {{{name}}} and {{&name}} do not. A template compiled with
 *   TMPL_ESCAPE_NONE (plain-text email) never escapes.
 * - Tags may be padded: "{{ #x }}" is the section x, as in mustache.js.
 *
 * Truthiness (sections): missing, null, false, 0, "" and [] are false, as
 * in mustache.js; anything else is true.
 */
#ifndef NEWSFLASH_TMPL_H
#define NEWSFLASH_TMPL_H

#include <stddef.h>

#include "core/core.h"

struct json_t;		/* jansson */
struct tmpl;

/* ---- the context: values handed to the renderer ---- */

enum tmpl_type {
	TMPL_MISSING = 0,	/* no such name here: the lookup goes on below */
	TMPL_NULL,		/* present, renders as nothing, false */
	TMPL_BOOL,
	TMPL_INT,
	TMPL_REAL,
	TMPL_STRING,
	TMPL_OBJECT,		/* names looked up through ops->lookup */
	TMPL_LIST,		/* count items fetched through ops->item */
	TMPL_LAMBDA,		/* a C function called at render time */
};

struct tmpl_value;

/*
 * The context interface. A provider describes an object or a list with a
 * table of operations and an opaque handle. lookup fills out with the member
 * called name (len bytes, not NUL-terminated), or sets out->type to
 * TMPL_MISSING. item fills out with item i of a list (i < count). Both return
 * NF_OK, or another status that stops the render and is returned by it.
 * Strings handed out are borrowed: they must stay valid until tmpl_render
 * returns.
 */
struct tmpl_ops {
	int (*lookup)(const void *handle, const char *name, size_t len,
		      struct tmpl_value *out);
	int (*item)(const void *handle, size_t i, struct tmpl_value *out);
};

/*
 * A lambda. For {{name}} it is called with text == NULL; for a section
 * {{#name}}...{{/name}} with the section's raw, unrendered source. It appends
 * a template to result, which is compiled and rendered in place: with the
 * default delimiters for {{name}} (then escaped as the tag says), with the
 * section's delimiters for a section. In an inverted section a lambda is
 * true and is not called. Returning other than NF_OK stops the render.
 */
typedef int (*tmpl_lambda_fn)(void *data, const char *text, size_t len,
			      struct buf *result);

struct tmpl_value {
	enum tmpl_type type;
	union {
		int boolean;
		long long integer;
		double real;
		struct {
			const char *ptr;
			size_t len;
		} str;
		struct {
			const struct tmpl_ops *ops;
			const void *handle;
			size_t count;		/* TMPL_LIST only */
		} ref;
		struct {
			tmpl_lambda_fn fn;
			void *data;
		} lambda;
	} u;
};

static inline void
tmpl_value_missing(struct tmpl_value *v)
{
	v->type = TMPL_MISSING;
}

static inline void
tmpl_value_null(struct tmpl_value *v)
{
	v->type = TMPL_NULL;
}

static inline void
tmpl_value_bool(struct tmpl_value *v, int b)
{
	v->type = TMPL_BOOL;
	v->u.boolean = b != 0;
}

static inline void
tmpl_value_int(struct tmpl_value *v, long long i)
{
	v->type = TMPL_INT;
	v->u.integer = i;
}

static inline void
tmpl_value_real(struct tmpl_value *v, double d)
{
	v->type = TMPL_REAL;
	v->u.real = d;
}

/* s is borrowed until the render returns */
static inline void
tmpl_value_string(struct tmpl_value *v, const char *s, size_t len)
{
	v->type = TMPL_STRING;
	v->u.str.ptr = s;
	v->u.str.len = len;
}

static inline void
tmpl_value_object(struct tmpl_value *v, const struct tmpl_ops *ops, const void *handle)
{
	v->type = TMPL_OBJECT;
	v->u.ref.ops = ops;
	v->u.ref.handle = handle;
	v->u.ref.count = 0;
}

static inline void
tmpl_value_list(struct tmpl_value *v, const struct tmpl_ops *ops, const void *handle,
		size_t count)
{
	v->type = TMPL_LIST;
	v->u.ref.ops = ops;
	v->u.ref.handle = handle;
	v->u.ref.count = count;
}

static inline void
tmpl_value_lambda(struct tmpl_value *v, tmpl_lambda_fn fn, void *data)
{
	v->type = TMPL_LAMBDA;
	v->u.lambda.fn = fn;
	v->u.lambda.data = data;
}

/* tmpl_ctx_json - a jansson value as a context (borrowed, not copied) */
void tmpl_ctx_json(struct tmpl_value *out, const struct json_t *json);

/*
 * A chained context: an object whose names are looked up in each layer in
 * turn, the first layer that has the name winning. The fan-out engine puts a
 * callback layer with the per-subscriber fields ({{email}},
 * {{unsubscribe_url}}) over the article's JSON. The chain and its layers are
 * borrowed for as long as the value is used.
 */
struct tmpl_chain {
	const struct tmpl_value *layers;
	size_t count;
};

void tmpl_ctx_chain(struct tmpl_value *out, const struct tmpl_chain *chain);

/* ---- compiling ---- */

/*
 * A loader appends the source of the partial called name (len bytes) to src
 * and returns NF_OK, NF_ERR_NOTFOUND when there is no such partial (it then
 * renders as empty), or another status, which fails the compile. src has a
 * ceiling (max_source); a bigger partial is NF_ERR_LIMIT.
 */
typedef int (*tmpl_loader_fn)(void *data, const char *name, size_t len, struct buf *src);

/* tmpl_load_dir - a loader reading DIR/NAME.mustache; data is the DIR string */
int tmpl_load_dir(void *dir, const char *name, size_t len, struct buf *src);

enum tmpl_escape {
	TMPL_ESCAPE_HTML = 0,	/* {{x}} escapes & < > " ' */
	TMPL_ESCAPE_NONE,	/* plain text: {{x}} is raw */
};

#define TMPL_DEFAULT_DEPTH 100
#define TMPL_DEPTH_LIMIT 1000	/* the most max_nesting and max_partial_depth may be */
#define TMPL_STACK_MAX 1200	/* nested render calls in all, whatever the options */
#define TMPL_DEFAULT_MAX_SOURCE (4u << 20)

/* zeroed options are the defaults; a NULL pointer to options too */
struct tmpl_options {
	tmpl_loader_fn loader;		/* NULL: every partial is unknown */
	void *loader_data;		/* must outlive the template */
	enum tmpl_escape escape;
	unsigned max_nesting;		/* sections within sections; 0 = 100 */
	unsigned max_partial_depth;	/* partials within partials; 0 = 100 */
	size_t max_source;		/* bytes per partial; 0 = 4 MiB */
};

#define TMPL_ERROR_MESSAGE_MAX 160
#define TMPL_ERROR_NAME_MAX 128

struct tmpl_error {
	int line;			/* 1-based */
	int col;			/* 1-based, in characters */
	char partial[TMPL_ERROR_NAME_MAX];	/* "" for the template itself */
	char message[TMPL_ERROR_MESSAGE_MAX];
};

/*
 * tmpl_compile - parse src (len bytes, any content) and every partial it
 * names into an immutable template. Returns NULL and fills err (when not
 * NULL) on a syntax error or a failing loader. opts is copied; NULL means the
 * defaults.
 */
struct tmpl *tmpl_compile(const char *src, size_t len, const struct tmpl_options *opts,
			  struct tmpl_error *err);

/*
 * tmpl_render - append the rendering of t against ctx to out. ctx may be
 * NULL (an empty context). Returns NF_OK; NF_ERR_LIMIT past out's ceiling or
 * a depth bound; NF_ERR_INVALID when a lambda or a dynamic partial yields a
 * template that does not compile (logged); or what a callback returned. On
 * error out holds a partial rendering.
 */
int tmpl_render(const struct tmpl *t, const struct tmpl_value *ctx, struct buf *out);

void tmpl_free(struct tmpl *t);

/*
 * tmpl_bind - specialise t for a context layer that stays the same over many
 * renders (an alert's article and site fields), so that each render is
 * little more than a memcpy. Every tag whose value comes from fixed is
 * rendered once into static text, sections over fixed data are unrolled,
 * partials, parents and blocks inlined; what is left are the tags naming one
 * of the varying names (the per-subscriber fields: "email",
 * "unsubscribe_url"...) and whatever cannot be decided ahead (lambdas,
 * sections on varying names, indented partials), kept as they were.
 *
 * Render *out with the context you would give t: a layer answering the
 * varying names (and no others) chained over fixed; the output is the same.
 * *out borrows t and fixed's data: both must outlive it. It is immutable and
 * may be rendered by threads at once, and is freed with tmpl_free. Returns
 * NF_OK, NF_ERR_LIMIT (recursion, or more than 64 MiB of static text), or
 * what a lookup callback returned; on error *out is NULL.
 */
int tmpl_bind(const struct tmpl *t, const struct tmpl_value *fixed,
	      const char *const *varying, size_t nvarying, struct tmpl **out);

/* tmpl_escape_html - append s with & < > " ' replaced by entities */
int tmpl_escape_html(struct buf *out, const char *s, size_t n);

#endif
