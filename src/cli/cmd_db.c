/*
 * cli/cmd_db.c - newsflash db: the database itself
 *
 * Owns: `newsflash db migrate [--db URL]`, which brings the schema up to
 * date (opening a store does so too; this says what it did), and
 * cli_store_open, the one way every command opens --db.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "store/store.h"
#include "cli.h"

int
cli_store_open(const char *cmd, const char *url, struct store **out)
{
	if (store_open(url, out) == NF_OK)
		return 0;
	fprintf(stderr, "newsflash: %s: cannot open the database %s: %s\n", cmd,
		url && *url ? url : STORE_DEFAULT_URL, store_errmsg(NULL));
	return EXIT_PROBLEM;
}

static int
migrate(int argc, char **argv)
{
	const char *db = STORE_DEFAULT_URL;
	int help = 0, version = 0, applied = 0, rc, npos = 0;
	const struct config_opt opts[] = {
		{ "db", CONFIG_STRING, &db, "URL", "sqlite:PATH or postgresql://... (" STORE_DEFAULT_URL ")" },
		{ "help", CONFIG_BOOL, &help, NULL, "show this help" },
		{ 0, 0, 0, 0, 0 }
	};
	char **pos = NULL, about[512];
	struct store *s = NULL;

	rc = config_parse(opts, argc - 1, argv + 1, &pos, &npos);
	free(pos);
	if (rc != NF_OK || help || npos > 0) {
		fprintf(help ? stdout : stderr, "usage: newsflash db migrate [--db URL]\n\n"
			"Brings the database schema up to date; safe to run again, and from\n"
			"several processes at once.\n\n");
		config_usage(opts, help ? stdout : stderr);
		return help ? 0 : EXIT_USAGE;
	}
	if ((rc = cli_store_open("db migrate", db, &s)) != 0)
		return rc;
	if (store_migrate(s, &version, &applied) != NF_OK) {
		fprintf(stderr, "newsflash: db migrate: %s\n", store_errmsg(s));
		store_close(s);
		return EXIT_PROBLEM;
	}
	store_describe(s, about, sizeof(about));
	printf("%s\nschema version %d (%d migration%s applied now)\n", about, version, applied,
	       applied == 1 ? "" : "s");
	store_close(s);
	return 0;
}

int
cmd_db(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "migrate") == 0)
		return migrate(argc - 1, argv + 1);
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0)) {
		printf("usage: newsflash db migrate [--db URL]\n");
		return 0;
	}
	fprintf(stderr, "usage: newsflash db migrate [--db URL]\n");
	return EXIT_USAGE;
}
