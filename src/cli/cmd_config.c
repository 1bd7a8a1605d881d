/*
 * cli/cmd_config.c - newsflash config check: is this configuration usable?
 *
 * Owns: reading serve's options from every source (flags, NEWSFLASH_*
 * variables, the --config file) exactly as serve would, then trying each
 * thing serve would need without starting anything or creating anything:
 * the values parse, the numbers are in range, the listen address, the DKIM
 * keys and the templates load, the database answers (store_probe), the
 * transport URL parses, the secret is readable or can be made. Every
 * problem is printed, one a line, with where it came from (FILE:LINE for
 * the file); exit 0 when there is none, 1 when there is any, 2 for a
 * command line that is not even a check. Warnings (cli_sender_warn,
 * warn_transport) come first and do not change the exit status: what serve
 * would run with, but what never reaches a reader (a Maildir transport, a
 * From at localhost, links to loopback) or what receivers will hold against
 * the mail. A problem or warning about an option the file set carries the
 * file's FILE:LINE.
 *
 * Problems never echo a URL: --db and --transport may carry passwords.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "smtp/smtp.h"
#include "store/store.h"
#include "cli.h"

static void
check_logging(const struct cli_engine *e, struct buf *problems)
{
	enum log_level level;

	if (log_level_parse(e->log_level, &level) != NF_OK)
		buf_puts(problems, "--log-level: must be debug, info, warn or error\n");
	if (strcmp(e->log_format, "text") && strcmp(e->log_format, "json"))
		buf_puts(problems, "--log-format: must be text or json\n");
}

/* maildir:PATH needs a folder it can make; smtp:// and smtps:// must parse */
static void
check_transport(const char *url, struct buf *problems)
{
	struct smtp_relay_url *relays = NULL;
	size_t n = 0;
	char err[256];

	if (strncmp(url, "maildir:", 8) == 0) {
		struct stat st;
		char *dir = xstrdup(url + 8), *slash;

		while (stat(dir, &st) != 0 && (slash = strrchr(dir, '/')) != NULL && slash != dir)
			*slash = '\0';
		if (stat(dir, &st) != 0)
			memcpy(dir, ".", 2);
		if (access(dir, W_OK) != 0)
			buf_printf(problems, "--transport: the Maildir cannot be written (%s)\n", dir);
		free(dir);
		return;
	}
	if (smtp_url_parse(url, &relays, &n, err, sizeof(err)) != NF_OK) {
		buf_printf(problems, "--transport: %s\n", err);
		return;
	}
	smtp_url_free(relays, n);
}

/* direct delivery: the routes, shapes and resolver, by opening the transport (no mail is sent) */
static void
check_direct(const struct cli_engine *e, struct buf *problems)
{
	struct smtp_transport *t = NULL;
	struct smtp_options opt;
	char err[256];

	smtp_options_init(&opt);
	cli_engine_direct(e, &opt.direct);
	if (smtp_transport_open(&t, e->transport, &opt, err, sizeof(err)) != NF_OK)
		buf_printf(problems, "--transport direct: %s\n", err);
	smtp_transport_free(t);
}

/* what direct delivery needs in DNS, which no relay provides any more */
static void
warn_direct(const struct cli_engine *e, struct buf *warnings)
{
	if (strcmp(e->transport, "direct") != 0 && e->routes.count == 0)
		return;
	buf_puts(warnings, "direct delivery: the address mail leaves from needs a PTR record naming a "
			   "host that resolves back to it (the EHLO name), the bounce domain's SPF record must "
			   "include it, and port 25 outbound must be open (docs/operations.md)\n");
}

static void
check_serve(struct serve_opts *o, struct buf *problems)
{
	struct sockaddr_storage ss;
	const char *why;
	char err[1024];

	check_logging(&o->engine, problems);
	if ((why = cli_engine_check(&o->engine)) != NULL)
		buf_printf(problems, "%s\n", why);
	if (o->web.threads < 1 || o->web.threads > 1024)
		buf_puts(problems, "--threads: must be 1 to 1024\n");
	if (o->web.signup_queue < 1 || o->web.signup_queue > 1000000)
		buf_puts(problems, "--signup-queue: must be 1 to 1000000\n");
	if (o->signup_rate < 0)
		buf_puts(problems, "--signup-rate: must be 0 or more\n");
	if ((why = cli_confirm_cap(o->confirm_cap, &o->web)) != NULL)
		buf_printf(problems, "%s\n", why);
	if ((why = cli_signup_pow(o->signup_pow, &o->web)) != NULL)
		buf_printf(problems, "%s\n", why);
	cli_embed_origins(&o->embed_origins, &o->web, problems);
	if (web_listen_parse(o->web.listen, &ss) != NF_OK)
		buf_puts(problems, "--listen: expected HOST:PORT with an IP address ([::1]:8080 for IPv6)\n");
	cli_sender_check(&o->sender, problems);
	if (store_probe(o->engine.db, err, sizeof(err)) != NF_OK) {
		char *c;

		for (c = err; *c; c++)	/* libpq's messages run over lines */
			if (*c == '\n' || *c == '\t')
				*c = ' ';
		buf_printf(problems, "--db: %s\n", err);
	}
	if (strcmp(o->engine.transport, "direct") == 0 || o->engine.routes.count > 0)
		check_direct(&o->engine, problems);
	else
		check_transport(o->engine.transport, problems);
}

/* what serve would run with but never deliver: mail that stays on this machine */
static void
warn_transport(const char *url, struct buf *warnings)
{
	if (strncmp(url, "maildir:", 8) == 0)
		buf_puts(warnings, "--transport: is a Maildir: no mail leaves this machine (a relay: "
			 "transport = smtp://127.0.0.1:25?tls=none)\n");
}

/*
 * print_lines - each line of text after label; a line about an option
 * ("--NAME: ...") that the file set gets the file's FILE:LINE in front
 */
static int
print_lines(const char *label, const char *text)
{
	const char *p, *nl, *where;
	char name[64];
	size_t n;
	int count = 0;

	for (p = text; p && *p; p = nl + 1) {
		nl = strchr(p, '\n');
		where = NULL;
		n = strcspn(p + 2, ":\n");
		if (p[0] == '-' && p[1] == '-' && n < sizeof(name)) {
			memcpy(name, p + 2, n);
			name[n] = '\0';
			where = config_where(name);
			if (where && (where[0] == '-' || strncmp(where, "NEWSFLASH_", 10) == 0))
				where = NULL;
		}
		printf("%s: %s%s%.*s\n", label, where ? where : "", where ? ": " : "", (int)(nl - p), p);
		count++;
	}
	return count;
}

static int
check_usage(const struct config_opt *opts, FILE *to, int rc)
{
	fprintf(to, "usage: newsflash config check [--config FILE] [serve's options]\n\n"
		    "Reads the configuration as 'newsflash serve' would (flags, then NEWSFLASH_*\n"
		    "variables, then the file) and reports every problem at once: unknown keys\n"
		    "and bad values with their line numbers, keys, templates, the database,\n"
		    "the transport and the secret that cannot be used. Warnings, which do not\n"
		    "change the exit status, name what works but never reaches a reader or\n"
		    "hurts delivery: a Maildir --transport, a --from at localhost, a --base-url\n"
		    "that is unset, on loopback or http (no one-click unsubscribe), a --from\n"
		    "whose domain no --dkim-domain aligns with (DMARC fails). Exit 0 when all\n"
		    "is well, 1 when anything is not.\n\n");
	config_usage(opts, to);
	return rc;
}

static int
check(int argc, char **argv)
{
	struct serve_opts o;
	const struct config_opt opts[] = {
		CLI_SERVE_OPTIONS(&o),
		{ "help", CONFIG_BOOL, &o.help, NULL, "show this help" },
		{ 0, 0, 0, 0, 0 }
	};
	struct buf problems, warnings;
	char **pos = NULL;
	int npos = 0, count = 0, rc;

	cli_serve_defaults(&o);
	buf_init(&problems, 0);
	buf_init(&warnings, 0);
	config_parse_ex(opts, argc - 1, argv + 1, &pos, &npos,
			CONFIG_KEEP_GOING | CONFIG_STRICT_KEYS, &problems);
	free(pos);
	if (o.help) {
		rc = check_usage(opts, stdout, 0);
		goto out;
	}
	if (npos > 0)
		buf_puts(&problems, "config check: takes no arguments\n");
	check_serve(&o, &problems);
	cli_sender_warn(&o.sender, &warnings);
	warn_direct(&o.engine, &warnings);
	warn_transport(o.engine.transport, &warnings);
	print_lines("warning", warnings.data);
	count = print_lines("problem", problems.data);
	if (count)
		printf("%d problem%s\n", count, count == 1 ? "" : "s");
	else
		printf("ok%s%s\n", config_file_used() ? ": " : "",
		       config_file_used() ? config_file_used() : "");
	rc = count ? EXIT_PROBLEM : 0;
out:
	buf_free(&problems);
	buf_free(&warnings);
	cli_sender_free(&o.sender);
	config_list_free(&o.embed_origins);
	config_list_free(&o.engine.routes);
	config_list_free(&o.engine.shapes);
	return rc;
}

int
cmd_config(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "check") == 0)
		return check(argc - 1, argv + 1);
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0)) {
		printf("usage: newsflash config check [--config FILE] [serve's options]\n"
		       "Run 'newsflash config check --help' for the options.\n");
		return 0;
	}
	return cli_fail("config", "expected a subcommand: check");
}
