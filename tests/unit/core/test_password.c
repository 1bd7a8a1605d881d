/* tests for core/password.c: Argon2id hashes, the decoy, the limits */
#include <argon2.h>
#include <string.h>

#include "core/core.h"
#include "../../harness.h"

TEST(password_hash_is_argon2id_and_verifies)
{
	const char pw[] = "correct horse battery staple";
	char h1[PASSWORD_HASH_MAX], h2[PASSWORD_HASH_MAX];

	CHECK_INT(password_hash(pw, strlen(pw), h1, sizeof(h1)), NF_OK);
	CHECK(strncmp(h1, "$argon2id$v=19$m=19456,t=2,p=1$", 31) == 0);
	CHECK(strstr(h1, "horse") == NULL);
	CHECK_INT(password_hash(pw, strlen(pw), h2, sizeof(h2)), NF_OK);
	CHECK(strcmp(h1, h2) != 0);	/* a salt of its own each time */
	CHECK_INT(password_check(h1, pw, strlen(pw)), 1);
	CHECK_INT(password_check(h2, pw, strlen(pw)), 1);
	CHECK_INT(password_check(h1, pw, strlen(pw) - 1), 0);
	CHECK_INT(password_check(h1, "correct horse battery stapler", 29), 0);
}

/* no name, a broken hash, or another algorithm never signs anyone in */
TEST(password_verify_fails_closed)
{
	const char pw[] = "correct horse battery staple";

	CHECK_INT(password_check(NULL, pw, strlen(pw)), 0);	/* the decoy */
	CHECK_INT(password_check("", pw, strlen(pw)), 0);
	CHECK_INT(password_check("$argon2i$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaA", pw, strlen(pw)), 0);
	CHECK_INT(password_check("$argon2id$v=19$garbage", pw, strlen(pw)), 0);
	CHECK_INT(password_check("plain text password", "plain text password", 19), 0);
}

/* the stored string is parsed here: every part of it counts */
TEST(password_check_reads_the_whole_hash)
{
	const char pw[] = "correct horse battery staple";
	unsigned char salt[16] = "sixteen bytes!!";
	char h[PASSWORD_HASH_MAX], bad[PASSWORD_HASH_MAX + 8];
	size_t n;

	CHECK_INT(password_hash(pw, strlen(pw), h, sizeof(h)), NF_OK);
	n = strlen(h);
	memcpy(bad, h, n + 1);
	bad[n - 2] = bad[n - 2] == 'A' ? 'B' : 'A';		/* another digest */
	CHECK_INT(password_check(bad, pw, strlen(pw)), 0);
	snprintf(bad, sizeof(bad), "%s$x", h);			/* trailing bytes */
	CHECK_INT(password_check(bad, pw, strlen(pw)), 0);
	memcpy(bad, h, n + 1);
	bad[strlen("$argon2id$v=19$m=19456,t=")] = '3';	/* other parameters */
	CHECK_INT(password_check(bad, pw, strlen(pw)), 0);
	/* a costlier hash than the work areas hold is still checked (on malloc) */
	CHECK_INT(argon2id_hash_encoded(1, 32768, 1, pw, strlen(pw), salt, sizeof(salt), 32, h, sizeof(h)),
		  ARGON2_OK);
	CHECK_INT(password_check(h, pw, strlen(pw)), 1);
	CHECK_INT(password_check(h, "not it at all, no", 17), 0);
}

TEST(password_limits)
{
	char h[PASSWORD_HASH_MAX], big[PASSWORD_MAX + 2];

	CHECK(!password_ok("eleven char", 11));
	CHECK(password_ok("twelve chars", 12));
	CHECK(!password_ok("twelve\0chars", 12));
	memset(big, 'x', sizeof(big));
	CHECK(password_ok(big, PASSWORD_MAX));
	CHECK(!password_ok(big, PASSWORD_MAX + 1));
	CHECK_INT(password_hash("short", 5, h, sizeof(h)), NF_ERR_INVALID);
	CHECK_INT(password_hash("long enough pw", 14, h, 40), NF_ERR_INVALID);
	CHECK_INT(password_check("$argon2id$x", big, sizeof(big)), 0);
	CHECK_INT(password_check(NULL, big, sizeof(big)), 0);
}
