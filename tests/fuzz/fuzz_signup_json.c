/*
 * fuzz_signup_json - the body of POST /api/subscribe as any client sends
 * it, through the same parse the handler uses (public_signup_json_parse), then the
 * address through addr_check as the handler would. An accepted body yields
 * an address copied whole into the arena.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "addr/addr.h"
#include "core/core.h"
#include "web/public/public.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena *a = arena_new(1 << 20);
	struct public_signup_json body;
	struct addr_result ar;

	if (public_signup_json_parse(a, (const char *)data, size, &body) == NF_OK) {
		if (body.email == NULL || body.email_len > size || body.email[body.email_len] != '\0')
			abort();
		addr_check(body.email, body.email_len, 0, &ar);
	}
	arena_free(a);
	return 0;
}
