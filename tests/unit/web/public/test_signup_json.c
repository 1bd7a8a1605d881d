/* tests for public_signup_json_parse (web/public/signup.c): the body of POST /api/subscribe */
#include <string.h>

#include "core/core.h"
#include "web/public/public.h"
#include "../../../harness.h"

TEST(signup_json_takes_email_and_marketing)
{
	struct arena *a = arena_new(0);
	struct public_signup_json b;
	const char body[] = "{\"email\":\"reader@example.com\",\"marketing\":true}";

	CHECK_INT(public_signup_json_parse(a, body, sizeof(body) - 1, &b), NF_OK);
	CHECK_STR(b.email, "reader@example.com");
	CHECK_INT(b.email_len, 18);
	CHECK_INT(b.marketing, 1);
	CHECK_INT(public_signup_json_parse(a, "{\"email\":\"r@example.com\"}", 25, &b), NF_OK);
	CHECK_INT(b.marketing, 0);
	arena_free(a);
}

/* \u0000 inside the address survives with its length, for addr_check to refuse */
TEST(signup_json_keeps_nul_with_length)
{
	struct arena *a = arena_new(0);
	struct public_signup_json b;
	const char body[] = "{\"email\":\"a\\u0000b@example.com\"}";

	CHECK_INT(public_signup_json_parse(a, body, sizeof(body) - 1, &b), NF_OK);
	CHECK_INT(b.email_len, 15);
	CHECK_MEM(b.email, b.email_len, "a\0b@example.com", 15);
	arena_free(a);
}

TEST(signup_json_refuses_other_shapes)
{
	static const char *const bad[] = {
		"", "[]", "\"email\"", "{}", "{\"email\":1}", "{\"email\":null}",
		"{\"email\":\"a@b.example\",\"marketing\":\"yes\"}", "{\"email\":\"a@b.example\"",
		"{\"email\":\"\\ud800@example.com\"}",
	};
	struct arena *a = arena_new(0);
	struct public_signup_json b;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_INT(public_signup_json_parse(a, bad[i], strlen(bad[i]), &b), NF_ERR_INVALID);
	arena_free(a);
}

/* "pow": {"challenge", "counter"} (serve --signup-pow): both strings, or the body is refused */
TEST(signup_json_takes_a_proof_of_work)
{
	struct arena *a = arena_new(0);
	struct public_signup_json b;
	const char body[] = "{\"email\":\"r@example.com\",\"pow\":{\"challenge\":\"AQ4x\",\"counter\":\"42\"}}";
	static const char *const bad[] = {
		"{\"email\":\"r@example.com\",\"pow\":\"AQ4x\"}",
		"{\"email\":\"r@example.com\",\"pow\":{\"challenge\":\"AQ4x\"}}",
		"{\"email\":\"r@example.com\",\"pow\":{\"challenge\":\"AQ4x\",\"counter\":42}}",
		"{\"email\":\"r@example.com\",\"pow\":null}",
	};
	size_t i;

	CHECK_INT(public_signup_json_parse(a, body, sizeof(body) - 1, &b), NF_OK);
	CHECK_MEM(b.pow_challenge, b.pow_challenge_len, "AQ4x", 4);
	CHECK_MEM(b.pow_counter, b.pow_counter_len, "42", 2);
	CHECK_INT(public_signup_json_parse(a, "{\"email\":\"r@example.com\"}", 25, &b), NF_OK);
	CHECK(b.pow_challenge == NULL && b.pow_counter == NULL);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_INT(public_signup_json_parse(a, bad[i], strlen(bad[i]), &b), NF_ERR_INVALID);
	arena_free(a);
}
