/* tests for news/: article validation and HTML to text */
#include <stdlib.h>

#include "core/core.h"
#include "news/news.h"
#include "../../harness.h"

static int
has_error(const struct news_errors *e, const char *field)
{
	int i;

	for (i = 0; i < e->count; i++)
		if (strcmp(e->items[i].field, field) == 0)
			return 1;
	return 0;
}

TEST(article_valid_full)
{
	const char *j = "{\"headline\":\"Queen gives limousine to visiting president\","
		"\"standfirst\":\"A state visit ends with a gift\",\"body_html\":\"<p>One &amp; two</p><p>Three</p>\","
		"\"byline\":\"Jo Reporter\",\"url\":\"https://news.example/a\",\"published_at\":\"2026-11-29T03:10:06Z\","
		"\"images\":[{\"url\":\"https://img.example/1.jpg\",\"caption\":\"The car\",\"credit\":\"Photo: PA\"}],"
		"\"topics\":[\"royals\",\"uk-news\"],\"breaking\":true}";
	struct news_article a;
	struct news_errors e;
	json_t *back;

	CHECK_INT(news_article_parse(j, strlen(j), &a, &e), NF_OK);
	CHECK_STR(a.slug, "queen-gives-limousine-to-visiting-president");
	CHECK_STR(a.body_text, "One & two\n\nThree\n");
	CHECK_INT(a.published_at, 1795921806);
	CHECK_INT(a.nimages, 1);
	CHECK_STR(a.images[0].credit, "Photo: PA");
	CHECK_INT(a.ntopics, 2);
	CHECK(a.breaking);
	back = news_article_json(&a);
	CHECK_STR(json_string_value(json_object_get(back, "published_at")), "2026-11-29T03:10:06Z");
	json_decref(back);
	news_article_free(&a);
}

/* each bad field is named, all at once */
TEST(article_names_every_bad_field)
{
	const char *j = "{\"headline\":\"Bad\\r\\nBcc: victim@example.com\",\"url\":\"javascript:alert(1)\","
		"\"published_at\":\"yesterday\",\"images\":[{\"caption\":\"x\"}],\"topics\":[\"Not OK\"],"
		"\"breaking\":\"yes\",\"byline\":\"a\\u0000b\"}";
	struct news_article a;
	struct news_errors e;

	CHECK_INT(news_article_parse(j, strlen(j), &a, &e), NF_ERR_INVALID);
	CHECK(has_error(&e, "headline"));
	CHECK(has_error(&e, "url"));
	CHECK(has_error(&e, "published_at"));
	CHECK(has_error(&e, "images[0].url"));
	CHECK(has_error(&e, "topics"));
	CHECK(has_error(&e, "breaking"));
	CHECK(has_error(&e, "byline"));
	CHECK(a.headline == NULL);
}

TEST(article_rejects_non_objects_and_missing_headline)
{
	struct news_article a;
	struct news_errors e;

	CHECK_INT(news_article_parse("[1]", 3, &a, &e), NF_ERR_INVALID);
	CHECK(has_error(&e, "body"));
	CHECK_INT(news_article_parse("{\"a\":", 5, &a, &e), NF_ERR_INVALID);
	CHECK_INT(news_article_parse("{}", 2, &a, &e), NF_ERR_INVALID);
	CHECK(has_error(&e, "headline"));
	CHECK_INT(news_article_parse("{\"headline\":\"\"}", 15, &a, &e), NF_ERR_INVALID);
	CHECK_INT(news_article_parse("{\"headline\":\"x\",\"headline\":\"y\"}", 31, &a, &e), NF_ERR_INVALID);
}

TEST(html_to_text_blocks_links_entities_wrap)
{
	const char *h = "<h1>Title</h1><p>Read <a href=\"https://x.example/a\">more</a> &#8212; now&hellip;</p>"
		"<ul><li>one</li><li>two</li></ul><script>alert(1)</script><p>word word word word word word word "
		"word word word word word word word word word word word end</p>";
	char *t = news_html_to_text(h, strlen(h));

	CHECK_STR(t, "Title\n\nRead more (https://x.example/a) \xe2\x80\x94 now\xe2\x80\xa6\n\n- one\n- two\n\n"
		     "word word word word word word word word word word word word word word\nword word word word end\n");
	free(t);
	t = news_html_to_text("", 0);
	CHECK_STR(t, "\n");
	free(t);
	t = news_html_to_text("a < b &bogus; &#xZZ; <unclosed", 30);
	CHECK(t != NULL);
	free(t);
}
