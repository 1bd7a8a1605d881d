/* store: outgoing webhooks - the outbox written in each change's transaction, endpoints,
 * leases, the cursor, back-off and disabling, replay, the address rules */
#include <stdlib.h>
#include <string.h>

#include "fixture.h"

static const struct store_consent_in by_test = { "test", NULL, NULL, NULL, NULL, 0 };

/* the types of every event an endpoint would get next, comma-separated */
static void
types_of(struct store *s, int64_t hook, char *out, size_t len)
{
	struct store_hook *h = NULL;
	struct store_hook_event **evs = NULL;
	size_t n = 0, i, used = 0;

	out[0] = '\0';
	if (store_hook_get(s, hook, &h) != NF_OK || store_hook_next(s, h, 0, &evs, &n) != NF_OK) {
		store_hook_free(h);
		return;
	}
	for (i = 0; i < n && used < len; i++)
		used += (size_t)snprintf(out + used, len - used, "%s%s", i ? "," : "", evs[i]->type);
	store_hook_events_free(evs, n);
	store_hook_free(h);
}

/* how many event rows the outbox holds */
static void
events_stored(struct store *s, struct store_text *t)
{
	memset(t, 0, sizeof(*t));
	s->ops->query(s, "SELECT count(*) FROM webhook_events", NULL, 0, store_copy_text, t);
}

/* the event names parse both ways, "*" is all, an unknown name is refused and named */
STORE_TEST(hook_event_names_parse_and_format)
{
	char bad[80];
	int64_t mask = 0;
	struct buf b;

	CHECK_INT(store_hook_events_parse("subscriber.created, alert.done", 30, &mask, bad,
					  sizeof(bad)), NF_OK);
	CHECK_INT(mask, STORE_HOOK_SUB_CREATED | STORE_HOOK_ALERT_DONE);
	CHECK_INT(store_hook_events_parse("*", 1, &mask, bad, sizeof(bad)), NF_OK);
	CHECK_INT(mask, STORE_HOOK_ALL);
	CHECK_INT(store_hook_events_parse("alert.done,alert.nope", 21, &mask, bad, sizeof(bad)),
		  NF_ERR_INVALID);
	CHECK_STR(bad, "alert.nope");
	CHECK_INT(store_hook_events_parse("", 0, &mask, bad, sizeof(bad)), NF_ERR_INVALID);
	buf_init(&b, 4096);
	store_hook_events_format(STORE_HOOK_ALERT_CORRECTED | STORE_HOOK_FEED_ERROR |
				 STORE_HOOK_SUB_ERASED, &b);
	CHECK_STR(b.data, "subscriber.erased,alert.corrected,feed.error");
	buf_free(&b);
	CHECK_STR(store_hook_event_name(STORE_HOOK_ALERT_WITHDRAWN), "alert.withdrawn");
	CHECK(store_hook_event_name(3) == NULL);
	(void)s;
}

/*
 * Every change records its event in its own transaction, in order; nothing
 * at all while no endpoint wants it; a rolled-back change leaves none.
 */
STORE_TEST(hook_events_follow_each_change_in_order)
{
	int64_t early = fixture_sub(s, "early", 1, 0), hook = 0, a, b, c, art = 0, alert = 0;
	struct store_article ar = { 0 };
	struct store_delivery_rec rec = { 0 };
	struct store_text t;
	char types[1024];

	CHECK(early > 0);
	events_stored(s, &t);
	CHECK_STR(t.text, "0");
	CHECK_INT(store_hook_add(s, "http://127.0.0.1:9/hook", "whsec_AAAA", STORE_HOOK_ALL, 0,
				 &hook), NF_OK);
	types_of(s, hook, types, sizeof(types));
	CHECK_STR(types, "");	/* nothing from before it was added */

	a = fixture_sub(s, "a", 0, 0);
	CHECK_INT(store_subscriber_set_status(s, a, STORE_CONFIRMED, &by_test, NULL), NF_OK);
	CHECK_INT(store_subscriber_set_status(s, a, STORE_UNSUBSCRIBED, &by_test, NULL), NF_OK);
	b = fixture_sub(s, "b", 1, 0);
	CHECK_INT(store_subscriber_suppress(s, b, "bounce", STORE_BOUNCED, &by_test), NF_OK);
	c = fixture_sub(s, "c", 1, 0);
	CHECK_INT(store_subscriber_suppress(s, c, "complaint", STORE_UNSUBSCRIBED, &by_test), NF_OK);
	/* the engine's unknown user: suppressed for a bounce, no status change; said once */
	CHECK(fixture_sub(s, "d", 1, 0) > 0);
	CHECK_INT(store_suppression_add(s, "d@example.org", "bounce"), NF_OK);
	CHECK_INT(store_suppression_add(s, "d@example.org", "bounce"), NF_OK);
	CHECK_INT(store_subscriber_erase(s, a, "test"), NF_OK);
	types_of(s, hook, types, sizeof(types));
	CHECK_STR(types, "subscriber.created,subscriber.confirmed,subscriber.unsubscribed,"
		  "subscriber.created,subscriber.bounced,subscriber.created,"
		  "subscriber.complained,subscriber.unsubscribed,subscriber.created,subscriber.bounced,"
		  "subscriber.erased");

	/* a change rolled back takes its event with it */
	CHECK_INT(store_begin(s), NF_OK);
	CHECK(fixture_sub(s, "gone", 1, 0) > 0);
	store_rollback(s);

	ar.headline = "Hooks";
	CHECK_INT(store_article_insert(s, &ar, &art), NF_OK);
	CHECK_INT(store_alert_create(s, art, s->default_list, 2, 0, &alert), NF_OK);
	rec.subscriber_id = early;
	rec.kind = STORE_PERM;
	rec.reply = "550 5.1.1 <early@example.org> unknown";
	CHECK_INT(store_begin(s), NF_OK);
	CHECK_INT(store_delivery_perm(s, alert, early, rec.reply), NF_OK);
	CHECK_INT(store_commit(s), NF_OK);
	CHECK_INT(store_alert_cancel(s, alert, 0), NF_OK);
	/* the types no trigger sees, recorded by the code that will make them */
	CHECK_INT(store_hook_record(s, STORE_HOOK_ALERT_CORRECTED, 0, alert, "headline"), NF_OK);
	CHECK_INT(store_hook_record(s, STORE_HOOK_ALERT_WITHDRAWN, 0, alert, "wrong story"), NF_OK);
	CHECK_INT(store_hook_record(s, STORE_HOOK_FEED_ERROR, 0, 0, "https://feed.example: 404"), NF_OK);
	CHECK_INT(store_hook_record(s, 3, 0, 0, NULL), NF_ERR_INVALID);
	types_of(s, hook, types, sizeof(types));
	CHECK(strstr(types, "subscriber.erased,alert.queued,delivery.failed,alert.cancelled,"
		     "alert.corrected,alert.withdrawn,feed.error") != NULL);
	CHECK(strstr(types, "gone") == NULL);
	CHECK_INT(store_hook_remove(s, hook), NF_OK);
	CHECK_INT(store_hook_remove(s, hook), NF_ERR_NOTFOUND);
}

/* no endpoint: a change writes no event row at all (the triggers cost one probe) */
STORE_TEST(hook_no_endpoint_no_events)
{
	struct store_text t;
	int64_t id = fixture_sub(s, "quiet", 0, 0);

	CHECK_INT(store_subscriber_set_status(s, id, STORE_CONFIRMED, &by_test, NULL), NF_OK);
	CHECK_INT(store_subscriber_erase(s, id, "test"), NF_OK);
	events_stored(s, &t);
	CHECK_STR(t.text, "0");
}

/* the address only for an endpoint that asked, and never once the subscriber is erased */
STORE_TEST(hook_address_only_when_asked_and_never_after_erasure)
{
	int64_t with = 0, without = 0, id;
	struct store_hook *h = NULL;
	struct store_hook_event **evs = NULL;
	size_t n = 0;

	CHECK_INT(store_hook_add(s, "https://a.example/h", "whsec_AAAA",
				 STORE_HOOK_SUB_CREATED | STORE_HOOK_SUB_ERASED, 1, &with), NF_OK);
	CHECK_INT(store_hook_add(s, "https://b.example/h", "whsec_AAAA", STORE_HOOK_SUB_CREATED, 0,
				 &without), NF_OK);
	id = fixture_sub(s, "person", 1, 0);
	CHECK_INT(store_hook_get(s, with, &h), NF_OK);
	CHECK_INT(h->backlog, 1);
	CHECK_INT(store_hook_next(s, h, 10, &evs, &n), NF_OK);
	CHECK_INT(n, 1);
	CHECK_INT(evs[0]->subscriber_id, id);
	CHECK_STR(evs[0]->email, "person@example.org");
	store_hook_events_free(evs, n);
	store_hook_free(h);
	CHECK_INT(store_hook_get(s, without, &h), NF_OK);
	CHECK_INT(store_hook_next(s, h, 10, &evs, &n), NF_OK);
	CHECK_INT(n, 1);
	CHECK(evs[0]->email == NULL);
	store_hook_events_free(evs, n);
	store_hook_free(h);
	/* erased while its events still wait: they go without the address */
	CHECK_INT(store_subscriber_erase(s, id, "test"), NF_OK);
	CHECK_INT(store_hook_get(s, with, &h), NF_OK);
	CHECK_INT(store_hook_next(s, h, 10, &evs, &n), NF_OK);
	CHECK_INT(n, 2);
	CHECK(evs[0]->email == NULL && evs[1]->email == NULL);
	CHECK_STR(evs[1]->type, "subscriber.erased");
	store_hook_events_free(evs, n);
	store_hook_free(h);
}

/*
 * One deliverer at a time per endpoint; the cursor moves only for its lease
 * holder; a failure backs off and gives the lease back; failing since
 * give_up disables; replay goes back and enables again.
 */
STORE_TEST(hook_claim_cursor_backoff_disable_replay)
{
	struct store_hook *h = NULL, *other = NULL, *got = NULL;
	struct store_hook_event **evs = NULL;
	int64_t hook = 0, n = 0, now = 1000000;
	size_t ne = 0;
	int disabled = -1;

	CHECK_INT(store_hook_claim(s, "A", now, 30, &h), NF_ERR_NOTFOUND);	/* no endpoint */
	CHECK_INT(store_hook_add(s, "https://a.example/h", "whsec_AAAA", STORE_HOOK_SUB_CREATED, 0,
				 &hook), NF_OK);
	CHECK_INT(store_hook_claim(s, "A", now, 30, &h), NF_ERR_NOTFOUND);	/* nothing waits */
	fixture_sub(s, "one", 1, 0);
	fixture_sub(s, "two", 1, 0);
	CHECK_INT(store_hook_claim(s, "A", now, 30, &h), NF_OK);
	CHECK_INT(h->id, hook);
	CHECK_INT(store_hook_claim(s, "B", now + 5, 30, &other), NF_ERR_NOTFOUND);	/* leased */
	CHECK_INT(store_hook_next(s, h, 1, &evs, &ne), NF_OK);
	CHECK_INT(ne, 1);
	CHECK_INT(store_hook_delivered(s, hook, "B", evs[0]->id, 200, now, 30), NF_ERR_NOTFOUND);
	CHECK_INT(store_hook_delivered(s, hook, "A", evs[0]->id, 200, now, 30), NF_OK);
	store_hook_events_free(evs, ne);
	CHECK_INT(store_hook_get(s, hook, &got), NF_OK);
	CHECK_INT(got->backlog, 1);
	CHECK_INT(got->last_status, 200);
	store_hook_free(got);

	CHECK_INT(store_hook_failed(s, hook, "A", 500, "HTTP 500", now, now + 60, 259200, &disabled),
		  NF_OK);
	CHECK_INT(disabled, 0);
	CHECK_INT(store_hook_claim(s, "B", now + 30, 30, &other), NF_ERR_NOTFOUND);	/* backing off */
	CHECK_INT(store_hook_claim(s, "B", now + 60, 30, &other), NF_OK);	/* the lease went back */
	CHECK_INT(other->attempts, 1);
	CHECK_INT(other->failing_since, now);
	CHECK_INT(store_hook_failed(s, hook, "B", 0, "timeout", now + 259200, now + 259300, 259200,
				    &disabled), NF_OK);
	CHECK_INT(disabled, 1);
	CHECK_INT(store_hook_claim(s, "C", now + 300000, 30, &got), NF_ERR_NOTFOUND);
	CHECK_INT(store_hook_get(s, hook, &got), NF_OK);
	CHECK(got->disabled_at > 0);
	CHECK_STR(got->last_error, "timeout");
	store_hook_free(got);

	CHECK_INT(store_hook_replay(s, hook, 0, &n), NF_OK);	/* everything kept, again */
	CHECK_INT(n, 2);
	CHECK_INT(store_hook_get(s, hook, &got), NF_OK);
	CHECK_INT(got->disabled_at, 0);
	store_hook_free(got);
	CHECK_INT(store_hook_replay(s, 999999, 0, &n), NF_ERR_NOTFOUND);
	CHECK_INT(store_hook_prune(s, INT64_MAX / 2, &n), NF_OK);
	CHECK_INT(n, 0);	/* the endpoint still wants both */
	store_hook_free(h);
	store_hook_free(other);
}
