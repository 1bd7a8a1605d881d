/*
 * store: alerts to several lists (topic alerts). The audience is everyone
 * confirmed and unsuppressed on any of the alert's lists, each person once:
 * in the total, in the shards' span and in the stream the engine reads.
 */
#include <stdlib.h>
#include <string.h>

#include "fixture.h"

enum { BN = 1, TA = 2, TB = 4 };	/* breaking-news, topic-a, topic-b */

struct lists3 {
	int64_t bn, ta, tb;
};

static void
make_lists(struct store *s, struct lists3 *l)
{
	l->bn = s->default_list;
	CHECK_INT(store_list_ensure(s, "topic-a", &l->ta), NF_OK);
	CHECK_INT(store_list_ensure(s, "topic-b", &l->tb), NF_OK);
}

/* a subscriber on exactly the lists in mask, confirmed or not */
static int64_t
person(struct store *s, const struct lists3 *l, const char *name, int confirmed, int mask)
{
	int64_t id = fixture_sub(s, name, confirmed, 0);

	if (id == 0)
		return 0;
	if (!(mask & BN) && store_membership_remove(s, id, l->bn) != NF_OK)
		return 0;
	if ((mask & TA) && store_membership_add(s, id, l->ta) != NF_OK)
		return 0;
	if ((mask & TB) && store_membership_add(s, id, l->tb) != NF_OK)
		return 0;
	return id;
}

static int64_t
article(struct store *s)
{
	struct store_article a = { 0 };
	int64_t id = 0;

	a.headline = "Royal visit";
	return store_article_insert(s, &a, &id) == NF_OK ? id : 0;
}

/* the ids the stream gives, max at a time, between lo and hi */
static size_t
stream(struct store *s, int64_t alert, int sparse, int64_t lo, int64_t hi, size_t max,
       int64_t *out, size_t cap)
{
	struct store_batch b;
	int64_t cursor = lo;
	size_t n = 0, i;

	store_batch_init(&b);
	while (store_audience_next(s, alert, sparse, &cursor, hi, max, &b) == NF_OK && b.count > 0) {
		if (b.count > max)
			n = cap;	/* a batch larger than asked: the count check fails */
		for (i = 0; i < b.count && n < cap; i++)
			out[n++] = b.rows[i].id;
	}
	store_batch_free(&b);
	return n;
}

/*
 * Who is in: confirmed on breaking-news or topic-a (one of them, or both,
 * or all three lists). Who is out: on topic-b only (not one of the alert's
 * lists), pending, unsubscribed, bounced, suppressed, erased.
 */
STORE_TEST(alert_to_two_lists_reaches_each_person_once)
{
	struct lists3 l;
	int64_t want[6], got[32], art = article(s), alert = 0, lists[3];
	struct store_alert *a = NULL;
	size_t n, i, w = 0;
	int64_t id;

	make_lists(s, &l);
	want[w++] = person(s, &l, "bn-only", 1, BN);
	CHECK(person(s, &l, "tb-only", 1, TB) > 0);
	want[w++] = person(s, &l, "ta-only", 1, TA);
	want[w++] = person(s, &l, "bn-and-ta", 1, BN | TA);
	CHECK(person(s, &l, "pending", 0, BN | TA) > 0);
	id = person(s, &l, "left", 1, BN | TA);
	CHECK_INT(store_subscriber_set_status(s, id, STORE_UNSUBSCRIBED,
					      &(struct store_consent_in){ "test", 0, 0, 0, 0, 0 }, NULL), NF_OK);
	id = person(s, &l, "bounced", 1, TA);
	CHECK_INT(store_subscriber_set_status(s, id, STORE_BOUNCED,
					      &(struct store_consent_in){ "test", 0, 0, 0, 0, 0 }, NULL), NF_OK);
	CHECK(person(s, &l, "suppressed", 1, BN | TA) > 0);
	CHECK_INT(store_suppression_add(s, "suppressed@example.org", "complaint"), NF_OK);
	id = person(s, &l, "erased", 1, BN | TA);
	CHECK_INT(store_subscriber_erase(s, id, "test"), NF_OK);
	want[w++] = person(s, &l, "all-three", 1, BN | TA | TB);
	want[w++] = person(s, &l, "ta-and-tb", 1, TA | TB);

	lists[0] = l.bn;
	lists[1] = l.ta;
	lists[2] = l.ta;	/* a repeat is ignored */
	CHECK_INT(store_audience_count(s, lists, 3, &id), NF_OK);
	CHECK_INT(id, (int64_t)w);	/* what the newsroom is told before publishing */
	CHECK_INT(store_alert_create_lists(s, art, lists, 3, 3, 0, 1700000000, &alert), NF_OK);
	CHECK(alert > 0);
	CHECK_INT(store_alert_get(s, alert, &a), NF_OK);
	CHECK_INT(a->total, (int64_t)w);	/* each person counted once */
	CHECK_INT(a->list_id, l.bn);
	CHECK_STR(a->lists, "breaking-news topic-a");
	CHECK_INT(a->state, STORE_QUEUED);
	CHECK_INT(a->shards, 3);
	store_alert_free(a);

	/* batches of 2, 1 and 500, both ways: the same people, in id order, once each */
	for (i = 0; i < 6; i++) {
		size_t max = i % 3 == 0 ? 2 : i % 3 == 1 ? 1 : 500, j;

		n = stream(s, alert, i >= 3, 0, 0, max, got, 32);
		CHECK_INT(n, w);
		for (j = 0; j < n && j < w; j++)
			CHECK_INT(got[j], want[j]);
	}
}

/* claim every shard of the one queued alert and stream it as the engine does */
static void
cover(struct store *s, int64_t alert, int *shards, int64_t *seen)
{
	struct store_shard sh;
	struct store_batch b;
	int64_t cursor, last = 0;

	*seen = 0;
	*shards = 0;
	store_batch_init(&b);
	while (store_shard_claim(s, "w1", 0, 60, &sh) == NF_OK) {
		(*shards)++;
		CHECK_INT(sh.nlists, 2);
		CHECK_INT(sh.alert_id, alert);
		cursor = sh.cursor;
		while (store_shard_members_next(s, &sh, &cursor, 3, &b) == NF_OK && b.count > 0) {
			CHECK(b.rows[0].id > last);	/* shards in order, ids rising: nobody twice */
			CHECK(b.rows[b.count - 1].id <= sh.hi);
			last = b.rows[b.count - 1].id;
			*seen += (int64_t)b.count;
		}
		CHECK_INT(store_shard_finish(s, sh.id, "w1", 0), NF_OK);
	}
	store_batch_free(&b);
}

/*
 * the shards the engine claims cover the audience exactly: a breaking
 * alert (walking subscribers) and a topic alert (list by list)
 */
STORE_TEST(shards_of_a_topic_alert_cover_the_audience)
{
	struct lists3 l;
	int64_t art = article(s), alert = 0, lists[2], seen = 0;
	char name[32];
	int i, in = 0, in_topics = 0, shards = 0;

	make_lists(s, &l);
	for (i = 0; i < 40; i++) {
		int mask = i % 5 == 4 ? TB : i % 3 == 0 ? BN : i % 3 == 1 ? TA : BN | TA;

		/* thirds: breaking-news, topic-a, both; every fifth on topic-b only */
		snprintf(name, sizeof(name), "p%02d", i);
		CHECK(person(s, &l, name, 1, mask) > 0);
		in += i % 5 != 4;
		in_topics += (mask & (TA | TB)) != 0;
	}
	lists[0] = l.bn;
	lists[1] = l.ta;
	CHECK_INT(store_alert_create_lists(s, art, lists, 2, 4, 0, 0, &alert), NF_OK);
	cover(s, alert, &shards, &seen);
	CHECK_INT(shards, 4);
	CHECK_INT(seen, in);
	lists[0] = l.ta;
	lists[1] = l.tb;
	CHECK_INT(store_alert_create_lists(s, art, lists, 2, 3, 0, 0, &alert), NF_OK);
	cover(s, alert, &shards, &seen);
	CHECK_INT(shards, 3);
	CHECK_INT(seen, in_topics);
}

/*
 * list by list and walking subscribers give the same people, however the
 * batches fall: 300 subscribers, topic-a every 7th, topic-b every 11th
 * (some on both), every 13th of them not mailable; batches of 1 to 9 and
 * a bound hi inside the span
 */
STORE_TEST(topic_audience_both_ways_agree)
{
	struct lists3 l;
	int64_t art = article(s), alert = 0, lists[2], walk[300], merged[300], hi;
	char name[16];
	size_t nw, nm, max, j;
	int i;

	make_lists(s, &l);
	for (i = 1; i <= 300; i++) {
		int mask = (i % 7 == 0 ? TA : 0) | (i % 11 == 0 ? TB : 0);

		snprintf(name, sizeof(name), "q%03d", i);
		CHECK(person(s, &l, name, i % 13 != 0, mask ? mask : BN) > 0);
	}
	lists[0] = l.ta;
	lists[1] = l.tb;
	CHECK_INT(store_alert_create_lists(s, art, lists, 2, 1, 0, 0, &alert), NF_OK);
	for (max = 1; max <= 9; max += 2)
		for (hi = 0; hi <= 150; hi += 150) {
			nw = stream(s, alert, 0, 0, hi, max, walk, 300);
			nm = stream(s, alert, 1, 0, hi, max, merged, 300);
			CHECK(nw > 10);
			CHECK_INT(nm, nw);
			for (j = 0; j < nw; j++)
				CHECK_INT(merged[j], walk[j]);
		}
}

/* one list: nlists 1 and the members_next path; the alert names its list */
STORE_TEST(alert_to_one_list_keeps_the_fast_path)
{
	struct store_shard sh;
	struct store_alert *a = NULL;
	struct store_batch b;
	int64_t art = article(s), alert = 0, cursor;
	int i;

	for (i = 0; i < 5; i++) {
		char name[16];

		snprintf(name, sizeof(name), "one%d", i);
		CHECK(fixture_sub(s, name, 1, 0) > 0);
	}
	CHECK_INT(store_alert_create(s, art, s->default_list, 1, 0, &alert), NF_OK);
	CHECK_INT(store_alert_get(s, alert, &a), NF_OK);
	CHECK_STR(a->lists, "breaking-news");
	CHECK_INT(a->total, 5);
	store_alert_free(a);
	CHECK_INT(store_shard_claim(s, "w1", 0, 60, &sh), NF_OK);
	CHECK_INT(sh.nlists, 1);
	store_batch_init(&b);
	cursor = sh.cursor;
	CHECK_INT(store_shard_members_next(s, &sh, &cursor, 10, &b), NF_OK);
	CHECK_INT(b.count, 5);
	store_batch_free(&b);
}

/* nobody to mail: with SKIP_EMPTY no alert at all, without it one already done */
STORE_TEST(topic_alert_with_nobody_is_not_made)
{
	struct lists3 l;
	struct store_alert **as = NULL, *a = NULL;
	int64_t art = article(s), alert = 99, lists[2];
	size_t n = 0;

	make_lists(s, &l);
	CHECK(person(s, &l, "pending", 0, TA) > 0);
	CHECK(person(s, &l, "other-topic", 1, TB) > 0);
	lists[0] = l.ta;
	CHECK_INT(store_alert_create_lists(s, art, lists, 1, 2, STORE_ALERT_SKIP_EMPTY, 0, &alert), NF_OK);
	CHECK_INT(alert, 0);
	CHECK_INT(store_alert_list(s, 10, &as, &n), NF_OK);
	CHECK_INT(n, 0);
	store_alert_list_free(as, n);
	lists[1] = l.bn;	/* nobody on breaking-news either */
	CHECK_INT(store_alert_create_lists(s, art, lists, 2, 2, STORE_ALERT_SKIP_EMPTY, 0, &alert), NF_OK);
	CHECK_INT(alert, 0);
	CHECK_INT(store_alert_create_lists(s, art, lists, 2, 2, 0, 0, &alert), NF_OK);
	CHECK(alert > 0);
	CHECK_INT(store_alert_get(s, alert, &a), NF_OK);
	CHECK_INT(a->state, STORE_DONE);
	CHECK_INT(a->total, 0);
	CHECK_STR(a->lists, "breaking-news topic-a");
	store_alert_free(a);
	CHECK_INT(store_alert_create_lists(s, art, lists, 0, 2, 0, 0, &alert), NF_ERR_INVALID);
}

/* the operator's view of lists: each with its members and the confirmed among them */
STORE_TEST(lists_all_counts_members)
{
	struct lists3 l;
	struct store_list **ls = NULL;
	size_t n = 0;
	int64_t id;

	make_lists(s, &l);
	CHECK(person(s, &l, "a", 1, BN | TA) > 0);
	CHECK(person(s, &l, "b", 0, TA) > 0);
	id = person(s, &l, "c", 1, TA);
	CHECK_INT(store_subscriber_erase(s, id, "test"), NF_OK);
	CHECK_INT(store_lists_all(s, &ls, &n), NF_OK);
	CHECK_INT(n, 3);
	if (n == 3) {
		CHECK_STR(ls[0]->name, "breaking-news");
		CHECK_INT(ls[0]->members, 1);
		CHECK_INT(ls[0]->confirmed, 1);
		CHECK_STR(ls[1]->name, "topic-a");
		CHECK_INT(ls[1]->members, 2);
		CHECK_INT(ls[1]->confirmed, 1);
		CHECK_STR(ls[2]->name, "topic-b");
		CHECK_INT(ls[2]->members, 0);
	}
	store_list_list_free(ls, n);
}
