/*
 * cli/cmd_webhook.c - newsflash webhook add|list|remove|test|replay: outgoing webhooks
 *
 * Owns: the endpoints from a shell. add checks the URL, the events and a
 * secret given (or makes one and prints it, once: it is never shown
 * again); list shows each endpoint's state (enabled or disabled), backlog
 * and last attempt, never its secret; test posts a webhook.test event at
 * once and prints what the endpoint answered; replay sends again what was
 * recorded since a time (and enables a disabled endpoint). Delivery itself
 * is serve's and the workers' (deliver/webhook.c).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

#define WEBHOOK_USAGE "newsflash webhook add URL --events E[,E...] [--secret whsec_...] " \
	"[--include-email] | list | remove ID | test ID | replay ID --since TIME [--db URL]"

struct webhook_opts {
	const char *db, *events, *secret, *since;
	int include_email, allow_private;
};

/* TIME: RFC 3339 (2026-12-01T08:00:00Z), or how long ago (90m, 12h, 3d) */
static int
parse_since(const char *v, int64_t *out)
{
	time_t t;
	char *end;
	long long n;

	if (time_rfc3339_parse(v, strlen(v), &t) == NF_OK) {
		*out = (int64_t)t;
		return 0;
	}
	n = strtoll(v, &end, 10);
	if (end == v || n < 0 || end[0] == '\0' || end[1] != '\0')
		return -1;
	switch (*end) {
	case 's': break;
	case 'm': n *= 60; break;
	case 'h': n *= 3600; break;
	case 'd': n *= 86400; break;
	default: return -1;
	}
	*out = (int64_t)time(NULL) - n;
	return 0;
}

static int
parse_id(const char *v, int64_t *id)
{
	char *end;
	long long n = strtoll(v, &end, 10);

	if (end == v || *end || n <= 0)
		return -1;
	*id = n;
	return 0;
}

static int
webhook_add(struct store *s, const char *url, const struct webhook_opts *o)
{
	struct deliver_hook_spec in = { url, o->events, o->events ? strlen(o->events) : 0,
					o->secret, o->include_email };
	char secret[DELIVER_HOOK_SECRET_MAX], err[256];
	int64_t id = 0;
	int rc = deliver_hook_create(s, &in, &id, secret, err, sizeof(err));

	if (rc == NF_ERR_INVALID)
		return cli_fail("webhook", "%s", err);
	if (rc != NF_OK) {
		fprintf(stderr, "newsflash: webhook: %s\n", err);
		return EXIT_PROBLEM;
	}
	printf("webhook %lld added\n", (long long)id);
	if (o->secret == NULL)
		printf("secret: %s\n(shown once: keep it where the receiver verifies signatures)\n",
		       secret);
	memset(secret, 0, sizeof(secret));
	return 0;
}

static int
webhook_list(struct store *s)
{
	struct store_hook **hs = NULL;
	char when[TIME_RFC3339_MAX];
	struct buf ev;
	size_t n = 0, i;

	if (store_hook_list(s, &hs, &n) != NF_OK) {
		fprintf(stderr, "newsflash: webhook: %s\n", store_errmsg(s));
		return EXIT_PROBLEM;
	}
	buf_init(&ev, 0);
	printf("%-5s %-8s %8s %6s %-20s %s\n", "id", "state", "backlog", "status", "last attempt",
	       "url");
	for (i = 0; i < n; i++) {
		const struct store_hook *h = hs[i];

		if (h->last_at)
			time_rfc3339((time_t)h->last_at, when);
		else
			snprintf(when, sizeof(when), "-");
		printf("%-5lld %-8s %8lld %6lld %-20s %s\n", (long long)h->id,
		       h->disabled_at ? "disabled" : h->failing_since ? "failing" : "enabled",
		       (long long)h->backlog, (long long)h->last_status, when, h->url);
		buf_reset(&ev);
		store_hook_events_format(h->events, &ev);
		printf("      events: %s%s\n", ev.data, h->include_email ? " (with addresses)" : "");
		if (h->last_error)
			printf("      last error: %s\n", h->last_error);
	}
	buf_free(&ev);
	store_hook_list_free(hs, n);
	return 0;
}

static int
webhook_on(struct store *s, const char *verb, int64_t id, const struct webhook_opts *o)
{
	struct deliver_hook_result res;
	struct store_hook *h = NULL;
	int64_t since = 0, n = 0;
	int rc;

	if (strcmp(verb, "replay") == 0 && (o->since == NULL || parse_since(o->since, &since)))
		return cli_fail("webhook", "replay needs --since TIME (RFC 3339, or 90m, 12h, 3d ago)");
	if (strcmp(verb, "remove") == 0)
		rc = store_hook_remove(s, id);
	else if (strcmp(verb, "replay") == 0)
		rc = store_hook_replay(s, id, since, &n);
	else
		rc = store_hook_get(s, id, &h);
	if (rc == NF_ERR_NOTFOUND) {
		fprintf(stderr, "newsflash: webhook: no webhook %lld\n", (long long)id);
		return EXIT_PROBLEM;
	}
	if (rc != NF_OK) {
		fprintf(stderr, "newsflash: webhook: %s\n", store_errmsg(s));
		return EXIT_PROBLEM;
	}
	if (strcmp(verb, "remove") == 0) {
		printf("webhook %lld removed\n", (long long)id);
	} else if (strcmp(verb, "replay") == 0) {
		printf("webhook %lld: backlog %lld\n", (long long)id, (long long)n);
	} else {
		rc = deliver_hook_test(h, o->allow_private, &res);
		if (rc == NF_OK)
			printf("webhook %lld: HTTP %ld\n", (long long)id, res.status);
		else
			fprintf(stderr, "newsflash: webhook: %lld: %s\n", (long long)id, res.error);
		rc = rc == NF_OK ? 0 : EXIT_PROBLEM;
	}
	store_hook_free(h);
	return rc;
}

int
cmd_webhook(int argc, char **argv)
{
	struct webhook_opts o = { STORE_DEFAULT_URL, NULL, NULL, NULL, 0, 0 };
	int help = 0, npos = 0, rc;
	const struct config_opt opts[] = {
		{ "db", CONFIG_STRING, &o.db, "URL", "sqlite:PATH or postgresql://... (" STORE_DEFAULT_URL ")" },
		{ "events", CONFIG_STRING, &o.events, "E[,E...]", "add: the events wanted (subscriber.created, ... or *)" },
		{ "secret", CONFIG_STRING, &o.secret, "whsec_...", "add: the signing secret (made and shown once when not given)" },
		{ "include-email", CONFIG_BOOL, &o.include_email, NULL, "add: payloads carry subscribers' addresses" },
		{ "since", CONFIG_STRING, &o.since, "TIME", "replay: from this time (RFC 3339, or 90m, 12h, 3d ago)" },
		{ "webhook-allow-private", CONFIG_BOOL, &o.allow_private, NULL, "test: the endpoint may be a loopback or private address" },
		{ "help", CONFIG_BOOL, &help, NULL, "show this help" },
		{ 0, 0, 0, 0, 0 }
	};
	char **pos = NULL;
	struct store *s;
	int64_t id = 0;

	if (config_parse(opts, argc - 1, argv + 1, &pos, &npos) != NF_OK) {
		free(pos);
		return cli_fail("webhook", "usage: " WEBHOOK_USAGE);
	}
	if (help) {
		free(pos);
		printf("usage: " WEBHOOK_USAGE "\n\nOutgoing webhooks: signed HTTP POSTs of subscriber "
		       "and alert events.\n\n");
		config_usage(opts, stdout);
		return 0;
	}
	rc = npos == 2 && strcmp(pos[0], "add") == 0 ? 0 :
	     npos == 1 && strcmp(pos[0], "list") == 0 ? 0 :
	     npos == 2 && (strcmp(pos[0], "remove") == 0 || strcmp(pos[0], "test") == 0 ||
			   strcmp(pos[0], "replay") == 0) && parse_id(pos[1], &id) == 0 ? 0 : -1;
	if (rc) {
		free(pos);
		return cli_fail("webhook", "usage: " WEBHOOK_USAGE);
	}
	if (store_open(o.db, &s) != NF_OK) {
		free(pos);
		return cli_fail("webhook", "cannot open the database %s", o.db);
	}
	if (strcmp(pos[0], "add") == 0)
		rc = webhook_add(s, pos[1], &o);
	else if (strcmp(pos[0], "list") == 0)
		rc = webhook_list(s);
	else
		rc = webhook_on(s, pos[0], id, &o);
	free(pos);
	store_close(s);
	return rc;
}
