/*
 * core/hmac.c - HMAC-SHA256 (RFC 2104) and constant-time comparison
 *
 * Owns: the primitives behind every token in a link (confirm, unsubscribe,
 * CSRF). OpenSSL does the hashing; CRYPTO_memcmp does the comparison, so a
 * forged token takes as long to reject however many bytes it got right.
 */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "core.h"

void
hmac_sha256(const void *key, size_t keylen, const void *msg, size_t msglen,
	    unsigned char out[HMAC_SHA256_LEN])
{
	unsigned int len = HMAC_SHA256_LEN;

	if (HMAC(EVP_sha256(), key, (int)keylen, msg, msglen, out, &len) == NULL)
		log_panic("HMAC-SHA256 failed");
}

void
sha256(const void *msg, size_t len, unsigned char out[32])
{
	SHA256(msg, len, out);
}

int
ct_equal(const void *a, const void *b, size_t n)
{
	return CRYPTO_memcmp(a, b, n) == 0;
}
