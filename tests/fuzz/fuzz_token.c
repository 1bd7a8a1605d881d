/*
 * fuzz_token - the tokens in link paths (/confirm/TOKEN, /u/TOKEN) and the
 * CSRF token of the signup form, as an attacker types them. libmicrohttpd
 * hands a handler the percent-decoded path, so the input is taken both as
 * it is and percent-decoded. token_peek and token_verify must refuse
 * anything not made by token_make under our key; what they accept must
 * carry the id that a fresh token for that id carries.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "web/http/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const unsigned char secret[32] = "fuzz-secret-fuzz-secret-fuzz-sec";
static const struct token_key key = { secret, sizeof(secret) };

static void
check_token(const char *t, size_t len)
{
	char fresh[TOKEN_MAX];
	uint64_t id;
	enum token_check c;

	if (token_peek(t, len, &id) != NF_OK)
		return;
	c = token_verify(&key, "confirm", t, len, "salt", 1700000000);
	if (c == TOKEN_VALID) {
		/* a forgery that verifies would be a broken MAC: only ours may */
		token_make(&key, "confirm", id, 0, "salt", fresh);
		if (strlen(fresh) != len)
			abort();
	}
	/* a token never verifies for another purpose or another salt */
	if (token_verify(&key, "unsubscribe", t, len, "salt", 1700000000) == TOKEN_VALID &&
	    c == TOKEN_VALID)
		abort();
}

/*
 * A token made from the input's first bytes (id, expiry, salt) verifies for
 * its purpose and salt, and stops verifying when any one character changes.
 */
static void
check_made(const uint8_t *data, size_t size)
{
	char t[TOKEN_MAX], salt[33];
	uint64_t id = 0, got;
	int64_t exp = 0;
	size_t len, at, n = size < 16 ? 0 : size - 16;

	if (size < 17)
		return;
	memcpy(&id, data, 8);
	memcpy(&exp, data + 8, 8);
	exp &= INT64_MAX;
	n = n > 32 ? 32 : n;
	memcpy(salt, data + 16, n);
	salt[n] = '\0';
	token_make(&key, "confirm", id, exp, salt, t);
	len = strlen(t);
	if (token_peek(t, len, &got) != NF_OK || got != id)
		abort();
	if (token_verify(&key, "confirm", t, len, salt, 0) != TOKEN_VALID ||
	    token_verify(&key, "unsubscribe", t, len, salt, 0) != TOKEN_BAD)
		abort();
	at = data[size - 1] % len;
	t[at] = t[at] == 'A' ? 'B' : 'A';
	/* the last character holds 2 spare bits base64url may ignore: skip it */
	if (at + 1 < len && token_verify(&key, "confirm", t, len, salt, 0) == TOKEN_VALID)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = xmemdup0(data, size);
	struct buf dec;

	check_made(data, size);
	check_token(text, size);
	check_token(text, strlen(text));	/* as confirm.c sees it: up to a NUL */
	buf_init(&dec, 4096);
	if (percent_decode(&dec, text, size, 0) == NF_OK && dec.data)
		check_token(dec.data, dec.len);
	buf_free(&dec);
	/* the CSRF token against itself as the cookie: decoding must be safe */
	(void)http_csrf_check(&key, text, strlen(text), text);
	free(text);
	return 0;
}
