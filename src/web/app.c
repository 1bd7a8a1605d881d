/*
 * web/app.c - the web front's life: defaults, start, stop
 *
 * Owns: putting the wings together. web_start brings up the plumbing
 * (http/), the newsroom's state, the error page, the reader pages' state
 * with the signup writer, then listens with routes.c's table and starts the
 * purge of unconfirmed signups; web_stop undoes it in the order that lets
 * every request in progress finish: stop accepting, end the live progress
 * streams and let the signup writer answer what it holds (MHD must not stop
 * with a connection suspended), wait for those answers, stop the daemon,
 * then free each wing.
 */
#include <stdlib.h>
#include <string.h>

#include "inbound/inbound.h"
#include "privacy/privacy.h"
#include "store/store.h"
#include "web/api/api.h"
#include "web/newsroom/newsroom.h"
#include "web/public/public.h"
#include "app.h"

void
web_config_defaults(struct web_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->listen = WEB_DEFAULT_LISTEN;
	cfg->base_url = NULL;		/* http://LISTEN, filled by the caller */
	cfg->publication = WEB_DEFAULT_PUBLICATION;
	cfg->templates_dir = "templates";
	cfg->signup_burst = 20;
	cfg->signup_rate = 1;
	cfg->confirm_ttl = 7 * 24 * 3600;
	cfg->confirm_interval = 600;
	cfg->confirm_cap = WEB_DEFAULT_CONFIRM_CAP;
	cfg->confirm_window = WEB_DEFAULT_CONFIRM_DAYS * 86400L;
	cfg->threads = 4;
	cfg->max_connections = 4096;
	cfg->max_connections_per_ip = 256;
	cfg->idle_timeout = 15;
	cfg->body_timeout = 30;
	cfg->signup_queue = 4096;
	cfg->db_url = STORE_DEFAULT_URL;
	cfg->alert_shards = STORE_DEFAULT_SHARDS;
	cfg->purge_after = PRIVACY_PURGE_DAYS * 86400;	/* the privacy page promises seven days */
	cfg->purge_interval = 3600;
	cfg->soft_bounce_limit = INBOUND_SOFT_LIMIT;
	cfg->signin_delay = 1;
	cfg->signup_pow = WEB_DEFAULT_SIGNUP_POW;
}

/* stop accepting, let requests in progress finish, then close */
static void
web_unlisten(struct web *w)
{
	if (!http_quiesce(w))
		return;
	newsroom_quiesce(w);	/* MHD must not stop with a connection suspended */
	public_quiesce(w);
	http_unlisten(w);
}

struct web *
web_start(const struct web_config *cfg)
{
	struct web *w = xcalloc(1, sizeof(*w));

	http_init(w, cfg);
	if (newsroom_init(w) != NF_OK || http_pages_load(w) != NF_OK || public_start(w) != NF_OK ||
	    http_listen(w, web_dispatch, web_log_path) != NF_OK || public_purge_start(w) != NF_OK) {
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
	public_purge_stop(w);
	web_unlisten(w);
	public_free(w);
	newsroom_free(w);
	http_pages_free(w);
	http_free(w);
	free(w);
}
