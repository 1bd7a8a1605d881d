/*
 * news/news.h - articles as the newsroom sends them
 *
 * Owns: turning an incoming story (JSON, from the API or a file) into a
 * validated struct news_article, naming every bad field; deriving the plain
 * text body from the HTML when none is given; the article to the store and
 * back (article_store.c: one mapping for both ways); the article as JSON
 * again, and as the context an alert's templates render.
 */
#ifndef NEWSFLASH_NEWS_H
#define NEWSFLASH_NEWS_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>

#define NEWS_JSON_MAX (1024 * 1024)
#define NEWS_HEADLINE_MAX 300
#define NEWS_ERRORS_MAX 16
#define NEWS_TOPICS_MAX 20		/* topics per article */
#define NEWS_TOPIC_MAX 64		/* bytes per topic, the same as a list name */

struct news_image {
	char *url;
	char *caption;
	char *credit;
};

struct news_article {
	char *slug;
	char *headline;
	char *standfirst;
	char *body_html;
	char *body_text;
	char *byline;
	char *url;
	time_t published_at;
	struct news_image *images;
	size_t nimages;
	char **topics;
	size_t ntopics;
	int breaking;
};

struct news_error {
	char field[48];		/* "headline", "images[2].url" */
	const char *message;
};

struct news_errors {
	struct news_error items[NEWS_ERRORS_MAX];
	int count;
};

/*
 * news_article_parse - NF_OK and a filled article, or NF_ERR_INVALID with
 * every bad field in errs (the article is then left empty).
 */
int news_article_parse(const char *json, size_t len, struct news_article *out,
		       struct news_errors *errs);
void news_article_free(struct news_article *a);
/* a's body_html through news_html_sanitize, in place (NULL if nothing is left) */
int news_article_sanitize(struct news_article *a);
/* the article as a JSON object (the caller owns the reference) */
json_t *news_article_json(const struct news_article *a);
/* a URL-friendly slug of a headline: lower-case ASCII words joined by '-'; the caller frees */
char *news_article_slug(const char *headline);
/*
 * news_article_context - what an alert's templates render for a (the
 * caller owns the reference): news_article_json's fields and
 * published_label, a reader's time ("29 November 2026, 03:10 UTC"). mail
 * adds the site's and the subscriber's values to its own copy.
 */
json_t *news_article_context(const struct news_article *a);

struct store;
/* news_article_insert - a as a new article row, inside the caller's transaction */
int news_article_insert(struct store *s, const struct news_article *a, int64_t *id);
/*
 * news_article_load - the stored article id as a struct (freed with
 * news_article_free): the row's checked values copied, no JSON text in
 * between but the images and topics columns. NF_ERR_NOTFOUND when absent.
 */
int news_article_load(struct store *s, int64_t id, struct news_article *out);
/*
 * news_html_sanitize - append html reduced to the allow-list (sanitize.c):
 * running-text elements, links to http(s) and mailto, text escaped;
 * scripts, styles, forms, embedded content, SVG and MathML dropped with
 * what they hold. NF_ERR_LIMIT when it nests deeper than
 * NEWS_HTML_DEPTH_MAX (out is then unchanged).
 */
#define NEWS_HTML_DEPTH_MAX 512
struct buf;
int news_html_sanitize(const char *html, size_t len, struct buf *out);
/* the same into a new string the caller frees; NULL and *rc on failure */
char *news_html_sanitize_dup(const char *html, size_t len, int *rc);
/* readable plain text from HTML: paragraphs and breaks kept, tags dropped,
 * entities decoded; the caller frees */
char *news_html_to_text(const char *html, size_t len);

/*
 * news_topic_list - the name of the list a topic stands for, in out: the
 * topic as a lower-case slug (ASCII letters lower-cased, digits kept, every
 * run of anything else one hyphen, none at either end), so "Royal Family"
 * and "royal-family" both name the list royal-family. The API accepts only
 * topics that are slugs already (a-z 0-9 -), for which this is the topic
 * itself; the rule lives here so that it is written once. 0 when the topic
 * names no list (nothing left, or longer than a list name may be).
 */
int news_topic_list(const char *topic, char out[NEWS_TOPIC_MAX + 1]);

/*
 * The audience rule. An alert goes to a set of lists:
 *   - a breaking article: breaking-news, and the list each of its topics
 *     names;
 *   - an article that is not breaking: the lists its topics name, and an
 *     alert is made only when somebody confirmed follows one of them.
 * A topic whose list does not exist is nobody's (publishing never makes
 * lists); a topic naming breaking-news adds nothing (only the breaking flag
 * reaches that list). Each person gets one message however many of the
 * lists they are on, never when unsubscribed, bounced, erased or
 * suppressed (the store's audience statements).
 */
/* news_audience - the lists of a's alert (breaking-news first), *n of them; 0 means no alert */
int news_audience(struct store *s, const struct news_article *a,
		  int64_t lists[1 + NEWS_TOPICS_MAX], size_t *n);
/*
 * news_topic_readers - the list topic names (in list) and how many its
 * alert would reach now on its own; NF_ERR_NOTFOUND when that list does
 * not exist. A topic naming breaking-news reaches nobody by itself.
 */
int news_topic_readers(struct store *s, const char *topic, char list[NEWS_TOPIC_MAX + 1],
		       int64_t *readers);
/* news_audience_count - how many people a's alert would reach now (0: it would make none) */
int news_audience_count(struct store *s, const struct news_article *a, int64_t *count);
/*
 * news_publish - store the article and queue the alert news_audience says
 * (split into nshards shards), in one transaction. *alert_id is 0 when no
 * alert was made.
 */
int news_publish(struct store *s, const struct news_article *a, int nshards,
		 int64_t *article_id, int64_t *alert_id);

#endif
