/*
 * core/hmac.c - HMAC-SHA256 (RFC 2104) and constant-time comparison
 *
 * Owns: the primitives behind every token in a link (confirm, unsubscribe,
 * CSRF). OpenSSL does the hashing; CRYPTO_memcmp does the comparison, so a
 * forged token takes as long to reject however many bytes it got right.
 *
 * Two ways to MAC. hmac_sha256 derives the keyed state each time: four
 * SHA-256 compressions for a short message (key^ipad, message, key^opad,
 * inner hash) plus OpenSSL's per-call lookup of the algorithm. A struct
 * hmac_key (hmac_key_new) holds the SHA-256 states after key^ipad and
 * key^opad, taken once; hmac_sha256_keyed copies them, so a short message
 * costs two compressions. That is what the fan-out uses: three MACs per
 * message with one server secret.
 *
 * The saved states are OpenSSL's SHA256_CTX, plain structs: copying one is
 * an assignment, where an EVP_MD_CTX costs an allocation, a copy through
 * the provider and a free on every MAC. Its SHA256_Init/Update/Final are
 * deprecated in OpenSSL 3 in favour of EVP, which hides the state; they
 * remain in the 3.x series and run the same assembly (SHA-NI, AVX2, ...).
 * sha256_state_* wrap them so that this file alone says so;
 * sha256_pairs.c and sha256_lanes.c advance the same states many at once.
 */
#define OPENSSL_SUPPRESS_DEPRECATED	/* SHA256_CTX on purpose: see above */

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"

#define SHA256_BLOCK 64		/* RFC 2104 B: the hash's block length */

struct hmac_key {
	SHA256_CTX inner, outer;	/* after (K ^ ipad), (K ^ opad); read only */
};

void
sha256_state_init(SHA256_CTX *c)
{
	SHA256_Init(c);
}

void
sha256_state_update(SHA256_CTX *c, const void *p, size_t n)
{
	SHA256_Update(c, p, n);
}

void
sha256_state_final(SHA256_CTX *c, unsigned char md[32])
{
	SHA256_Final(md, c);
}

void
hmac_sha256(const void *key, size_t keylen, const void *msg, size_t msglen,
	    unsigned char out[HMAC_SHA256_LEN])
{
	unsigned int len = HMAC_SHA256_LEN;

	if (HMAC(EVP_sha256(), key, (int)keylen, msg, msglen, out, &len) == NULL)
		log_panic("HMAC-SHA256 failed");
}

/* pad_state - a SHA-256 state that has taken one block, K (zero-filled) ^ pad */
static void
pad_state(SHA256_CTX *c, const unsigned char k[SHA256_BLOCK], unsigned char pad)
{
	unsigned char block[SHA256_BLOCK];
	size_t i;

	for (i = 0; i < SHA256_BLOCK; i++)
		block[i] = k[i] ^ pad;
	sha256_state_init(c);
	sha256_state_update(c, block, sizeof(block));
	OPENSSL_cleanse(block, sizeof(block));
}

struct hmac_key *
hmac_key_new(const void *key, size_t keylen)
{
	struct hmac_key *h = xcalloc(1, sizeof(*h));
	unsigned char k[SHA256_BLOCK];

	/* RFC 2104 2: a key longer than a block is replaced by its hash */
	memset(k, 0, sizeof(k));
	if (keylen > SHA256_BLOCK)
		sha256(key, keylen, k);
	else if (keylen > 0)
		memcpy(k, key, keylen);
	pad_state(&h->inner, k, 0x36);
	pad_state(&h->outer, k, 0x5c);
	OPENSSL_cleanse(k, sizeof(k));
	return h;
}

void
hmac_key_free(struct hmac_key *h)
{
	if (h == NULL)
		return;
	OPENSSL_cleanse(h, sizeof(*h));
	free(h);
}

/*
 * hmac_sha256_keyed - the saved states are only read (copied), so one key
 * serves any number of threads at once; each call works in its own state.
 */
void
hmac_sha256_keyed(const struct hmac_key *h, const void *msg, size_t msglen,
		  unsigned char out[HMAC_SHA256_LEN])
{
	unsigned char inner[HMAC_SHA256_LEN];
	SHA256_CTX w = h->inner;

	sha256_state_update(&w, msg, msglen);
	sha256_state_final(&w, inner);
	w = h->outer;
	sha256_state_update(&w, inner, sizeof(inner));
	sha256_state_final(&w, out);
	OPENSSL_cleanse(inner, sizeof(inner));
	OPENSSL_cleanse(&w, sizeof(w));
}

/* sha256 - on a state of our own: EVP_Digest sets up and frees a context per call */
void
sha256(const void *msg, size_t len, unsigned char out[32])
{
	SHA256_CTX c;

	sha256_state_init(&c);
	sha256_state_update(&c, msg, len);
	sha256_state_final(&c, out);
}

int
ct_equal(const void *a, const void *b, size_t n)
{
	return CRYPTO_memcmp(a, b, n) == 0;
}
