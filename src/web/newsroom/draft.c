/*
 * web/newsroom/draft.c - the compose form's fields as an article
 *
 * Owns: reading a story from the newsroom's form and making it an article
 * the way the JSON API's are made: the fields are put into JSON and checked
 * by news_article_parse, and its errors are given back by the form field
 * they concern, worded for people ("Headline is required"). The body is
 * typed as plain paragraphs (an empty line between two) and becomes HTML
 * here, escaped, so no markup an editor types reaches subscribers' mail as
 * markup. Also owns the draft as the pages show it again: each value, each
 * error, and hidden copies of every field for the next form.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "news/news.h"
#include "tmpl/tmpl.h"
#include "newsroom.h"

/* the form's fields, in the order they are carried along */
static const struct {
	const char *name, *label;
} fields[NEWSROOM_DRAFT_FIELDS] = {
	{ "headline", "Headline" }, { "standfirst", "Standfirst" }, { "body", "Story" },
	{ "byline", "Byline" }, { "url", "Story link" }, { "image_url", "Image address" },
	{ "image_caption", "Image caption" }, { "image_credit", "Image credit" },
	{ "topics", "Topics" },
};
#define NFIELDS NEWSROOM_DRAFT_FIELDS

/* ---- the draft: form -> JSON -> news_article ---- */

static int
field_index(const char *name)
{
	size_t i;

	for (i = 0; i < NFIELDS; i++)
		if (strcmp(fields[i].name, name) == 0)
			return (int)i;
	return -1;
}

static void
draft_error(struct newsroom_draft *d, const char *field, const char *message)
{
	int i = field_index(field);
	char text[256];

	if (json_object_get(d->errors, field))
		return;	/* the first problem of a field is the one to fix */
	snprintf(text, sizeof(text), "%s %s", i >= 0 ? fields[i].label : "The story", message);
	json_object_set_new(d->errors, field, json_string(text));
}

/*
 * add_chosen_topics - the lists ticked on the compose form (fields named
 * "topic") join the typed topics, so the draft carries one topics value
 */
static void
add_chosen_topics(struct newsroom_draft *d, struct arena *a, const struct http_form *form)
{
	int t = field_index("topics"), i;
	struct buf all;
	char *v;

	buf_init(&all, HTTP_NEWSROOM_MAX);
	buf_append(&all, d->value[t], d->len[t]);
	for (i = 0; i < form->count; i++) {
		if (strcmp(form->fields[i].name, "topic") != 0 || form->fields[i].value_len == 0)
			continue;
		if (all.len)
			buf_puts(&all, ", ");
		buf_append(&all, form->fields[i].value, form->fields[i].value_len);
	}
	if (all.len > d->len[t] && (v = arena_strndup(a, all.data, all.len)) != NULL) {
		d->value[t] = v;
		d->len[t] = all.len;
	}
	buf_free(&all);
}

/* the form values with CR LF and lone CR made LF, in the request's arena */
void
newsroom_draft_read(struct newsroom_draft *d, struct arena *a, const struct http_form *form)
{
	size_t i, j, n, len;
	const char *v;

	memset(d, 0, sizeof(*d));
	d->errors = json_object();
	for (i = 0; i < NFIELDS; i++) {
		v = http_form_get(form, fields[i].name, &len);
		d->value[i] = arena_strndup(a, v ? v : "", v ? len : 0);
		if (d->value[i] == NULL) {
			d->value[i] = "";
			len = 0;
		}
		for (j = 0, n = 0; v && j < len; j++)
			if (d->value[i][j] != '\r')
				d->value[i][n++] = d->value[i][j];
			else if (j + 1 >= len || d->value[i][j + 1] != '\n')
				d->value[i][n++] = '\n';
		d->value[i][n] = '\0';
		d->len[i] = n;
	}
	add_chosen_topics(d, a, form);
}

static const char *
draft_get(const struct newsroom_draft *d, const char *name, size_t *len)
{
	int i = field_index(name);

	*len = d->len[i];
	return d->value[i];
}

/* 1 when the line starting at t[j] holds nothing but blanks */
static int
blank_line(const char *t, size_t j, size_t n)
{
	while (j < n && (t[j] == ' ' || t[j] == '\t'))
		j++;
	return j == n || t[j] == '\n';
}

/* one paragraph: its lines, trimmed and escaped, joined by <br> */
static void
paragraph(struct buf *out, const char *p, size_t n)
{
	size_t i = 0, start, end;

	buf_puts(out, "<p>");
	while (i < n) {
		for (start = i; i < n && p[i] != '\n'; i++)
			;
		for (end = i; end > start && isspace((unsigned char)p[end - 1]); end--)
			;
		if (start > 0)
			buf_puts(out, "<br>\n");
		tmpl_escape_html(out, p + start, end - start);
		i++;	/* past the line break */
	}
	buf_puts(out, "</p>\n");
}

/* text -> a <p> per paragraph (a blank line between two), a <br> per line break */
static void
body_html(const char *t, size_t n, struct buf *out)
{
	size_t i = 0, start, end;

	while (i < n) {
		while (i < n && isspace((unsigned char)t[i]))
			i++;
		if (i == n)
			break;
		for (start = i; i < n && !(t[i] == '\n' && blank_line(t, i + 1, n)); i++)
			;
		for (end = i; end > start && isspace((unsigned char)t[end - 1]); end--)
			;
		paragraph(out, t + start, end - start);
	}
}

/* set key to the value when it is not empty; invalid UTF-8 is an error */
static void
put_text(struct newsroom_draft *d, json_t *o, const char *key, const char *field)
{
	size_t len;
	const char *v = draft_get(d, field, &len);
	json_t *s;

	if (len == 0)
		return;
	if ((s = json_stringn(v, len)) == NULL)
		draft_error(d, field, "must be UTF-8 text");
	else
		json_object_set_new(o, key, s);
}

/* "Politics, UK  elections" -> ["politics","uk","elections"] */
static json_t *
topics_json(const char *v, size_t len)
{
	json_t *arr = json_array();
	char word[80];
	size_t i = 0, n;

	while (i < len) {
		while (i < len && (v[i] == ',' || isspace((unsigned char)v[i])))
			i++;
		for (n = 0; i < len && v[i] != ',' && !isspace((unsigned char)v[i]); i++)
			if (n < sizeof(word) - 1)
				word[n++] = (char)tolower((unsigned char)v[i]);
		if (n) {
			json_t *t = json_stringn(word, n);

			/* not UTF-8: a topic news refuses, so the editor is told */
			json_array_append_new(arr, t ? t : json_string("?"));
		}
	}
	return arr;
}

static json_t *
draft_json(struct newsroom_draft *d)
{
	json_t *o = json_object(), *img;
	struct buf html;
	size_t len;
	const char *v;

	put_text(d, o, "headline", "headline");
	if (!json_object_get(o, "headline") && !json_object_get(d->errors, "headline"))
		draft_error(d, "headline", "is required");
	put_text(d, o, "standfirst", "standfirst");
	put_text(d, o, "byline", "byline");
	put_text(d, o, "url", "url");
	v = draft_get(d, "body", &len);
	buf_init(&html, 0);
	body_html(v, len, &html);
	if (html.len) {
		json_t *b = json_stringn(html.data, html.len);

		if (b == NULL)
			draft_error(d, "body", "must be UTF-8 text");
		else
			json_object_set_new(o, "body_html", b);
	}
	buf_free(&html);
	img = json_object();
	put_text(d, img, "url", "image_url");
	put_text(d, img, "caption", "image_caption");
	put_text(d, img, "credit", "image_credit");
	if (json_object_get(img, "url")) {
		json_object_set_new(o, "images", json_pack("[o]", img));
	} else {
		if (json_object_size(img))
			draft_error(d, "image_url", "is needed for a caption or credit");
		json_decref(img);
	}
	v = draft_get(d, "topics", &len);
	json_object_set_new(o, "topics", topics_json(v, len));
	json_object_set_new(o, "breaking", json_true());
	return o;
}

/* news' field names onto the form's */
static const char *
form_field_of(const char *news_field)
{
	if (strncmp(news_field, "body", 4) == 0)
		return "body";
	if (strcmp(news_field, "images[0].url") == 0 || strcmp(news_field, "images") == 0)
		return "image_url";
	if (strcmp(news_field, "images[0].caption") == 0)
		return "image_caption";
	if (strcmp(news_field, "images[0].credit") == 0)
		return "image_credit";
	return field_index(news_field) >= 0 ? news_field : "headline";
}

int
newsroom_draft_parse(struct newsroom_draft *d, struct arena *a, const struct http_form *form)
{
	struct news_errors errs;
	json_t *o;
	char *text;
	int i;

	newsroom_draft_read(d, a, form);
	o = draft_json(d);
	text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (json_object_size(d->errors) == 0 &&
	    news_article_parse(text, strlen(text), &d->art, &errs) == NF_OK)
		d->parsed = 1;
	else if (json_object_size(d->errors) == 0)
		for (i = 0; i < errs.count; i++)
			draft_error(d, form_field_of(errs.items[i].field), errs.items[i].message);
	free(text);
	return d->parsed;
}

json_t *
newsroom_draft_topics(const struct newsroom_draft *d)
{
	size_t len;
	const char *v = draft_get(d, "topics", &len);

	return topics_json(v, len);
}

void
newsroom_draft_refuse(struct newsroom_draft *d, const char *field, const char *message)
{
	if (!json_object_get(d->errors, field))
		json_object_set_new(d->errors, field, json_string(message));
	d->parsed = 0;
}

void
newsroom_draft_free(struct newsroom_draft *d)
{
	json_decref(d->errors);
	news_article_free(&d->art);
}

void
newsroom_draft_context(const struct newsroom_draft *d, json_t *ctx)
{
	json_t *values = json_object(), *hidden = json_array(), *list = json_array();
	const char *key;
	json_t *msg;
	size_t i;

	for (i = 0; i < NFIELDS; i++) {
		json_t *v = json_stringn(d->value[i] ? d->value[i] : "", d->len[i]);

		if (v == NULL)
			v = json_string("");
		json_object_set(values, fields[i].name, v);
		json_array_append_new(hidden, json_pack("{s:s,s:o}", "name", fields[i].name, "value", v));
	}
	json_object_foreach(d->errors, key, msg)
		json_array_append_new(list, json_pack("{s:s,s:O}", "field", key, "message", msg));
	json_object_set_new(ctx, "draft", values);
	json_object_set_new(ctx, "hidden", hidden);
	json_object_set(ctx, "errors", d->errors);
	json_object_set_new(ctx, "error_list", list);
	json_object_set_new(ctx, "has_errors", json_boolean(json_array_size(list) > 0));
}

