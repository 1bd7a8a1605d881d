/*
 * mail/canon.c - DKIM "relaxed" canonicalization and finding header fields
 *
 * Owns: RFC 6376 3.4.2 (relaxed header: lower-case name, unfold, runs of
 * white space to one SP, none around the colon or at the end) and 3.4.4
 * (relaxed body: runs of white space to one SP, none at line ends, no empty
 * lines at the end, a final CRLF unless the body is empty), splitting a
 * message at its empty line, and 5.4.2's bottom-up choice among fields of
 * one name. Input is pointer + length; a line end is CRLF (a bare LF is
 * read as one too, so test files stored with LF canonicalize the same).
 */
#include <string.h>
#include <strings.h>

#include "mail.h"

static int
is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

/* 1 for the octets relaxed header canonicalization acts on: SP, HTAB, CR, LF */
static int
hdr_special(unsigned char c)
{
	return c <= ' ' && (c == ' ' || c == '\t' || c == '\r' || c == '\n');
}

/*
 * canon_value - the value after the colon: CR and LF dropped (unfolding),
 * each run of WSP one SP, none before the value or after it. Runs of
 * other octets are copied whole: the fan-out canonicalizes three fields
 * per message.
 */
static char *
canon_value(char *o, const char *v, size_t n)
{
	size_t i = 0, j;
	int space = 0, started = 0;

	while (i < n) {
		if (hdr_special((unsigned char)v[i])) {
			space |= v[i] == ' ' || v[i] == '\t';	/* the CRLF goes, its WSP stays */
			i++;
			continue;
		}
		for (j = i + 1; j < n && !hdr_special((unsigned char)v[j]); j++)
			;
		if (space && started)
			*o++ = ' ';
		memcpy(o, v + i, j - i);
		o += j - i;
		space = 0;
		started = 1;
		i = j;
	}
	return o;
}

int
mail_canon_header(struct buf *out, const char *field, size_t n)
{
	const char *colon = memchr(field, ':', n);
	size_t i, name_end;
	char *o;

	if (colon == NULL)
		return NF_ERR_INVALID;
	/* the output is never longer than the field plus a CRLF: write in place */
	if (n > SIZE_MAX - 3 || buf_reserve(out, n + 2) != NF_OK)
		return NF_ERR_LIMIT;
	o = out->data + out->len;
	name_end = (size_t)(colon - field);
	while (name_end > 0 && is_wsp(field[name_end - 1]))
		name_end--;
	for (i = 0; i < name_end; i++) {
		char c = field[i];

		*o++ = c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
	}
	*o++ = ':';
	o = canon_value(o, colon + 1, n - (size_t)(colon - field) - 1);
	*o++ = '\r';
	*o++ = '\n';
	out->len = (size_t)(o - out->data);
	out->data[out->len] = '\0';
	return NF_OK;
}

/* one body line (no line end) in relaxed form, without its CRLF */
static int
canon_line(struct buf *out, const char *p, size_t n)
{
	size_t i;
	int space = 0, rc = NF_OK;

	for (i = 0; i < n && rc == NF_OK; i++) {
		if (is_wsp(p[i])) {
			space = 1;
			continue;
		}
		if (space)
			rc = buf_putc(out, ' ');
		space = 0;
		if (rc == NF_OK)
			rc = buf_putc(out, p[i]);
	}
	return rc;	/* white space left pending at the end is dropped */
}

/* a line of white space only is empty once canonicalized */
static int
blank(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!is_wsp(p[i]))
			return 0;
	return 1;
}

int
mail_canon_body(struct buf *out, const char *body, size_t n)
{
	size_t pos = 0, empty = 0, mark = out->len, len, next;
	const char *lf;
	int rc = NF_OK;

	while (pos < n && rc == NF_OK) {
		lf = memchr(body + pos, '\n', n - pos);
		len = lf ? (size_t)(lf - body) - pos : n - pos;
		next = lf ? pos + len + 1 : n;
		if (lf && len > 0 && body[pos + len - 1] == '\r')
			len--;
		if (blank(body + pos, len)) {
			empty++;	/* held back: empty lines at the very end vanish */
		} else {
			for (; empty && rc == NF_OK; empty--)
				rc = buf_append(out, "\r\n", 2);
			if (rc == NF_OK)
				rc = canon_line(out, body + pos, len);
			if (rc == NF_OK)
				rc = buf_append(out, "\r\n", 2);
		}
		pos = next;
	}
	if (rc)
		mail_buf_undo(out, mark);
	return rc;
}

int
mail_canon_body_is_canonical(const char *b, size_t n)
{
	size_t i;

	if (n == 0)
		return 1;
	if (n < 2 || b[n - 2] != '\r' || b[n - 1] != '\n')
		return 0;
	if (n == 2 || (n >= 4 && b[n - 4] == '\r' && b[n - 3] == '\n'))
		return 0;		/* an empty line at the end */
	for (i = 0; i < n; i++) {
		switch (b[i]) {
		case '\t':
			return 0;
		case ' ':
			/* b ends in CRLF, so i + 2 < n here */
			if (b[i + 1] == ' ' || b[i + 1] == '\t' || b[i + 1] == '\n' ||
			    (b[i + 1] == '\r' && b[i + 2] == '\n'))
				return 0;
			break;
		case '\n':
			if (i == 0 || b[i - 1] != '\r')
				return 0;
			break;
		}
	}
	return 1;
}

void
mail_msg_split(const char *msg, size_t n, size_t *hlen, size_t *body)
{
	size_t i = 0;
	const char *lf;

	/* walk line by line: the first empty line ends the header */
	while (i < n) {
		if (msg[i] == '\n' || (msg[i] == '\r' && i + 1 < n && msg[i + 1] == '\n')) {
			*hlen = i;
			*body = i + (msg[i] == '\r' ? 2 : 1);
			return;
		}
		lf = memchr(msg + i, '\n', n - i);
		if (lf == NULL)
			break;
		i = (size_t)(lf - msg) + 1;
	}
	*hlen = n;
	*body = n;
}

/* field_end - where the field starting at i ends (after its last line's LF) */
static size_t
field_end(const char *h, size_t n, size_t i)
{
	const char *lf;

	for (;;) {
		lf = memchr(h + i, '\n', n - i);
		if (lf == NULL)
			return n;
		i = (size_t)(lf - h) + 1;
		if (i >= n || !is_wsp(h[i]))
			return i;
	}
}

static int
name_is(const char *f, size_t flen, const char *name)
{
	size_t k = strlen(name), j;

	if (flen <= k || strncasecmp(f, name, k) != 0)
		return 0;
	for (j = k; j < flen && is_wsp(f[j]); j++)
		;
	return j < flen && f[j] == ':';
}

int
mail_msg_header_find(const char *hdrs, size_t hlen, const char *name,
		     unsigned nth, const char **field, size_t *flen)
{
	size_t i, end, count = 0, want;

	for (i = 0; i < hlen; i = end) {
		end = field_end(hdrs, hlen, i);
		count += name_is(hdrs + i, end - i, name);
	}
	if (nth >= count)
		return NF_ERR_NOTFOUND;
	want = count - 1 - nth;
	for (i = 0, count = 0; i < hlen; i = end) {
		end = field_end(hdrs, hlen, i);
		if (name_is(hdrs + i, end - i, name) && count++ == want) {
			*field = hdrs + i;
			*flen = end - i;
			return NF_OK;
		}
	}
	return NF_ERR_NOTFOUND;
}
