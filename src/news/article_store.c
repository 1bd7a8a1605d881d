/*
 * news/article_store.c - the article to the store and back, and to templates
 *
 * Owns: how a struct news_article maps onto the store's article row, both
 * ways, in one table (the text columns) and one pair of functions (the
 * images and topics columns, JSON text as store_article says); and the
 * context an alert's templates render for an article. Does not own: what
 * a valid article is (article.c checks it on the way in, once; a stored
 * article went through it) or the SQL (store/).
 *
 * Why no JSON text round trip on the way back: the engine prepares every
 * alert from the stored row, and the row already holds checked values, so
 * news_article_load copies them field by field into the struct the mail
 * context is made from. Only images and topics, one column each, are JSON.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/core.h"
#include "store/store.h"
#include "news.h"

/* the text columns: one line per field, read by both directions */
static const struct {
	size_t art;			/* offsetof struct news_article */
	size_t row;			/* offsetof struct store_article */
} text_fields[] = {
	{ offsetof(struct news_article, slug), offsetof(struct store_article, slug) },
	{ offsetof(struct news_article, headline), offsetof(struct store_article, headline) },
	{ offsetof(struct news_article, standfirst), offsetof(struct store_article, standfirst) },
	{ offsetof(struct news_article, body_html), offsetof(struct store_article, body_html) },
	{ offsetof(struct news_article, body_text), offsetof(struct store_article, body_text) },
	{ offsetof(struct news_article, byline), offsetof(struct store_article, byline) },
	{ offsetof(struct news_article, url), offsetof(struct store_article, url) },
};

#define ART_FIELD(a, i) (*(char **)((char *)(a) + text_fields[i].art))
#define ROW_FIELD(r, i) (*(const char **)((char *)(r) + text_fields[i].row))

/* ---- images and topics: the two JSON columns ---- */

static const char *const image_keys[] = { "url", "caption", "credit" };

static char **
image_field(struct news_image *im, size_t k)
{
	char **f[] = { &im->url, &im->caption, &im->credit };

	return f[k];
}

/* lists_json - the images and topics columns' text (the caller frees both) */
static void
lists_json(const struct news_article *a, char **images, char **topics)
{
	json_t *imgs = json_array(), *tops = json_array();
	size_t i, k;

	for (i = 0; i < a->nimages; i++) {
		json_t *im = json_object();

		for (k = 0; k < NF_ARRAY_LEN(image_keys); k++) {
			const char *v = *image_field(&a->images[i], k);

			json_object_set_new(im, image_keys[k], v ? json_string(v) : json_null());
		}
		json_array_append_new(imgs, im);
	}
	for (i = 0; i < a->ntopics; i++)
		json_array_append_new(tops, json_string(a->topics[i]));
	*images = json_dumps(imgs, JSON_COMPACT);
	*topics = json_dumps(tops, JSON_COMPACT);
	json_decref(imgs);
	json_decref(tops);
}

static char *
dup_string(json_t *v)
{
	return json_is_string(v) ? xstrdup(json_string_value(v)) : NULL;
}

/* lists_parse - the columns back into a; NF_ERR_INVALID when one is not what lists_json writes */
static int
lists_parse(const char *images, const char *topics, struct news_article *a)
{
	json_t *imgs = images ? json_loads(images, 0, NULL) : NULL;
	json_t *tops = topics ? json_loads(topics, 0, NULL) : NULL;
	json_t *v;
	size_t i, k;
	int rc = NF_OK;

	if ((images && !json_is_array(imgs)) || (topics && !json_is_array(tops))) {
		rc = NF_ERR_INVALID;
		goto out;
	}
	if (imgs && json_array_size(imgs) > 0) {
		a->images = xcalloc(json_array_size(imgs) + 1, sizeof(*a->images));
		json_array_foreach(imgs, i, v) {
			struct news_image *im = &a->images[a->nimages++];

			for (k = 0; k < NF_ARRAY_LEN(image_keys); k++)
				*image_field(im, k) = dup_string(json_object_get(v, image_keys[k]));
			if (im->url == NULL)
				rc = NF_ERR_INVALID;
		}
	}
	if (tops && json_array_size(tops) > 0) {
		a->topics = xcalloc(json_array_size(tops) + 1, sizeof(char *));
		json_array_foreach(tops, i, v) {
			if (!json_is_string(v))
				rc = NF_ERR_INVALID;
			else
				a->topics[a->ntopics++] = xstrdup(json_string_value(v));
		}
	}
out:
	json_decref(imgs);
	json_decref(tops);
	return rc;
}

/* ---- both ways ---- */

int
news_article_insert(struct store *s, const struct news_article *a, int64_t *id)
{
	struct store_article row;
	char *images, *topics;
	size_t i;
	int rc;

	memset(&row, 0, sizeof(row));
	for (i = 0; i < NF_ARRAY_LEN(text_fields); i++)
		ROW_FIELD(&row, i) = ART_FIELD(a, i);
	row.published_at = a->published_at;
	row.breaking = a->breaking;
	lists_json(a, &images, &topics);
	row.images_json = images;
	row.topics_json = topics;
	rc = store_article_insert(s, &row, id);
	free(images);
	free(topics);
	return rc;
}

int
news_article_load(struct store *s, int64_t id, struct news_article *out)
{
	struct store_article *row = NULL;
	size_t i;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = store_article_get(s, id, &row)) != NF_OK)
		return rc;
	for (i = 0; i < NF_ARRAY_LEN(text_fields); i++)
		ART_FIELD(out, i) = ROW_FIELD(row, i) ? xstrdup(ROW_FIELD(row, i)) : NULL;
	out->published_at = (time_t)row->published_at;
	out->breaking = row->breaking;
	rc = out->headline ? lists_parse(row->images_json, row->topics_json, out) : NF_ERR_INVALID;
	store_article_free(row);
	if (rc != NF_OK) {
		news_article_free(out);
		return rc;
	}
	/* rows written before bodies were sanitised on the way in are, here */
	if ((rc = news_article_sanitize(out)) != NF_OK) {
		news_article_free(out);
		return rc;
	}
	/* as news_article_parse does for an article that came without them */
	if (out->body_text == NULL && out->body_html)
		out->body_text = news_html_to_text(out->body_html, strlen(out->body_html));
	if (out->slug == NULL)
		out->slug = news_article_slug(out->headline);
	return NF_OK;
}

/* ---- to templates ---- */

/*
 * credit_bare - a credit without the word the templates put before it:
 * newsrooms often write "Photo: A. Snapper", and the templates say
 * "Photograph: {{credit}}". NULL when the credit is only that word.
 */
static const char *
credit_bare(const char *credit)
{
	static const char *const words[] = { "photograph", "photo", "picture", "pic" };
	size_t i, n;

	for (i = 0; i < NF_ARRAY_LEN(words); i++) {
		n = strlen(words[i]);
		if (strncasecmp(credit, words[i], n) == 0 && (credit[n] == ':' || credit[n] == ' ')) {
			credit += n;
			while (*credit == ':' || *credit == ' ')
				credit++;
			return *credit ? credit : NULL;
		}
	}
	return credit;
}

/* the images' credits as credit_bare has them */
static void
context_credits(json_t *o)
{
	json_t *imgs = json_object_get(o, "images"), *im;
	const char *credit, *bare;
	size_t i;

	json_array_foreach(imgs, i, im) {
		credit = json_string_value(json_object_get(im, "credit"));
		if (credit == NULL || (bare = credit_bare(credit)) == credit)
			continue;
		json_object_set_new(im, "credit", bare ? json_string(bare) : json_null());
	}
}

json_t *
news_article_context(const struct news_article *a)
{
	json_t *o = news_article_json(a);
	char label[64];
	struct tm tm;

	context_credits(o);

	if (gmtime_r(&a->published_at, &tm) &&
	    strftime(label, sizeof(label), "%e %B %Y, %H:%M UTC", &tm) > 0)
		json_object_set_new(o, "published_label", json_string(label[0] == ' ' ? label + 1 : label));
	return o;
}
