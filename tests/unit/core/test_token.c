/* tests for core/token.c: round trip, purpose binding, salt revocation, expiry, tampering */
#include "core/core.h"
#include "../../harness.h"

static const struct token_key key = { (const unsigned char *)"0123456789abcdef0123456789abcdef", 32 };

TEST(token_roundtrip_and_peek)
{
	char tok[TOKEN_MAX];
	uint64_t id = 0;

	token_make(&key, "unsubscribe", 4242, 0, "salt1", tok);
	CHECK_INT(strlen(tok), 66);
	CHECK_INT(token_peek(tok, strlen(tok), &id), NF_OK);
	CHECK_INT(id, 4242);
	CHECK_INT(token_verify(&key, "unsubscribe", tok, strlen(tok), "salt1", 2000000000), TOKEN_VALID);
}

TEST(token_bound_to_purpose_salt_and_key)
{
	const struct token_key other = { (const unsigned char *)"another secret", 14 };
	char tok[TOKEN_MAX];

	token_make(&key, "confirm", 7, 0, "s", tok);
	CHECK_INT(token_verify(&key, "unsubscribe", tok, strlen(tok), "s", 0), TOKEN_BAD);
	CHECK_INT(token_verify(&key, "confirm", tok, strlen(tok), "rotated", 0), TOKEN_BAD);
	CHECK_INT(token_verify(&other, "confirm", tok, strlen(tok), "s", 0), TOKEN_BAD);
}

TEST(token_expiry)
{
	char tok[TOKEN_MAX];

	token_make(&key, "confirm", 7, 1000, "s", tok);
	CHECK_INT(token_verify(&key, "confirm", tok, strlen(tok), "s", 1000), TOKEN_VALID);
	CHECK_INT(token_verify(&key, "confirm", tok, strlen(tok), "s", 1001), TOKEN_EXPIRED);
}

/* every single-character change is rejected, as is any other length */
TEST(token_tampering_rejected)
{
	static const char alphabet[] = "ABCxyz019-_";
	char tok[TOKEN_MAX], t2[TOKEN_MAX];
	size_t i, j, n;
	uint64_t id;

	token_make(&key, "unsubscribe", 99, 0, "s", tok);
	n = strlen(tok);
	for (i = 0; i < n; i++) {
		for (j = 0; alphabet[j]; j++) {
			memcpy(t2, tok, n + 1);
			if (t2[i] == alphabet[j])
				continue;
			t2[i] = alphabet[j];
			if (token_verify(&key, "unsubscribe", t2, n, "s", 0) != TOKEN_BAD)
				test_fail_at(__FILE__, __LINE__, "accepted change at %zu", i);
		}
	}
	CHECK_INT(token_verify(&key, "unsubscribe", tok, n - 1, "s", 0), TOKEN_BAD);
	CHECK_INT(token_verify(&key, "unsubscribe", "", 0, "s", 0), TOKEN_BAD);
	CHECK_INT(token_peek("!!!", 3, &id), NF_ERR_INVALID);
}

/* the short form fits a local part, binds purpose and salt, and rejects any change */
TEST(token_short_roundtrip_and_tampering)
{
	char tok[TOKEN_SHORT_MAX], t2[TOKEN_SHORT_MAX], upper[TOKEN_SHORT_MAX];
	uint64_t id = 0;
	size_t i, n;

	token_short_make(&key, "unsubscribe", UINT64_MAX, "salt", tok);
	CHECK_INT(strlen(tok), 20 + 1 + 20);	/* the longest: still "unsubscribe+" + 41 < 64 */
	token_short_make(&key, "unsubscribe", 4242, "salt", tok);
	n = strlen(tok);
	CHECK_INT(n, 4 + 1 + 20);
	CHECK(strncmp(tok, "4242-", 5) == 0);
	CHECK_INT(token_short_peek(tok, n, &id), NF_OK);
	CHECK_INT(id, 4242);
	CHECK_INT(token_short_verify(&key, "unsubscribe", tok, n, "salt"), TOKEN_VALID);
	CHECK_INT(token_short_verify(&key, "bounce", tok, n, "salt"), TOKEN_BAD);
	CHECK_INT(token_short_verify(&key, "unsubscribe", tok, n, "rotated"), TOKEN_BAD);
	for (i = 0; i < n; i++) {
		memcpy(t2, tok, n + 1);
		t2[i] = t2[i] == '1' ? '2' : '1';
		if (token_short_verify(&key, "unsubscribe", t2, n, "salt") != TOKEN_BAD)
			test_fail_at(__FILE__, __LINE__, "accepted a change at %zu", i);
	}
	for (i = 0; i <= n; i++)
		upper[i] = (char)(tok[i] >= 'a' && tok[i] <= 'f' ? tok[i] - 32 : tok[i]);
	CHECK_INT(token_short_verify(&key, "unsubscribe", upper, n, "salt"), TOKEN_VALID);
	CHECK_INT(token_short_verify(&key, "unsubscribe", tok, n - 1, "salt"), TOKEN_BAD);
	CHECK_INT(token_short_peek("04242-0123456789abcdef0123", 26, &id), NF_ERR_INVALID);
	CHECK_INT(token_short_peek("99999999999999999999-0123456789abcdef0123", 41, &id), NF_ERR_INVALID);
	CHECK_INT(token_short_peek("-0123456789abcdef0123", 21, &id), NF_ERR_INVALID);
	CHECK_INT(token_short_peek("", 0, &id), NF_ERR_INVALID);
}

/* the delivery engine's VERP return path is the short form of purpose "bounce" */
TEST(token_short_matches_the_verp_return_path)
{
	unsigned char mac[HMAC_SHA256_LEN];
	char tok[TOKEN_SHORT_MAX];
	struct buf want;

	hmac_sha256(key.secret, key.len, "bounce:77:abc", 13, mac);
	buf_init(&want, 0);
	buf_puts(&want, "77-");
	hex_encode(&want, mac, 10);
	token_short_make(&key, "bounce", 77, "abc", tok);
	CHECK_STR(tok, want.data);
	buf_free(&want);
}

/* the fan-out's makers, from a saved HMAC state, give the same tokens */
TEST(token_keyed_makers_equal_plain)
{
	struct hmac_key *pre = hmac_key_new(key.secret, key.len);
	char a[TOKEN_MAX], b[TOKEN_MAX], sa[TOKEN_SHORT_MAX], sb[TOKEN_SHORT_MAX];
	uint64_t id;

	for (id = 1; id < 2000; id += 97) {
		token_make(&key, "unsubscribe", id, 0, "salt-x", a);
		token_make_keyed(pre, "unsubscribe", id, 0, "salt-x", b);
		if (strcmp(a, b) != 0)
			break;
		token_short_make(&key, "unsubscribe", id, "salt-x", sa);
		token_short_make_keyed(pre, "unsubscribe", id, "salt-x", sb);
		if (strcmp(sa, sb) != 0)
			break;
	}
	hmac_key_free(pre);
	CHECK_STR(b, a);
	CHECK_STR(sb, sa);
	CHECK_INT(token_verify(&key, "unsubscribe", b, strlen(b), "salt-x", 0), TOKEN_VALID);
	CHECK_INT(token_short_verify(&key, "unsubscribe", sb, strlen(sb), "salt-x"), TOKEN_VALID);
}
