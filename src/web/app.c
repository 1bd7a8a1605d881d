/*
 * web/app.c - the web front's life: defaults, start, stop
 *
 * Owns: struct web as a whole — the configuration it was started with, and
 * the services it holds for the handlers (rate limits, ...).
 */
#include <stdlib.h>

#include "web_impl.h"

void
web_config_defaults(struct web_config *cfg)
{
	cfg->listen = "127.0.0.1:8080";
	cfg->base_url = NULL;		/* http://LISTEN, filled by the caller */
	cfg->publication = "newsflash";
	cfg->templates_dir = "templates";
	cfg->trust_proxy = 0;
	cfg->signup_burst = 20;
	cfg->signup_rate = 1;
	cfg->single_opt_in = 0;
	cfg->confirm_ttl = 7 * 24 * 3600;
	cfg->confirm_interval = 600;
	cfg->threads = 4;
	cfg->max_connections = 4096;
	cfg->max_connections_per_ip = 256;
	cfg->idle_timeout = 15;
}

struct web *
web_start(const struct web_config *cfg)
{
	struct web *w = xcalloc(1, sizeof(*w));

	w->cfg = *cfg;
	w->signup_limit = ratelimit_new(cfg->signup_burst, cfg->signup_rate, 65536);
	if (web_listen(w) != NF_OK) {
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
	web_unlisten(w);
	ratelimit_free(w->signup_limit);
	free(w);
}
