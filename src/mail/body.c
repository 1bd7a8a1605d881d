/*
 * mail/body.c - content transfer encodings for text bodies
 *
 * Owns: RFC 2045 6.7 quoted-printable (text: line breaks are CRLF, soft
 * breaks keep every line within 76 octets) and 6.8 base64 in lines of 76,
 * and the choice between them (the smaller wins). Does not own: the MIME
 * structure around the encoded text (mime.c).
 *
 * The quoted-printable written here is also in DKIM relaxed canonical form
 * (RFC 6376 3.4.4): no TAB, no run of spaces and no space at a line's end.
 * A space that would break that rule is written =20, which decodes to the
 * same text; so the signer can hash what it wrote as it is.
 */
#include <string.h>

#include "mail.h"

#define QP_LINE 76
#define B64_IN 57		/* octets per 76-character base64 line */

static const char hexdig[] = "0123456789ABCDEF";

struct qp {
	struct buf *out;
	size_t col;		/* octets on the current output line */
	int rc;
	int room;		/* the worst case is reserved: write in place */
};

static void
qp_put(struct qp *q, const char *p, size_t n)
{
	if (q->room) {
		memcpy(q->out->data + q->out->len, p, n);
		q->out->len += n;
	} else if (q->rc == NF_OK) {
		q->rc = buf_append(q->out, p, n);
	}
}

static void
qp_emit(struct qp *q, const char *p, size_t n, int last)
{
	/* a soft break (=) must fit after every token but the line's last */
	if (q->col + n + (last ? 0 : 1) > QP_LINE) {
		qp_put(q, "=\r\n", 3);
		q->col = 0;
	}
	qp_put(q, p, n);
	q->col += n;
}

/* qp_line - one input line, without its line end */
static void
qp_line(struct qp *q, const unsigned char *p, size_t n)
{
	char esc[3] = { '=', 0, 0 };
	size_t i;
	int prev_space = 0, last, literal;

	for (i = 0; i < n; i++) {
		unsigned char c = p[i];

		last = i + 1 == n;
		literal = c > 32 && c < 127 && c != '=';
		if (c == ' ')
			literal = !last && !prev_space;
		if (q->col == 0 && (c == '.' || (c == 'F' && n - i >= 5 && !memcmp(p + i, "From ", 5))))
			literal = 0;	/* the dot of SMTP, the "From " of mbox */
		if (literal) {
			char ch = (char)c;

			qp_emit(q, &ch, 1, last);
		} else {
			esc[1] = hexdig[c >> 4];
			esc[2] = hexdig[c & 15];
			qp_emit(q, esc, 3, last);
		}
		prev_space = literal && c == ' ';
	}
}

int
mail_qp_encode(struct buf *out, const char *in, size_t n)
{
	const unsigned char *p = (const unsigned char *)in;
	struct qp q = { out, 0, NF_OK, 0 };
	size_t pos = 0, len, mark = out->len;
	const unsigned char *lf;

	/*
	 * At most 3 octets per input octet, plus a 3-octet soft break per 24
	 * of those, plus CRLF for LF: 4n + 3 covers it. Reserving it lets the
	 * encoder write in place; under a tight ceiling it appends with checks.
	 */
	q.room = n < SIZE_MAX / 8 && buf_reserve(out, 4 * n + 3) == NF_OK;
	while (pos < n && q.rc == NF_OK) {
		lf = memchr(p + pos, '\n', n - pos);
		len = lf ? (size_t)(lf - p) - pos : n - pos;
		qp_line(&q, p + pos, len > 0 && lf && p[pos + len - 1] == '\r' ? len - 1 : len);
		if (lf)
			qp_put(&q, "\r\n", 2);
		q.col = 0;
		pos += len + (lf ? 1 : 0);
	}
	if (q.rc)
		mail_buf_undo(out, mark);
	else if (out->data)
		out->data[out->len] = '\0';
	return q.rc;
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
