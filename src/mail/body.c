/*
 * mail/body.c - content transfer encodings for text bodies
 *
 * Owns: RFC 2045 6.7 quoted-printable (text: line breaks are CRLF, soft
 * breaks keep every line within 76 octets) and 6.8 base64 in lines of 76,
 * and the choice between them (the smaller wins). Does not own: the MIME
 * structure around the encoded text (mime_parts.c).
 *
 * The quoted-printable written here is also in DKIM relaxed canonical form
 * (RFC 6376 3.4.4): no TAB, no run of spaces and no space at a line's end.
 * A space that would break that rule is written =20, which decodes to the
 * same text; so the signer can hash what it wrote as it is.
 */
#include <stdlib.h>
#include <string.h>

#include "mail.h"

#define QP_LINE 76
#define B64_IN 57		/* octets per 76-character base64 line */

static const char hexdig[] = "0123456789ABCDEF";

/*
 * qp_line - one input line, without its line end, written at o; returns
 * the new end. Each octet is a token: itself, or =XX. A soft break (=)
 * must fit after every token but the line's last, so a token goes on a
 * new line when col + its length + 1 would pass QP_LINE.
 */
static char *
qp_line(char *o, const unsigned char *p, size_t n)
{
	size_t i, col = 0, w;
	int prev_space = 0, last, literal;

	for (i = 0; i < n; i++) {
		unsigned char c = p[i];

		/* most octets: printable, mid-line, with room for them and a soft break */
		if (col - 1 < QP_LINE - 2 && c > 32 && c < 127 && c != '=' && i + 1 < n) {
			*o++ = (char)c;
			col++;
			prev_space = 0;
			continue;
		}
		last = i + 1 == n;
		literal = c > 32 && c < 127 && c != '=';
		if (c == ' ')
			literal = !last && !prev_space;
		w = literal ? 1 : 3;
		if (col + w + !last > QP_LINE) {
			memcpy(o, "=\r\n", 3);
			o += 3;
			col = 0;
		}
		/*
		 * The dot of SMTP, the "From " of mbox: never at the start of a
		 * line, a soft break's included, or every relay on the way must
		 * copy the whole message to double the dot (smtp_stuff).
		 */
		if (col == 0 && literal && (c == '.' || (c == 'F' && n - i >= 5 && !memcmp(p + i, "From ", 5)))) {
			literal = 0;
			w = 3;
		}
		if (literal) {
			*o++ = (char)c;
		} else {
			o[0] = '=';
			o[1] = hexdig[c >> 4];
			o[2] = hexdig[c & 15];
			o += 3;
		}
		col += w;
		prev_space = literal && c == ' ';
	}
	return o;
}

/* qp_text - the whole text at o (room for 4n + 3 octets); returns the new end */
static char *
qp_text(char *o, const unsigned char *p, size_t n)
{
	size_t pos = 0, len;
	const unsigned char *lf;

	while (pos < n) {
		lf = memchr(p + pos, '\n', n - pos);
		len = lf ? (size_t)(lf - p) - pos : n - pos;
		o = qp_line(o, p + pos, len > 0 && lf && p[pos + len - 1] == '\r' ? len - 1 : len);
		if (lf) {
			memcpy(o, "\r\n", 2);
			o += 2;
		}
		pos += len + (lf ? 1 : 0);
	}
	return o;
}

int
mail_qp_encode(struct buf *out, const char *in, size_t n)
{
	char *aside = NULL, *start, *end;
	int rc = NF_OK;

	/*
	 * At most 3 octets per input octet, plus a 3-octet soft break per 24 of
	 * those, plus CRLF for LF: 4n + 3 covers it, and the encoder writes in
	 * place. Under a ceiling too tight for that it encodes aside, and the
	 * append says whether the real length fits.
	 */
	if (n > SIZE_MAX / 8)
		return NF_ERR_LIMIT;
	if (buf_reserve(out, 4 * n + 3) == NF_OK)
		start = out->data + out->len;
	else
		start = aside = xmalloc(4 * n + 3);
	end = qp_text(start, (const unsigned char *)in, n);
	if (aside) {
		rc = buf_append(out, aside, (size_t)(end - aside));
		free(aside);
		return rc;
	}
	out->len += (size_t)(end - start);
	out->data[out->len] = '\0';
	return NF_OK;
}

size_t
mail_b64_lines_len(size_t n)
{
	size_t full = n / B64_IN, rest = n % B64_IN;

	return full * 78 + (rest ? base64_encoded_len(rest) + 2 : 0);
}

int
mail_b64_encode_lines(struct buf *out, const void *in, size_t n)
{
	const unsigned char *p = in;
	size_t i, chunk, mark = out->len;
	int rc = buf_reserve(out, mail_b64_lines_len(n));

	for (i = 0; i < n && rc == NF_OK; i += chunk) {
		chunk = n - i < B64_IN ? n - i : B64_IN;
		rc = base64_encode(out, p + i, chunk);
		if (rc == NF_OK)
			rc = buf_append(out, "\r\n", 2);
	}
	if (rc)
		mail_buf_undo(out, mark);
	return rc;
}

int
mail_body_encode(struct buf *out, const char *in, size_t n, enum mail_cte *cte)
{
	size_t mark = out->len;
	int rc;

	rc = mail_qp_encode(out, in, n);
	if (rc == NF_OK && out->len - mark <= mail_b64_lines_len(n)) {
		*cte = MAIL_CTE_QP;
		return NF_OK;
	}
	mail_buf_undo(out, mark);
	*cte = MAIL_CTE_BASE64;
	return mail_b64_encode_lines(out, in, n);
}

const char *
mail_cte_name(enum mail_cte cte)
{
	return cte == MAIL_CTE_QP ? "quoted-printable" : "base64";
}
