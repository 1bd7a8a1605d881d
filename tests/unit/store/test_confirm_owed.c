/*
 * tests for store/confirm_owed.c: the pending signups still owed a confirmation
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "fixture.h"

STORE_TEST(confirm_unsent_lists_recent_pending_never_sent)
{
	struct store_batch b;
	int64_t cursor = 0, fresh, sent, old, done, left, since;
	char sql[256];

	fresh = fixture_sub(s, "fresh", 0, 0);
	sent = fixture_sub(s, "sent", 0, 0);
	old = fixture_sub(s, "old", 0, 0);
	done = fixture_sub(s, "done", 1, 0);
	left = fixture_sub(s, "left", 0, 0);
	CHECK_INT(store_subscriber_confirm_sent(s, sent, 0), NF_OK);
	snprintf(sql, sizeof(sql), "UPDATE subscribers SET created_at = created_at - 8 * 86400 WHERE id = %lld",
		 (long long)old);
	CHECK_INT(fixture_sql(s, sql), NF_OK);
	snprintf(sql, sizeof(sql), "UPDATE subscribers SET status = 'unsubscribed' WHERE id = %lld",
		 (long long)left);
	CHECK_INT(fixture_sql(s, sql), NF_OK);
	NF_UNUSED(done);
	since = store_now(0) - 7 * 86400;
	store_batch_init(&b);
	CHECK_INT(store_confirm_unsent(s, since, store_now(0) + 1, &cursor, 10, &b), NF_OK);
	CHECK_INT(b.count, 1);
	CHECK_INT(b.rows[0].id, fresh);
	CHECK_STR(b.rows[0].email, "fresh@example.org");
	CHECK(b.rows[0].token_salt && strlen(b.rows[0].token_salt) > 0);
	CHECK_INT(cursor, fresh);
	/* the cursor moves on: nothing after it */
	CHECK_INT(store_confirm_unsent(s, since, store_now(0) + 1, &cursor, 10, &b), NF_OK);
	CHECK_INT(b.count, 0);
	store_batch_free(&b);
}

STORE_TEST(confirm_unsent_pages_by_id)
{
	struct store_batch b;
	int64_t cursor = 0, ids[5], got = 0;
	char name[16];
	int i;

	for (i = 0; i < 5; i++) {
		snprintf(name, sizeof(name), "p%d", i);
		ids[i] = fixture_sub(s, name, 0, 0);
	}
	store_batch_init(&b);
	while (store_confirm_unsent(s, 0, store_now(0) + 1, &cursor, 2, &b) == NF_OK && b.count > 0) {
		CHECK(b.count <= 2);
		for (size_t j = 0; j < b.count; j++)
			CHECK_INT(b.rows[j].id, ids[got++]);
	}
	CHECK_INT(got, 5);
	store_batch_free(&b);
}

/*
 * a signup claimed by the process that answered it is left to it until
 * settled; one nobody claimed (an import, the CLI) is owed at once; an
 * owed one is claimed by one caller only, and can be claimed again once
 * the claim is older than settled; a sent one never
 */
STORE_TEST(confirm_claims_are_won_once)
{
	struct store_batch b;
	int64_t cursor = 0, owed, answered, sent, now = store_now(0);

	owed = fixture_sub(s, "owed", 0, 0);
	answered = fixture_sub(s, "answered", 0, 0);
	sent = fixture_sub(s, "sent", 0, 0);
	CHECK_INT(store_confirm_claim(s, answered, now, INT64_MAX), NF_OK);	/* as signup_row does */
	CHECK_INT(store_subscriber_confirm_sent(s, sent, now - 50), NF_OK);
	store_batch_init(&b);
	CHECK_INT(store_confirm_unsent(s, 0, now - 30, &cursor, 10, &b), NF_OK);
	CHECK_INT(b.count, 1);
	CHECK_INT(b.rows[0].id, owed);
	store_batch_free(&b);

	CHECK_INT(store_confirm_claim(s, owed, now, now - 30), NF_OK);
	CHECK_INT(store_confirm_claim(s, owed, now, now - 30), NF_ERR_NOTFOUND);	/* the second asker */
	cursor = 0;
	store_batch_init(&b);
	CHECK_INT(store_confirm_unsent(s, 0, now - 30, &cursor, 10, &b), NF_OK);
	CHECK_INT(b.count, 0);	/* both claimed: owed to nobody else within the lease */
	cursor = 0;
	CHECK_INT(store_confirm_unsent(s, 0, now + 10, &cursor, 10, &b), NF_OK);
	CHECK_INT(b.count, 2);	/* a lease later both are owed again: their claimers died */
	store_batch_free(&b);
	CHECK_INT(store_confirm_claim(s, owed, now + 40, now + 10), NF_OK);
	CHECK_INT(store_confirm_claim(s, sent, now, INT64_MAX), NF_ERR_NOTFOUND);
}
