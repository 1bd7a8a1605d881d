/*
 * tests/unit/tmpl/test_tmpl.c - the Mustache engine beyond the spec
 *
 * Errors as values with line and column, the bounds (nesting, partial
 * recursion, output ceiling), HTML escaping, the callback and chained
 * contexts the fan-out engine uses, padded tags as mustache.js reads them,
 * and concurrent renders of one compiled template.
 */
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../harness.h"
#include "tmpl/tmpl.h"

/* render src against JSON text (NULL: no context) into out; the status of compile or render */
static int
render_json(const char *src, const char *json, const struct tmpl_options *opts,
	    struct buf *out, struct tmpl_error *err)
{
	struct tmpl_value ctx;
	struct tmpl *t;
	json_t *data = json ? json_loads(json, 0, NULL) : NULL;
	int rc;

	t = tmpl_compile(src, strlen(src), opts, err);
	if (t == NULL) {
		json_decref(data);
		return NF_ERR_INVALID;
	}
	tmpl_ctx_json(&ctx, data);
	rc = tmpl_render(t, data ? &ctx : NULL, out);
	tmpl_free(t);
	json_decref(data);
	return rc;
}

/* the rendering as a string ("" on any error), for short checks */
static const char *
render(const char *src, const char *json)
{
	static char text[4096];
	struct buf out;

	buf_init(&out, sizeof(text) - 1);
	if (render_json(src, json, NULL, &out, NULL) != NF_OK)
		buf_reset(&out);
	snprintf(text, sizeof(text), "%s", out.data ? out.data : "");
	buf_free(&out);
	return text;
}

static int
compile_error(const char *src, struct tmpl_error *err)
{
	struct tmpl *t = tmpl_compile(src, strlen(src), NULL, err);

	tmpl_free(t);
	return t == NULL;
}

/* ---- errors ---- */

TEST(tmpl_error_unclosed_section_points_at_the_open_tag)
{
	struct tmpl_error err;

	CHECK(compile_error("line one\n  {{#items}}\n{{name}}\n", &err));
	CHECK_INT(err.line, 2);
	CHECK_INT(err.col, 3);
	CHECK(strstr(err.message, "unclosed section {{#items}}") != NULL);
}

TEST(tmpl_error_mismatched_close_points_at_the_close_tag)
{
	struct tmpl_error err;

	CHECK(compile_error("{{#a}}\n{{#b}}x{{/a}}{{/b}}", &err));
	CHECK_INT(err.line, 2);
	CHECK_INT(err.col, 8);
	CHECK(strstr(err.message, "mismatched closing tag {{/a}}") != NULL);
	CHECK(strstr(err.message, "{{#b}} from line 2") != NULL);
}

TEST(tmpl_error_close_without_open)
{
	struct tmpl_error err;

	CHECK(compile_error("ok\nthen {{/x}}", &err));
	CHECK_INT(err.line, 2);
	CHECK_INT(err.col, 6);
	CHECK(strstr(err.message, "without an open section") != NULL);
}

TEST(tmpl_error_unclosed_tag)
{
	struct tmpl_error err;

	CHECK(compile_error("Hello {{name", &err));
	CHECK_INT(err.line, 1);
	CHECK_INT(err.col, 7);
	CHECK(strstr(err.message, "unclosed tag") != NULL);
	CHECK(compile_error("{{{raw}}", &err));
	CHECK(strstr(err.message, "'}}}'") != NULL);
}

TEST(tmpl_error_bad_delimiter_change)
{
	struct tmpl_error err;

	CHECK(compile_error("a\n{{=<% %> x=}}", &err));
	CHECK_INT(err.line, 2);
	CHECK_INT(err.col, 1);
	CHECK(strstr(err.message, "bad delimiter change") != NULL);
	CHECK(compile_error("{{=<%%>=}}", &err));		/* one delimiter */
	CHECK(compile_error("{{=<= =>=}}", &err));		/* '=' inside */
	CHECK(compile_error("{{=<% %>}}", &err));		/* no closing '=' */
	CHECK(strstr(err.message, "unclosed tag") != NULL);
}

TEST(tmpl_error_names)
{
	struct tmpl_error err;

	CHECK(compile_error("{{}}", &err));
	CHECK(strstr(err.message, "without a name") != NULL);
	CHECK(compile_error("{{#}}{{/}}", &err));
	CHECK(compile_error("{{first name}}", &err));
	CHECK(strstr(err.message, "white space inside the tag name 'first name'") != NULL);
	CHECK(compile_error("{{a..b}}", &err));
	CHECK(strstr(err.message, "empty part") != NULL);
	CHECK(compile_error("{{.a}}", &err));
	CHECK(compile_error("{{a.}}", &err));
}

TEST(tmpl_error_columns_count_characters)
{
	struct tmpl_error err;

	CHECK(compile_error("\xc3\xa9t\xc3\xa9 {{#x}}", &err));	/* "été " */
	CHECK_INT(err.line, 1);
	CHECK_INT(err.col, 5);
}

static int
map_loader(void *data, const char *name, size_t len, struct buf *src)
{
	const char *const *p;

	for (p = data; *p; p += 2)
		if (strlen(p[0]) == len && memcmp(p[0], name, len) == 0)
			return buf_puts(src, p[1]);
	return NF_ERR_NOTFOUND;
}

TEST(tmpl_error_in_a_partial_names_the_partial)
{
	const char *partials[] = { "header", "<h1>\n{{#title}}{{/titel}}", NULL };
	struct tmpl_options opts = { 0 };
	struct tmpl_error err;

	opts.loader = map_loader;
	opts.loader_data = partials;
	CHECK(tmpl_compile("{{>header}}", 11, &opts, &err) == NULL);
	CHECK_STR(err.partial, "header");
	CHECK_INT(err.line, 2);
	CHECK_INT(err.col, 11);
}

static int
failing_loader(void *data, const char *name, size_t len, struct buf *src)
{
	(void)data, (void)name, (void)len, (void)src;
	return NF_ERR_IO;
}

TEST(tmpl_loader_failure_fails_the_compile_missing_renders_empty)
{
	const char *none[] = { NULL };
	struct tmpl_options opts = { 0 };
	struct tmpl_error err;
	struct buf out;

	opts.loader = failing_loader;
	CHECK(tmpl_compile("{{>x}}", 6, &opts, &err) == NULL);
	CHECK_STR(err.partial, "x");
	opts.loader = map_loader;
	opts.loader_data = none;
	buf_init(&out, 0);
	CHECK_INT(render_json("[{{>nobody}}]", NULL, &opts, &out, NULL), NF_OK);
	CHECK_STR(out.data, "[]");
	buf_free(&out);
}

/* ---- limits ---- */

static char *
nested_sections(int depth)
{
	struct buf b;
	int i;

	buf_init(&b, 0);
	for (i = 0; i < depth; i++)
		buf_puts(&b, "{{#a}}");
	buf_puts(&b, "x");
	for (i = 0; i < depth; i++)
		buf_puts(&b, "{{/a}}");
	return buf_steal(&b, NULL);
}

TEST(tmpl_limit_nesting)
{
	struct tmpl_options opts = { 0 };
	struct tmpl_error err;
	struct buf out;
	char *ok = nested_sections(100), *deep = nested_sections(101);

	buf_init(&out, 0);
	CHECK_INT(render_json(ok, "{\"a\":true}", NULL, &out, &err), NF_OK);
	CHECK_STR(out.data, "x");
	CHECK(compile_error(deep, &err));
	CHECK(strstr(err.message, "nested more than 100 deep") != NULL);
	CHECK_INT(err.col, 601);
	opts.max_nesting = 3;
	buf_reset(&out);
	CHECK_INT(render_json("{{#a}}{{#b}}{{#c}}x{{/c}}{{/b}}{{/a}}", "{\"a\":1,\"b\":1,\"c\":1}",
			      &opts, &out, &err), NF_OK);
	CHECK_STR(out.data, "x");
	CHECK(tmpl_compile("{{#a}}{{#b}}{{#c}}{{#d}}{{/d}}{{/c}}{{/b}}{{/a}}", 48, &opts, &err) == NULL);
	CHECK(strstr(err.message, "nested more than 3 deep") != NULL);
	free(ok);
	free(deep);
	buf_free(&out);
}

TEST(tmpl_limit_partial_recursion)
{
	/* a partial that includes itself for ever, and one that stops when the data ends */
	const char *partials[] = { "forever", "<{{>forever}}>", "node",
				   "{{n}}{{#kids}}({{>node}}){{/kids}}", NULL };
	struct tmpl_options opts = { 0 };
	struct buf out;

	opts.loader = map_loader;
	opts.loader_data = partials;
	buf_init(&out, 0);
	CHECK_INT(render_json("{{>forever}}", NULL, &opts, &out, NULL), NF_ERR_LIMIT);
	buf_reset(&out);
	opts.max_partial_depth = 3;
	CHECK_INT(render_json("{{>node}}", "{\"n\":1,\"kids\":[{\"n\":2,\"kids\":[{\"n\":3,\"kids\":[]}]}]}",
			      &opts, &out, NULL), NF_OK);
	CHECK_STR(out.data, "1(2(3))");
	buf_reset(&out);
	CHECK_INT(render_json("{{>node}}",
			      "{\"n\":1,\"kids\":[{\"n\":2,\"kids\":[{\"n\":3,\"kids\":[{\"n\":4,\"kids\":[]}]}]}]}",
			      &opts, &out, NULL), NF_ERR_LIMIT);
	buf_free(&out);
}

TEST(tmpl_limit_dynamic_and_parent_recursion)
{
	const char *partials[] = { "me", "{{>*name}}", "up", "{{<up}}{{/up}}", NULL };
	struct tmpl_options opts = { 0 };
	struct buf out;

	opts.loader = map_loader;
	opts.loader_data = partials;
	buf_init(&out, 0);
	CHECK_INT(render_json("{{>*name}}", "{\"name\":\"me\"}", &opts, &out, NULL), NF_ERR_LIMIT);
	CHECK_INT(render_json("{{<up}}{{/up}}", NULL, &opts, &out, NULL), NF_ERR_LIMIT);
	buf_free(&out);
}

static int
lambda_again(void *data, const char *text, size_t len, struct buf *out)
{
	(void)data, (void)text, (void)len;
	return buf_puts(out, "+{{again}}");
}

static int
again_lookup(const void *h, const char *name, size_t len, struct tmpl_value *out)
{
	(void)h;
	if (len == 5 && memcmp(name, "again", 5) == 0)
		tmpl_value_lambda(out, lambda_again, NULL);
	else
		tmpl_value_missing(out);
	return NF_OK;
}

TEST(tmpl_limit_lambda_recursion)
{
	static const struct tmpl_ops ops = { again_lookup, NULL };
	struct tmpl_value ctx;
	struct tmpl *t = tmpl_compile("{{again}}", 9, NULL, NULL);
	struct buf out;

	CHECK(t != NULL);
	buf_init(&out, 0);
	tmpl_value_object(&ctx, &ops, NULL);
	CHECK_INT(tmpl_render(t, &ctx, &out), NF_ERR_LIMIT);
	tmpl_free(t);
	buf_free(&out);
}

TEST(tmpl_limit_output_ceiling)
{
	struct buf out;

	buf_init(&out, 10);
	CHECK_INT(render_json("0123456789", NULL, NULL, &out, NULL), NF_OK);
	buf_reset(&out);
	CHECK_INT(render_json("01234567890", NULL, NULL, &out, NULL), NF_ERR_LIMIT);
	buf_reset(&out);
	CHECK_INT(render_json("{{#l}}{{.}}{{/l}}", "{\"l\":[\"abc\",\"def\",\"ghi\",\"jkl\"]}",
			      NULL, &out, NULL), NF_ERR_LIMIT);
	CHECK(out.len <= 10);
	buf_reset(&out);
	CHECK_INT(render_json("{{x}}", "{\"x\":\"<<<\"}", NULL, &out, NULL), NF_ERR_LIMIT);
	buf_free(&out);
}

/* ---- escaping ---- */

TEST(tmpl_escape_html_by_default)
{
	const char *data = "{\"x\":\"a & b < c > d \\\" e ' f\"}";

	CHECK_STR(render("{{x}}", data), "a &amp; b &lt; c &gt; d &quot; e &#39; f");
	CHECK_STR(render("{{{x}}}", data), "a & b < c > d \" e ' f");
	CHECK_STR(render("{{&x}}", data), "a & b < c > d \" e ' f");
	CHECK_STR(render("{{ & x }}|{{{ x }}}", "{\"x\":\"<\"}"), "<|<");
	CHECK_STR(render("{{x}}", "{\"x\":\"caf\xc3\xa9 \xe2\x80\x94 ok\"}"), "caf\xc3\xa9 \xe2\x80\x94 ok");
}

TEST(tmpl_escape_none_for_plain_text)
{
	struct tmpl_options opts = { 0 };
	struct buf out;

	opts.escape = TMPL_ESCAPE_NONE;
	buf_init(&out, 0);
	CHECK_INT(render_json("{{x}}", "{\"x\":\"Tom & Jerry <3\"}", &opts, &out, NULL), NF_OK);
	CHECK_STR(out.data, "Tom & Jerry <3");
	buf_free(&out);
}

TEST(tmpl_escape_function)
{
	struct buf out;

	buf_init(&out, 0);
	CHECK_INT(tmpl_escape_html(&out, "<a href='x'>&</a>", 17), NF_OK);
	CHECK_STR(out.data, "&lt;a href=&#39;x&#39;&gt;&amp;&lt;/a&gt;");
	buf_free(&out);
}

/* ---- padded tags and the signup error template ---- */

#define SIGNUP "{{#verifyErrors}}{{message}}{{/verifyErrors}}{{^verifyErrors}}Something went " \
	       "wrong. Please try again later{{/verifyErrors}}"
#define SIGNUP_SPACED "{{ #verifyErrors }} {{ message }} {{ /verifyErrors }} {{ ^verifyErrors }} " \
		      "Something went wrong. Please try again later {{ /verifyErrors }}"

TEST(tmpl_signup_error_template)
{
	const char *errors = "{\"verifyErrors\":[{\"message\":\"Please enter a valid email address\"}]}";

	CHECK_STR(render(SIGNUP, errors), "Please enter a valid email address");
	CHECK_STR(render(SIGNUP, "{\"verifyErrors\":[]}"), "Something went wrong. Please try again later");
	CHECK_STR(render(SIGNUP, "{}"), "Something went wrong. Please try again later");
	CHECK_STR(render(SIGNUP_SPACED, errors), " Please enter a valid email address  ");
	CHECK_STR(render(SIGNUP_SPACED, "{}"), "  Something went wrong. Please try again later ");
}

TEST(tmpl_padded_sigils_everywhere)
{
	const char *partials[] = { "p", "P{{ x }}", NULL };
	struct tmpl_options opts = { 0 };
	struct buf out;

	CHECK_STR(render("{{ # a }}y{{ / a }}{{ ^ b }}n{{ / b }}{{ ! c }}", "{\"a\":1}"), "yn");
	CHECK_STR(render("{{\t#a\t}}y{{\n/a\n}}", "{\"a\":1}"), "y");
	opts.loader = map_loader;
	opts.loader_data = partials;
	buf_init(&out, 0);
	CHECK_INT(render_json("{{ > p }}", "{\"x\":1}", &opts, &out, NULL), NF_OK);
	CHECK_STR(out.data, "P1");
	buf_free(&out);
}

TEST(tmpl_truthiness_follows_mustache_js)
{
	CHECK_STR(render("{{#z}}T{{/z}}{{^z}}F{{/z}}", "{\"z\":0}"), "F");
	CHECK_STR(render("{{#z}}T{{/z}}{{^z}}F{{/z}}", "{\"z\":\"\"}"), "F");
	CHECK_STR(render("{{#z}}T{{/z}}{{^z}}F{{/z}}", "{\"z\":0.0}"), "F");
	CHECK_STR(render("{{#z}}T{{/z}}{{^z}}F{{/z}}", "{\"z\":\"0\"}"), "T");
	CHECK_STR(render("{{#z}}T{{/z}}{{^z}}F{{/z}}", "{\"z\":{}}"), "T");
}

TEST(tmpl_numbers_print_shortest)
{
	CHECK_STR(render("{{a}} {{b}} {{c}} {{d}} {{e}}",
			 "{\"a\":1.21,\"b\":85,\"c\":-3,\"d\":0.30000000000000004,\"e\":1e21}"),
		  "1.21 85 -3 0.30000000000000004 1e+21");
}

TEST(tmpl_blank_lines_in_indented_partials_stay_empty)
{
	const char *partials[] = { "p", "a\n\nb\n", NULL };
	struct tmpl_options opts = { 0 };
	struct buf out;

	opts.loader = map_loader;
	opts.loader_data = partials;
	buf_init(&out, 0);
	CHECK_INT(render_json("<div>\n    {{>p}}\n</div>\n", NULL, &opts, &out, NULL), NF_OK);
	CHECK_STR(out.data, "<div>\n    a\n\n    b\n</div>\n");
	buf_free(&out);
}

/* ---- the callback context the fan-out engine uses ---- */

struct subscriber {
	const char *email;
	const char *unsubscribe_url;
	int lookups;
};

static int
subscriber_lookup(const void *handle, const char *name, size_t len, struct tmpl_value *out)
{
	struct subscriber *s = (struct subscriber *)handle;

	s->lookups++;
	if (len == 5 && memcmp(name, "email", 5) == 0)
		tmpl_value_string(out, s->email, strlen(s->email));
	else if (len == 15 && memcmp(name, "unsubscribe_url", 15) == 0)
		tmpl_value_string(out, s->unsubscribe_url, strlen(s->unsubscribe_url));
	else if (len == 8 && memcmp(name, "headline", 8) == 0)
		tmpl_value_string(out, "from the callback", 17);
	else
		tmpl_value_missing(out);
	return NF_OK;
}

static const struct tmpl_ops subscriber_ops = { subscriber_lookup, NULL };

TEST(tmpl_chain_callback_over_json)
{
	const char *src = "{{publication}}: {{headline}} for {{email}} <{{unsubscribe_url}}> "
			  "{{#article}}{{title}} / {{email}}{{/article}}";
	struct subscriber sub = { "ann@example.org", "https://n.example/u/A&B", 0 };
	json_t *article = json_loads("{\"publication\":\"The Daily\",\"headline\":\"ignored\","
				     "\"article\":{\"title\":\"Flood\"}}", 0, NULL);
	struct tmpl_value layers[2], ctx;
	struct tmpl_chain chain = { layers, 2 };
	struct tmpl *t = tmpl_compile(src, strlen(src), NULL, NULL);
	struct buf out;

	CHECK(t != NULL && article != NULL);
	tmpl_value_object(&layers[0], &subscriber_ops, &sub);
	tmpl_ctx_json(&layers[1], article);
	tmpl_ctx_chain(&ctx, &chain);
	buf_init(&out, 0);
	CHECK_INT(tmpl_render(t, &ctx, &out), NF_OK);
	CHECK_STR(out.data, "The Daily: from the callback for ann@example.org "
			    "<https://n.example/u/A&amp;B> Flood / ann@example.org");
	CHECK(sub.lookups >= 5);
	/* the same compiled template, another subscriber */
	sub.email = "bob@example.org";
	buf_reset(&out);
	CHECK_INT(tmpl_render(t, &ctx, &out), NF_OK);
	CHECK(strstr(out.data, "for bob@example.org") != NULL);
	tmpl_free(t);
	json_decref(article);
	buf_free(&out);
}

/* a list and nested objects served by callbacks, not JSON */
static const char *const fruits[] = { "apple", "pear", "fig" };

static int
fruit_item(const void *handle, size_t i, struct tmpl_value *out)
{
	(void)handle;
	tmpl_value_string(out, fruits[i], strlen(fruits[i]));
	return NF_OK;
}

static const struct tmpl_ops fruit_ops = { NULL, fruit_item };

static int
basket_lookup(const void *handle, const char *name, size_t len, struct tmpl_value *out)
{
	static const struct tmpl_ops self = { basket_lookup, NULL };

	if (len == 6 && memcmp(name, "fruits", 6) == 0)
		tmpl_value_list(out, &fruit_ops, NULL, 3);
	else if (len == 5 && memcmp(name, "inner", 5) == 0)
		tmpl_value_object(out, &self, handle);
	else if (len == 4 && memcmp(name, "full", 4) == 0)
		tmpl_value_bool(out, 1);
	else if (len == 5 && memcmp(name, "count", 5) == 0)
		tmpl_value_int(out, 3);
	else if (len == 4 && memcmp(name, "fail", 4) == 0)
		return NF_ERR_TEMP;
	else
		tmpl_value_missing(out);
	return NF_OK;
}

TEST(tmpl_callback_lists_objects_and_errors)
{
	static const struct tmpl_ops ops = { basket_lookup, NULL };
	const char *src = "{{#full}}{{count}}:{{#fruits}}[{{.}}]{{/fruits}}{{/full}} "
			  "{{inner.inner.count}}{{^missing}}!{{/missing}}";
	struct tmpl_value ctx;
	struct tmpl *t = tmpl_compile(src, strlen(src), NULL, NULL), *bad;
	struct buf out;

	CHECK(t != NULL);
	tmpl_value_object(&ctx, &ops, NULL);
	buf_init(&out, 0);
	CHECK_INT(tmpl_render(t, &ctx, &out), NF_OK);
	CHECK_STR(out.data, "3:[apple][pear][fig] 3!");
	bad = tmpl_compile("a{{fail}}b", 10, NULL, NULL);
	buf_reset(&out);
	CHECK_INT(tmpl_render(bad, &ctx, &out), NF_ERR_TEMP);
	tmpl_free(bad);
	tmpl_free(t);
	buf_free(&out);
}

static int
shout(void *data, const char *text, size_t len, struct buf *out)
{
	(void)data;
	buf_puts(out, "<b>");
	buf_append(out, text, len);
	return buf_puts(out, "</b>");
}

static int
shout_lookup(const void *h, const char *name, size_t len, struct tmpl_value *out)
{
	(void)h;
	if (len == 4 && memcmp(name, "bold", 4) == 0)
		tmpl_value_lambda(out, shout, NULL);
	else if (len == 4 && memcmp(name, "name", 4) == 0)
		tmpl_value_string(out, "Ann & Bo", 8);
	else
		tmpl_value_missing(out);
	return NF_OK;
}

TEST(tmpl_lambda_wraps_a_section)
{
	static const struct tmpl_ops ops = { shout_lookup, NULL };
	struct tmpl_value ctx;
	struct tmpl *t = tmpl_compile("{{#bold}}Hi {{name}}{{/bold}}", 29, NULL, NULL);
	struct buf out;

	CHECK(t != NULL);
	tmpl_value_object(&ctx, &ops, NULL);
	buf_init(&out, 0);
	CHECK_INT(tmpl_render(t, &ctx, &out), NF_OK);
	CHECK_STR(out.data, "<b>Hi Ann &amp; Bo</b>");
	tmpl_free(t);
	buf_free(&out);
}

/* ---- one compiled template, many threads ---- */

struct job {
	const struct tmpl *t;
	int id;
	int bad;
};

static void *
render_many(void *arg)
{
	struct job *j = arg;
	struct subscriber sub = { NULL, "u", 0 };
	char email[64], want[160];
	struct tmpl_value ctx;
	struct buf out;
	int i;

	buf_init(&out, 0);
	tmpl_value_object(&ctx, &subscriber_ops, &sub);
	for (i = 0; i < 2000; i++) {
		snprintf(email, sizeof(email), "t%d-%d@example.org", j->id, i);
		sub.email = email;
		buf_reset(&out);
		snprintf(want, sizeof(want), "[P:<%s>]\n  line\n", email);
		if (tmpl_render(j->t, &ctx, &out) != NF_OK || strcmp(out.data, want) != 0)
			j->bad++;
	}
	buf_free(&out);
	return NULL;
}

TEST(tmpl_concurrent_renders_of_one_template)
{
	const char *partials[] = { "p", "P:<{{email}}>]\n  {{>q}}\n", "q", "line\n", NULL };
	struct tmpl_options opts = { 0 };
	pthread_t th[4];
	struct job jobs[4];
	struct tmpl *t;
	int i, bad = 0;

	opts.loader = map_loader;
	opts.loader_data = partials;
	t = tmpl_compile("[{{>p}}", 7, &opts, NULL);
	CHECK(t != NULL);
	for (i = 0; i < 4; i++) {
		jobs[i].t = t;
		jobs[i].id = i;
		jobs[i].bad = 0;
		pthread_create(&th[i], NULL, render_many, &jobs[i]);
	}
	for (i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		bad += jobs[i].bad;
	}
	tmpl_free(t);
	CHECK_INT(bad, 0);
}

TEST(tmpl_dynamic_partials_loaded_at_render_are_released)
{
	const char *partials[] = { "text", "T:{{content}}", "image", "<img src=\"{{url}}\">", NULL };
	struct tmpl_options opts = { 0 };
	struct buf out;

	opts.loader = map_loader;
	opts.loader_data = partials;
	buf_init(&out, 0);
	CHECK_INT(render_json("{{#items}}{{>*kind}};{{/items}}",
			      "{\"items\":[{\"kind\":\"text\",\"content\":\"hi\"},"
			      "{\"kind\":\"image\",\"url\":\"a.jpg\"},{\"kind\":\"nope\"},"
			      "{\"kind\":\"../etc/passwd\"},{\"kind\":\"text\",\"content\":\"yo\"}]}",
			      &opts, &out, NULL), NF_OK);
	CHECK_STR(out.data, "T:hi;<img src=\"a.jpg\">;;;T:yo;");
	buf_free(&out);
}

TEST(tmpl_load_dir_refuses_names_leaving_the_folder)
{
	struct buf src;

	buf_init(&src, 1024);
	CHECK_INT(tmpl_load_dir("/etc", "passwd", 6, &src), NF_ERR_NOTFOUND);	/* no .mustache */
	CHECK_INT(tmpl_load_dir("/", "etc/passwd", 10, &src), NF_ERR_NOTFOUND);
	CHECK_INT(tmpl_load_dir("/tmp", "../etc/passwd", 13, &src), NF_ERR_NOTFOUND);
	CHECK_INT(tmpl_load_dir("/tmp", ".hidden", 7, &src), NF_ERR_NOTFOUND);
	CHECK_INT(tmpl_load_dir("/tmp", "a\0b", 3, &src), NF_ERR_NOTFOUND);
	CHECK_INT(tmpl_load_dir("/tmp", "", 0, &src), NF_ERR_NOTFOUND);
	buf_free(&src);
}

/* ---- tmpl_bind: fixed data folded in, per-subscriber fields left ---- */

struct person {
	const char *email;
	int vip;
};

static int
person_lookup(const void *handle, const char *name, size_t len, struct tmpl_value *out)
{
	const struct person *p = handle;

	if (len == 5 && memcmp(name, "email", 5) == 0)
		tmpl_value_string(out, p->email, strlen(p->email));
	else if (len == 3 && memcmp(name, "vip", 3) == 0)
		tmpl_value_bool(out, p->vip);
	else
		tmpl_value_missing(out);
	return NF_OK;
}

static const struct tmpl_ops person_ops = { person_lookup, NULL };
static const char *const person_fields[] = { "email", "vip" };

static int
bold(void *data, const char *text, size_t len, struct buf *out)
{
	(void)data;
	buf_puts(out, "<b>");
	buf_append(out, text, len);
	return buf_puts(out, "</b>");
}

static int
fixed_lookup(const void *handle, const char *name, size_t len, struct tmpl_value *out)
{
	if (len == 4 && memcmp(name, "bold", 4) == 0)
		tmpl_value_lambda(out, bold, NULL);
	else
		tmpl_ctx_json(out, json_object_getn((const json_t *)handle, name, len));
	return NF_OK;
}

static const struct tmpl_ops fixed_ops = { fixed_lookup, NULL };

/*
 * Render src for two people, unbound and bound to the JSON in fixed; the
 * four outputs are returned joined by '|' (the unbound and bound pairs must
 * agree, or this returns "MISMATCH").
 */
static const char *
bound_twice(const char *src, const char *fixed_json, const struct tmpl_options *opts)
{
	static char result[4096];
	struct person people[2] = { { "ann@example.org", 1 }, { "bob@example.org", 0 } };
	json_t *fixed = json_loads(fixed_json, 0, NULL);
	struct tmpl_value layers[2], ctx;
	struct tmpl_chain chain = { layers, 2 };
	struct tmpl *t = tmpl_compile(src, strlen(src), opts, NULL), *b = NULL;
	struct buf plain, bound;
	int i;

	result[0] = '\0';
	tmpl_value_object(&layers[1], &fixed_ops, fixed);
	tmpl_ctx_chain(&ctx, &chain);
	if (t == NULL || fixed == NULL || tmpl_bind(t, &layers[1], person_fields, 2, &b) != NF_OK)
		snprintf(result, sizeof(result), "ERROR");
	buf_init(&plain, 0);
	buf_init(&bound, 0);
	for (i = 0; b && i < 2; i++) {
		tmpl_value_object(&layers[0], &person_ops, &people[i]);
		buf_reset(&plain);
		buf_reset(&bound);
		if (tmpl_render(t, &ctx, &plain) != NF_OK || tmpl_render(b, &ctx, &bound) != NF_OK ||
		    strcmp(plain.data, bound.data) != 0) {
			snprintf(result, sizeof(result), "MISMATCH [%s] [%s]", plain.data, bound.data);
			break;
		}
		snprintf(result + strlen(result), sizeof(result) - strlen(result), "%s%s",
			 i ? "|" : "", bound.data);
	}
	buf_free(&plain);
	buf_free(&bound);
	tmpl_free(b);
	tmpl_free(t);
	json_decref(fixed);
	return result;
}

TEST(tmpl_bind_folds_fixed_data)
{
	CHECK_STR(bound_twice("<h1>{{headline}}</h1>{{#breaking}}!{{/breaking}}{{^breaking}}?{{/breaking}}"
			      "{{n}} to {{email}}", "{\"headline\":\"A & B\",\"breaking\":true,\"n\":2.5}",
			      NULL),
		  "<h1>A &amp; B</h1>!2.5 to ann@example.org|<h1>A &amp; B</h1>!2.5 to bob@example.org");
}

TEST(tmpl_bind_folds_once)
{
	const char *src = "{{headline}} for {{email}}";
	json_t *fixed = json_loads("{\"headline\":\"old\"}", 0, NULL);
	struct person ann = { "ann@example.org", 0 };
	struct tmpl_value layers[2], ctx;
	struct tmpl_chain chain = { layers, 2 };
	struct tmpl *t = tmpl_compile(src, strlen(src), NULL, NULL), *b;
	struct buf out;

	tmpl_ctx_json(&layers[1], fixed);
	tmpl_value_object(&layers[0], &person_ops, &ann);
	tmpl_ctx_chain(&ctx, &chain);
	CHECK_INT(tmpl_bind(t, &layers[1], person_fields, 2, &b), NF_OK);
	/* what was folded stays: the headline is in the bound template's text now */
	json_object_set_new(fixed, "headline", json_string("new"));
	buf_init(&out, 0);
	CHECK_INT(tmpl_render(b, &ctx, &out), NF_OK);
	CHECK_STR(out.data, "old for ann@example.org");
	buf_reset(&out);
	CHECK_INT(tmpl_render(t, &ctx, &out), NF_OK);
	CHECK_STR(out.data, "new for ann@example.org");
	buf_free(&out);
	tmpl_free(b);
	tmpl_free(t);
	json_decref(fixed);
}

TEST(tmpl_bind_keeps_varying_tags_inside_unrolled_sections)
{
	CHECK_STR(bound_twice("{{#items}}[{{name}}:{{email}}]{{/items}}",
			      "{\"items\":[{\"name\":\"x\"},{\"name\":\"y\",\"email\":\"own\"}]}", NULL),
		  "[x:ann@example.org][y:own]|[x:bob@example.org][y:own]");
}

TEST(tmpl_bind_keeps_sections_on_varying_names_with_their_frames)
{
	CHECK_STR(bound_twice("{{#items}}{{#vip}}{{name}}*{{/vip}}{{^vip}}{{name}}{{/vip}};{{/items}}",
			      "{\"items\":[{\"name\":\"x\"},{\"name\":\"y\"}]}", NULL),
		  "x*;y*;|x;y;");
}

TEST(tmpl_bind_keeps_lambdas_with_their_frames)
{
	CHECK_STR(bound_twice("{{#items}}{{#bold}}{{name}}{{/bold}}{{/items}}",
			      "{\"items\":[{\"name\":\"x\"},{\"name\":\"y\"}]}", NULL),
		  "<b>x</b><b>y</b>|<b>x</b><b>y</b>");
}

TEST(tmpl_bind_inlines_partials_and_keeps_indented_ones)
{
	const char *partials[] = { "row", "<li>{{name}} {{email}}</li>\n", "layout",
				   "<main>\n  {{$content}}\n  {{/content}}\n</main>\n{{$foot}}-{{/foot}}", NULL };
	struct tmpl_options opts = { 0 };

	opts.loader = map_loader;
	opts.loader_data = partials;
	CHECK_STR(bound_twice("<ul>\n{{#items}}\n  {{>row}}\n{{/items}}\n</ul>\n{{>row}}",
			      "{\"items\":[{\"name\":\"x\"}],\"name\":\"top\"}", &opts),
		  "<ul>\n  <li>x ann@example.org</li>\n</ul>\n<li>top ann@example.org</li>\n|"
		  "<ul>\n  <li>x bob@example.org</li>\n</ul>\n<li>top bob@example.org</li>\n");
	CHECK_STR(bound_twice("{{<layout}}{{$content}}\n<p>{{t}}</p>\n<p>{{email}}</p>\n{{/content}}"
			      "{{$foot}}{{email}}{{/foot}}{{/layout}}", "{\"t\":\"T\"}", &opts),
		  "<main>\n  <p>T</p>\n  <p>ann@example.org</p>\n</main>\nann@example.org|"
		  "<main>\n  <p>T</p>\n  <p>bob@example.org</p>\n</main>\nbob@example.org");
}

TEST(tmpl_bind_signup_template)
{
	CHECK_STR(bound_twice(SIGNUP, "{\"verifyErrors\":[{\"message\":\"Please enter a valid email address\"}]}",
			      NULL),
		  "Please enter a valid email address|Please enter a valid email address");
	CHECK_STR(bound_twice(SIGNUP_SPACED, "{}", NULL),
		  "  Something went wrong. Please try again later |"
		  "  Something went wrong. Please try again later ");
}
