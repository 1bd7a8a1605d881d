/* tests for web/http/csrf.c: double-submit tokens and tokens bound to a session */
#include <stdio.h>
#include <string.h>

#include "core/core.h"
#include "web/http/http.h"
#include "../../../harness.h"

TEST(csrf_double_submit)
{
	const struct token_key key = { (const unsigned char *)"k1", 2 };
	const struct token_key other = { (const unsigned char *)"k2", 2 };
	char t[HTTP_CSRF_TOKEN_MAX], u[HTTP_CSRF_TOKEN_MAX];

	http_csrf_make(&key, t);
	http_csrf_make(&key, u);
	CHECK(strcmp(t, u) != 0);
	CHECK(http_csrf_check(&key, t, strlen(t), t));
	CHECK(!http_csrf_check(&key, t, strlen(t), u));	/* form and cookie differ */
	CHECK(!http_csrf_check(&other, t, strlen(t), t));	/* not our MAC */
	CHECK(!http_csrf_check(&key, "abc", 3, "abc"));
	CHECK(!http_csrf_check(&key, t, strlen(t), NULL));
	CHECK(!http_csrf_check(&key, NULL, 0, t));
}

TEST(csrf_bound_tokens_belong_to_their_session)
{
	unsigned char secret[32] = "a secret of thirty-two bytes....";
	struct token_key key = { secret, sizeof(secret) }, other = { (const unsigned char *)"x", 1 };
	char tok[HTTP_CSRF_TOKEN_MAX], tampered[HTTP_CSRF_TOKEN_MAX];

	http_csrf_bound_make(&key, "digest-of-session-a", tok);
	CHECK(strlen(tok) >= 32);
	CHECK(http_csrf_bound_check(&key, "digest-of-session-a", tok, strlen(tok)));
	CHECK(!http_csrf_bound_check(&key, "digest-of-session-b", tok, strlen(tok)));
	CHECK(!http_csrf_bound_check(&other, "digest-of-session-a", tok, strlen(tok)));
	CHECK(!http_csrf_bound_check(&key, "digest-of-session-a", tok, strlen(tok) - 1));
	CHECK(!http_csrf_bound_check(&key, "digest-of-session-a", NULL, 0));
	CHECK(!http_csrf_bound_check(&key, "", tok, strlen(tok)));
	memcpy(tampered, tok, strlen(tok) + 1);
	tampered[3] = tampered[3] == 'A' ? 'B' : 'A';
	CHECK(!http_csrf_bound_check(&key, "digest-of-session-a", tampered, strlen(tampered)));
}
