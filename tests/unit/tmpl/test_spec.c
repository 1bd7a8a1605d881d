/*
 * tests/unit/tmpl/test_spec.c - the official Mustache specification, run as it is
 *
 * Reads $NEWSFLASH_TESTDATA/mustache-spec/specs/NAME.json in place (never a
 * copy) and reports every case by "file: name". Each case's "partials" are
 * served by a loader, so partials go through the same path as in production.
 * The ~lambdas file gives each lambda as per-language source under
 * {"__tag__": "code"}; here each case has its C lambda instead, written in
 * this file from the case's description. When the data is absent every file
 * counts as skipped, not passed.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../harness.h"
#include "tmpl/tmpl.h"

/* ---- the spec's lambdas, in C ---- */

static int calls;	/* "Interpolation - Multiple Calls": not cached */

static int
lambda_world(void *data, const char *text, size_t len, struct buf *out)
{
	(void)data, (void)text, (void)len;
	return buf_puts(out, "world");
}

static int
lambda_planet(void *data, const char *text, size_t len, struct buf *out)
{
	(void)data, (void)text, (void)len;
	return buf_puts(out, "{{planet}}");
}

static int
lambda_alt_delims(void *data, const char *text, size_t len, struct buf *out)
{
	(void)data, (void)text, (void)len;
	return buf_puts(out, "|planet| => {{planet}}");
}

static int
lambda_count(void *data, const char *text, size_t len, struct buf *out)
{
	(void)data, (void)text, (void)len;
	return buf_printf(out, "%d", ++calls);
}

static int
lambda_gt(void *data, const char *text, size_t len, struct buf *out)
{
	(void)data, (void)text, (void)len;
	return buf_puts(out, ">");
}

static int
lambda_is_x(void *data, const char *text, size_t len, struct buf *out)
{
	(void)data;
	return buf_puts(out, len == 5 && memcmp(text, "{{x}}", 5) == 0 ? "yes" : "no");
}

static int
lambda_wrap_planet(void *data, const char *text, size_t len, struct buf *out)
{
	(void)data;
	buf_append(out, text, len);
	buf_puts(out, "{{planet}}");
	return buf_append(out, text, len);
}

static int
lambda_wrap_alt(void *data, const char *text, size_t len, struct buf *out)
{
	(void)data;
	buf_append(out, text, len);
	buf_puts(out, "{{planet}} => |planet|");
	return buf_append(out, text, len);
}

static int
lambda_underscores(void *data, const char *text, size_t len, struct buf *out)
{
	(void)data;
	buf_puts(out, "__");
	buf_append(out, text, len);
	return buf_puts(out, "__");
}

static int
lambda_false(void *data, const char *text, size_t len, struct buf *out)
{
	(void)data, (void)text, (void)len, (void)out;
	return NF_OK;	/* never called: a lambda is true in an inverted section */
}

static const struct {
	const char *test;
	tmpl_lambda_fn fn;
} spec_lambdas[] = {
	{ "Interpolation", lambda_world },
	{ "Interpolation - Expansion", lambda_planet },
	{ "Interpolation - Alternate Delimiters", lambda_alt_delims },
	{ "Interpolation - Multiple Calls", lambda_count },
	{ "Escaping", lambda_gt },
	{ "Section", lambda_is_x },
	{ "Section - Expansion", lambda_wrap_planet },
	{ "Section - Alternate Delimiters", lambda_wrap_alt },
	{ "Section - Multiple Calls", lambda_underscores },
	{ "Inverted Section", lambda_false },
};

static tmpl_lambda_fn current_lambda;

static int
is_code(const json_t *v)
{
	const json_t *tag = json_object_get(v, "__tag__");

	return json_is_string(tag) && strcmp(json_string_value(tag), "code") == 0;
}

/* the JSON context, but a {"__tag__": "code"} member is the case's C lambda */
static int
lambda_lookup(const void *handle, const char *name, size_t len, struct tmpl_value *out)
{
	const json_t *v = json_object_getn((const json_t *)handle, name, len);

	if (v && json_is_object(v) && is_code(v))
		tmpl_value_lambda(out, current_lambda, NULL);
	else
		tmpl_ctx_json(out, v);
	return NF_OK;
}

static const struct tmpl_ops lambda_ops = { lambda_lookup, NULL };

/* ---- tmpl_bind: the same cases through a bound template ---- */

enum mode { PLAIN, BOUND_FIXED, BOUND_VARYING };

/* a layer answering only the names in keys, from the JSON object data */
struct varying {
	const json_t *data;
	const char *keys[64];
	size_t nkeys;
	int lambdas;
};

static int
varying_lookup(const void *handle, const char *name, size_t len, struct tmpl_value *out)
{
	const struct varying *v = handle;
	size_t i;

	for (i = 0; i < v->nkeys; i++)
		if (strlen(v->keys[i]) == len && memcmp(v->keys[i], name, len) == 0)
			return v->lambdas ? lambda_lookup(v->data, name, len, out)
					  : (tmpl_ctx_json(out, json_object_getn(v->data, name, len)), NF_OK);
	tmpl_value_missing(out);
	return NF_OK;
}

static const struct tmpl_ops varying_ops = { varying_lookup, NULL };

/*
 * Bind t with the case's data as the fixed layer and, in BOUND_VARYING, every
 * top-level key as a varying name (so nothing at the top folds), then render
 * the bound template with the varying layer chained over the data.
 */
static int
render_bound(const struct tmpl *t, enum mode mode, const json_t *data,
	     const struct tmpl_value *fixed, int lambdas, struct buf *out)
{
	struct varying var = { data, { 0 }, 0, lambdas };
	struct tmpl_value layers[2], ctx;
	struct tmpl_chain chain = { layers, 2 };
	const char *key;
	json_t *value;
	struct tmpl *bound;
	int rc;

	if (mode == BOUND_VARYING && json_is_object(data))
		json_object_foreach((json_t *)data, key, value)
			if (var.nkeys < 64)
				var.keys[var.nkeys++] = key;
	rc = tmpl_bind(t, fixed, var.keys, var.nkeys, &bound);
	if (rc != NF_OK)
		return rc;
	if (json_is_object(data)) {
		tmpl_value_object(&layers[0], &varying_ops, &var);
		layers[1] = *fixed;
		tmpl_ctx_chain(&ctx, &chain);
	} else {
		ctx = *fixed;
	}
	rc = tmpl_render(bound, &ctx, out);
	tmpl_free(bound);
	return rc;
}

/* ---- the runner ---- */

static int
spec_loader(void *data, const char *name, size_t len, struct buf *src)
{
	const json_t *p = data ? json_object_getn(data, name, len) : NULL;

	if (!json_is_string(p))
		return NF_ERR_NOTFOUND;
	return buf_append(src, json_string_value(p), json_string_length(p));
}

/* bytes made visible for a failure message */
static void
show(struct buf *b, const char *s, size_t n)
{
	size_t i;

	buf_putc(b, '"');
	for (i = 0; i < n && b->len < 600; i++) {
		if (s[i] == '\n')
			buf_puts(b, "\\n");
		else if (s[i] == '\r')
			buf_puts(b, "\\r");
		else if (s[i] == '\t')
			buf_puts(b, "\\t");
		else
			buf_putc(b, s[i]);
	}
	buf_putc(b, '"');
}

static void
run_case(const char *file, const json_t *tc, const char *name, enum mode mode)
{
	const json_t *data = json_object_get(tc, "data"), *want = json_object_get(tc, "expected");
	const char *src = json_string_value(json_object_get(tc, "template"));
	struct tmpl_options opts;
	struct tmpl_error err;
	struct tmpl_value ctx;
	struct buf out, detail;
	struct tmpl *t;
	int rc = NF_ERR, ok = 0;
	size_t i;

	memset(&opts, 0, sizeof(opts));
	opts.loader = spec_loader;
	opts.loader_data = json_object_get(tc, "partials");
	buf_init(&out, 1 << 20);
	buf_init(&detail, 0);
	tmpl_ctx_json(&ctx, data);
	if (strcmp(file, "~lambdas") == 0) {
		current_lambda = NULL;
		for (i = 0; i < sizeof(spec_lambdas) / sizeof(spec_lambdas[0]); i++)
			if (strcmp(spec_lambdas[i].test, json_string_value(json_object_get(tc, "name"))) == 0)
				current_lambda = spec_lambdas[i].fn;
		calls = 0;
		tmpl_value_object(&ctx, &lambda_ops, data);
	}
	t = tmpl_compile(src, strlen(src), &opts, &err);
	if (t == NULL) {
		buf_printf(&detail, "compile error %d:%d: %s", err.line, err.col, err.message);
	} else {
		if (mode == PLAIN)
			rc = tmpl_render(t, &ctx, &out);
		else
			rc = render_bound(t, mode, data, &ctx, ctx.u.ref.ops == &lambda_ops, &out);
		ok = rc == NF_OK && out.len == json_string_length(want) &&
		     memcmp(out.data ? out.data : "", json_string_value(want), out.len) == 0;
		if (!ok) {
			buf_printf(&detail, "render %d: want ", rc);
			show(&detail, json_string_value(want), json_string_length(want));
			buf_puts(&detail, " got ");
			show(&detail, out.data ? out.data : "", out.len);
		}
	}
	{
		char label[256];

		snprintf(label, sizeof(label), "%s%s: %s", mode == PLAIN ? "" :
			 mode == BOUND_FIXED ? "bound, fixed data, " : "bound, varying keys, ",
			 file, name);
		test_case_result(label, ok, detail.data);
	}
	tmpl_free(t);
	buf_free(&out);
	buf_free(&detail);
}

static void
run_spec_as(const char *file, enum mode mode)
{
	char path[1024], name[200];
	json_error_t jerr;
	json_t *root, *tests, *tc;
	size_t i, k, same;

	snprintf(path, sizeof(path), "%s/mustache-spec/specs/%s.json", test_data_dir(), file);
	root = json_load_file(path, 0, &jerr);
	if (root == NULL) {
		test_case_skipped(file, "no spec data: ../shared/testdata/mustache-spec is absent");
		return;
	}
	tests = json_object_get(root, "tests");
	json_array_foreach(tests, i, tc) {
		const char *n = json_string_value(json_object_get(tc, "name"));

		for (same = 0, k = 0; k < i; k++)	/* two cases share a name in ~inheritance */
			same += strcmp(n, json_string_value(json_object_get(json_array_get(tests, k),
									     "name"))) == 0;
		if (same)
			snprintf(name, sizeof(name), "%s (%zu)", n, same + 1);
		else
			snprintf(name, sizeof(name), "%s", n);
		run_case(file, tc, name, mode);
	}
	json_decref(root);
}

static void
run_spec(const char *file)
{
	run_spec_as(file, PLAIN);
}

/* tmpl_bind must not change what a template renders: every case again, bound two ways */
static void
run_bound(const char *file)
{
	run_spec_as(file, BOUND_FIXED);
	run_spec_as(file, BOUND_VARYING);
}

TEST(spec_comments) { run_spec("comments"); }
TEST(spec_delimiters) { run_spec("delimiters"); }
TEST(spec_interpolation) { run_spec("interpolation"); }
TEST(spec_inverted) { run_spec("inverted"); }
TEST(spec_partials) { run_spec("partials"); }
TEST(spec_sections) { run_spec("sections"); }
TEST(spec_inheritance) { run_spec("~inheritance"); }
TEST(spec_dynamic_names) { run_spec("~dynamic-names"); }
TEST(spec_lambdas) { run_spec("~lambdas"); }

TEST(spec_bound_comments) { run_bound("comments"); }
TEST(spec_bound_delimiters) { run_bound("delimiters"); }
TEST(spec_bound_interpolation) { run_bound("interpolation"); }
TEST(spec_bound_inverted) { run_bound("inverted"); }
TEST(spec_bound_partials) { run_bound("partials"); }
TEST(spec_bound_sections) { run_bound("sections"); }
TEST(spec_bound_inheritance) { run_bound("~inheritance"); }
TEST(spec_bound_dynamic_names) { run_bound("~dynamic-names"); }
TEST(spec_bound_lambdas) { run_bound("~lambdas"); }
