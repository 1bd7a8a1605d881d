/*
 * core/password.c - editors' passwords: Argon2id (RFC 9106) via libargon2
 *
 * Owns: turning a password into the encoded hash the store keeps
 * ($argon2id$v=19$m=...,t=...,p=...$salt$hash, the PHC string format) and
 * checking one against it. The cost is OWASP's minimum for Argon2id
 * (19 MiB, 2 passes, 1 lane): about 50 ms of one core here, which makes
 * guessing offline slow while a sign-in stays quick. The parameters travel
 * inside each hash, so raising them later leaves existing hashes valid.
 *
 * Memory. A check needs its 19 MiB and at most PASSWORD_BUSY_MAX checks
 * run at once (a further sign-in is told to come back in a second, see
 * web/newsroom/signin.c). Each check borrows one of PASSWORD_BUSY_MAX work
 * areas made on first use and kept: bench/newsroom.sh measured that a fresh mmap per
 * check costs four times the hashing (page faults on 4,864 new pages), and
 * that leaving it to malloc keeps 19 MiB in every HTTP thread's arena
 * (91 MB peak instead of 33). libargon2 takes an allocator only through a
 * context, so the stored string is parsed here (check_with_area) and the
 * digest compared in constant time. A hash asking for more memory than an
 * area holds (a future, costlier setting) is checked through
 * argon2id_verify, on malloc.
 *
 * A name that does not exist is checked against a hash made once at
 * random, so a wrong name costs as long as a wrong password and the timing
 * tells nobody which names exist.
 */
#include <argon2.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"

#define PASSWORD_T_COST 2
#define PASSWORD_M_COST 19456		/* KiB */
#define PASSWORD_LANES 1
#define PASSWORD_SALT 16
#define PASSWORD_DIGEST 32
#define PASSWORD_BUSY_MAX 2
#define PHC_PART_MAX 64			/* bytes of salt or digest we accept */

struct area {
	unsigned char *mem;		/* PASSWORD_M_COST KiB, made on first use */
	int busy;
};

static pthread_mutex_t areas_lock = PTHREAD_MUTEX_INITIALIZER;
static struct area areas[PASSWORD_BUSY_MAX];
static _Thread_local struct area *lent;	/* the area this thread's check uses */
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;
static char dummy_hash[PASSWORD_HASH_MAX];

int
password_ok(const char *pw, size_t len)
{
	return pw && len >= PASSWORD_MIN && len <= PASSWORD_MAX && memchr(pw, '\0', len) == NULL;
}

int
password_hash(const char *pw, size_t len, char *out, size_t outlen)
{
	unsigned char salt[PASSWORD_SALT];
	int rc;

	if (!password_ok(pw, len) || outlen < PASSWORD_HASH_MAX)
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

/* ---- the stored string: $argon2id$v=19$m=M,t=T,p=P$SALT$DIGEST ---- */

struct phc {
	uint32_t version, m, t, p;
	unsigned char salt[PHC_PART_MAX], digest[PHC_PART_MAX];
	size_t saltlen, digestlen;
};

/* "key=" and a decimal number up to max, then one of stops; *s moves past it */
static int
phc_number(const char **s, const char *key, uint32_t max, char stop, uint32_t *out)
{
	size_t klen = strlen(key);
	unsigned long v = 0;
	const char *p = *s;

	if (strncmp(p, key, klen) != 0)
		return NF_ERR_INVALID;
	for (p += klen; *p >= '0' && *p <= '9' && v <= max; p++)
		v = v * 10 + (unsigned long)(*p - '0');
	if (p == *s + klen || v > max || *p != stop)
		return NF_ERR_INVALID;
	*out = (uint32_t)v;
	*s = p + 1;
	return NF_OK;
}

/* unpadded base64 (as the PHC format writes it) up to the next '$' or the end */
static int
phc_b64(const char **s, unsigned char *out, size_t *outlen)
{
	const char *end = strchr(*s, '$');
	size_t n = end ? (size_t)(end - *s) : strlen(*s);
	struct buf padded, raw;
	int rc;

	buf_init(&padded, PHC_PART_MAX * 2);
	buf_init(&raw, PHC_PART_MAX);
	rc = buf_append(&padded, *s, n);
	while (rc == NF_OK && padded.len % 4)
		rc = buf_putc(&padded, '=');
	if (rc == NF_OK)
		rc = base64_decode(&raw, padded.data ? padded.data : "", padded.len);
	if (rc == NF_OK && raw.len > 0) {
		memcpy(out, raw.data, raw.len);
		*outlen = raw.len;
		*s += n + (end ? 1 : 0);
	} else {
		rc = NF_ERR_INVALID;
	}
	buf_free(&padded);
	buf_free(&raw);
	return rc;
}

static int
phc_parse(const char *s, struct phc *out)
{
	if (strncmp(s, "$argon2id$", 10) != 0)
		return NF_ERR_INVALID;
	s += 10;
	if (phc_number(&s, "v=", 0xff, '$', &out->version) != NF_OK ||
	    phc_number(&s, "m=", 1u << 22, ',', &out->m) != NF_OK ||
	    phc_number(&s, "t=", 1000, ',', &out->t) != NF_OK ||
	    phc_number(&s, "p=", 64, '$', &out->p) != NF_OK ||
	    phc_b64(&s, out->salt, &out->saltlen) != NF_OK ||
	    phc_b64(&s, out->digest, &out->digestlen) != NF_OK || *s != '\0')
		return NF_ERR_INVALID;
	return NF_OK;
}

/* ---- checking, in a borrowed work area ---- */

static int
area_alloc(uint8_t **memory, size_t bytes)
{
	if (lent && bytes <= (size_t)PASSWORD_M_COST * 1024) {
		*memory = lent->mem;
		return ARGON2_OK;
	}
	*memory = malloc(bytes);	/* not reached: check_with_area sees the size first */
	return *memory ? ARGON2_OK : ARGON2_MEMORY_ALLOCATION_ERROR;
}

static void
area_free(uint8_t *memory, size_t bytes)
{
	NF_UNUSED(bytes);
	if (lent == NULL || memory != lent->mem)
		free(memory);
}

/* a free area, made on first use; NULL when PASSWORD_BUSY_MAX checks run */
static struct area *
area_take(void)
{
	struct area *a = NULL;
	int i;

	pthread_mutex_lock(&areas_lock);
	for (i = 0; i < PASSWORD_BUSY_MAX && a == NULL; i++)
		if (!areas[i].busy)
			a = &areas[i];
	if (a)
		a->busy = 1;
	pthread_mutex_unlock(&areas_lock);
	if (a && a->mem == NULL)
		a->mem = xmalloc((size_t)PASSWORD_M_COST * 1024);
	return a;
}

static void
area_give(struct area *a)
{
	pthread_mutex_lock(&areas_lock);
	a->busy = 0;
	pthread_mutex_unlock(&areas_lock);
}

/* the digest of pw under h's parameters, in the lent area, compared with h's */
static int
check_with_area(const struct phc *h, const char *pw, size_t len)
{
	unsigned char out[PHC_PART_MAX];
	argon2_context ctx;

	memset(&ctx, 0, sizeof(ctx));
	ctx.out = out;
	ctx.outlen = (uint32_t)h->digestlen;
	ctx.pwd = (uint8_t *)(uintptr_t)pw;
	ctx.pwdlen = (uint32_t)len;
	ctx.salt = (uint8_t *)(uintptr_t)h->salt;
	ctx.saltlen = (uint32_t)h->saltlen;
	ctx.t_cost = h->t;
	ctx.m_cost = h->m;
	ctx.lanes = ctx.threads = h->p;
	ctx.version = h->version;
	ctx.allocate_cbk = area_alloc;
	ctx.free_cbk = area_free;
	return argon2id_ctx(&ctx) == ARGON2_OK && ct_equal(out, h->digest, h->digestlen);
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
	if (password_hash(text.data, text.len, dummy_hash, sizeof(dummy_hash)) != NF_OK)
		log_panic("cannot make the decoy password hash");
	buf_free(&text);
}

/*
 * password_check - 1 when pw matches encoded, 0 when not, PASSWORD_BUSY
 * when PASSWORD_BUSY_MAX checks are running. encoded NULL checks against
 * the decoy and never matches. Anything that is not an Argon2id hash fails
 * closed.
 */
int
password_check(const char *encoded, const char *pw, size_t len)
{
	int decoy = encoded == NULL, ok;
	struct phc h;

	if (decoy) {
		pthread_once(&dummy_once, make_dummy);
		encoded = dummy_hash;
	}
	if (pw == NULL || len > PASSWORD_MAX || phc_parse(encoded, &h) != NF_OK)
		return 0;
	if ((lent = area_take()) == NULL)
		return PASSWORD_BUSY;
	if (h.m <= PASSWORD_M_COST)
		ok = check_with_area(&h, pw, len);
	else
		ok = argon2id_verify(encoded, pw, len) == ARGON2_OK;
	area_give(lent);
	lent = NULL;
	return ok && !decoy;
}
