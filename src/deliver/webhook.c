/*
 * deliver/webhook.c - the webhook deliverers: the outbox to the endpoints
 *
 * Owns: the threads (DELIVER_HOOK_THREADS per process, serve's and every
 * worker's) that take events out of the outbox. Each thread has its own
 * store connection and libcurl handle. It claims one endpoint under a
 * lease (store_hook_claim: one process, one thread at a time per
 * endpoint, as shards are claimed), posts its waiting events oldest first,
 * moves the cursor after each 2xx, and on the first failure records it
 * with the next attempt backed off (hook_retry_base doubling, at most
 * DELIVER_HOOK_RETRY_MAX) and lets the endpoint go: so an endpoint's events
 * arrive in order, at least once, and a slow or dead endpoint holds one
 * thread for at most one timeout before the others get it back. An
 * endpoint failing for hook_give_up seconds is disabled (a log line says
 * so; `webhook list` shows it; `webhook replay` enables it again). One
 * thread also forgets, hourly, events older than DELIVER_HOOK_KEEP that
 * every enabled endpoint has.
 *
 * A process killed in the middle loses nothing: its lease expires and
 * the endpoint's next deliverer sends again from the cursor, so the event
 * in flight may arrive twice, with the same webhook-id.
 *
 * Never in the fan-out's way: these threads have their own connections and
 * the engine never waits for them.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "deliver.h"

#define HOOK_BATCH 100			/* events read per query */
#define HOOK_PRUNE_EVERY 3600		/* seconds between two prunings */

struct hook_thread {
	struct deliver_hooks *hs;
	pthread_t tid;
	int index;
	char owner[160];
	struct store *store;
	struct deliver_hook_client *client;
	int64_t warned_at;
};

struct deliver_hooks {
	struct deliver_config cfg;
	int64_t lease;			/* seconds an endpoint is held: longer than a request */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int stopping;
	int n;
	struct hook_thread *threads;
};

static int
hooks_stopping(struct deliver_hooks *hs)
{
	int v;

	pthread_mutex_lock(&hs->lock);
	v = hs->stopping;
	pthread_mutex_unlock(&hs->lock);
	return v;
}

/* sleep ms, or until stopped */
static void
hooks_sleep(struct deliver_hooks *hs, int64_t ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += (time_t)(ms / 1000);
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&hs->lock);
	if (!hs->stopping)
		pthread_cond_timedwait(&hs->cond, &hs->lock, &ts);
	pthread_mutex_unlock(&hs->lock);
}

/* a failed store call, logged at most once a minute per thread */
static void
store_warn(struct hook_thread *t, const char *what)
{
	int64_t now = (int64_t)time(NULL);

	if (now - t->warned_at < 60)
		return;
	t->warned_at = now;
	log_event(LOG_WARN, "webhook.store_error", "call", what, "reason", store_errmsg(t->store),
		  NULL);
}

/* the wait before the attempt after `attempts` failures in a row */
static int64_t
hook_backoff(const struct deliver_config *cfg, int64_t attempts)
{
	int64_t wait = cfg->hook_retry_base > 0 ? cfg->hook_retry_base : DELIVER_HOOK_RETRY_BASE;

	while (--attempts > 0 && wait < DELIVER_HOOK_RETRY_MAX)
		wait *= 2;
	return wait < DELIVER_HOOK_RETRY_MAX ? wait : DELIVER_HOOK_RETRY_MAX;
}

static void
hook_failed(struct hook_thread *t, const struct store_hook *h, const struct deliver_hook_result *res)
{
	const struct deliver_config *cfg = &t->hs->cfg;
	int64_t now = (int64_t)time(NULL), next = now + hook_backoff(cfg, h->attempts + 1);
	char id[24], status[24], failing[24];
	int disabled = 0;

	snprintf(id, sizeof(id), "%lld", (long long)h->id);
	snprintf(status, sizeof(status), "%ld", res->status);
	if (store_hook_failed(t->store, h->id, t->owner, res->status, res->error, now, next,
			      cfg->hook_give_up > 0 ? cfg->hook_give_up : DELIVER_HOOK_GIVE_UP,
			      &disabled) != NF_OK) {
		store_warn(t, "store_hook_failed");
		return;
	}
	snprintf(failing, sizeof(failing), "%lld",
		 (long long)(now - (h->failing_since ? h->failing_since : now)));
	if (disabled)
		log_event(LOG_WARN, "webhook.disabled", "endpoint", id, "failing_secs", failing,
			  "reason", res->error, NULL);
	else
		log_event(LOG_INFO, "webhook.retry", "endpoint", id, "status", status,
			  "reason", res->error, NULL);
}

/*
 * hook_work - post h's waiting events in order until none is left, one
 * fails, the lease is lost or half of it is spent (then someone, maybe this
 * thread, claims the endpoint again)
 */
static void
hook_work(struct hook_thread *t, struct store_hook *h)
{
	struct store_hook_event **evs = NULL;
	struct deliver_hook_result res;
	int64_t started = (int64_t)time(NULL);
	struct buf body, id;
	size_t n = 0, i;
	int rc, going = 1;

	buf_init(&body, 0);
	buf_init(&id, 0);
	while (going && !hooks_stopping(t->hs)) {
		if (store_hook_next(t->store, h, HOOK_BATCH, &evs, &n) != NF_OK) {
			store_warn(t, "store_hook_next");
			break;
		}
		if (n == 0)
			break;
		for (i = 0; i < n && going; i++) {
			buf_reset(&body);
			buf_reset(&id);
			deliver_hook_payload(evs[i], &body);
			buf_printf(&id, "msg_%lld", (long long)evs[i]->id);
			rc = deliver_hook_post(t->client, h->url, h->secret, id.data, body.data,
					       body.len, &res);
			if (rc != NF_OK) {
				hook_failed(t, h, &res);
				going = 0;
				h = NULL;	/* the lease went back with the failure */
				break;
			}
			if (store_hook_delivered(t->store, h->id, t->owner, evs[i]->id, res.status,
						 0, t->hs->lease) != NF_OK) {
				store_warn(t, "store_hook_delivered");	/* lease lost */
				going = 0;
				break;
			}
			h->cursor = evs[i]->id;
			if ((int64_t)time(NULL) - started > t->hs->lease / 2 ||
			    hooks_stopping(t->hs))
				going = 0;
		}
		store_hook_events_free(evs, n);
		evs = NULL;
	}
	if (h && store_hook_release(t->store, h->id, t->owner) != NF_OK)
		store_warn(t, "store_hook_release");
	buf_free(&body);
	buf_free(&id);
}

static void
hook_prune(struct hook_thread *t)
{
	int64_t n = 0;
	char count[24];

	if (store_hook_prune(t->store, (int64_t)time(NULL) - DELIVER_HOOK_KEEP, &n) != NF_OK) {
		store_warn(t, "store_hook_prune");
		return;
	}
	if (n > 0) {
		snprintf(count, sizeof(count), "%lld", (long long)n);
		log_event(LOG_INFO, "webhook.pruned", "events", count, NULL);
	}
}

static void *
hook_main(void *arg)
{
	struct hook_thread *t = arg;
	struct deliver_hooks *hs = t->hs;
	struct store_hook *h = NULL;
	int64_t pruned = 0, poll = hs->cfg.poll_ms > 0 ? hs->cfg.poll_ms : 1000;
	int rc;

	while (!hooks_stopping(hs)) {
		if (t->index == 0 && (int64_t)time(NULL) - pruned >= HOOK_PRUNE_EVERY) {
			hook_prune(t);
			pruned = (int64_t)time(NULL);
		}
		rc = store_hook_claim(t->store, t->owner, 0, hs->lease, &h);
		if (rc == NF_OK) {
			hook_work(t, h);
			store_hook_free(h);
			h = NULL;
			continue;
		}
		if (rc != NF_ERR_NOTFOUND)
			store_warn(t, "store_hook_claim");
		hooks_sleep(hs, poll);
	}
	return NULL;
}

static void
hooks_free(struct deliver_hooks *hs)
{
	int i;

	for (i = 0; i < hs->n; i++) {
		store_close(hs->threads[i].store);
		deliver_hook_client_free(hs->threads[i].client);
	}
	free(hs->threads);
	pthread_mutex_destroy(&hs->lock);
	pthread_cond_destroy(&hs->cond);
	free(hs);
}

struct deliver_hooks *
deliver_hooks_start(const struct deliver_config *cfg)
{
	struct deliver_hooks *hs;
	int i;

	if (cfg->hook_threads <= 0)
		return NULL;
	hs = xcalloc(1, sizeof(*hs));
	hs->cfg = *cfg;
	/* a lease shorter than a request would let a second deliverer post the same event */
	hs->lease = cfg->lease_secs > DELIVER_HOOK_LEASE_MIN ? cfg->lease_secs : DELIVER_HOOK_LEASE_MIN;
	pthread_mutex_init(&hs->lock, NULL);
	pthread_cond_init(&hs->cond, NULL);
	hs->threads = xcalloc((size_t)cfg->hook_threads, sizeof(*hs->threads));
	for (i = 0; i < cfg->hook_threads; i++, hs->n++) {
		struct hook_thread *t = &hs->threads[i];

		t->hs = hs;
		t->index = i;
		snprintf(t->owner, sizeof(t->owner), "%s/webhook-%d", cfg->owner ? cfg->owner : "?", i);
		if (store_open(cfg->db_url, &t->store) != NF_OK) {
			log_error("webhooks: cannot open the store %s", cfg->db_url);
			hooks_free(hs);
			return NULL;
		}
		t->client = deliver_hook_client_new(cfg->hook_allow_private, DELIVER_HOOK_TIMEOUT_MS);
	}
	for (i = 0; i < hs->n; i++)
		pthread_create(&hs->threads[i].tid, NULL, hook_main, &hs->threads[i]);
	return hs;
}

void
deliver_hooks_stop(struct deliver_hooks *hs)
{
	int i;

	if (hs == NULL)
		return;
	pthread_mutex_lock(&hs->lock);
	hs->stopping = 1;
	pthread_cond_broadcast(&hs->cond);
	pthread_mutex_unlock(&hs->lock);
	for (i = 0; i < hs->n; i++)
		pthread_join(hs->threads[i].tid, NULL);
	hooks_free(hs);
}
