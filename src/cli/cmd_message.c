/*
 * cli/cmd_message.c - newsflash message compose: the exact message a subscriber gets
 *
 * Owns: previewing an alert as the fan-out would send it to one address,
 * for operators and for tests. It goes through the same path as the
 * engine (mail_alert_prepare, then mail_alert_compose) and writes the
 * message to stdout byte for byte, CRLF line ends included. --dkim-key,
 * --dkim-domain and --dkim-selector may be given several times; the nth of
 * each belong together, and every key signs (RSA and Ed25519: both).
 * --date, --alert-id, --subscriber-id and --salt pin what is otherwise
 * taken from the clock and the store, so the output can be reproduced.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/core.h"
#include "mail/mail.h"
#include "news/news.h"
#include "cli.h"

#define ARTICLE_FILE_MAX NEWS_JSON_MAX

struct compose_opts {
	const char *article, *to, *from, *base_url, *publication, *secret_file;
	const char *templates, *date, *salt, *list_label;
	long alert_id, subscriber_id;
	struct config_list keys, domains, selectors;
	struct cli_log log;
	int help;
};

static int
compose_usage(const struct config_opt *opts, FILE *to, int rc)
{
	fprintf(to, "usage: newsflash message compose --article STORY.json --to ADDRESS\n"
		    "         [--dkim-key KEY --dkim-domain D --dkim-selector S]... [OPTIONS]\n\n"
		    "Prints the alert exactly as that subscriber would get it.\n\n");
	config_usage(opts, to);
	return rc;
}

static int
read_file(const char *path, struct buf *out)
{
	char chunk[8192];
	size_t got;
	FILE *f = fopen(path, "rb");
	int rc = NF_OK;

	if (f == NULL)
		return NF_ERR_IO;
	while (rc == NF_OK && (got = fread(chunk, 1, sizeof(chunk), f)) > 0)
		rc = buf_append(out, chunk, got);
	if (rc == NF_OK && ferror(f))
		rc = NF_ERR_IO;
	fclose(f);
	return rc;
}

/* "Name <addr>" or "addr": the two halves, into name and addr (copies) */
static int
split_from(const char *from, char **name, char **addr)
{
	const char *lt = strrchr(from, '<'), *gt = lt ? strchr(lt, '>') : NULL;
	size_t n;

	if (lt == NULL) {
		*name = xstrdup("");
		*addr = xstrdup(from);
		return NF_OK;
	}
	if (gt == NULL || gt[1] != '\0')
		return NF_ERR_INVALID;
	for (n = (size_t)(lt - from); n && from[n - 1] == ' '; n--)
		;
	*name = xmemdup0(from, n);
	if (n >= 2 && (*name)[0] == '"' && (*name)[n - 1] == '"') {
		memmove(*name, *name + 1, n - 2);
		(*name)[n - 2] = '\0';
	}
	*addr = xmemdup0(lt + 1, (size_t)(gt - lt - 1));
	return NF_OK;
}

static int
load_keys(const struct compose_opts *o, struct mail_dkim_key **keys)
{
	size_t i;

	if (o->keys.count != o->domains.count || o->keys.count != o->selectors.count)
		return cli_fail("message", "give --dkim-key, --dkim-domain and --dkim-selector "
					   "the same number of times");
	if (o->keys.count > MAIL_KEYS_MAX)
		return cli_fail("message", "at most %d DKIM keys", MAIL_KEYS_MAX);
	for (i = 0; i < o->keys.count; i++) {
		int rc = mail_dkim_key_load(o->keys.items[i], o->domains.items[i],
					    o->selectors.items[i], &keys[i]);

		if (rc != NF_OK)
			return cli_fail("message", "cannot use DKIM key %s: %s", o->keys.items[i],
					rc == NF_ERR_IO ? "cannot read it" :
					"not an RSA (1024 bits or more) or Ed25519 private key, "
					"or a bad domain or selector");
	}
	return 0;
}

static int
parse_opts(struct compose_opts *o, int argc, char **argv)
{
	const struct config_opt opts[] = {
		{ "article", CONFIG_STRING, &o->article, "STORY.json", "the article (JSON)" },
		{ "to", CONFIG_STRING, &o->to, "ADDRESS", "the subscriber's address" },
		{ "dkim-key", CONFIG_LIST, &o->keys, "KEYFILE", "a DKIM private key (repeatable)" },
		{ "dkim-domain", CONFIG_LIST, &o->domains, "D", "its d= (repeatable)" },
		{ "dkim-selector", CONFIG_LIST, &o->selectors, "S", "its s= (repeatable)" },
		{ "from", CONFIG_STRING, &o->from, "\"NAME <ADDR>\"", "the sender" },
		{ "base-url", CONFIG_STRING, &o->base_url, "URL", "where links point" },
		{ "publication", CONFIG_STRING, &o->publication, "NAME", "the publication's name" },
		{ "list-label", CONFIG_STRING, &o->list_label, "LABEL", "List-Id is <LABEL.DOMAIN>" },
		{ "secret-file", CONFIG_STRING, &o->secret_file, "FILE", "HMAC key for tokens" },
		{ "templates", CONFIG_STRING, &o->templates, "DIR", "the Mustache templates" },
		{ "date", CONFIG_STRING, &o->date, "RFC3339", "the Date (default: now)" },
		{ "alert-id", CONFIG_INT, &o->alert_id, "N", "the alert's id" },
		{ "subscriber-id", CONFIG_INT, &o->subscriber_id, "N", "the subscriber's id" },
		{ "salt", CONFIG_STRING, &o->salt, "SALT", "the subscriber's token salt" },
		CLI_LOG_OPTIONS(&o->log),
		{ "help", CONFIG_BOOL, &o->help, NULL, "show this help" },
		{ 0, 0, 0, 0, 0 },
	};
	char **pos = NULL;
	int npos, rc;

	rc = config_parse(opts, argc - 1, argv + 1, &pos, &npos);
	free(pos);
	if (rc != NF_OK)
		return compose_usage(opts, stderr, EXIT_USAGE);
	if (o->help)
		return compose_usage(opts, stdout, -1);
	if (npos || !o->article || !o->to)
		return cli_fail("message", "compose needs --article and --to");
	return cli_log_setup("message", &o->log);
}

static int
compose(int argc, char **argv)
{
	struct compose_opts o = {
		.from = "Breaking News <breaking@example.com>", .base_url = "http://" WEB_DEFAULT_LISTEN,
		.publication = WEB_DEFAULT_PUBLICATION, .secret_file = CLI_DEFAULT_SECRET_FILE, .templates = NULL,
		.salt = "preview", .alert_id = 1, .subscriber_id = 1,
		.log = { CLI_DEFAULT_LOG_LEVEL, CLI_DEFAULT_LOG_FORMAT },
	};
	struct mail_dkim_key *keys[MAIL_KEYS_MAX] = { 0 };
	struct news_article article = { 0 };
	struct news_errors errs = { .count = 0 };
	struct mail_alert *alert = NULL;
	struct mail_content content;
	json_t *ctx = NULL;
	struct token_key secret;
	struct mail_sender s;
	struct buf json, out;
	char *from_name = NULL, *from_addr = NULL;
	time_t date = time(NULL);
	int rc, i;
	size_t k;

	buf_init(&json, ARTICLE_FILE_MAX);
	buf_init(&out, 0);
	rc = parse_opts(&o, argc, argv);
	if (rc)
		goto out;
	rc = EXIT_USAGE;
	if (o.date && time_rfc3339_parse(o.date, strlen(o.date), &date) != NF_OK) {
		cli_fail("message", "--date must be an RFC 3339 time such as 2026-11-29T03:10:00Z");
		goto out;
	}
	if (split_from(o.from, &from_name, &from_addr) != NF_OK) {
		cli_fail("message", "--from must be ADDRESS or \"NAME <ADDRESS>\"");
		goto out;
	}
	if ((rc = load_keys(&o, keys)) != 0)
		goto out;
	rc = EXIT_USAGE;
	if (read_file(o.article, &json) != NF_OK) {
		cli_fail("message", "cannot read %s", o.article);
		goto out;
	}
	if (news_article_parse(json.data, json.len, &article, &errs) != NF_OK) {
		for (i = 0; i < errs.count; i++)
			fprintf(stderr, "newsflash: message: %s: %s\n", errs.items[i].field,
				errs.items[i].message);
		goto out;
	}
	if (cli_secret_load(o.secret_file, &secret) != NF_OK ||
	    cli_templates_find("message", &o.templates) != 0) {
		rc = EXIT_PROBLEM;
		goto out;
	}
	s = (struct mail_sender){
		.from_name = from_name, .from_addr = from_addr, .base_url = o.base_url,
		.publication = o.publication, .list_label = o.list_label,
		.templates_dir = o.templates, .secret = &secret, .keys = keys, .nkeys = o.keys.count,
	};
	ctx = news_article_context(&article);
	content = (struct mail_content){ article.headline, ctx };
	if (mail_alert_prepare(&s, &content, (uint64_t)o.alert_id, date, &alert) != NF_OK) {
		cli_fail("message", "cannot prepare the alert: check --from, --base-url, "
				    "--publication and the templates in %s", o.templates);
		goto out;
	}
	{
		struct mail_subscriber sub = { (uint64_t)o.subscriber_id, o.to, o.salt };

		if (mail_alert_compose(alert, &sub, &out) != NF_OK) {
			cli_fail("message", "cannot compose for %s: not a plain ASCII address", o.to);
			goto out;
		}
	}
	rc = fwrite(out.data, 1, out.len, stdout) == out.len && fflush(stdout) == 0 ? 0 : EXIT_PROBLEM;
out:
	if (rc < 0)
		rc = 0;		/* --help */
	mail_alert_free(alert);
	json_decref(ctx);
	news_article_free(&article);
	for (k = 0; k < MAIL_KEYS_MAX; k++)
		mail_dkim_key_free(keys[k]);
	config_list_free(&o.keys);
	config_list_free(&o.domains);
	config_list_free(&o.selectors);
	free(from_name);
	free(from_addr);
	buf_free(&json);
	buf_free(&out);
	return rc;
}

int
cmd_message(int argc, char **argv)
{
	int help = argc >= 2 && !strcmp(argv[1], "--help");

	if (argc >= 2 && strcmp(argv[1], "compose") == 0)
		return compose(argc - 1, argv + 1);
	fprintf(help ? stdout : stderr, "usage: newsflash message compose --article STORY.json "
					"--to ADDRESS [OPTIONS]\n");
	return help ? 0 : EXIT_USAGE;
}
