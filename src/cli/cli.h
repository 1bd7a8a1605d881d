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

struct cli_command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

extern const struct cli_command cli_commands[];

void cli_usage(FILE *to);
/* print "newsflash: CMD: message" on stderr and return EXIT_USAGE */
int cli_fail(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* secret.c: load the HMAC key, creating it on first use */
int cli_secret_load(const char *path, struct token_key *key);

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
	{ "templates", CONFIG_STRING, &(s)->templates, "DIR", "Mustache templates (templates)" }, \
	{ "secret-file", CONFIG_STRING, &(s)->secret_file, "FILE", "HMAC key, created on first use (var/secret)" }, \
	{ "dkim-key", CONFIG_LIST, &(s)->dkim_keys, "FILE", "DKIM private key (repeat for a second signature)" }, \
	{ "dkim-domain", CONFIG_LIST, &(s)->dkim_domains, "DOMAIN", "d= of the matching --dkim-key" }, \
	{ "dkim-selector", CONFIG_LIST, &(s)->dkim_selectors, "NAME", "s= of the matching --dkim-key" }

void cli_sender_defaults(struct cli_sender *s);
int cli_sender_build(const char *cmd, struct cli_sender *s, const char *fallback_base_url);
void cli_sender_free(struct cli_sender *s);

/* engine_opts.c: the delivery engine's options (serve, worker) */
#include "deliver/deliver.h"

struct cli_engine {
	const char *db, *transport, *log_level, *log_format;
	long workers, connections, shards, batch, lease, poll_ms, smtp_timeout_ms, retry_base;
};

#define CLI_ENGINE_OPTIONS(e)								\
	{ "db", CONFIG_STRING, &(e)->db, "URL", "sqlite:PATH or postgresql://... (sqlite:var/newsflash.db)" }, \
	{ "transport", CONFIG_STRING, &(e)->transport, "URL", "maildir:PATH, smtp://user:pass@host:port or smtps://... (maildir:var/outbox)" }, \
	{ "workers", CONFIG_INT, &(e)->workers, "N", "delivery engine threads (1)" }, \
	{ "connections", CONFIG_INT, &(e)->connections, "N", "SMTP connections per engine thread (16)" }, \
	{ "shards", CONFIG_INT, &(e)->shards, "N", "shards each alert is split into (8)" }, \
	{ "batch", CONFIG_INT, &(e)->batch, "N", "subscribers per group commit (500)" }, \
	{ "lease", CONFIG_INT, &(e)->lease, "SECONDS", "a dead worker's shard is taken over after (30)" }, \
	{ "poll-ms", CONFIG_INT, &(e)->poll_ms, "MS", "longest sleep before looking for work (1000)" }, \
	{ "retry-base", CONFIG_INT, &(e)->retry_base, "SECONDS", "first retry of a 4xx after, doubling to an hour (60)" }, \
	{ "smtp-timeout-ms", CONFIG_INT, &(e)->smtp_timeout_ms, "MS", "every SMTP timeout (RFC 5321 defaults)" }, \
	{ "log-level", CONFIG_STRING, &(e)->log_level, "LEVEL", "debug, info, warn or error (info)" }, \
	{ "log-format", CONFIG_STRING, &(e)->log_format, "FORMAT", "text or json (text)" }

void cli_engine_defaults(struct cli_engine *e);
int cli_logging(const char *cmd, const struct cli_engine *e);
int cli_engine_config(const char *cmd, const struct cli_engine *e, struct cli_sender *s,
		      struct deliver_config *out);

/* cmd_serve.c: what serve and worker share */
void cli_block_stop_signals(void);
int cli_wait_stop_signal(void);
int cli_check_store(const char *cmd, const char *url);

int cmd_serve(int argc, char **argv);
int cmd_template(int argc, char **argv);
/* cmd_db.c: open --db for a command, saying why on stderr when it fails */
struct store;
int cli_store_open(const char *cmd, const char *url, struct store **out);

int cmd_db(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_subscribers(int argc, char **argv);
int cmd_publish(int argc, char **argv);
int cmd_alerts(int argc, char **argv);
int cmd_alert(int argc, char **argv);
int cmd_apikey(int argc, char **argv);
int cmd_worker(int argc, char **argv);
int cmd_version(int argc, char **argv);
int cmd_help(int argc, char **argv);
int cmd_smtp(int argc, char **argv);
int cmd_address(int argc, char **argv);
int cmd_editor(int argc, char **argv);

#endif
