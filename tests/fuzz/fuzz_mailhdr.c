/*
 * fuzz_mailhdr - the header encoder and folder (mail/hdr.c) with what else
 * reads outside text into a message: relaxed canonicalization and the
 * quoted-printable encoder.
 *
 * Input: the first byte picks the display-name/address split for
 * mail_hdr_mailbox; the rest is the value. Checked on every input:
 * - a value refused by mail_hdr_check is refused by every writer;
 * - an accepted field ends in CRLF, has no bare CR or LF, no line over 998
 *   octets, no line of white space only, and every continuation line starts
 *   with a space (so it unfolds);
 * - plain ASCII that needs no encoding unfolds back to the value exactly;
 * - relaxed body canonicalization is idempotent and its output passes
 *   mail_canon_body_is_canonical;
 * - quoted-printable output has lines of at most 76 octets.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "mail/mail.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* the structure of a folded field; returns the longest line */
static size_t
check_field(const struct buf *b)
{
	size_t i, col = 0, max = 0, start = 0, k;
	int only_ws;

	if (b->len < 2 || b->data[b->len - 2] != '\r' || b->data[b->len - 1] != '\n')
		abort();
	for (i = 0; i < b->len; i++) {
		if (b->data[i] == '\r') {
			if (b->data[i + 1] != '\n')
				abort();
			only_ws = 1;
			for (k = start; k < i; k++)
				only_ws &= b->data[k] == ' ';
			if (only_ws || col > MAIL_LINE_MAX)
				abort();
			if (i + 2 < b->len && b->data[i + 2] != ' ')
				abort();	/* a second field smuggled in */
			max = col > max ? col : max;
			col = 0;
			start = i + 2;
			i++;
		} else if (b->data[i] == '\n') {
			abort();
		} else {
			col++;
		}
	}
	return max;
}

static void
unfold_equals(const struct buf *b, const char *v, size_t n)
{
	struct buf u;
	size_t i, s = 0, e = n;

	while (s < e && v[s] == ' ')
		s++;
	while (e > s && v[e - 1] == ' ')
		e--;
	buf_init(&u, 0);
	for (i = strlen("Subject: "); i + 2 < b->len + 0 && i < b->len - 2; i++)
		if (b->data[i] != '\r' && b->data[i] != '\n')
			buf_putc(&u, b->data[i]);
	if (u.len != e - s || (u.len && memcmp(u.data, v + s, u.len) != 0))
		abort();
	buf_free(&u);
}

static int
plain_ascii(const char *v, size_t n)
{
	size_t i, word = 0;

	for (i = 0; i < n; i++) {
		if ((unsigned char)v[i] >= 0x80 || (v[i] == '=' && i + 1 < n && v[i + 1] == '?'))
			return 0;
		word = v[i] == ' ' ? 0 : word + 1;
		if (word > 900)
			return 0;
	}
	return 1;
}

static void
fuzz_headers(const char *v, size_t n, size_t split)
{
	int ok = mail_hdr_check(v, n) == NF_OK;
	struct buf b;
	int rc;

	buf_init(&b, 1 << 20);
	rc = mail_hdr_text(&b, "Subject", v, n);
	if (!ok && rc != NF_ERR_INVALID)
		abort();
	if (rc == NF_OK) {
		check_field(&b);
		if (plain_ascii(v, n) && n > 0)
			unfold_equals(&b, v, n);
	}
	buf_reset(&b);
	rc = mail_hdr_mailbox(&b, "From", v, split, v + split, n - split);
	if (rc == NF_OK) {
		if (mail_hdr_check(v, split) != NF_OK ||
		    mail_hdr_addr_check(v + split, n - split) != NF_OK)
			abort();
		check_field(&b);
	}
	buf_free(&b);
}

static void
fuzz_canon(const char *v, size_t n)
{
	struct buf c1, c2, h, q;

	buf_init(&c1, 1 << 22);
	buf_init(&c2, 1 << 22);
	buf_init(&h, 1 << 22);
	buf_init(&q, 1 << 22);
	if (mail_canon_body(&c1, v, n) == NF_OK) {
		if (!mail_canon_body_is_canonical(c1.data ? c1.data : "", c1.len))
			abort();
		mail_canon_body(&c2, c1.data ? c1.data : "", c1.len);
		if (c1.len != c2.len || (c1.len && memcmp(c1.data, c2.data, c1.len)))
			abort();
	}
	mail_canon_header(&h, v, n);
	if (mail_qp_encode(&q, v, n) == NF_OK) {
		size_t i, col = 0;

		for (i = 0; i < q.len; i++) {
			col = q.data[i] == '\n' ? 0 : col + 1;
			if (col > 77)	/* 76 and the CR */
				abort();
		}
	}
	buf_free(&c1), buf_free(&c2), buf_free(&h), buf_free(&q);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *v = (const char *)data + 1;
	size_t n, split;

	if (size == 0)
		return 0;
	n = size - 1;
	split = n ? data[0] % (n + 1) : 0;
	fuzz_headers(v, n, split);
	fuzz_canon(v, n);
	return 0;
}
