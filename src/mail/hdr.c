/*
 * mail/hdr.c - header values from outside: checks, RFC 2047 encoding, folding
 *
 * Owns: turning a value we did not write (a headline, a display name, an
 * address) into a header field that is safe and well formed. Standards:
 * RFC 5322 2.1.1 (line lengths), 2.2.3 (folding), 3.2.3-3.2.5 (atoms,
 * quoted strings, phrases), 3.4 (mailboxes); RFC 2047 2, 4, 5 (encoded-words:
 * at most 75 octets each, whole characters only, Q in phrases limited to the
 * characters of 5(3)); RFC 6532 is not used: non-ASCII is always encoded.
 *
 * A control character (CR and LF above all: header injection) is an error,
 * never stripped or passed on. Folding happens only at a space, so
 * unfolding gives back the value exactly; a word too long to fit in
 * MAIL_LINE_MAX is sent as encoded-words, which can be cut anywhere between
 * characters.
 */
#include <string.h>

#include "mail.h"

#define EWORD_OVERHEAD 12	/* "=?UTF-8?Q?" and "?=" */
#define QUOTED_MAX 60		/* longest display name we send as a quoted string */

/* one UTF-8 sequence at p (RFC 3629 4): its length, or 0 when malformed */
static size_t
utf8_len(const unsigned char *p, size_t n, uint32_t *cp)
{
	size_t len, i;
	uint32_t c;

	if (p[0] < 0x80) {
		*cp = p[0];
		return 1;
	}
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2, c = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3, c = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4, c = p[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (p[i] & 0x3f);
	}
	/* overlong forms, surrogates, past U+10FFFF */
	if ((len == 3 && c < 0x800) || (len == 4 && (c < 0x10000 || c > 0x10ffff)) ||
	    (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

static int
is_control(uint32_t c)
{
	return c < 0x20 || c == 0x7f || (c >= 0x80 && c <= 0x9f) ||
	       c == 0x2028 || c == 0x2029;
}

int
mail_hdr_check(const char *v, size_t n)
{
	const unsigned char *p = (const unsigned char *)v;
	size_t i = 0, len;
	uint32_t c;

	while (i < n) {
		len = utf8_len(p + i, n - i, &c);
		if (len == 0 || is_control(c))
			return NF_ERR_INVALID;
		i += len;
	}
	return NF_OK;
}

/* RFC 5322 3.2.3 atext */
static int
is_atext(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

int
mail_hdr_addr_check(const char *a, size_t n)
{
	size_t i, at = n;

	if (n == 0 || n > MAIL_ADDR_MAX)
		return NF_ERR_INVALID;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)a[i];

		if (c == '@') {
			if (at != n)
				return NF_ERR_INVALID;
			at = i;
		} else if (!is_atext(c) && c != '.' && c != '-') {
			return NF_ERR_INVALID;	/* space, controls, <>()[]",;:\ and non-ASCII */
		}
	}
	if (at == 0 || at >= n - 1)
		return NF_ERR_INVALID;
	return NF_OK;
}

/*
 * The folding writer. col counts the octets on the current line; word is
 * set once the line holds something other than folding white space, so we
 * never fold twice in a row (that would leave a line of white space only,
 * which RFC 5322 3.2.2 forbids).
 */
struct fold {
	struct buf *out;
	size_t col;
	int word;
};

static int
fold_start(struct fold *f, struct buf *out, const char *name)
{
	size_t n = strlen(name);

	f->out = out;
	f->col = n + 1;
	f->word = 0;
	if (n == 0 || n > 76)
		return NF_ERR_INVALID;
	if (buf_append(out, name, n) || buf_putc(out, ':'))
		return NF_ERR_LIMIT;
	return NF_OK;
}

/* fold_room - may a word of n octets go on this line after a space? */
static int
fold_room(const struct fold *f, size_t n)
{
	return f->col + 1 + n <= MAIL_LINE_FOLD || !f->word;
}

/* fold_word - a space (or a fold) then the word */
static int
fold_word(struct fold *f, const char *w, size_t n)
{
	if (!fold_room(f, n)) {
		if (buf_append(f->out, "\r\n", 2))
			return NF_ERR_LIMIT;
		f->col = 0;
		f->word = 0;
	}
	if (f->col + 1 + n > MAIL_LINE_MAX)
		return NF_ERR_LIMIT;
	if (buf_putc(f->out, ' ') || buf_append(f->out, w, n))
		return NF_ERR_LIMIT;
	f->col += 1 + n;
	f->word |= n > 0;
	return NF_OK;
}

static int
fold_end(struct fold *f)
{
	return buf_append(f->out, "\r\n", 2) ? NF_ERR_LIMIT : NF_OK;
}

/* Q may leave these as they are in any header, phrases included (RFC 2047 5(3)) */
static int
q_literal(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '!' || c == '*' || c == '+' || c == '-' || c == '/';
}

static size_t
q_cost(unsigned char c)
{
	return q_literal(c) || c == ' ' ? 1 : 3;
}

static size_t
b_cost(size_t octets)
{
	return (octets + 2) / 3 * 4;
}

static void
q_put(struct buf *w, const unsigned char *p, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i;

	for (i = 0; i < n; i++) {
		if (q_literal(p[i])) {
			buf_putc(w, (char)p[i]);
		} else if (p[i] == ' ') {
			buf_putc(w, '_');
		} else {
			char e[3] = { '=', hex[p[i] >> 4], hex[p[i] & 15] };

			buf_append(w, e, 3);
		}
	}
}

/*
 * ewords - the whole of v as encoded-words, each with as many whole
 * characters as fit both in 75 octets and on the current line (the first
 * word shares its line with the field name). v has passed mail_hdr_check.
 */
static int
ewords(struct fold *f, const char *v, size_t n)
{
	const unsigned char *p = (const unsigned char *)v;
	size_t i, qtotal = 0, room, start, cost, len;
	struct buf w;
	uint32_t c;
	int b, rc = NF_OK;

	for (i = 0; i < n; i++)
		qtotal += q_cost(p[i]);
	b = b_cost(n) < qtotal;
	buf_init(&w, MAIL_EWORD_MAX);
	for (start = 0; start < n && rc == NF_OK; start = i) {
		room = f->col + 1 < MAIL_LINE_FOLD ? MAIL_LINE_FOLD - f->col - 1 : 0;
		if (room > MAIL_EWORD_MAX)
			room = MAIL_EWORD_MAX;
		if (room < EWORD_OVERHEAD + 12)	/* not one 4-octet character: fold first */
			room = MAIL_EWORD_MAX;
		room -= EWORD_OVERHEAD;
		for (i = start, cost = 0; i < n; i += len) {
			len = utf8_len(p + i, n - i, &c);
			if (b)
				cost = b_cost(i + len - start);
			else
				cost += q_cost(p[i]) + (len > 1 ? 3 * (len - 1) : 0);
			if (cost > room)
				break;
		}
		buf_reset(&w);
		buf_puts(&w, b ? "=?UTF-8?B?" : "=?UTF-8?Q?");
		if (b)
			base64_encode(&w, p + start, i - start);
		else
			q_put(&w, p + start, i - start);
		buf_puts(&w, "?=");
		rc = fold_word(f, w.data, w.len);
	}
	buf_free(&w);
	return rc;
}

/*
 * needs_ewords - plain text will not do: non-ASCII, something a decoder
 * would take for an encoded-word, or a word longer than a line may be.
 */
static int
needs_ewords(const char *v, size_t n, size_t first_col)
{
	size_t i, word = 0;

	for (i = 0; i < n; i++) {
		if ((unsigned char)v[i] >= 0x80)
			return 1;
		if (v[i] == '=' && i + 1 < n && v[i + 1] == '?')
			return 1;
		word = v[i] == ' ' ? 0 : word + 1;
		if (first_col + 1 + word > MAIL_LINE_MAX)
			return 1;
		first_col = v[i] == ' ' ? 1 : first_col;
	}
	return 0;
}

/* trim - outside text keeps no leading or trailing spaces in a header */
static void
trim(const char **v, size_t *n)
{
	while (*n && (*v)[0] == ' ')
		(*v)++, (*n)--;
	while (*n && (*v)[*n - 1] == ' ')
		(*n)--;
}

/* the words of v, split at single spaces (a run of spaces keeps its empty words) */
static int
plain_words(struct fold *f, const char *v, size_t n)
{
	size_t i, start = 0;
	int rc;

	if (n == 0)
		return NF_OK;
	for (i = 0; i <= n; i++) {
		if (i < n && v[i] != ' ')
			continue;
		if ((rc = fold_word(f, v + start, i - start)) != NF_OK)
			return rc;
		start = i + 1;
	}
	return NF_OK;
}

/* field_open - check and trim the outside value, then "Name:" */
static int
field_open(struct fold *f, struct buf *out, const char *name, const char **v, size_t *n)
{
	int rc = mail_hdr_check(*v, *n);

	if (rc != NF_OK)
		return rc;
	trim(v, n);
	return fold_start(f, out, name);
}

/* field_close - the final CRLF; on any failure, nothing half-written stays */
static int
field_close(struct fold *f, struct buf *out, size_t mark, int rc)
{
	if (rc == NF_OK)
		rc = fold_end(f);
	if (rc)
		mail_buf_undo(out, mark);
	return rc;
}

int
mail_hdr_text(struct buf *out, const char *name, const char *v, size_t n)
{
	size_t mark = out->len;
	struct fold f;
	int rc;

	rc = field_open(&f, out, name, &v, &n);
	if (rc == NF_OK && needs_ewords(v, n, f.col))
		rc = ewords(&f, v, n);
	else if (rc == NF_OK)
		rc = plain_words(&f, v, n);
	return field_close(&f, out, mark, rc);
}

/* phrase_kind - 0: atoms as they are; 1: a quoted string; 2: encoded-words */
static int
phrase_kind(const char *v, size_t n)
{
	size_t i;
	int kind = 0;

	if (needs_ewords(v, n, 80))
		return 2;
	for (i = 0; i < n; i++)
		if (!is_atext((unsigned char)v[i]) && v[i] != ' ')
			kind = 1;
	/* a quoted string cannot fold: a long one goes as encoded-words */
	if (kind == 1 && n > QUOTED_MAX)
		return 2;
	return kind;
}

static int
quoted_phrase(struct fold *f, const char *v, size_t n)
{
	struct buf q;
	size_t i;
	int rc;

	buf_init(&q, MAIL_LINE_MAX);
	buf_putc(&q, '"');
	for (i = 0; i < n; i++) {
		if (v[i] == '"' || v[i] == '\\')
			buf_putc(&q, '\\');
		buf_putc(&q, v[i]);
	}
	rc = buf_putc(&q, '"');
	if (rc == NF_OK)
		rc = fold_word(f, q.data, q.len);
	buf_free(&q);
	return rc;
}

static int
phrase_then_id(struct buf *out, const char *name, const char *v, size_t n,
	       const char *id, size_t idlen)
{
	size_t mark = out->len;
	struct buf bracketed;
	struct fold f;
	int rc;

	rc = field_open(&f, out, name, &v, &n);
	if (rc == NF_OK && n == 0)
		return field_close(&f, out, mark, fold_word(&f, id, idlen));
	if (rc == NF_OK) {
		switch (phrase_kind(v, n)) {
		case 0: rc = plain_words(&f, v, n); break;
		case 1: rc = quoted_phrase(&f, v, n); break;
		default: rc = ewords(&f, v, n); break;
		}
	}
	buf_init(&bracketed, MAIL_ADDR_MAX + 2);
	buf_putc(&bracketed, '<');
	buf_append(&bracketed, id, idlen);
	buf_putc(&bracketed, '>');
	if (rc == NF_OK)
		rc = fold_word(&f, bracketed.data, bracketed.len);
	buf_free(&bracketed);
	return field_close(&f, out, mark, rc);
}

int
mail_hdr_mailbox(struct buf *out, const char *name, const char *display,
		 size_t dlen, const char *addr, size_t alen)
{
	if (mail_hdr_addr_check(addr, alen) != NF_OK)
		return NF_ERR_INVALID;
	return phrase_then_id(out, name, display, dlen, addr, alen);
}

int
mail_hdr_phrase_id(struct buf *out, const char *name, const char *phrase,
		   size_t plen, const char *id, size_t idlen)
{
	if (idlen == 0 || idlen > MAIL_ADDR_MAX || mail_hdr_check(id, idlen) != NF_OK ||
	    memchr(id, '>', idlen) || memchr(id, ' ', idlen))
		return NF_ERR_INVALID;
	return phrase_then_id(out, name, phrase, plen, id, idlen);
}
