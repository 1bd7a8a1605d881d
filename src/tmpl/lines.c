/*
 * tmpl/lines.c - standalone lines: tags alone on their line leave no trace
 *
 * Owns: deciding which lines are standalone and clipping their white space
 * and line ending out of the text tokens (spec "Standalone" cases in
 * sections, inverted, comments, delimiters, partials and ~inheritance).
 *
 * A line is standalone when, outside its tags, it holds only spaces and tabs
 * (and the CR of a CRLF), it has at least one tag, and every tag on it is a
 * section, inverted, closing, comment, set-delimiter, partial, parent or
 * block tag - never an interpolation. Several such tags may share the line:
 * "{{<parent}}{{$block}}" and "{{/block}}{{/parent}}" are standalone as in
 * the ~inheritance spec. The whole line goes, newline included; its leading
 * white space is kept as the indentation of a partial, parent or block on it.
 *
 * One exception: a block opened and closed on the same line,
 * "  {{$title}}{{/title}}", is a placeholder inside the line: its line keeps
 * its newline and its leading white space stays text (spec "Standalone
 * block"). A tag spanning lines (a long comment) belongs to the line it
 * starts on and ends the line where it ends.
 */
#include <stdlib.h>
#include <string.h>

#include "tmpl_internal.h"

struct cut {
	size_t start, end;
};

struct line {
	size_t start;		/* offset of the line's first byte */
	int blank;		/* no text but white space so far */
	int only_standalone;	/* no interpolation tag */
	int block_pair;		/* a {{$x}} and its {{/x}} */
	size_t first, ntags;	/* token index of the first tag, tags seen */
};

static int
can_stand_alone(char type)
{
	return type && strchr("#^/!=><$", type) != NULL;
}

/* white space only: spaces, tabs, and a CR right before the newline */
static int
blank_text(const char *p, size_t n, int before_newline)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (p[i] == ' ' || p[i] == '\t')
			continue;
		if (p[i] == '\r' && before_newline && i + 1 == n)
			continue;
		return 0;
	}
	return 1;
}

static void
line_reset(struct line *l, size_t start)
{
	l->start = start;
	l->blank = 1;
	l->only_standalone = 1;
	l->block_pair = 0;
	l->ntags = 0;
	l->first = 0;
}

/* does the closing tag at index i close a {{$x}} opened earlier on the line? */
static int
closes_block_on_line(const char *src, const struct tmpl_scan *s, const struct line *l, size_t i)
{
	const struct tmpl_tok *c = &s->tok[i], *t;
	size_t k;

	if (l->ntags == 0)
		return 0;
	for (k = l->first; k < i; k++) {
		t = &s->tok[k];
		if (t->type == '$' && t->name_len == c->name_len &&
		    memcmp(src + t->name, src + c->name, c->name_len) == 0)
			return 1;
	}
	return 0;
}

static void
add_cut(struct cut **cuts, size_t *n, size_t *cap, size_t start, size_t end)
{
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		*cuts = xrealloc(*cuts, *cap * sizeof(**cuts));
	}
	(*cuts)[*n].start = start;
	(*cuts)[*n].end = end;
	(*n)++;
}

/* the line [l->start, end) is over: mark its tags if it stands alone */
static void
line_end(struct tmpl_scan *s, const struct line *l, size_t last, size_t end,
	 struct cut **cuts, size_t *ncut, size_t *cap)
{
	size_t k;

	if (!l->blank || !l->only_standalone || l->block_pair || l->ntags == 0)
		return;
	for (k = l->first; k <= last; k++) {
		struct tmpl_tok *t = &s->tok[k];

		if (t->type == TOK_TEXT)
			continue;
		t->standalone = 1;
		t->indent = l->start;
		t->indent_len = s->tok[l->first].start - l->start;
		t->line_end = end;
	}
	add_cut(cuts, ncut, cap, l->start, end);
}

/* clip every text token by the removed lines (each cut touches a token's head or tail) */
static void
apply_cuts(struct tmpl_scan *s, const struct cut *cuts, size_t ncut)
{
	size_t i, c = 0, k;

	for (i = 0; i < s->n; i++) {
		struct tmpl_tok *t = &s->tok[i];

		if (t->type != TOK_TEXT)
			continue;
		while (c < ncut && cuts[c].end <= t->start)
			c++;
		for (k = c; k < ncut && cuts[k].start < t->end; k++) {
			if (cuts[k].start <= t->start)
				t->start = cuts[k].end < t->end ? cuts[k].end : t->end;
			else
				t->end = cuts[k].start;
		}
	}
}

void
tmpl_mark_standalone(const char *src, size_t len, struct tmpl_scan *s)
{
	struct cut *cuts = NULL;
	size_t ncut = 0, cap = 0, i, p, last = 0;
	struct line l;

	line_reset(&l, 0);
	for (i = 0; i < s->n; i++) {
		struct tmpl_tok *t = &s->tok[i];
		const char *nl;

		if (t->type != TOK_TEXT) {
			if (!can_stand_alone(t->type))
				l.only_standalone = 0;
			if (t->type == '/' && closes_block_on_line(src, s, &l, i))
				l.block_pair = 1;
			if (l.ntags++ == 0)
				l.first = i;
			last = i;
			continue;
		}
		for (p = t->start; p < t->end;) {
			nl = memchr(src + p, '\n', t->end - p);
			if (nl == NULL) {
				l.blank &= blank_text(src + p, t->end - p, 0);
				break;
			}
			l.blank &= blank_text(src + p, (size_t)(nl - src) - p, 1);
			p = (size_t)(nl - src) + 1;
			line_end(s, &l, last, p, &cuts, &ncut, &cap);
			line_reset(&l, p);
		}
	}
	line_end(s, &l, last, len, &cuts, &ncut, &cap);
	apply_cuts(s, cuts, ncut);
	free(cuts);
}
