/*
 * tests for news/article_store.c: an article stored and loaded back is the
 * article that was parsed, field by field (what the engine composes from),
 * and its template context carries the reader's time
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/core.h"
#include "news/news.h"
#include "store/store.h"
#include "../../harness.h"

static int
opt_eq(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
}

/* the same article, every field */
static int
article_eq(const struct news_article *a, const struct news_article *b)
{
	size_t i;

	if (!opt_eq(a->slug, b->slug) || !opt_eq(a->headline, b->headline) ||
	    !opt_eq(a->standfirst, b->standfirst) || !opt_eq(a->body_html, b->body_html) ||
	    !opt_eq(a->body_text, b->body_text) || !opt_eq(a->byline, b->byline) ||
	    !opt_eq(a->url, b->url) || a->published_at != b->published_at ||
	    a->breaking != b->breaking || a->nimages != b->nimages || a->ntopics != b->ntopics)
		return 0;
	for (i = 0; i < a->nimages; i++)
		if (!opt_eq(a->images[i].url, b->images[i].url) ||
		    !opt_eq(a->images[i].caption, b->images[i].caption) ||
		    !opt_eq(a->images[i].credit, b->images[i].credit))
			return 0;
	for (i = 0; i < a->ntopics; i++)
		if (!opt_eq(a->topics[i], b->topics[i]))
			return 0;
	return 1;
}

/* insert then load gives back the parsed article, whatever fields it has */
TEST(news_article_stored_and_loaded_back_unchanged)
{
	static const char *const stories[] = {
		"{\"headline\":\"Flood defences approved\",\"standfirst\":\"Residents evacuated.\","
		"\"body_html\":\"<p>The council voted.</p><p>Work starts \\u00e0 l'aube.</p>\","
		"\"byline\":\"Desk\",\"url\":\"https://news.example/a\","
		"\"published_at\":\"2026-11-29T03:10:00Z\","
		"\"images\":[{\"url\":\"https://img.example/a.jpg\",\"caption\":\"Defences\"},"
		"{\"url\":\"https://img.example/b.jpg\",\"credit\":\"Agency\"}],"
		"\"topics\":[\"weather\",\"local-news\"],\"breaking\":true}",
		"{\"headline\":\"Only a headline\"}",
		"{\"headline\":\"Text only\",\"body_text\":\"Plain words.\",\"images\":[],\"topics\":[]}",
	};
	char dir[64], url[128], path[128];
	struct store *s = NULL;
	size_t i;

	snprintf(dir, sizeof(dir), "/tmp/nf-news-test.XXXXXX");
	CHECK(mkdtemp(dir) != NULL);
	snprintf(url, sizeof(url), "sqlite:%s/test.db", dir);
	CHECK_INT(store_open(url, &s), NF_OK);
	for (i = 0; i < NF_ARRAY_LEN(stories); i++) {
		struct news_article parsed, loaded;
		struct news_errors errs;
		int64_t id = 0;
		int same;

		CHECK_INT(news_article_parse(stories[i], strlen(stories[i]), &parsed, &errs), NF_OK);
		CHECK_INT(news_article_insert(s, &parsed, &id), NF_OK);
		CHECK_INT(news_article_load(s, id, &loaded), NF_OK);
		same = article_eq(&parsed, &loaded);
		news_article_free(&parsed);
		news_article_free(&loaded);
		CHECK(same);
	}
	{
		struct news_article none;

		CHECK_INT(news_article_load(s, 999, &none), NF_ERR_NOTFOUND);
	}
	store_close(s);
	snprintf(path, sizeof(path), "%s/test.db", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/test.db-wal", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/test.db-shm", dir);
	unlink(path);
	rmdir(dir);
}

/* the templates' context: the article's fields and a reader's time */
TEST(news_article_context_has_the_published_label)
{
	static const char story[] = "{\"headline\":\"H\",\"published_at\":\"2026-11-29T03:10:00Z\","
				    "\"topics\":[\"weather\"]}";
	struct news_article a;
	struct news_errors errs;
	json_t *ctx;

	CHECK_INT(news_article_parse(story, strlen(story), &a, &errs), NF_OK);
	ctx = news_article_context(&a);
	news_article_free(&a);
	CHECK_STR(json_string_value(json_object_get(ctx, "published_label")), "29 November 2026, 03:10 UTC");
	CHECK_STR(json_string_value(json_object_get(ctx, "headline")), "H");
	CHECK_STR(json_string_value(json_object_get(ctx, "published_at")), "2026-11-29T03:10:00Z");
	CHECK_INT(json_array_size(json_object_get(ctx, "topics")), 1);
	json_decref(ctx);
}
