/*
 * web/compose.c - write a breaking story, preview it, test it, publish it
 *
 * Owns: the compose form and what its buttons do. GET /newsroom/compose
 * shows an empty form; POST /newsroom/compose shows it filled again (the
 * preview's Edit button); POST /newsroom/preview checks the draft and shows
 * the email; POST /newsroom/test sends that email to the editor's own
 * address through the delivery engine's priority lane; POST
 * /newsroom/publish asks for confirmation, and with confirm=yes stores the
 * article and queues its alert (news_publish) and wakes the engine.
 *
 * The draft travels in the form itself (hidden fields on the preview and
 * confirmation pages), so nothing half-written is stored. It becomes an
 * article the way the JSON API's does: the fields are put into JSON and
 * validated by news_article_parse, whose errors are shown beside the
 * fields they name. The body is typed as plain paragraphs (a blank line
 * between two); it becomes HTML here, escaped, so an editor cannot put
 * markup into subscribers' mail by accident.
 *
 * Publishing twice by a double click is prevented by a token made for each
 * confirmation page: its first use publishes, a second use is sent to the
 * alert the first one made.
 */
#include <ctype.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "deliver/deliver.h"
#include "mail/mail.h"
#include "news/news.h"
#include "store/store.h"
#include "tmpl/tmpl.h"
#include "web_impl.h"

#define MEMO_SLOTS 256
#define TOKEN_BYTES 18

/* the form's fields, in the order they are carried along */
static const struct {
	const char *name, *label;
} fields[] = {
	{ "headline", "Headline" }, { "standfirst", "Standfirst" }, { "body", "Story" },
	{ "byline", "Byline" }, { "url", "Story link" }, { "image_url", "Image address" },
	{ "image_caption", "Image caption" }, { "image_credit", "Image credit" },
	{ "topics", "Topics" },
};
#define NFIELDS NF_ARRAY_LEN(fields)

struct draft {
	char *value[NFIELDS];		/* CRLF made LF; arena strings */
	size_t len[NFIELDS];
	json_t *errors;			/* field -> message */
	struct news_article art;
	int parsed;
};

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
draft_error(struct draft *d, const char *field, const char *message)
{
	int i = field_index(field);
	char text[256];

	if (json_object_get(d->errors, field))
		return;	/* the first problem of a field is the one to fix */
	snprintf(text, sizeof(text), "%s %s", i >= 0 ? fields[i].label : "The story", message);
	json_object_set_new(d->errors, field, json_string(text));
}

/* the form value with CR LF and lone CR made LF, in the request's arena */
static void
draft_read(struct draft *d, struct arena *a, const struct http_form *form)
{
	size_t i, j, n, len;
	const char *v;

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
}

static const char *
draft_get(const struct draft *d, const char *name, size_t *len)
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
put_text(struct draft *d, json_t *o, const char *key, const char *field)
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
draft_json(struct draft *d)
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

/* read and check the draft; 1 when it is a valid article (d->art) */
static int
draft_parse(struct draft *d, struct arena *a, const struct http_form *form)
{
	struct news_errors errs;
	json_t *o;
	char *text;
	int i;

	memset(d, 0, sizeof(*d));
	d->errors = json_object();
	draft_read(d, a, form);
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

static void
draft_free(struct draft *d)
{
	json_decref(d->errors);
	news_article_free(&d->art);
}

/* the draft for the page: values (draft.NAME), errors, and hidden copies */
static void
draft_context(const struct draft *d, json_t *ctx)
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

static void
render_compose(struct web *w, struct http_request *req, struct http_response *res, int status,
	       const struct newsroom_session *ss, const struct draft *d)
{
	json_t *ctx = json_object();

	if (d)
		draft_context(d, ctx);
	newsroom_render(w, req, res, status, PAGE_NR_COMPOSE, ctx, ss, "nav_compose");
	json_decref(ctx);
}

void
compose_page(struct web *w, struct http_request *req, struct http_response *res, const char *arg)
{
	struct newsroom_session ss;

	NF_UNUSED(arg);
	if (newsroom_guard(w, req, res, &ss))
		render_compose(w, req, res, 200, &ss, NULL);
}

void
compose_edit(struct web *w, struct http_request *req, struct http_response *res, const char *arg)
{
	struct newsroom_session ss;
	struct http_form form;
	struct draft d;

	NF_UNUSED(arg);
	if (!newsroom_guard_post(w, req, res, &ss, &form))
		return;
	memset(&d, 0, sizeof(d));
	d.errors = json_object();
	draft_read(&d, req->arena, &form);
	render_compose(w, req, res, 200, &ss, &d);
	draft_free(&d);
}

/* the signed-in post's draft; 0 with the form shown again (422) when it is not valid */
static int
valid_draft(struct web *w, struct http_request *req, struct http_response *res,
	    struct newsroom_session *ss, struct draft *d)
{
	struct http_form form;

	memset(d, 0, sizeof(*d));
	if (!newsroom_guard_post(w, req, res, ss, &form))
		return 0;
	if (draft_parse(d, req->arena, &form))
		return 1;
	render_compose(w, req, res, 422, ss, d);
	draft_free(d);
	return 0;
}

/* ---- preview and test ---- */

static void
render_preview(struct web *w, struct http_request *req, struct http_response *res,
	       const struct newsroom_session *ss, const struct draft *d, const struct preview *p,
	       const char *notice, const char *problem)
{
	const struct mail_sender *snd = w->cfg.sender;
	json_t *ctx = json_object();
	char size[48];

	draft_context(d, ctx);
	snprintf(size, sizeof(size), "%.1f KB", (double)p->message.len / 1024.0);
	json_object_set_new(ctx, "preview_html", json_stringn(p->html.data, p->html.len));
	json_object_set_new(ctx, "preview_text", json_stringn(p->text.data, p->text.len));
	json_object_set_new(ctx, "subject", json_string(p->subject));
	json_object_set_new(ctx, "from_name", json_string(snd && snd->from_name ? snd->from_name : ""));
	json_object_set_new(ctx, "from_addr", json_string(snd && snd->from_addr ? snd->from_addr : ""));
	json_object_set_new(ctx, "size", json_string(size));
	json_object_set_new(ctx, "dkim", json_boolean(p->signed_dkim));
	json_object_set_new(ctx, "can_test", json_boolean(ss->email[0] && w->cfg.engine));
	if (notice)
		json_object_set_new(ctx, "notice", json_string(notice));
	if (problem)
		json_object_set_new(ctx, "problem", json_string(problem));
	newsroom_render(w, req, res, problem ? 503 : 200, PAGE_NR_PREVIEW, ctx, ss, "nav_compose");
	json_decref(ctx);
}

/* the email for the draft, addressed to the editor (or a stand-in reader) */
static int
make_preview(struct web *w, const struct newsroom_session *ss, const struct draft *d,
	     struct preview *p)
{
	const char *to = ss->email[0] ? ss->email : "reader@example.com";
	int rc;

	preview_init(p);
	if (w->cfg.sender == NULL)
		return NF_ERR;
	rc = preview_make(w->cfg.sender, &d->art, to, p);
	if (rc != NF_OK)
		log_event(LOG_ERROR, "newsroom.preview_failed", "reason", nf_strstatus(rc), NULL);
	return rc;
}

void
compose_preview(struct web *w, struct http_request *req, struct http_response *res, const char *arg)
{
	struct newsroom_session ss;
	struct preview p;
	struct draft d;

	NF_UNUSED(arg);
	if (!valid_draft(w, req, res, &ss, &d))
		return;
	if (make_preview(w, &ss, &d, &p) == NF_OK)
		render_preview(w, req, res, &ss, &d, &p, NULL, NULL);
	else
		newsroom_message(w, req, res, 500, &ss, "The email could not be composed. Please check the templates");
	preview_free(&p);
	draft_free(&d);
}

void
compose_test(struct web *w, struct http_request *req, struct http_response *res, const char *arg)
{
	struct newsroom_session ss;
	struct preview p;
	struct draft d;
	char notice[400];
	const char *problem = NULL;
	size_t len;

	NF_UNUSED(arg);
	if (!valid_draft(w, req, res, &ss, &d))
		return;
	if (make_preview(w, &ss, &d, &p) != NF_OK) {
		newsroom_message(w, req, res, 500, &ss, "The email could not be composed. Please check the templates");
	} else {
		if (!ss.email[0])
			problem = "Your account has no email address to send a test to";
		else if (w->cfg.engine == NULL || !deliver_priority_room(w->cfg.engine))
			problem = "Mail cannot be sent from here right now. Please try again in a minute";
		else {
			char *msg = buf_steal(&p.message, &len);

			if (deliver_priority(w->cfg.engine, ss.email, msg, len, 0) != NF_OK)
				problem = "Mail cannot be sent from here right now. Please try again in a minute";
			else
				log_event(LOG_INFO, "newsroom.test_sent", "editor", ss.name, NULL);
		}
		snprintf(notice, sizeof(notice), "A test was sent to %s. It should arrive within a minute", ss.email);
		render_preview(w, req, res, &ss, &d, &p, problem ? NULL : notice, problem);
	}
	preview_free(&p);
	draft_free(&d);
}

/* ---- publishing ---- */

struct publish_memo {
	pthread_mutex_t lock;
	struct {
		char token[32];
		int64_t alert_id;	/* 0 while its publication is under way */
	} slot[MEMO_SLOTS];
	size_t next;
};

struct publish_memo *
publish_memo_new(void)
{
	struct publish_memo *m = xcalloc(1, sizeof(*m));

	pthread_mutex_init(&m->lock, NULL);
	return m;
}

void
publish_memo_free(struct publish_memo *m)
{
	if (m == NULL)
		return;
	pthread_mutex_destroy(&m->lock);
	free(m);
}

/*
 * memo_claim - 1 when token is new (now taken); else 0 and *alert_id is
 * the alert its first use made (0 if that is still under way)
 */
static int
memo_claim(struct publish_memo *m, const char *token, int64_t *alert_id)
{
	size_t i;

	pthread_mutex_lock(&m->lock);
	for (i = 0; i < MEMO_SLOTS; i++)
		if (strcmp(m->slot[i].token, token) == 0) {
			*alert_id = m->slot[i].alert_id;
			pthread_mutex_unlock(&m->lock);
			return 0;
		}
	snprintf(m->slot[m->next].token, sizeof(m->slot[m->next].token), "%s", token);
	m->slot[m->next].alert_id = 0;
	m->next = (m->next + 1) % MEMO_SLOTS;
	pthread_mutex_unlock(&m->lock);
	return 1;
}

static void
memo_done(struct publish_memo *m, const char *token, int64_t alert_id)
{
	size_t i;

	pthread_mutex_lock(&m->lock);
	for (i = 0; i < MEMO_SLOTS; i++)
		if (strcmp(m->slot[i].token, token) == 0)
			m->slot[i].alert_id = alert_id;
	pthread_mutex_unlock(&m->lock);
}

static void
confirm_page(struct web *w, struct http_request *req, struct http_response *res,
	     const struct newsroom_session *ss, const struct draft *d)
{
	unsigned char raw[TOKEN_BYTES];
	json_t *ctx = json_object();
	struct store *s = web_store(w);
	int64_t n = 0;
	char count[32];
	struct buf token;

	if (random_bytes(raw, sizeof(raw)) != NF_OK)
		log_panic("getrandom failed");
	buf_init(&token, 0);
	base64url_encode(&token, raw, sizeof(raw));
	if (s)
		store_subscriber_count(s, STORE_LIST_DEFAULT, STORE_CONFIRMED, &n);
	newsroom_count_label(n, count);
	draft_context(d, ctx);
	json_object_set_new(ctx, "publish_token", json_string(token.data));
	json_object_set_new(ctx, "recipients", json_string(count));
	json_object_set_new(ctx, "headline", json_string(d->art.headline));
	newsroom_render(w, req, res, 200, PAGE_NR_PUBLISH, ctx, ss, "nav_compose");
	json_decref(ctx);
	buf_free(&token);
}

static void
publish_now(struct web *w, struct http_request *req, struct http_response *res,
	    const struct newsroom_session *ss, const struct draft *d, const char *token)
{
	struct store *s = web_store(w);
	int64_t article_id = 0, alert_id = 0;
	char where[64];

	if (!memo_claim(w->published, token, &alert_id)) {
		if (alert_id == 0) {
			newsroom_message(w, req, res, 409, ss, "This story is being published already");
			return;
		}
		snprintf(where, sizeof(where), "/newsroom/alerts/%lld", (long long)alert_id);
		http_redirect(req, res, where);
		return;
	}
	if (s == NULL || news_publish(s, &d->art, w->cfg.alert_shards, &article_id, &alert_id) != NF_OK) {
		log_event(LOG_ERROR, "newsroom.publish_failed", "reason", s ? store_errmsg(s) : "no store", NULL);
		newsroom_message(w, req, res, 503, ss, "The story could not be published. Nothing was sent. Please try again");
		memo_done(w->published, token, -1);
		return;
	}
	memo_done(w->published, token, alert_id);
	if (w->cfg.engine)
		deliver_wake(w->cfg.engine);
	snprintf(where, sizeof(where), "%lld", (long long)alert_id);
	log_event(LOG_INFO, "newsroom.published", "editor", ss->name, "alert", where, NULL);
	snprintf(where, sizeof(where), "/newsroom/alerts/%lld", (long long)alert_id);
	http_redirect(req, res, where);
}

void
compose_publish(struct web *w, struct http_request *req, struct http_response *res, const char *arg)
{
	struct newsroom_session ss;
	struct http_form form;
	struct draft d;
	const char *confirm, *token;
	size_t token_len = 0;

	NF_UNUSED(arg);
	memset(&d, 0, sizeof(d));
	if (!newsroom_guard_post(w, req, res, &ss, &form))
		return;
	if (!draft_parse(&d, req->arena, &form)) {
		render_compose(w, req, res, 422, &ss, &d);
		draft_free(&d);
		return;
	}
	confirm = http_form_get(&form, "confirm", NULL);
	token = http_form_get(&form, "publish_token", &token_len);
	if (confirm && strcmp(confirm, "yes") == 0 && token && token_len >= 16 && token_len < 32 &&
	    strlen(token) == token_len)
		publish_now(w, req, res, &ss, &d, token);
	else
		confirm_page(w, req, res, &ss, &d);
	draft_free(&d);
}
