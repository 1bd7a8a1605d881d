/* store: editors and sessions (the newsroom's sign-in), the audience per day, alert reports */
#include <stdlib.h>
#include <string.h>

#include "fixture.h"

#define T0 1700000000		/* a midnight is T0 - T0 % 86400 */

STORE_TEST(editor_add_get_and_list)
{
	struct store_editor *e = NULL, **all = NULL;
	int64_t id = 0, id2 = 0;
	size_t n = 0;

	CHECK_INT(store_editor_add(s, "jane", "jane@news.example", "$argon2id$x", &id), NF_OK);
	CHECK(id > 0);
	CHECK_INT(store_editor_add(s, "adam", NULL, "$argon2id$y", &id2), NF_OK);
	CHECK_INT(store_editor_get(s, "jane", &e), NF_OK);
	CHECK_INT(e->id, id);
	CHECK_STR(e->name, "jane");
	CHECK_STR(e->email, "jane@news.example");
	CHECK_STR(e->password_hash, "$argon2id$x");
	CHECK_INT(e->failed_signins, 0);
	CHECK_INT(e->last_signin_at, 0);
	CHECK(e->created_at > 0);
	store_editor_free(e);
	CHECK_INT(store_editor_get(s, "adam", &e), NF_OK);
	CHECK(e->email == NULL);
	store_editor_free(e);
	CHECK_INT(store_editor_get(s, "nobody", &e), NF_ERR_NOTFOUND);
	CHECK(e == NULL);
	CHECK_INT(store_editor_list(s, &all, &n), NF_OK);
	CHECK_INT(n, 2);
	CHECK_STR(all[0]->name, "adam");
	CHECK_STR(all[1]->name, "jane");
	store_editor_list_free(all, n);
}

STORE_TEST(editor_names_are_unique_and_plain)
{
	int64_t id = 0;

	CHECK_INT(store_editor_add(s, "jane", NULL, "h", &id), NF_OK);
	CHECK_INT(store_editor_add(s, "jane", NULL, "h2", &id), NF_ERR_INVALID);
	CHECK(strstr(store_errmsg(s), "exists") != NULL);
	CHECK_INT(store_editor_add(s, "Jane", NULL, "h", &id), NF_ERR_INVALID);
	CHECK_INT(store_editor_add(s, "jane doe", NULL, "h", &id), NF_ERR_INVALID);
	CHECK_INT(store_editor_add(s, "", NULL, "h", &id), NF_ERR_INVALID);
	CHECK_INT(store_editor_add(s, "bob", NULL, "", &id), NF_ERR_INVALID);
	CHECK(store_editor_name_ok("j-doe-2_x"));
	CHECK(!store_editor_name_ok("j.doe"));
	CHECK(!store_editor_name_ok("jane\n"));
}

/* failures count up in the database and a good sign-in clears them */
STORE_TEST(editor_failed_signins_count_and_clear)
{
	struct store_editor *e = NULL;
	int64_t id = 0, failures = 0;

	CHECK_INT(store_editor_add(s, "jane", NULL, "h", &id), NF_OK);
	CHECK_INT(store_editor_signin_failed(s, id, T0, &failures), NF_OK);
	CHECK_INT(failures, 1);
	CHECK_INT(store_editor_signin_failed(s, id, T0 + 5, &failures), NF_OK);
	CHECK_INT(failures, 2);
	CHECK_INT(store_editor_get(s, "jane", &e), NF_OK);
	CHECK_INT(e->failed_signins, 2);
	CHECK_INT(e->last_failed_at, T0 + 5);
	store_editor_free(e);
	CHECK_INT(store_editor_signin_ok(s, id, T0 + 9), NF_OK);
	CHECK_INT(store_editor_get(s, "jane", &e), NF_OK);
	CHECK_INT(e->failed_signins, 0);
	CHECK_INT(e->last_failed_at, 0);
	CHECK_INT(e->last_signin_at, T0 + 9);
	store_editor_free(e);
	CHECK_INT(store_editor_signin_failed(s, id + 99, T0, &failures), NF_ERR_NOTFOUND);
}

STORE_TEST(sessions_live_until_they_expire)
{
	struct store_session *ss = NULL;
	int64_t id = 0, n = 0;
	char stored[65];

	CHECK_INT(store_editor_add(s, "jane", "jane@news.example", "h", &id), NF_OK);
	CHECK_INT(store_session_add(s, "digest-1", id, T0, T0 + 3600, "192.0.2.1", "ua"), NF_OK);
	CHECK_INT(store_session_add(s, "digest-2", id, T0, T0 + 60, NULL, NULL), NF_OK);
	CHECK_INT(store_session_get(s, "digest-1", T0 + 10, &ss), NF_OK);
	CHECK_INT(ss->editor_id, id);
	CHECK_STR(ss->name, "jane");
	CHECK_STR(ss->email, "jane@news.example");
	CHECK_INT(ss->created_at, T0);
	CHECK_INT(ss->expires_at, T0 + 3600);
	store_session_free(ss);
	CHECK_INT(store_session_get(s, "digest-1", T0 + 3600, &ss), NF_ERR_NOTFOUND);
	CHECK(ss == NULL);
	CHECK_INT(store_session_get(s, "no-such", T0, &ss), NF_ERR_NOTFOUND);
	store_sha256_hex("digest-1", 8, stored);	/* what the table holds opens nothing */
	CHECK_INT(store_session_get(s, stored, T0 + 10, &ss), NF_ERR_NOTFOUND);
	/* the same digest twice is refused: ids are random and never reused */
	CHECK(store_session_add(s, "digest-1", id, T0, T0 + 3600, NULL, NULL) != NF_OK);
	CHECK_INT(store_session_add(s, "digest-3", id, T0, T0, NULL, NULL), NF_ERR_INVALID);
	CHECK_INT(store_session_purge(s, T0 + 60, &n), NF_OK);
	CHECK_INT(n, 1);
	CHECK_INT(store_session_get(s, "digest-1", T0 + 61, &ss), NF_OK);
	store_session_free(ss);
	CHECK_INT(store_session_delete(s, "digest-1"), NF_OK);
	CHECK_INT(store_session_get(s, "digest-1", T0 + 61, &ss), NF_ERR_NOTFOUND);
}

/* a new password ends every session and clears the failures */
STORE_TEST(new_password_ends_sessions)
{
	struct store_session *ss = NULL;
	struct store_editor *e = NULL;
	int64_t id = 0, other = 0, failures = 0;

	CHECK_INT(store_editor_add(s, "jane", NULL, "old", &id), NF_OK);
	CHECK_INT(store_editor_add(s, "adam", NULL, "his", &other), NF_OK);
	CHECK_INT(store_session_add(s, "jane-1", id, 0, store_now(0) + 600, NULL, NULL), NF_OK);
	CHECK_INT(store_session_add(s, "adam-1", other, 0, store_now(0) + 600, NULL, NULL), NF_OK);
	CHECK_INT(store_editor_signin_failed(s, id, 0, &failures), NF_OK);
	CHECK_INT(store_editor_set_password(s, "jane", "new"), NF_OK);
	CHECK_INT(store_session_get(s, "jane-1", 0, &ss), NF_ERR_NOTFOUND);
	CHECK_INT(store_session_get(s, "adam-1", 0, &ss), NF_OK);
	store_session_free(ss);
	CHECK_INT(store_editor_get(s, "jane", &e), NF_OK);
	CHECK_STR(e->password_hash, "new");
	CHECK_INT(e->failed_signins, 0);
	store_editor_free(e);
	CHECK_INT(store_editor_set_password(s, "nobody", "x"), NF_ERR_NOTFOUND);
}

/* a ledger row; list 0 is about the subscription as a whole */
static void
ledger_list(struct store *s, int64_t sub, enum store_purpose p, enum store_action a, int64_t at,
	    int64_t list)
{
	struct store_consent_in ev = { "test", NULL, NULL, NULL, NULL, at };

	if (store_consent_add_list(s, sub, p, a, &ev, list) != NF_OK)
		test_fail_at(__FILE__, __LINE__, "consent_add_list: %s", store_errmsg(s));
}

static void
ledger(struct store *s, int64_t sub, enum store_purpose p, enum store_action a, int64_t at)
{
	ledger_list(s, sub, p, a, at, 0);
}

STORE_TEST(audience_is_counted_per_day_from_the_ledger)
{
	struct store_audience_day days[4];
	int64_t mid = T0 - T0 % 86400, a = fixture_sub(s, "a", 0, 0), topic = 0;

	CHECK(a > 0);
	CHECK_INT(store_list_ensure(s, "topic-x", &topic), NF_OK);
	ledger_list(s, a, STORE_ALERTS, STORE_GIVEN, mid + 86400, s->default_list);	/* breaking news */
	ledger_list(s, a, STORE_ALERTS, STORE_WITHDRAWN, mid + 86400, topic);	/* a topic: not counted */
	ledger(s, a, STORE_ALERTS, STORE_GIVEN, mid - 1);		/* the day before */
	ledger(s, a, STORE_ALERTS, STORE_GIVEN, mid);
	ledger(s, a, STORE_ALERTS, STORE_GIVEN, mid + 86399);
	ledger(s, a, STORE_ALERTS, STORE_CONFIRMED_ACT, mid + 600);
	ledger(s, a, STORE_MARKETING, STORE_GIVEN, mid + 700);	/* not the alerts audience */
	ledger(s, a, STORE_ALERTS, STORE_WITHDRAWN, mid + 2 * 86400 + 5);
	ledger(s, a, STORE_ALERTS, STORE_GIVEN, mid + 4 * 86400);	/* the day after */
	CHECK_INT(store_audience_daily(s, mid + 4000, days, 4), NF_OK);
	CHECK_INT(days[0].day, mid);
	CHECK_INT(days[3].day, mid + 3 * 86400);
	CHECK_INT(days[0].signups, 2);
	CHECK_INT(days[0].confirmations, 1);
	CHECK_INT(days[0].unsubscribes, 0);
	CHECK_INT(days[1].signups, 1);
	CHECK_INT(days[1].confirmations + days[1].unsubscribes, 0);
	CHECK_INT(days[2].unsubscribes, 1);
	CHECK_INT(days[2].signups, 0);
	CHECK_INT(days[3].signups, 0);
	CHECK_INT(store_audience_daily(s, mid, days, 0), NF_ERR_INVALID);
}

static int64_t
story(struct store *s, const char *headline)
{
	struct store_article a = { 0 };
	int64_t id = 0;

	a.headline = headline;
	return store_article_insert(s, &a, &id) == NF_OK ? id : 0;
}

static int
unsubscribe(struct store *s, int64_t id, int64_t at)
{
	struct store_consent_in ev = { "one-click", NULL, NULL, NULL, NULL, at };

	return store_subscriber_set_status(s, id, STORE_UNSUBSCRIBED, &ev, NULL);
}

/*
 * Bounces are permanent failures whose address bounced, and recipients a
 * returned message made bounced; an unsubscribe counts for the newest alert
 * before it, within 48 hours, and only when the person was one of that
 * alert's recipients.
 */
STORE_TEST(alert_reports_blame_bounces_and_unsubscribes)
{
	struct store_alert_report **r = NULL;
	struct store_consent_in dsn = { "inbound: dsn", NULL, NULL, NULL, NULL, T0 + 1800 };
	int64_t m[7], late, first = 0, second = 0;
	size_t n = 0;
	int i;

	for (i = 0; i < 7; i++) {
		char name[16];

		snprintf(name, sizeof(name), "m%d", i);
		CHECK((m[i] = fixture_sub(s, name, 1, 0)) > 0);
	}
	CHECK_INT(store_alert_create(s, story(s, "First"), s->default_list, 2, T0, &first), NF_OK);
	late = fixture_sub(s, "late", 1, 0);			/* joined after the first alert */
	CHECK_INT(store_delivery_perm(s, first, m[1], "550 5.1.1 no such user"), NF_OK);
	CHECK_INT(store_suppression_add(s, "m1@example.org", "bounce"), NF_OK);
	CHECK_INT(store_delivery_perm(s, first, m[2], "554 5.7.1 refused"), NF_OK);
	CHECK_INT(store_subscriber_suppress(s, m[5], "bounce", STORE_BOUNCED, &dsn), NF_OK);	/* a DSN */
	CHECK_INT(store_delivery_perm(s, first, m[6], "550 5.1.1 gone"), NF_OK);
	CHECK_INT(store_subscriber_suppress(s, m[6], "bounce", STORE_BOUNCED, &dsn), NF_OK);	/* counted once */
	CHECK_INT(unsubscribe(s, m[3], T0 + 3600), NF_OK);	/* the first's */
	CHECK_INT(unsubscribe(s, late, T0 + 3700), NF_OK);	/* never got the first */
	CHECK_INT(store_alert_create(s, story(s, "Second"), s->default_list, 1, T0 + 7200, &second),
		  NF_OK);
	CHECK_INT(unsubscribe(s, m[0], T0 + 8000), NF_OK);	/* the second's */
	CHECK_INT(unsubscribe(s, m[4], T0 + 7200 + STORE_UNSUB_WINDOW), NF_OK);	/* too late */
	CHECK_INT(store_alert_reports(s, 10, &r, &n), NF_OK);
	CHECK_INT(n, 2);
	CHECK_INT(r[0]->alert.id, second);
	CHECK_STR(r[0]->headline, "Second");
	CHECK_INT(r[0]->unsubscribes, 1);
	CHECK_INT(r[0]->bounces, 0);
	CHECK_INT(r[1]->alert.id, first);
	CHECK_STR(r[1]->headline, "First");
	CHECK_INT(r[1]->alert.total, 7);
	CHECK_INT(r[1]->alert.failed, 3);
	CHECK_INT(r[1]->bounces, 3);
	CHECK_INT(r[1]->unsubscribes, 1);
	CHECK_INT(r[1]->alert.created_at, T0);
	store_alert_report_list_free(r, n);
	CHECK_INT(store_alert_reports(s, 1, &r, &n), NF_OK);
	CHECK_INT(n, 1);
	store_alert_report_list_free(r, n);
}
