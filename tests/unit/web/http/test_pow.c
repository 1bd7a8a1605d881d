/* tests for web/http/pow.c: signed proof-of-work challenges, their check, the used set */
#include <stdio.h>
#include <string.h>

#include "core/core.h"
#include "web/http/http.h"
#include "../../../harness.h"

#define T0 1800000000	/* an issue time: a multiple of the TTL, so windows are easy to reason about */

/* leading zero bits of SHA-256(challenge || counter) */
static int
bits_of(const char *challenge, const char *counter, size_t len)
{
	unsigned char d[32];
	SHA256_CTX c;

	sha256_state_init(&c);
	sha256_state_update(&c, challenge, strlen(challenge));
	sha256_state_update(&c, counter, len);
	sha256_state_final(&c, d);
	return http_pow_zero_bits(d);
}

/* the first counter from 0 that solves challenge at bits (want 1), or that does not (want 0) */
static size_t
find(const char *challenge, int bits, int want, char out[HTTP_POW_COUNTER_MAX + 1])
{
	unsigned long n;
	size_t len;

	for (n = 0;; n++) {
		len = (size_t)snprintf(out, HTTP_POW_COUNTER_MAX + 1, "%lu", n);
		if ((bits_of(challenge, out, len) >= bits) == want)
			return len;
	}
}

#define solve(ch, bits, out) find(ch, bits, 1, out)

TEST(pow_zero_bits)
{
	unsigned char d[32];

	memset(d, 0, sizeof(d));
	CHECK_INT(http_pow_zero_bits(d), 256);
	d[0] = 0x80;
	CHECK_INT(http_pow_zero_bits(d), 0);
	d[0] = 0x01;
	CHECK_INT(http_pow_zero_bits(d), 7);
	d[0] = 0;
	d[1] = 0x10;
	CHECK_INT(http_pow_zero_bits(d), 11);
}

TEST(pow_solved_once)
{
	const struct token_key key = { (const unsigned char *)"a secret of some length", 23 };
	struct http_pow *p = http_pow_new(&key, 8, HTTP_POW_TTL, 64);
	char ch[HTTP_POW_CHALLENGE_MAX], other[HTTP_POW_CHALLENGE_MAX], n[HTTP_POW_COUNTER_MAX + 1];
	size_t len;

	http_pow_challenge(p, T0, ch);
	http_pow_challenge(p, T0, other);
	CHECK_INT(strlen(ch), HTTP_POW_CHALLENGE_MAX - 1);
	CHECK(strcmp(ch, other) != 0);		/* a nonce each */
	len = solve(ch, 8, n);
	CHECK_INT(http_pow_verify(p, ch, strlen(ch), n, len, T0 + 10), HTTP_POW_OK);
	CHECK_INT(http_pow_verify(p, ch, strlen(ch), n, len, T0 + 11), HTTP_POW_REPLAYED);
	len = solve(other, 8, n);
	CHECK_INT(http_pow_verify(p, other, strlen(other), n, len, T0 + 12), HTTP_POW_OK);
	http_pow_free(p);
}

TEST(pow_refusals)
{
	const struct token_key key = { (const unsigned char *)"a secret of some length", 23 };
	const struct token_key wrong_key = { (const unsigned char *)"another secret", 14 };
	struct http_pow *p = http_pow_new(&key, 8, HTTP_POW_TTL, 64);
	struct http_pow *q = http_pow_new(&wrong_key, 8, HTTP_POW_TTL, 64);
	struct http_pow *hard = http_pow_new(&key, 12, HTTP_POW_TTL, 64);
	char ch[HTTP_POW_CHALLENGE_MAX], bad[HTTP_POW_CHALLENGE_MAX], n[HTTP_POW_COUNTER_MAX + 1];
	size_t len, clen;

	http_pow_challenge(p, T0, ch);
	clen = strlen(ch);
	len = solve(ch, 8, n);
	CHECK_INT(http_pow_verify(p, NULL, 0, NULL, 0, T0), HTTP_POW_MISSING);
	CHECK_INT(http_pow_verify(p, "", 0, "", 0, T0), HTTP_POW_MISSING);
	CHECK_INT(http_pow_verify(p, ch, clen - 1, n, len, T0), HTTP_POW_BAD);	/* cut short */
	CHECK_INT(http_pow_verify(p, ch, clen, "", 0, T0), HTTP_POW_BAD);
	CHECK_INT(http_pow_verify(p, ch, clen, "1x", 2, T0), HTTP_POW_BAD);
	CHECK_INT(http_pow_verify(p, ch, clen, "12345678901234567", 17, T0), HTTP_POW_BAD);
	/* another secret's challenge: the MAC does not hold */
	CHECK_INT(http_pow_verify(q, ch, clen, n, len, T0), HTTP_POW_BAD);
	/* one character of the MAC changed */
	memcpy(bad, ch, sizeof(bad));
	bad[70] = bad[70] == 'A' ? 'B' : 'A';
	len = solve(bad, 8, n);
	CHECK_INT(http_pow_verify(p, bad, clen, n, len, T0), HTTP_POW_BAD);
	/* the bits byte changed (base64url of byte 1 sits in characters 1-2) */
	memcpy(bad, ch, sizeof(bad));
	bad[2] = bad[2] == 'A' ? 'B' : 'A';
	len = solve(bad, 8, n);
	CHECK_INT(http_pow_verify(p, bad, clen, n, len, T0), HTTP_POW_BAD);
	/* time: too old, from the future */
	len = solve(ch, 8, n);
	CHECK_INT(http_pow_verify(p, ch, clen, n, len, T0 + HTTP_POW_TTL + 1), HTTP_POW_EXPIRED);
	CHECK_INT(http_pow_verify(p, ch, clen, n, len, T0 - 3600), HTTP_POW_BAD);
	/* not solved; and a wrong counter does not use the challenge up */
	len = find(ch, 8, 0, n);
	CHECK_INT(http_pow_verify(p, ch, clen, n, len, T0 + 1), HTTP_POW_WRONG);
	len = solve(ch, 8, n);
	CHECK_INT(http_pow_verify(p, ch, clen, n, len, T0 + 1), HTTP_POW_OK);
	/* a challenge from before BITS went up is easier than asked: expired */
	http_pow_challenge(p, T0, ch);
	len = solve(ch, 8, n);
	CHECK_INT(http_pow_verify(hard, ch, strlen(ch), n, len, T0 + 1), HTTP_POW_EXPIRED);
	http_pow_free(p);
	http_pow_free(q);
	http_pow_free(hard);
}

/* used challenges are remembered while they live; memory is fixed, and a full window refuses */
TEST(pow_used_set_bounded)
{
	const struct token_key key = { (const unsigned char *)"a secret of some length", 23 };
	struct http_pow *p = http_pow_new(&key, 1, HTTP_POW_TTL, 11);	/* 16 slots, 12 usable */
	char ch[HTTP_POW_CHALLENGE_MAX], first[HTTP_POW_CHALLENGE_MAX], n[HTTP_POW_COUNTER_MAX + 1];
	char fn[HTTP_POW_COUNTER_MAX + 1];
	int i, ok = 0, full = 0;
	size_t len;

	http_pow_challenge(p, T0, first);
	solve(first, 1, fn);
	CHECK_INT(http_pow_verify(p, first, strlen(first), fn, strlen(fn), T0), HTTP_POW_OK);
	for (i = 0; i < 20; i++) {
		http_pow_challenge(p, T0 + 1, ch);
		len = solve(ch, 1, n);
		switch (http_pow_verify(p, ch, strlen(ch), n, len, T0 + 2)) {
		case HTTP_POW_OK: ok++; break;
		case HTTP_POW_FULL: full++; break;
		default: CHECK(0);
		}
	}
	CHECK_INT(ok, 11);
	CHECK_INT(full, 9);
	/* the next window has its own table; the previous one is still remembered */
	http_pow_challenge(p, T0 + HTTP_POW_TTL, ch);
	len = solve(ch, 1, n);
	CHECK_INT(http_pow_verify(p, ch, strlen(ch), n, len, T0 + HTTP_POW_TTL), HTTP_POW_OK);
	CHECK_INT(http_pow_verify(p, first, strlen(first), fn, strlen(fn), T0 + HTTP_POW_TTL - 1),
		  HTTP_POW_REPLAYED);
	/* two windows on, the first has expired whatever the table says */
	http_pow_challenge(p, T0 + 2 * HTTP_POW_TTL, ch);
	len = solve(ch, 1, n);
	CHECK_INT(http_pow_verify(p, ch, strlen(ch), n, len, T0 + 2 * HTTP_POW_TTL), HTTP_POW_OK);
	CHECK_INT(http_pow_verify(p, first, strlen(first), fn, strlen(fn), T0 + 2 * HTTP_POW_TTL),
		  HTTP_POW_EXPIRED);
	http_pow_free(p);
}
