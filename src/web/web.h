/*
 * web/web.h - the HTTP front: signup pages, confirmation, the JSON API
 *
 * Owns: everything a browser, a mail client's one-click unsubscribe, a
 * relay's bounce webhook or an API client talks to. Starts a libmicrohttpd server whose handlers run on
 * its own thread pool; they reach storage, templates and the delivery
 * engine only through the services given at start.
 */
#ifndef NEWSFLASH_WEB_H
#define NEWSFLASH_WEB_H

#include "core/core.h"

#define WEB_DEFAULT_LISTEN "127.0.0.1:8080"
#define WEB_DEFAULT_PUBLICATION "newsflash"
#define WEB_DEFAULT_CONFIRM_CAP 3		/* confirmation mails per mailbox ... */
#define WEB_DEFAULT_CONFIRM_DAYS 30		/* ... in this many days */
#define WEB_DEFAULT_SIGNUP_POW 0		/* no proof of work asked of signups */
#define WEB_SIGNUP_POW_MAX 22			/* bits: 2^22 hashes, minutes in a browser: more outlasts a challenge */

struct deliver;
struct mail_sender;

struct web_config {
	const char *listen;		/* host:port, default WEB_DEFAULT_LISTEN */
	const char *base_url;		/* for links in emails and Origin checks */
	const char *publication;	/* the name shown on pages and in mail */
	const char *templates_dir;
	int trust_proxy;		/* client address from X-Forwarded-For */
	long trusted_proxies;		/* hops of our own proxies in front (1 with trust_proxy) */
	double signup_burst;		/* per-IP token bucket on signups */
	double signup_rate;		/* per second; 0 turns the limit off */
	int single_opt_in;		/* a signup is active at once */
	long confirm_ttl;		/* seconds a confirmation link lives */
	long confirm_interval;		/* seconds between confirmation mails to one address */
	int confirm_cap;		/* confirmation mails to one mailbox (+tags folded) at most ... */
	long confirm_window;		/* ... in this many seconds (3 in 30 days) */
	long threads;
	long max_connections;
	long max_connections_per_ip;
	long idle_timeout;		/* seconds */
	long body_timeout;		/* seconds a request body may take to arrive; 0 = no bound */
	long signup_queue;		/* signups waiting for the writer at most; then 503 (4096) */
	struct token_key key;		/* the server secret */
	/* services */
	const char *db_url;		/* each HTTP thread opens its own connection */
	struct deliver *engine;		/* confirmations go through its priority lane */
	const struct mail_sender *sender;	/* how confirmations are composed */
	unsigned addr_flags;		/* ADDR_SMTPUTF8, ADDR_CHECK_MX */
	int alert_shards;		/* shards per alert published through the API */
	int hook_allow_private;		/* webhook tests may reach loopback and private addresses */
	/* leaving and privacy */
	long purge_after;		/* seconds before an unconfirmed signup is forgotten; 0 = never */
	long purge_interval;		/* seconds between purges (3600) */
	int soft_bounce_limit;		/* POST /api/inbound: soft bounces in a row before suppression */
	long signin_delay;		/* newsroom: the first wait after failed sign-ins, seconds */
	const char *metrics_token;	/* GET /metrics wants "Authorization: Bearer" this; NULL = open */
	const char *metrics_listen;	/* host:port of its own for /metrics (then not on listen) */
	/* publishers' sites allowed to put the signup box on their pages (scheme://host[:port]) */
	const char *const *embed_origins;
	size_t embed_origin_count;
	int signup_pow;			/* leading zero bits a signup's proof of work needs; 0 = none asked */
};

struct web;

/* defaults for every field above but key */
void web_config_defaults(struct web_config *cfg);

/*
 * web_start - load the templates, start listening; NULL (and a log line)
 * when it cannot: a bad template, an address in use. web_stop stops taking
 * requests and waits for those in progress to finish.
 */
struct web *web_start(const struct web_config *cfg);
void web_stop(struct web *w);

/* an --embed-origin value: scheme://host[:port], http or https, nothing after; NULL or what is wrong */
const char *web_embed_origin_check(const char *origin);

/*
 * The signup box on publishers' pages (public/embed.c): the script
 * TEMPLATES/embed.js with the version its URL carries and its Subresource
 * Integrity value, and the HTML to paste, rendered from
 * TEMPLATES/embed-snippet.html.mustache.
 */
#define WEB_EMBED_VERSION_MAX 20
#define WEB_EMBED_SRI_MAX 64
struct buf;
int web_embed_script(const char *templates_dir, struct buf *js, char version[WEB_EMBED_VERSION_MAX],
		     char integrity[WEB_EMBED_SRI_MAX]);
struct web_embed_in {
	const char *templates_dir;
	const char *base_url;		/* newsflash's, without a trailing / */
	const char *publication;
	const char *list;		/* the list signups join, NULL for breaking-news */
};
int web_embed_snippet(const struct web_embed_in *in, struct buf *out);

/* "host:port" (IPv4, or [IPv6]:port) as --listen takes it; NF_ERR_INVALID else */
struct sockaddr_storage;
int web_listen_parse(const char *listen, struct sockaddr_storage *ss);

#endif
