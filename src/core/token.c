/*
 * core/token.c - signed tokens for the links in emails and pages
 *
 * Owns: the token format. 49 bytes, base64url without padding (66 chars):
 *   [0]      version (1)
 *   [1..8]   subscriber id, big-endian
 *   [9..16]  expiry, unix seconds big-endian, 0 = never
 *   [17..48] HMAC-SHA256(secret, purpose NUL id expiry salt)
 * The purpose ("confirm", "unsubscribe", ...) is inside the MAC only, so a
 * token made for one purpose never verifies for another. The salt lives in
 * the subscriber's row: rotating it revokes every token of that person.
 *
 * Also the short form for address local parts (token_short_*): "ID-MAC"
 * with a 10-byte MAC over "purpose:ID:SALT", described in core.h. It has
 * no expiry: the addresses carrying it (VERP return paths, the
 * List-Unsubscribe mailto) must work as long as the mail exists.
 *
 * The *_keyed makers take the secret's saved HMAC state (hmac.c) instead
 * of the secret: the fan-out makes two tokens per message.
 */
#include <stdlib.h>
#include <string.h>

#include "core.h"

#define TOKEN_VERSION 1
#define TOKEN_RAW 49

static void
put_be64(unsigned char *p, uint64_t v)
{
	int i;

	for (i = 7; i >= 0; i--) {
		p[i] = (unsigned char)(v & 0xff);
		v >>= 8;
	}
}

static uint64_t
get_be64(const unsigned char *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

/*
 * Who MACs: the secret itself (HMAC derived per call) or its saved state
 * (hmac_key_new, two compressions fewer). Same bytes either way.
 */
struct mac_src {
	const struct token_key *key;
	const struct hmac_key *pre;
};

static void
src_hmac(struct mac_src src, const void *msg, size_t len, unsigned char mac[HMAC_SHA256_LEN])
{
	if (src.pre)
		hmac_sha256_keyed(src.pre, msg, len, mac);
	else
		hmac_sha256(src.key->secret, src.key->len, msg, len, mac);
}

/*
 * mac_parts - HMAC over the parts one after another. They are put
 * together on the stack when they fit (the fan-out's case: two tokens per
 * message, so no allocation and no printf per token), else on the heap.
 */
static void
mac_parts(struct mac_src src, const void *const *part, const size_t *len, size_t n,
	  unsigned char mac[HMAC_SHA256_LEN])
{
	unsigned char stack[256], *msg = stack;
	size_t i, total = 0;

	for (i = 0; i < n; i++)
		total += len[i];
	if (total > sizeof(stack))
		msg = xmalloc(total);
	for (i = 0, total = 0; i < n; i++) {
		memcpy(msg + total, part[i], len[i]);
		total += len[i];
	}
	src_hmac(src, msg, total, mac);
	if (msg != stack)
		free(msg);
}

static void
token_mac(struct mac_src src, const char *purpose, const unsigned char head[17],
	  const char *salt, unsigned char mac[HMAC_SHA256_LEN])
{
	const void *part[] = { purpose, head + 1, salt };
	size_t len[] = { strlen(purpose) + 1, 16, strlen(salt) };	/* purpose with its NUL */

	mac_parts(src, part, len, 3, mac);
}

static void
make_token(struct mac_src src, const char *purpose, uint64_t id, int64_t expires,
	   const char *salt, char out[TOKEN_MAX])
{
	unsigned char raw[TOKEN_RAW];
	struct buf enc;

	raw[0] = TOKEN_VERSION;
	put_be64(raw + 1, id);
	put_be64(raw + 9, (uint64_t)expires);
	token_mac(src, purpose, raw, salt, raw + 17);
	buf_init(&enc, TOKEN_MAX - 1);
	base64url_encode(&enc, raw, sizeof(raw));
	memcpy(out, enc.data, enc.len + 1);
	buf_free(&enc);
}

void
token_make(const struct token_key *key, const char *purpose, uint64_t id,
	   int64_t expires, const char *salt, char out[TOKEN_MAX])
{
	make_token((struct mac_src){ key, NULL }, purpose, id, expires, salt, out);
}

void
token_make_keyed(const struct hmac_key *pre, const char *purpose, uint64_t id,
		 int64_t expires, const char *salt, char out[TOKEN_MAX])
{
	make_token((struct mac_src){ NULL, pre }, purpose, id, expires, salt, out);
}

static int
token_decode(const char *token, size_t len, unsigned char raw[TOKEN_RAW])
{
	struct buf dec;
	int rc = NF_ERR_INVALID;

	if (len != (TOKEN_RAW * 4 + 2) / 3)
		return NF_ERR_INVALID;
	buf_init(&dec, TOKEN_RAW);
	if (base64url_decode(&dec, token, len) == NF_OK && dec.len == TOKEN_RAW &&
	    (unsigned char)dec.data[0] == TOKEN_VERSION) {
		memcpy(raw, dec.data, TOKEN_RAW);
		rc = NF_OK;
	}
	buf_free(&dec);
	return rc;
}

int
token_peek(const char *token, size_t len, uint64_t *id)
{
	unsigned char raw[TOKEN_RAW];

	if (token_decode(token, len, raw) != NF_OK)
		return NF_ERR_INVALID;
	*id = get_be64(raw + 1);
	return NF_OK;
}

enum token_check
token_verify(const struct token_key *key, const char *purpose,
	     const char *token, size_t len, const char *salt, int64_t now)
{
	unsigned char raw[TOKEN_RAW], mac[HMAC_SHA256_LEN];
	int64_t expires;

	if (token_decode(token, len, raw) != NF_OK)
		return TOKEN_BAD;
	token_mac((struct mac_src){ key, NULL }, purpose, raw, salt, mac);
	if (!ct_equal(mac, raw + 17, HMAC_SHA256_LEN))
		return TOKEN_BAD;
	expires = (int64_t)get_be64(raw + 9);
	if (expires != 0 && now > expires)
		return TOKEN_EXPIRED;
	return TOKEN_VALID;
}

/* ---- short tokens: "ID-MAC" for address local parts ---- */

#define SHORT_MAC 10

/* short_mac - over "purpose:ID:SALT" */
static void
short_mac(struct mac_src src, const char *purpose, uint64_t id, const char *salt,
	  unsigned char mac[HMAC_SHA256_LEN])
{
	char dec[20];
	const void *part[] = { purpose, ":", dec, ":", salt ? salt : "" };
	size_t len[] = { strlen(purpose), 1, dec_u64(dec, id), 1, salt ? strlen(salt) : 0 };

	mac_parts(src, part, len, 5, mac);
}

static void
make_short(struct mac_src src, const char *purpose, uint64_t id, const char *salt,
	   char out[TOKEN_SHORT_MAX])
{
	static const char hexdig[] = "0123456789abcdef";
	unsigned char mac[HMAC_SHA256_LEN];
	size_t n, i;

	short_mac(src, purpose, id, salt, mac);
	n = dec_u64(out, id);
	out[n++] = '-';
	for (i = 0; i < SHORT_MAC; i++) {
		out[n++] = hexdig[mac[i] >> 4];
		out[n++] = hexdig[mac[i] & 15];
	}
	out[n] = '\0';		/* at most 20 + 1 + 20 + 1 < TOKEN_SHORT_MAX */
}

void
token_short_make(const struct token_key *key, const char *purpose, uint64_t id,
		 const char *salt, char out[TOKEN_SHORT_MAX])
{
	make_short((struct mac_src){ key, NULL }, purpose, id, salt, out);
}

void
token_short_make_keyed(const struct hmac_key *pre, const char *purpose, uint64_t id,
		       const char *salt, char out[TOKEN_SHORT_MAX])
{
	make_short((struct mac_src){ NULL, pre }, purpose, id, salt, out);
}

/* split "ID-MAC": 1-20 digits without a leading zero, '-', 20 hex digits */
static int
short_split(const char *s, size_t len, uint64_t *id, const char **mac)
{
	uint64_t v = 0;
	size_t i = 0;

	while (i < len && s[i] >= '0' && s[i] <= '9') {
		if (v > (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10)
			return NF_ERR_INVALID;
		v = v * 10 + (uint64_t)(s[i] - '0');
		i++;
	}
	if (i == 0 || i > 20 || (s[0] == '0' && i > 1) || i >= len || s[i] != '-' ||
	    len - i - 1 != SHORT_MAC * 2)
		return NF_ERR_INVALID;
	*id = v;
	*mac = s + i + 1;
	return NF_OK;
}

int
token_short_peek(const char *s, size_t len, uint64_t *id)
{
	const char *mac;

	return short_split(s, len, id, &mac);
}

enum token_check
token_short_verify(const struct token_key *key, const char *purpose, const char *s, size_t len,
		   const char *salt)
{
	unsigned char mac[HMAC_SHA256_LEN];
	const char *hex;
	struct buf given;
	uint64_t id;
	int ok;

	if (short_split(s, len, &id, &hex) != NF_OK)
		return TOKEN_BAD;
	buf_init(&given, SHORT_MAC);
	ok = hex_decode(&given, hex, SHORT_MAC * 2) == NF_OK && given.len == SHORT_MAC;
	short_mac((struct mac_src){ key, NULL }, purpose, id, salt, mac);
	ok = ok && ct_equal(mac, given.data, SHORT_MAC);
	buf_free(&given);
	return ok ? TOKEN_VALID : TOKEN_BAD;
}
