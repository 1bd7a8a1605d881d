/*
 * tests for the delivery engine (src/deliver): shards, batches, the group
 * commit, retries, suppression of unknown users, a shard taken over after
 * its lease expired, and the priority lane, all through the engine's real
 * threads, a real SQLite store in a temporary folder, and the scripted
 * relay of relay_double.c behind smtp's transport table.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/core.h"
#include "deliver/deliver.h"
#include "news/news.h"
#include "store/store.h"
#include "relay_double.h"
#include "../../harness.h"

static const unsigned char secret_bytes[32] = "deliver-test-secret-0123456789ab";
static const struct token_key secret = { secret_bytes, sizeof(secret_bytes) };

/* a fresh store in a temporary folder, removed by world_close */
struct world {
	char dir[64];
	char url[128];
	struct store *s;
};

static int
world_open(struct world *w)
{
	relay_reset();
	snprintf(w->dir, sizeof(w->dir), "/tmp/nf-deliver-test.XXXXXX");
	if (mkdtemp(w->dir) == NULL)
		return 0;
	snprintf(w->url, sizeof(w->url), "sqlite:%s/test.db", w->dir);
	return store_open(w->url, &w->s) == NF_OK;
}

static void
world_close(struct world *w)
{
	const char *files[] = { "test.db", "test.db-wal", "test.db-shm" };
	char path[128];
	size_t i;

	store_close(w->s);
	w->s = NULL;
	for (i = 0; i < NF_ARRAY_LEN(files); i++) {
		snprintf(path, sizeof(path), "%s/%s", w->dir, files[i]);
		unlink(path);
	}
	rmdir(w->dir);
}

/* a subscriber LOCAL@example.com on breaking-news, confirmed or pending */
static int64_t
sub_add(struct store *s, const char *local, int confirmed)
{
	char email[128];
	struct store_signup in = { email, email, email, NULL, NULL, confirmed, 0,
				   { "test", NULL, NULL, NULL, NULL, 0 } };
	int64_t id = 0;

	snprintf(email, sizeof(email), "%s@example.com", local);
	if (store_subscriber_create(s, &in, &id, NULL, NULL) != NF_OK)
		return 0;
	return id;
}

static const char *
addr(const char *local)
{
	static char a[128];

	snprintf(a, sizeof(a), "%s@example.com", local);
	return a;
}

/* a breaking story published as newsroom does: its alert split into nshards */
static int64_t
publish(struct store *s, int nshards)
{
	static const char story[] =
		"{\"headline\":\"Flood defences approved\",\"standfirst\":\"Residents evacuated.\","
		"\"body_html\":\"<p>The council voted late on Tuesday.</p>\",\"byline\":\"Desk\","
		"\"images\":[{\"url\":\"https://img.example/a.jpg\",\"caption\":\"Defences\"}],"
		"\"topics\":[\"weather\"],\"breaking\":true}";
	struct news_article a;
	struct news_errors errs;
	int64_t article = 0, alert = 0;

	if (news_article_parse(story, strlen(story), &a, &errs) != NF_OK)
		return 0;
	if (news_publish(s, &a, nshards, &article, &alert) != NF_OK)
		alert = 0;
	news_article_free(&a);
	return alert;
}

static struct deliver *
engine_start(struct world *w, int threads, size_t batch, const char *owner)
{
	struct deliver_config cfg;

	deliver_config_defaults(&cfg);
	cfg.db_url = w->url;
	cfg.transport_url = RELAY_URL;
	cfg.sender.from_name = "Newsflash Desk";
	cfg.sender.from_addr = "alerts@news.example";
	cfg.sender.base_url = "https://news.example";
	cfg.sender.publication = "The Daily Example";
	cfg.sender.templates_dir = "templates";
	cfg.sender.secret = &secret;
	cfg.threads = threads;
	cfg.batch = batch;
	cfg.retry_base = 1;
	cfg.poll_ms = 50;
	cfg.owner = owner;
	return deliver_start(&cfg);
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/*
 * wait up to secs for the alert's shards to be worked: done, or retrying
 * while recipients wait for a retry; with settled, done (nothing left to retry)
 */
static int
wait_alert(struct store *s, int64_t id, int settled, int secs, struct store_alert **out)
{
	int i;

	for (i = 0; i < secs * 50; i++, sleep_ms(20)) {
		struct store_alert *al = NULL;

		if (store_alert_get(s, id, &al) != NF_OK)
			continue;
		if ((al->state == STORE_DONE && al->retrying == 0) ||
		    (!settled && al->state == STORE_RETRYING)) {
			*out = al;
			return 1;
		}
		store_alert_free(al);
	}
	return 0;
}

/* the failed-delivery record of sub for any alert; kind -1 when there is none */
static int
delivery_kind(struct store *s, int64_t sub, char *reply, size_t len, int64_t *next)
{
	struct store_delivery **ds = NULL;
	size_t n = 0;
	int kind = -1;

	if (store_deliveries_of(s, sub, &ds, &n) == NF_OK && n > 0) {
		kind = (int)ds[0]->kind;
		snprintf(reply, len, "%s", ds[0]->reply ? ds[0]->reply : "");
		*next = ds[0]->next_attempt_at;
	}
	store_delivery_list_free(ds, n);
	return kind;
}

/*
 * Every confirmed subscriber gets exactly one message, through several
 * shards, threads and batches (groups of sixteen and the first alone);
 * pending, unsubscribed and suppressed people get none.
 */
TEST(deliver_every_confirmed_subscriber_once)
{
	struct world w;
	struct deliver *d;
	struct deliver_stats st;
	struct store_alert *al = NULL;
	char name[32];
	int64_t left, alert;
	int i, ok = 1;

	CHECK(world_open(&w));
	for (i = 1; i <= 150 && ok; i++) {
		snprintf(name, sizeof(name), "reader%d", i);
		ok = sub_add(w.s, name, 1) > 0;
	}
	CHECK(ok);
	CHECK(sub_add(w.s, "pending1", 0) > 0);
	left = sub_add(w.s, "left1", 1);
	CHECK(left > 0);
	CHECK(sub_add(w.s, "barred1", 1) > 0);
	CHECK_INT(store_subscriber_set_status(w.s, left, STORE_UNSUBSCRIBED,
					      &(struct store_consent_in){ "test", NULL, NULL, NULL, NULL, 0 },
					      NULL), NF_OK);
	CHECK_INT(store_suppression_add(w.s, addr("barred1"), "manual"), NF_OK);
	alert = publish(w.s, 4);
	CHECK(alert > 0);
	d = engine_start(&w, 2, 37, "engine-a");
	CHECK(d != NULL);
	ok = wait_alert(w.s, alert, 1, 20, &al);
	deliver_stats(d, &st);
	deliver_stop(d);
	CHECK(ok);
	CHECK_INT(al->sent, 150);
	CHECK_INT(al->failed, 0);
	CHECK_INT(al->shards_done, al->shards);
	store_alert_free(al);
	CHECK_INT(st.sent, 150);
	CHECK_INT(relay_accepted_total(), 150);
	CHECK_INT(relay_distinct_ids(), 150);
	for (i = 1; i <= 150; i++) {
		snprintf(name, sizeof(name), "reader%d", i);
		CHECK_INT(relay_accepted(addr(name)), 1);
	}
	CHECK_INT(relay_attempts(addr("pending1")), 0);
	CHECK_INT(relay_attempts(addr("left1")), 0);
	CHECK_INT(relay_attempts(addr("barred1")), 0);
	world_close(&w);
}

/*
 * A 4xx is recorded as temporary with a later attempt and sent again by
 * the retry lane; a 5xx is permanent, and an unknown user is suppressed
 * while a full mailbox is not.
 */
TEST(deliver_4xx_retried_5xx_permanent_unknown_user_suppressed)
{
	struct world w;
	struct deliver *d;
	struct store_alert *al = NULL;
	char name[32], reply[600];
	int64_t temp, gone, full, next = 0, alert;
	int i, ok = 1;

	CHECK(world_open(&w));
	for (i = 1; i <= 20 && ok; i++) {
		snprintf(name, sizeof(name), "reader%d", i);
		ok = sub_add(w.s, name, 1) > 0;
	}
	CHECK(ok);
	temp = sub_add(w.s, "temp-1", 1);
	gone = sub_add(w.s, "gone-1", 1);
	full = sub_add(w.s, "full-1", 1);
	CHECK(temp > 0 && gone > 0 && full > 0);
	alert = publish(w.s, 2);
	CHECK(alert > 0);
	d = engine_start(&w, 1, 10, "engine-a");
	CHECK(d != NULL);
	/* the first pass: the shards are done, the 4xx waits for its retry */
	ok = wait_alert(w.s, alert, 0, 20, &al);
	if (ok)	/* not done while the 4xx waits: retrying, not yet finished */
		ok = al->sent + al->failed + al->retrying == 23 && al->retrying == 1 &&
		     al->state == STORE_RETRYING && al->finished_at == 0;
	store_alert_free(al);
	al = NULL;
	if (ok)
		ok = delivery_kind(w.s, gone, reply, sizeof(reply), &next) == STORE_PERM &&
		     strstr(reply, "550 5.1.1") != NULL &&
		     store_suppression_check(w.s, addr("gone-1"), NULL) == NF_OK;
	if (ok)
		ok = delivery_kind(w.s, full, reply, sizeof(reply), &next) == STORE_PERM &&
		     strstr(reply, "552 5.2.2") != NULL &&
		     store_suppression_check(w.s, addr("full-1"), NULL) == NF_ERR_NOTFOUND;
	/* the 4xx: its record goes once the retry is accepted (the lane looks every 5 s) */
	if (ok)
		ok = wait_alert(w.s, alert, 1, 20, &al);
	deliver_stop(d);
	CHECK(ok);
	CHECK_INT(al->state, STORE_DONE);	/* the retry's outcome ended it */
	CHECK(al->finished_at > 0);
	CHECK_INT(al->sent, 21);
	CHECK_INT(al->failed, 2);
	store_alert_free(al);
	CHECK_INT(relay_attempts(addr("temp-1")), 2);
	CHECK_INT(relay_accepted(addr("temp-1")), 1);
	CHECK_INT(delivery_kind(w.s, temp, reply, sizeof(reply), &next), -1);
	CHECK_INT(relay_attempts(addr("gone-1")), 1);
	CHECK_INT(relay_attempts(addr("full-1")), 1);
	for (i = 1; i <= 20; i++) {
		snprintf(name, sizeof(name), "reader%d", i);
		CHECK_INT(relay_accepted(addr(name)), 1);
	}
	world_close(&w);
}

/* a 4xx's record: temporary, due later than the failure (the retry lane's backoff) */
TEST(deliver_4xx_is_recorded_for_later)
{
	struct world w;
	struct deliver *d;
	struct store_alert *al = NULL;
	char reply[600];
	int64_t temp, next = 0, alert, before;
	int ok;

	CHECK(world_open(&w));
	temp = sub_add(w.s, "temp-2", 1);
	CHECK(temp > 0 && sub_add(w.s, "reader1", 1) > 0);
	alert = publish(w.s, 1);
	CHECK(alert > 0);
	before = time(NULL);
	d = engine_start(&w, 1, 10, "engine-a");
	CHECK(d != NULL);
	ok = wait_alert(w.s, alert, 0, 20, &al);
	/* the record before the retry lane's next look (every 5 s) */
	CHECK_INT(delivery_kind(w.s, temp, reply, sizeof(reply), &next), STORE_TEMP);
	deliver_stop(d);
	CHECK(ok);
	CHECK_INT(al->retrying, 1);
	CHECK_INT(al->state, STORE_RETRYING);	/* every recipient but one has an outcome: not done */
	CHECK_INT(al->finished_at, 0);
	store_alert_free(al);
	CHECK(strstr(reply, "451") != NULL);
	CHECK(next >= before + 1);
	CHECK_INT(relay_attempts(addr("temp-2")), 1);
	world_close(&w);
}

/*
 * Crash and resume: an engine that died mid-shard left its committed
 * cursor and a lease. Another engine leaves the shard alone while the
 * lease runs, then takes it over and sends from the cursor on: nobody at
 * or before the cursor again, everybody after it once.
 */
TEST(deliver_expired_lease_resumed_from_cursor_by_another_engine)
{
	struct world w;
	struct deliver *d;
	struct deliver_stats st;
	struct store_alert *al = NULL;
	struct store_shard sh;
	int64_t ids[60], alert, now;
	char name[32];
	int i, ok;

	CHECK(world_open(&w));
	for (i = 0; i < 60; i++) {
		snprintf(name, sizeof(name), "reader%d", i);
		ids[i] = sub_add(w.s, name, 1);
		CHECK(ids[i] > 0);
	}
	alert = publish(w.s, 1);
	CHECK(alert > 0);
	/* the engine that died: claimed with a 2 s lease, committed 25 messages, then nothing */
	now = time(NULL);
	CHECK_INT(store_shard_claim(w.s, "engine-dead", now, 2, &sh), NF_OK);
	CHECK_INT(store_shard_progress(w.s, sh.id, "engine-dead", ids[24], 25, NULL, 0, now, 2, NULL),
		  NF_OK);
	d = engine_start(&w, 1, 10, "engine-b");
	CHECK(d != NULL);
	sleep_ms(700);
	ok = relay_accepted_total() == 0;	/* the lease still runs: not taken */
	if (ok)
		ok = wait_alert(w.s, alert, 1, 20, &al);
	deliver_stats(d, &st);
	deliver_stop(d);
	CHECK(ok);
	CHECK_INT(al->sent, 60);
	store_alert_free(al);
	CHECK(st.possible_duplicates > 0);	/* a resumed shard says how many may repeat */
	CHECK_INT(st.sent, 35);
	for (i = 0; i < 60; i++) {
		snprintf(name, sizeof(name), "reader%d", i);
		CHECK_INT(relay_accepted(addr(name)), i < 25 ? 0 : 1);
	}
	world_close(&w);
}

/* the alert's sent count, its reached record's size, and the record's members among ids */
static int
reached_agrees(struct store *s, int64_t alert, const int64_t *ids, int n, int64_t *sent)
{
	struct store_alert *al = NULL;
	struct idset *set = NULL;
	int64_t count = -1;
	int i, ok;

	ok = store_alert_get(s, alert, &al) == NF_OK && store_reached_count(s, alert, &count) == NF_OK &&
	     store_reached_load(s, alert, &set) == NF_OK;
	if (ok) {
		*sent = al->sent;
		ok = count == al->sent && (int64_t)idset_count(set) == count;
		for (i = 0; ok && i < n; i++) {
			char name[32];

			snprintf(name, sizeof(name), "reader%d", i);
			ok = idset_has(set, ids[i]) == (relay_accepted(addr(name)) > 0);
		}
	}
	store_alert_free(al);
	idset_free(set);
	return ok;
}

/* confirmed readers reader0 .. reader(n - 1), their ids in ids */
static int
readers_add(struct store *s, int64_t *ids, int n)
{
	char name[32];
	int i;

	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "reader%d", i);
		if ((ids[i] = sub_add(s, name, 1)) <= 0)
			return 0;
	}
	return 1;
}

/* wait up to secs for the alert's sent count to reach at least n */
static int
wait_sent(struct store *s, int64_t alert, int64_t n, int secs)
{
	int i;

	for (i = 0; i < secs * 50; i++, sleep_ms(20)) {
		struct store_alert *al = NULL;
		int64_t sent = 0;

		if (store_alert_get(s, alert, &al) == NF_OK)
			sent = al->sent;
		store_alert_free(al);
		if (sent >= n)
			return 1;
	}
	return 0;
}

/*
 * A slow relay (40 a second) and batches of 200: what it accepted is
 * committed, sent count and reached record together, long before the
 * first batch is complete (5 s), so progress moves while a batch is out.
 */
TEST(deliver_accepted_committed_before_the_batch_is_complete)
{
	struct world w;
	struct deliver *d;
	int64_t ids[200], alert, sent = 0;
	int ok, accepted;

	CHECK(world_open(&w));
	CHECK(readers_add(w.s, ids, 200));
	alert = publish(w.s, 1);
	CHECK(alert > 0);
	relay_pace(40);
	d = engine_start(&w, 1, 200, "engine-a");
	CHECK(d != NULL);
	ok = wait_sent(w.s, alert, 1, 20);
	accepted = relay_accepted_total();
	deliver_stop(d);
	CHECK(ok);
	CHECK(accepted < 200);	/* the batch was still out when the count moved */
	CHECK(reached_agrees(w.s, alert, ids, 200, &sent));
	CHECK_INT(sent, relay_accepted_total());	/* the stop drained and committed the rest */
	world_close(&w);
}

/*
 * Stop mid-alert: every message the relay had accepted counts (the
 * alert's sent, the reached record, the engine's counter and the relay
 * agree, after the stop and after a restart); resume: the rest go and
 * nobody gets two. Who stopped and who resumed is in the audit.
 */
TEST(deliver_stop_counts_the_accepted_and_resume_sends_the_rest_once)
{
	struct world w;
	struct deliver *d;
	struct deliver_stats st;
	struct store_alert *al = NULL;
	struct store_alert_event **ev = NULL;
	int64_t ids[300], alert, sent = 0, before;
	size_t nev = 0;
	char name[32];
	int i, ok;

	CHECK(world_open(&w));
	CHECK(readers_add(w.s, ids, 300));
	alert = publish(w.s, 2);
	CHECK(alert > 0);
	relay_pace(200);
	d = engine_start(&w, 1, 25, "engine-a");
	CHECK(d != NULL);
	ok = wait_sent(w.s, alert, 40, 20);
	CHECK_INT(store_alert_stop(w.s, alert, "desk-editor", 0), NF_OK);
	/* the engine notices at its next commit and lets what is out finish */
	for (i = 0; ok && i < 250; i++, sleep_ms(20)) {
		deliver_stats(d, &st);
		if (reached_agrees(w.s, alert, ids, 300, &sent) && sent == relay_accepted_total() &&
		    (int64_t)st.sent == sent && i > 25)
			break;
	}
	deliver_stop(d);
	CHECK(ok);
	before = relay_accepted_total();
	CHECK(before < 300);
	CHECK(reached_agrees(w.s, alert, ids, 300, &sent));
	CHECK_INT(sent, before);
	CHECK_INT((int64_t)st.sent, before);
	CHECK_INT(store_alert_get(w.s, alert, &al), NF_OK);
	CHECK_INT(al->state, STORE_CANCELLED);
	store_alert_free(al);
	/* a restarted engine leaves a stopped alert alone; resumed, it sends the rest */
	relay_pace(0);
	d = engine_start(&w, 2, 25, "engine-b");
	CHECK(d != NULL);
	sleep_ms(300);
	ok = relay_accepted_total() == before;
	CHECK_INT(store_alert_resume(w.s, alert, "api:cms", 0), NF_OK);
	CHECK_INT(store_alert_resume(w.s, alert, "api:cms", 0), NF_ERR_INVALID);	/* not stopped now */
	if (ok)
		ok = wait_alert(w.s, alert, 1, 20, &al);
	deliver_stats(d, &st);
	deliver_stop(d);
	CHECK(ok);
	CHECK_INT(al->sent, 300);
	store_alert_free(al);
	CHECK_INT((int64_t)st.sent, 300 - before);
	for (i = 0; i < 300; i++) {
		snprintf(name, sizeof(name), "reader%d", i);
		CHECK_INT(relay_attempts(addr(name)), 1);
	}
	CHECK(reached_agrees(w.s, alert, ids, 300, &sent));
	CHECK_INT(sent, 300);
	CHECK_INT(store_alert_events(w.s, alert, &ev, &nev), NF_OK);
	CHECK_INT(nev, 2);
	CHECK_STR(ev[0]->action, "stopped");
	CHECK_STR(ev[0]->who, "desk-editor");
	CHECK_STR(ev[1]->action, "resumed");
	CHECK_STR(ev[1]->who, "api:cms");
	store_alert_event_list_free(ev, nev);
	world_close(&w);
}
/*
 * The priority lane: a signup confirmation goes out with the subscriber's
 * own return path and a confirm link, and is recorded as sent; a message
 * queued whole goes from bounce@DOMAIN.
 */
TEST(deliver_priority_lane_sends_confirmations)
{
	struct world w;
	struct deliver *d;
	struct store_subscriber *sub = NULL;
	static char msg[65536];
	char from[256], *raw;
	int64_t id;
	int i, ok = 0;

	CHECK(world_open(&w));
	id = sub_add(w.s, "newcomer", 0);
	CHECK(id > 0);
	CHECK_INT(store_subscriber_get(w.s, id, &sub), NF_OK);
	d = engine_start(&w, 1, 10, "engine-a");
	CHECK(d != NULL);
	CHECK_INT(deliver_confirm(d, id, sub->email, sub->token_salt), NF_OK);
	raw = xstrdup("From: alerts@news.example\r\nTo: editor@example.com\r\nSubject: test\r\n\r\nhello\r\n");
	CHECK_INT(deliver_priority(d, "editor@example.com", raw, strlen(raw), 0), NF_OK);
	for (i = 0; i < 500 && !ok; i++, sleep_ms(20)) {
		struct store_subscriber *now = NULL;

		ok = store_subscriber_get(w.s, id, &now) == NF_OK && now->confirm_sent_at > 0 &&
		     relay_accepted("editor@example.com") == 1;
		store_subscriber_free(now);
	}
	deliver_stop(d);
	CHECK(ok);
	CHECK_INT(relay_accepted(addr("newcomer")), 1);
	CHECK(relay_last(addr("newcomer"), msg, sizeof(msg), from, sizeof(from)));
	CHECK(strncmp(from, "bounce+", 7) == 0);
	CHECK(strstr(from, "@news.example") != NULL);
	CHECK(strstr(msg, "https://news.example/confirm/") != NULL);
	CHECK(relay_last("editor@example.com", msg, sizeof(msg), from, sizeof(from)));
	CHECK_STR(from, "bounce@news.example");
	CHECK(strstr(msg, "hello") != NULL);
	store_subscriber_free(sub);
	world_close(&w);
}
