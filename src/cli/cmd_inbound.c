/*
 * cli/cmd_inbound.c - newsflash inbound process MAILDIR
 *
 * Owns: the command for a relay that delivers returned mail (bounces to the
 * VERP addresses, feedback-loop complaints, mail to the List-Unsubscribe
 * mailto) into a Maildir. Every message in MAILDIR/new is read (inbound/),
 * acted on once, and moved to MAILDIR/cur. Run it from cron or a
 * systemd path unit; running it twice, or on a message put back in new/,
 * does nothing twice: the store remembers what it processed.
 *
 * Prints one summary line:
 *   processed N: suppressed N, counted N, reset N, unsubscribed N, ignored N,
 *   unverified N, skipped N; duplicates N, failed N
 * and logs one line per message (never an address). A message is marked
 * processed (recorded in the store, moved to cur/) only once it was acted
 * on or found to need nothing; one whose token does not verify (unverified)
 * stays in new/ unrecorded, so a run with the right secret still acts on
 * it. Without the service's secret file the command refuses to run (2): it
 * never makes a new secret. Exit 0, or 1 when the store refused a message
 * (it stays in new/ for the next run), 2 for usage.
 */
#include <stdlib.h>
#include <string.h>

#include "inbound/inbound.h"
#include "store/store.h"
#include "cli.h"

struct inbound_opts {
	const char *db, *secret_file, *log_level;
	long soft_limit;
	int help;
};

static int
inbound_usage(const struct config_opt *opts, FILE *to, int rc)
{
	fprintf(to, "usage: newsflash inbound process MAILDIR [OPTIONS]\n\n"
		    "Reads bounces (RFC 3464), complaints (RFC 5965) and mailto unsubscribes\n"
		    "from MAILDIR/new, acts on each once, and moves it to MAILDIR/cur. A message\n"
		    "whose token does not verify with the secret stays in new/, unrecorded.\n"
		    "The secret file must exist (the one serve uses); none is ever made.\n\n"
		    "Exit status: 0 done, 1 the store refused a message (it stays in new/),\n"
		    "2 usage, an unreadable MAILDIR or no secret file.\n\n");
	config_usage(opts, to);
	return rc;
}

static void
print_counts(const struct inbound_counts *c)
{
	printf("processed %ld: suppressed %ld, counted %ld, reset %ld, unsubscribed %ld,"
	       " ignored %ld, unverified %ld, skipped %ld; duplicates %ld, failed %ld\n",
	       c->processed, c->by_outcome[INBOUND_SUPPRESSED], c->by_outcome[INBOUND_COUNTED],
	       c->by_outcome[INBOUND_RESET], c->by_outcome[INBOUND_UNSUBSCRIBED],
	       c->by_outcome[INBOUND_IGNORED], c->by_outcome[INBOUND_UNVERIFIED],
	       c->by_outcome[INBOUND_SKIPPED], c->duplicates, c->failed);
}

static int
process(const struct inbound_opts *o, const char *dir)
{
	struct inbound_config cfg;
	struct inbound_counts counts;
	struct token_key key;
	struct store *s = NULL;
	enum log_level level;
	int rc;

	if (log_level_parse(o->log_level, &level) != NF_OK)
		return cli_fail("inbound", "--log-level must be debug, info, warn or error");
	if (o->soft_limit < 1 || o->soft_limit > 1000)
		return cli_fail("inbound", "--soft-bounce-limit must be 1-1000");
	log_setup(level, LOG_FORMAT_TEXT);
	/*
	 * The tokens in returned mail were made with the service's secret: a
	 * new one would verify none of them, and each genuine request would be
	 * read as a forgery. So the file must be there; none is ever made here.
	 */
	if (cli_secret_read(o->secret_file, &key) != NF_OK)
		return cli_fail("inbound", "cannot read the service's secret %s: give --secret-file"
				" the file serve uses", o->secret_file);
	if ((rc = cli_store_open("inbound", o->db, &s)) != 0)
		return rc;
	inbound_config_defaults(&cfg);
	cfg.key = &key;
	cfg.soft_limit = (int)o->soft_limit;
	rc = inbound_maildir_process(s, &cfg, dir, &counts);
	if (rc == NF_ERR_IO && counts.processed + counts.duplicates + counts.failed == 0) {
		fprintf(stderr, "newsflash: inbound: cannot read %s/new\n", dir);
		rc = EXIT_USAGE;
	} else {
		print_counts(&counts);
		rc = rc == NF_OK ? 0 : EXIT_PROBLEM;
	}
	store_close(s);
	return rc;
}

int
cmd_inbound(int argc, char **argv)
{
	struct inbound_opts o = { STORE_DEFAULT_URL, CLI_DEFAULT_SECRET_FILE, CLI_DEFAULT_LOG_LEVEL, INBOUND_SOFT_LIMIT, 0 };
	const struct config_opt opts[] = {
		{ "db", CONFIG_STRING, &o.db, "URL", "sqlite:PATH or postgresql://... (" STORE_DEFAULT_URL ")" },
		{ "secret-file", CONFIG_STRING, &o.secret_file, "FILE", "the service's HMAC key, which must exist (" CLI_DEFAULT_SECRET_FILE ")" },
		{ "soft-bounce-limit", CONFIG_INT, &o.soft_limit, "N", "soft bounces in a row before an address is suppressed (3)" },
		{ "log-level", CONFIG_STRING, &o.log_level, "LEVEL", "debug, info, warn or error (" CLI_DEFAULT_LOG_LEVEL ")" },
		{ "help", CONFIG_BOOL, &o.help, NULL, "show this help" },
		{ 0, 0, 0, 0, 0 }
	};
	char **pos = NULL;
	int npos = 0, rc;

	if (argc < 2 || strcmp(argv[1], "process") != 0) {
		if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0))
			return inbound_usage(opts, stdout, 0);
		return inbound_usage(opts, stderr, EXIT_USAGE);
	}
	if (config_parse(opts, argc - 2, argv + 2, &pos, &npos) != NF_OK) {
		free(pos);
		return inbound_usage(opts, stderr, EXIT_USAGE);
	}
	if (o.help)
		rc = inbound_usage(opts, stdout, 0);
	else if (npos != 1)
		rc = cli_fail("inbound", "process takes one MAILDIR");
	else
		rc = process(&o, pos[0]);
	free(pos);
	return rc;
}
