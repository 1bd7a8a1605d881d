/*
 * web/app.c - the web front's life: defaults, start, stop, per-thread store
 *
 * Owns: struct web as a whole — the configuration it was started with, the
 * compiled page templates, the rate limiter, and one store connection per
 * HTTP thread (a store handle is one connection and is never shared; the
 * thread's connection is opened on first use and closed when it exits),
 * and starting and stopping the purge of unconfirmed signups (purge.c).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "privacy/privacy.h"
#include "store/store.h"
#include "web_impl.h"

static pthread_key_t store_key;
static pthread_once_t store_key_once = PTHREAD_ONCE_INIT;

void
web_config_defaults(struct web_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->listen = "127.0.0.1:8080";
	cfg->base_url = NULL;		/* http://LISTEN, filled by the caller */
	cfg->publication = "newsflash";
	cfg->templates_dir = "templates";
	cfg->signup_burst = 20;
	cfg->signup_rate = 1;
	cfg->confirm_ttl = 7 * 24 * 3600;
	cfg->confirm_interval = 600;
	cfg->threads = 4;
	cfg->max_connections = 4096;
	cfg->max_connections_per_ip = 256;
	cfg->idle_timeout = 15;
	cfg->signup_queue = 4096;
	cfg->db_url = STORE_DEFAULT_URL;
	cfg->alert_shards = 8;
	cfg->purge_after = PRIVACY_PURGE_DAYS * 86400;	/* the privacy page promises seven days */
	cfg->purge_interval = 3600;
	cfg->soft_bounce_limit = 3;
	cfg->signin_delay = 1;
}

static void
close_thread_store(void *s)
{
	store_close(s);
}

static void
make_store_key(void)
{
	pthread_key_create(&store_key, close_thread_store);
}

struct store *
web_store(struct web *w)
{
	struct store *s;

	pthread_once(&store_key_once, make_store_key);
	s = pthread_getspecific(store_key);
	if (s == NULL) {
		if (store_open(w->cfg.db_url, &s) != NF_OK) {
			log_event(LOG_ERROR, "web.store_unavailable", "db", w->cfg.db_url, NULL);
			return NULL;
		}
		pthread_setspecific(store_key, s);
	}
	return s;
}

/* scheme://host[:port] of the base URL: what a browser sends as Origin */
static void
origin_of(const char *base_url, char *out, size_t len)
{
	const char *host = strstr(base_url, "://"), *slash;

	host = host ? host + 3 : base_url;
	slash = strchr(host, '/');
	snprintf(out, len, "%.*s", (int)(slash ? slash - base_url : (long)strlen(base_url)), base_url);
}

struct web *
web_start(const struct web_config *cfg)
{
	struct web *w = xcalloc(1, sizeof(*w));

	w->cfg = *cfg;
	origin_of(cfg->base_url, w->origin, sizeof(w->origin));
	w->signup_limit = ratelimit_new(cfg->signup_burst, cfg->signup_rate, 65536);
	pthread_mutex_init(&w->defer_lock, NULL);
	pthread_cond_init(&w->defer_cond, NULL);
	newsroom_init(w);
	if (pages_load(w) != NF_OK || (w->writer = signup_writer_start(w)) == NULL ||
	    web_listen(w) != NF_OK || web_purge_start(w) != NF_OK) {
		web_stop(w);
		return NULL;
	}
	return w;
}

void
web_stop(struct web *w)
{
	if (w == NULL)
		return;
	web_purge_stop(w);
	web_unlisten(w);
	signup_writer_free(w->writer);	/* after the daemon: no thread can submit now */
	w->writer = NULL;
	newsroom_free(w);
	pages_free(w);
	ratelimit_free(w->signup_limit);
	pthread_mutex_destroy(&w->defer_lock);
	pthread_cond_destroy(&w->defer_cond);
	free(w);
}
