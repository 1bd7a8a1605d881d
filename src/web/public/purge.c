/*
 * web/public/purge.c - forgetting unconfirmed signups while the service runs
 *
 * Owns: one thread that, every purge_interval seconds (and once at start),
 * forgets the signups nobody confirmed within purge_after seconds (7 days
 * by default, as the privacy page says) through privacy_purge,
 * on a store connection of its own. `newsflash subscribers purge` does the
 * same by hand, for deployments that run `serve --no-engine` behind cron or
 * want another schedule. With purge_after 0 no thread starts. Stopping
 * wakes the thread at once (a condition variable, not a sleep).
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "privacy/privacy.h"
#include "store/store.h"
#include "public.h"

struct public_purge {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	int stop;
	long after, interval;
	const char *db_url;
};

static void
purge_once(struct public_purge *p)
{
	struct store *s = NULL;
	char n_text[24];
	int64_t n = 0;

	if (store_open(p->db_url, &s) != NF_OK) {
		log_event(LOG_WARN, "purge.store_unavailable", NULL);
		return;
	}
	if (privacy_purge(s, p->after, 100000, &n) != NF_OK)
		log_event(LOG_WARN, "purge.failed", "reason", store_errmsg(s), NULL);
	else if (n > 0) {
		snprintf(n_text, sizeof(n_text), "%lld", (long long)n);
		log_event(LOG_INFO, "purge.unconfirmed", "forgotten", n_text, NULL);
	}
	store_close(s);
}

static void *
purge_main(void *arg)
{
	struct public_purge *p = arg;
	struct timespec until;

	pthread_mutex_lock(&p->lock);
	while (!p->stop) {
		pthread_mutex_unlock(&p->lock);
		purge_once(p);
		pthread_mutex_lock(&p->lock);
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += p->interval;
		while (!p->stop && pthread_cond_timedwait(&p->wake, &p->lock, &until) != ETIMEDOUT)
			;
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

int
public_purge_start(struct web *w)
{
	struct public_purge *p;

	if (w->cfg.purge_after <= 0)
		return NF_OK;
	p = xcalloc(1, sizeof(*p));
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->wake, NULL);
	p->after = w->cfg.purge_after;
	p->interval = w->cfg.purge_interval > 0 ? w->cfg.purge_interval : 3600;
	p->db_url = w->cfg.db_url;
	if (pthread_create(&p->thread, NULL, purge_main, p) != 0) {
		log_error("cannot start the purge thread");
		pthread_cond_destroy(&p->wake);
		pthread_mutex_destroy(&p->lock);
		free(p);
		return NF_ERR;
	}
	w->pub->purge = p;
	return NF_OK;
}

void
public_purge_stop(struct web *w)
{
	struct public_purge *p = w->pub ? w->pub->purge : NULL;

	if (p == NULL)
		return;
	pthread_mutex_lock(&p->lock);
	p->stop = 1;
	pthread_cond_signal(&p->wake);
	pthread_mutex_unlock(&p->lock);
	pthread_join(p->thread, NULL);
	pthread_cond_destroy(&p->wake);
	pthread_mutex_destroy(&p->lock);
	free(p);
	w->pub->purge = NULL;
}
