/*
 * cli/exits.c - what each command's exit status means
 *
 * Owns: one table, the exit statuses of every command, printed after the
 * command's own --help (main.c) and written out in the man page's EXIT
 * STATUS section (tests/integration/exits.sh holds the two together). The
 * common rule (cli.h): 0 success, 1 the command ran and found a problem,
 * 2 a usage or input error; each line says what that is for the command.
 */
#include <string.h>

#include "cli.h"

struct cli_exits {
	const char *cmd;
	const char *lines[4];		/* "N  what it means" */
};

static const struct cli_exits exits[] = {
	{ "address", { "0  every address is valid", "1  an address is not valid",
		       "2  a usage error" } },
	{ "alert", { "0  the alert is cancelled, or resumed",
		     "1  no such alert, it had ended (cancel) or is not stopped (resume), or the database failed",
		     "2  a usage error" } },
	{ "alerts", { "0  the alerts are listed", "1  the database failed", "2  a usage error" } },
	{ "apikey", { "0  done (create prints the key once)",
		      "1  revoke: no key has that name; list: the database failed",
		      "2  a usage error, a name taken, or the database cannot be opened" } },
	{ "config", { "0  no problem found", "1  problems found, one line each on stderr",
		      "2  a usage error" } },
	{ "db", { "0  done", "1  the database or the file failed (migrate, backup, restore, copy), "
		  "or verify found it unsound",
		  "2  a usage or input error" } },
	{ "dkim", { "0  the key is written and its DNS record printed",
		    "1  the key could not be made or written", "2  a usage error" } },
	{ "editor", { "0  done", "1  list or remove: no editor has that name, or the database failed",
		      "2  a usage error: a bad or taken name, a bad password, no such editor to passwd" } },
	{ "embed", { "0  the snippet is printed", "1  no templates found, or they could not be read or rendered",
		     "2  a usage error: a bad --base-url or --list" } },
	{ "help", { "0  always" } },
	{ "inbound", { "0  every message was acted on",
		       "1  a message could not be processed (it stays for the next run)",
		       "2  a usage error, the service's secret file is missing, or MAILDIR cannot be read" } },
	{ "lists", { "0  done", "1  the database failed", "2  a usage error" } },
	{ "message", { "0  the message is written", "1  it could not be composed or written",
		       "2  a usage or input error" } },
	{ "publish", { "0  published (with --wait: the alert is done)",
		       "1  the database failed; with --wait: the alert was cancelled",
		       "2  a usage error or an article that is not valid" } },
	{ "serve", { "0  stopped by SIGTERM or SIGINT after finishing what was in flight",
		     "1  cannot start: database, transport, templates, or the address is in use",
		     "2  a usage error: an unknown or bad option" } },
	{ "smtp", { "0  the relay accepted every message",
		    "1  a message was refused or deferred (see the reply printed)",
		    "2  a usage or input error" } },
	{ "subscribers", { "0  done",
			   "1  import: rows were skipped (each on stderr) or a batch not stored; "
			   "show, erase: no subscriber has that address; the database failed",
			   "2  a usage or input error (a file that cannot be read, a bad --list)" } },
	{ "template", { "0  rendered",
			"2  a usage error, a template or data that cannot be read, or cannot be rendered" } },
	{ "version", { "0  always", "2  arguments given" } },
	{ "webhook", { "0  done (add without --secret prints the secret once; test: the endpoint answered 2xx)",
		       "1  no such webhook, test: the endpoint did not answer 2xx, or the database failed",
		       "2  a usage error: a bad URL, an unknown event, a bad secret or --since, no database" } },
	{ "worker", { "0  stopped by SIGTERM or SIGINT after finishing what was in flight",
		      "1  cannot start: database or transport", "2  a usage error" } },
	{ NULL, { NULL } }
};

/* cli_exits_usage - "Exit status:" and cmd's lines; nothing for a command not in the table */
void
cli_exits_usage(FILE *to, const char *cmd)
{
	const struct cli_exits *e;
	int i;

	for (e = exits; e->cmd; e++) {
		if (strcmp(e->cmd, cmd) != 0)
			continue;
		fprintf(to, "\nExit status:\n");
		for (i = 0; i < 4 && e->lines[i]; i++)
			fprintf(to, "  %s\n", e->lines[i]);
		return;
	}
}
