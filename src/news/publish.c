/*
 * news/publish.c - an article into storage, and its alert into the queue
 *
 * Owns: what publishing means. The article row and its alert (news.h's
 * audience rule: a breaking story's, or a topic alert for its followers)
 * with its shards are written in one transaction, so an alert never exists
 * without its article nor an article marked breaking without its alert.
 * The row itself is article_store.c's. Waking the engine is the caller's
 * business (in-process, or by PostgreSQL NOTIFY from the store).
 */
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "news.h"

int
news_publish(struct store *s, const struct news_article *a, int nshards,
	     int64_t *article_id, int64_t *alert_id)
{
	int64_t lists[1 + NEWS_TOPICS_MAX];
	size_t nlists = 0;
	int rc;

	*alert_id = 0;
	rc = store_begin(s);
	if (rc == NF_OK)
		rc = news_article_insert(s, a, article_id);
	if (rc == NF_OK)
		rc = news_audience(s, a, lists, &nlists);
	/* a breaking story always has its alert; a topic alert only when someone follows */
	if (rc == NF_OK && nlists > 0)
		rc = store_alert_create_lists(s, *article_id, lists, nlists, nshards,
					      a->breaking ? 0 : STORE_ALERT_SKIP_EMPTY, time(NULL),
					      alert_id);
	if (rc == NF_OK)
		rc = store_commit(s);
	else
		store_rollback(s);
	return rc;
}
