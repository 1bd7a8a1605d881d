/*
 * cli/cmd_subscribers.c - newsflash subscribers import|export|count|show|erase|purge
 *
 * Owns: the operator's tools for the subscriber table.
 *
 *   import FILE.csv --list LIST --consent-source TEXT [--pending] [--batch N] [--jobs N]
 *       Columns: email, then optional name and marketing (yes/no, true/false,
 *       1/0, y/n or empty); a first row starting "email" is a header. Every
 *       address goes through addr_check; a bad row is reported on stderr with
 *       its line number and skipped. Imported subscribers are confirmed, with
 *       the consent source in the ledger, or pending with --pending (the
 *       confirmation mail is the delivery engine's, not this command's).
 *       The import commits every --batch rows (default 50000): a kill -9
 *       loses at most the batch in progress, and running the same command
 *       again skips what is there (duplicates) and imports the rest.
 *       --jobs N batches are stored at once, each on its own connection
 *       (default 2 on PostgreSQL, where the server's per-row key checks
 *       are the cost and a second server process takes a share; SQLite has
 *       one writer, so 1). Batches are still whole transactions, and their
 *       results are reported in file order.
 *       A confirmed reader stored already but not on LIST is added to it (a
 *       membership and a consent row with the source); anyone else stored
 *       already (on LIST, or unsubscribed: never re-added) is a duplicate.
 *       Ends with "imported N, added N, skipped N, duplicates N". Exit 0 when nothing
 *       was skipped, 1 when rows were skipped or the database failed, 2 for
 *       usage errors or an unreadable file.
 *   export [--format csv|json] [--recipients LIST | --alert ID]
 *       email, status, created_at, lists, one subscriber at a time (pages of
 *       2000 by id, so memory stays flat); --recipients streams only who an
 *       alert to LIST would reach, --alert who alert ID's lists reach now
 *       (each person once), the way the delivery engine reads them.
 *   count [--list LIST] [--status STATUS]   the number alone
 *   show, erase, purge                       a person's data (subscribers_privacy.c)
 *
 * Every command takes --db URL (NEWSFLASH_DB), default STORE_DEFAULT_URL.
 */
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr/addr.h"
#include "core/core.h"
#include "store/store.h"
#include "cli.h"

#define IMPORT_BATCH_DEFAULT 50000
#define IMPORT_BATCH_MAX 100000
#define IMPORT_JOBS_MAX 8
#define IMPORT_JOBS_PG 2
#define EXPORT_PAGE 2000
#define NAME_MAX_BYTES 256

static int
sub_usage(FILE *to, int rc)
{
	fprintf(to,
		"usage: newsflash subscribers import FILE.csv --list LIST --consent-source TEXT\n"
		"                                    [--pending] [--batch N] [--jobs N] [--db URL]\n"
		"       newsflash subscribers export [--format csv|json] [--recipients LIST] [--db URL]\n"
		"       newsflash subscribers count [--list LIST] [--status STATUS] [--db URL]\n"
		"       newsflash subscribers show EMAIL [--db URL]\n"
		"       newsflash subscribers erase EMAIL [--forget] [--db URL]\n"
		"       newsflash subscribers purge [--older-than DAYS] [--max N] [--db URL]\n\n"
		"import: CSV columns email, then optional name and marketing (yes/no).\n"
		"Imported subscribers are confirmed with the consent source recorded,\n"
		"or pending with --pending. Bad rows are reported with their line\n"
		"numbers and skipped. Re-running an interrupted import completes it.\n"
		"Confirmed readers stored already are added to LIST (\"added\"); readers\n"
		"on it already, or who left, are duplicates and left alone.\n");
	return rc;
}

/* parse options after the verb; help and bad flags print the usage */
static int
parse(const struct config_opt *opts, int argc, char **argv, char ***pos, int *npos, int *help)
{
	if (config_parse(opts, argc - 1, argv + 1, pos, npos) != NF_OK)
		return sub_usage(stderr, EXIT_USAGE);
	if (*help) {
		sub_usage(stdout, 0);
		config_usage(opts, stdout);
		return -1;
	}
	return 0;
}

/* ---- import ---- */

/* one batch being filled or stored, on a connection of its own */
struct import_slot {
	struct import_job *j;
	struct store *s;
	struct store_import_row *rows;
	size_t n;
	struct arena *mem;
	pthread_t thread;
	int sent, running, rc;	/* sent: handed to the store, not yet collected */
};

struct import_job {
	const char *file;
	struct store_import imp;
	struct import_slot slot[IMPORT_JOBS_MAX];
	size_t jobs, cur;	/* slots in use; the one being filled */
	size_t max;
	long imported, added, skipped, duplicates;
	int header_checked;
};

/* outside text, made safe for one line on a terminal */
static void
print_safe(FILE *to, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len && i < 80; i++)
		fputc((unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i], to);
	if (len > 80)
		fputs("...", to);
}

static void
bad_row(struct import_job *j, long line, const char *why, const char *value, size_t len)
{
	fprintf(stderr, "newsflash: subscribers import: %s: line %ld: %s", j->file, line, why);
	if (value) {
		fputs(": \"", stderr);
		print_safe(stderr, value, len);
		fputc('"', stderr);
	}
	fputc('\n', stderr);
	j->skipped++;
}

/* the marketing column: empty means no */
static int
parse_marketing(const char *v, size_t len, int *on)
{
	static const char *const yes[] = { "yes", "y", "true", "1" };
	static const char *const no[] = { "no", "n", "false", "0", "" };
	size_t i;

	for (i = 0; i < NF_ARRAY_LEN(yes); i++)
		if (len == strlen(yes[i]) && strncasecmp(v, yes[i], len) == 0) {
			*on = 1;
			return NF_OK;
		}
	for (i = 0; i < NF_ARRAY_LEN(no); i++)
		if (len == strlen(no[i]) && strncasecmp(v, no[i], len) == 0) {
			*on = 0;
			return NF_OK;
		}
	return NF_ERR_INVALID;
}

static void *
slot_run(void *arg)
{
	struct import_slot *sl = arg;

	sl->rc = store_import_batch(sl->s, &sl->j->imp, sl->rows, sl->n);
	return NULL;
}

/* wait for the slot's batch, if any, and count and report its rows */
static int
collect(struct import_job *j, struct import_slot *sl)
{
	size_t i;
	int rc = 0;

	if (sl->running)
		pthread_join(sl->thread, NULL);
	sl->running = 0;
	if (!sl->sent) {
		sl->n = 0;	/* rows read after a failed batch: never stored */
		return 0;
	}
	sl->sent = 0;
	if (sl->rc != NF_OK) {
		fprintf(stderr, "newsflash: subscribers import: %s: the batch ending at line %ld "
			"was not stored: %s\n", j->file, sl->rows[sl->n - 1].line, store_errmsg(sl->s));
		rc = EXIT_PROBLEM;
	}
	for (i = 0; i < sl->n && rc == 0; i++) {
		if (sl->rows[i].outcome == STORE_IMPORTED)
			j->imported++;
		else if (sl->rows[i].outcome == STORE_ADDED)
			j->added++;
		else if (sl->rows[i].outcome == STORE_DUPLICATE)
			j->duplicates++;
		else
			bad_row(j, sl->rows[i].line, "the address is on the suppression list", NULL, 0);
	}
	sl->n = 0;
	arena_free(sl->mem);
	sl->mem = arena_new(0);
	return rc;
}

/*
 * Store the batch being filled (in a thread when there are several slots)
 * and move on to the next slot, once its previous batch is done: batches
 * are collected in the order of the file.
 */
static int
flush(struct import_job *j)
{
	struct import_slot *sl = &j->slot[j->cur];

	if (sl->n == 0)
		return 0;
	sl->sent = 1;
	if (j->jobs == 1) {
		sl->rc = store_import_batch(sl->s, &j->imp, sl->rows, sl->n);
	} else if (pthread_create(&sl->thread, NULL, slot_run, sl) == 0) {
		sl->running = 1;
	} else {
		sl->rc = store_import_batch(sl->s, &j->imp, sl->rows, sl->n);
	}
	j->cur = (j->cur + 1) % j->jobs;
	return collect(j, &j->slot[j->cur]);
}

/* the batches still out, oldest first; the first failure is the answer */
static int
collect_all(struct import_job *j)
{
	size_t i;
	int rc = 0, r;

	for (i = 0; i < j->jobs; i++)
		if ((r = collect(j, &j->slot[(j->cur + i) % j->jobs])) != 0 && rc == 0)
			rc = r;
	return rc;
}

/* a header row names the first column "email" */
static int
is_header(const struct csv_record *r)
{
	return r->len[0] == 5 && strncasecmp(r->field[0], "email", 5) == 0;
}

static int
add_record(struct import_job *j, const struct csv_record *r)
{
	struct import_slot *sl = &j->slot[j->cur];
	struct store_import_row *row;
	struct addr_result a;
	int marketing = 0;

	if (!j->header_checked) {
		j->header_checked = 1;
		if (is_header(r))
			return 0;
	}
	if (r->nfields == 1 && r->len[0] == 0)
		return 0;	/* an empty line */
	if (r->nfields > 3)
		return bad_row(j, r->line, "more than 3 columns (email, name, marketing)", NULL, 0), 0;
	if (r->nfields > 2 && parse_marketing(r->field[2], r->len[2], &marketing) != NF_OK)
		return bad_row(j, r->line, "marketing must be yes or no", r->field[2], r->len[2]), 0;
	if (r->nfields > 1 && r->len[1] > NAME_MAX_BYTES)
		return bad_row(j, r->line, "the name is too long", NULL, 0), 0;
	/* no hints: a bad row is reported by its code, and nobody reads a hint */
	if (addr_check(r->field[0], r->len[0], ADDR_SMTPUTF8 | ADDR_NO_SUGGEST, &a) != 0 ||
	    !a.valid) {
		char why[160];

		snprintf(why, sizeof(why), "invalid address (%s)", a.code ? a.code : "?");
		return bad_row(j, r->line, why, r->field[0], r->len[0]), 0;
	}
	row = &sl->rows[sl->n++];
	row->email = arena_strdup(sl->mem, a.normalized);
	row->email_key = arena_strdup(sl->mem, a.key);
	row->email_display = arena_strdup(sl->mem, a.display);
	row->name = r->nfields > 1 && r->len[1] ? arena_strndup(sl->mem, r->field[1], r->len[1]) : NULL;
	row->marketing = marketing;
	row->line = r->line;
	return sl->n == j->max ? flush(j) : 0;
}

static int
import_stream(struct import_job *j, FILE *f)
{
	struct csv_reader rd;
	int rc = 0, r;

	csv_reader_init(&rd, f);
	while (rc == 0 && (r = csv_read(&rd)) != CSV_END) {
		if (r == CSV_RECORD)
			rc = add_record(j, &rd.rec);
		else if (r == CSV_BAD || r == CSV_TOO_LONG)
			bad_row(j, rd.rec.line, rd.rec.error ? rd.rec.error : "malformed CSV", NULL, 0);
		else {
			fprintf(stderr, "newsflash: subscribers import: %s: read error\n", j->file);
			rc = EXIT_USAGE;
		}
	}
	if (rc == 0)
		rc = flush(j);
	if ((r = collect_all(j)) != 0 && rc == 0)
		rc = r;
	csv_reader_free(&rd);
	return rc;
}

/* the slots' connections (the first is open already) and buffers */
static int
open_slots(struct import_job *j, const char *db)
{
	size_t i;
	int rc;

	for (i = 0; i < j->jobs; i++) {
		j->slot[i].j = j;
		if (i > 0 && (rc = cli_store_open("subscribers import", db, &j->slot[i].s)) != 0)
			return rc;
		j->slot[i].rows = xcalloc(j->max, sizeof(*j->slot[i].rows));
		j->slot[i].mem = arena_new(0);
	}
	return 0;
}

static void
close_slots(struct import_job *j)
{
	size_t i;

	for (i = 0; i < IMPORT_JOBS_MAX; i++) {
		free(j->slot[i].rows);
		arena_free(j->slot[i].mem);
		store_close(j->slot[i].s);
	}
}

static int
import_run(struct import_job *j, const char *db, const char *list, long jobs)
{
	FILE *f = strcmp(j->file, "-") == 0 ? stdin : fopen(j->file, "rb");
	int rc;

	if (f == NULL)
		return cli_fail("subscribers import", "cannot read %s", j->file);
	if ((rc = cli_store_open("subscribers import", db, &j->slot[0].s)) != 0)
		goto out;
	if ((rc = store_list_ensure(j->slot[0].s, list, &j->imp.list_id)) != NF_OK) {
		fprintf(stderr, "newsflash: subscribers import: --list %s: %s\n", list,
			store_errmsg(j->slot[0].s));
		rc = rc == NF_ERR_INVALID ? EXIT_USAGE : EXIT_PROBLEM;
		goto out;
	}
	/* SQLite has one writer: a second connection would only wait */
	if (jobs == 0)
		jobs = strcmp(store_backend(j->slot[0].s), "postgresql") == 0 ? IMPORT_JOBS_PG : 1;
	j->jobs = (size_t)jobs;
	if ((rc = open_slots(j, db)) != 0)
		goto out;
	rc = import_stream(j, f);
	printf("imported %ld, added %ld, skipped %ld, duplicates %ld\n", j->imported, j->added,
	       j->skipped, j->duplicates);
	if (rc == 0 && j->skipped > 0)
		rc = EXIT_PROBLEM;
out:
	if (f != stdin)
		fclose(f);
	close_slots(j);
	return rc;
}

static int
import(int argc, char **argv)
{
	const char *db = STORE_DEFAULT_URL, *list = NULL, *source = NULL;
	long batch = IMPORT_BATCH_DEFAULT, jobs = 0;
	int pending = 0, help = 0, npos = 0, rc;
	struct cli_log log = { CLI_DEFAULT_LOG_LEVEL, CLI_DEFAULT_LOG_FORMAT };
	const struct config_opt opts[] = {
		{ "db", CONFIG_STRING, &db, "URL", "sqlite:PATH or postgresql://..." },
		{ "list", CONFIG_STRING, &list, "LIST", "the list to add everyone to" },
		{ "consent-source", CONFIG_STRING, &source, "TEXT",
		  "where these people gave consent (kept in the ledger)" },
		{ "pending", CONFIG_BOOL, &pending, NULL, "import as pending, to be confirmed" },
		{ "batch", CONFIG_INT, &batch, "N", "rows per transaction (50000)" },
		{ "jobs", CONFIG_INT, &jobs, "N",
		  "batches stored at once (PostgreSQL 2, SQLite 1)" },
		CLI_LOG_OPTIONS(&log),
		{ "help", CONFIG_BOOL, &help, NULL, "show this help" },
		{ 0, 0, 0, 0, 0 }
	};
	struct import_job j;
	char **pos = NULL;

	if ((rc = parse(opts, argc, argv, &pos, &npos, &help)) != 0) {
		free(pos);
		return rc < 0 ? 0 : rc;
	}
	memset(&j, 0, sizeof(j));
	j.file = npos == 1 ? pos[0] : NULL;
	free(pos);
	if (j.file == NULL)
		return cli_fail("subscribers import", "give one CSV file (or - for stdin)");
	if (list == NULL || source == NULL || *source == '\0')
		return cli_fail("subscribers import", "--list and --consent-source are required");
	if (batch < 1 || batch > IMPORT_BATCH_MAX)
		return cli_fail("subscribers import", "--batch must be 1 to %d", IMPORT_BATCH_MAX);
	if (jobs < 0 || jobs > IMPORT_JOBS_MAX)
		return cli_fail("subscribers import", "--jobs must be 1 to %d", IMPORT_JOBS_MAX);
	if ((rc = cli_log_setup("subscribers import", &log)) != 0)
		return rc;
	j.max = (size_t)batch;
	j.imp.confirmed = !pending;
	j.imp.source = source;
	return import_run(&j, db, list, jobs);
}

/* ---- export ---- */

static void
export_csv_row(struct buf *b, const struct store_subscriber *x)
{
	char when[TIME_RFC3339_MAX];

	time_rfc3339((time_t)x->created_at, when);
	csv_field(b, x->email, strlen(x->email));
	buf_printf(b, ",%s,%s,", store_status_name(x->status), when);
	csv_field(b, x->lists ? x->lists : "", x->lists ? strlen(x->lists) : 0);
	buf_puts(b, "\r\n");
}

static json_t *
jstr(const char *s)
{
	json_t *v = json_stringn(s ? s : "", s ? strlen(s) : 0);

	return v ? v : json_string("");
}

static void
export_json_row(struct buf *b, const struct store_subscriber *x, int first)
{
	char when[TIME_RFC3339_MAX], *text;
	json_t *o = json_object(), *lists = json_array();
	const char *p = x->lists, *sp;

	time_rfc3339((time_t)x->created_at, when);
	for (; p && *p; p = sp ? sp + 1 : p + strlen(p)) {
		sp = strchr(p, ' ');
		json_array_append_new(lists, json_stringn(p, sp ? (size_t)(sp - p) : strlen(p)));
	}
	json_object_set_new(o, "email", jstr(x->email));
	json_object_set_new(o, "status", jstr(store_status_name(x->status)));
	json_object_set_new(o, "created_at", jstr(when));
	json_object_set_new(o, "lists", lists);
	text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	buf_puts(b, first ? "\n" : ",\n");
	buf_puts(b, text ? text : "{}");
	free(text);
	json_decref(o);
}

/* what export walks: everyone, who an alert to one list reaches, or who one alert reaches */
struct export_src {
	int64_t list_id, alert_id;
	int sparse;			/* the alert's audience read list by list */
	const char *lists;		/* the lists column for either of the last two */
};

static int
next_page(struct store *s, const struct export_src *src, int64_t *cursor,
	  struct store_batch *page)
{
	if (src->alert_id > 0)
		return store_audience_next(s, src->alert_id, src->sparse, cursor, 0, EXPORT_PAGE, page);
	if (src->list_id > 0)
		return store_members_next(s, src->list_id, cursor, 0, EXPORT_PAGE, page);
	return store_subscribers_next(s, cursor, EXPORT_PAGE, page);
}

static int
export_all(struct store *s, int json, const struct export_src *src)
{
	struct store_batch page;
	struct buf b;
	int64_t cursor = 0;
	size_t i;
	int rc, first = 1;

	store_batch_init(&page);
	buf_init(&b, 0);
	fputs(json ? "[" : "email,status,created_at,lists\r\n", stdout);
	while ((rc = next_page(s, src, &cursor, &page)) == NF_OK && page.count > 0) {
		buf_reset(&b);
		for (i = 0; i < page.count; i++, first = 0) {
			if (src->lists)
				page.rows[i].lists = src->lists;
			if (json)
				export_json_row(&b, &page.rows[i], first);
			else
				export_csv_row(&b, &page.rows[i]);
		}
		fwrite(b.data, 1, b.len, stdout);
	}
	if (json)
		fputs(first ? "]\n" : "\n]\n", stdout);
	buf_free(&b);
	store_batch_free(&page);
	if (rc != NF_OK) {
		fprintf(stderr, "newsflash: subscribers export: %s\n", store_errmsg(s));
		return EXIT_PROBLEM;
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "newsflash: subscribers export: write error\n");
		return EXIT_PROBLEM;
	}
	return 0;
}

static int
export(int argc, char **argv)
{
	const char *db = STORE_DEFAULT_URL, *format = "csv", *recipients = NULL;
	int help = 0, npos = 0, rc;
	long alert = 0;
	const struct config_opt opts[] = {
		{ "db", CONFIG_STRING, &db, "URL", "sqlite:PATH or postgresql://..." },
		{ "format", CONFIG_STRING, &format, "csv|json", "output format (csv)" },
		{ "recipients", CONFIG_STRING, &recipients, "LIST",
		  "only who an alert to LIST reaches: confirmed, not suppressed" },
		{ "alert", CONFIG_INT, &alert, "ID",
		  "only who alert ID goes to now: confirmed, not suppressed, on any of its lists, once" },
		{ "help", CONFIG_BOOL, &help, NULL, "show this help" },
		{ 0, 0, 0, 0, 0 }
	};
	struct store *s = NULL;
	struct store_alert *al = NULL;
	struct export_src src = { 0, 0, 0, NULL };
	char **pos = NULL;

	if ((rc = parse(opts, argc, argv, &pos, &npos, &help)) != 0) {
		free(pos);
		return rc < 0 ? 0 : rc;
	}
	free(pos);
	if (npos > 0)
		return cli_fail("subscribers export", "takes no arguments");
	if (strcmp(format, "csv") != 0 && strcmp(format, "json") != 0)
		return cli_fail("subscribers export", "--format must be csv or json");
	if ((rc = cli_store_open("subscribers export", db, &s)) != 0)
		return rc;
	if (recipients && store_list_get(s, recipients, &src.list_id) != NF_OK) {
		fprintf(stderr, "newsflash: subscribers export: no list named '%s'\n", recipients);
		store_close(s);
		return EXIT_PROBLEM;
	}
	src.lists = recipients;
	if (alert > 0 && store_alert_get(s, alert, &al) != NF_OK) {
		fprintf(stderr, "newsflash: subscribers export: no alert %ld\n", alert);
		store_close(s);
		return EXIT_PROBLEM;
	}
	if (al) {
		/* as the engine reads it: one list by its members, several as an audience */
		src.alert_id = strchr(al->lists, ' ') ? al->id : 0;
		src.list_id = al->list_id;
		src.sparse = al->list_id != store_default_list(s);
		src.lists = al->lists;
	}
	rc = export_all(s, strcmp(format, "json") == 0, &src);
	store_alert_free(al);
	store_close(s);
	return rc;
}

/* ---- count ---- */

static int
count(int argc, char **argv)
{
	const char *db = STORE_DEFAULT_URL, *list = NULL, *status = NULL;
	enum store_sub_status st = STORE_ANY;
	int help = 0, npos = 0, rc;
	const struct config_opt opts[] = {
		{ "db", CONFIG_STRING, &db, "URL", "sqlite:PATH or postgresql://..." },
		{ "list", CONFIG_STRING, &list, "LIST", "count the members of this list" },
		{ "status", CONFIG_STRING, &status, "STATUS",
		  "pending, confirmed, unsubscribed or bounced (default: all but erased)" },
		{ "help", CONFIG_BOOL, &help, NULL, "show this help" },
		{ 0, 0, 0, 0, 0 }
	};
	struct store *s = NULL;
	char **pos = NULL;
	int64_t n = 0;

	if ((rc = parse(opts, argc, argv, &pos, &npos, &help)) != 0) {
		free(pos);
		return rc < 0 ? 0 : rc;
	}
	free(pos);
	if (npos > 0)
		return cli_fail("subscribers count", "takes no arguments");
	if (status && (store_status_parse(status, &st) != NF_OK || st == STORE_ERASED))
		return cli_fail("subscribers count", "--status must be pending, confirmed, "
				"unsubscribed or bounced");
	if ((rc = cli_store_open("subscribers count", db, &s)) != 0)
		return rc;
	rc = store_subscriber_count(s, list, st, &n);
	if (rc == NF_ERR_NOTFOUND)
		fprintf(stderr, "newsflash: subscribers count: no list named '%s'\n", list);
	else if (rc != NF_OK)
		fprintf(stderr, "newsflash: subscribers count: %s\n", store_errmsg(s));
	else
		printf("%lld\n", (long long)n);
	store_close(s);
	return rc == NF_OK ? 0 : EXIT_PROBLEM;
}

int
cmd_subscribers(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "import") == 0)
		return import(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "export") == 0)
		return export(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "count") == 0)
		return count(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "show") == 0)
		return cli_subscribers_show(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "erase") == 0)
		return cli_subscribers_erase(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "purge") == 0)
		return cli_subscribers_purge(argc - 1, argv + 1);
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0))
		return sub_usage(stdout, 0);
	return sub_usage(stderr, EXIT_USAGE);
}
