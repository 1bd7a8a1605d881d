/*
 * web/http/throttle.c - growing delays after failed sign-ins, kept in memory
 *
 * Owns: counting failures per key (a client address, or a name that is
 * not an editor's) and saying how long that key must wait before its next
 * try: free_tries tries come freely, then the wait after each failure is
 * first seconds (1 by default, --signin-delay), doubling up to cap. The caller answers 429 with Retry-After instead of sleeping,
 * so no HTTP thread is ever held by a guesser. An editor's own count lives
 * in the database (store_editor_signin_failed) and follows the same curve
 * through http_throttle_delay.
 *
 * The table is bounded (max_keys, open addressing over a few slots): when
 * a key's slots are full the entry idle longest is reused, and an entry
 * whose last failure is older than forget seconds counts as empty. Keys are
 * kept as their SHA-256, so what a client typed as a name never sits in
 * memory longer than the request.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"

#define SLOTS_PER_KEY 8

struct throttle_entry {
	unsigned char key[32];
	int64_t failures;
	int64_t last;			/* time of the last failure; 0 = empty */
};

struct http_throttle {
	pthread_mutex_t lock;
	struct http_throttle_curve curve;
	int64_t forget;
	size_t size;
	struct throttle_entry *table;
};

int64_t
http_throttle_delay(const struct http_throttle_curve *c, int64_t failures)
{
	int64_t over = failures - c->free_tries, d = c->first > 0 ? c->first : 1;

	if (over < 0)
		return 0;
	while (over-- > 0 && d < c->cap)
		d *= 2;
	return d < c->cap ? d : c->cap;
}

/*
 * Times are whole seconds, so a failure at 12:00:00.9 and a try at
 * 12:00:01.0 are "one second apart". The wait therefore runs from the end
 * of the failure's second: a delay of d seconds is between d and d + 1 in
 * real time, never less, and Retry-After is never too short.
 */
int64_t
http_throttle_left(int64_t last, int64_t delay, int64_t now)
{
	int64_t left = delay > 0 ? last + delay + 1 - now : 0;

	return left > 0 ? left : 0;
}

struct http_throttle *
http_throttle_new(size_t max_keys, const struct http_throttle_curve *curve, int64_t forget)
{
	struct http_throttle *t = xcalloc(1, sizeof(*t));

	pthread_mutex_init(&t->lock, NULL);
	t->size = max_keys > SLOTS_PER_KEY ? max_keys : SLOTS_PER_KEY;
	t->table = xcalloc(t->size, sizeof(*t->table));
	t->curve = *curve;
	t->forget = forget;
	return t;
}

void
http_throttle_free(struct http_throttle *t)
{
	if (t == NULL)
		return;
	pthread_mutex_destroy(&t->lock);
	free(t->table);
	free(t);
}

static int
live(const struct http_throttle *t, const struct throttle_entry *e, int64_t now)
{
	return e->last != 0 && now - e->last < t->forget;
}

/* the key's entry; with make, a fresh one in the stalest of its slots */
static struct throttle_entry *
find(struct http_throttle *t, const unsigned char key[32], int64_t now, int make)
{
	struct throttle_entry *e, *stalest = NULL;
	size_t at, i;

	memcpy(&at, key, sizeof(at));
	for (i = 0; i < SLOTS_PER_KEY; i++) {
		e = &t->table[(at + i) % t->size];
		if (live(t, e, now)) {
			if (memcmp(e->key, key, 32) == 0)
				return e;
			if (stalest == NULL || (live(t, stalest, now) && e->last < stalest->last))
				stalest = e;
		} else if (stalest == NULL || live(t, stalest, now)) {
			stalest = e;	/* an empty slot beats any live one */
		}
	}
	if (!make)
		return NULL;
	memcpy(stalest->key, key, 32);
	stalest->failures = 0;
	stalest->last = now;
	return stalest;
}

int64_t
http_throttle_wait(struct http_throttle *t, const char *key, int64_t now)
{
	unsigned char k[32];
	struct throttle_entry *e;
	int64_t left = 0;

	sha256(key, strlen(key), k);
	pthread_mutex_lock(&t->lock);
	e = find(t, k, now, 0);
	if (e)
		left = http_throttle_left(e->last, http_throttle_delay(&t->curve, e->failures), now);
	pthread_mutex_unlock(&t->lock);
	return left;
}

int64_t
http_throttle_count(struct http_throttle *t, const char *key, int64_t now)
{
	unsigned char k[32];
	struct throttle_entry *e;
	int64_t n = 0;

	sha256(key, strlen(key), k);
	pthread_mutex_lock(&t->lock);
	if ((e = find(t, k, now, 0)) != NULL)
		n = e->failures;
	pthread_mutex_unlock(&t->lock);
	return n;
}

void
http_throttle_forget(struct http_throttle *t, const char *key, int64_t now)
{
	unsigned char k[32];
	struct throttle_entry *e;

	sha256(key, strlen(key), k);
	pthread_mutex_lock(&t->lock);
	if ((e = find(t, k, now, 0)) != NULL)
		e->last = 0;	/* empty */
	pthread_mutex_unlock(&t->lock);
}

void
http_throttle_fail(struct http_throttle *t, const char *key, int64_t now)
{
	unsigned char k[32];
	struct throttle_entry *e;

	sha256(key, strlen(key), k);
	pthread_mutex_lock(&t->lock);
	e = find(t, k, now, 1);
	e->failures++;
	e->last = now;
	pthread_mutex_unlock(&t->lock);
}
