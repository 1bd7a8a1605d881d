/*
 * news/article.c - validating an incoming article (JSON via jansson)
 *
 * Owns: what a valid article is. The headline becomes a Subject header and
 * the byline and captions become text in emails, so every one-line field
 * refuses control characters (CR/LF above all); URLs must be absolute
 * http(s); every field has a length limit; body_html is reduced to an
 * allow-list (sanitize.c). Errors name the field so the API can answer 422
 * with each of them.
 */
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "news.h"

#define STANDFIRST_MAX 2000
#define BODY_MAX (512 * 1024)
#define LINE_MAX_LEN 500
#define URL_MAX 2048
#define IMAGES_MAX 10
#define TOPICS_MAX NEWS_TOPICS_MAX
#define TOPIC_MAX NEWS_TOPIC_MAX

static void
add_error(struct news_errors *errs, const char *field, const char *message)
{
	struct news_error *e;

	if (errs->count == NEWS_ERRORS_MAX)
		return;
	e = &errs->items[errs->count++];
	snprintf(e->field, sizeof(e->field), "%s", field);
	e->message = message;
}

static int
has_control(const char *s, int allow_newlines)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c < 0x20 && !(allow_newlines && (c == '\n' || c == '\r' || c == '\t'))) || c == 0x7f)
			return 1;
	}
	return 0;
}

static int
is_http_url(const char *s)
{
	size_t i;

	if (strncmp(s, "https://", 8) && strncmp(s, "http://", 7))
		return 0;
	for (i = 0; s[i]; i++)
		if ((unsigned char)s[i] <= ' ' || s[i] == '"' || s[i] == '<' || s[i] == '>' || (unsigned char)s[i] == 0x7f)
			return 0;
	return strlen(s) > (s[4] == 's' ? 8u : 7u);
}

/*
 * take_string - the string at key, checked; NULL when absent (and then an
 * error only if required). kind: 'l' one line, 't' multi-line text, 'u' URL.
 */
static char *
take_string(json_t *obj, const char *key, const char *field, int required,
	    char kind, size_t max, struct news_errors *errs)
{
	json_t *v = json_object_get(obj, key);
	const char *s;
	size_t len;

	if (v == NULL || json_is_null(v)) {
		if (required)
			add_error(errs, field, "is required");
		return NULL;
	}
	if (!json_is_string(v)) {
		add_error(errs, field, "must be a string");
		return NULL;
	}
	s = json_string_value(v);
	len = json_string_length(v);
	if (strlen(s) != len)
		add_error(errs, field, "must not contain NUL characters");
	else if (len > max)
		add_error(errs, field, "is too long");
	else if (required && len == 0)
		add_error(errs, field, "must not be empty");
	else if (kind != 't' && has_control(s, 0))
		add_error(errs, field, "must be one line without control characters");
	else if (kind == 't' && has_control(s, 1))
		add_error(errs, field, "must not contain control characters");
	else if (kind == 'u' && len > 0 && !is_http_url(s))
		add_error(errs, field, "must be an absolute http or https URL");
	else
		return xstrdup(s);
	return NULL;
}

static void
take_images(json_t *obj, struct news_article *a, struct news_errors *errs)
{
	json_t *arr = json_object_get(obj, "images"), *img;
	char field[48];
	size_t i;

	if (arr == NULL || json_is_null(arr))
		return;
	if (!json_is_array(arr) || json_array_size(arr) > IMAGES_MAX) {
		add_error(errs, "images", "must be an array of at most 10 images");
		return;
	}
	a->images = xcalloc(json_array_size(arr) + 1, sizeof(*a->images));
	json_array_foreach(arr, i, img) {
		struct news_image *im = &a->images[a->nimages++];

		if (!json_is_object(img)) {
			snprintf(field, sizeof(field), "images[%zu]", i);
			add_error(errs, field, "must be an object");
			continue;
		}
		snprintf(field, sizeof(field), "images[%zu].url", i);
		im->url = take_string(img, "url", field, 1, 'u', URL_MAX, errs);
		snprintf(field, sizeof(field), "images[%zu].caption", i);
		im->caption = take_string(img, "caption", field, 0, 'l', LINE_MAX_LEN, errs);
		snprintf(field, sizeof(field), "images[%zu].credit", i);
		im->credit = take_string(img, "credit", field, 0, 'l', LINE_MAX_LEN, errs);
	}
}

static int
valid_topic(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > TOPIC_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return 0;
	return 1;
}

static void
take_topics(json_t *obj, struct news_article *a, struct news_errors *errs)
{
	json_t *arr = json_object_get(obj, "topics"), *t;
	size_t i;

	if (arr == NULL || json_is_null(arr))
		return;
	if (!json_is_array(arr) || json_array_size(arr) > TOPICS_MAX) {
		add_error(errs, "topics", "must be an array of at most 20 topics");
		return;
	}
	a->topics = xcalloc(json_array_size(arr) + 1, sizeof(char *));
	json_array_foreach(arr, i, t) {
		if (!json_is_string(t) || !valid_topic(json_string_value(t))) {
			add_error(errs, "topics", "each topic must be lower-case letters, digits and hyphens");
			return;
		}
		a->topics[a->ntopics++] = xstrdup(json_string_value(t));
	}
}

static void
take_published(json_t *obj, struct news_article *a, struct news_errors *errs)
{
	json_t *v = json_object_get(obj, "published_at");

	a->published_at = time(NULL);
	if (v == NULL || json_is_null(v))
		return;
	if (!json_is_string(v) ||
	    time_rfc3339_parse(json_string_value(v), json_string_length(v), &a->published_at) != NF_OK)
		add_error(errs, "published_at", "must be an RFC 3339 time such as 2026-11-29T03:10:00Z");
}

/* news_article_slug - a URL-friendly slug from the headline: lower-case ASCII words joined by '-' */
char *
news_article_slug(const char *headline)
{
	struct buf b;
	int dash = 0;

	buf_init(&b, 80);
	for (; *headline && b.len < 80; headline++) {
		char c = *headline;

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
			if (dash && b.len)
				buf_putc(&b, '-');
			buf_putc(&b, c);
			dash = 0;
		} else {
			dash = 1;
		}
	}
	if (b.len == 0)
		buf_puts(&b, "article");
	return buf_steal(&b, NULL);
}

/* body_html as news_html_sanitize leaves it; NULL when nothing is left */
int
news_article_sanitize(struct news_article *a)
{
	char *clean;
	int rc;

	if (a->body_html == NULL)
		return NF_OK;
	clean = news_html_sanitize_dup(a->body_html, strlen(a->body_html), &rc);
	if (clean == NULL)
		return rc;
	free(a->body_html);
	a->body_html = clean[0] ? clean : NULL;
	if (clean[0] == '\0')
		free(clean);
	return NF_OK;
}

static void
take_fields(json_t *root, struct news_article *a, struct news_errors *errs)
{
	json_t *br;

	a->headline = take_string(root, "headline", "headline", 1, 'l', NEWS_HEADLINE_MAX, errs);
	a->standfirst = take_string(root, "standfirst", "standfirst", 0, 't', STANDFIRST_MAX, errs);
	a->body_html = take_string(root, "body_html", "body_html", 0, 't', BODY_MAX, errs);
	a->body_text = take_string(root, "body_text", "body_text", 0, 't', BODY_MAX, errs);
	a->byline = take_string(root, "byline", "byline", 0, 'l', LINE_MAX_LEN, errs);
	a->url = take_string(root, "url", "url", 0, 'u', URL_MAX, errs);
	take_published(root, a, errs);
	take_images(root, a, errs);
	take_topics(root, a, errs);
	br = json_object_get(root, "breaking");
	if (br && !json_is_boolean(br) && !json_is_null(br))
		add_error(errs, "breaking", "must be true or false");
	a->breaking = br && json_is_true(br);
}

int
news_article_parse(const char *json, size_t len, struct news_article *out,
		   struct news_errors *errs)
{
	json_error_t jerr;
	json_t *root;

	memset(out, 0, sizeof(*out));
	errs->count = 0;
	if (len > NEWS_JSON_MAX) {
		add_error(errs, "body", "is larger than 1 MiB");
		return NF_ERR_INVALID;
	}
	root = json_loadb(json, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
	if (root == NULL || !json_is_object(root)) {
		add_error(errs, "body", "must be a JSON object");
		json_decref(root);
		return NF_ERR_INVALID;
	}
	take_fields(root, out, errs);
	json_decref(root);
	if (out->body_html && news_article_sanitize(out) != NF_OK)
		add_error(errs, "body_html", "is nested too deeply");
	if (errs->count) {
		news_article_free(out);
		return NF_ERR_INVALID;
	}
	if (out->body_text == NULL && out->body_html)
		out->body_text = news_html_to_text(out->body_html, strlen(out->body_html));
	out->slug = news_article_slug(out->headline);
	return NF_OK;
}

void
news_article_free(struct news_article *a)
{
	size_t i;

	for (i = 0; i < a->nimages; i++) {
		free(a->images[i].url);
		free(a->images[i].caption);
		free(a->images[i].credit);
	}
	for (i = 0; i < a->ntopics; i++)
		free(a->topics[i]);
	free(a->images);
	free(a->topics);
	free(a->slug);
	free(a->headline);
	free(a->standfirst);
	free(a->body_html);
	free(a->body_text);
	free(a->byline);
	free(a->url);
	memset(a, 0, sizeof(*a));
}

static void
set_opt_string(json_t *o, const char *key, const char *v)
{
	json_object_set_new(o, key, v ? json_string(v) : json_null());
}

json_t *
news_article_json(const struct news_article *a)
{
	json_t *o = json_object(), *imgs = json_array(), *topics = json_array();
	char when[TIME_RFC3339_MAX];
	size_t i;

	set_opt_string(o, "slug", a->slug);
	set_opt_string(o, "headline", a->headline);
	set_opt_string(o, "standfirst", a->standfirst);
	set_opt_string(o, "body_html", a->body_html);
	set_opt_string(o, "body_text", a->body_text);
	set_opt_string(o, "byline", a->byline);
	set_opt_string(o, "url", a->url);
	time_rfc3339(a->published_at, when);
	json_object_set_new(o, "published_at", json_string(when));
	for (i = 0; i < a->nimages; i++) {
		json_t *im = json_object();

		set_opt_string(im, "url", a->images[i].url);
		set_opt_string(im, "caption", a->images[i].caption);
		set_opt_string(im, "credit", a->images[i].credit);
		json_array_append_new(imgs, im);
	}
	for (i = 0; i < a->ntopics; i++)
		json_array_append_new(topics, json_string(a->topics[i]));
	json_object_set_new(o, "images", imgs);
	json_object_set_new(o, "topics", topics);
	json_object_set_new(o, "breaking", json_boolean(a->breaking));
	return o;
}
