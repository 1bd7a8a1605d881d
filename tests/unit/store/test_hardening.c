/* store: suppressions in every audience (both forms), the cap on confirmation mails, emailed links */
#include <stdlib.h>
#include <string.h>

#include "fixture.h"

static const struct store_consent_in web = { "form", "192.0.2.1", "test", NULL, NULL, 0 };

/* how many of the default list's mailable members there are, walked as an alert does; -1 on error */
static long
members(struct store *s)
{
	struct store_batch b;
	int64_t cursor = 0;
	long n = 0;

	store_batch_init(&b);
	do {
		if (store_members_next(s, store_default_list(s), &cursor, 0, 100, &b) != NF_OK) {
			n = -1;
			break;
		}
		n += (long)b.count;
	} while (b.count > 0);
	store_batch_free(&b);
	return n;
}

static int64_t
audience(struct store *s)
{
	int64_t list = store_default_list(s), n = -1;

	return store_audience_count(s, &list, 1, &n) == NF_OK ? n : -1;
}

/*
 * erase-and-suppress keeps only the keyed hash; a row made again for the
 * address (a path that forgot to check) must still get no alert
 */
STORE_TEST(recreated_row_of_an_erased_address_is_in_no_audience)
{
	struct store_signup in = { "back@example.org", "back@example.org", NULL, NULL, NULL, 1, 0, web };
	int64_t id = fixture_sub(s, "back", 1, 0), again = 0, alert = 0, article = 0;
	enum store_sub_status st;
	struct store_article a;
	struct store_alert *al = NULL;
	int created = 0;

	CHECK_INT(members(s), 1);
	CHECK_INT(store_subscriber_erase(s, id, "asked"), NF_OK);
	CHECK_INT(members(s), 0);
	/* the store's own create does not check: the audience must */
	CHECK_INT(store_subscriber_create(s, &in, &again, &st, &created), NF_OK);
	CHECK_INT(created, 1);
	CHECK_INT(st, STORE_CONFIRMED);
	CHECK_INT(members(s), 0);
	CHECK_INT(audience(s), 0);
	memset(&a, 0, sizeof(a));
	a.headline = "h";
	CHECK_INT(store_article_insert(s, &a, &article), NF_OK);
	CHECK_INT(store_alert_create(s, article, store_default_list(s), 2, 0, &alert), NF_OK);
	CHECK_INT(store_alert_get(s, alert, &al), NF_OK);
	CHECK_INT(al->total, 0);
	store_alert_free(al);
	/* and it can never be confirmed either */
	CHECK_INT(store_subscriber_set_status(s, again, STORE_UNSUBSCRIBED, &web, NULL), NF_OK);
	CHECK_INT(store_subscriber_set_status(s, again, STORE_PENDING, &web, NULL), NF_OK);
	CHECK_INT(store_subscriber_set_status(s, again, STORE_CONFIRMED, &web, NULL), NF_ERR_INVALID);
	/* an erasure empties the column too: no fingerprint stays on the row */
	CHECK_INT(store_subscriber_erase(s, again, "asked"), NF_OK);
	CHECK_INT(fixture_sql(s, "SELECT 1"), NF_OK);
}

/* rows made before version 6 get their key_hash when it is applied */
STORE_TEST(migration_to_6_fills_key_hash_of_older_rows)
{
	int64_t keep = fixture_sub(s, "old1", 1, 0), gone = fixture_sub(s, "old2", 1, 0);
	struct store_signup in = { "old2@example.org", "old2@example.org", NULL, NULL, NULL, 1, 0, web };
	struct store *t = NULL;
	enum store_sub_status st;
	int64_t again = 0;
	int created = 0, version = 0, applied = 0;

	CHECK(keep > 0);
	CHECK_INT(store_subscriber_erase(s, gone, "asked"), NF_OK);
	CHECK_INT(store_subscriber_create(s, &in, &again, &st, &created), NF_OK);
	/*
	 * back to version 5, as a database made by the previous release would
	 * be; version 7 (the alerts' retrying state) rebuilds its table the same
	 * way whether or not it ran before, so it is simply forgotten; version
	 * 8's tables and 9's webhook tables and triggers go
	 */
	CHECK_INT(fixture_sql(s, fixture_dialect() == STORE_PG ?
			      "DROP FUNCTION webhook_subscribers, webhook_suppressions, webhook_alerts,"
			      " webhook_failed CASCADE; DROP FUNCTION webhook_record;"
			      " DROP TABLE webhook_events; DROP TABLE webhook_endpoints" :
			      "DROP TRIGGER webhook_sub_created; DROP TRIGGER webhook_sub_status;"
			      " DROP TRIGGER webhook_complaint; DROP TRIGGER webhook_bounce;"
			      " DROP TRIGGER webhook_alert_queued;"
			      " DROP TRIGGER webhook_alert_state; DROP TRIGGER webhook_alert_dropped;"
			      " DROP TRIGGER webhook_failed; DROP TRIGGER webhook_failed_later;"
			      " DROP TABLE webhook_events; DROP TABLE webhook_endpoints"), NF_OK);
	CHECK_INT(fixture_sql(s, "DROP TABLE alert_reached; DROP TABLE alert_events;"
			      " DROP TABLE action_links; DROP TABLE confirm_sends;"
			      " ALTER TABLE subscribers DROP COLUMN key_hash;"
			      " DELETE FROM schema_version WHERE version >= 6"), NF_OK);
	CHECK_INT(store_open(fixture_url(), &t), NF_OK);
	CHECK_INT(store_migrate(t, &version, &applied), NF_OK);
	CHECK_INT(version, store_schema_latest());
	CHECK_INT(applied, store_schema_latest() - 5);
	CHECK_INT(members(t), 1);	/* without the filled key_hash the re-made row would be 2 */
	store_close(t);
}

STORE_TEST(confirmation_slots_are_capped_per_mailbox_in_a_window)
{
	int64_t now = 1800000000, day = 86400;
	int taken = -1, i;

	for (i = 0; i < 3; i++) {
		CHECK_INT(store_confirm_slot(s, "v@example.org", 3, 30 * day, now + i, &taken), NF_OK);
		CHECK_INT(taken, 1);
	}
	CHECK_INT(store_confirm_slot(s, "v@example.org", 3, 30 * day, now + 10, &taken), NF_OK);
	CHECK_INT(taken, 0);
	/* another mailbox has its own */
	CHECK_INT(store_confirm_slot(s, "w@example.org", 3, 30 * day, now + 10, &taken), NF_OK);
	CHECK_INT(taken, 1);
	/* once the window has passed, there is room again, and the old rows are gone */
	CHECK_INT(store_confirm_slot(s, "v@example.org", 3, 30 * day, now + 31 * day, &taken), NF_OK);
	CHECK_INT(taken, 1);
	CHECK_INT(fixture_sql(s, "DELETE FROM confirm_sends WHERE at < 1800000100"), NF_OK);
	CHECK_INT(store_confirm_slot(s, "", 3, 30 * day, now, &taken), NF_ERR_INVALID);
}

/* a withheld confirmation is not found owed by the lane's recovery */
STORE_TEST(withheld_confirmation_is_not_owed)
{
	int64_t id = fixture_sub(s, "held", 0, 0), cursor = 0, now = store_now(0);
	struct store_batch b;

	store_batch_init(&b);
	CHECK_INT(store_confirm_unsent(s, 0, now - 600, &cursor, 10, &b), NF_OK);
	CHECK_INT(b.count, 1);
	CHECK_INT(store_confirm_withhold(s, id, now + 30 * 86400), NF_OK);
	cursor = 0;
	CHECK_INT(store_confirm_unsent(s, 0, now + 600, &cursor, 10, &b), NF_OK);
	CHECK_INT(b.count, 0);
	/* a suppressed pending address is not owed one either */
	fixture_sub(s, "supp", 0, 0);
	CHECK_INT(store_suppression_add(s, "supp@example.org", "not-me"), NF_OK);
	cursor = 0;
	CHECK_INT(store_confirm_unsent(s, 0, now + 600, &cursor, 10, &b), NF_OK);
	CHECK_INT(b.count, 0);
	store_batch_free(&b);
}

STORE_TEST(emailed_links_work_once_and_only_the_latest)
{
	int64_t id = fixture_sub(s, "links", 1, 0), now = 1800000000;
	char n1[STORE_LINK_NONCE_MAX], n2[STORE_LINK_NONCE_MAX], got[STORE_LINK_NONCE_MAX];
	int issued = -1;

	CHECK_INT(store_link_issue(s, id, "export", now, 3600, 120, n1, &issued), NF_OK);
	CHECK_INT(issued, 1);
	CHECK_INT(store_link_issue(s, id, "export", now + 10, 3600, 120, n2, &issued), NF_OK);
	CHECK_INT(issued, 0);	/* pressed again at once: the first serves */
	CHECK_INT(store_link_nonce(s, id, "export", now + 10, got), NF_OK);
	CHECK_STR(got, n1);
	CHECK_INT(store_link_nonce(s, id, "erase", now + 10, got), NF_ERR_NOTFOUND);
	CHECK_INT(store_link_issue(s, id, "export", now + 200, 3600, 120, n2, &issued), NF_OK);
	CHECK_INT(issued, 1);
	CHECK(strcmp(n1, n2) != 0);
	CHECK_INT(store_link_use(s, id, "export", n1, now + 201), NF_ERR_NOTFOUND);	/* replaced */
	CHECK_INT(store_link_use(s, id, "export", n2, now + 201), NF_OK);
	CHECK_INT(store_link_use(s, id, "export", n2, now + 202), NF_ERR_NOTFOUND);	/* once */
	CHECK_INT(store_link_issue(s, id, "erase", now, 3600, 120, n1, &issued), NF_OK);
	CHECK_INT(store_link_nonce(s, id, "erase", now + 3600, got), NF_ERR_NOTFOUND);	/* expired */
	CHECK_INT(store_link_use(s, id, "erase", n1, now + 3600), NF_ERR_NOTFOUND);
	CHECK_INT(store_link_issue(s, id, "manage", store_now(0), 3600, 120, n1, &issued), NF_OK);
	CHECK_INT(store_subscriber_erase(s, id, "asked"), NF_OK);
	CHECK_INT(store_link_nonce(s, id, "manage", store_now(0), got), NF_ERR_NOTFOUND);
}
