/*
 * cli/cmd_db.c - newsflash db: the database itself
 *
 * Owns: `newsflash db migrate [--db URL]`, which brings the schema up to
 * date (opening a store does so too; this says what it did), `db backup
 * FILE` (SQLite's online backup, while the service runs), `db restore FILE`
 * and `db verify` (integrity_check and the counts), `db copy --from
 * URL --to URL` (every table to another store, ids kept: SQLite to
 * PostgreSQL and back), and cli_store_open, the one way every command
 * opens --db: only serve, worker, db migrate and db copy's --to create a
 * database; every other command refuses, naming the URL and its origin.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/core.h"
#include "store/store.h"
#include "cli.h"

/* url_shown - the URL with a PostgreSQL password (user:PASSWORD@) left out */
static void
url_shown(const char *url, char *out, size_t len)
{
	const char *auth = strstr(url, "://"), *end, *colon;

	snprintf(out, len, "%s", url);
	if (strncmp(url, "postgres", 8) != 0 || auth == NULL)
		return;
	auth += 3;
	end = auth + strcspn(auth, "/?");
	colon = memchr(auth, ':', (size_t)(end - auth));
	while (end > auth && *end != '@')
		end--;
	if (colon && *end == '@' && colon < end)
		snprintf(out, len, "%.*s:***%s", (int)(colon - url), url, end);
}

/*
 * open_failed - the lines an operator needs when the database is not the
 * one expected: the URL tried, where it came from, and the folder a
 * relative SQLite path is taken from
 */
static void
open_failed(const char *cmd, const char *opt, const char *url, int missing)
{
	char origin[4400], cwd[1024], shown[512];

	if (url == NULL || *url == '\0')
		url = STORE_DEFAULT_URL;
	url_shown(url, shown, sizeof(shown));
	fprintf(stderr, "newsflash: %s: %s %s: %s\n", cmd,
		missing ? "no newsflash database at" : "cannot open the database", shown,
		store_errmsg(NULL));
	fprintf(stderr, "newsflash: %s: the URL came from %s", cmd,
		config_origin(opt, origin, sizeof(origin)));
	if (strncmp(url, "sqlite:", 7) == 0 && url[7] != '/' && getcwd(cwd, sizeof(cwd)))
		fprintf(stderr, ", a path relative to %s", cwd);
	fputc('\n', stderr);
	if (missing)
		fprintf(stderr, "newsflash: %s: nothing was created; name the service's database "
			"(--db, NEWSFLASH_DB or --config FILE) or create one with 'newsflash db migrate'\n", cmd);
}

int
cli_store_open_opt(const char *cmd, const char *opt, const char *url, int create, struct store **out)
{
	int rc = create ? store_open(url, out) : store_open_existing(url, out);

	if (rc == NF_OK)
		return 0;
	open_failed(cmd, opt, url, rc == NF_ERR_NOTFOUND);
	return EXIT_PROBLEM;
}

int
cli_store_open(const char *cmd, const char *url, struct store **out)
{
	return cli_store_open_opt(cmd, "db", url, 0, out);
}

/* verb_usage - the verb's usage and options; 0 after --help, else EXIT_USAGE */
static int
verb_usage(int help, const char *text, const struct config_opt *opts)
{
	FILE *to = help ? stdout : stderr;

	fputs(text, to);
	config_usage(opts, to);
	return help ? 0 : EXIT_USAGE;
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
	if (rc != NF_OK || help || npos > 0)
		return verb_usage(help, "usage: newsflash db migrate [--db URL]\n\n"
				  "Brings the database schema up to date; safe to run again, and from\n"
				  "several processes at once.\n\n", opts);
	if ((rc = cli_store_open_opt("db migrate", "db", db, 1, &s)) != 0)
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

static int
backup(int argc, char **argv)
{
	const char *db = STORE_DEFAULT_URL;
	int help = 0, force = 0, rc, npos = 0;
	const struct config_opt opts[] = {
		{ "db", CONFIG_STRING, &db, "URL", "the SQLite database to back up (" STORE_DEFAULT_URL ")" },
		{ "force", CONFIG_BOOL, &force, NULL, "replace FILE if it exists" },
		{ "help", CONFIG_BOOL, &help, NULL, "show this help" },
		{ 0, 0, 0, 0, 0 }
	};
	char **pos = NULL;
	struct store *s = NULL;

	rc = config_parse(opts, argc - 1, argv + 1, &pos, &npos);
	if (rc != NF_OK || help || npos != 1) {
		free(pos);
		return verb_usage(help, "usage: newsflash db backup FILE [--db URL] [--force]\n\n"
				  "Copies a running SQLite database into FILE (SQLite's online backup: the\n"
				  "service goes on), checks the copy and renames it into place.\n"
				  "For PostgreSQL use pg_dump.\n\n", opts);
	}
	if ((rc = cli_store_open("db backup", db, &s)) == 0) {
		if (store_backup(s, pos[0], force) != NF_OK) {
			fprintf(stderr, "newsflash: db backup: %s\n", store_errmsg(s));
			rc = EXIT_PROBLEM;
		} else {
			printf("backed up %s to %s\n", db, pos[0]);
		}
		store_close(s);
	}
	free(pos);
	return rc;
}

static int
restore(int argc, char **argv)
{
	const char *db = STORE_DEFAULT_URL;
	int help = 0, rc, npos = 0;
	const struct config_opt opts[] = {
		{ "db", CONFIG_STRING, &db, "URL", "the SQLite database to restore into, created if missing (" STORE_DEFAULT_URL ")" },
		{ "help", CONFIG_BOOL, &help, NULL, "show this help" },
		{ 0, 0, 0, 0, 0 }
	};
	char **pos = NULL;
	struct store *s = NULL;
	struct buf report;

	rc = config_parse(opts, argc - 1, argv + 1, &pos, &npos);
	if (rc != NF_OK || help || npos != 1) {
		free(pos);
		return verb_usage(help, "usage: newsflash db restore FILE [--db URL]\n\n"
				  "Checks the backup FILE (integrity_check, a newsflash schema) and copies it\n"
				  "into the database page by page through SQLite, -wal and -shm included.\n"
				  "Stop the service first; put its secret file back beside it. Then prints\n"
				  "what db verify prints. For PostgreSQL use pg_restore.\n\n", opts);
	}
	buf_init(&report, 0);
	if ((rc = cli_store_open_opt("db restore", "db", db, 1, &s)) == 0) {
		if (store_restore(s, pos[0]) != NF_OK || store_verify(s, &report) != NF_OK) {
			fprintf(stderr, "newsflash: db restore: %s\n", store_errmsg(s));
			rc = EXIT_PROBLEM;
		} else {
			printf("restored %s from %s\n%s", db, pos[0], report.data);
		}
		store_close(s);
	}
	buf_free(&report);
	free(pos);
	return rc;
}

static int
verify(int argc, char **argv)
{
	const char *db = STORE_DEFAULT_URL;
	int help = 0, rc, npos = 0;
	const struct config_opt opts[] = {
		{ "db", CONFIG_STRING, &db, "URL", "the SQLite database or backup to check (" STORE_DEFAULT_URL ")" },
		{ "help", CONFIG_BOOL, &help, NULL, "show this help" },
		{ 0, 0, 0, 0, 0 }
	};
	char **pos = NULL;
	struct store *s = NULL;
	struct buf report;

	rc = config_parse(opts, argc - 1, argv + 1, &pos, &npos);
	free(pos);
	if (rc != NF_OK || help || npos != 0)
		return verb_usage(help, "usage: newsflash db verify [--db URL]\n\n"
				  "PRAGMA integrity_check of a SQLite database (or a backup: --db\n"
				  "sqlite:FILE), then its schema version and the counts of subscribers,\n"
				  "confirmed readers, lists, memberships, consent rows, alerts and\n"
				  "suppressions, one \"name value\" a line. Exit 1 when it is not sound.\n\n", opts);
	buf_init(&report, 0);
	if ((rc = cli_store_open("db verify", db, &s)) == 0) {
		if (store_verify(s, &report) != NF_OK) {
			fprintf(stderr, "newsflash: db verify: %s\n", store_errmsg(s));
			rc = EXIT_PROBLEM;
		} else {
			fputs(report.data, stdout);
		}
		store_close(s);
	}
	buf_free(&report);
	return rc;
}

static void
copy_progress(void *arg, const char *table, int64_t rows)
{
	NF_UNUSED(arg);
	printf("%-16s %lld rows\n", table, (long long)rows);
	fflush(stdout);
}

static int
copy(int argc, char **argv)
{
	const char *from = NULL, *to = NULL;
	long batch = 1000;
	int help = 0, rc, npos = 0;
	const struct config_opt opts[] = {
		{ "from", CONFIG_STRING, &from, "URL", "the store to read (sqlite:PATH or postgresql://...)" },
		{ "to", CONFIG_STRING, &to, "URL", "the store to fill: new, or migrated and empty" },
		{ "batch", CONFIG_INT, &batch, "N", "rows read and written at a time (1000)" },
		{ "help", CONFIG_BOOL, &help, NULL, "show this help" },
		{ 0, 0, 0, 0, 0 }
	};
	char **pos = NULL;
	struct store *src = NULL, *dst = NULL;

	rc = config_parse(opts, argc - 1, argv + 1, &pos, &npos);
	free(pos);
	if (rc != NF_OK || help || npos != 0 || !from || !to || batch < 1 || batch > 100000)
		return verb_usage(help, "usage: newsflash db copy --from URL --to URL [--batch N]\n\n"
				  "Copies every table, ids kept, into an empty store: SQLite to PostgreSQL\n"
				  "when one machine is not enough, or back. Stop the service first.\n\n", opts);
	if ((rc = cli_store_open_opt("db copy", "from", from, 0, &src)) != 0)
		return rc;
	if ((rc = cli_store_open_opt("db copy", "to", to, 1, &dst)) != 0) {
		store_close(src);
		return rc;
	}
	if (store_copy(src, dst, (size_t)batch, copy_progress, NULL) != NF_OK) {
		fprintf(stderr, "newsflash: db copy: %s\n",
			store_errmsg(dst)[0] ? store_errmsg(dst) : store_errmsg(src));
		rc = EXIT_PROBLEM;
	}
	store_close(src);
	store_close(dst);
	return rc;
}

static const char db_usage[] =
	"usage: newsflash db migrate [--db URL]\n"
	"       newsflash db backup FILE [--db URL] [--force]\n"
	"       newsflash db restore FILE [--db URL]\n"
	"       newsflash db verify [--db URL]\n"
	"       newsflash db copy --from URL --to URL [--batch N]\n"
	"Run 'newsflash db VERB --help' for a verb's options.\n";

int
cmd_db(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "migrate") == 0)
		return migrate(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "backup") == 0)
		return backup(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "restore") == 0)
		return restore(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "verify") == 0)
		return verify(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "copy") == 0)
		return copy(argc - 1, argv + 1);
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0)) {
		fputs(db_usage, stdout);
		return 0;
	}
	fputs(db_usage, stderr);
	return EXIT_USAGE;
}
