/*
 * fuzz_forwarded - X-Forwarded-For values as a client (or a chain of
 * proxies) sends them, and the client keys made from what comes out: any
 * address picked must be a NUL-terminated text that fits, for every number
 * of hops.
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
	char out[HTTP_IP_MAX], key[HTTP_IP_MAX];
	int hops;

	for (hops = 0; hops < 4; hops++) {
		if (http_forwarded_client((const char *)data, size, hops, out) == NF_OK) {
			if (memchr(out, '\0', sizeof(out)) == NULL)
				abort();
			http_client_key(out, key);
			if (memchr(key, '\0', sizeof(key)) == NULL)
				abort();
		}
	}
	return 0;
}
