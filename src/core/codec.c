/*
 * core/codec.c - base64 (RFC 4648 section 4), base64url (section 5), hex and
 * percent-encoding (RFC 3986 section 2.1; HTML forms' '+' for space)
 *
 * Also decimal digits of a u64 (dec_u64), for hot paths that would
 * otherwise call printf per message.
 *
 * Owns: turning bytes into text and back. Decoders take pointer + length and
 * reject anything that is not exactly the encoding (bad characters, bad
 * padding, stray bits), returning NF_ERR_INVALID with the output unchanged
 * in length: outside input never decodes to something half-trusted.
 */
#include <string.h>

#include "core.h"

static const char b64_std[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char b64_url[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

size_t
base64_encoded_len(size_t n)
{
	return (n + 2) / 3 * 4;
}

static int
b64_encode(struct buf *out, const unsigned char *in, size_t n,
	   const char *alphabet, int pad)
{
	size_t i, start = out->len;
	char *o;
	int rc = buf_reserve(out, base64_encoded_len(n));

	if (rc)
		return rc;
	o = out->data + out->len;
	for (i = 0; i + 2 < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];

		*o++ = alphabet[v >> 18];
		*o++ = alphabet[(v >> 12) & 63];
		*o++ = alphabet[(v >> 6) & 63];
		*o++ = alphabet[v & 63];
	}
	if (i < n) {
		uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0);

		*o++ = alphabet[v >> 18];
		*o++ = alphabet[(v >> 12) & 63];
		if (i + 1 < n)
			*o++ = alphabet[(v >> 6) & 63];
		else if (pad)
			*o++ = '=';
		if (pad)
			*o++ = '=';
	}
	out->len = start + (size_t)(o - (out->data + start));
	out->data[out->len] = '\0';
	return NF_OK;
}

int
base64_encode(struct buf *out, const void *in, size_t n)
{
	return b64_encode(out, in, n, b64_std, 1);
}

int
base64url_encode(struct buf *out, const void *in, size_t n)
{
	return b64_encode(out, in, n, b64_url, 0);
}

static int
b64_value(char c, int url)
{
	if (c >= 'A' && c <= 'Z') return c - 'A';
	if (c >= 'a' && c <= 'z') return c - 'a' + 26;
	if (c >= '0' && c <= '9') return c - '0' + 52;
	if (c == (url ? '-' : '+')) return 62;
	if (c == (url ? '_' : '/')) return 63;
	return -1;
}

/*
 * Strict: the standard form must be padded to a multiple of 4; base64url
 * must not be. Unused low bits of the last group must be zero, so every
 * byte string has exactly one accepted encoding (tokens compare as bytes).
 */
static int
b64_decode(struct buf *out, const char *in, size_t n, int url)
{
	size_t i, start = out->len, groups_len = n;
	uint32_t acc = 0;
	int bits = 0, rc;

	if (!url) {
		if (n % 4)
			return NF_ERR_INVALID;
		if (n && in[n - 1] == '=')
			groups_len--;
		if (n > 1 && in[n - 2] == '=')
			groups_len--;
	} else if (n % 4 == 1) {
		return NF_ERR_INVALID;
	}
	rc = buf_reserve(out, groups_len / 4 * 3 + (groups_len % 4 * 6) / 8);
	if (rc)
		return rc;
	for (i = 0; i < groups_len; i++) {
		int v = b64_value(in[i], url);

		if (v < 0)
			goto bad;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out->data[out->len++] = (char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	if (acc != 0 || (!url && groups_len % 4 == 1))
		goto bad;
	out->data[out->len] = '\0';
	return NF_OK;
bad:
	out->len = start;
	out->data[start] = '\0';
	return NF_ERR_INVALID;
}

int
base64_decode(struct buf *out, const char *in, size_t n)
{
	return b64_decode(out, in, n, 0);
}

int
base64url_decode(struct buf *out, const char *in, size_t n)
{
	return b64_decode(out, in, n, 1);
}

size_t
dec_u64(char out[20], uint64_t v)
{
	char rev[20];
	size_t n = 0, i;

	do {
		rev[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (i = 0; i < n; i++)
		out[i] = rev[n - 1 - i];
	return n;
}

int
hex_encode(struct buf *out, const void *in, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	const unsigned char *p = in;
	size_t i;
	int rc;

	if (n > SIZE_MAX / 2)
		return NF_ERR_LIMIT;
	rc = buf_reserve(out, n * 2);
	if (rc)
		return rc;
	for (i = 0; i < n; i++) {
		out->data[out->len++] = digits[p[i] >> 4];
		out->data[out->len++] = digits[p[i] & 15];
	}
	out->data[out->len] = '\0';
	return NF_OK;
}

static int
hex_value(char c)
{
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	return -1;
}

int
hex_decode(struct buf *out, const char *in, size_t n)
{
	size_t i, start = out->len;
	int rc;

	if (n % 2)
		return NF_ERR_INVALID;
	rc = buf_reserve(out, n / 2);
	if (rc)
		return rc;
	for (i = 0; i < n; i += 2) {
		int hi = hex_value(in[i]), lo = hex_value(in[i + 1]);

		if (hi < 0 || lo < 0) {
			out->len = start;
			out->data[start] = '\0';
			return NF_ERR_INVALID;
		}
		out->data[out->len++] = (char)(hi << 4 | lo);
	}
	out->data[out->len] = '\0';
	return NF_OK;
}

static int
is_unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
}

int
percent_encode(struct buf *out, const char *in, size_t n)
{
	static const char digits[] = "0123456789ABCDEF";
	size_t i;
	int rc;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)in[i];

		if (is_unreserved(c)) {
			rc = buf_putc(out, (char)c);
		} else {
			char esc[3] = { '%', digits[c >> 4], digits[c & 15] };

			rc = buf_append(out, esc, 3);
		}
		if (rc)
			return rc;
	}
	return NF_OK;
}

int
percent_decode(struct buf *out, const char *in, size_t n, int form)
{
	size_t i, start = out->len;
	int rc = buf_reserve(out, n);

	if (rc)
		return rc;
	for (i = 0; i < n; i++) {
		char c = in[i];

		if (c == '%') {
			int hi, lo;

			if (i + 2 >= n)
				goto bad;
			hi = hex_value(in[i + 1]);
			lo = hex_value(in[i + 2]);
			if (hi < 0 || lo < 0)
				goto bad;
			c = (char)(hi << 4 | lo);
			i += 2;
		} else if (c == '+' && form) {
			c = ' ';
		}
		out->data[out->len++] = c;
	}
	out->data[out->len] = '\0';
	return NF_OK;
bad:
	out->len = start;
	out->data[start] = '\0';
	return NF_ERR_INVALID;
}
