/*
 * fuzz_webhook - what a webhook endpoint is made from, as an API key holder
 * or an editor types it: the event list (store_hook_events_parse), the URL
 * (deliver_hook_url_check) and the secret (deliver_hook_secret_check, and
 * signing with it). The input is split at its first newline: events before,
 * then the same bytes tried as a URL and as a secret. Whatever the bytes, a
 * parsed mask has only known bits, an accepted URL is http(s) with no
 * control character, and a secret that passes the check signs.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "deliver/deliver.h"
#include "store/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *nl = memchr(data, '\n', size);
	size_t elen = nl ? (size_t)(nl - (const char *)data) : size, i;
	char bad[80], *text = malloc(size + 1);
	int64_t mask = 0;
	struct buf sig;

	if (store_hook_events_parse((const char *)data, elen, &mask, bad, sizeof(bad)) == NF_OK &&
	    (mask == 0 || (mask & ~(int64_t)STORE_HOOK_ALL) != 0))
		abort();
	memcpy(text, data, size);
	text[size] = '\0';
	if (deliver_hook_url_check(text) == NULL) {
		if (strncmp(text, "http://", 7) != 0 && strncmp(text, "https://", 8) != 0)
			abort();
		for (i = 0; text[i]; i++)
			if ((unsigned char)text[i] <= ' ')
				abort();
	}
	buf_init(&sig, 0);
	if (deliver_hook_secret_check(text) == NULL &&
	    deliver_hook_sign(text, "msg_1", 1, "{}", 2, &sig) != NF_OK)
		abort();
	buf_free(&sig);
	free(text);
	return 0;
}
