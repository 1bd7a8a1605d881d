/*
 * cli/cli.h - the newsflash command line: subcommands and their table
 *
 * Owns: dispatch from argv to a subcommand. Each subcommand lives in its own
 * file (cmd_NAME.c) and has the signature below: argv[0] is the subcommand's
 * own name. Exit codes: 0 success, 1 the command ran and found a problem
 * (an invalid address, a failed check), 2 usage or input error.
 */
#ifndef NEWSFLASH_CLI_H
#define NEWSFLASH_CLI_H

#include <stdio.h>

#include "core/core.h"

#define EXIT_PROBLEM 1
#define EXIT_USAGE 2

/* the command line's own defaults, each written once */
#define CLI_DEFAULT_SECRET_FILE "var/secret"
#define CLI_DEFAULT_LOG_LEVEL "info"
#define CLI_DEFAULT_LOG_FORMAT "text"

struct cli_command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

extern const struct cli_command cli_commands[];

void cli_usage(FILE *to);
/* exits.c: what cmd's exit statuses mean, after its --help */
void cli_exits_usage(FILE *to, const char *cmd);
/* print "newsflash: CMD: message" on stderr and return EXIT_USAGE */
int cli_fail(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* secret.c: load the HMAC key, creating it on first use */
int cli_secret_load(const char *path, struct token_key *key);
/* the same for a file that must be there already (made by serve), never creating one */
int cli_secret_read(const char *path, struct token_key *key);
/* whether cli_secret_load would work, creating nothing; err says why not */
int cli_secret_check(const char *path, char *err, size_t errlen);

int cmd_dkim(int argc, char **argv);
int cmd_message(int argc, char **argv);
/* sender.c: the options of every command that composes mail */
#include "mail/mail.h"

struct cli_sender {
	const char *from, *base_url, *publication, *templates, *secret_file;
	struct config_list dkim_keys, dkim_domains, dkim_selectors;
	/* filled by cli_sender_build */
	char from_name_buf[256], from_addr_buf[256];
	struct token_key key;
	struct mail_dkim_key *keys[MAIL_KEYS_MAX];
	size_t nkeys;
	struct mail_sender sender;
};

#define CLI_SENDER_OPTIONS(s)								\
	{ "from", CONFIG_STRING, &(s)->from, "ADDR", "From: \"Name <address>\" (Breaking News <alerts@localhost>)" }, \
	{ "base-url", CONFIG_STRING, &(s)->base_url, "URL", "public URL for links in emails (http://LISTEN)" }, \
	{ "publication", CONFIG_STRING, &(s)->publication, "NAME", "the publication's name on pages and emails" }, \
	{ "templates", CONFIG_STRING, &(s)->templates, "DIR", "Mustache templates (" NEWSFLASH_TEMPLATES_DIR \
	  ", else templates/ of the checkout the program was built in)" }, \
	{ "secret-file", CONFIG_STRING, &(s)->secret_file, "FILE", "HMAC key, created on first use (var/secret)" }, \
	{ "templates", CONFIG_STRING, &(s)->templates, "DIR", "Mustache templates (" NEWSFLASH_TEMPLATES_DIR ")" }, \
	{ "secret-file", CONFIG_STRING, &(s)->secret_file, "FILE", "HMAC key, created on first use (" CLI_DEFAULT_SECRET_FILE ")" }, \
	{ "dkim-key", CONFIG_LIST, &(s)->dkim_keys, "FILE", "DKIM private key (repeat for a second signature)" }, \
	{ "dkim-domain", CONFIG_LIST, &(s)->dkim_domains, "DOMAIN", "d= of the matching --dkim-key" }, \
	{ "dkim-selector", CONFIG_LIST, &(s)->dkim_selectors, "NAME", "s= of the matching --dkim-key" }

void cli_sender_defaults(struct cli_sender *s);
int cli_sender_build(const char *cmd, struct cli_sender *s, const char *fallback_base_url);
void cli_sender_free(struct cli_sender *s);
/* every problem with the sender options, one line each into problems (config check) */
void cli_sender_check(const struct cli_sender *s, struct buf *problems);
/*
 * what works but will hurt delivery, one line each into warnings (config
 * check): no base URL, or one on loopback (links nobody elsewhere can
 * follow), an http base URL (no RFC 8058 one-click), a From at localhost
 * (or a name without a dot), a From domain that no DKIM key's d= aligns
 * with (DMARC, RFC 7489 3.1.1 relaxed)
 */
void cli_sender_warn(const struct cli_sender *s, struct buf *warnings);

/*
 * NEWSFLASH_TEMPLATES_DIR, where templates are when --templates is not
 * given: $(DATADIR)/templates, where make install puts them, and
 * NEWSFLASH_CONFIG_FILE, the configuration read when neither --config nor
 * NEWSFLASH_CONFIG names one: $(SYSCONFDIR)/newsflash/newsflash.conf. The
 * Makefile writes them into $(BUILD)/paths.h.
 */
#include "paths.h"

/*
 * templates_dir.c: *dir NULL (not configured) becomes the installed folder,
 * else the checkout's beside the executable; 0, or EXIT_PROBLEM after a line
 * on stderr naming every place tried
 */
int cli_templates_find(const char *cmd, const char **dir);

/* engine_opts.c: logging options, for every command that logs */
struct cli_log {
	const char *level, *format;
};

#define CLI_LOG_OPTIONS(l)								\
	{ "log-level", CONFIG_STRING, &(l)->level, "LEVEL", "debug, info, warn or error (" CLI_DEFAULT_LOG_LEVEL ")" }, \
	{ "log-format", CONFIG_STRING, &(l)->format, "FORMAT", "text or json (" CLI_DEFAULT_LOG_FORMAT ")" }

void cli_log_defaults(struct cli_log *l);
int cli_log_setup(const char *cmd, const struct cli_log *l);

/* engine_opts.c: the delivery engine's options (serve, worker) */
#include "deliver/deliver.h"
#include "smtp/smtp.h"
#include "store/store.h"

struct cli_engine {
	const char *db, *transport, *log_level, *log_format, *smtp_password_file;
	long workers, connections, shards, batch, lease, poll_ms, smtp_timeout_ms, retry_base;
	long hook_threads, hook_retry_base, hook_give_up;
	int hook_allow_private;
	char *transport_buf;		/* the transport with the password file's password in it */
	const char *dns_server;		/* direct delivery: IPv4[:PORT] */
	long direct_port;
	struct config_list routes, shapes;
};

#define CLI_ENGINE_OPTIONS(e)								\
	{ "db", CONFIG_STRING, &(e)->db, "URL", "sqlite:PATH or postgresql://... (" STORE_DEFAULT_URL ")" }, \
	{ "transport", CONFIG_STRING, &(e)->transport, "URL", "maildir:PATH, smtp://user:pass@host:port or smtps://... (" SMTP_DEFAULT_TRANSPORT ")" }, \
	{ "smtp-password-file", CONFIG_STRING, &(e)->smtp_password_file, "FILE", "the relay password for smtp://user@host (its first line; systemd: %d/NAME with LoadCredential)" }, \
	{ "workers", CONFIG_INT, &(e)->workers, "N", "delivery engine threads (1)" }, \
	{ "connections", CONFIG_INT, &(e)->connections, "N", "SMTP connections per engine thread (16)" }, \
	{ "shards", CONFIG_INT, &(e)->shards, "N", "shards each alert is split into (" NF_STR(STORE_DEFAULT_SHARDS) ")" }, \
	{ "batch", CONFIG_INT, &(e)->batch, "N", "subscribers per group commit (500)" }, \
	{ "lease", CONFIG_INT, &(e)->lease, "SECONDS", "a dead process's shards and owed confirmations are taken over after (" NF_STR(DELIVER_DEFAULT_LEASE) ")" }, \
	{ "poll-ms", CONFIG_INT, &(e)->poll_ms, "MS", "longest sleep before looking for work (1000)" }, \
	{ "retry-base", CONFIG_INT, &(e)->retry_base, "SECONDS", "first retry of a 4xx after, doubling to an hour (60)" }, \
	{ "smtp-timeout-ms", CONFIG_INT, &(e)->smtp_timeout_ms, "MS", "every SMTP timeout (RFC 5321 defaults)" }, \
	{ "route", CONFIG_LIST, &(e)->routes, "DOMAINS=URL", "send these domains (comma-separated; .example.com: its subdomains) direct or through a relay: gmail.com,googlemail.com=direct or example.org=smtp://relay:25 (repeatable)" }, \
	{ "shape", CONFIG_LIST, &(e)->shapes, "MATCH LIMITS", "direct delivery's limits per destination: 'default' or an MX host suffix, then connections=N per-connection=N per-minute=N (" NF_STR(SMTP_DIRECT_CONNECTIONS) ", " NF_STR(SMTP_DIRECT_PER_CONN) ", " NF_STR(SMTP_DIRECT_PER_MINUTE) "; 0 per minute: no limit; repeatable)" }, \
	{ "dns-server", CONFIG_STRING, &(e)->dns_server, "IP:PORT", "direct delivery asks this resolver for MX records (the system's)" }, \
	{ "direct-port", CONFIG_INT, &(e)->direct_port, "PORT", "direct delivery connects to the MX hosts on this port (25)" }, \
	{ "webhook-threads", CONFIG_INT, &(e)->hook_threads, "N", "webhook deliverers; 0 = none here (" NF_STR(DELIVER_HOOK_THREADS) ")" }, \
	{ "webhook-retry-base", CONFIG_INT, &(e)->hook_retry_base, "SECONDS", "first retry of a failed webhook after, doubling to an hour (" NF_STR(DELIVER_HOOK_RETRY_BASE) ")" }, \
	{ "webhook-give-up", CONFIG_INT, &(e)->hook_give_up, "SECONDS", "a webhook endpoint failing this long is disabled (" NF_STR(DELIVER_HOOK_GIVE_UP) ")" }, \
	{ "webhook-allow-private", CONFIG_BOOL, &(e)->hook_allow_private, NULL, "webhook endpoints may be loopback or private addresses (tests, internal receivers)" }, \
	{ "log-level", CONFIG_STRING, &(e)->log_level, "LEVEL", "debug, info, warn or error (" CLI_DEFAULT_LOG_LEVEL ")" }, \
	{ "log-format", CONFIG_STRING, &(e)->log_format, "FORMAT", "text or json (" CLI_DEFAULT_LOG_FORMAT ")" }

void cli_engine_defaults(struct cli_engine *e);
int cli_logging(const char *cmd, const struct cli_engine *e);
const char *cli_engine_check(const struct cli_engine *e);
int cli_engine_config(const char *cmd, struct cli_engine *e, struct cli_sender *s,
		      struct deliver_config *out);
/* what cli_engine_config made (the transport with its password, wiped) */
void cli_engine_free(struct cli_engine *e);
void cli_engine_direct(const struct cli_engine *e, struct smtp_direct_options *out);

/* cmd_serve.c: serve's options, which config check reads too */
#include "web/web.h"

struct serve_opts {
	struct web_config web;
	struct cli_sender sender;
	struct cli_engine engine;
	long signup_rate, purge_days, soft_limit, signup_pow;
	const char *confirm_cap;	/* "N/DAYS" */
	struct config_list embed_origins;	/* --embed-origin, each checked by web_embed_origin_check */
	int no_engine, smtputf8, help;
	char base_url_buf[300];
	const char *metrics_token_file;
	char metrics_token_buf[256];
};

#define CLI_SERVE_OPTIONS(o)								\
	{ "listen", CONFIG_STRING, &(o)->web.listen, "HOST:PORT", "where HTTP listens (" WEB_DEFAULT_LISTEN ")" }, \
	CLI_SENDER_OPTIONS(&(o)->sender),						\
	CLI_ENGINE_OPTIONS(&(o)->engine),						\
	{ "trust-proxy", CONFIG_BOOL, &(o)->web.trust_proxy, NULL, "take the client address from X-Forwarded-For: its right-most value (one proxy)" }, \
	{ "trusted-proxies", CONFIG_INT, &(o)->web.trusted_proxies, "N", "N proxies of ours in front: the Nth X-Forwarded-For value from the right (0)" }, \
	{ "body-timeout", CONFIG_INT, &(o)->web.body_timeout, "SECONDS", "a request body must arrive within this; 0 = no bound (30)" }, \
	{ "signup-rate", CONFIG_INT, &(o)->signup_rate, "N", "signups per second per client after a burst of 20; 0 = no limit (1)" }, \
	{ "single-opt-in", CONFIG_BOOL, &(o)->web.single_opt_in, NULL, "signups are active at once, no confirmation email" }, \
	{ "confirm-cap", CONFIG_STRING, &(o)->confirm_cap, "N/DAYS", "confirmation emails to one mailbox (+tags folded) at most, in DAYS (3/30)" }, \
	{ "smtputf8", CONFIG_BOOL, &(o)->smtputf8, NULL, "accept addresses with non-ASCII local parts" }, \
	{ "threads", CONFIG_INT, &(o)->web.threads, "N", "HTTP worker threads (4)" }, \
	{ "signup-queue", CONFIG_INT, &(o)->web.signup_queue, "N", "signups waiting to be written at most; more are answered 503 (4096)" }, \
	{ "no-engine", CONFIG_BOOL, &(o)->no_engine, NULL, "serve HTTP only; newsflash worker processes deliver" }, \
	{ "purge-unconfirmed-after", CONFIG_INT, &(o)->purge_days, "DAYS", "forget signups unconfirmed this long; 0 = never (7)" }, \
	{ "purge-interval", CONFIG_INT, &(o)->web.purge_interval, "SECONDS", "how often to look for them (3600)" }, \
	{ "soft-bounce-limit", CONFIG_INT, &(o)->soft_limit, "N", "POST /api/inbound: soft bounces in a row before suppression (3)" }, \
	{ "signin-delay", CONFIG_INT, &(o)->web.signin_delay, "SECONDS", "newsroom: first wait after repeated failed sign-ins, doubling (1)" }, \
	{ "metrics-token-file", CONFIG_STRING, &(o)->metrics_token_file, "FILE", "GET /metrics wants Authorization: Bearer TOKEN (the file's first line)" }, \
	{ "metrics-listen", CONFIG_STRING, &(o)->web.metrics_listen, "HOST:PORT", "serve /metrics there only, not on --listen" }, \
	{ "embed-origin", CONFIG_LIST, &(o)->embed_origins, "ORIGIN", "a publisher's site (https://www.example.com) whose pages may carry the signup box; repeatable" }, \
	{ "signup-pow", CONFIG_INT, &(o)->signup_pow, "BITS", "signups solve a SHA-256 proof of work of BITS leading zero bits first (1-" NF_STR(WEB_SIGNUP_POW_MAX) "); 0 = off (" NF_STR(WEB_DEFAULT_SIGNUP_POW) ")" }

void cli_serve_defaults(struct serve_opts *o);
/* --confirm-cap N/DAYS into the web config (N 1-1000, DAYS 1-3650); NULL, or what is wrong */
const char *cli_confirm_cap(const char *v, struct web_config *web);
/* --signup-pow BITS into the web config (0 to WEB_SIGNUP_POW_MAX); NULL, or what is wrong */
const char *cli_signup_pow(long bits, struct web_config *web);
/* each --embed-origin into the web config; 0, or 1 with each problem appended to problems */
int cli_embed_origins(const struct config_list *l, struct web_config *web, struct buf *problems);

/* cmd_serve.c: what serve and worker share */
void cli_block_stop_signals(void);
int cli_wait_stop_signal(void);
int cli_check_store(const char *cmd, const char *url);

int cmd_serve(int argc, char **argv);
int cmd_template(int argc, char **argv);
/*
 * cmd_db.c: open --db for a command, saying why on stderr when it fails: a
 * database that is not there is not created (only serve, worker and db
 * migrate make one)
 */
struct store;
int cli_store_open(const char *cmd, const char *url, struct store **out);
/* the same for option opt (its origin is named on failure); create: serve, worker, db migrate */
int cli_store_open_opt(const char *cmd, const char *opt, const char *url, int create,
		       struct store **out);

int cmd_db(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_subscribers(int argc, char **argv);
int cmd_publish(int argc, char **argv);
/*
 * db_option.c: --db and --help for cmd; *pos (the caller frees) holds the
 * other arguments. 0 to go on, -1 after printing the help, else the exit
 * status of a usage error.
 */
int cli_db_option(const char *cmd, const char *usage, int argc, char **argv, const char **db,
		  char ***pos, int *npos);
int cmd_lists(int argc, char **argv);
int cmd_alerts(int argc, char **argv);
int cmd_alert(int argc, char **argv);
int cmd_apikey(int argc, char **argv);
int cmd_webhook(int argc, char **argv);
int cmd_worker(int argc, char **argv);
int cmd_version(int argc, char **argv);
int cmd_help(int argc, char **argv);
int cmd_smtp(int argc, char **argv);
int cmd_address(int argc, char **argv);
int cmd_editor(int argc, char **argv);
int cmd_inbound(int argc, char **argv);
/* subscribers_privacy.c: subscribers show|erase|purge */
int cli_subscribers_show(int argc, char **argv);
int cli_subscribers_erase(int argc, char **argv);
int cli_subscribers_purge(int argc, char **argv);
int cmd_config(int argc, char **argv);
int cmd_embed(int argc, char **argv);

#endif
