/* store: leaving and privacy - memberships with ledger rows, bounces, complaints, inbound
 * de-duplication, erasure modes, purging unconfirmed signups, no trace in the files */
#include <stdlib.h>
#include <string.h>

#include "fixture.h"

static const struct store_consent_in prefs = {
	"preferences", "192.0.2.9", "Mozilla/5.0 prefs", NULL, NULL, 0
};

/* every membership change is a ledger row naming the list; no change, no row */
STORE_TEST(membership_changes_write_ledger_rows_naming_the_list)
{
	int64_t id = fixture_sub(s, "m1", 1, 0), topic = 0;
	struct store_list **ls = NULL;
	struct store_consent **evs = NULL;
	size_t n = 0, nev = 0;
	int changed = -1;

	CHECK(id > 0);
	CHECK_INT(store_list_ensure(s, "politics", &topic), NF_OK);
	CHECK_INT(store_lists_of(s, id, &ls, &n), NF_OK);
	CHECK_INT(n, 2);
	CHECK_STR(ls[0]->name, "breaking-news");
	CHECK_INT(ls[0]->member, 1);
	CHECK_STR(ls[1]->name, "politics");
	CHECK_INT(ls[1]->member, 0);
	store_list_list_free(ls, n);

	CHECK_INT(store_membership_set(s, id, topic, 1, &prefs, &changed), NF_OK);
	CHECK_INT(changed, 1);
	CHECK_INT(store_membership_set(s, id, topic, 1, &prefs, &changed), NF_OK);
	CHECK_INT(changed, 0);
	CHECK_INT(store_membership_set(s, id, s->default_list, 0, &prefs, &changed), NF_OK);
	CHECK_INT(changed, 1);
	CHECK_INT(store_lists_of(s, id, &ls, &n), NF_OK);
	CHECK(ls[0]->member == 0 && ls[1]->member == 1);
	store_list_list_free(ls, n);

	CHECK_INT(store_consent_list(s, id, &evs, &nev), NF_OK);
	CHECK_INT(nev, 3);	/* the signup, politics given, breaking-news withdrawn */
	CHECK(evs[0]->list == NULL);
	CHECK_STR(evs[1]->list, "politics");
	CHECK_INT(evs[1]->action, STORE_GIVEN);
	CHECK_STR(evs[1]->source, "preferences");
	CHECK_STR(evs[1]->ip, "192.0.2.9");
	CHECK_STR(evs[2]->list, "breaking-news");
	CHECK_INT(evs[2]->action, STORE_WITHDRAWN);
	store_consent_list_free(evs, nev);
	/* the ledger stays append-only, the new column included */
	CHECK(fixture_sql(s, "UPDATE consent_events SET list_id = NULL") != NF_OK);
	CHECK_INT(store_membership_set(s, 999999, topic, 1, &prefs, NULL), NF_ERR_NOTFOUND);
}

/* a hard bounce suppresses the key and marks the subscriber bounced; a complaint unsubscribes */
STORE_TEST(hard_bounce_and_complaint_suppress_the_address)
{
	const struct store_consent_in ev = { "bounce", NULL, NULL, NULL, NULL, 0 };
	int64_t a = fixture_sub(s, "hard", 1, 0), b = fixture_sub(s, "complains", 1, 0), at = 0;
	struct store_subscriber *sub = NULL;
	const char *form = NULL;
	char *reason = NULL;

	CHECK_INT(store_subscriber_suppress(s, a, "bounce", STORE_BOUNCED, &ev), NF_OK);
	CHECK_INT(store_subscriber_suppress(s, a, "bounce", STORE_BOUNCED, &ev), NF_OK);
	CHECK_INT(store_subscriber_get(s, a, &sub), NF_OK);
	CHECK_INT(sub->status, STORE_BOUNCED);
	store_subscriber_free(sub);
	CHECK_INT(store_suppression_get(s, "hard@example.org", &reason, &at, &form), NF_OK);
	CHECK_STR(reason, "bounce");
	CHECK_STR(form, "address");
	CHECK(at > 0);
	free(reason);

	CHECK_INT(store_subscriber_suppress(s, b, "complaint", STORE_UNSUBSCRIBED, &ev), NF_OK);
	CHECK_INT(store_subscriber_get(s, b, &sub), NF_OK);
	CHECK_INT(sub->status, STORE_UNSUBSCRIBED);
	store_subscriber_free(sub);
	CHECK_INT(store_suppression_check(s, "complains@example.org", &reason), NF_OK);
	CHECK_STR(reason, "complaint");
	free(reason);
	/* a bounced address that complains stays bounced */
	CHECK_INT(store_subscriber_suppress(s, a, "complaint", STORE_UNSUBSCRIBED, &ev), NF_OK);
	CHECK_INT(store_subscriber_get(s, a, &sub), NF_OK);
	CHECK_INT(sub->status, STORE_BOUNCED);
	store_subscriber_free(sub);
	CHECK_INT(store_subscriber_suppress(s, a, "x", STORE_CONFIRMED, &ev), NF_ERR_INVALID);
	CHECK_INT(store_suppression_get(s, "nobody@example.org", &reason, &at, &form), NF_ERR_NOTFOUND);
}

/* soft bounces are counted in a row; a delivery breaks the row; the limit suppresses */
STORE_TEST(soft_bounces_in_a_row_reach_the_limit)
{
	const struct store_consent_in ev = { "soft-bounce", NULL, NULL, NULL, NULL, 0 };
	int64_t id = fixture_sub(s, "soft", 1, 0);
	struct store_subscriber *sub = NULL;
	int count = 0, sup = -1;

	CHECK_INT(store_subscriber_soft_bounce(s, id, 3, &ev, &count, &sup), NF_OK);
	CHECK(count == 1 && sup == 0);
	CHECK_INT(store_subscriber_soft_bounce(s, id, 3, &ev, &count, &sup), NF_OK);
	CHECK(count == 2 && sup == 0);
	CHECK_INT(store_subscriber_soft_reset(s, id), NF_OK);
	CHECK_INT(store_subscriber_get(s, id, &sub), NF_OK);
	CHECK_INT(sub->soft_bounces, 0);
	CHECK_INT(sub->status, STORE_CONFIRMED);
	store_subscriber_free(sub);
	CHECK_INT(store_subscriber_soft_bounce(s, id, 3, &ev, &count, &sup), NF_OK);
	CHECK_INT(store_subscriber_soft_bounce(s, id, 3, &ev, &count, &sup), NF_OK);
	CHECK(count == 2 && sup == 0);
	CHECK_INT(store_subscriber_soft_bounce(s, id, 3, &ev, &count, &sup), NF_OK);
	CHECK(count == 3 && sup == 1);
	CHECK_INT(store_subscriber_get(s, id, &sub), NF_OK);
	CHECK_INT(sub->status, STORE_BOUNCED);
	CHECK_INT(sub->soft_bounces, 3);
	store_subscriber_free(sub);
	CHECK_INT(store_suppression_check(s, "soft@example.org", NULL), NF_OK);
	CHECK_INT(store_subscriber_soft_bounce(s, 987654, 3, &ev, &count, &sup), NF_ERR_NOTFOUND);
}

/* an inbound message is fresh once; a failed transaction does not mark it */
STORE_TEST(inbound_messages_are_seen_once)
{
	int fresh = -1;

	CHECK_INT(store_inbound_seen(s, "mid:<abc@mx.example>", "dsn", &fresh), NF_OK);
	CHECK_INT(fresh, 1);
	CHECK_INT(store_inbound_seen(s, "mid:<abc@mx.example>", "dsn", &fresh), NF_OK);
	CHECK_INT(fresh, 0);
	CHECK_INT(store_begin(s), NF_OK);
	CHECK_INT(store_inbound_seen(s, "mid:<rolled@back>", "arf", &fresh), NF_OK);
	CHECK_INT(fresh, 1);
	store_rollback(s);
	CHECK_INT(store_inbound_seen(s, "mid:<rolled@back>", "arf", &fresh), NF_OK);
	CHECK_INT(fresh, 1);
}

/* FORGET leaves no new suppression, but a bounce outlives the erasure as a keyed hash */
STORE_TEST(erase_forget_keeps_only_an_existing_suppression)
{
	int64_t a = fixture_sub(s, "forget", 1, 0), b = fixture_sub(s, "dead", 1, 0), at = 0;
	const char *form = NULL;
	char *reason = NULL;

	CHECK_INT(store_subscriber_erase_as(s, a, "asked", STORE_ERASE_FORGET), NF_OK);
	CHECK_INT(store_suppression_check(s, "forget@example.org", NULL), NF_ERR_NOTFOUND);
	CHECK_INT(store_suppression_add(s, "dead@example.org", "bounce"), NF_OK);
	CHECK_INT(store_subscriber_erase_as(s, b, "asked", STORE_ERASE_FORGET), NF_OK);
	CHECK_INT(store_suppression_get(s, "dead@example.org", &reason, &at, &form), NF_OK);
	CHECK_STR(reason, "bounce");
	CHECK_STR(form, "keyed-hash");
	free(reason);
}

/* pending signups older than the cutoff are forgotten; recent or confirmed ones stay */
STORE_TEST(purge_forgets_old_unconfirmed_signups)
{
	struct store_signup in = { "old@example.org", "old@example.org", NULL, NULL, NULL, 0, 1,
				   { "form", "192.0.2.1", "ua", NULL, NULL, 1000 } };
	struct store_subscriber *sub = NULL;
	struct store_consent **evs = NULL;
	int64_t old = 0, fresh_id = fixture_sub(s, "new", 0, 0), conf = 0, n = -1;
	size_t nev = 0, i;

	CHECK_INT(store_subscriber_create(s, &in, &old, NULL, NULL), NF_OK);
	in.email = in.email_key = "oldconfirmed@example.org";
	in.confirmed = 1;
	CHECK_INT(store_subscriber_create(s, &in, &conf, NULL, NULL), NF_OK);
	CHECK(fresh_id > 0);
	CHECK_INT(store_subscribers_purge(s, 5000, 100, &n), NF_OK);
	CHECK_INT(n, 1);
	CHECK_INT(store_subscriber_get(s, old, &sub), NF_OK);
	CHECK_INT(sub->status, STORE_ERASED);
	CHECK(sub->email == NULL);
	store_subscriber_free(sub);
	CHECK_INT(store_suppression_check(s, "old@example.org", NULL), NF_ERR_NOTFOUND);
	CHECK_INT(store_consent_list(s, old, &evs, &nev), NF_OK);
	CHECK(nev >= 3);
	for (i = 0; i < nev; i++)
		CHECK(evs[i]->ip == NULL && evs[i]->user_agent == NULL);
	CHECK_STR(evs[nev - 1]->source, "unconfirmed: purged");
	store_consent_list_free(evs, nev);
	CHECK_INT(store_subscriber_get(s, fresh_id, &sub), NF_OK);
	CHECK_INT(sub->status, STORE_PENDING);
	store_subscriber_free(sub);
	CHECK_INT(store_subscriber_get(s, conf, &sub), NF_OK);
	CHECK_INT(sub->status, STORE_CONFIRMED);
	store_subscriber_free(sub);
	CHECK_INT(store_subscribers_purge(s, 5000, 100, &n), NF_OK);
	CHECK_INT(n, 0);
	/* an address that can sign up again after being purged */
	in.email = in.email_key = "old@example.org";
	in.confirmed = 0;
	in.consent.at = 0;
	CHECK_INT(store_subscriber_create(s, &in, &old, NULL, NULL), NF_OK);
}

/* a subscriber's failed deliveries, for the export */
STORE_TEST(deliveries_of_a_subscriber)
{
	struct store_article art;
	struct store_delivery **ds = NULL;
	int64_t id = fixture_sub(s, "del", 1, 0), other = fixture_sub(s, "other", 1, 0);
	int64_t article = 0, alert = 0;
	size_t n = 0;

	memset(&art, 0, sizeof(art));
	art.headline = "Headline";
	CHECK_INT(store_article_insert(s, &art, &article), NF_OK);
	CHECK_INT(store_alert_create(s, article, s->default_list, 1, 0, &alert), NF_OK);
	CHECK_INT(store_delivery_perm(s, alert, id, "550 5.1.1 <del@example.org> unknown"), NF_OK);
	CHECK_INT(store_delivery_temp(s, alert, other, 99, "451 later"), NF_OK);
	CHECK_INT(store_deliveries_of(s, id, &ds, &n), NF_OK);
	CHECK_INT(n, 1);
	CHECK_INT(ds[0]->kind, STORE_PERM);
	CHECK_STR(ds[0]->reply, "550 5.1.1 <del@example.org> unknown");
	store_delivery_list_free(ds, n);
	CHECK_INT(store_subscriber_erase(s, id, "asked"), NF_OK);
	CHECK_INT(store_deliveries_of(s, id, &ds, &n), NF_OK);
	CHECK_INT(n, 0);
	free(ds);
}

static int
file_holds(const char *path, const char *needle)
{
	size_t len = 0, nl = strlen(needle), i;
	char *data = test_read_file(path, &len);
	int found = 0;

	for (i = 0; data && !found && i + nl <= len; i++)
		found = memcmp(data + i, needle, nl) == 0;
	free(data);
	return found;
}

/* after an erasure no byte of the address is left in the database or its log */
STORE_TEST(erased_address_leaves_no_bytes_in_the_files)
{
	struct store_signup in = { "Trace.Me@example.org", "trace.me@example.org", "Trace.Me@example.org",
				   "Trace Me", NULL, 1, 1, { "form", "198.51.100.4", "ua", NULL, NULL, 0 } };
	struct store_subscriber *sub = NULL;
	char db[600], wal[620], name[32];
	int64_t id = 0;
	int i;

	CHECK_INT(store_subscriber_create(s, &in, &id, NULL, NULL), NF_OK);
	for (i = 0; i < 50; i++) {	/* neighbours, so the row shares pages with others */
		snprintf(name, sizeof(name), "neighbour-%d", i);
		CHECK(fixture_sub(s, name, 1, 0) > 0);
	}
	CHECK_INT(store_suppression_add(s, "trace.me@example.org", "bounce"), NF_OK);
	CHECK_INT(store_subscriber_erase(s, id, "asked"), NF_OK);
	CHECK_INT(store_subscriber_get(s, id, &sub), NF_OK);
	CHECK(sub->email == NULL && sub->email_key == NULL && sub->name == NULL);
	store_subscriber_free(sub);
	if (fixture_dialect() != STORE_SQLITE)
		return;	/* PostgreSQL: the row holds no address; old versions go to VACUUM */
	snprintf(db, sizeof(db), "%s", fixture_url() + 7);
	snprintf(wal, sizeof(wal), "%s-wal", db);
	CHECK(!file_holds(db, "race.me@example.org"));
	CHECK(!file_holds(wal, "race.me@example.org"));
	CHECK(!file_holds(db, "198.51.100.4"));
	CHECK(!file_holds(db, "Trace Me"));
	CHECK(file_holds(db, "neighbour-7@example.org"));	/* the search does find what is there */
}
