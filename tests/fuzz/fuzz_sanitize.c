/*
 * fuzz_sanitize - an article's body_html through news_html_sanitize. Any
 * bytes: it must not crash, and what it writes must be clean by its own
 * rules: no dropped element, only allowed attributes, and sanitised again
 * it keeps its tags (a second pass may move an end tag the parser implies,
 * never drop half of them).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/core.h"
#include "news/news.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* the number of '<' in s: with text escaped, each is a tag the sanitiser wrote */
static size_t
tags(const char *s, size_t n)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++)
		k += s[i] == '<';
	return k;
}

/* every tag's attributes are href (http, https, mailto), title or start, quoted */
static int
attrs_ok(const char *s)
{
	const char *p = s, *gt, *q;

	while ((p = strchr(p, '<')) != NULL) {
		if ((gt = strchr(p, '>')) == NULL)
			return 0;
		for (q = strchr(p, ' '); q && q < gt; q = strchr(q, ' ')) {
			if (strncasecmp(q, " href=\"https://", 15) && strncasecmp(q, " href=\"http://", 14) &&
			    strncasecmp(q, " href=\"mailto:", 14) && strncmp(q, " title=\"", 8) &&
			    strncmp(q, " start=\"", 8))
				return 0;
			q = strchr(strchr(q, '"') + 1, '"');	/* values hold no '"' or '>' */
			if (q == NULL || q > gt)
				return 0;
		}
		p = gt + 1;
	}
	return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf once, twice;

	buf_init(&once, 0);
	buf_init(&twice, 0);
	if (news_html_sanitize((const char *)data, size, &once) == NF_OK) {
		const char *o = once.data ? once.data : "";

		if (strstr(o, "<script") || strstr(o, "<img") || strstr(o, "<form") ||
		    strstr(o, "<base") || strstr(o, "<svg") || strstr(o, "<math") ||
		    strstr(o, "<style") || strstr(o, "<iframe") || !attrs_ok(o))
			abort();
		/* its tags are all allowed ones: a second pass may add implied end tags, never drop one */
		if (news_html_sanitize(o, once.len, &twice) != NF_OK ||
		    tags(twice.data ? twice.data : "", twice.len) < tags(o, once.len) / 2)
			abort();
	}
	buf_free(&once);
	buf_free(&twice);
	return 0;
}
