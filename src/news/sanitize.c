/*
 * news/sanitize.c - an article's HTML reduced to what may reach a reader
 *
 * Owns: news_html_sanitize, run wherever an article's body_html is
 * accepted (news_article_parse) and again when a stored one is loaded (rows
 * written before it existed). The body goes into every subscriber's email
 * and into the newsroom's preview, so it is reduced to an allow-list: the
 * tags of running text, a few attributes, and links whose scheme is http,
 * https or mailto. Does not own: the rest of the message's HTML (the
 * templates escape everything else).
 *
 * Why a real parser (gumbo, the HTML5 parsing algorithm of the WHATWG
 * spec, section 13.2): a filter that reads HTML differently from the
 * reader's client can be walked around (an unclosed comment, a "<scr<script>ipt>",
 * an entity-spelt "javascript:"). Here the body is parsed as a browser
 * parses an HTML fragment in a <div>, entities decoded, and the tree is
 * written out again: elements on the list with their allowed attributes,
 * text escaped, nothing else. What is not on the list:
 *  - dropped with everything inside: script, style, template, form and
 *    its controls, embedded content (iframe, object, img, video, ...),
 *    document metadata (base, link, meta, title), and anything in the SVG
 *    or MathML namespaces;
 *  - any other element loses its tags and keeps its text (a <font> or a
 *    <table> becomes its words).
 * Images are not allowed in the body: an article's pictures come through
 * images[] with checked URLs, and an <img> in a body is how a tracking
 * pixel gets in.
 *
 * gumbo frees its tree recursively, so the nesting is bounded before the
 * parse: a body nested more than NEWS_HTML_DEPTH_MAX deep is refused.
 */
#include <ctype.h>
#include <gumbo.h>
#include <string.h>
#include <strings.h>

#include "core/core.h"
#include "news.h"

#define URL_MAX 2048

/* what may stay: a tag and the attributes it may keep */
enum attr_kind { ATTR_NONE = 0, ATTR_URL, ATTR_TEXT, ATTR_NUMBER };

struct allowed_attr {
	const char *name;
	enum attr_kind kind;
};

static const struct allowed_attr a_attrs[] = { { "href", ATTR_URL }, { "title", ATTR_TEXT }, { NULL, 0 } };
static const struct allowed_attr abbr_attrs[] = { { "title", ATTR_TEXT }, { NULL, 0 } };
static const struct allowed_attr ol_attrs[] = { { "start", ATTR_NUMBER }, { NULL, 0 } };
static const struct allowed_attr no_attrs[] = { { NULL, 0 } };

static const struct allowed_attr *
allowed_tag(GumboTag t)
{
	switch (t) {
	case GUMBO_TAG_A:
		return a_attrs;
	case GUMBO_TAG_ABBR:
		return abbr_attrs;
	case GUMBO_TAG_OL:
		return ol_attrs;
	case GUMBO_TAG_P: case GUMBO_TAG_BR: case GUMBO_TAG_HR:
	case GUMBO_TAG_B: case GUMBO_TAG_STRONG: case GUMBO_TAG_I: case GUMBO_TAG_EM:
	case GUMBO_TAG_U: case GUMBO_TAG_S: case GUMBO_TAG_SMALL: case GUMBO_TAG_SUB:
	case GUMBO_TAG_SUP: case GUMBO_TAG_MARK: case GUMBO_TAG_Q: case GUMBO_TAG_CITE:
	case GUMBO_TAG_CODE: case GUMBO_TAG_PRE: case GUMBO_TAG_BLOCKQUOTE:
	case GUMBO_TAG_UL: case GUMBO_TAG_LI: case GUMBO_TAG_DL: case GUMBO_TAG_DT:
	case GUMBO_TAG_DD: case GUMBO_TAG_H2: case GUMBO_TAG_H3: case GUMBO_TAG_H4:
	case GUMBO_TAG_H5: case GUMBO_TAG_H6: case GUMBO_TAG_SPAN:
		return no_attrs;
	default:
		return NULL;
	}
}

/* dropped with their content */
static int
dropped_tag(GumboTag t)
{
	switch (t) {
	case GUMBO_TAG_SCRIPT: case GUMBO_TAG_STYLE: case GUMBO_TAG_TEMPLATE:
	case GUMBO_TAG_NOSCRIPT: case GUMBO_TAG_NOEMBED: case GUMBO_TAG_NOFRAMES:
	case GUMBO_TAG_XMP: case GUMBO_TAG_PLAINTEXT: case GUMBO_TAG_TITLE:
	case GUMBO_TAG_HEAD: case GUMBO_TAG_BASE: case GUMBO_TAG_LINK: case GUMBO_TAG_META:
	case GUMBO_TAG_FORM: case GUMBO_TAG_INPUT: case GUMBO_TAG_BUTTON: case GUMBO_TAG_SELECT:
	case GUMBO_TAG_OPTION: case GUMBO_TAG_OPTGROUP: case GUMBO_TAG_TEXTAREA:
	case GUMBO_TAG_KEYGEN: case GUMBO_TAG_DATALIST: case GUMBO_TAG_OUTPUT:
	case GUMBO_TAG_IFRAME: case GUMBO_TAG_FRAME: case GUMBO_TAG_FRAMESET:
	case GUMBO_TAG_OBJECT: case GUMBO_TAG_EMBED: case GUMBO_TAG_APPLET:
	case GUMBO_TAG_PARAM: case GUMBO_TAG_IMG: case GUMBO_TAG_IMAGE:
	case GUMBO_TAG_SOURCE: case GUMBO_TAG_TRACK: case GUMBO_TAG_VIDEO: case GUMBO_TAG_AUDIO:
	case GUMBO_TAG_CANVAS: case GUMBO_TAG_MAP: case GUMBO_TAG_AREA: case GUMBO_TAG_SVG:
	case GUMBO_TAG_MATH: case GUMBO_TAG_BGSOUND: case GUMBO_TAG_MARQUEE:
	case GUMBO_TAG_MENUITEM:
		return 1;
	default:
		return 0;
	}
}

static int
void_tag(GumboTag t)
{
	return t == GUMBO_TAG_BR || t == GUMBO_TAG_HR;
}

/* escape text for an element's content, or (attr) for a quoted attribute value */
static int
put_escaped(struct buf *out, const char *s, size_t n, int attr)
{
	size_t i, from = 0;
	int rc = NF_OK;

	for (i = 0; i < n && rc == NF_OK; i++) {
		const char *e = NULL;

		switch (s[i]) {
		case '&': e = "&amp;"; break;
		case '<': e = "&lt;"; break;
		case '>': e = "&gt;"; break;
		case '"': e = attr ? "&quot;" : NULL; break;
		case '\0': e = "\xef\xbf\xbd"; break;	/* U+FFFD, as the parser would read it */
		default: break;
		}
		if (e == NULL)
			continue;
		rc = buf_append(out, s + from, i - from);
		if (rc == NF_OK)
			rc = buf_puts(out, e);
		from = i + 1;
	}
	return rc ? rc : buf_append(out, s + from, n - from);
}

/*
 * url_clean - the URL a browser would follow, if its scheme is allowed:
 * leading and trailing C0 controls and spaces go, and tabs and newlines
 * anywhere (the URL Standard's basic parser strips both, which is how
 * "java&#9;script:" works); then it must start http:, https: or mailto:.
 * Relative links mean nothing in an email and are dropped too.
 */
static int
url_clean(const char *v, struct buf *out)
{
	static const char *const schemes[] = { "http://", "https://", "mailto:" };
	size_t n = strlen(v), i;

	while (n > 0 && (unsigned char)v[0] <= ' ')
		v++, n--;
	while (n > 0 && (unsigned char)v[n - 1] <= ' ')
		n--;
	if (n == 0 || n > URL_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		if (v[i] == '\t' || v[i] == '\n' || v[i] == '\r')
			continue;
		if ((unsigned char)v[i] < ' ' || v[i] == 0x7f)
			return 0;
		buf_putc(out, v[i]);
	}
	for (i = 0; i < NF_ARRAY_LEN(schemes); i++)
		if (out->len > strlen(schemes[i]) &&
		    strncasecmp(out->data, schemes[i], strlen(schemes[i])) == 0)
			return 1;
	return 0;
}

static int
number_ok(const char *v)
{
	size_t i;

	for (i = 0; v[i]; i++)
		if (!isdigit((unsigned char)v[i]) || i >= 6)
			return 0;
	return i > 0;
}

/* the element's allowed attributes, each at most once */
static int
put_attrs(struct buf *out, const GumboElement *el, const struct allowed_attr *allow)
{
	const struct allowed_attr *a;
	struct buf url;
	int rc = NF_OK;

	buf_init(&url, URL_MAX + 1);
	for (a = allow; a->name && rc == NF_OK; a++) {
		GumboAttribute *at = gumbo_get_attribute(&el->attributes, a->name);
		const char *v;

		if (at == NULL)
			continue;
		buf_reset(&url);
		v = at->value;
		if (a->kind == ATTR_URL) {
			if (!url_clean(v, &url))
				continue;
			v = url.data;
		} else if (a->kind == ATTR_NUMBER && !number_ok(v)) {
			continue;
		}
		rc = buf_printf(out, " %s=\"", a->name);
		if (rc == NF_OK)
			rc = put_escaped(out, v, strlen(v), 1);
		if (rc == NF_OK)
			rc = buf_putc(out, '"');
	}
	buf_free(&url);
	return rc;
}

/*
 * walk - write node's children. Iterative over an explicit stack (the
 * tree's depth is bounded before the parse, but the walk must not be
 * what sets the bound).
 */
struct frame {
	const GumboNode *node;
	size_t next;		/* the next child to write */
	int keep;		/* its tags are written */
};

static int
walk(struct buf *out, const GumboNode *top)
{
	struct frame *st;
	size_t depth = 0, cap = NEWS_HTML_DEPTH_MAX + 8;
	int rc = NF_OK;

	st = xcalloc(cap, sizeof(*st));
	st[0] = (struct frame){ top, 0, 0 };
	while (rc == NF_OK) {
		struct frame *f = &st[depth];
		const GumboVector *kids = &f->node->v.element.children;
		const GumboNode *c;

		if (f->next == kids->length) {
			if (f->keep)
				rc = buf_printf(out, "</%s>", gumbo_normalized_tagname(f->node->v.element.tag));
			if (depth == 0)
				break;
			depth--;
			continue;
		}
		c = kids->data[f->next++];
		if (c->type == GUMBO_NODE_TEXT || c->type == GUMBO_NODE_WHITESPACE ||
		    c->type == GUMBO_NODE_CDATA) {
			rc = put_escaped(out, c->v.text.text, strlen(c->v.text.text), 0);
		} else if (c->type == GUMBO_NODE_ELEMENT) {
			const GumboElement *el = &c->v.element;
			const struct allowed_attr *allow;

			if (el->tag_namespace != GUMBO_NAMESPACE_HTML || dropped_tag(el->tag))
				continue;
			allow = allowed_tag(el->tag);
			if (allow) {
				rc = buf_printf(out, "<%s", gumbo_normalized_tagname(el->tag));
				if (rc == NF_OK)
					rc = put_attrs(out, el, allow);
				if (rc == NF_OK)
					rc = buf_putc(out, '>');
				if (void_tag(el->tag))
					continue;
				/* 13.2.6.4.7: a newline just after <pre> is eaten; keep one that was meant */
				if (rc == NF_OK && el->tag == GUMBO_TAG_PRE && el->children.length > 0 &&
				    ((const GumboNode *)el->children.data[0])->type != GUMBO_NODE_ELEMENT &&
				    ((const GumboNode *)el->children.data[0])->v.text.text[0] == '\n')
					rc = buf_putc(out, '\n');
			}
			if (depth + 1 >= cap)	/* not reached: the depth was bounded */
				rc = NF_ERR_LIMIT;
			else
				st[++depth] = (struct frame){ c, 0, allow != NULL };
		}
		/* comments, templates and anything else: nothing */
	}
	free(st);
	return rc;
}

/*
 * depth_bound - an upper bound on how deep the parser can nest this text:
 * one level per start tag not yet closed by an end tag of that name. Tags
 * the parser closes by themselves (p, li, dt, dd, void elements) do not
 * count, so ordinary sloppy HTML stays far below the limit.
 */
static size_t
depth_bound(const char *h, size_t n)
{
	static const char *const self_closing[] = {
		"p", "li", "dt", "dd", "br", "hr", "img", "input", "meta", "link", "area", "base",
		"col", "embed", "source", "track", "wbr", "param", "option", "tr", "td", "th",
	};
	size_t i = 0, open = 0, worst = 0, k, len;

	while (i < n) {
		const char *lt = memchr(h + i, '<', n - i);
		int end;

		if (lt == NULL)
			break;
		i = (size_t)(lt - h) + 1;
		end = i < n && h[i] == '/';
		if (end)
			i++;
		for (len = 0; i + len < n && isalnum((unsigned char)h[i + len]); len++)
			;
		if (len == 0)
			continue;
		for (k = 0; k < NF_ARRAY_LEN(self_closing); k++)
			if (strlen(self_closing[k]) == len && strncasecmp(h + i, self_closing[k], len) == 0)
				break;
		if (k < NF_ARRAY_LEN(self_closing))
			continue;
		if (end)
			open -= open > 0;
		else if (++open > worst)
			worst = open;
	}
	return worst;
}

int
news_html_sanitize(const char *html, size_t len, struct buf *out)
{
	GumboOptions opt = kGumboDefaultOptions;
	GumboOutput *g;
	size_t mark = out->len;
	int rc;

	if (depth_bound(html, len) > NEWS_HTML_DEPTH_MAX)
		return NF_ERR_LIMIT;
	opt.fragment_context = GUMBO_TAG_DIV;	/* as a <div>'s innerHTML is parsed */
	opt.max_errors = 0;
	g = gumbo_parse_with_options(&opt, html, len);
	if (g == NULL)
		log_panic("news: gumbo returned no tree");
	rc = walk(out, g->root);
	gumbo_destroy_output(&opt, g);
	if (rc) {
		out->len = mark;
		if (out->data)
			out->data[mark] = '\0';
	}
	return rc;
}

char *
news_html_sanitize_dup(const char *html, size_t len, int *rc)
{
	struct buf b;

	buf_init(&b, 0);
	*rc = news_html_sanitize(html, len, &b);
	if (*rc) {
		buf_free(&b);
		return NULL;
	}
	return buf_steal(&b, NULL);
}
