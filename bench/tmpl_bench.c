/*
 * bench/tmpl_bench.c - rendering the alert email against copying it
 *
 * Renders templates/alert.html.mustache and alert.txt.mustache (about 20 KB
 * together) once per subscriber, as the fan-out engine does: one compiled
 * template pair, the article as jansson JSON, and the per-subscriber fields
 * ({{email}}, {{unsubscribe_url}}, {{preferences_url}}) from a callback layer
 * chained over it, so no JSON is built per subscriber. Each template is
 * bound to the article once (tmpl_bind), as the fan-out engine does once per
 * alert; rendering the unbound templates is timed too. The reference,
 * measured in the same run, is memcpy of the same output bytes into a
 * buffer: what producing the message would cost if it were already made.
 * Times are this thread's CPU time, in interleaved rounds.
 * usage: tmpl_bench TEMPLATES_DIR ARTICLE_JSON [MESSAGES]
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "core/core.h"
#include "tmpl/tmpl.h"

#define POOL 4096		/* distinct subscribers, cycled */
#define ROUNDS 20

struct subscriber {
	char email[64];
	char unsubscribe_url[160];
	char preferences_url[160];
	size_t email_len, unsubscribe_len, preferences_len;
};

static int
subscriber_lookup(const void *handle, const char *name, size_t len, struct tmpl_value *out)
{
	const struct subscriber *s = handle;

	switch (len) {
	case 5:
		if (memcmp(name, "email", 5) == 0) {
			tmpl_value_string(out, s->email, s->email_len);
			return NF_OK;
		}
		break;
	case 15:
		if (memcmp(name, "unsubscribe_url", 15) == 0) {
			tmpl_value_string(out, s->unsubscribe_url, s->unsubscribe_len);
			return NF_OK;
		}
		if (memcmp(name, "preferences_url", 15) == 0) {
			tmpl_value_string(out, s->preferences_url, s->preferences_len);
			return NF_OK;
		}
		break;
	}
	tmpl_value_missing(out);
	return NF_OK;
}

static const struct tmpl_ops subscriber_ops = { subscriber_lookup, NULL };

/*
 * CPU time of this thread: the machine is shared, and time spent waiting for
 * a core is not time spent rendering.
 */
static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct tmpl *
compile_file(const char *dir, const char *name, enum tmpl_escape escape)
{
	struct tmpl_options opts;
	struct tmpl_error err;
	struct buf src;
	struct tmpl *t;

	memset(&opts, 0, sizeof(opts));
	opts.loader = tmpl_load_dir;
	opts.loader_data = (void *)dir;
	opts.escape = escape;
	buf_init(&src, 1 << 20);
	if (tmpl_load_dir((void *)dir, name, strlen(name), &src) != NF_OK) {
		fprintf(stderr, "tmpl_bench: cannot read %s/%s.mustache\n", dir, name);
		exit(2);
	}
	t = tmpl_compile(src.data, src.len, &opts, &err);
	if (t == NULL) {
		fprintf(stderr, "%s/%s.mustache:%d:%d: %s\n", dir, name, err.line, err.col, err.message);
		exit(2);
	}
	buf_free(&src);
	return t;
}

static void
make_subscribers(struct subscriber *pool)
{
	static const unsigned char secret[32] = "benchmark secret, not for mail";
	struct token_key key = { secret, sizeof(secret) };
	char token[TOKEN_MAX];
	size_t i;

	for (i = 0; i < POOL; i++) {
		struct subscriber *s = &pool[i];

		token_make(&key, "unsubscribe", 1000000 + i, 0, "salt", token);
		s->email_len = (size_t)snprintf(s->email, sizeof(s->email),
						"reader%07zu@example.org", 1000000 + i);
		s->unsubscribe_len = (size_t)snprintf(s->unsubscribe_url, sizeof(s->unsubscribe_url),
						      "https://news.example.org/u/%s", token);
		s->preferences_len = (size_t)snprintf(s->preferences_url, sizeof(s->preferences_url),
						      "https://news.example.org/p/%s", token);
	}
}

/* render n messages with ctx's top layer cycling through the pool; seconds taken */
static double
render_all(const struct tmpl *html, const struct tmpl *text, struct tmpl_value *layers,
	   const struct tmpl_value *ctx, struct subscriber *pool, long from, long n,
	   struct buf *out_html, struct buf *out_text, unsigned long *bytes, unsigned long *sum)
{
	double t0 = now();
	long i;

	for (i = from; i < from + n; i++) {
		tmpl_value_object(&layers[0], &subscriber_ops, &pool[i % POOL]);
		buf_reset(out_html);
		buf_reset(out_text);
		if (tmpl_render(html, ctx, out_html) != NF_OK ||
		    tmpl_render(text, ctx, out_text) != NF_OK) {
			fprintf(stderr, "tmpl_bench: render failed\n");
			exit(1);
		}
		*bytes += out_html->len + out_text->len;
		*sum += (unsigned char)out_html->data[out_html->len / 2];
	}
	if (strstr(out_html->data, pool[(from + n - 1) % POOL].unsubscribe_url) == NULL ||
	    strstr(out_text->data, pool[(from + n - 1) % POOL].email) == NULL) {
		fprintf(stderr, "tmpl_bench: the last message lacks its subscriber's fields\n");
		exit(1);
	}
	return now() - t0;
}

/* the reference: memcpy of the same bytes, already made, into a buffer */
struct copy {
	char *sh, *st, *dh, *dt;
	size_t lh, lt;
};

static void
copy_init(struct copy *c, const struct buf *out_html, const struct buf *out_text)
{
	c->lh = out_html->len;
	c->lt = out_text->len;
	c->sh = xmemdup0(out_html->data, c->lh);
	c->st = xmemdup0(out_text->data, c->lt);
	c->dh = xmalloc(c->lh + 1);
	c->dt = xmalloc(c->lt + 1);
}

static double
copy_all(struct copy *c, long n, unsigned long *sum)
{
	double t0 = now();
	long i;

	for (i = 0; i < n; i++) {
		memcpy(c->dh, c->sh, c->lh);
		memcpy(c->dt, c->st, c->lt);
		c->sh[i % 64] ^= 1;	/* the copy depends on the loop: it cannot be hoisted */
		*sum += (unsigned char)c->dh[c->lh / 2] + (unsigned char)c->dt[i % 64];
	}
	return now() - t0;
}

static void
copy_free(struct copy *c)
{
	free(c->sh);
	free(c->st);
	free(c->dh);
	free(c->dt);
}

int
main(int argc, char **argv)
{
	static const char *const varying[] = { "email", "unsubscribe_url", "preferences_url" };
	long n = argc > 3 ? strtol(argv[3], NULL, 10) : 1000000;
	struct subscriber *pool = calloc(POOL, sizeof(*pool));
	struct tmpl *html, *text, *bound_html, *bound_text;
	struct tmpl_value layers[2], ctx;
	struct tmpl_chain chain = { layers, 2 };
	struct buf out_html, out_text, want;
	double t0, t_bind, t_bound, t_plain, t_copy;
	struct copy copy;
	int round;
	unsigned long sum = 0, bytes = 0, bytes_plain = 0;
	struct rusage ru;
	json_error_t jerr;
	json_t *article;

	if (argc < 3 || n <= 0 || pool == NULL) {
		fprintf(stderr, "usage: tmpl_bench TEMPLATES_DIR ARTICLE_JSON [MESSAGES]\n");
		return 2;
	}
	article = json_load_file(argv[2], 0, &jerr);
	if (article == NULL) {
		fprintf(stderr, "%s:%d:%d: %s\n", argv[2], jerr.line, jerr.column, jerr.text);
		return 2;
	}
	html = compile_file(argv[1], "alert.html", TMPL_ESCAPE_HTML);
	text = compile_file(argv[1], "alert.txt", TMPL_ESCAPE_NONE);
	make_subscribers(pool);
	buf_init(&out_html, 1 << 20);
	buf_init(&out_text, 1 << 20);
	buf_init(&want, 1 << 20);
	tmpl_ctx_json(&layers[1], article);
	tmpl_ctx_chain(&ctx, &chain);

	/* once per alert: the article folded into both templates */
	t0 = now();
	if (tmpl_bind(html, &layers[1], varying, 3, &bound_html) != NF_OK ||
	    tmpl_bind(text, &layers[1], varying, 3, &bound_text) != NF_OK) {
		fprintf(stderr, "tmpl_bench: tmpl_bind failed\n");
		return 1;
	}
	t_bind = now() - t0;

	/* one message each way first: the reference copies these bytes */
	render_all(bound_html, bound_text, layers, &ctx, pool, 0, 1, &out_html, &out_text,
		   &bytes, &sum);
	buf_append(&want, out_html.data, out_html.len);
	buf_append(&want, out_text.data, out_text.len);
	render_all(html, text, layers, &ctx, pool, 0, 1, &out_html, &out_text, &bytes_plain, &sum);
	if (out_html.len + out_text.len != want.len ||
	    memcmp(want.data, out_html.data, out_html.len) != 0 ||
	    memcmp(want.data + out_html.len, out_text.data, out_text.len) != 0) {
		fprintf(stderr, "tmpl_bench: bound and unbound renders differ\n");
		return 1;
	}
	copy_init(&copy, &out_html, &out_text);

	/*
	 * Per subscriber, in interleaved rounds so that a busy machine slows each
	 * way alike: the bound templates, the templates as compiled, the memcpy.
	 */
	bytes = bytes_plain = 0;
	t_bound = t_plain = t_copy = 0;
	for (round = 0; round < ROUNDS; round++) {
		long from = n / ROUNDS * round, count = round == ROUNDS - 1 ? n - from : n / ROUNDS;

		t_bound += render_all(bound_html, bound_text, layers, &ctx, pool, from, count,
				      &out_html, &out_text, &bytes, &sum);
		t_plain += render_all(html, text, layers, &ctx, pool, from, count, &out_html,
				      &out_text, &bytes_plain, &sum);
		t_copy += copy_all(&copy, count, &sum);
	}
	if (bytes != bytes_plain) {
		fprintf(stderr, "tmpl_bench: bound and unbound renders differ in size\n");
		return 1;
	}

	getrusage(RUSAGE_SELF, &ru);
	printf("messages: %ld each way, %.0f bytes each (html %zu + text %zu)\n", n,
	       (double)bytes / n, out_html.len, out_text.len);
	printf("memcpy of the same bytes (reference): %.0f ns/message, %.2f GB/s\n",
	       1e9 * t_copy / n, bytes / t_copy / 1e9);
	printf("render, bound to the article (tmpl_bind, %.0f us once per alert): %.0f ns/message, "
	       "%.0f messages/s, ratio to memcpy %.2f (target: at most 3)\n",
	       1e6 * t_bind, 1e9 * t_bound / n, n / t_bound, t_bound / t_copy);
	printf("render, unbound (callback layer over the article JSON): %.0f ns/message, "
	       "%.0f messages/s, ratio to memcpy %.2f\n",
	       1e9 * t_plain / n, n / t_plain, t_plain / t_copy);
	printf("peak RSS: %ld KB (checksum %lu)\n", ru.ru_maxrss, sum);
	tmpl_free(bound_html);
	tmpl_free(bound_text);
	tmpl_free(html);
	tmpl_free(text);
	json_decref(article);
	buf_free(&out_html);
	buf_free(&out_text);
	buf_free(&want);
	copy_free(&copy);
	free(pool);
	return 0;
}
