/*
 * tmpl/escape.c - HTML escaping of interpolated values
 *
 * Owns: replacing & < > " ' by &amp; &lt; &gt; &quot; &#39; (spec
 * interpolation "HTML Escaping" names the first four; the apostrophe is
 * escaped too, as mustache.js does, so a value is safe inside an attribute
 * quoted either way). Runs of safe bytes are copied whole: escaping costs
 * little more than a memcpy when there is nothing to escape.
 */
#include "tmpl_private.h"

/* 0: copy as is; otherwise the index of the entity */
static const unsigned char entity_of[256] = {
	['&'] = 1, ['<'] = 2, ['>'] = 3, ['"'] = 4, ['\''] = 5,
};

static const struct {
	const char *text;
	size_t len;
} entities[] = {
	{ "", 0 }, { "&amp;", 5 }, { "&lt;", 4 }, { "&gt;", 4 }, { "&quot;", 6 }, { "&#39;", 5 },
};

int
tmpl_escape_html(struct buf *out, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, j;
	int rc = buf_reserve(out, n);

	while (rc == NF_OK && i < n) {
		for (j = i; j < n && entity_of[p[j]] == 0; j++)
			;
		if (j > i)
			rc = buf_append(out, s + i, j - i);
		if (rc == NF_OK && j < n)
			rc = buf_append(out, entities[entity_of[p[j]]].text,
					entities[entity_of[p[j]]].len);
		i = j + 1;
	}
	return rc;
}
