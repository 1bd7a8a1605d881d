/*
 * fuzz_form - form bodies and Cookie headers, as a browser or an attacker
 * sends them. Every parsed field must lie inside the arena's bounds and the
 * lookups must not crash on any input.
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
	struct arena *a = arena_new(1 << 20);
	struct http_form f;
	char *text;
	size_t len;
	int i;

	if (http_form_parse(a, (const char *)data, size, &f) == NF_OK) {
		for (i = 0; i < f.count; i++)
			if (strlen(f.fields[i].name) > size || f.fields[i].value_len > size)
				abort();
		http_form_get(&f, "email", &len);
	}
	text = xmemdup0(data, size);
	http_cookie_get(a, text, "nf_csrf");
	free(text);
	arena_free(a);
	return 0;
}
