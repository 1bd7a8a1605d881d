/*
 * fuzz_article - incoming article JSON (POST /api/articles, publish FILE)
 * and the HTML-to-text conversion of whatever body it carries.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "news/news.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct news_article a;
	struct news_errors e;
	char *text;

	if (news_article_parse((const char *)data, size, &a, &e) == NF_OK) {
		json_decref(news_article_json(&a));
		news_article_free(&a);
	}
	text = news_html_to_text((const char *)data, size);
	free(text);
	return 0;
}
