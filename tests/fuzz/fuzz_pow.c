/*
 * fuzz_pow - a proof-of-work challenge and counter as a client sends them
 * (serve --signup-pow): the input is split at its first newline into the
 * challenge and the counter. The parser must not crash or read past them,
 * what it accepts must have the documented shape, and the full check must
 * never accept what the key did not sign.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "web/http/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct token_key key = { (const unsigned char *)"fuzzing secret", 14 };
	static struct http_pow *pow;
	const uint8_t *nl = memchr(data, '\n', size);
	size_t clen = nl ? (size_t)(nl - data) : size, nlen = nl ? size - clen - 1 : 0;
	char *challenge = xmemdup0(data, clen), *counter = xmemdup0(nl ? nl + 1 : data, nlen);
	struct http_pow_solution s;
	size_t i;

	if (pow == NULL)
		pow = http_pow_new(&key, 1, HTTP_POW_TTL, 1024);
	if (http_pow_parse(challenge, clen, counter, nlen, &s) == NF_OK) {
		if (clen != HTTP_POW_CHALLENGE_MAX - 1 || nlen < 1 || nlen > HTTP_POW_COUNTER_MAX ||
		    s.raw[0] != 1 || s.bits != s.raw[1])
			abort();
		for (i = 0; i < nlen; i++)
			if (counter[i] < '0' || counter[i] > '9')
				abort();
	}
	/* nothing the fuzzer writes carries our MAC */
	if (http_pow_verify(pow, challenge, clen, counter, nlen, 1800000000) == HTTP_POW_OK)
		abort();
	free(challenge);
	free(counter);
	return 0;
}
