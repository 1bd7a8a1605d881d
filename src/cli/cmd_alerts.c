/*
 * cli/cmd_alerts.c - newsflash alerts; newsflash alert cancel|resume ID
 *
 * Owns: the newsroom's view of alerts from a shell: a table of recent
 * alerts with their state, counts and audience (the lists they went to),
 * and the kill switch. A cancelled (stopped) alert hands out no more shards
 * and workers stop at their next commit (within a second while the relay
 * accepts); what the relay had accepted counts as reached. Resuming sends
 * the rest, skipping everyone in the reached record. Both are kept in the
 * alert's audit as done by "cli:$USER".
 */
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "cli.h"

int
cmd_alerts(int argc, char **argv)
{
	const char *db = STORE_DEFAULT_URL;
	struct store_alert **list = NULL;
	struct store *s;
	char **pos, when[TIME_RFC3339_MAX];
	size_t n = 0, i;
	int npos, rc;

	if ((rc = cli_db_option("alerts", "newsflash alerts [--db URL]", argc - 1, argv + 1, &db,
			    &pos, &npos)) != 0)
		return rc < 0 ? 0 : rc;
	free(pos);
	if (npos)
		return cli_fail("alerts", "takes no arguments");
	if ((rc = cli_store_open("alerts", db, &s)) != 0)
		return rc;
	if (store_alert_list(s, 50, &list, &n) != NF_OK) {
		fprintf(stderr, "newsflash: alerts: %s\n", store_errmsg(s));
		store_close(s);
		return EXIT_PROBLEM;
	}
	printf("%-6s %-9s %-20s %8s %8s %8s %8s %8s %s\n", "id", "state", "created", "total", "sent",
	       "failed", "retrying", "seconds", "lists");
	for (i = 0; i < n; i++) {
		const struct store_alert *a = list[i];

		time_rfc3339((time_t)a->created_at, when);
		printf("%-6lld %-9s %-20s %8lld %8lld %8lld %8lld %8lld %s\n", (long long)a->id,
		       store_alert_state_name(a->state), when, (long long)a->total, (long long)a->sent,
		       (long long)a->failed, (long long)a->retrying,
		       (long long)(a->finished_at ? a->finished_at - a->created_at : 0), a->lists);
	}
	store_alert_list_free(list, n);
	store_close(s);
	return 0;
}

#define ALERT_USAGE "newsflash alert cancel ID | resume ID [--db URL]"

/* who acts from a shell, for the alert's audit: "cli:USER" */
static void
shell_user(char *out, size_t len)
{
	const char *user = getenv("USER");

	snprintf(out, len, "cli:%s", user && *user ? user : "unknown");
}

int
cmd_alert(int argc, char **argv)
{
	const char *db = STORE_DEFAULT_URL;
	struct store *s;
	char **pos, *end, who[80];
	long long id;
	int npos, rc, resume;

	if ((rc = cli_db_option("alert", ALERT_USAGE, argc - 1, argv + 1, &db, &pos, &npos)) != 0)
		return rc < 0 ? 0 : rc;
	if (npos != 2 || (strcmp(pos[0], "cancel") != 0 && strcmp(pos[0], "resume") != 0)) {
		free(pos);
		return cli_fail("alert", "usage: " ALERT_USAGE);
	}
	resume = strcmp(pos[0], "resume") == 0;
	id = strtoll(pos[1], &end, 10);
	if (*end || id <= 0) {
		free(pos);
		return cli_fail("alert", "not an alert id: %s", pos[1]);
	}
	free(pos);
	if ((rc = cli_store_open("alert", db, &s)) != 0)
		return rc;
	shell_user(who, sizeof(who));
	rc = resume ? store_alert_resume(s, id, who, time(NULL)) : store_alert_stop(s, id, who, time(NULL));
	if (rc == NF_ERR_NOTFOUND) {
		fprintf(stderr, "newsflash: alert: no alert %lld\n", id);
		rc = EXIT_PROBLEM;
	} else if (rc == NF_ERR_INVALID) {
		fprintf(stderr, "newsflash: alert: alert %lld %s\n", id, resume ?
			"is not stopped: only a stopped alert can be resumed" : "has ended already");
		rc = EXIT_PROBLEM;
	} else if (rc != NF_OK) {
		fprintf(stderr, "newsflash: alert: %s\n", store_errmsg(s));
		rc = EXIT_PROBLEM;
	} else {
		int64_t reached = 0;

		store_reached_count(s, id, &reached);
		printf("alert %lld %s (%lld reached so far)\n", id, resume ? "resumed" : "cancelled",
		       (long long)reached);
		rc = 0;
	}
	store_close(s);
	return rc;
}

static void
print_key(void *arg, const char *name, int64_t created_at)
{
	char when[TIME_RFC3339_MAX];

	NF_UNUSED(arg);
	time_rfc3339((time_t)created_at, when);
	printf("%-32s %s\n", name, when);
}

#define APIKEY_USAGE "newsflash apikey create NAME | list | revoke NAME [--db URL]"

int
cmd_apikey(int argc, char **argv)
{
	const char *db = STORE_DEFAULT_URL;
	char key[STORE_APIKEY_MAX], **pos;
	struct store *s;
	int npos, rc, named;

	if ((rc = cli_db_option("apikey", APIKEY_USAGE, argc - 1, argv + 1, &db, &pos, &npos)) != 0)
		return rc < 0 ? 0 : rc;
	named = npos == 2 && (strcmp(pos[0], "create") == 0 || strcmp(pos[0], "revoke") == 0) &&
		store_list_name_ok(pos[1]);
	if (!named && !(npos == 1 && strcmp(pos[0], "list") == 0)) {
		free(pos);
		return cli_fail("apikey", "usage: " APIKEY_USAGE " (NAME: a-z 0-9 - _)");
	}
	if (cli_store_open("apikey", db, &s) != 0) {
		free(pos);
		return EXIT_USAGE;
	}
	if (strcmp(pos[0], "list") == 0) {
		printf("%-32s %s\n", "name", "created");
		if (store_apikey_list(s, print_key, NULL) != NF_OK) {
			fprintf(stderr, "newsflash: apikey list: %s\n", store_errmsg(s));
			rc = EXIT_PROBLEM;
		}
	} else if (strcmp(pos[0], "revoke") == 0) {
		rc = store_apikey_revoke(s, pos[1]);
		if (rc == NF_OK)
			printf("API key %s revoked\n", pos[1]);
		else
			fprintf(stderr, "newsflash: apikey revoke: %s\n", store_errmsg(s));
		rc = rc == NF_OK ? 0 : EXIT_PROBLEM;
	} else {
		rc = store_apikey_create(s, pos[1], key);
		if (rc == NF_OK)
			printf("%s\n", key);	/* shown once: only its hash is stored */
		else
			rc = cli_fail("apikey", "%s", store_errmsg(s));
	}
	store_close(s);
	free(pos);
	return rc;
}
