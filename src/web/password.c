/*
 * web/password.c - editors' passwords: Argon2id (RFC 9106) via libargon2
 *
 * Owns: turning a password into the encoded hash the store keeps
 * ($argon2id$v=19$m=...,t=...,p=...$salt$hash) and checking one against it.
 * The cost is OWASP's minimum for Argon2id (19 MiB, 2 passes, 1 lane):
 * about 50-100 ms of one core here, which makes guessing offline slow
 * while a sign-in stays quick. The parameters travel inside each hash, so
 * raising them later leaves existing hashes valid.
 *
 * Hashing holds 19 MiB for its duration, so at most PASSWORD_BUSY_MAX
 * checks run at once; past that a sign-in is told to come back in a second
 * rather than queueing threads (signin.c answers 429).
 *
 * A name that does not exist is checked against a hash made once at
 * random, so a wrong name costs as long as a wrong password and the timing
 * tells nobody which names exist.
 */
#include <argon2.h>
#include <pthread.h>
#include <string.h>

#include "web_impl.h"

#define PASSWORD_T_COST 2
#define PASSWORD_M_COST 19456		/* KiB */
#define PASSWORD_LANES 1
#define PASSWORD_SALT 16
#define PASSWORD_DIGEST 32
#define PASSWORD_BUSY_MAX 2

static pthread_mutex_t busy_lock = PTHREAD_MUTEX_INITIALIZER;
static int busy;
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;
static char dummy_hash[WEB_PASSWORD_HASH_MAX];

int
web_password_ok(const char *pw, size_t len)
{
	return pw && len >= WEB_PASSWORD_MIN && len <= WEB_PASSWORD_MAX && memchr(pw, '\0', len) == NULL;
}

int
web_password_hash(const char *pw, size_t len, char *out, size_t outlen)
{
	unsigned char salt[PASSWORD_SALT];
	int rc;

	if (!web_password_ok(pw, len) || outlen < WEB_PASSWORD_HASH_MAX)
		return NF_ERR_INVALID;
	if (random_bytes(salt, sizeof(salt)) != NF_OK)
		return NF_ERR_IO;
	rc = argon2id_hash_encoded(PASSWORD_T_COST, PASSWORD_M_COST, PASSWORD_LANES, pw, len,
				   salt, sizeof(salt), PASSWORD_DIGEST, out, outlen);
	if (rc != ARGON2_OK) {
		log_event(LOG_ERROR, "password.hash_failed", "reason", argon2_error_message(rc), NULL);
		return NF_ERR;
	}
	return NF_OK;
}

static void
make_dummy(void)
{
	unsigned char pw[24];
	struct buf text;

	if (random_bytes(pw, sizeof(pw)) != NF_OK)
		log_panic("getrandom failed");
	buf_init(&text, 0);
	base64url_encode(&text, pw, sizeof(pw));
	if (web_password_hash(text.data, text.len, dummy_hash, sizeof(dummy_hash)) != NF_OK)
		log_panic("cannot make the decoy password hash");
	buf_free(&text);
}

/* password_try_begin - 1 when a check may run now (then call password_try_end) */
int
password_try_begin(void)
{
	int ok;

	pthread_mutex_lock(&busy_lock);
	ok = busy < PASSWORD_BUSY_MAX;
	if (ok)
		busy++;
	pthread_mutex_unlock(&busy_lock);
	return ok;
}

void
password_try_end(void)
{
	pthread_mutex_lock(&busy_lock);
	busy--;
	pthread_mutex_unlock(&busy_lock);
}

/*
 * password_verify - 1 when pw matches encoded; encoded NULL checks against
 * the decoy (and never matches). Anything that is not an Argon2id hash
 * fails closed.
 */
int
password_verify(const char *encoded, const char *pw, size_t len)
{
	int decoy = encoded == NULL;

	if (decoy) {
		pthread_once(&dummy_once, make_dummy);
		encoded = dummy_hash;
	}
	if (pw == NULL || len > WEB_PASSWORD_MAX || strncmp(encoded, "$argon2id$", 10) != 0)
		return 0;
	return argon2id_verify(encoded, pw, len) == ARGON2_OK && !decoy;
}
