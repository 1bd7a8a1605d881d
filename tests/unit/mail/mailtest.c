/* tests/unit/mail/mailtest.c - decoders for the mail tests (see mailtest.h) */
#include <stdlib.h>
#include <string.h>

#include "mailtest.h"

char *
mt_unfold_value(const char *field, size_t n)
{
	const char *colon = memchr(field, ':', n);
	struct buf b;
	size_t i;

	buf_init(&b, 0);
	buf_puts(&b, "");
	for (i = colon ? (size_t)(colon - field) + 1 : 0; i < n; i++)
		if (field[i] != '\r' && field[i] != '\n')
			buf_putc(&b, field[i]);
	while (b.len && b.data[b.len - 1] == ' ')
		b.data[--b.len] = '\0';
	i = b.len && b.data[0] == ' ';
	{
		char *r = xstrdup(b.data + i);

		buf_free(&b);
		return r;
	}
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	return -1;
}

/* one encoded-word "=?UTF-8?X?text?=" of length n */
static int
decode_eword(const char *w, size_t n, struct buf *out)
{
	const char *text;
	size_t i, tlen;

	if (n < 12 || memcmp(w, "=?UTF-8?", 8) != 0 || w[9] != '?' ||
	    w[n - 2] != '?' || w[n - 1] != '=')
		return -1;
	text = w + 10;
	tlen = n - 12;
	if (w[8] == 'B')
		return base64_decode(out, text, tlen) == NF_OK ? 0 : -1;
	if (w[8] != 'Q')
		return -1;
	for (i = 0; i < tlen; i++) {
		if (text[i] == '_') {
			buf_putc(out, ' ');
		} else if (text[i] == '=') {
			int hi, lo;

			if (i + 2 >= tlen)
				return -1;
			hi = hexval(text[i + 1]);
			lo = hexval(text[i + 2]);
			if (hi < 0 || lo < 0)
				return -1;
			buf_putc(out, (char)(hi * 16 + lo));
			i += 2;
		} else if (text[i] == '?' || text[i] == ' ') {
			return -1;
		} else {
			buf_putc(out, text[i]);
		}
	}
	return 0;
}

int
mt_decode_words(const char *v, struct buf *out)
{
	size_t n = strlen(v), i = 0, start, wl;
	int prev_eword = 0, eword;

	buf_puts(out, "");
	while (i <= n) {
		start = i;
		while (i < n && v[i] != ' ')
			i++;
		wl = i - start;
		eword = wl >= 2 && v[start] == '=' && v[start + 1] == '?';
		/* white space between two encoded-words is not text (RFC 2047 6.2) */
		if (start > 0 && !(eword && prev_eword))
			buf_putc(out, ' ');
		if (eword && decode_eword(v + start, wl, out) != 0)
			return -1;
		if (!eword)
			buf_append(out, v + start, wl);
		prev_eword = eword;
		i++;
	}
	return 0;
}

int
mt_qp_decode(const char *in, size_t n, struct buf *out)
{
	size_t i;

	buf_puts(out, "");
	if (mt_longest_line(in, n) > 76)
		return -1;
	for (i = 0; i < n; i++) {
		if (in[i] == '=') {
			if (i + 2 < n && in[i + 1] == '\r' && in[i + 2] == '\n') {
				i += 2;		/* soft line break */
				continue;
			}
			if (i + 2 >= n || hexval(in[i + 1]) < 0 || hexval(in[i + 2]) < 0)
				return -1;
			buf_putc(out, (char)(hexval(in[i + 1]) * 16 + hexval(in[i + 2])));
			i += 2;
		} else {
			buf_putc(out, in[i]);
		}
	}
	return 0;
}

size_t
mt_longest_line(const char *s, size_t n)
{
	size_t i, col = 0, max = 0;

	for (i = 0; i < n; i++) {
		if (s[i] == '\r' && i + 1 < n && s[i + 1] == '\n') {
			col = 0;
			i++;
			continue;
		}
		if (++col > max)
			max = col;
	}
	return max;
}

char *
mt_crlf(const char *in, size_t n, size_t *outlen)
{
	struct buf b;
	size_t i;

	buf_init(&b, 0);
	buf_puts(&b, "");
	for (i = 0; i < n; i++) {
		if (in[i] == '\n' && (i == 0 || in[i - 1] != '\r'))
			buf_putc(&b, '\r');
		buf_putc(&b, in[i]);
	}
	*outlen = b.len;
	return buf_steal(&b, NULL);
}
