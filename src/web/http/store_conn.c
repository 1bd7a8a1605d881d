/*
 * web/http/store_conn.c - one store connection per HTTP thread
 *
 * Owns: the connection a handler reaches the database through. A store
 * handle is one connection and is never shared: each HTTP thread opens its
 * own on first use (http_store) and it is closed when the thread exits.
 */
#include <pthread.h>

#include "store/store.h"
#include "http.h"

static pthread_key_t store_key;
static pthread_once_t store_key_once = PTHREAD_ONCE_INIT;

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
http_store(struct web *w)
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
