/*
 * news/audience.c - who an article's alert goes to (issue 9, point 2)
 *
 * Owns: the audience rule (news.h states it) and the one mapping from a
 * topic to the name of the list its followers are on. Does not own who on
 * those lists may be mailed (the store's audience statements: confirmed,
 * not suppressed, each person once) nor the lists themselves (made by the
 * operator: newsflash lists create, or an import with --list).
 */
#include <string.h>

#include "store/store.h"
#include "news.h"

/* news_topic_list - the topic as a lower-case slug; 0 when nothing is left or it is too long */
int
news_topic_list(const char *topic, char out[NEWS_TOPIC_MAX + 1])
{
	size_t n = 0;
	int gap = 0;
	const char *p;

	for (p = topic ? topic : ""; *p; p++) {
		char c = *p;

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) {
			gap = n > 0;	/* a separator: one hyphen before the next word, none first */
			continue;
		}
		if (n + gap + 1 > NEWS_TOPIC_MAX)
			return 0;	/* a shortened name could be another topic's list */
		if (gap)
			out[n++] = '-';
		out[n++] = c;
		gap = 0;
	}
	out[n] = '\0';
	return n > 0;
}

static void
add_list(int64_t *lists, size_t *n, int64_t id)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (lists[i] == id)
			return;
	lists[(*n)++] = id;
}

int
news_audience(struct store *s, const struct news_article *a,
	      int64_t lists[1 + NEWS_TOPICS_MAX], size_t *n)
{
	char name[NEWS_TOPIC_MAX + 1];
	int64_t id;
	size_t i;
	int rc;

	*n = 0;
	if (a->breaking) {
		if ((rc = store_list_get(s, STORE_LIST_DEFAULT, &id)) != NF_OK)
			return rc;
		add_list(lists, n, id);
	}
	for (i = 0; i < a->ntopics && i < NEWS_TOPICS_MAX; i++) {
		if (!news_topic_list(a->topics[i], name) || strcmp(name, STORE_LIST_DEFAULT) == 0)
			continue;
		rc = store_list_get(s, name, &id);
		if (rc == NF_ERR_NOTFOUND)
			continue;	/* nobody follows a topic that has no list */
		if (rc != NF_OK)
			return rc;
		add_list(lists, n, id);
	}
	return NF_OK;
}

int
news_topic_readers(struct store *s, const char *topic, char list[NEWS_TOPIC_MAX + 1], int64_t *readers)
{
	int64_t id;
	int rc;

	*readers = 0;
	if (!news_topic_list(topic, list))
		return NF_ERR_NOTFOUND;
	if (strcmp(list, STORE_LIST_DEFAULT) == 0)
		return NF_OK;	/* only the breaking flag reaches that list */
	if ((rc = store_list_get(s, list, &id)) != NF_OK)
		return rc;
	return store_audience_count(s, &id, 1, readers);
}

int
news_audience_count(struct store *s, const struct news_article *a, int64_t *count)
{
	int64_t lists[1 + NEWS_TOPICS_MAX];
	size_t n = 0;
	int rc = news_audience(s, a, lists, &n);

	*count = 0;
	return rc == NF_OK ? store_audience_count(s, lists, n, count) : rc;
}
