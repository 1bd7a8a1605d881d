/*
 * web/http/pow.c - the signup proof of work: signed challenges and their solutions
 *
 * Owns: the challenge format, checking a solution, and remembering which
 * challenges were used. A challenge is 58 bytes, sent as base64url without
 * padding (78 characters):
 *   [0]      version (1)
 *   [1]      bits: leading zero bits the solution's digest needs
 *   [2..9]   issue time, unix seconds big-endian
 *   [10..25] random nonce (what makes each challenge single use)
 *   [26..57] HMAC-SHA256(secret, POW_DOMAIN || bytes 0..25)
 * POW_DOMAIN starts with no purpose a link token or a CSRF token is made
 * for, so none of their MACs can stand in for this one. A solution is a
 * counter, 1 to 16 decimal digits, such that SHA-256(challenge text ||
 * counter text) starts with `bits` zero bits.
 *
 * Used challenges are kept in memory, not in the store: a solution costs
 * the client work but the check must cost us none, and a row per attempt
 * would turn a flood into database writes. Two tables, one per TTL-long
 * window of issue times (a challenge older than one window has expired
 * anyway, so the older table is dropped whole when a new window starts):
 * the memory is fixed at start. When a table is full the signup is
 * refused (HTTP_POW_FULL) rather than a used challenge forgotten. With
 * several serve processes behind one address, each has its own tables: a
 * solution can be replayed once per process at most, within its TTL.
 *
 * Does not own: which requests need a solution or what they answer
 * (web/public/signup_pow.c), nor the client's solver (templates/embed.js).
 */
#include <assert.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"

#define POW_VERSION 1
#define POW_RAW 58
#define POW_SIGNED 26		/* the bytes the MAC covers */
#define POW_NONCE 16
#define POW_DOMAIN "newsflash/signup-pow/1"
#define POW_SKEW 60		/* seconds a challenge may come from the future (another process) */
#define POW_PROBES 32

struct pow_table {
	int64_t window;		/* issue time / ttl of the challenges in it; -1 when empty */
	size_t used;
	unsigned char (*nonce)[POW_NONCE];
	unsigned char *taken;
};

struct http_pow {
	pthread_mutex_t lock;
	struct hmac_key *mac;
	int bits;
	int64_t ttl;
	size_t size;		/* slots per table, a power of two */
	struct pow_table t[2];	/* t[0] the newer window */
};

static void
table_init(struct pow_table *t, size_t size)
{
	t->window = -1;
	t->used = 0;
	t->nonce = xcalloc(size, POW_NONCE);
	t->taken = xcalloc(size, 1);
}

struct http_pow *
http_pow_new(const struct token_key *key, int bits, int64_t ttl, size_t max_seen)
{
	struct http_pow *p = xcalloc(1, sizeof(*p));

	assert(bits >= 1 && bits <= WEB_SIGNUP_POW_MAX && ttl > 0);
	pthread_mutex_init(&p->lock, NULL);
	p->mac = hmac_key_new(key->secret, key->len);
	p->bits = bits;
	p->ttl = ttl;
	for (p->size = 16; p->size < max_seen * 4 / 3 + 1; p->size *= 2)
		;
	table_init(&p->t[0], p->size);
	table_init(&p->t[1], p->size);
	return p;
}

void
http_pow_free(struct http_pow *p)
{
	int i;

	if (p == NULL)
		return;
	for (i = 0; i < 2; i++) {
		free(p->t[i].nonce);
		free(p->t[i].taken);
	}
	hmac_key_free(p->mac);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

int
http_pow_bits(const struct http_pow *p)
{
	return p->bits;
}

static void
pow_mac(const struct http_pow *p, const unsigned char *raw, unsigned char mac[HMAC_SHA256_LEN])
{
	unsigned char msg[sizeof(POW_DOMAIN) + POW_SIGNED];

	memcpy(msg, POW_DOMAIN, sizeof(POW_DOMAIN));	/* with its NUL */
	memcpy(msg + sizeof(POW_DOMAIN), raw, POW_SIGNED);
	hmac_sha256_keyed(p->mac, msg, sizeof(msg), mac);
}

/* http_pow_challenge - a new challenge issued at now */
void
http_pow_challenge(const struct http_pow *p, int64_t now, char out[HTTP_POW_CHALLENGE_MAX])
{
	unsigned char raw[POW_RAW];
	struct buf enc;
	int i;

	raw[0] = POW_VERSION;
	raw[1] = (unsigned char)p->bits;
	for (i = 0; i < 8; i++)
		raw[2 + i] = (unsigned char)((uint64_t)now >> (56 - 8 * i));
	if (random_bytes(raw + 10, POW_NONCE) != NF_OK)
		log_panic("getrandom failed: no entropy source");
	pow_mac(p, raw, raw + POW_SIGNED);
	buf_init(&enc, 0);	/* our own 58 bytes: 78 characters */
	base64url_encode(&enc, raw, sizeof(raw));
	memcpy(out, enc.data, enc.len + 1);
	buf_free(&enc);
}

/*
 * http_pow_parse - a challenge and a counter as a client sent them: the
 * shape only (length, base64url, version, the counter's digits). The MAC
 * is not looked at here.
 */
int
http_pow_parse(const char *challenge, size_t clen, const char *counter, size_t nlen,
	       struct http_pow_solution *out)
{
	struct buf dec;
	size_t i;
	int rc = NF_ERR_INVALID;

	memset(out, 0, sizeof(*out));
	if (clen != HTTP_POW_CHALLENGE_MAX - 1 || nlen < 1 || nlen > HTTP_POW_COUNTER_MAX)
		return NF_ERR_INVALID;
	for (i = 0; i < nlen; i++)
		if (counter[i] < '0' || counter[i] > '9')
			return NF_ERR_INVALID;
	buf_init(&dec, POW_RAW);
	if (base64url_decode(&dec, challenge, clen) == NF_OK && dec.len == POW_RAW &&
	    (unsigned char)dec.data[0] == POW_VERSION) {
		memcpy(out->raw, dec.data, POW_RAW);
		out->bits = (unsigned char)dec.data[1];
		out->issued = 0;
		for (i = 0; i < 8; i++)
			out->issued = (int64_t)((uint64_t)out->issued << 8 | out->raw[2 + i]);
		out->challenge = challenge;
		out->challenge_len = clen;
		out->counter = counter;
		out->counter_len = nlen;
		rc = NF_OK;
	}
	buf_free(&dec);
	return rc;
}

/* http_pow_zero_bits - leading zero bits of a digest */
int
http_pow_zero_bits(const unsigned char digest[32])
{
	int n = 0, i;
	unsigned char b;

	for (i = 0; i < 32 && digest[i] == 0; i++)
		n += 8;
	if (i == 32)
		return n;
	for (b = digest[i]; !(b & 0x80); b <<= 1)
		n++;
	return n;
}

static void
table_clear(const struct http_pow *p, struct pow_table *t, int64_t window)
{
	memset(t->taken, 0, p->size);
	t->used = 0;
	t->window = window;
}

/*
 * seen_take - the challenge's nonce into the table of its window, unless
 * it is there already. Windows move forward only: a challenge from a newer
 * window than t[0] drops the oldest table.
 */
static enum http_pow_result
seen_take(struct http_pow *p, const struct http_pow_solution *s)
{
	const unsigned char *nonce = s->raw + 10;
	int64_t window = s->issued / p->ttl;
	struct pow_table *t, spare;
	size_t i, at;
	uint64_t h = 0;

	if (window == p->t[0].window + 1) {
		spare = p->t[1];	/* the oldest window goes; its memory takes the newest */
		p->t[1] = p->t[0];
		p->t[0] = spare;
		table_clear(p, &p->t[0], window);
	} else if (window > p->t[0].window) {
		/* nothing used for two windows: neither table holds anything live */
		table_clear(p, &p->t[0], window);
		table_clear(p, &p->t[1], window - 1);
	}
	if (window == p->t[0].window)
		t = &p->t[0];
	else if (window == p->t[1].window)
		t = &p->t[1];
	else
		return HTTP_POW_EXPIRED;	/* older than both windows */
	for (i = 0; i < 8; i++)
		h = h << 8 | nonce[i];
	at = (size_t)(h & (p->size - 1));
	for (i = 0; i < POW_PROBES; i++, at = (at + 1) & (p->size - 1)) {
		if (!t->taken[at]) {
			if (t->used >= p->size * 3 / 4)
				return HTTP_POW_FULL;
			memcpy(t->nonce[at], nonce, POW_NONCE);
			t->taken[at] = 1;
			t->used++;
			return HTTP_POW_OK;
		}
		if (memcmp(t->nonce[at], nonce, POW_NONCE) == 0)
			return HTTP_POW_REPLAYED;
	}
	return HTTP_POW_FULL;
}

/*
 * http_pow_verify - a solution, cheapest refusal first: its shape, our MAC
 * (constant time), its age, the zero bits (one SHA-256), and last that it
 * was not used before, which marks it used. A wrong counter does not use
 * up the challenge.
 */
enum http_pow_result
http_pow_verify(struct http_pow *p, const char *challenge, size_t clen, const char *counter,
		size_t nlen, int64_t now)
{
	struct http_pow_solution s;
	unsigned char mac[HMAC_SHA256_LEN], digest[32];
	enum http_pow_result r;
	SHA256_CTX c;

	if (challenge == NULL || counter == NULL || (clen == 0 && nlen == 0))
		return HTTP_POW_MISSING;
	if (http_pow_parse(challenge, clen, counter, nlen, &s) != NF_OK)
		return HTTP_POW_BAD;
	pow_mac(p, s.raw, mac);
	if (!ct_equal(mac, s.raw + POW_SIGNED, HMAC_SHA256_LEN))
		return HTTP_POW_BAD;
	if (s.issued > now + POW_SKEW)
		return HTTP_POW_BAD;
	if (now - s.issued > p->ttl || s.bits < p->bits)	/* an easier puzzle from before a change */
		return HTTP_POW_EXPIRED;
	sha256_state_init(&c);
	sha256_state_update(&c, challenge, clen);
	sha256_state_update(&c, counter, nlen);
	sha256_state_final(&c, digest);
	if (http_pow_zero_bits(digest) < s.bits)
		return HTTP_POW_WRONG;
	pthread_mutex_lock(&p->lock);
	r = seen_take(p, &s);
	pthread_mutex_unlock(&p->lock);
	return r;
}
