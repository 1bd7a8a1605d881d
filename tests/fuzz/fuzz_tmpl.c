/*
 * fuzz_tmpl - the Mustache compiler and renderer on any bytes
 *
 * Compiles the input with a loader that serves a few fixed partials and the
 * input itself (as "self", so recursion is exercised), then renders it twice
 * against a small fixed context: JSON under a callback layer that has a
 * lambda and a dynamic partial name. Bad input must give an error value,
 * never a crash; both renders must agree byte for byte (a compiled template
 * does not change) and stay under the output ceiling. Then the template is
 * bound to the JSON layer (tmpl_bind, the callback layer's names varying):
 * when the plain render succeeds, the bound one must give the same bytes.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "tmpl/tmpl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define OUTPUT_MAX (256u << 10)

static const char *const partials[] = {
	"a", "{{x}}",
	"list", "{{#items}}<{{name}}>{{/items}}",
	"parent", "[{{$b}}default {{x}}{{/b}}]",
	"ind", "one\n  {{>a}}\ntwo\n",
	NULL,
};

struct input {
	const char *p;
	size_t n;
};

static int
loader(void *data, const char *name, size_t len, struct buf *src)
{
	const struct input *in = data;
	const char *const *p;

	if (len == 4 && memcmp(name, "self", 4) == 0)
		return buf_append(src, in->p, in->n);
	for (p = partials; *p; p += 2)
		if (strlen(p[0]) == len && memcmp(p[0], name, len) == 0)
			return buf_puts(src, p[1]);
	return NF_ERR_NOTFOUND;
}

static int
wrap(void *data, const char *text, size_t len, struct buf *out)
{
	(void)data;
	if (text == NULL)
		return buf_puts(out, "{{x}}");
	buf_puts(out, "(");
	buf_append(out, text, len);
	return buf_puts(out, ")");
}

static int
layer_lookup(const void *handle, const char *name, size_t len, struct tmpl_value *out)
{
	(void)handle;
	if (len == 4 && memcmp(name, "wrap", 4) == 0)
		tmpl_value_lambda(out, wrap, NULL);
	else if (len == 3 && memcmp(name, "dyn", 3) == 0)
		tmpl_value_string(out, "list", 4);
	else if (len == 5 && memcmp(name, "email", 5) == 0)
		tmpl_value_string(out, "a&b@example.org", 15);
	else
		tmpl_value_missing(out);
	return NF_OK;
}

static const struct tmpl_ops layer_ops = { layer_lookup, NULL };

static json_t *
context_json(void)
{
	static json_t *j;

	if (j == NULL)
		j = json_loads("{\"x\":\"<x&'\\\">\",\"n\":42,\"r\":1.5,\"t\":true,\"f\":false,"
			       "\"z\":null,\"s\":\"\",\"items\":[{\"name\":\"i1\"},{\"name\":\"i2\"}],"
			       "\"o\":{\"x\":\"inner\",\"o\":{\"x\":\"deep\"}},\"dyn2\":\"self\","
			       "\"l\":[1,[2,3],\"s\",{\"x\":4}]}", 0, NULL);
	return j;
}

/* the template bound to the JSON layer renders what the template renders */
static void
check_bound(const struct tmpl *t, const struct tmpl_value *fixed, const struct tmpl_value *ctx,
	    const struct buf *want)
{
	static const char *const varying[] = { "wrap", "dyn", "email" };
	struct tmpl *bound;
	struct buf out;

	if (tmpl_bind(t, fixed, varying, 3, &bound) != NF_OK)
		return;		/* too big to unroll: a limit, not a bug */
	buf_init(&out, OUTPUT_MAX);
	if (tmpl_render(bound, ctx, &out) != NF_OK || out.len != want->len ||
	    (out.len && memcmp(out.data, want->data, out.len) != 0))
		abort();
	buf_free(&out);
	tmpl_free(bound);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { (const char *)data, size };
	struct tmpl_options opts;
	struct tmpl_error err;
	struct tmpl_value layers[2], ctx;
	struct tmpl_chain chain = { layers, 2 };
	struct buf a, b;
	struct tmpl *t;
	int ra, rb;

	memset(&opts, 0, sizeof(opts));
	opts.loader = loader;
	opts.loader_data = &in;
	opts.max_partial_depth = 20;
	opts.escape = size && (data[0] & 1) ? TMPL_ESCAPE_NONE : TMPL_ESCAPE_HTML;
	t = tmpl_compile((const char *)data, size, &opts, &err);
	if (t == NULL) {
		if (err.line < 1 || err.col < 1 || err.message[0] == '\0')
			abort();	/* an error always says where and what */
		return 0;
	}
	tmpl_value_object(&layers[0], &layer_ops, NULL);
	tmpl_ctx_json(&layers[1], context_json());
	tmpl_ctx_chain(&ctx, &chain);
	buf_init(&a, OUTPUT_MAX);
	buf_init(&b, OUTPUT_MAX);
	ra = tmpl_render(t, &ctx, &a);
	rb = tmpl_render(t, &ctx, &b);
	if (ra != rb || a.len > OUTPUT_MAX || (ra == NF_OK && (a.len != b.len ||
	    (a.len && memcmp(a.data, b.data, a.len) != 0))))
		abort();
	if (ra == NF_OK)
		check_bound(t, &layers[1], &ctx, &a);
	buf_free(&a);
	buf_free(&b);
	tmpl_free(t);
	return 0;
}
