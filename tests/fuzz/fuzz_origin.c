/*
 * fuzz_origin - Origin and Referer values as a browser or an attacker sends
 * them, and --embed-origin values: the origin taken from a URL must be a
 * prefix of it that fits, and the checks must not crash on any input.
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
	char *text = xmemdup0(data, size), out[HTTP_ORIGIN_MAX];

	if (http_origin_of_url(text, out, sizeof(out))) {
		if (strlen(out) >= sizeof(out) || strncmp(out, text, strlen(out)) != 0)
			abort();
		if (strchr(out + 8, '/') != NULL)	/* past "https://": no path */
			abort();
	}
	if (web_embed_origin_check(text) == NULL && strchr(text, '/') != strrchr(text, '/') - 1)
		abort();	/* a good origin has its two slashes together and no other */
	free(text);
	return 0;
}
