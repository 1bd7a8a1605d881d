/*
 * tests for core/hmac.c: HMAC-SHA256 on the RFC 4231 section 4 vectors,
 * derived per call (hmac_sha256) and from a saved key state
 * (hmac_key_new + hmac_sha256_keyed), which must give the same bytes;
 * and the tokens made either way.
 */
#include <stdlib.h>

#include "core/core.h"
#include "../../harness.h"

struct rfc4231 {
	const char *name;
	unsigned char key_byte;	/* the key is key_len of this byte ... */
	size_t key_len;
	const char *key_text;	/* ... unless given here */
	unsigned char data_byte;	/* likewise the data */
	size_t data_len;
	const char *data_text;
	size_t mac_len;		/* case 5 publishes 128 bits only */
	const char *mac_hex;
};

static const char case7_data[] =
	"This is a test using a larger than block-size key and a larger than block-size data. "
	"The key needs to be hashed before being used by the HMAC algorithm.";

static const struct rfc4231 vectors[] = {
	{ "4231-case1", 0x0b, 20, NULL, 0, 0, "Hi There", 32,
	  "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7" },
	{ "4231-case2", 0, 0, "Jefe", 0, 0, "what do ya want for nothing?", 32,
	  "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843" },
	{ "4231-case3", 0xaa, 20, NULL, 0xdd, 50, NULL, 32,
	  "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe" },
	{ "4231-case4", 0, 25, NULL, 0xcd, 50, NULL, 32,
	  "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b" },
	{ "4231-case5", 0x0c, 20, NULL, 0, 0, "Test With Truncation", 16,
	  "a3b6167473100ee06e0c796c2955552b" },
	{ "4231-case6", 0xaa, 131, NULL, 0, 0, "Test Using Larger Than Block-Size Key - Hash Key First", 32,
	  "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54" },
	{ "4231-case7", 0xaa, 131, NULL, 0, 0, case7_data, 32,
	  "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2" },
};

/* fill - text as given, else n copies of byte; case 4's key counts 0x01..0x19 */
static size_t
fill(unsigned char *dst, const char *text, unsigned char byte, size_t n, int counting)
{
	size_t i;

	if (text) {
		memcpy(dst, text, strlen(text));
		return strlen(text);
	}
	for (i = 0; i < n; i++)
		dst[i] = counting ? (unsigned char)(i + 1) : byte;
	return n;
}

static int
mac_is(const unsigned char *mac, size_t n, const char *want)
{
	struct buf hex;
	int ok;

	buf_init(&hex, 0);
	hex_encode(&hex, mac, n);
	ok = strcmp(hex.data, want) == 0;
	buf_free(&hex);
	return ok;
}

TEST(hmac_sha256_rfc4231_plain_and_keyed)
{
	unsigned char key[200], data[200], plain[HMAC_SHA256_LEN], fast[HMAC_SHA256_LEN];
	size_t i;

	for (i = 0; i < NF_ARRAY_LEN(vectors); i++) {
		const struct rfc4231 *v = &vectors[i];
		size_t klen = fill(key, v->key_text, v->key_byte, v->key_len, v->key_byte == 0 && !v->key_text);
		size_t dlen = fill(data, v->data_text, v->data_byte, v->data_len, 0);
		struct hmac_key *h = hmac_key_new(key, klen);

		hmac_sha256(key, klen, data, dlen, plain);
		hmac_sha256_keyed(h, data, dlen, fast);
		/* a saved state is reusable: the second MAC equals the first */
		memset(fast, 0, sizeof(fast));
		hmac_sha256_keyed(h, data, dlen, fast);
		hmac_key_free(h);
		test_case_result(v->name, mac_is(plain, v->mac_len, v->mac_hex) &&
					  memcmp(plain, fast, sizeof(plain)) == 0,
				 "plain or keyed HMAC differs from RFC 4231");
	}
}

/* around the block length, where the key is used as is, padded or hashed */
TEST(hmac_sha256_keyed_matches_plain_at_every_key_length)
{
	unsigned char key[130], msg[150], a[HMAC_SHA256_LEN], b[HMAC_SHA256_LEN];
	size_t klen, mlen;

	for (klen = 0; klen < sizeof(key); klen++)
		key[klen] = (unsigned char)(klen * 7 + 1);
	for (mlen = 0; mlen < sizeof(msg); mlen++)
		msg[mlen] = (unsigned char)(mlen * 13);
	for (klen = 0; klen <= sizeof(key); klen += 1) {
		struct hmac_key *h = hmac_key_new(key, klen);

		for (mlen = 0; mlen <= sizeof(msg); mlen += 37) {
			hmac_sha256(key, klen, msg, mlen, a);
			hmac_sha256_keyed(h, msg, mlen, b);
			if (memcmp(a, b, sizeof(a)) != 0) {
				hmac_key_free(h);
				CHECK(!"keyed HMAC differs from plain HMAC");
			}
		}
		hmac_key_free(h);
	}
}

TEST(hmac_key_free_null)
{
	hmac_key_free(NULL);
}
