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
