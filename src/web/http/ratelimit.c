/*
 * web/http/ratelimit.c - per-client token buckets
 *
 * Owns: deciding whether a client may sign up now. Each client address (an
 * IPv6 one by its /64, client_addr.c: the interface half is the client's
 * own to rotate) has a bucket of `burst` tokens refilled at `per_second`; a request takes one.
 * The table is bounded (max_clients): when full, the bucket that was idle
 * longest is reused, so a flood of spoofed sources costs memory only up to
 * the bound (and an evicted client merely starts again with a full bucket).
 * One mutex: the work under it is a hash probe and some arithmetic.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"

#define CLIENT_KEY_MAX 64
#define PROBE_LIMIT 16

struct bucket {
	char key[CLIENT_KEY_MAX];
	double tokens;
	int64_t last_us;
};

struct http_ratelimit {
	pthread_mutex_t lock;
	double burst, rate;
	size_t size;
	struct bucket *table;
};

struct http_ratelimit *
http_ratelimit_new(double burst, double per_second, size_t max_clients)
{
	struct http_ratelimit *rl = xcalloc(1, sizeof(*rl));

	pthread_mutex_init(&rl->lock, NULL);
	rl->burst = burst;
	rl->rate = per_second;
	rl->size = max_clients ? max_clients : 65536;
	rl->table = xcalloc(rl->size, sizeof(*rl->table));
	return rl;
}

static uint64_t
hash_key(const char *s)
{
	uint64_t h = 1469598103934665603ULL;	/* FNV-1a */

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

/* find the client's bucket, or the stalest slot among PROBE_LIMIT to reuse */
static struct bucket *
find_bucket(struct http_ratelimit *rl, const char *client, int64_t now_us)
{
	size_t i, at = (size_t)(hash_key(client) % rl->size);
	struct bucket *b, *stalest = &rl->table[at];

	for (i = 0; i < PROBE_LIMIT && i < rl->size; i++) {
		b = &rl->table[(at + i) % rl->size];
		if (strcmp(b->key, client) == 0)
			return b;
		if (b->last_us < stalest->last_us)
			stalest = b;
	}
	snprintf(stalest->key, sizeof(stalest->key), "%s", client);
	stalest->tokens = rl->burst;
	stalest->last_us = now_us;
	return stalest;
}

int
http_ratelimit_take(struct http_ratelimit *rl, const char *client, int64_t now_us)
{
	char key[HTTP_IP_MAX];
	struct bucket *b;
	int allowed;

	if (rl == NULL || rl->rate <= 0)
		return 1;
	http_client_key(client, key);
	pthread_mutex_lock(&rl->lock);
	b = find_bucket(rl, key, now_us);
	b->tokens += (double)(now_us - b->last_us) / 1e6 * rl->rate;
	if (b->tokens > rl->burst)
		b->tokens = rl->burst;
	b->last_us = now_us;
	allowed = b->tokens >= 1.0;
	if (allowed)
		b->tokens -= 1.0;
	pthread_mutex_unlock(&rl->lock);
	return allowed;
}

void
http_ratelimit_free(struct http_ratelimit *rl)
{
	if (rl == NULL)
		return;
	pthread_mutex_destroy(&rl->lock);
	free(rl->table);
	free(rl);
}
