/*
 * smtp/reply.c - parse SMTP replies (RFC 5321 section 4.2, RFC 3463 enhanced codes)
 *
 * Owns: turning the bytes a relay sends into complete replies: the code, the
 * enhanced status code, the text of every line, and whether the reply is
 * complete. Does not own: what a reply means for a message (smtp/session.c
 * decides that).
 *
 * RFC 5321 4.2.1: a reply is one or more lines "ddd-text" ending with a line
 * "ddd text" (or "ddd" alone); every line carries the same code. 4.2: the
 * first digit is 2-5, the second 0-5. RFC 3463 / RFC 2034: an enhanced code
 * "class.subject.detail" opens the text, its class equal to the first digit.
 * Lines ending in a bare LF are taken too (be liberal in what you accept).
 *
 * Input comes from the network: the parser reads only in[0..len), never past
 * it, a reply longer than SMTP_REPLY_MAX or a line longer than
 * SMTP_REPLY_LINE_MAX is an error (NF_ERR_LIMIT), not a crash, and control
 * bytes in the text become '?' so a relay cannot forge log lines or drive a
 * terminal through it.
 */
#include <string.h>

#include "core/core.h"
#include "smtp.h"

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* code_of - the three-digit code opening a line, or -1 */
static int
code_of(const char *p, size_t n)
{
	if (n < 3 || p[0] < '2' || p[0] > '5' || p[1] < '0' || p[1] > '5' || !is_digit(p[2]))
		return -1;
	return (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
}

/* digits - count of 1..max digits at p[0..n), 0 when none or too many */
static size_t
digits(const char *p, size_t n, size_t max)
{
	size_t i = 0;

	while (i < n && is_digit(p[i]))
		i++;
	return i > max ? 0 : i;
}

/*
 * parse_enhanced - RFC 3463 "c.sss.ddd" at the start of text, followed by a
 * space or the end; its class must be the reply code's first digit.
 */
static void
parse_enhanced(const char *t, size_t n, int code, char out[16])
{
	size_t i = 0, d;

	out[0] = '\0';
	if (n < 5 || t[0] != (char)('0' + code / 100) || t[1] != '.')
		return;
	i = 2;
	if ((d = digits(t + i, n - i, 3)) == 0 || i + d >= n || t[i + d] != '.')
		return;
	i += d + 1;
	if ((d = digits(t + i, n - i, 3)) == 0)
		return;
	i += d;
	if (i < n && t[i] != ' ')
		return;
	memcpy(out, t, i);
	out[i] = '\0';
}

/* put_text - append one line's text, control bytes made harmless */
static void
put_text(struct smtp_reply *r, const char *t, size_t n)
{
	size_t i;

	if (r->nlines > 0)
		r->text[r->len++] = '\n';
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)t[i];

		r->text[r->len++] = (c < ' ' && c != '\t') || c == 0x7f ? '?' : (char)c;
	}
	r->text[r->len] = '\0';
}

int
smtp_reply_parse(const char *in, size_t len, struct smtp_reply *out, size_t *used)
{
	size_t pos = 0;

	out->code = 0;
	out->enhanced[0] = '\0';
	out->nlines = 0;
	out->len = 0;
	out->text[0] = '\0';
	for (;;) {
		const char *line = in + pos, *nl;
		size_t n, avail = len - pos;
		int code;
		char sep;

		nl = memchr(line, '\n', avail < SMTP_REPLY_LINE_MAX + 2 ? avail : SMTP_REPLY_LINE_MAX + 2);
		if (nl == NULL)
			return avail > SMTP_REPLY_LINE_MAX + 1 || len > SMTP_REPLY_MAX ?
			       NF_ERR_LIMIT : SMTP_NEED_MORE;
		n = (size_t)(nl - line);
		if (pos + n + 1 > SMTP_REPLY_MAX)
			return NF_ERR_LIMIT;
		if (n > 0 && line[n - 1] == '\r')
			n--;
		if (n > SMTP_REPLY_LINE_MAX)
			return NF_ERR_LIMIT;
		code = code_of(line, n);
		if (code < 0 || (out->nlines > 0 && code != out->code))
			return NF_ERR_INVALID;
		sep = n > 3 ? line[3] : ' ';
		if (sep != ' ' && sep != '-')
			return NF_ERR_INVALID;
		if (out->nlines == 0) {
			out->code = code;
			parse_enhanced(line + 4, n > 4 ? n - 4 : 0, code, out->enhanced);
		}
		put_text(out, line + 4, n > 4 ? n - 4 : 0);
		out->nlines++;
		pos += (size_t)(nl - line) + 1;
		if (sep == ' ') {
			*used = pos;
			return NF_OK;
		}
	}
}
