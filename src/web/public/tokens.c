/*
 * web/public/tokens.c - from a link token to the subscriber it was made for
 *
 * Owns: the one check every leaving and privacy link goes through. The
 * token (core/token.c) names a subscriber id, untrusted until the HMAC over
 * purpose, id, expiry and that subscriber's salt verifies in constant time.
 * An erased subscriber has a new salt, so every old link of theirs is dead;
 * the answer for a forged, tampered, expired or dead token is the same.
 */
#include <string.h>
#include <time.h>

#include "store/store.h"
#include "public.h"

enum public_token_result
public_token_subscriber(struct web *w, const char *token, const char *purpose,
			struct store_subscriber **out)
{
	struct store_subscriber *sub = NULL;
	struct store *s = http_store(w);
	size_t len = strlen(token);
	uint64_t id;
	int rc;

	*out = NULL;
	if (s == NULL)
		return PUBLIC_TOKEN_UNAVAILABLE;
	if (token_peek(token, len, &id) != NF_OK || id == 0 || id > INT64_MAX)
		return PUBLIC_TOKEN_BAD;
	rc = store_subscriber_get(s, (int64_t)id, &sub);
	if (rc != NF_OK && rc != NF_ERR_NOTFOUND)
		return PUBLIC_TOKEN_UNAVAILABLE;
	if (rc == NF_ERR_NOTFOUND || sub->status == STORE_ERASED ||
	    token_verify(&w->cfg.key, purpose, token, len, sub->token_salt, time(NULL)) != TOKEN_VALID) {
		store_subscriber_free(sub);
		return PUBLIC_TOKEN_BAD;
	}
	*out = sub;
	return PUBLIC_TOKEN_OK;
}

struct store_subscriber *
public_token_page(struct web *w, struct http_response *res, const char *token, const char *purpose,
		  const char *invalid)
{
	struct store_subscriber *sub = NULL;

	switch (public_token_subscriber(w, token, purpose, &sub)) {
	case PUBLIC_TOKEN_OK:
		return sub;
	case PUBLIC_TOKEN_BAD:
		http_page_error(w, res, 400, invalid);
		break;
	case PUBLIC_TOKEN_UNAVAILABLE:
		http_page_error(w, res, 503, NULL);
		break;
	}
	return NULL;
}
