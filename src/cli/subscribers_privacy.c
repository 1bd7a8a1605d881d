/*
 * cli/subscribers_privacy.c - newsflash subscribers show|erase|purge
 *
 * Owns: the operator's side of a person's rights and of data minimisation.
 *
 *   show EMAIL      everything held on the person, as JSON (privacy/): the
 *                   subscriber row, memberships, the consent ledger, failed
 *                   deliveries, the suppression entry. The same document
 *                   GET /privacy/export/TOKEN gives the person.
 *   erase EMAIL [--forget]
 *                   right to erasure (store_subscriber_erase_as): the
 *                   address and everything that identifies them go; a keyed
 *                   hash stays on the suppression list so the address is
 *                   never mailed again, unless --forget (then only a bounce
 *                   or complaint already there stays, hashed). The ledger
 *                   records that an erasure happened, without the address.
 *   purge [--older-than DAYS] [--max N]
 *                   forget signups left unconfirmed for DAYS (7): no
 *                   suppression, they may sign up again. `newsflash serve`
 *                   runs the same purge every hour by itself.
 *
 * What each does is privacy/'s (privacy_export_text, privacy_erase,
 * privacy_purge, privacy_subject_find: the same rules the preference centre
 * follows); this file reads the arguments and prints. Nothing prints or
 * logs the address back except `show`, whose job that is.
 */
#include <stdlib.h>
#include <string.h>

#include "privacy/privacy.h"
#include "store/store.h"
#include "cli.h"

/* the subscriber with this address, or a message and EXIT_PROBLEM */
static int
find(const char *cmd, struct store *s, const char *email, int64_t *id)
{
	int rc = privacy_subject_find(s, email, id);

	if (rc == NF_OK)
		return 0;
	if (rc == NF_ERR_NOTFOUND)
		fprintf(stderr, "newsflash: subscribers %s: no subscriber has that address\n", cmd);
	else
		fprintf(stderr, "newsflash: subscribers %s: %s\n", cmd, store_errmsg(s));
	return EXIT_PROBLEM;
}

/* options, one EMAIL; *s opened */
static int
open_for(const char *cmd, const struct config_opt *opts, int argc, char **argv,
	 const char *const *db, int *help, char **email, struct store **s)
{
	char **pos = NULL;
	int npos = 0, rc;

	if (config_parse(opts, argc - 1, argv + 1, &pos, &npos) != NF_OK) {
		free(pos);
		return EXIT_USAGE;
	}
	if (*help) {
		printf("usage: newsflash subscribers %s EMAIL [OPTIONS]\n\n", cmd);
		config_usage(opts, stdout);
		free(pos);
		return -1;
	}
	if (npos != 1) {
		free(pos);
		return cli_fail("subscribers", "%s takes one EMAIL", cmd);
	}
	*email = pos[0];
	free(pos);
	/* *db: the option parsing above may have changed it */
	if ((rc = cli_store_open("subscribers", *db, s)) != 0)
		return rc;
	return 0;
}

int
cli_subscribers_show(int argc, char **argv)
{
	const char *db = STORE_DEFAULT_URL;
	int help = 0, rc;
	const struct config_opt opts[] = {
		{ "db", CONFIG_STRING, &db, "URL", "sqlite:PATH or postgresql://..." },
		{ "help", CONFIG_BOOL, &help, NULL, "show this help" },
		{ 0, 0, 0, 0, 0 }
	};
	struct store *s = NULL;
	char *email = NULL, *text = NULL;
	int64_t id = 0;

	if ((rc = open_for("show", opts, argc, argv, &db, &help, &email, &s)) != 0)
		return rc < 0 ? 0 : rc;
	if ((rc = find("show", s, email, &id)) == 0 && privacy_export_text(s, id, &text) != NF_OK) {
		fprintf(stderr, "newsflash: subscribers show: %s\n", store_errmsg(s));
		rc = EXIT_PROBLEM;
	}
	if (text) {
		printf("%s\n", text);
		free(text);
	}
	store_close(s);
	return rc;
}

int
cli_subscribers_erase(int argc, char **argv)
{
	const char *db = STORE_DEFAULT_URL;
	int help = 0, forget = 0, rc;
	const struct config_opt opts[] = {
		{ "db", CONFIG_STRING, &db, "URL", "sqlite:PATH or postgresql://..." },
		{ "forget", CONFIG_BOOL, &forget, NULL,
		  "keep no suppression: the address may sign up again (a bounce or complaint stays)" },
		{ "help", CONFIG_BOOL, &help, NULL, "show this help" },
		{ 0, 0, 0, 0, 0 }
	};
	struct store *s = NULL;
	char *email = NULL;
	int64_t id = 0;

	if ((rc = open_for("erase", opts, argc, argv, &db, &help, &email, &s)) != 0)
		return rc < 0 ? 0 : rc;
	if ((rc = find("erase", s, email, &id)) == 0) {
		if (privacy_erase(s, id, PRIVACY_BY_OPERATOR, !forget) != NF_OK) {
			fprintf(stderr, "newsflash: subscribers erase: %s\n", store_errmsg(s));
			rc = EXIT_PROBLEM;
		} else {
			printf("erased subscriber %lld\n", (long long)id);
		}
	}
	store_close(s);
	return rc;
}

int
cli_subscribers_purge(int argc, char **argv)
{
	const char *db = STORE_DEFAULT_URL;
	long days = PRIVACY_PURGE_DAYS, max = 1000000;
	int help = 0, npos = 0, rc;
	const struct config_opt opts[] = {
		{ "db", CONFIG_STRING, &db, "URL", "sqlite:PATH or postgresql://..." },
		{ "older-than", CONFIG_INT, &days, "DAYS", "unconfirmed for longer than this (7)" },
		{ "max", CONFIG_INT, &max, "N", "purge at most N this run (1000000)" },
		{ "help", CONFIG_BOOL, &help, NULL, "show this help" },
		{ 0, 0, 0, 0, 0 }
	};
	struct store *s = NULL;
	char **pos = NULL;
	int64_t n = 0;

	if (config_parse(opts, argc - 1, argv + 1, &pos, &npos) != NF_OK) {
		free(pos);
		return EXIT_USAGE;
	}
	free(pos);
	if (help) {
		printf("usage: newsflash subscribers purge [OPTIONS]\n\n");
		config_usage(opts, stdout);
		return 0;
	}
	if (npos != 0 || days < 0 || max < 1)
		return cli_fail("subscribers", "purge takes no arguments; --older-than >= 0, --max >= 1");
	if ((rc = cli_store_open("subscribers", db, &s)) != 0)
		return rc;
	if (privacy_purge(s, (int64_t)days * 86400, (size_t)max, &n) != NF_OK) {
		fprintf(stderr, "newsflash: subscribers purge: %s\n", store_errmsg(s));
		rc = EXIT_PROBLEM;
	}
	printf("purged %lld\n", (long long)n);
	store_close(s);
	return rc;
}
