/*
 * tests for news/sanitize.c: an article's body_html against known XSS
 * vectors (OWASP's filter evasion cheat sheet, html5sec.org, the mXSS
 * papers), and ordinary markup kept as it was
 */
#include <ctype.h>
#include <stdlib.h>
#include <strings.h>

#include "core/core.h"
#include "news/news.h"
#include "../../harness.h"

/* the sanitised form of in (a new string) */
static char *
clean(const char *in)
{
	struct buf b;

	buf_init(&b, 0);
	if (news_html_sanitize(in, strlen(in), &b) != NF_OK) {
		buf_free(&b);
		return xstrdup("(refused)");
	}
	return buf_steal(&b, NULL);
}

/*
 * inert - every '<' in the output opens a tag the sanitiser wrote (text has
 * its '<' escaped): each must be an allowed name with only href, title or
 * start attributes, and an href must be http(s) or mailto
 */
static int
inert(const char *out)
{
	static const char *const names[] = {
		"p", "br", "hr", "b", "strong", "i", "em", "u", "s", "small", "sub", "sup", "mark", "q",
		"cite", "code", "pre", "blockquote", "ul", "ol", "li", "dl", "dt", "dd", "h2", "h3",
		"h4", "h5", "h6", "span", "a", "abbr",
	};
	const char *p = out;

	while ((p = strchr(p, '<')) != NULL) {
		const char *gt = strchr(p, '>'), *q;
		size_t len, i;

		if (gt == NULL)
			return 0;
		p += p[1] == '/' ? 2 : 1;
		for (len = 0; isalnum((unsigned char)p[len]); len++)
			;
		for (i = 0; i < NF_ARRAY_LEN(names); i++)
			if (strlen(names[i]) == len && strncmp(p, names[i], len) == 0)
				break;
		if (i == NF_ARRAY_LEN(names))
			return 0;
		for (q = p + len; q < gt; q++) {
			if (*q != ' ')
				continue;
			if (strncasecmp(q, " href=\"https://", 15) && strncasecmp(q, " href=\"http://", 14) &&
			    strncasecmp(q, " href=\"mailto:", 14) && strncmp(q, " title=\"", 8) &&
			    strncmp(q, " start=\"", 8))
				return 0;
			q = strchr(strchr(q, '"') + 1, '"');	/* past the value: it has no '"' */
		}
		p = gt + 1;
	}
	return 1;
}

TEST(sanitize_keeps_running_text)
{
	char *o;

	o = clean("<p>One &amp; <b>two</b> <em>three</em></p><ul><li>a</li><li>b</li></ul>");
	CHECK_STR(o, "<p>One &amp; <b>two</b> <em>three</em></p><ul><li>a</li><li>b</li></ul>");
	free(o);
	o = clean("<p><a href=\"https://news.example/a?x=1&amp;y=2\" title=\"More\">more</a></p>");
	CHECK_STR(o, "<p><a href=\"https://news.example/a?x=1&amp;y=2\" title=\"More\">more</a></p>");
	free(o);
	o = clean("<blockquote><p>Quote</p></blockquote><h2>Head</h2><br><ol start=\"3\"><li>c</li></ol>");
	CHECK_STR(o, "<blockquote><p>Quote</p></blockquote><h2>Head</h2><br><ol start=\"3\"><li>c</li></ol>");
	free(o);
	o = clean("<p>unclosed <i>tags<p>fixed");	/* repaired as a browser would */
	CHECK_STR(o, "<p>unclosed <i>tags</i></p><p><i>fixed</i></p>");
	free(o);
	o = clean("<a href=\"mailto:desk@news.example\">mail</a> 5 &lt; 6");
	CHECK_STR(o, "<a href=\"mailto:desk@news.example\">mail</a> 5 &lt; 6");
	free(o);
}

TEST(sanitize_drops_scripts_and_styles_with_their_content)
{
	char *o;

	o = clean("<p>a</p><script>alert(1)</script><p>b</p>");
	CHECK_STR(o, "<p>a</p><p>b</p>");
	free(o);
	o = clean("<SCRIPT SRC=https://evil.example/x.js></SCRIPT>ok");
	CHECK_STR(o, "ok");
	free(o);
	o = clean("<scr<script>ipt>alert(1)</script>");	/* the filter-splitting trick */
	CHECK(inert(o));
	CHECK(strstr(o, "<script") == NULL);
	free(o);
	o = clean("<style>body{background:url(javascript:alert(1))}</style>x");
	CHECK_STR(o, "x");
	free(o);
	o = clean("<p style=\"width:expression(alert(1))\">y</p>");
	CHECK_STR(o, "<p>y</p>");
	free(o);
	o = clean("<!--<script>alert(1)--><p>z</p>");
	CHECK_STR(o, "<p>z</p>");
	free(o);
	o = clean("<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\"></noscript>w");
	CHECK(inert(o));
	free(o);
}

TEST(sanitize_links_only_http_https_mailto)
{
	static const char *const vectors[] = {
		"<a href=\"javascript:alert(1)\">x</a>",
		"<a href=\"JaVaScRiPt:alert(1)\">x</a>",
		"<a href=\" javascript:alert(1)\">x</a>",
		"<a href=\"java\tscript:alert(1)\">x</a>",
		"<a href=\"java&#9;script:alert(1)\">x</a>",
		"<a href=\"java&#x0A;script:alert(1)\">x</a>",
		"<a href=\"&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)\">x</a>",
		"<a href=\"&#x6A;avascript&colon;alert(1)\">x</a>",
		"<a href=\"&#0000106avascript:alert(1)\">x</a>",
		"<a href=\"\x01javascript:alert(1)\">x</a>",
		"<a href=\"vbscript:msgbox(1)\">x</a>",
		"<a href=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\">x</a>",
		"<a href=\"/relative\">x</a>",
		"<a href=javascript:alert(1)>x</a>",
	};
	size_t i;

	for (i = 0; i < NF_ARRAY_LEN(vectors); i++) {
		char *o = clean(vectors[i]);

		if (strcmp(o, "<a>x</a>") != 0)
			fprintf(stderr, "  vector %zu: %s -> %s\n", i, vectors[i], o);
		CHECK_STR(o, "<a>x</a>");
		free(o);
	}
}

TEST(sanitize_drops_forms_base_embeds_and_pixels)
{
	static const char *const vectors[] = {
		"<form action=\"https://evil.example/\"><input name=\"password\"><button>Log in</button></form>",
		"<base href=\"https://evil.example/\">",
		"<img src=\"https://tracker.example/p.gif?u=1\" width=\"1\" height=\"1\">",
		"<img src=x onerror=alert(1)>",
		"<iframe src=\"https://evil.example/\"></iframe>",
		"<object data=\"https://evil.example/x.swf\"></object><embed src=\"x.swf\">",
		"<meta http-equiv=\"refresh\" content=\"0;url=https://evil.example/\">",
		"<link rel=\"stylesheet\" href=\"https://evil.example/x.css\">",
		"<video><source onerror=\"alert(1)\"></video><audio src=x onerror=alert(1)>",
		"<svg onload=alert(1)><script>alert(1)</script></svg>",
		"<svg><a xlink:href=\"javascript:alert(1)\"><text>x</text></a></svg>",
		"<math><mtext><table><mglyph><style><img src=x onerror=alert(1)></style></mglyph></table></mtext></math>",
		"<math href=\"javascript:alert(1)\">x</math>",
		"<template><script>alert(1)</script></template>",
		"<textarea><script>alert(1)</script></textarea>",
		"<frameset onload=alert(1)>",
	};
	size_t i;

	for (i = 0; i < NF_ARRAY_LEN(vectors); i++) {
		char *o = clean(vectors[i]);

		if (strcmp(o, "") != 0)
			fprintf(stderr, "  vector %zu: %s -> %s\n", i, vectors[i], o);
		CHECK_STR(o, "");
		free(o);
	}
}

TEST(sanitize_strips_event_and_other_attributes)
{
	char *o;

	o = clean("<p onclick=\"alert(1)\" class=\"x\" id=\"y\">a</p>");
	CHECK_STR(o, "<p>a</p>");
	free(o);
	o = clean("<a href=\"https://news.example/\" onmouseover=\"alert(1)\" target=\"_blank\" "
		  "style=\"position:fixed;top:0\">b</a>");
	CHECK_STR(o, "<a href=\"https://news.example/\">b</a>");
	free(o);
	o = clean("<b/onmouseover=alert(1)>c</b>");
	CHECK_STR(o, "<b>c</b>");
	free(o);
	o = clean("<div><font color=red face=x>d</font></div><table><tr><td>e</td></tr></table>");
	CHECK_STR(o, "de");
	free(o);
	o = clean("<a href=\"https://news.example/&quot;onmouseover=&quot;alert(1)\">f</a>");
	CHECK_STR(o, "<a href=\"https://news.example/&quot;onmouseover=&quot;alert(1)\">f</a>");
	free(o);
	o = clean("<ol start=\"1;x\"><li>g</li></ol>");
	CHECK_STR(o, "<ol><li>g</li></ol>");
	free(o);
}

TEST(sanitize_output_is_stable_and_refuses_deep_nesting)
{
	const char *in = "<p>a <a href=\"https://n.example/?a=1&b=2\">l</a> &quot;q&quot; <pre>\n\ncode</pre>";
	struct buf deep;
	char *o1, *o2;
	int i;

	o1 = clean(in);
	o2 = clean(o1);
	CHECK_STR(o2, o1);
	free(o1);
	free(o2);
	buf_init(&deep, 0);
	for (i = 0; i < NEWS_HTML_DEPTH_MAX + 10; i++)
		buf_puts(&deep, "<div>");
	o1 = clean(deep.data);
	CHECK_STR(o1, "(refused)");
	free(o1);
	buf_free(&deep);
}

TEST(article_body_html_sanitised_on_parse)
{
	const char *j = "{\"headline\":\"H\",\"body_html\":\"<p>ok</p><script>alert(1)</script>"
			"<a href='javascript:alert(1)'>x</a><img src='https://t.example/p.gif'>\"}";
	const char *only = "{\"headline\":\"H\",\"body_html\":\"<script>alert(1)</script>\"}";
	struct news_article a;
	struct news_errors e;
	struct buf deep;
	int i;

	CHECK_INT(news_article_parse(j, strlen(j), &a, &e), NF_OK);
	CHECK_STR(a.body_html, "<p>ok</p><a>x</a>");
	CHECK_STR(a.body_text, "ok\n\nx\n");
	news_article_free(&a);
	CHECK_INT(news_article_parse(only, strlen(only), &a, &e), NF_OK);
	CHECK(a.body_html == NULL);
	news_article_free(&a);
	buf_init(&deep, 0);
	buf_puts(&deep, "{\"headline\":\"H\",\"body_html\":\"");
	for (i = 0; i < 5000; i++)
		buf_puts(&deep, "<span>");
	buf_puts(&deep, "\"}");
	CHECK_INT(news_article_parse(deep.data, deep.len, &a, &e), NF_ERR_INVALID);
	CHECK_INT(e.count, 1);
	CHECK_STR(e.items[0].field, "body_html");
	buf_free(&deep);
}

TEST(article_context_credit_has_one_prefix)
{
	const char *j = "{\"headline\":\"H\",\"images\":[{\"url\":\"https://i.example/1.jpg\",\"credit\":\"Photo: A. Snapper\"},"
			"{\"url\":\"https://i.example/2.jpg\",\"credit\":\"PHOTOGRAPH: B\"},"
			"{\"url\":\"https://i.example/3.jpg\",\"credit\":\"Photophile Agency\"},"
			"{\"url\":\"https://i.example/4.jpg\",\"credit\":\"Photo:\"}]}";
	struct news_article a;
	struct news_errors e;
	json_t *ctx, *imgs;

	CHECK_INT(news_article_parse(j, strlen(j), &a, &e), NF_OK);
	ctx = news_article_context(&a);
	imgs = json_object_get(ctx, "images");
	CHECK_STR(json_string_value(json_object_get(json_array_get(imgs, 0), "credit")), "A. Snapper");
	CHECK_STR(json_string_value(json_object_get(json_array_get(imgs, 1), "credit")), "B");
	CHECK_STR(json_string_value(json_object_get(json_array_get(imgs, 2), "credit")), "Photophile Agency");
	CHECK(json_is_null(json_object_get(json_array_get(imgs, 3), "credit")));
	CHECK_STR(a.images[0].credit, "Photo: A. Snapper");	/* the stored credit is the newsroom's */
	json_decref(ctx);
	news_article_free(&a);
}
