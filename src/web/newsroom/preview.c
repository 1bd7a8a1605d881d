/*
 * web/newsroom/preview.c - the email a subscriber gets, for an editor to look at
 *
 * Owns: composing a draft through the very code the delivery engine uses
 * (mail_alert_prepare once, mail_alert_compose for one subscriber), then
 * taking the finished message apart again for display: the
 * multipart/alternative body is split at its boundary (RFC 2046 5.1.1) and
 * each part's transfer encoding undone (RFC 2045 6.7 quoted-printable, 6.8
 * base64). What the editor sees is therefore decoded from the bytes a relay
 * would receive, not a second rendering that could drift from them.
 *
 * The message is our own, but it is parsed as if it were not: every
 * search is bounded by the message's length and a part that cannot be
 * found or decoded is an error, never a read past the end.
 */
#include <string.h>
#include <strings.h>

#include "mail/mail.h"
#include "news/news.h"
#include "newsroom.h"

#define BOUNDARY_MAX 70		/* RFC 2046 5.1.1 */

void
newsroom_preview_init(struct newsroom_preview *p)
{
	memset(p, 0, sizeof(*p));
	buf_init(&p->message, 0);
	buf_init(&p->html, 0);
	buf_init(&p->text, 0);
}

void
newsroom_preview_free(struct newsroom_preview *p)
{
	buf_free(&p->message);
	buf_free(&p->html);
	buf_free(&p->text);
}

/* the end of the line starting at p (after its LF), or end */
static const char *
next_line(const char *p, const char *end)
{
	const char *lf = memchr(p, '\n', (size_t)(end - p));

	return lf ? lf + 1 : end;
}

/*
 * header_value - the value of field name among the header lines
 * hdrs[0..n), continuation lines unfolded (RFC 5322 2.2.3)
 */
static int
header_value(const char *hdrs, size_t n, const char *name, struct buf *out)
{
	const char *p = hdrs, *end = hdrs + n, *line_end;
	size_t nlen = strlen(name);

	buf_reset(out);
	while (p < end) {
		line_end = next_line(p, end);
		if ((size_t)(line_end - p) > nlen && strncasecmp(p, name, nlen) == 0 && p[nlen] == ':') {
			p += nlen + 1;
			do {
				const char *stop = line_end;

				while (stop > p && (stop[-1] == '\n' || stop[-1] == '\r'))
					stop--;
				if (buf_append(out, p, (size_t)(stop - p)) != NF_OK)
					return NF_ERR_LIMIT;
				p = line_end;
				line_end = next_line(p, end);
			} while (p < end && (*p == ' ' || *p == '\t'));
			return NF_OK;
		}
		p = line_end;
	}
	return NF_ERR_NOTFOUND;
}

/* the boundary parameter of a Content-Type value, quoted or not */
static int
boundary_of(const char *ct, char out[BOUNDARY_MAX + 1])
{
	const char *p = strcasestr(ct, "boundary="), *stop;
	size_t n;

	if (p == NULL)
		return NF_ERR_INVALID;
	p += 9;
	if (*p == '"')
		stop = strchr(++p, '"');
	else
		stop = p + strcspn(p, "; \t");
	if (stop == NULL || stop == p || (n = (size_t)(stop - p)) > BOUNDARY_MAX)
		return NF_ERR_INVALID;
	memcpy(out, p, n);
	out[n] = '\0';
	return NF_OK;
}

static int
hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* RFC 2045 6.7: "=XX" is a byte, "=" at a line's end a soft break; CRLF becomes LF */
static int
qp_decode(struct buf *out, const char *p, size_t n)
{
	size_t i;
	int rc = NF_OK;

	for (i = 0; i < n && rc == NF_OK; i++) {
		if (p[i] == '=' && i + 1 < n && (p[i + 1] == '\n' || p[i + 1] == '\r')) {
			i += p[i + 1] == '\r' && i + 2 < n && p[i + 2] == '\n' ? 2 : 1;
		} else if (p[i] == '=' && i + 2 < n && hex_digit(p[i + 1]) >= 0 && hex_digit(p[i + 2]) >= 0) {
			rc = buf_putc(out, (char)(hex_digit(p[i + 1]) * 16 + hex_digit(p[i + 2])));
			i += 2;
		} else if (p[i] != '\r') {
			rc = buf_putc(out, p[i]);
		}
	}
	return rc;
}

/* RFC 2045 6.8: the lines joined, then decoded; CRLF in the text becomes LF */
static int
b64_decode(struct buf *out, const char *p, size_t n)
{
	struct buf packed, raw;
	size_t i;
	int rc = NF_OK;

	buf_init(&packed, n);
	buf_init(&raw, n);
	for (i = 0; i < n && rc == NF_OK; i++)
		if (p[i] != '\r' && p[i] != '\n' && p[i] != ' ' && p[i] != '\t')
			rc = buf_putc(&packed, p[i]);
	if (rc == NF_OK)
		rc = base64_decode(&raw, packed.data ? packed.data : "", packed.len);
	for (i = 0; i < raw.len && rc == NF_OK; i++)
		if (!(raw.data[i] == '\r' && i + 1 < raw.len && raw.data[i + 1] == '\n'))
			rc = buf_putc(out, raw.data[i]);
	buf_free(&packed);
	buf_free(&raw);
	return rc;
}

/* one part: its header block, then its body decoded into html or text */
static int
take_part(const char *p, size_t n, struct buf *html, struct buf *text)
{
	struct buf ct, cte;
	const char *body;
	size_t hlen = 0, at = 0;
	struct buf *into;
	int rc;

	mail_msg_split(p, n, &hlen, &at);
	body = p + at;
	buf_init(&ct, 1024);
	buf_init(&cte, 256);
	rc = header_value(p, hlen, "Content-Type", &ct);
	if (rc == NF_OK && (rc = header_value(p, hlen, "Content-Transfer-Encoding", &cte)) == NF_ERR_NOTFOUND)
		rc = NF_OK;	/* 7bit */
	into = ct.data && strcasestr(ct.data, "text/html") ? html :
	       ct.data && strcasestr(ct.data, "text/plain") ? text : NULL;
	if (rc == NF_OK && into) {
		buf_reset(into);
		if (cte.data && strcasestr(cte.data, "quoted-printable"))
			rc = qp_decode(into, body, n - at);
		else if (cte.data && strcasestr(cte.data, "base64"))
			rc = b64_decode(into, body, n - at);
		else
			rc = buf_append(into, body, n - at);
	}
	buf_free(&ct);
	buf_free(&cte);
	return rc;
}

/* the next "--boundary" that starts a line at or after p, or NULL */
static const char *
find_delimiter(const char *start, const char *p, const char *end, const char *delim, size_t dlen)
{
	while (p < end) {
		const char *d = memmem(p, (size_t)(end - p), delim, dlen);

		if (d == NULL)
			return NULL;
		if (d == start || d[-1] == '\n')
			return d;
		p = d + 1;
	}
	return NULL;
}

int
newsroom_preview_split(const char *msg, size_t len, struct buf *html, struct buf *text)
{
	char boundary[BOUNDARY_MAX + 1], delim[BOUNDARY_MAX + 3];
	const char *body, *end = msg + len, *d, *next;
	size_t hlen = 0, at = 0, dlen;
	struct buf ct;
	int rc;

	mail_msg_split(msg, len, &hlen, &at);
	buf_init(&ct, 4096);
	rc = header_value(msg, hlen, "Content-Type", &ct);
	if (rc == NF_OK)
		rc = boundary_of(ct.data, boundary);
	buf_free(&ct);
	if (rc != NF_OK)
		return NF_ERR_INVALID;
	dlen = (size_t)snprintf(delim, sizeof(delim), "--%s", boundary);
	body = msg + at;
	buf_reset(html);
	buf_reset(text);
	for (d = find_delimiter(body, body, end, delim, dlen); d && rc == NF_OK; d = next) {
		const char *part = next_line(d, end);
		size_t plen;

		if ((size_t)(end - d) >= dlen + 2 && memcmp(d + dlen, "--", 2) == 0)
			break;	/* the close delimiter */
		next = find_delimiter(body, part, end, delim, dlen);
		if (next == NULL)
			return NF_ERR_INVALID;	/* a part never closed */
		/* the CRLF before a delimiter belongs to the delimiter */
		plen = (size_t)(next - part);
		if (plen && part[plen - 1] == '\n')
			plen--;
		if (plen && part[plen - 1] == '\r')
			plen--;
		rc = take_part(part, plen, html, text);
	}
	if (rc == NF_OK && (html->len == 0 || text->len == 0))
		rc = NF_ERR_INVALID;
	return rc;
}

int
newsroom_preview_make(const struct mail_sender *sender, const struct news_article *art, const char *to,
		      int test, struct newsroom_preview *out)
{
	struct mail_subscriber sub = { 0, to, "preview" };
	struct mail_alert *prepared = NULL;
	json_t *ctx = news_article_context(art);
	char subject[NEWS_HEADLINE_MAX + sizeof(NEWSROOM_TEST_TAG) + 1];
	struct mail_content content = { subject, ctx };
	size_t hlen = 0, at = 0;
	int rc;

	snprintf(subject, sizeof(subject), "%s%s", test ? NEWSROOM_TEST_TAG " " : "", art->headline);

	rc = mail_alert_prepare(sender, &content, 0, time(NULL), &prepared);
	json_decref(ctx);
	if (rc == NF_OK)
		rc = mail_alert_compose(prepared, &sub, &out->message);
	mail_alert_free(prepared);
	if (rc != NF_OK)
		return rc;
	snprintf(out->subject, sizeof(out->subject), "%s", subject);
	out->size = out->message.len;
	mail_msg_split(out->message.data, out->message.len, &hlen, &at);
	out->signed_dkim = memmem(out->message.data, hlen, "DKIM-Signature:", 15) != NULL;
	return newsroom_preview_split(out->message.data, out->message.len, &out->html, &out->text);
}
