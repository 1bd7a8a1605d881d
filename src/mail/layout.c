/*
 * mail/layout.c - an alert's body as shared pieces and per-subscriber slots
 *
 * Owns: cutting the rendered text and HTML of an alert at the places where
 * a subscriber's own values go ({{email}}, {{unsubscribe_url}}), encoding
 * the shared pieces once (RFC 2045 6.7 / 6.8), and putting one subscriber's
 * body together from them. Does not own: choosing what the values are
 * (alert.c) or the templates (tmpl/).
 *
 * The renders are made with placeholders: a random marker, then 'E' or 'U',
 * then '&'. The '&' says how the template wrote the value: "&amp;" where it
 * was HTML-escaped, "&" where it went in raw; each slot is filled the same way.
 *
 * In a quoted-printable part every shared piece is encoded on its own from
 * the start of a line, and a soft line break ("=" CRLF, which decoders
 * remove) closes each piece and each value that does not end a line. So a
 * value of any length slots in without re-encoding what surrounds it, and
 * every join falls at a line start: the body stays in relaxed canonical
 * form (body.c) without a canonicalization pass. Base64 has no such break:
 * a base64 part with slots is put together unencoded and encoded per
 * message (base64 wins only for scripts such as Japanese, where it is the
 * smaller encoding).
 */
#include <stdlib.h>
#include <string.h>

#include "tmpl/tmpl.h"
#include "mail.h"

#define LAYOUT_MAX (8u << 20)

enum piece_kind {
	PIECE_TEXT,		/* shared bytes, ready to copy */
	PIECE_EMAIL,		/* the subscriber's address */
	PIECE_URL,		/* the unsubscribe link */
	PIECE_B64_BEGIN,	/* what follows, to PIECE_B64_END, is base64-encoded per message */
	PIECE_B64_END,
	PIECE_PART_END,		/* the CRLF before the next delimiter, if not there yet */
};

struct piece {
	enum piece_kind kind;
	size_t off, len;	/* PIECE_TEXT: where in l->text */
	unsigned char escaped;	/* a slot the template HTML-escaped */
	unsigned char qp;	/* a slot in a quoted-printable part */
	unsigned char soft;	/* a soft line break after the value */
};

struct mail_layout {
	struct buf text;	/* every shared piece, one after another */
	struct piece *pieces;
	size_t npieces;
	struct buf raw, esc;	/* per message: a base64 part's text, an escaped value */
};

struct slot {
	size_t at, len;
	enum piece_kind kind;
	int escaped;
};

static void
add_piece(struct mail_layout *l, struct piece pc)
{
	struct piece *last = l->npieces ? &l->pieces[l->npieces - 1] : NULL;

	if (pc.kind == PIECE_TEXT && pc.len == 0)
		return;
	if (pc.kind == PIECE_TEXT && last && last->kind == PIECE_TEXT &&
	    last->off + last->len == pc.off) {
		last->len += pc.len;	/* neighbours in l->text: one copy */
		return;
	}
	l->pieces = xrealloc(l->pieces, (l->npieces + 1) * sizeof(*l->pieces));
	l->pieces[l->npieces++] = pc;
}

/* append shared bytes made by a writer to l->text, as a piece */
#define TEXT_PIECE(l, call)						\
	do {								\
		size_t from_ = (l)->text.len;				\
		rc = (call);						\
		add_piece((l), (struct piece){ PIECE_TEXT, from_,	\
					       (l)->text.len - from_, 0, 0, 0 }); \
	} while (0)

/* find_slots - where the placeholders are; NF_ERR_INVALID for a form we cannot place */
static int
find_slots(const struct buf *r, const char *marker, struct slot **slots, size_t *n)
{
	size_t mlen = strlen(marker), at = 0;
	const char *hit;

	*slots = NULL;
	*n = 0;
	while (r->len - at >= mlen &&
	       (hit = memmem(r->data + at, r->len - at, marker, mlen)) != NULL) {
		size_t i = (size_t)(hit - r->data) + mlen;
		struct slot s = { (size_t)(hit - r->data), 0, PIECE_EMAIL, 0 };

		if (i + 2 > r->len || (r->data[i] != 'E' && r->data[i] != 'U') || r->data[i + 1] != '&')
			return NF_ERR_INVALID;
		s.kind = r->data[i] == 'E' ? PIECE_EMAIL : PIECE_URL;
		s.escaped = r->len - i - 1 >= 5 && memcmp(r->data + i + 1, "&amp;", 5) == 0;
		s.len = mlen + 1 + (s.escaped ? 5 : 1);
		*slots = xrealloc(*slots, (*n + 1) * sizeof(**slots));
		(*slots)[(*n)++] = s;
		at = s.at + s.len;
	}
	return NF_OK;
}

/*
 * needs_soft_break - after a value ending at i: unless the text goes on
 * with a line break (or not at all), the next shared piece must start a
 * line of its own, so the value's line ends in a soft break.
 */
static int
needs_soft_break(const struct buf *r, size_t i)
{
	if (i >= r->len || r->data[i] == '\n')
		return 0;
	return !(r->data[i] == '\r' && i + 1 < r->len && r->data[i + 1] == '\n');
}

/* a quoted-printable part with slots: shared pieces encoded apart, soft-broken */
static int
qp_pieces(struct mail_layout *l, const struct buf *r, const struct slot *slots, size_t n)
{
	size_t i, from = 0;
	int rc = NF_OK;

	for (i = 0; i <= n && rc == NF_OK; i++) {
		size_t to = i < n ? slots[i].at : r->len;

		TEXT_PIECE(l, mail_qp_encode(&l->text, r->data + from, to - from));
		if (rc == NF_OK && i < n && to > from && r->data[to - 1] != '\n')
			TEXT_PIECE(l, buf_append(&l->text, "=\r\n", 3));
		if (i < n) {
			add_piece(l, (struct piece){ slots[i].kind, 0, 0, (unsigned char)slots[i].escaped,
						     1, needs_soft_break(r, slots[i].at + slots[i].len) });
			from = slots[i].at + slots[i].len;
		}
	}
	return rc;
}

/* a base64 part with slots: shared text kept raw, the part encoded per message */
static int
b64_pieces(struct mail_layout *l, const struct buf *r, const struct slot *slots, size_t n)
{
	size_t i, from = 0;
	int rc = NF_OK;

	add_piece(l, (struct piece){ PIECE_B64_BEGIN, 0, 0, 0, 0, 0 });
	for (i = 0; i <= n && rc == NF_OK; i++) {
		size_t to = i < n ? slots[i].at : r->len;

		TEXT_PIECE(l, buf_append(&l->text, r->data + from, to - from));
		if (i < n) {
			add_piece(l, (struct piece){ slots[i].kind, 0, 0, (unsigned char)slots[i].escaped, 0, 0 });
			from = slots[i].at + slots[i].len;
		}
	}
	add_piece(l, (struct piece){ PIECE_B64_END, 0, 0, 0, 0, 0 });
	return rc;
}

static int
layout_part(struct mail_layout *l, const char *boundary, const char *subtype,
	    const char *marker, const struct buf *r)
{
	struct slot *slots;
	enum mail_cte cte;
	struct buf enc;
	size_t n;
	int rc;

	if ((rc = find_slots(r, marker, &slots, &n)) != NF_OK)
		return rc;
	buf_init(&enc, LAYOUT_MAX);
	/* the encoding is chosen on the render with placeholders: near enough */
	rc = mail_body_encode(&enc, r->data ? r->data : "", r->len, &cte);
	if (rc == NF_OK && n == 0) {
		TEXT_PIECE(l, mail_mime_part(&l->text, boundary, subtype, cte, enc.data ? enc.data : "",
					     enc.len));
	} else if (rc == NF_OK) {
		TEXT_PIECE(l, mail_mime_part_header(&l->text, boundary, subtype, cte));
		if (rc == NF_OK)
			rc = cte == MAIL_CTE_QP ? qp_pieces(l, r, slots, n) : b64_pieces(l, r, slots, n);
		add_piece(l, (struct piece){ PIECE_PART_END, 0, 0, 0, 0, 0 });
	}
	buf_free(&enc);
	free(slots);
	return rc;
}

int
mail_layout_build(const char *boundary, const char *marker, const struct buf *txt,
		  const struct buf *html, struct mail_layout **out)
{
	struct mail_layout *l = xcalloc(1, sizeof(*l));
	int rc;

	buf_init(&l->text, LAYOUT_MAX);
	buf_init(&l->raw, LAYOUT_MAX);
	buf_init(&l->esc, LAYOUT_MAX);
	rc = layout_part(l, boundary, "plain", marker, txt);
	if (rc == NF_OK)
		rc = layout_part(l, boundary, "html", marker, html);
	if (rc == NF_OK)
		TEXT_PIECE(l, mail_mime_close(&l->text, boundary));
	if (rc) {
		mail_layout_free(l);
		l = NULL;
	}
	*out = l;
	return rc;
}

static int
emit_value(struct mail_layout *l, struct buf *dst, const struct piece *pc, const char *v)
{
	size_t n = strlen(v);
	int rc = NF_OK;

	if (pc->escaped) {
		buf_reset(&l->esc);
		rc = tmpl_escape_html(&l->esc, v, n);
		v = l->esc.data ? l->esc.data : "";
		n = l->esc.len;
	}
	if (rc == NF_OK && !pc->qp)
		return buf_append(dst, v, n);
	if (rc == NF_OK)
		rc = mail_qp_encode(dst, v, n);
	if (rc == NF_OK && pc->soft)
		rc = buf_append(dst, "=\r\n", 3);
	return rc;
}

int
mail_layout_emit(struct mail_layout *l, struct buf *out, const char *email, const char *url)
{
	struct buf *dst = out;
	size_t i, mark = out->len;
	int rc = NF_OK;

	for (i = 0; i < l->npieces && rc == NF_OK; i++) {
		const struct piece *pc = &l->pieces[i];

		switch (pc->kind) {
		case PIECE_TEXT:
			rc = buf_append(dst, l->text.data + pc->off, pc->len);
			break;
		case PIECE_EMAIL:
		case PIECE_URL:
			rc = emit_value(l, dst, pc, pc->kind == PIECE_EMAIL ? email : url);
			break;
		case PIECE_B64_BEGIN:
			buf_reset(&l->raw);
			dst = &l->raw;
			break;
		case PIECE_B64_END:
			dst = out;
			rc = mail_b64_encode_lines(out, l->raw.data, l->raw.len);
			break;
		case PIECE_PART_END:
			rc = mail_mime_part_end(out);
			break;
		}
	}
	if (rc)
		mail_buf_undo(out, mark);
	return rc;
}

size_t
mail_layout_prefix(const struct mail_layout *l, const char **bytes)
{
	*bytes = l->text.data;
	return l->npieces && l->pieces[0].kind == PIECE_TEXT ? l->pieces[0].len : 0;
}

void
mail_layout_free(struct mail_layout *l)
{
	if (l == NULL)
		return;
	buf_free(&l->text);
	buf_free(&l->raw);
	buf_free(&l->esc);
	free(l->pieces);
	free(l);
}
