/* store: import, articles, alerts, shards and leases, deliveries, suppressions, API keys */
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fixture.h"

static int64_t
article(struct store *s)
{
	struct store_article a = { 0 };
	int64_t id = 0;

	a.headline = "Breaking: tests pass";
	a.slug = "tests-pass";
	if (store_article_insert(s, &a, &id) != NF_OK)
		return 0;
	return id;
}

/* n confirmed members of breaking-news, ids returned in order */
static int
members(struct store *s, int n, int64_t *ids)
{
	char name[32];
	int i;

	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "m%03d", i);
		if ((ids[i] = fixture_sub(s, name, 1, 0)) == 0)
			return 0;
	}
	return 1;
}

STORE_TEST(import_batch_reports_each_row)
{
	struct store_import_row rows[] = {
		{ "one@example.org", "one@example.org", "One@example.org", "One", 1, 2, 0 },
		{ "two@example.org", "two@example.org", NULL, NULL, 0, 3, 0 },
		{ "one@example.org", "one@example.org", NULL, NULL, 0, 4, 0 },	/* again in the batch */
		{ "old@example.org", "old@example.org", NULL, NULL, 0, 5, 0 },	/* already stored */
		{ "bad@example.org", "bad@example.org", NULL, NULL, 0, 6, 0 },	/* suppressed */
	};
	struct store_import imp = { 0, 1, "import: crm export 2024", 1700001000 };
	struct store_subscriber *sub = NULL;
	struct store_consent **evs = NULL;
	int64_t old = fixture_sub(s, "old", 0, 0), n = 0;
	size_t nev = 0;

	CHECK(old > 0);
	CHECK_INT(store_suppression_add(s, "bad@example.org", "complaint"), NF_OK);
	imp.list_id = s->default_list;
	CHECK_INT(store_import_batch(s, &imp, rows, 5), NF_OK);
	CHECK_INT(rows[0].outcome, STORE_IMPORTED);
	CHECK_INT(rows[1].outcome, STORE_IMPORTED);
	CHECK_INT(rows[2].outcome, STORE_DUPLICATE);
	CHECK_INT(rows[3].outcome, STORE_DUPLICATE);
	CHECK_INT(rows[4].outcome, STORE_SUPPRESSED);

	CHECK_INT(store_subscriber_get_by_key(s, "one@example.org", &sub), NF_OK);
	CHECK_INT(sub->status, STORE_CONFIRMED);
	CHECK_INT(sub->confirmed_at, 1700001000);
	CHECK_STR(sub->email_display, "One@example.org");
	CHECK_STR(sub->name, "One");
	CHECK_INT(sub->marketing, 1);
	CHECK_INT(store_consent_list(s, sub->id, &evs, &nev), NF_OK);
	store_subscriber_free(sub);
	CHECK_INT(nev, 3);
	CHECK_STR(evs[0]->source, "import: crm export 2024");
	CHECK_INT(evs[0]->purpose, STORE_ALERTS);
	CHECK_INT(evs[0]->action, STORE_GIVEN);
	/* imported as confirmed: the ledger says they confirmed, as a signup's does */
	CHECK_INT(evs[1]->purpose, STORE_ALERTS);
	CHECK_INT(evs[1]->action, STORE_CONFIRMED_ACT);
	CHECK_STR(evs[1]->source, "import: crm export 2024");
	CHECK_INT(evs[2]->purpose, STORE_MARKETING);
	store_consent_list_free(evs, nev);
	/* the duplicate stayed as it was */
	CHECK_INT(store_subscriber_get(s, old, &sub), NF_OK);
	CHECK_INT(sub->status, STORE_PENDING);
	store_subscriber_free(sub);
	CHECK_INT(store_subscriber_count(s, "breaking-news", STORE_CONFIRMED, &n), NF_OK);
	CHECK_INT(n, 2);
}

#define DAY_NOON (1700006400 + 43200)

/*
 * the audience figures agree: readers imported as confirmed are counted as
 * confirmations on their day (the dashboard said 0), and the audience count
 * (what the preview and the confirmation say) counts them once however many
 * lists they are on
 */
STORE_TEST(imported_confirmed_readers_are_confirmed_readers)
{
	struct store_import_row rows[] = {
		{ "a@example.org", "a@example.org", NULL, NULL, 0, 1, 0 },
		{ "b@example.org", "b@example.org", NULL, NULL, 0, 2, 0 },
		{ "c@example.org", "c@example.org", NULL, NULL, 0, 3, 0 },
	};
	struct store_import imp = { 0, 1, "import", DAY_NOON };
	struct store_import pending = { 0, 0, "import", DAY_NOON };
	struct store_import_row late = { "p@example.org", "p@example.org", NULL, NULL, 0, 4, 0 };
	struct store_audience_day day;
	int64_t topic = 0, lists[2], n = 0;

	CHECK_INT(store_list_ensure(s, "politics", &topic), NF_OK);
	imp.list_id = s->default_list;
	CHECK_INT(store_import_batch(s, &imp, rows, 2), NF_OK);
	imp.list_id = topic;
	CHECK_INT(store_import_batch(s, &imp, rows, 3), NF_OK);	/* a and b join it: a consent row each */
	pending.list_id = s->default_list;
	CHECK_INT(store_import_batch(s, &pending, &late, 1), NF_OK);
	CHECK_INT(store_audience_daily(s, DAY_NOON, &day, 1), NF_OK);
	CHECK_INT(day.signups, 4);	/* a and b joining politics is about that list only */
	CHECK_INT(day.confirmations, 3);	/* every confirmed one; p is pending */
	lists[0] = s->default_list;
	lists[1] = topic;
	CHECK_INT(store_audience_count(s, lists, 1, &n), NF_OK);
	CHECK_INT(n, 2);
	CHECK_INT(store_audience_count(s, lists, 2, &n), NF_OK);
	CHECK_INT(n, 3);
}

/* the number of ledger rows of the subscriber with this key; -1 when none */
static int
ledger_count(struct store *s, const char *key)
{
	struct store_subscriber *sub = NULL;
	struct store_consent **evs = NULL;
	size_t nev = 0;
	int ok;

	if (store_subscriber_get_by_key(s, key, &sub) != NF_OK)
		return -1;
	ok = store_consent_list(s, sub->id, &evs, &nev) == NF_OK;
	store_subscriber_free(sub);
	store_consent_list_free(evs, nev);
	return ok ? (int)nev : -1;
}

/* resumable: running the same import again imports only what is missing */
STORE_TEST(import_again_skips_what_is_there)
{
	struct store_import_row rows[150];
	struct store_import imp = { 0, 0, "import", 0 };
	char (*mail)[32] = calloc(150, 32);
	int64_t topic = 0, n = 0;
	int i, imported = 0, dup = 0;

	CHECK(mail != NULL);
	CHECK_INT(store_list_ensure(s, "topic-x", &topic), NF_OK);
	imp.list_id = topic;
	for (i = 0; i < 150; i++) {
		snprintf(mail[i], 32, "r%d@example.net", i);
		rows[i] = (struct store_import_row){ mail[i], mail[i], NULL, NULL, i % 2, i + 1, 0 };
	}
	CHECK_INT(store_import_batch(s, &imp, rows, 100), NF_OK);
	CHECK_INT(store_import_batch(s, &imp, rows, 150), NF_OK);
	for (i = 0; i < 150; i++) {
		imported += rows[i].outcome == STORE_IMPORTED;
		dup += rows[i].outcome == STORE_DUPLICATE;
	}
	free(mail);
	CHECK_INT(imported, 50);
	CHECK_INT(dup, 100);
	CHECK_INT(store_subscriber_count(s, "topic-x", STORE_PENDING, &n), NF_OK);
	CHECK_INT(n, 150);
	/* each batch's ledger rows: alerts for all, marketing where ticked */
	CHECK_INT(ledger_count(s, "r148@example.net"), 1);
	CHECK_INT(ledger_count(s, "r149@example.net"), 2);
	CHECK_INT(ledger_count(s, "r1@example.net"), 2);
	CHECK_INT(ledger_count(s, "r0@example.net"), 1);
	CHECK_INT(store_subscriber_count(s, "breaking-news", STORE_ANY, &n), NF_OK);
	CHECK_INT(n, 0);
}

STORE_TEST(import_needs_a_source)
{
	struct store_import_row row = { "a@example.org", "a@example.org", NULL, NULL, 0, 1, 0 };
	struct store_import imp = { 1, 1, NULL, 0 };

	CHECK_INT(store_import_batch(s, &imp, &row, 1), NF_ERR_INVALID);
	imp.source = "x";
	row.email_key = NULL;
	CHECK_INT(store_import_batch(s, &imp, &row, 1), NF_ERR_INVALID);
}

STORE_TEST(articles_keep_every_field)
{
	struct store_article a = { 0 }, *got = NULL;
	int64_t id = 0;

	a.slug = "flood";
	a.headline = "Floods close the M4";
	a.standfirst = "Drivers told to avoid the area";
	a.body_html = "<p>Water \xe2\x80\x94 lots.</p>";
	a.body_text = "Water \xe2\x80\x94 lots.";
	a.byline = "A. Reporter";
	a.url = "https://news.example/flood";
	a.published_at = 1700002000;
	a.images_json = "[{\"url\":\"https://img.example/1.jpg\",\"caption\":\"M4\",\"credit\":\"PA\"}]";
	a.topics_json = "[\"weather\",\"travel\"]";
	a.breaking = 1;
	CHECK_INT(store_article_insert(s, &a, &id), NF_OK);
	CHECK_INT(store_article_get(s, id, &got), NF_OK);
	CHECK_STR(got->headline, a.headline);
	CHECK_STR(got->standfirst, a.standfirst);
	CHECK_STR(got->body_html, a.body_html);
	CHECK_STR(got->body_text, a.body_text);
	CHECK_STR(got->byline, a.byline);
	CHECK_STR(got->url, a.url);
	CHECK_STR(got->images_json, a.images_json);
	CHECK_STR(got->topics_json, a.topics_json);
	CHECK_STR(got->slug, "flood");
	CHECK_INT(got->published_at, 1700002000);
	CHECK_INT(got->breaking, 1);
	CHECK(got->created_at > 0);
	store_article_free(got);
	CHECK_INT(store_article_get(s, id + 100, &got), NF_ERR_NOTFOUND);
	a.headline = "";
	CHECK_INT(store_article_insert(s, &a, &id), NF_ERR_INVALID);
}

/* shards cover min..max confirmed member id in equal spans, nothing twice */
STORE_TEST(alert_is_split_into_shards_by_id_span)
{
	struct store_shard sh[4];
	struct store_alert *al = NULL;
	int64_t ids[10], alert = 0, art = article(s), total = 0;
	int i;

	CHECK(members(s, 10, ids));
	fixture_sub(s, "pending-one", 0, 0);
	CHECK_INT(store_alert_create(s, art, s->default_list, 3, 1700003000, &alert), NF_OK);
	CHECK_INT(store_alert_get(s, alert, &al), NF_OK);
	CHECK_INT(al->state, STORE_QUEUED);
	CHECK_INT(al->total, 10);
	CHECK_INT(al->shards, 3);
	CHECK_INT(al->created_at, 1700003000);
	store_alert_free(al);
	for (i = 0; i < 3; i++) {
		CHECK_INT(store_shard_claim(s, "w1", 1700003001, 60, &sh[i]), NF_OK);
		CHECK_INT(sh[i].no, i);
		CHECK_INT(sh[i].alert_id, alert);
		CHECK_INT(sh[i].list_id, s->default_list);
		CHECK_INT(sh[i].article_id, art);
		CHECK_INT(sh[i].cursor, sh[i].lo - 1);
		CHECK_INT(sh[i].lease_expiry, 1700003061);
		total += sh[i].hi - sh[i].lo + 1;
	}
	CHECK_INT(sh[0].lo, ids[0]);
	CHECK_INT(sh[2].hi, ids[9]);
	CHECK_INT(sh[1].lo, sh[0].hi + 1);
	CHECK_INT(sh[2].lo, sh[1].hi + 1);
	CHECK_INT(total, ids[9] - ids[0] + 1);
	CHECK_INT(store_shard_claim(s, "w1", 1700003001, 60, &sh[3]), NF_ERR_NOTFOUND);
	CHECK_INT(store_alert_get(s, alert, &al), NF_OK);
	CHECK_INT(al->state, STORE_SENDING);
	CHECK_INT(al->started_at, 1700003001);
	store_alert_free(al);
}

STORE_TEST(alert_to_nobody_is_done_at_once_and_shards_never_outnumber_members)
{
	struct store_alert *al = NULL;
	int64_t ids[2], topic = 0, alert = 0, art = article(s);

	CHECK_INT(store_list_ensure(s, "empty", &topic), NF_OK);
	CHECK_INT(store_alert_create(s, art, topic, 8, 1700004000, &alert), NF_OK);
	CHECK_INT(store_alert_get(s, alert, &al), NF_OK);
	CHECK_INT(al->state, STORE_DONE);
	CHECK_INT(al->total, 0);
	CHECK_INT(al->shards, 0);
	CHECK_INT(al->finished_at, 1700004000);
	store_alert_free(al);
	CHECK(members(s, 2, ids));
	CHECK_INT(store_alert_create(s, art, s->default_list, 8, 0, &alert), NF_OK);
	CHECK_INT(store_alert_get(s, alert, &al), NF_OK);
	CHECK_INT(al->shards, 2);
	store_alert_free(al);
	CHECK_INT(store_alert_create(s, art, s->default_list, 0, 0, &alert), NF_ERR_INVALID);
}

/* a dead worker's shard is taken over after its lease, from the committed cursor */
STORE_TEST(lease_expires_and_another_worker_resumes_from_the_cursor)
{
	struct store_shard a, b;
	int64_t ids[6], alert = 0;
	int cancelled = -1;

	CHECK(members(s, 6, ids));
	CHECK_INT(store_alert_create(s, article(s), s->default_list, 1, 1000, &alert), NF_OK);
	CHECK_INT(store_shard_claim(s, "worker-a", 1000, 30, &a), NF_OK);
	CHECK_INT(store_shard_progress(s, a.id, "worker-a", ids[2], 3, NULL, 0, 1010, 30, &cancelled),
		  NF_OK);
	CHECK_INT(cancelled, 0);
	CHECK_INT(store_shard_renew(s, a.id, "worker-a", 1020, 30), NF_OK);	/* to 1050 */
	CHECK_INT(store_shard_claim(s, "worker-b", 1049, 30, &b), NF_ERR_NOTFOUND);
	CHECK_INT(store_shard_claim(s, "worker-b", 1050, 30, &b), NF_OK);
	CHECK_INT(b.id, a.id);
	CHECK_INT(b.cursor, ids[2]);
	CHECK_INT(b.sent, 3);
	/* the old owner can no longer commit or renew */
	CHECK_INT(store_shard_progress(s, a.id, "worker-a", ids[5], 3, NULL, 0, 1051, 30, NULL),
		  NF_ERR_NOTFOUND);
	CHECK_INT(store_shard_renew(s, a.id, "worker-a", 1051, 30), NF_ERR_NOTFOUND);
	CHECK_INT(store_shard_finish(s, a.id, "worker-a", 1052), NF_ERR_NOTFOUND);
	CHECK_INT(store_shard_claim(s, "", 1050, 30, &b), NF_ERR_INVALID);
}

/* progress, failures and retries land together; the last shard finishes the alert */
STORE_TEST(progress_is_group_committed_and_finishing_ends_the_alert)
{
	struct store_shard sh[2];
	struct store_alert *al = NULL;
	int64_t ids[8], alert = 0;
	struct store_delivery_rec recs[2];
	int64_t n = -1;
	int done = -1;

	CHECK(members(s, 8, ids));
	recs[0] = (struct store_delivery_rec){ ids[1], STORE_TEMP, 2000, "451 4.7.1 try later" };
	recs[1] = (struct store_delivery_rec){ ids[2], STORE_PERM, 0, "550 5.1.1 no such user" };
	CHECK_INT(store_alert_create(s, article(s), s->default_list, 2, 1500, &alert), NF_OK);
	CHECK_INT(store_shard_claim(s, "w", 1500, 60, &sh[0]), NF_OK);
	CHECK_INT(store_shard_claim(s, "w", 1500, 60, &sh[1]), NF_OK);
	CHECK_INT(store_shard_progress(s, sh[0].id, "w", ids[3], 2, recs, 2, 1510, 60, NULL), NF_OK);
	CHECK_INT(store_alert_get(s, alert, &al), NF_OK);
	CHECK_INT(al->sent, 2);
	CHECK_INT(al->failed, 1);
	CHECK_INT(al->retrying, 1);
	store_alert_free(al);
	CHECK_INT(store_shard_finish(s, sh[0].id, "w", 1520), NF_OK);
	CHECK_INT(store_alert_finish(s, alert, 1520, &done), NF_OK);
	CHECK_INT(done, 0);
	CHECK_INT(store_shard_progress(s, sh[1].id, "w", ids[7], 4, NULL, 0, 1530, 60, NULL), NF_OK);
	CHECK_INT(store_shard_finish(s, sh[1].id, "w", 1540), NF_OK);
	/* every shard is worked, but one recipient waits for a retry: not done yet */
	CHECK_INT(store_alert_get(s, alert, &al), NF_OK);
	CHECK_INT(al->state, STORE_RETRYING);
	CHECK_INT(al->finished_at, 0);
	CHECK_INT(al->sent, 6);
	CHECK_INT(al->retrying, 1);
	CHECK_INT(al->shards_done, 2);
	store_alert_free(al);
	CHECK_INT(store_alert_finish(s, alert, 1600, &done), NF_OK);
	CHECK_INT(done, 0);
	CHECK_INT(store_alert_settle(s, alert, 1600, &n), NF_OK);
	CHECK_INT(n, 0);
	/* the retry goes through: the last outcome, so the alert is done */
	CHECK_INT(store_delivery_sent(s, alert, ids[1]), NF_OK);
	CHECK_INT(store_alert_settle(s, alert, 1700, &n), NF_OK);
	CHECK_INT(n, 1);
	CHECK_INT(store_alert_get(s, alert, &al), NF_OK);
	CHECK_INT(al->state, STORE_DONE);
	CHECK_INT(al->finished_at, 1700);
	CHECK_INT(al->sent, 7);
	CHECK_INT(al->retrying, 0);
	store_alert_free(al);
	CHECK_INT(store_alert_finish(s, alert, 1800, &done), NF_OK);
	CHECK_INT(done, 1);
	CHECK_INT(store_alert_settle(s, alert, 1800, &n), NF_OK);
	CHECK_INT(n, 0);
}

/* every recipient waits for a retry (a relay that is down): retrying, never done with 0 sent */
STORE_TEST(alert_whose_recipients_all_wait_is_retrying_until_they_end)
{
	struct store_delivery_rec recs[3];
	struct store_alert *al = NULL;
	struct store_shard sh;
	int64_t ids[3], alert = 0, other = 0, n = -1;
	int i;

	CHECK(members(s, 3, ids));
	for (i = 0; i < 3; i++)
		recs[i] = (struct store_delivery_rec){ ids[i], STORE_TEMP, 2100, "421 4.3.2 not now" };
	CHECK_INT(store_alert_create(s, article(s), s->default_list, 1, 2000, &alert), NF_OK);
	CHECK_INT(store_shard_claim(s, "w", 2000, 60, &sh), NF_OK);
	CHECK_INT(store_shard_progress(s, sh.id, "w", ids[2], 0, recs, 3, 2010, 60, NULL), NF_OK);
	CHECK_INT(store_shard_finish(s, sh.id, "w", 2020), NF_OK);
	CHECK_INT(store_alert_get(s, alert, &al), NF_OK);
	CHECK_INT(al->state, STORE_RETRYING);
	CHECK_STR(store_alert_state_name(al->state), "retrying");
	CHECK_INT(al->sent, 0);
	CHECK_INT(al->retrying, 3);
	CHECK_INT(al->finished_at, 0);
	store_alert_free(al);
	/* one is sent, one fails for good at the deadline: still one waiting */
	CHECK_INT(store_delivery_sent(s, alert, ids[0]), NF_OK);
	CHECK_INT(store_delivery_perm(s, alert, ids[1], "421 4.3.2 not now (gave up)"), NF_OK);
	CHECK_INT(store_alert_settle(s, 0, 2200, &n), NF_OK);
	CHECK_INT(n, 0);
	CHECK_INT(store_alert_get(s, alert, &al), NF_OK);
	CHECK_INT(al->state, STORE_RETRYING);
	store_alert_free(al);
	/* the last one goes some other way (an erasure drops its record): the sweep ends it */
	CHECK_INT(fixture_sql(s, "DELETE FROM deliveries WHERE kind = 'temp'"), NF_OK);
	CHECK_INT(store_alert_settle(s, 0, 2300, &n), NF_OK);
	CHECK_INT(n, 1);
	CHECK_INT(store_alert_get(s, alert, &al), NF_OK);
	CHECK_INT(al->state, STORE_DONE);
	CHECK_INT(al->finished_at, 2300);
	CHECK_INT(al->sent, 1);
	CHECK_INT(al->failed, 1);
	store_alert_free(al);
	/* a retrying alert can still be stopped: its retries are not claimed any more */
	CHECK_INT(store_alert_create(s, article(s), s->default_list, 1, 3000, &other), NF_OK);
	CHECK_INT(store_shard_claim(s, "w", 3000, 60, &sh), NF_OK);
	CHECK_INT(store_shard_progress(s, sh.id, "w", ids[2], 2, recs + 2, 1, 3010, 60, NULL), NF_OK);
	CHECK_INT(store_shard_finish(s, sh.id, "w", 3020), NF_OK);
	CHECK_INT(store_alert_get(s, other, &al), NF_OK);
	CHECK_INT(al->state, STORE_RETRYING);
	store_alert_free(al);
	CHECK_INT(store_alert_cancel(s, other, 3030), NF_OK);
	CHECK_INT(store_alert_get(s, other, &al), NF_OK);
	CHECK_INT(al->state, STORE_CANCELLED);
	CHECK_INT(al->finished_at, 3030);
	store_alert_free(al);
	{
		struct store_delivery **due = NULL;
		size_t ndue = 9;

		CHECK_INT(store_retries_claim(s, 9999, 60, 10, &due, &ndue), NF_OK);
		store_delivery_list_free(due, ndue);
		CHECK_INT((int64_t)ndue, 0);
	}
}

/*
 * The migration that brought 'retrying': an alert called done while a
 * retry waited becomes retrying, the rebuilt table keeps its rows, its
 * children's references and the foreign keys, and accepts the new state.
 */
STORE_TEST(migration_makes_done_alerts_with_waiting_retries_retrying)
{
	struct store_delivery_rec rec;
	struct store_alert *al = NULL;
	struct store_shard sh;
	int64_t ids[2], waiting = 0, clean = 0;
	int sqlite = fixture_dialect() == STORE_SQLITE, rc;

	CHECK(members(s, 2, ids));
	rec = (struct store_delivery_rec){ ids[0], STORE_TEMP, 4100, "451 4.7.0 later" };
	CHECK_INT(store_alert_create(s, article(s), s->default_list, 1, 4000, &waiting), NF_OK);
	CHECK_INT(store_shard_claim(s, "w", 4000, 60, &sh), NF_OK);
	CHECK_INT(store_shard_progress(s, sh.id, "w", ids[1], 1, &rec, 1, 4010, 60, NULL), NF_OK);
	CHECK_INT(store_shard_finish(s, sh.id, "w", 4020), NF_OK);
	CHECK_INT(store_alert_create(s, article(s), s->default_list, 1, 4000, &clean), NF_OK);
	/* as the old code left them: both done */
	CHECK_INT(fixture_sql(s, "UPDATE alerts SET state = 'done', finished_at = 4020"), NF_OK);
	/* the migration's script again, as store_schema_apply runs it */
	if (sqlite)
		CHECK_INT(fixture_sql(s, "PRAGMA foreign_keys=OFF"), NF_OK);
	CHECK_INT(store_tx_begin(s), NF_OK);
	rc = fixture_sql(s, store_schema_sql(fixture_dialect(), STORE_SCHEMA_RETRYING));
	CHECK_INT(store_tx_end(s, rc), NF_OK);
	if (sqlite)
		CHECK_INT(fixture_sql(s, "PRAGMA foreign_keys=ON"), NF_OK);
	CHECK_INT(store_alert_get(s, waiting, &al), NF_OK);
	CHECK_INT(al->state, STORE_RETRYING);
	CHECK_INT(al->finished_at, 0);
	CHECK_INT(al->sent, 1);
	CHECK_INT(al->retrying, 1);
	CHECK_INT(al->shards_done, 1);
	CHECK_STR(al->lists, "breaking-news");
	store_alert_free(al);
	CHECK_INT(store_alert_get(s, clean, &al), NF_OK);
	CHECK_INT(al->state, STORE_DONE);
	CHECK_INT(al->finished_at, 4020);
	store_alert_free(al);
	CHECK(fixture_sql(s, "INSERT INTO alert_lists (alert_id, list_id) VALUES (99999, 1)") != NF_OK);
	CHECK(fixture_sql(s, "UPDATE alerts SET state = 'finished'") != NF_OK);
}

STORE_TEST(cancelled_alert_hands_out_nothing_more)
{
	struct store_shard a, b;
	struct store_alert *al = NULL;
	int64_t ids[4], alert = 0;
	int cancelled = 0;

	CHECK(members(s, 4, ids));
	CHECK_INT(store_alert_create(s, article(s), s->default_list, 2, 100, &alert), NF_OK);
	CHECK_INT(store_shard_claim(s, "w", 100, 60, &a), NF_OK);
	CHECK_INT(store_alert_cancel(s, alert, 110), NF_OK);
	CHECK_INT(store_shard_claim(s, "w", 120, 60, &b), NF_ERR_NOTFOUND);
	CHECK_INT(store_shard_renew(s, a.id, "w", 120, 60), NF_ERR_NOTFOUND);
	/* what was sent before the worker noticed still counts */
	CHECK_INT(store_shard_progress(s, a.id, "w", ids[0], 1, NULL, 0, 121, 60, &cancelled), NF_OK);
	CHECK_INT(cancelled, 1);
	CHECK_INT(store_alert_get(s, alert, &al), NF_OK);
	CHECK_INT(al->state, STORE_CANCELLED);
	CHECK_INT(al->sent, 1);
	CHECK_INT(al->finished_at, 110);
	store_alert_free(al);
	CHECK_INT(store_alert_cancel(s, alert, 130), NF_ERR_INVALID);
	CHECK_INT(store_alert_cancel(s, alert + 50, 130), NF_ERR_NOTFOUND);
}

STORE_TEST(alerts_are_listed_newest_first)
{
	struct store_alert **as = NULL;
	int64_t ids[1], first = 0, second = 0, art;
	size_t n = 0;

	CHECK(members(s, 1, ids));
	art = article(s);
	CHECK_INT(store_alert_create(s, art, s->default_list, 1, 0, &first), NF_OK);
	CHECK_INT(store_alert_create(s, art, s->default_list, 1, 0, &second), NF_OK);
	CHECK_INT(store_alert_list(s, 10, &as, &n), NF_OK);
	CHECK_INT(n, 2);
	CHECK_INT(as[0]->id, second);
	CHECK_INT(as[1]->id, first);
	CHECK_INT(as[0]->total, 1);
	store_alert_list_free(as, n);
}

STORE_TEST(retries_come_due_and_are_leased)
{
	struct store_delivery **ds = NULL;
	struct store_alert *al = NULL;
	int64_t ids[2], alert = 0;
	size_t n = 0;

	CHECK(members(s, 2, ids));
	CHECK_INT(store_alert_create(s, article(s), s->default_list, 1, 0, &alert), NF_OK);
	CHECK_INT(store_delivery_temp(s, alert, ids[0], 100, "421 busy"), NF_OK);
	CHECK_INT(store_retries_claim(s, 99, 60, 10, &ds, &n), NF_OK);
	CHECK_INT(n, 0);
	store_delivery_list_free(ds, n);
	CHECK_INT(store_retries_claim(s, 100, 60, 10, &ds, &n), NF_OK);
	CHECK_INT(n, 1);
	CHECK_INT(ds[0]->subscriber_id, ids[0]);
	CHECK_INT(ds[0]->attempts, 1);
	CHECK_INT(ds[0]->kind, STORE_TEMP);
	CHECK_STR(ds[0]->reply, "421 busy");
	store_delivery_list_free(ds, n);
	CHECK_INT(store_retries_claim(s, 101, 60, 10, &ds, &n), NF_OK);
	CHECK_INT(n, 0);	/* leased until 160 */
	store_delivery_list_free(ds, n);
	CHECK_INT(store_delivery_temp(s, alert, ids[0], 300, "451 again"), NF_OK);
	CHECK_INT(store_retries_claim(s, 300, 60, 10, &ds, &n), NF_OK);
	CHECK_INT(n, 1);
	CHECK_INT(ds[0]->attempts, 2);
	store_delivery_list_free(ds, n);
	/* a permanent failure stays permanent */
	CHECK_INT(store_delivery_perm(s, alert, ids[1], "550 gone"), NF_OK);
	CHECK_INT(store_delivery_temp(s, alert, ids[1], 400, "451"), NF_OK);
	CHECK_INT(store_retries_claim(s, 1000, 60, 10, &ds, &n), NF_OK);
	CHECK_INT(n, 1);
	CHECK_INT(ds[0]->subscriber_id, ids[0]);
	store_delivery_list_free(ds, n);
	/* the retry went through */
	CHECK_INT(store_delivery_sent(s, alert, ids[0]), NF_OK);
	CHECK_INT(store_delivery_sent(s, alert, ids[0]), NF_ERR_NOTFOUND);
	CHECK_INT(store_alert_get(s, alert, &al), NF_OK);
	CHECK_INT(al->sent, 1);
	CHECK_INT(al->retrying, 0);
	CHECK_INT(al->failed, 1);
	store_alert_free(al);
	/* a cancelled alert's retries are not handed out */
	CHECK_INT(store_delivery_temp(s, alert, ids[0], 500, "421"), NF_OK);
	CHECK_INT(store_alert_cancel(s, alert, 501), NF_OK);
	CHECK_INT(store_retries_claim(s, 2000, 60, 10, &ds, &n), NF_OK);
	CHECK_INT(n, 0);
	store_delivery_list_free(ds, n);
}

STORE_TEST(suppressions_are_checked_by_key)
{
	char *reason = NULL;

	CHECK_INT(store_suppression_check(s, "x@example.org", &reason), NF_ERR_NOTFOUND);
	CHECK(reason == NULL);
	CHECK_INT(store_suppression_add(s, "x@example.org", "bounce"), NF_OK);
	CHECK_INT(store_suppression_add(s, "x@example.org", "complaint"), NF_OK);
	CHECK_INT(store_suppression_check(s, "x@example.org", &reason), NF_OK);
	CHECK_STR(reason, "bounce");
	free(reason);
	CHECK_INT(store_suppression_check(s, "x@example.org", NULL), NF_OK);
	CHECK_INT(store_suppression_add(s, "", "bounce"), NF_ERR_INVALID);
}

struct hashes {
	char hash[2][80];
	int n;
};

static int
keep_hash(void *arg, const struct store_row *r)
{
	struct hashes *h = arg;

	if (h->n < 2 && r->val[1] && r->len[1] < 80)
		memcpy(h->hash[h->n++], r->val[1], r->len[1] + 1);
	return NF_OK;
}

STORE_TEST(api_keys_are_random_hashed_and_checked)
{
	char k1[STORE_APIKEY_MAX], k2[STORE_APIKEY_MAX], *name = NULL;

	CHECK_INT(store_apikey_create(s, "newsroom", k1), NF_OK);
	CHECK_INT(store_apikey_create(s, "cms", k2), NF_OK);
	CHECK(strncmp(k1, "nf_", 3) == 0);
	CHECK_INT(strlen(k1), 46);
	CHECK(strcmp(k1, k2) != 0);
	CHECK_INT(store_apikey_verify(s, k2, strlen(k2), &name), NF_OK);
	CHECK_STR(name, "cms");
	free(name);
	k1[45] = k1[45] == 'A' ? 'B' : 'A';
	CHECK_INT(store_apikey_verify(s, k1, strlen(k1), &name), NF_ERR_NOTFOUND);
	CHECK(name == NULL);
	CHECK_INT(store_apikey_verify(s, k2, strlen(k2) - 1, NULL), NF_ERR_NOTFOUND);
	CHECK_INT(store_apikey_verify(s, "", 0, NULL), NF_ERR_NOTFOUND);
	CHECK_INT(store_apikey_create(s, "cms", k1), NF_ERR_INVALID);
	/* what is stored is the SHA-256 of the key, never the key */
	{
		struct hashes h = { { "", "" }, 0 };
		unsigned char d[32];
		struct buf hex;

		CHECK_INT(store_exec(s, Q_APIKEY_ALL, NULL, 0, keep_hash, &h, NULL), NF_OK);
		CHECK_INT(h.n, 2);
		sha256(k2, strlen(k2), d);
		buf_init(&hex, 0);
		hex_encode(&hex, d, sizeof(d));
		CHECK_STR(h.hash[1], hex.data);
		buf_free(&hex);
		CHECK(strstr(h.hash[1], k2 + 3) == NULL);
	}
}

/*
 * Three processes claim shards at once until none is left: every shard is
 * claimed exactly once (PostgreSQL: SKIP LOCKED; SQLite: one writer at a time).
 */
STORE_TEST(concurrent_workers_claim_each_shard_once)
{
	int64_t ids[40], alert = 0, got;
	int out[2], i, status, seen[16] = { 0 }, total = 0, dup = 0;
	pid_t kids[3];

	CHECK(members(s, 40, ids));
	CHECK_INT(store_alert_create(s, article(s), s->default_list, 16, 0, &alert), NF_OK);
	CHECK(pipe(out) == 0);
	for (i = 0; i < 3; i++) {
		kids[i] = fork();
		CHECK(kids[i] >= 0);
		if (kids[i] == 0) {
			struct store *mine = NULL;
			struct store_shard sh;
			char owner[16];
			int rc;

			close(out[0]);
			snprintf(owner, sizeof(owner), "kid%d", i);
			if (store_open(fixture_url(), &mine) != NF_OK)
				_exit(1);
			while ((rc = store_shard_claim(mine, owner, 0, 60, &sh)) == NF_OK ||
			       rc == NF_ERR_TEMP) {
				if (rc == NF_OK && write(out[1], &sh.no, sizeof(sh.no)) < 0)
					_exit(2);
			}
			store_close(mine);
			_exit(rc == NF_ERR_NOTFOUND ? 0 : 3);
		}
	}
	close(out[1]);
	for (;;) {
		int no;

		if (read(out[0], &no, sizeof(no)) != sizeof(no))
			break;
		if (no < 0 || no >= 16)
			continue;
		dup += seen[no]++ > 0;
		total++;
	}
	close(out[0]);
	for (i = 0; i < 3; i++) {
		CHECK(waitpid(kids[i], &status, 0) == kids[i]);
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	CHECK_INT(dup, 0);
	CHECK_INT(total, 16);
	got = 0;
	for (i = 0; i < 16; i++)
		got += seen[i];
	CHECK_INT(got, 16);
}

/*
 * The reached record: a shard's part is written with its progress in one
 * transaction (a rollback leaves neither), parts merge on reading, its
 * count is the alert's sent count, and a retry's success joins it once.
 */
STORE_TEST(reached_record_moves_with_progress)
{
	struct store_shard sh[2];
	struct store_alert *al = NULL;
	struct store_delivery_rec rec;
	struct idset *part = idset_new(), *all = NULL;
	int64_t ids[8], alert = 0, n = -1;
	int has = -1;

	CHECK(members(s, 8, ids));
	CHECK_INT(store_alert_create(s, article(s), s->default_list, 2, 5000, &alert), NF_OK);
	CHECK_INT(store_shard_claim(s, "w", 5000, 60, &sh[0]), NF_OK);
	CHECK_INT(store_shard_claim(s, "w", 5000, 60, &sh[1]), NF_OK);
	CHECK_INT(store_reached_count(s, alert, &n), NF_OK);
	CHECK_INT(n, 0);
	/* a batch that is rolled back leaves neither the count nor the record */
	idset_add(part, ids[0]);
	CHECK_INT(store_begin(s), NF_OK);
	CHECK_INT(store_shard_progress(s, sh[0].id, "w", sh[0].cursor, 1, NULL, 0, 5001, 60, NULL), NF_OK);
	CHECK_INT(store_reached_save(s, alert, sh[0].no, part), NF_OK);
	store_rollback(s);
	CHECK_INT(store_reached_count(s, alert, &n), NF_OK);
	CHECK_INT(n, 0);
	/* committed: shard 0 reached ids 0 and 1, shard 1 id 5; id 6 failed for now */
	idset_add(part, ids[1]);
	rec = (struct store_delivery_rec){ ids[6], STORE_TEMP, 5000, "451 4.2.0 later" };
	CHECK_INT(store_begin(s), NF_OK);
	CHECK_INT(store_shard_progress(s, sh[0].id, "w", ids[1], 2, NULL, 0, 5002, 60, NULL), NF_OK);
	CHECK_INT(store_reached_save(s, alert, sh[0].no, part), NF_OK);
	CHECK_INT(store_commit(s), NF_OK);
	idset_free(part);
	part = idset_new();
	idset_add(part, ids[5]);
	CHECK_INT(store_begin(s), NF_OK);
	CHECK_INT(store_shard_progress(s, sh[1].id, "w", ids[7], 1, &rec, 1, 5003, 60, NULL), NF_OK);
	CHECK_INT(store_reached_save(s, alert, sh[1].no, part), NF_OK);
	CHECK_INT(store_commit(s), NF_OK);
	CHECK_INT(store_reached_count(s, alert, &n), NF_OK);
	CHECK_INT(n, 3);
	CHECK_INT(store_reached_load(s, alert, &all), NF_OK);
	CHECK_INT(idset_count(all), 3);
	CHECK(idset_has(all, ids[0]) && idset_has(all, ids[1]) && idset_has(all, ids[5]));
	CHECK(!idset_has(all, ids[6]));
	idset_free(all);
	/* the retry is accepted: in the record, counted once */
	CHECK_INT(store_delivery_sent(s, alert, ids[6]), NF_OK);
	CHECK_INT(store_reached_has(s, alert, ids[6], &has), NF_OK);
	CHECK_INT(has, 1);
	CHECK_INT(store_reached_has(s, alert, ids[4], &has), NF_OK);
	CHECK_INT(has, 0);
	CHECK_INT(store_reached_count(s, alert, &n), NF_OK);
	CHECK_INT(n, 4);
	CHECK_INT(store_alert_get(s, alert, &al), NF_OK);
	CHECK_INT(al->sent, n);
	store_alert_free(al);
	CHECK_INT(store_sent_total(s, &n), NF_OK);
	CHECK_INT(n, 4);
	/* another shard's part is its own: shard 1's holds one id */
	CHECK_INT(store_reached_part(s, alert, sh[1].no, &all), NF_OK);
	CHECK_INT(idset_count(all), 1);
	idset_free(all);
	/* a damaged record is an error, not a crash or a wrong answer */
	CHECK_INT(fixture_sql(s, "UPDATE alert_reached SET ids = 'QUJD' WHERE part = 0"), NF_OK);
	CHECK_INT(store_reached_load(s, alert, &all), NF_ERR_INVALID);
	CHECK(all == NULL);
	idset_free(part);
}

/* stop and resume: who did it is kept; resuming what is not stopped is refused */
STORE_TEST(stop_and_resume_are_audited)
{
	struct store_shard sh, other;
	struct store_alert *al = NULL;
	struct store_alert_event **ev = NULL;
	int64_t ids[3], alert = 0;
	size_t n = 0;

	CHECK(members(s, 3, ids));
	CHECK_INT(store_alert_create(s, article(s), s->default_list, 1, 6000, &alert), NF_OK);
	CHECK_INT(store_alert_resume(s, alert, "ed", 6001), NF_ERR_INVALID);	/* not stopped */
	CHECK_INT(store_alert_resume(s, alert + 9, "ed", 6001), NF_ERR_NOTFOUND);
	CHECK_INT(store_shard_claim(s, "w", 6001, 60, &sh), NF_OK);
	CHECK_INT(store_alert_stop(s, alert, "night-editor", 6002), NF_OK);
	CHECK_INT(store_alert_stop(s, alert, "night-editor", 6003), NF_ERR_INVALID);
	/* the stopped shard is given back; resumed, it can be claimed again at once */
	CHECK_INT(store_shard_claim(s, "v", 6004, 60, &other), NF_ERR_NOTFOUND);
	CHECK_INT(store_shard_release(s, sh.id, "w"), NF_OK);
	CHECK_INT(store_alert_resume(s, alert, "api-key cms", 6005), NF_OK);
	CHECK_INT(store_alert_get(s, alert, &al), NF_OK);
	CHECK_INT(al->state, STORE_SENDING);
	CHECK_INT(al->finished_at, 0);
	store_alert_free(al);
	CHECK_INT(store_shard_claim(s, "v", 6006, 60, &other), NF_OK);
	CHECK_INT(other.id, sh.id);
	CHECK_INT(store_alert_events(s, alert, &ev, &n), NF_OK);
	CHECK_INT(n, 2);
	CHECK_STR(ev[0]->action, "stopped");
	CHECK_STR(ev[0]->who, "night-editor");
	CHECK_INT(ev[0]->at, 6002);
	CHECK_STR(ev[1]->action, "resumed");
	CHECK_STR(ev[1]->who, "api-key cms");
	store_alert_event_list_free(ev, n);
}
