/*
 * tests for news/audience.c: how a topic names a list, and who an
 * article's alert goes to (breaking-news and followers of its topics), on
 * both store backends
 */
#include <stdlib.h>
#include <string.h>

#include "news/news.h"
#include "../store/fixture.h"

/* the one mapping from a topic to a list name, as data */
TEST(topic_names_a_list_as_a_slug)
{
	static const struct {
		const char *topic, *list;	/* list NULL: names none */
	} cases[] = {
		{ "royal-family", "royal-family" },	/* what the API accepts: itself */
		{ "uk-news", "uk-news" },
		{ "2026", "2026" },
		{ "Royal Family", "royal-family" },
		{ "  royal__family  ", "royal-family" },
		{ "-royal-", "royal" },
		{ "C\xc3\xb4te d'Ivoire", "c-te-d-ivoire" },	/* non-ASCII bytes separate words */
		{ "", NULL },
		{ "---", NULL },
		{ "1234567890123456789012345678901234567890123456789012345678901234", "1234567890123456789012345678901234567890123456789012345678901234" },
		{ "12345678901234567890123456789012345678901234567890123456789012345", NULL },
	};
	char out[NEWS_TOPIC_MAX + 1], name[80];
	size_t i;

	for (i = 0; i < NF_ARRAY_LEN(cases); i++) {
		int got = news_topic_list(cases[i].topic, out);
		int ok = cases[i].list ? got && strcmp(out, cases[i].list) == 0 : !got;

		snprintf(name, sizeof(name), "topic %zu \"%.40s\"", i, cases[i].topic);
		test_case_result(name, ok, got ? out : "(no list)");
		CHECK(ok);
	}
	CHECK(!news_topic_list(NULL, out));
}

static int64_t
follower(struct store *s, const char *name, int confirmed, int64_t topic, int breaking)
{
	int64_t id = fixture_sub(s, name, confirmed, topic);

	if (id && !breaking && store_membership_remove(s, id, store_default_list(s)) != NF_OK)
		return 0;
	return id;
}

static void
story(struct news_article *a, int breaking, char **topics, size_t n)
{
	memset(a, 0, sizeof(*a));
	a->headline = "Royal visit ends with a gift";
	a->breaking = breaking;
	a->topics = topics;
	a->ntopics = n;
}

/* publish and read back the alert: its total and lists ("" when none was made) */
static int64_t
publish(struct store *s, const struct news_article *a, int64_t *total, char *lists, size_t len)
{
	struct store_alert *al = NULL;
	int64_t article = 0, alert = -1;

	*total = -1;
	lists[0] = '\0';
	if (news_publish(s, a, 2, &article, &alert) != NF_OK || article <= 0)
		return -1;
	if (alert > 0 && store_alert_get(s, alert, &al) == NF_OK) {
		*total = al->total;
		snprintf(lists, len, "%s", al->lists);
	}
	store_alert_free(al);
	return alert;
}

STORE_TEST(audience_breaking_and_topic_followers)
{
	char *topics[] = { "royal-family", "Royal Family", "breaking-news", "no-such-list", "cars" };
	struct news_article a;
	char lists[STORE_ALERT_LISTS_MAX];
	int64_t royal, cars, politics, total;

	CHECK_INT(store_list_ensure(s, "royal-family", &royal), NF_OK);
	CHECK_INT(store_list_ensure(s, "cars", &cars), NF_OK);
	CHECK_INT(store_list_ensure(s, "politics", &politics), NF_OK);
	CHECK(follower(s, "breaking", 1, 0, 1) > 0);
	CHECK(follower(s, "breaking-and-royal", 1, royal, 1) > 0);
	CHECK(follower(s, "royal", 1, royal, 0) > 0);
	CHECK(follower(s, "cars", 1, cars, 0) > 0);
	CHECK(follower(s, "politics", 1, politics, 0) > 0);	/* an unrelated topic */
	CHECK(follower(s, "royal-pending", 0, royal, 0) > 0);

	/* breaking, with topics: breaking-news, royal-family and cars; each person once */
	story(&a, 1, topics, 5);
	CHECK_INT(news_audience_count(s, &a, &total), NF_OK);
	CHECK_INT(total, 4);
	CHECK(publish(s, &a, &total, lists, sizeof(lists)) > 0);
	CHECK_INT(total, 4);
	CHECK_STR(lists, "breaking-news royal-family cars");

	/* not breaking: the topics' followers only; breaking-news is not a topic */
	story(&a, 0, topics, 5);
	CHECK(publish(s, &a, &total, lists, sizeof(lists)) > 0);
	CHECK_INT(total, 3);
	CHECK_STR(lists, "royal-family cars");

	/* not breaking, topics nobody confirmed follows: no alert */
	story(&a, 0, topics + 2, 2);
	CHECK_INT(news_audience_count(s, &a, &total), NF_OK);
	CHECK_INT(total, 0);
	CHECK_INT(publish(s, &a, &total, lists, sizeof(lists)), 0);
	story(&a, 0, NULL, 0);
	CHECK_INT(publish(s, &a, &total, lists, sizeof(lists)), 0);
}

/* a breaking story always has its alert, even to nobody (done at once) */
STORE_TEST(audience_breaking_to_nobody_is_done)
{
	struct news_article a;
	char lists[STORE_ALERT_LISTS_MAX];
	int64_t total, royal, alert;
	char *topics[] = { "royal-family" };
	struct store_alert *al = NULL;

	CHECK_INT(store_list_ensure(s, "royal-family", &royal), NF_OK);
	CHECK(follower(s, "royal-pending", 0, royal, 0) > 0);
	story(&a, 1, topics, 1);
	alert = publish(s, &a, &total, lists, sizeof(lists));
	CHECK(alert > 0);
	CHECK_INT(total, 0);
	CHECK_STR(lists, "breaking-news royal-family");
	CHECK_INT(store_alert_get(s, alert, &al), NF_OK);
	CHECK_INT(al->state, STORE_DONE);
	store_alert_free(al);
}
