/*
 * news/text.c - a readable plain-text body from an article's HTML
 *
 * Owns: the text/plain part when the newsroom sends only HTML. Not an HTML
 * renderer: block elements become paragraph breaks, <br> a line break, <li>
 * a "- " item, a link keeps its address in parentheses, script and style
 * are dropped, the common entities and numeric references are decoded,
 * white space is collapsed, and lines are wrapped at 72 columns so the text
 * reads well in any mail client.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/core.h"
#include "news.h"

#define WRAP 72

struct text_out {
	struct buf b;
	size_t col;		/* bytes on the current line */
	int pending_space;
	int newlines;		/* newlines at the end of b, at most 2 kept */
};

static void
put_break(struct text_out *t, int n)
{
	t->pending_space = 0;
	if (t->b.len == 0)
		return;
	while (t->newlines < n) {
		buf_putc(&t->b, '\n');
		t->newlines++;
	}
	t->col = 0;
}

/* append one word (no spaces inside), wrapping before it when needed */
static void
put_word(struct text_out *t, const char *w, size_t n)
{
	if (n == 0)
		return;
	if (t->pending_space && t->col > 0) {
		if (t->col + 1 + n > WRAP) {
			buf_putc(&t->b, '\n');
			t->col = 0;
		} else {
			buf_putc(&t->b, ' ');
			t->col++;
		}
	}
	buf_append(&t->b, w, n);
	t->col += n;
	t->pending_space = 0;
	t->newlines = 0;
}

static void
put_utf8(struct buf *b, unsigned long cp)
{
	if (cp == 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		cp = 0xfffd;
	if (cp < 0x80) {
		buf_putc(b, (char)cp);
	} else if (cp < 0x800) {
		buf_putc(b, (char)(0xc0 | cp >> 6));
		buf_putc(b, (char)(0x80 | (cp & 0x3f)));
	} else if (cp < 0x10000) {
		buf_putc(b, (char)(0xe0 | cp >> 12));
		buf_putc(b, (char)(0x80 | ((cp >> 6) & 0x3f)));
		buf_putc(b, (char)(0x80 | (cp & 0x3f)));
	} else {
		buf_putc(b, (char)(0xf0 | cp >> 18));
		buf_putc(b, (char)(0x80 | ((cp >> 12) & 0x3f)));
		buf_putc(b, (char)(0x80 | ((cp >> 6) & 0x3f)));
		buf_putc(b, (char)(0x80 | (cp & 0x3f)));
	}
}

/* decode the entity at s (just after '&'); returns bytes consumed, 0 if none */
static size_t
decode_entity(const char *s, size_t n, struct buf *word)
{
	static const struct { const char *name; const char *text; } named[] = {
		{ "amp;", "&" }, { "lt;", "<" }, { "gt;", ">" }, { "quot;", "\"" },
		{ "apos;", "'" }, { "nbsp;", " " }, { "mdash;", "\xe2\x80\x94" },
		{ "ndash;", "\xe2\x80\x93" }, { "hellip;", "\xe2\x80\xa6" },
		{ "rsquo;", "\xe2\x80\x99" }, { "lsquo;", "\xe2\x80\x98" },
		{ "ldquo;", "\xe2\x80\x9c" }, { "rdquo;", "\xe2\x80\x9d" }, { "pound;", "\xc2\xa3" },
	};
	size_t i, len;

	if (n > 1 && s[0] == '#') {
		int hex = s[1] == 'x' || s[1] == 'X';
		unsigned long cp = 0;

		for (i = hex ? 2 : 1; i < n && i < 10 && s[i] != ';'; i++) {
			char c = s[i];
			int d = c >= '0' && c <= '9' ? c - '0' :
				hex && c >= 'a' && c <= 'f' ? c - 'a' + 10 :
				hex && c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;

			if (d < 0)
				return 0;
			cp = cp * (hex ? 16 : 10) + (unsigned long)d;
		}
		if (i >= n || s[i] != ';' || i == (hex ? 2u : 1u))
			return 0;
		put_utf8(word, cp);
		return i + 1;
	}
	for (i = 0; i < NF_ARRAY_LEN(named); i++) {
		len = strlen(named[i].name);
		if (n >= len && memcmp(s, named[i].name, len) == 0) {
			buf_puts(word, named[i].text);
			return len;
		}
	}
	return 0;
}

static int
tag_is(const char *tag, size_t n, const char *name)
{
	size_t len = strlen(name);

	return n >= len && strncasecmp(tag, name, len) == 0 &&
	       (n == len || tag[len] == ' ' || tag[len] == '>' || tag[len] == '/' || tag[len] == '\t' || tag[len] == '\n');
}

/* the href="..." of an <a> tag, into href */
static void
find_href(const char *tag, size_t n, struct buf *href)
{
	const char *p = tag, *end = tag + n;

	buf_reset(href);
	for (; p + 6 < end; p++) {
		if (strncasecmp(p, "href=", 5) == 0 && (p[5] == '"' || p[5] == '\'')) {
			const char *q = memchr(p + 6, p[5], (size_t)(end - p - 6));

			if (q)
				buf_append(href, p + 6, (size_t)(q - p - 6));
			return;
		}
	}
}

static void
flush_word(struct text_out *t, struct buf *word)
{
	put_word(t, word->data ? word->data : "", word->len);
	buf_reset(word);
}

/* handle the tag between < and >; returns how far to skip for script/style */
static size_t
handle_tag(struct text_out *t, struct buf *word, struct buf *href,
	   const char *tag, size_t n, const char *rest, size_t restlen)
{
	int closing = n > 0 && tag[0] == '/';
	const char *name = closing ? tag + 1 : tag;
	size_t nlen = closing ? n - 1 : n;
	static const char *const blocks[] = { "p", "div", "h1", "h2", "h3", "h4", "h5", "h6",
		"blockquote", "ul", "ol", "table", "tr", "figure", "figcaption", "section", "article" };
	size_t i;

	flush_word(t, word);
	if (!closing && (tag_is(name, nlen, "script") || tag_is(name, nlen, "style"))) {
		const char *endtag = NULL;
		size_t j;

		for (j = 0; j + 2 < restlen; j++)
			if (rest[j] == '<' && rest[j + 1] == '/' &&
			    (tag_is(rest + j + 2, restlen - j - 2, "script") || tag_is(rest + j + 2, restlen - j - 2, "style"))) {
				endtag = rest + j;
				break;
			}
		return endtag ? (size_t)(endtag - rest) : restlen;
	}
	if (tag_is(name, nlen, "br")) {
		put_break(t, 1);
		return 0;
	}
	if (!closing && tag_is(name, nlen, "li")) {
		put_break(t, 1);
		put_word(t, "-", 1);
		t->pending_space = 1;
		return 0;
	}
	if (tag_is(name, nlen, "a")) {
		if (!closing)
			find_href(name, nlen, href);
		else if (href->len && strncmp(href->data, "http", 4) == 0) {
			t->pending_space = 1;
			buf_printf(word, "(%s)", href->data);
			flush_word(t, word);
			buf_reset(href);
		}
		return 0;
	}
	for (i = 0; i < NF_ARRAY_LEN(blocks); i++)
		if (tag_is(name, nlen, blocks[i])) {
			put_break(t, 2);
			return 0;
		}
	return 0;
}

char *
news_html_to_text(const char *html, size_t len)
{
	struct text_out t = { .col = 0 };
	struct buf word, href;
	size_t i = 0;

	buf_init(&t.b, 0);
	buf_init(&word, 0);
	buf_init(&href, 4096);
	while (i < len) {
		char c = html[i];

		if (c == '<') {
			const char *gt = memchr(html + i, '>', len - i);
			size_t taglen;

			if (gt == NULL)
				break;
			taglen = (size_t)(gt - html - i - 1);
			i += taglen + 2;
			i += handle_tag(&t, &word, &href, html + i - taglen - 1, taglen, html + i, len - i);
		} else if (c == ' ' || c == '\n' || c == '\r' || c == '\t') {
			flush_word(&t, &word);
			t.pending_space = 1;
			i++;
		} else if (c == '&') {
			size_t used = decode_entity(html + i + 1, len - i - 1, &word);

			if (used == 0)
				buf_putc(&word, '&');
			i += used + 1;
		} else {
			buf_putc(&word, c);
			i++;
		}
	}
	flush_word(&t, &word);
	while (t.b.len && t.b.data[t.b.len - 1] == '\n')
		t.b.data[--t.b.len] = '\0';
	buf_putc(&t.b, '\n');
	buf_free(&word);
	buf_free(&href);
	return buf_steal(&t.b, NULL);
}
