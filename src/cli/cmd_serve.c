/*
 * cli/cmd_serve.c - newsflash serve: the web front and the delivery engine
 *
 * Owns: reading serve's flags, opening what the service needs (secret,
 * storage, transport, templates), starting the HTTP server, and the
 * shutdown on SIGTERM or SIGINT: stop taking requests, let those in
 * progress finish, drain the delivery engine, exit 0.
 * Signals are blocked in every thread and taken with sigwait here, so no
 * handler ever runs in the middle of library code.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "web/web.h"
#include "cli.h"

struct serve_opts {
	struct web_config web;
	const char *secret_file;
	const char *log_level;
	const char *log_format;
	int help;
	char base_url_buf[300];
};

static int
serve_usage(const struct config_opt *opts, FILE *to, int rc)
{
	fprintf(to, "usage: newsflash serve [OPTIONS]\n\n"
		    "Runs the signup pages, the JSON API and the delivery engine.\n\n");
	config_usage(opts, to);
	return rc;
}

static int
setup_logging(const struct serve_opts *o)
{
	enum log_level level;

	if (log_level_parse(o->log_level, &level) != NF_OK)
		return cli_fail("serve", "--log-level must be debug, info, warn or error");
	if (strcmp(o->log_format, "text") && strcmp(o->log_format, "json"))
		return cli_fail("serve", "--log-format must be text or json");
	log_setup(level, strcmp(o->log_format, "json") ? LOG_FORMAT_TEXT : LOG_FORMAT_JSON);
	return 0;
}

static int
wait_for_stop_signal(void)
{
	sigset_t set;
	int sig = 0;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigwait(&set, &sig);
	return sig;
}

static void
block_stop_signals(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);	/* a closed socket is an error return, not a death */
}

int
cmd_serve(int argc, char **argv)
{
	struct serve_opts o;
	double signup_rate;
	long signup_rate_l = 1;
	const struct config_opt opts[] = {
		{ "listen", CONFIG_STRING, &o.web.listen, "HOST:PORT", "where HTTP listens (127.0.0.1:8080)" },
		{ "base-url", CONFIG_STRING, &o.web.base_url, "URL", "public URL for links in emails (http://LISTEN)" },
		{ "publication", CONFIG_STRING, &o.web.publication, "NAME", "the publication's name on pages and emails" },
		{ "templates", CONFIG_STRING, &o.web.templates_dir, "DIR", "Mustache templates (templates)" },
		{ "secret-file", CONFIG_STRING, &o.secret_file, "FILE", "HMAC key, created on first start (var/secret)" },
		{ "trust-proxy", CONFIG_BOOL, &o.web.trust_proxy, NULL, "take the client address from X-Forwarded-For" },
		{ "signup-rate", CONFIG_INT, &signup_rate_l, "N", "signups per second per client after a burst of 20; 0 = no limit" },
		{ "single-opt-in", CONFIG_BOOL, &o.web.single_opt_in, NULL, "signups are active at once, no confirmation email" },
		{ "threads", CONFIG_INT, &o.web.threads, "N", "HTTP worker threads (4)" },
		{ "log-level", CONFIG_STRING, &o.log_level, "LEVEL", "debug, info, warn or error (info)" },
		{ "log-format", CONFIG_STRING, &o.log_format, "FORMAT", "text or json (text)" },
		{ "help", CONFIG_BOOL, &o.help, NULL, "show this help" },
		{ 0, 0, 0, 0, 0 }
	};
	struct web *w;
	char **pos;
	int npos, rc = 0, sig;

	memset(&o, 0, sizeof(o));
	web_config_defaults(&o.web);
	o.secret_file = "var/secret";
	o.log_level = "info";
	o.log_format = "text";
	if (config_parse(opts, argc - 1, argv + 1, &pos, &npos) != NF_OK) {
		free(pos);
		return serve_usage(opts, stderr, EXIT_USAGE);
	}
	free(pos);
	if (o.help)
		return serve_usage(opts, stdout, 0);
	if (npos > 0)
		return cli_fail("serve", "takes no arguments");
	if ((rc = setup_logging(&o)) != 0)
		return rc;
	signup_rate = (double)signup_rate_l;
	o.web.signup_rate = signup_rate;
	if (o.web.base_url == NULL) {
		snprintf(o.base_url_buf, sizeof(o.base_url_buf), "http://%s", o.web.listen);
		o.web.base_url = o.base_url_buf;
	}
	if (cli_secret_load(o.secret_file, &o.web.key) != NF_OK)
		return EXIT_PROBLEM;
	block_stop_signals();
	w = web_start(&o.web);
	if (w == NULL)
		return EXIT_PROBLEM;
	sig = wait_for_stop_signal();
	log_event(LOG_INFO, "serve.stopping", "signal", sig == SIGTERM ? "TERM" : "INT", NULL);
	web_stop(w);
	log_event(LOG_INFO, "serve.stopped", NULL);
	return 0;
}
