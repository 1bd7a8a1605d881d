/*
 * cli/cmd_publish.c - newsflash publish STORY.json [--breaking] [--wait]
 *
 * Owns: publishing from a shell. The story is validated exactly as the API
 * does (news/), stored, and its alert is queued for the delivery engine
 * when it has one (news.h's audience rule: --breaking or "breaking": true
 * in the file, or topics that someone follows), which finds it within
 * its poll interval (or at once through NOTIFY on PostgreSQL). --wait
 * follows the alert to the end with a progress line: sent of total, rate,
 * ETA; exit 0 when it is done, 1 when it was cancelled. Done means every
 * recipient has a final outcome: a retrying alert (recipients waiting for
 * a retry) is followed on, its line counting them instead of an ETA.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "news/news.h"
#include "store/store.h"
#include "cli.h"

static char *
read_story(const char *path, size_t *len)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	struct buf b;
	char chunk[8192];
	size_t n;

	if (f == NULL)
		return NULL;
	buf_init(&b, NEWS_JSON_MAX + 1);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (buf_append(&b, chunk, n) != NF_OK)
			break;
	if (f != stdin)
		fclose(f);
	return buf_steal(&b, len);
}

static void
progress_line(const struct store_alert *a, double secs)
{
	int64_t done = a->sent + a->failed;
	double rate = secs > 0 ? (double)done / secs : 0;
	int width = 30, filled = a->total ? (int)(width * done / a->total) : width, i;
	char bar[64];

	for (i = 0; i < width; i++)
		bar[i] = i < filled ? '#' : '.';
	bar[width] = '\0';
	if (a->state == STORE_RETRYING)	/* no ETA: retries come due by backoff */
		fprintf(stderr, "\r[%s] %lld/%lld sent, %lld failed, %lld retrying   ", bar,
			(long long)a->sent, (long long)a->total, (long long)a->failed,
			(long long)a->retrying);
	else
		fprintf(stderr, "\r[%s] %lld/%lld sent, %lld failed, %.0f/s, ETA %.0fs   ", bar,
			(long long)a->sent, (long long)a->total, (long long)a->failed, rate,
			rate > 0 ? (double)(a->total - done) / rate : 0.0);
}

/* follow the alert until it is done or cancelled: a retrying alert is neither yet */
static int
wait_alert(struct store *s, int64_t id)
{
	int64_t start = time_mono_us();
	struct store_alert *a = NULL;
	int rc = EXIT_PROBLEM;

	for (;;) {
		if (store_alert_get(s, id, &a) != NF_OK) {
			fprintf(stderr, "\nnewsflash: publish: cannot read alert %lld: %s\n", (long long)id, store_errmsg(s));
			break;
		}
		progress_line(a, (double)(time_mono_us() - start) / 1e6);
		if (a->state == STORE_DONE || a->state == STORE_CANCELLED) {
			fprintf(stderr, "\nalert %lld %s: %lld sent, %lld failed of %lld\n", (long long)id,
				store_alert_state_name(a->state), (long long)a->sent, (long long)a->failed,
				(long long)a->total);
			rc = a->state == STORE_DONE ? 0 : EXIT_PROBLEM;
			break;
		}
		store_alert_free(a);
		a = NULL;
		usleep(200000);
	}
	store_alert_free(a);
	return rc;
}

static int
publish_run(const char *path, const char *db, int breaking, int wait, long shards)
{
	struct news_article art;
	struct news_errors errs;
	struct store *s = NULL;
	int64_t article_id, alert_id;
	size_t len;
	char *text = read_story(path, &len);
	int i, rc = 0;

	if (text == NULL)
		return cli_fail("publish", "cannot read %s", path);
	if (news_article_parse(text, len, &art, &errs) != NF_OK) {
		for (i = 0; i < errs.count; i++)
			fprintf(stderr, "newsflash: publish: %s: %s %s\n", path, errs.items[i].field, errs.items[i].message);
		free(text);
		return EXIT_USAGE;
	}
	free(text);
	art.breaking |= breaking;
	if ((rc = cli_store_open("publish", db, &s)) != 0) {
		/* cli_store_open said why */
	} else if (news_publish(s, &art, (int)shards, &article_id, &alert_id) != NF_OK) {
		fprintf(stderr, "newsflash: publish: %s\n", store_errmsg(s));
		rc = EXIT_PROBLEM;
	} else {
		printf("article %lld", (long long)article_id);
		if (alert_id)
			printf(" alert %lld", (long long)alert_id);
		printf("\n");
		fflush(stdout);
		if (wait && alert_id)
			rc = wait_alert(s, alert_id);
	}
	store_close(s);
	news_article_free(&art);
	return rc;
}

int
cmd_publish(int argc, char **argv)
{
	const char *db = STORE_DEFAULT_URL;
	int breaking = 0, wait = 0, help = 0, npos, rc;
	long shards = STORE_DEFAULT_SHARDS;
	const struct config_opt opts[] = {
		{ "db", CONFIG_STRING, &db, "URL", "sqlite:PATH or postgresql://... (" STORE_DEFAULT_URL ")" },
		{ "breaking", CONFIG_BOOL, &breaking, NULL, "a breaking alert: to breaking-news and its topics' followers" },
		{ "wait", CONFIG_BOOL, &wait, NULL, "show the alert's progress and exit when it is done" },
		{ "shards", CONFIG_INT, &shards, "N", "shards the alert is split into (" NF_STR(STORE_DEFAULT_SHARDS) ")" },
		{ "help", CONFIG_BOOL, &help, NULL, "show this help" },
		{ 0, 0, 0, 0, 0 }
	};
	char **pos;

	rc = config_parse(opts, argc - 1, argv + 1, &pos, &npos);
	if (rc != NF_OK || help || npos != 1 || shards < 1 || shards > 10000) {
		free(pos);
		fprintf(help ? stdout : stderr, "usage: newsflash publish STORY.json|- [OPTIONS]\n\n");
		config_usage(opts, help ? stdout : stderr);
		return help ? 0 : EXIT_USAGE;
	}
	rc = publish_run(pos[0], db, breaking, wait, shards);
	free(pos);
	return rc;
}
