/*
 * tests for mail/alert.c, mime_parts.c and confirm_mail.c: composed messages checked
 * against independent routes to the same bytes.
 *  - The signatures: the fast path hashes pre-hashed shared fields and a
 *    body patched in place; the general signer (dkim.c) re-signs the
 *    finished message from scratch. Ed25519 and RSA PKCS#1 v1.5 are
 *    deterministic, so the two must agree byte for byte.
 *  - The body: each part decoded must equal the templates rendered again
 *    with the subscriber's real values; with full_render set, the body must
 *    be byte for byte what mail_mime_body makes of those renders.
 *  - The body is in relaxed canonical form, as the fast path assumes.
 * Fixture templates and articles are in tests/data/mail.
 */
#include <jansson.h>
#include <stdlib.h>
#include <time.h>

#include "mail/mail.h"
#include "news/news.h"
#include "tmpl/tmpl.h"
#include "mailtest.h"
#include "../../harness.h"

static const struct token_key secret = { (const unsigned char *)"alert-test-secret-0123456789abcdef", 34 };
static const time_t date = 1795921800;		/* 2026-11-29T03:10:00Z */

static char *
data_path(const char *rel)
{
	const char *src = getenv("NEWSFLASH_SRC");
	struct buf p;

	buf_init(&p, 0);
	buf_printf(&p, "%s/tests/data/mail/%s", src && *src ? src : ".", rel);
	return buf_steal(&p, NULL);
}

static int
load_article(const char *name, struct news_article *a)
{
	struct news_errors errs = { .count = 0 };
	char *path = data_path(name), *json;
	size_t n;
	int rc;

	json = test_read_file(path, &n);
	free(path);
	if (json == NULL)
		return NF_ERR_IO;
	memset(a, 0, sizeof(*a));
	rc = news_article_parse(json, n, a, &errs);
	free(json);
	return rc;
}

/* mail_alert_prepare for one story, its content built as the engine builds it */
static int
prepare_article(const struct mail_sender *s, const struct news_article *a, uint64_t alert_id,
		time_t date, struct mail_alert **out)
{
	json_t *ctx = news_article_context(a);
	struct mail_content c = { a->headline, ctx };
	int rc = mail_alert_prepare(s, &c, alert_id, date, out);

	json_decref(ctx);
	return rc;
}

/* one RSA and one Ed25519 key, made once */
static struct mail_dkim_key *keys[2];

static void
make_keys(void)
{
	static const enum mail_dkim_alg alg[2] = { MAIL_DKIM_RSA_SHA256, MAIL_DKIM_ED25519_SHA256 };
	static const char *sel[2] = { "rsa1", "ed1" };
	struct buf pem;
	int i;

	for (i = 0; i < 2 && keys[i] == NULL; i++) {
		buf_init(&pem, 0);
		mail_dkim_keygen(alg[i], 2048, &pem);
		mail_dkim_key_parse(pem.data, pem.len, "news.example", sel[i], &keys[i]);
		buf_free(&pem);
	}
}

static void
sender(struct mail_sender *s, const char *templates, char **dir)
{
	*dir = data_path(templates);
	memset(s, 0, sizeof(*s));
	s->from_name = "Newsflash Desk";
	s->from_addr = "breaking@news.example";
	s->base_url = "https://news.example/";
	s->publication = "The Daily Example";
	s->templates_dir = *dir;
	s->secret = &secret;
	s->keys = keys;
	s->nkeys = 2;
}

/* the templates rendered for this subscriber, and the body made from them whole */
static int
expected(const struct news_article *a, const char *templates, uint64_t alert,
	 const struct mail_subscriber *sub, struct buf *t, struct buf *h, struct buf *body)
{
	char *dir = data_path(templates), tok[TOKEN_MAX], boundary[64];
	struct tmpl *txt = NULL, *html = NULL;
	struct buf url;
	json_t *ctx = news_article_context(a);	/* news's part: published_label, credits */
	int rc;

	token_make(&secret, "unsubscribe", sub->id, 0, sub->salt, tok);
	buf_init(&url, 0);
	buf_printf(&url, "https://news.example/u/%s", tok);
	json_object_set_new(ctx, "unsubscribe_url", json_string(url.data));
	json_object_set_new(ctx, "email", json_string(sub->email));
	json_object_set_new(ctx, "publication", json_string("The Daily Example"));
	json_object_set_new(ctx, "site_url", json_string("https://news.example"));
	json_object_set_new(ctx, "privacy_url", json_string("https://news.example/privacy"));
	rc = mail_template_load(dir, "alert.txt", 0, &txt);
	if (rc == NF_OK)
		rc = mail_template_load(dir, "alert.html", 1, &html);
	if (rc == NF_OK)
		rc = mail_render(txt, ctx, t);
	if (rc == NF_OK)
		rc = mail_render(html, ctx, h);
	snprintf(boundary, sizeof(boundary), "=_newsflash_alert_%llu", (unsigned long long)alert);
	if (rc == NF_OK)
		rc = mail_mime_body(body, boundary, t->data ? t->data : "", t->len,
				    h->data ? h->data : "", h->len);
	tmpl_free(txt), tmpl_free(html), json_decref(ctx);
	buf_free(&url);
	free(dir);
	return rc;
}

/* part n (0 text, 1 HTML) of a body, decoded; 0 on success */
static int
decode_part(const char *body, size_t n, int which, struct buf *out)
{
	const char *p = body, *end = body + n, *cte, *text, *stop;
	int i;

	for (i = 0; i <= which; i++) {
		p = memmem(p, (size_t)(end - p), "Content-Transfer-Encoding: ", 27);
		if (p == NULL)
			return -1;
		p += 27;
	}
	cte = p;
	text = memmem(p, (size_t)(end - p), "\r\n\r\n", 4);
	if (text == NULL)
		return -1;
	text += 4;
	stop = memmem(text, (size_t)(end - text), "\r\n--=_", 6);
	if (stop == NULL)
		return -1;
	if (strncmp(cte, "base64", 6) == 0) {
		struct buf flat;
		const char *q;
		int rc;

		buf_init(&flat, 0);
		for (q = text; q < stop; q++)
			if (*q != '\r' && *q != '\n')
				buf_putc(&flat, *q);
		rc = base64_decode(out, flat.data ? flat.data : "", flat.len);
		buf_free(&flat);
		return rc == NF_OK ? 0 : -1;
	}
	return mt_qp_decode(text, (size_t)(stop - text), out);
}

/* decoded part equals the render: QP turns line ends into CRLF, base64 keeps them */
static int
part_matches(const char *body, size_t n, int which, const struct buf *render)
{
	struct buf dec;
	size_t wl;
	char *want = mt_crlf(render->data ? render->data : "", render->len, &wl);
	int ok;

	buf_init(&dec, 0);
	ok = decode_part(body, n, which, &dec) == 0 &&
	     ((dec.len == wl && !memcmp(dec.data, want, wl)) ||
	      (dec.len == render->len && !memcmp(dec.data, render->data, dec.len)));
	if (!ok && getenv("MAILTEST_DEBUG"))
		printf("  decoded %zu [%.*s]\n  want %zu [%s]\n", dec.len, (int)dec.len, dec.data, wl, want);
	buf_free(&dec);
	free(want);
	return ok;
}

/*
 * check_message - lines, signatures re-made by the general signer, body
 * made the slow way. Returns NULL or what is wrong.
 */
static const char *
check_message(const struct buf *m, const struct news_article *a, const char *templates,
	      uint64_t alert, const struct mail_subscriber *sub, int full)
{
	const char *rest = m->data, *why = NULL;
	struct buf resign, body, t, h;
	size_t i, hlen, bo, restlen;

	if (mt_longest_line(m->data, m->len) > MAIL_LINE_MAX)
		return "a line over 998";
	for (i = 0; i < m->len; i++)
		if ((m->data[i] == '\n') != (i > 0 && m->data[i - 1] == '\r' && m->data[i] == '\n'))
			return "a bare LF";
	/* the signature fields lead: one per key */
	for (i = 0; i < 2; i++) {
		const char *end = rest;

		if (strncmp(rest, "DKIM-Signature:", 15) != 0)
			return "no DKIM-Signature";
		do
			end = strstr(end, "\r\n") + 2;
		while (*end == ' ');
		rest = end;
	}
	restlen = m->len - (size_t)(rest - m->data);
	buf_init(&resign, 0);
	buf_init(&body, 0);
	for (i = 0; i < 2 && !why; i++)
		if (mail_dkim_sign(keys[i], rest, restlen, mail_dkim_signed_headers,
				   mail_dkim_signed_count, (int64_t)date, &resign) != NF_OK)
			why = "general signer failed";
	if (!why && (resign.len != (size_t)(rest - m->data) || memcmp(resign.data, m->data, resign.len)))
		why = "signatures differ from the general signer's";
	mail_msg_split(rest, restlen, &hlen, &bo);
	buf_init(&t, 0);
	buf_init(&h, 0);
	if (!why && expected(a, templates, alert, sub, &t, &h, &body) != NF_OK)
		why = "cannot render the expected body";
	if (!why && !mail_canon_body_is_canonical(rest + bo, restlen - bo))
		why = "body not in relaxed canonical form";
	if (!why && !part_matches(rest + bo, restlen - bo, 0, &t))
		why = "text part decodes to something else";
	if (!why && !part_matches(rest + bo, restlen - bo, 1, &h))
		why = "HTML part decodes to something else";
	if (!why && full && (body.len != restlen - bo || memcmp(body.data, rest + bo, body.len)))
		why = "full render: body differs from mail_mime_body's";
	buf_free(&t);
	buf_free(&h);
	buf_free(&resign);
	buf_free(&body);
	return why;
}

/* with_alert - prepare ARTICLE with TEMPLATES (full: every message rendered whole), run fn */
static void
with_alert(const char *article, const char *templates, int full,
	   void (*fn)(struct mail_alert *, const struct news_article *, const char *, const char *, int))
{
	struct news_article a;
	struct mail_alert *p = NULL;
	struct mail_sender s;
	char *dir;

	make_keys();
	if (load_article(article, &a) != NF_OK) {
		test_case_result(article, 0, "fixture does not parse");
		return;
	}
	sender(&s, templates, &dir);
	s.full_render = full;
	if (prepare_article(&s, &a, 42, date, &p) != NF_OK || mail_alert_is_fast(p) == full)
		test_case_result(article, 0, "prepare failed or took the other path");
	else
		fn(p, &a, article, templates, full);
	mail_alert_free(p);
	news_article_free(&a);
	free(dir);
}

static void
singles(struct mail_alert *p, const struct news_article *a, const char *article,
	const char *templates, int full)
{
	char email[64], salt[16], name[96];
	struct buf m;
	int i;

	buf_init(&m, 0);
	for (i = 0; i < 4; i++) {
		struct mail_subscriber sub = { 1000 + (uint64_t)i * 7919, email, salt };
		const char *why;

		snprintf(email, sizeof(email), "reader%d@example.org", i);
		snprintf(salt, sizeof(salt), "salt%d", i * 3);
		snprintf(name, sizeof(name), "%s %s%s subscriber %d", article, templates,
			 full ? " full" : "", i);
		buf_reset(&m);
		why = mail_alert_compose(p, &sub, &m) != NF_OK ? "compose failed"
							      : check_message(&m, a, templates, 42, &sub, full);
		test_case_result(name, why == NULL, why);
	}
	buf_free(&m);
}

static void
compose_and_check(const char *article, const char *templates, int full)
{
	with_alert(article, templates, full, singles);
}

/* the fast path: QP bodies (ASCII, French), base64 bodies (Japanese), folding */
TEST(alert_fast_path_matches_full_render_and_general_signer)
{
	compose_and_check("basic.json", "templates", 0);
	compose_and_check("utf8.json", "templates", 0);
	compose_and_check("cjk.json", "templates", 0);
	compose_and_check("long.json", "templates", 0);
}

/* {{email}} has a length of its own per subscriber: slots, not patches */
TEST(alert_fast_path_with_email_in_templates)
{
	compose_and_check("basic.json", "templates-email", 0);
	compose_and_check("cjk.json", "templates-email", 0);
}

/* the full-render road (the fallback) gives what mail_mime_body gives */
TEST(alert_full_render)
{
	compose_and_check("basic.json", "templates-email", 1);
	compose_and_check("cjk.json", "templates", 1);
}

/* the operator's templates in templates/ compose and check out too */
TEST(alert_project_templates)
{
	compose_and_check("basic.json", "../../../templates", 0);
	compose_and_check("cjk.json", "../../../templates", 0);
}

/*
 * group_case - mail_alert_compose_many makes byte for byte what n
 * mail_alert_compose calls make (those are checked against the general
 * signer above), appending after what the buffers already hold; a bad
 * subscriber (bit k of bad for sub[k]) fails alone and leaves its buffer
 * as it was.
 */
static const char *
group_case(struct mail_alert *p, const struct mail_subscriber *sub, size_t n, unsigned bad)
{
	struct buf one[MAIL_COMPOSE_MANY], many[MAIL_COMPOSE_MANY], *o[MAIL_COMPOSE_MANY];
	int rc[MAIL_COMPOSE_MANY], want[MAIL_COMPOSE_MANY];
	const char *why = NULL;
	size_t k;

	for (k = 0; k < n; k++) {
		buf_init(&one[k], 0);
		buf_init(&many[k], 0);
		buf_puts(&many[k], k % 2 ? "earlier message, longer one\r\n" : "earlier\r\n");
		o[k] = &many[k];
		want[k] = mail_alert_compose(p, &sub[k], &one[k]);
	}
	mail_alert_compose_many(p, sub, n, o, rc);
	for (k = 0; k < n && !why; k++) {
		const char *prev = k % 2 ? "earlier message, longer one\r\n" : "earlier\r\n";
		size_t plen = strlen(prev);

		if (rc[k] != want[k] || (rc[k] != NF_OK) != ((bad >> k) & 1))
			why = "result differs from mail_alert_compose's";
		else if (many[k].len != plen + one[k].len || memcmp(many[k].data, prev, plen) ||
			 memcmp(many[k].data + plen, one[k].data ? one[k].data : "", one[k].len))
			why = "message differs from mail_alert_compose's";
	}
	for (k = 0; k < n; k++) {
		buf_free(&one[k]);
		buf_free(&many[k]);
	}
	return why;
}

/*
 * groups of 2, 9, 10 and 16 (pairs; the most that stay in pairs; the
 * fewest and the most in sixteen lanes where the CPU has them), with
 * addresses of different lengths, one bad address or none
 */
static void
groups(struct mail_alert *p, const struct news_article *a, const char *article,
       const char *templates, int full)
{
	static const char *emails[] = { "a@example.org", "reader-with-a-much-longer-name@example.org",
					"b\r\nBcc: x@example.org", "reader7@example.org" };
	static const size_t sizes[] = { 2, 9, 10, MAIL_COMPOSE_MANY };
	struct mail_subscriber sub[MAIL_COMPOSE_MANY];
	const char *why;
	char name[128];
	size_t i, k, n;
	unsigned bad;

	(void)a;
	for (i = 0; i < NF_ARRAY_LEN(sizes) * 2; i++) {
		n = sizes[i / 2];
		for (k = 0; k < n; k++) {
			const char *e = emails[(i + k) % 4];

			/* the second case of each size has no bad address */
			if (i % 2 && strchr(e, '\r'))
				e = "fine@example.org";
			sub[k] = (struct mail_subscriber){ 10 + i * 1000 + k * 7919, e,
							   k % 2 ? "salt-b" : "salt-a" };
		}
		bad = 0;
		for (k = 0; k < n; k++)
			if (strchr(sub[k].email, '\r'))
				bad |= 1u << k;
		why = group_case(p, sub, n, bad);
		snprintf(name, sizeof(name), "group of %zu %s %s%s %zu, SHA-256 road %d", n, article,
			 templates, full ? " full" : "", i % 2, sha256_ways());
		test_case_result(name, why == NULL, why);
	}
}

/* compose_many: the same messages as one at a time, on every compose and SHA-256 road */
TEST(alert_groups_match_single_composes)
{
	static const struct {
		const char *article, *templates;
		int full;
	} roads[] = {
		{ "basic.json", "templates", 0 }, { "utf8.json", "templates", 0 },
		{ "cjk.json", "templates", 0 }, { "long.json", "../../../templates", 0 },
		{ "basic.json", "templates-email", 0 }, { "basic.json", "templates", 1 },
	};
	static const int ways[] = { 16, 2, 1 };	/* the same messages whichever road the CPU has */
	size_t i, w;

	for (w = 0; w < NF_ARRAY_LEN(ways); w++) {
		sha256_ways_limit(ways[w]);
		for (i = 0; i < NF_ARRAY_LEN(roads); i++)
			with_alert(roads[i].article, roads[i].templates, roads[i].full, groups);
	}
	sha256_ways_limit(SHA256_MANY);
}

/* no DKIM key configured: the same message without signature fields, one by one and two at once */
TEST(alert_without_keys)
{
	struct mail_subscriber sub[2] = { { 5, "a@example.org", "s1" }, { 6, "b@example.org", "s2" } };
	struct news_article a;
	struct mail_alert *p = NULL, *signed_ = NULL;
	struct mail_sender s;
	struct buf one, two[2], sig, *o[2] = { &two[0], &two[1] };
	int rc[2];
	char *dir;

	make_keys();
	CHECK_INT(load_article("basic.json", &a), NF_OK);
	sender(&s, "templates", &dir);
	CHECK_INT(prepare_article(&s, &a, 42, date, &signed_), NF_OK);
	s.nkeys = 0;
	CHECK_INT(prepare_article(&s, &a, 42, date, &p), NF_OK);
	buf_init(&one, 0);
	buf_init(&two[0], 0);
	buf_init(&two[1], 0);
	buf_init(&sig, 0);
	CHECK_INT(mail_alert_compose(p, &sub[0], &one), NF_OK);
	CHECK(strncmp(one.data, "From: ", 6) == 0);
	CHECK_INT(mail_alert_compose(signed_, &sub[0], &sig), NF_OK);
	CHECK(sig.len > one.len && memcmp(sig.data + sig.len - one.len, one.data, one.len) == 0);
	mail_alert_compose_many(p, sub, 2, o, rc);
	CHECK_INT(rc[0], NF_OK);
	CHECK_INT(rc[1], NF_OK);
	CHECK_MEM(two[0].data, two[0].len, one.data, one.len);
	buf_free(&one);
	buf_free(&two[0]);
	buf_free(&two[1]);
	buf_free(&sig);
	mail_alert_free(p);
	mail_alert_free(signed_);
	news_article_free(&a);
	free(dir);
}

/* a ceiling on the caller's buffer: a message that fits is composed, one that does not leaves it as it was */
TEST(alert_compose_under_a_ceiling)
{
	struct mail_subscriber sub = { 5, "reader@example.org", "salt" };
	struct news_article a;
	struct mail_alert *p = NULL;
	struct mail_sender s;
	struct buf free_, exact, tight;
	char *dir;

	make_keys();
	CHECK_INT(load_article("basic.json", &a), NF_OK);
	sender(&s, "templates", &dir);
	CHECK_INT(prepare_article(&s, &a, 42, date, &p), NF_OK);
	buf_init(&free_, 0);
	CHECK_INT(mail_alert_compose(p, &sub, &free_), NF_OK);
	buf_init(&exact, free_.len);
	CHECK_INT(mail_alert_compose(p, &sub, &exact), NF_OK);
	CHECK_MEM(exact.data, exact.len, free_.data, free_.len);
	buf_init(&tight, free_.len - 1);
	buf_puts(&tight, "kept");
	CHECK_INT(mail_alert_compose(p, &sub, &tight), NF_ERR_LIMIT);
	CHECK_STR(tight.data, "kept");
	buf_free(&free_);
	buf_free(&exact);
	buf_free(&tight);
	mail_alert_free(p);
	news_article_free(&a);
	free(dir);
}

static char *
field_value(const struct buf *m, const char *name)
{
	size_t hlen, bo, flen;
	const char *f;

	mail_msg_split(m->data, m->len, &hlen, &bo);
	if (mail_msg_header_find(m->data, hlen, name, 0, &f, &flen) != NF_OK)
		return NULL;
	return mt_unfold_value(f, flen);
}

/* RFC 5322 3.6.4 / DESIGN: one Message-ID per (alert, subscriber), the same on a resend */
TEST(alert_message_id_and_tokens)
{
	struct mail_subscriber s1 = { 7, "one@example.org", "s1" }, s2 = { 8, "two@example.org", "s2" };
	struct news_article a;
	struct mail_alert *p;
	struct mail_sender s;
	struct buf m1, m1b, m2;
	char *dir, *id1, *id2, *lu, *tok, *end, *mt, *at;

	make_keys();
	CHECK_INT(load_article("basic.json", &a), NF_OK);
	sender(&s, "templates", &dir);
	CHECK_INT(prepare_article(&s, &a, 42, date, &p), NF_OK);
	buf_init(&m1, 0), buf_init(&m1b, 0), buf_init(&m2, 0);
	CHECK_INT(mail_alert_compose(p, &s1, &m1), NF_OK);
	CHECK_INT(mail_alert_compose(p, &s2, &m2), NF_OK);
	CHECK_INT(mail_alert_compose(p, &s1, &m1b), NF_OK);
	CHECK_MEM(m1.data, m1.len, m1b.data, m1b.len);
	id1 = field_value(&m1, "message-id");
	id2 = field_value(&m2, "message-id");
	CHECK(strncmp(id1, "<alert.42.7.", 12) == 0 && strstr(id1, "@news.example>") != NULL);
	CHECK(strcmp(id1, id2) != 0);
	/* RFC 8058: the one-click header, and a token that verifies for this subscriber only */
	lu = field_value(&m1, "list-unsubscribe");
	CHECK(strncmp(lu, "<https://news.example/u/", 24) == 0);
	tok = lu + 24;
	end = strchr(tok, '>');
	CHECK(end != NULL);
	CHECK_INT(token_verify(&secret, "unsubscribe", tok, (size_t)(end - tok), "s1", date), TOKEN_VALID);
	CHECK_INT(token_verify(&secret, "unsubscribe", tok, (size_t)(end - tok), "s2", date), TOKEN_BAD);
	/* the mailto: a short token of purpose "unsubscribe", in a local part within 64 octets */
	mt = strstr(lu, ", <mailto:unsubscribe+");
	CHECK(mt != NULL);
	mt += 10;
	at = strchr(mt, '@');
	CHECK(at != NULL && (size_t)(at - mt) <= 64);
	CHECK_STR(at, "@news.example>");
	CHECK_INT(token_short_verify(&secret, "unsubscribe", mt + 12, (size_t)(at - mt - 12), "s1"),
		  TOKEN_VALID);
	CHECK_INT(token_short_verify(&secret, "unsubscribe", mt + 12, (size_t)(at - mt - 12), "s2"),
		  TOKEN_BAD);
	free(id2), free(lu), free(id1);
	id1 = field_value(&m1, "list-unsubscribe-post");
	CHECK_STR(id1, "List-Unsubscribe=One-Click");
	free(id1);
	buf_free(&m1), buf_free(&m1b), buf_free(&m2);
	mail_alert_free(p);
	news_article_free(&a);
	free(dir);
}

/* header injection from any outside value is an error, and nothing is written */
TEST(alert_rejects_controls_from_outside)
{
	static const char *bad_to[] = { "a@b.example\r\nBcc: x@y.example", "a b@example.org", "", "é@example.org" };
	struct news_article a;
	struct mail_alert *p;
	struct mail_sender s;
	char *dir, *headline;
	struct buf m;
	size_t i;

	make_keys();
	CHECK_INT(load_article("basic.json", &a), NF_OK);
	sender(&s, "templates", &dir);
	CHECK_INT(prepare_article(&s, &a, 1, date, &p), NF_OK);
	buf_init(&m, 0);
	buf_puts(&m, "keep");
	for (i = 0; i < NF_ARRAY_LEN(bad_to); i++) {
		struct mail_subscriber sub = { 1, bad_to[i], "s" };

		CHECK_INT(mail_alert_compose(p, &sub, &m), NF_ERR_INVALID);
	}
	CHECK_STR(m.data, "keep");
	mail_alert_free(p);
	/* a headline that news/ would refuse, handed over anyway */
	headline = a.headline;
	a.headline = "Breaking\r\nBcc: everyone@example.org";
	CHECK_INT(prepare_article(&s, &a, 1, date, &p), NF_ERR_INVALID);
	a.headline = headline;
	s.from_name = "Desk\nX-Injected: 1";
	CHECK_INT(prepare_article(&s, &a, 1, date, &p), NF_ERR_INVALID);
	s.from_name = "Desk";
	s.base_url = "https://news.example/\"><script>";
	CHECK_INT(prepare_article(&s, &a, 1, date, &p), NF_ERR_INVALID);
	s.base_url = "javascript:alert(1)";
	CHECK_INT(prepare_article(&s, &a, 1, date, &p), NF_ERR_INVALID);
	buf_free(&m);
	news_article_free(&a);
	free(dir);
}

/* the signup confirmation: a confirm token valid for a week, signed like alerts */
TEST(confirm_message)
{
	struct mail_subscriber sub = { 99, "new@example.org", "fresh-salt" };
	struct mail_sender s;
	struct buf m, resign, dec;
	const char *rest, *url, *qp;
	char *dir, *subject;
	size_t hlen, bo, i;

	make_keys();
	sender(&s, "templates", &dir);
	free(dir);
	dir = NULL;
	{
		const char *src = getenv("NEWSFLASH_SRC");
		struct buf d;

		buf_init(&d, 0);
		buf_printf(&d, "%s/templates", src && *src ? src : ".");
		dir = buf_steal(&d, NULL);
	}
	s.templates_dir = dir;
	buf_init(&m, 0), buf_init(&resign, 0), buf_init(&dec, 0);
	CHECK_INT(mail_confirm_compose(&s, &sub, date, &m), NF_OK);
	subject = field_value(&m, "subject");
	CHECK_STR(subject, "Please confirm your subscription to The Daily Example");
	free(subject);
	/* the general signer over the rest gives the same two signatures */
	rest = m.data;
	for (i = 0; i < 2; i++) {
		do
			rest = strstr(rest, "\r\n") + 2;
		while (*rest == ' ');
	}
	for (i = 0; i < 2; i++)
		mail_dkim_sign(keys[i], rest, m.len - (size_t)(rest - m.data), mail_dkim_signed_headers,
			       mail_dkim_signed_count, (int64_t)date, &resign);
	CHECK_MEM(resign.data, resign.len, m.data, (size_t)(rest - m.data));
	/* the text part carries the link; its token confirms this subscriber until date + a week */
	mail_msg_split(rest, m.len - (size_t)(rest - m.data), &hlen, &bo);
	qp = strstr(rest + bo, "quoted-printable\r\n\r\n");
	CHECK(qp != NULL);
	qp += 20;
	CHECK_INT(mt_qp_decode(qp, (size_t)(strstr(qp, "\r\n--=_") - qp), &dec), 0);
	url = strstr(dec.data, "https://news.example/confirm/");
	CHECK(url != NULL);
	url += 29;
	CHECK_INT(token_verify(&secret, "confirm", url, 66, "fresh-salt", date + MAIL_CONFIRM_TTL), TOKEN_VALID);
	CHECK_INT(token_verify(&secret, "confirm", url, 66, "fresh-salt", date + MAIL_CONFIRM_TTL + 1), TOKEN_EXPIRED);
	CHECK(strstr(dec.data, "new@example.org") != NULL);
	buf_free(&m), buf_free(&resign), buf_free(&dec);
	free(dir);
}

/* every outside value reaches the HTML escaped (the template engine's default) */
TEST(alert_html_escapes_outside_values)
{
	struct news_article a;
	struct mail_alert *p;
	struct mail_sender s;
	struct mail_subscriber sub = { 5, "x@example.org", "s" };
	struct buf m, dec;
	const char *html;
	char *dir;

	make_keys();
	CHECK_INT(load_article("basic.json", &a), NF_OK);
	free(a.standfirst);
	a.standfirst = xstrdup("<script>alert(\"x\")</script> & 'quotes'");
	sender(&s, "templates", &dir);
	CHECK_INT(prepare_article(&s, &a, 3, date, &p), NF_OK);
	buf_init(&m, 0), buf_init(&dec, 0);
	CHECK_INT(mail_alert_compose(p, &sub, &m), NF_OK);
	html = strstr(m.data, "text/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n");
	CHECK(html != NULL);
	html = strstr(html, "\r\n\r\n") + 4;
	CHECK_INT(mt_qp_decode(html, (size_t)(strstr(html, "\r\n--=_") - html), &dec), 0);
	CHECK(strstr(dec.data, "<script>") == NULL);
	CHECK(strstr(dec.data, "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;quotes&#39;") != NULL);
	buf_free(&m), buf_free(&dec);
	mail_alert_free(p);
	news_article_free(&a);
	free(dir);
}
