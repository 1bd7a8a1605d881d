/*
 * cli/cmd_serve.c - newsflash serve: the web front and the delivery engine
 *
 * Owns: reading serve's flags, opening what the service needs (secret,
 * storage, transport, templates), starting the delivery engine and the
 * HTTP server, and the shutdown on SIGTERM or SIGINT: stop taking requests,
 * let those in progress finish, drain the engine (commit what is in
 * flight), exit 0. Signals are blocked in every thread and taken with
 * sigwait here, so no handler ever runs in the middle of library code.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr/addr.h"
#include "privacy/privacy.h"
#include "store/store.h"
#include "web/web.h"
#include "cli.h"

void
cli_serve_defaults(struct serve_opts *o)
{
	memset(o, 0, sizeof(*o));
	web_config_defaults(&o->web);
	cli_sender_defaults(&o->sender);
	cli_engine_defaults(&o->engine);
	o->signup_rate = (long)o->web.signup_rate;	/* web's own defaults are the one source */
	o->purge_days = o->web.purge_after / 86400;
	o->soft_limit = o->web.soft_bounce_limit;
	o->signup_pow = o->web.signup_pow;
}

/* a decimal count of 1 to 7 digits from p + n; -1 when it is not one */
static long
small_count(const char *p, size_t n)
{
	long v = 0;
	size_t i;

	if (n == 0 || n > 7)
		return -1;
	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	return v;
}

const char *
cli_confirm_cap(const char *v, struct web_config *web)
{
	static const char *const bad = "--confirm-cap: expected N/DAYS, N 1-1000 and DAYS 1-3650 (3/30)";
	const char *slash;
	long n, days;

	if (v == NULL)
		return NULL;	/* the default */
	slash = strchr(v, '/');
	if (slash == NULL)
		return bad;
	n = small_count(v, (size_t)(slash - v));
	days = small_count(slash + 1, strlen(slash + 1));
	if (n < 1 || n > 1000 || days < 1 || days > 3650)
		return bad;
	web->confirm_cap = (int)n;
	web->confirm_window = days * 86400;
	return NULL;
}

const char *
cli_signup_pow(long bits, struct web_config *web)
{
	if (bits < 0 || bits > WEB_SIGNUP_POW_MAX)
		return "--signup-pow: BITS must be 0 (off) to " NF_STR(WEB_SIGNUP_POW_MAX)
		       " (each bit doubles a reader's work; 22 is minutes in a browser)";
	web->signup_pow = (int)bits;
	return NULL;
}

int
cli_embed_origins(const struct config_list *l, struct web_config *web, struct buf *problems)
{
	const char *why;
	size_t i;
	int bad = 0;

	for (i = 0; i < l->count; i++)
		if ((why = web_embed_origin_check(l->items[i])) != NULL) {
			buf_printf(problems, "--embed-origin %.100s: %s\n", l->items[i], why);
			bad = 1;
		}
	web->embed_origins = l->items;
	web->embed_origin_count = l->count;
	return bad;
}

static int
serve_usage(const struct config_opt *opts, FILE *to, int rc)
{
	fprintf(to, "usage: newsflash serve [OPTIONS]\n\n"
		    "Runs the signup pages, the JSON API and the delivery engine.\n\n");
	config_usage(opts, to);
	return rc;
}

void
cli_block_stop_signals(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);	/* a closed socket is an error return, not a death */
}

int
cli_wait_stop_signal(void)
{
	sigset_t set;
	int sig = 0;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigwait(&set, &sig);
	return sig;
}

/* the database is reachable and migrated before anything listens (created if new) */
int
cli_check_store(const char *cmd, const char *url)
{
	struct store *s;
	int rc = cli_store_open_opt(cmd, "db", url, 1, &s);

	store_close(s);
	return rc;
}

/* the metrics token: the first line of its file, 16 to 255 characters */
static int
metrics_token(struct serve_opts *o)
{
	FILE *f;
	size_t n;

	if (o->metrics_token_file == NULL)
		return 0;
	if ((f = fopen(o->metrics_token_file, "r")) == NULL)
		return cli_fail("serve", "cannot read --metrics-token-file %s", o->metrics_token_file);
	if (fgets(o->metrics_token_buf, sizeof(o->metrics_token_buf), f) == NULL)
		o->metrics_token_buf[0] = '\0';
	fclose(f);
	n = strcspn(o->metrics_token_buf, "\r\n");
	o->metrics_token_buf[n] = '\0';
	if (n < 16 || n >= sizeof(o->metrics_token_buf) - 1 ||
	    strspn(o->metrics_token_buf, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/=") != n)
		return cli_fail("serve", "--metrics-token-file: one line of 16-254 token characters is needed");
	o->web.metrics_token = o->metrics_token_buf;
	return 0;
}

static int
serve_run(struct serve_opts *o)
{
	struct deliver_config dc;
	struct deliver *engine = NULL;
	struct web *w;
	int rc, sig;

	if ((rc = metrics_token(o)) != 0)
		return rc;
	if ((rc = cli_sender_build("serve", &o->sender, o->web.base_url)) != 0)
		return rc;
	if ((rc = cli_engine_config("serve", &o->engine, &o->sender, &dc)) != 0)
		return rc;
	if ((rc = cli_check_store("serve", o->engine.db)) != 0)
		return rc;
	dc.confirm_recover = 1;		/* signups are answered here: their confirmations are owed here */
	cli_block_stop_signals();
	if (!o->no_engine && (engine = deliver_start(&dc)) == NULL)
		return EXIT_PROBLEM;
	o->web.key = o->sender.key;
	o->web.db_url = o->engine.db;
	o->web.engine = engine;
	o->web.sender = &o->sender.sender;
	o->web.templates_dir = o->sender.templates;
	o->web.publication = o->sender.publication;
	o->web.signup_rate = (double)o->signup_rate;
	o->web.addr_flags = o->smtputf8 ? ADDR_SMTPUTF8 : 0;
	o->web.alert_shards = (int)o->engine.shards;
	o->web.hook_allow_private = o->engine.hook_allow_private;
	o->web.purge_after = o->purge_days * 86400;
	o->web.soft_bounce_limit = (int)o->soft_limit;
	if ((w = web_start(&o->web)) == NULL) {
		deliver_stop(engine);
		return EXIT_PROBLEM;
	}
	sig = cli_wait_stop_signal();
	log_event(LOG_INFO, "serve.stopping", "signal", sig == SIGTERM ? "TERM" : "INT", NULL);
	web_stop(w);
	deliver_stop(engine);
	log_event(LOG_INFO, "serve.stopped", NULL);
	return 0;
}

int
cmd_serve(int argc, char **argv)
{
	struct serve_opts o;
	const struct config_opt opts[] = {
		CLI_SERVE_OPTIONS(&o),
		{ "help", CONFIG_BOOL, &o.help, NULL, "show this help" },
		{ 0, 0, 0, 0, 0 }
	};
	const char *why;
	struct buf problems;
	char **pos;
	int npos, rc;

	cli_serve_defaults(&o);
	buf_init(&problems, 0);
	/* the service refuses a key it does not know: a typo must not pass unseen */
	if (config_parse_ex(opts, argc - 1, argv + 1, &pos, &npos, CONFIG_STRICT_KEYS, NULL) != NF_OK) {
		free(pos);
		cli_sender_free(&o.sender);
		config_list_free(&o.embed_origins);
		buf_free(&problems);
		return serve_usage(opts, stderr, EXIT_USAGE);
	}
	free(pos);
	if (o.help)
		rc = serve_usage(opts, stdout, 0);
	else if (npos > 0)
		rc = cli_fail("serve", "takes no arguments");
	else if (o.purge_days < 0 || o.web.purge_interval < 1 || o.soft_limit < 1)
		rc = cli_fail("serve", "--purge-unconfirmed-after >= 0, --purge-interval >= 1, --soft-bounce-limit >= 1");
	else if ((why = cli_confirm_cap(o.confirm_cap, &o.web)) != NULL)
		rc = cli_fail("serve", "%s", why);
	else if ((why = cli_signup_pow(o.signup_pow, &o.web)) != NULL)
		rc = cli_fail("serve", "%s", why);
	else if (o.web.trusted_proxies < 0 || o.web.trusted_proxies > 16 || o.web.body_timeout < 0)
		rc = cli_fail("serve", "--trusted-proxies 0-16, --body-timeout >= 0");
	else if (cli_embed_origins(&o.embed_origins, &o.web, &problems))
		rc = cli_fail("serve", "%.*s", (int)(problems.len ? problems.len - 1 : 0), problems.data);
	else if ((rc = cli_logging("serve", &o.engine)) == 0) {
		if (o.sender.base_url == NULL) {
			snprintf(o.base_url_buf, sizeof(o.base_url_buf), "http://%s", o.web.listen);
			o.sender.base_url = o.base_url_buf;
		}
		o.web.base_url = o.sender.base_url;
		rc = serve_run(&o);
	}
	cli_engine_free(&o.engine);
	cli_sender_free(&o.sender);
	memset(o.metrics_token_buf, 0, sizeof(o.metrics_token_buf));
	config_list_free(&o.embed_origins);
	buf_free(&problems);
	return rc;
}
