/*
 * tmpl/tags.c - split Mustache source into text runs and tags
 *
 * Owns: finding tags with the delimiters in force, set-delimiter tags
 * ({{=<% %>=}}, spec "delimiters"), reading each tag's sigil and name, and
 * the syntax errors of single tags (unclosed tag, empty or spaced name, bad
 * delimiter change), each with a line and column. Does not own: standalone
 * lines (lines.c) or how tags nest (build.c).
 *
 * White space may pad a tag on either side of the sigil: "{{ #x }}" is the
 * section x, as mustache.js reads it, because real templates are written so.
 * The source is any bytes; every search is bounded by its length.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tmpl_internal.h"

const struct tmpl_delims tmpl_default_delims = { "{{", "}}", 2, 2 };

static int
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* tmpl_error_at - line and column of pos (columns count UTF-8 characters) */
void
tmpl_error_at(struct tmpl_error *err, const char *src, size_t len, size_t pos,
	      const char *fmt, ...)
{
	va_list ap;
	size_t i;
	int line = 1, col = 1;

	if (err == NULL)
		return;
	for (i = 0; i < pos && i < len; i++) {
		if (src[i] == '\n') {
			line++;
			col = 1;
		} else if (((unsigned char)src[i] & 0xc0) != 0x80) {
			col++;
		}
	}
	err->line = line;
	err->col = col;
	err->partial[0] = '\0';
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
}

/* a name fit for a message: at most 40 bytes, control bytes shown as '?' */
static const char *
shown(char out[48], const char *p, size_t n)
{
	size_t i;

	if (n > 40)
		n = 40;
	for (i = 0; i < n; i++)
		out[i] = (unsigned char)p[i] < 0x20 || p[i] == 0x7f ? '?' : p[i];
	out[n] = '\0';
	return out;
}

static void
push(struct tmpl_scan *s, const struct tmpl_tok *t)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 64;
		s->tok = xrealloc(s->tok, s->cap * sizeof(*s->tok));
	}
	s->tok[s->n++] = *t;
}

static void
push_text(struct tmpl_scan *s, size_t start, size_t end)
{
	struct tmpl_tok t;

	memset(&t, 0, sizeof(t));
	t.type = TOK_TEXT;
	t.start = start;
	t.end = end;
	push(s, &t);
}

void
tmpl_scan_free(struct tmpl_scan *s)
{
	free(s->tok);
	s->tok = NULL;
	s->n = s->cap = 0;
}

static int
has_space(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (is_space(p[i]))
			return 1;
	return 0;
}

/*
 * {{=OPEN CLOSE=}}: two non-empty delimiters without white space or '='
 * (spec: "Custom delimiters may not contain whitespace or the equals sign").
 */
static int
set_delims(struct arena *a, const char *src, size_t len, const struct tmpl_tok *t,
	   const struct tmpl_delims **dp, struct tmpl_error *err)
{
	const char *p = src + t->name, *end = p + t->name_len, *sp;
	struct tmpl_delims *d;
	size_t olen, clen;

	sp = p;
	while (sp < end && !is_space(*sp))
		sp++;
	olen = (size_t)(sp - p);
	while (sp < end && is_space(*sp))
		sp++;
	clen = (size_t)(end - sp);
	if (olen == 0 || clen == 0 || olen > TMPL_DELIM_MAX || clen > TMPL_DELIM_MAX ||
	    has_space(sp, clen) || memchr(p, '=', olen) || memchr(sp, '=', clen)) {
		tmpl_error_at(err, src, len, t->start,
			      "bad delimiter change: want {{=OPEN CLOSE=}}, two delimiters "
			      "without white space or '='");
		return NF_ERR_INVALID;
	}
	d = arena_alloc(a, sizeof(*d));
	d->open = p;
	d->olen = olen;
	d->close = sp;
	d->clen = clen;
	*dp = d;
	return NF_OK;
}

/* the name of a tag must be there and be one word */
static int
check_name(const char *src, size_t len, const struct tmpl_tok *t, struct tmpl_error *err)
{
	const char *p = src + t->name;
	size_t n = t->name_len;
	char buf[48];

	if (t->type == '>' || t->type == '<') {	/* {{> * name }}: a dynamic name */
		if (n && *p == '*') {
			p++;
			n--;
			while (n && is_space(*p)) {
				p++;
				n--;
			}
		}
	}
	if (n == 0) {
		tmpl_error_at(err, src, len, t->start, "tag without a name");
		return NF_ERR_INVALID;
	}
	if (has_space(p, n)) {
		tmpl_error_at(err, src, len, t->start, "white space inside the tag name '%s'",
			      shown(buf, p, n));
		return NF_ERR_INVALID;
	}
	return NF_OK;
}

/*
 * One tag starting at the open delimiter at 'at'. A triple mustache ends at
 * '}' plus the close delimiter, a set-delimiter tag at '=' plus it.
 */
static int
scan_tag(struct arena *a, const char *src, size_t len, size_t at,
	 const struct tmpl_delims **dp, struct tmpl_scan *s, struct tmpl_error *err)
{
	const struct tmpl_delims *d = *dp;
	char closer[TMPL_DELIM_MAX + 2];
	size_t p = at + d->olen, clen, c, e;
	const char *found;
	struct tmpl_tok t;
	int rc = NF_OK;

	memset(&t, 0, sizeof(t));
	t.start = at;
	t.delims = d;
	while (p < len && is_space(src[p]))
		p++;
	if (p < len && src[p] && strchr("#^/!=><$&{", src[p]))
		t.type = src[p++];
	else
		t.type = 'v';
	clen = 0;
	if (t.type == '{' || t.type == '=')
		closer[clen++] = t.type == '{' ? '}' : '=';
	memcpy(closer + clen, d->close, d->clen);
	clen += d->clen;
	found = memmem(src + p, len - p, closer, clen);
	if (found == NULL) {
		char o[48], cl[48];

		tmpl_error_at(err, src, len, at, "unclosed tag: no '%s' after '%s'",
			      shown(cl, closer, clen), shown(o, d->open, d->olen));
		return NF_ERR_INVALID;
	}
	c = (size_t)(found - src);
	t.end = c + clen;
	e = c;
	while (p < e && is_space(src[p]))
		p++;
	while (e > p && is_space(src[e - 1]))
		e--;
	t.name = p;
	t.name_len = e - p;
	if (t.type == '=')
		rc = set_delims(a, src, len, &t, dp, err);
	else if (t.type != '!')
		rc = check_name(src, len, &t, err);
	if (rc == NF_OK)
		push(s, &t);
	return rc;
}

/* tmpl_scan - tokens for src, which must stay where it is while they are used */
int
tmpl_scan(struct arena *a, const char *src, size_t len, const struct tmpl_delims *d,
	  struct tmpl_scan *s, struct tmpl_error *err)
{
	size_t pos = 0, at;
	const char *found;
	int rc;

	while (pos < len) {
		found = memmem(src + pos, len - pos, d->open, d->olen);
		if (found == NULL) {
			push_text(s, pos, len);
			break;
		}
		at = (size_t)(found - src);
		if (at > pos)
			push_text(s, pos, at);
		rc = scan_tag(a, src, len, at, &d, s, err);
		if (rc)
			return rc;
		pos = s->tok[s->n - 1].end;
	}
	return NF_OK;
}
