/*
 * tmpl/escape.c - HTML escaping of interpolated values
 *
 * Owns: replacing & < > " ' by &amp; &lt; &gt; &quot; &#39; (spec
 * interpolation "HTML Escaping" names the first four; the apostrophe is
 * escaped too, as mustache.js does, so a value is safe inside an attribute
 * quoted either way). Runs of safe bytes are found sixteen at a time (SSE2,
 * which every x86-64 has; a byte loop elsewhere) and copied whole: escaping
 * costs little more than a memcpy when there is nothing to escape.
 */
#include "tmpl_internal.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

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

/* how many bytes from p on need no escaping */
static size_t
safe_run(const unsigned char *p, size_t n)
{
	size_t i = 0;

#ifdef __SSE2__
	/* & (0x26) and ' (0x27) differ in bit 0, < (0x3c) and > (0x3e) in bit 1 */
	const __m128i amp_apos = _mm_set1_epi8(0x27), lt_gt = _mm_set1_epi8(0x3e);
	const __m128i quot = _mm_set1_epi8(0x22), one = _mm_set1_epi8(1), two = _mm_set1_epi8(2);

	for (; i + 16 <= n; i += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
		__m128i hit = _mm_or_si128(
			_mm_or_si128(_mm_cmpeq_epi8(_mm_or_si128(v, one), amp_apos),
				     _mm_cmpeq_epi8(_mm_or_si128(v, two), lt_gt)),
			_mm_cmpeq_epi8(v, quot));
		int mask = _mm_movemask_epi8(hit);

		if (mask)
			return i + (size_t)__builtin_ctz((unsigned)mask);
	}
#endif
	while (i < n && entity_of[p[i]] == 0)
		i++;
	return i;
}

int
tmpl_escape_html(struct buf *out, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, j;
	int rc = NF_OK;

	while (rc == NF_OK && i < n) {
		j = i + safe_run(p + i, n - i);
		if (j > i)
			rc = tmpl_put(out, s + i, j - i);
		if (rc == NF_OK && j < n)
			rc = tmpl_put(out, entities[entity_of[p[j]]].text, entities[entity_of[p[j]]].len);
		i = j + 1;
	}
	if (out->data)
		out->data[out->len] = '\0';
	return rc;
}
