/*
 * web/newsroom/compose.c - write a breaking story, preview it, test it, publish it
 *
 * Owns: the compose form and what its buttons do. GET /newsroom/compose
 * shows an empty form; POST /newsroom/compose shows it filled again (the
 * preview's Edit button); POST /newsroom/preview checks the draft and shows
 * the email with the lists it goes to and how many readers it reaches;
 * POST /newsroom/test sends that email, its subject marked [TEST], to the
 * desk addresses typed on the preview through the delivery engine's
 * priority lane; POST
 * /newsroom/publish asks for confirmation, and with confirm=yes stores the
 * article and queues its alert (news_publish) and wakes the engine.
 *
 * Topics are chosen from the lists that exist (ticked, with their
 * readers) or typed; a typed topic that names no list is an error here,
 * where an editor can put it right (the API accepts such tags and names
 * them in its answer). Every audience figure comes from the store's one
 * audience count (store_audience_count), as the dashboard's does.
 *
 * The draft travels in the form itself (hidden fields on the preview and
 * confirmation pages), so nothing half-written is stored; draft.c turns it
 * into an article.
 *
 * Publishing twice by a double click is prevented by a token made for each
 * confirmation page: its first use publishes, a second use is sent to the
 * alert the first one made.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "addr/addr.h"
#include "deliver/deliver.h"
#include "mail/mail.h"
#include "news/news.h"
#include "store/store.h"
#include "newsroom.h"

#define MEMO_SLOTS 256
#define TOKEN_BYTES 18

/* 1 when the JSON array of strings holds name */
static int
has_word(const json_t *words, const char *name)
{
	size_t i;

	for (i = 0; i < json_array_size(words); i++)
		if (strcmp(json_string_value(json_array_get(words, i)), name) == 0)
			return 1;
	return 0;
}

/* n readers as "1,234 readers" (or "1 reader") */
static json_t *
readers_label(int64_t n)
{
	char count[32], text[48];

	newsroom_count_label(n, count);
	snprintf(text, sizeof(text), "%s reader%s", count, n == 1 ? "" : "s");
	return json_string(text);
}

/*
 * topic_choices - every list but breaking-news, with the readers an alert
 * to it alone reaches, ticked when the draft names it; ctx's draft.topics
 * keeps only the typed topics that are no such list
 */
static void
topic_choices(struct web *w, const struct newsroom_draft *d, json_t *ctx)
{
	struct store *s = http_store(w);
	struct store_list **ls = NULL;
	json_t *arr = json_array(), *words = d ? newsroom_draft_topics(d) : json_array(), *draft;
	struct buf other;
	size_t i, n = 0;
	int64_t readers;

	buf_init(&other, HTTP_NEWSROOM_MAX);
	if (s && store_lists_all(s, &ls, &n) == NF_OK) {
		for (i = 0; i < n; i++) {
			if (strcmp(ls[i]->name, STORE_LIST_DEFAULT) == 0 ||
			    store_audience_count(s, &ls[i]->id, 1, &readers) != NF_OK)
				continue;
			json_array_append_new(arr, json_pack("{s:s,s:o,s:b}", "name", ls[i]->name,
							     "readers", readers_label(readers),
							     "checked", has_word(words, ls[i]->name)));
		}
	}
	for (i = 0; i < json_array_size(words); i++) {
		const char *word = json_string_value(json_array_get(words, i));
		size_t k;
		int listed = 0;

		for (k = 0; k < n; k++)
			listed |= strcmp(ls[k]->name, word) == 0 && strcmp(word, STORE_LIST_DEFAULT) != 0;
		if (!listed)
			buf_printf(&other, "%s%s", other.len ? ", " : "", word);
	}
	if (ls)
		store_list_list_free(ls, n);
	if (d && (draft = json_object_get(ctx, "draft")) != NULL)
		json_object_set_new(draft, "topics", json_string(other.len ? other.data : ""));
	json_object_set_new(ctx, "has_topics", json_boolean(json_array_size(arr) > 0));
	json_object_set_new(ctx, "topics", arr);
	json_decref(words);
	buf_free(&other);
}

/* UTF-8 characters in the headline (continuation bytes not counted) */
static size_t
headline_chars(const char *h, size_t len)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++)
		n += ((unsigned char)h[i] & 0xc0) != 0x80;
	return n;
}

/* the headline's length and, past what the templates are made for, a warning */
static void
headline_context(const struct newsroom_draft *d, json_t *ctx)
{
	size_t n = d ? headline_chars(d->value[0], d->len[0]) : 0;
	char text[256];

	json_object_set_new(ctx, "headline_fits", json_integer(NEWSROOM_HEADLINE_FITS));
	json_object_set_new(ctx, "headline_chars", json_integer((json_int_t)n));
	if (n <= NEWSROOM_HEADLINE_FITS)
		return;
	snprintf(text, sizeof(text), "The headline has %zu characters; alerts are designed for up to %d."
		 " Phones cut the subject line short and the email's headline runs over many lines.",
		 n, NEWSROOM_HEADLINE_FITS);
	json_object_set_new(ctx, "headline_long", json_string(text));
}

static void
render_compose(struct web *w, struct http_request *req, struct http_response *res, int status,
	       const struct newsroom_session *ss, const struct newsroom_draft *d)
{
	json_t *ctx = json_object();

	if (d)
		newsroom_draft_context(d, ctx);
	topic_choices(w, d, ctx);
	headline_context(d, ctx);
	newsroom_render(w, req, res, status, NEWSROOM_PAGE_COMPOSE, ctx, ss, "nav_compose");
	json_decref(ctx);
}

void
newsroom_compose_page(struct web *w, struct http_request *req, struct http_response *res, const char *arg)
{
	struct newsroom_session ss;

	NF_UNUSED(arg);
	if (newsroom_guard(w, req, res, &ss))
		render_compose(w, req, res, 200, &ss, NULL);
}

void
newsroom_compose_edit(struct web *w, struct http_request *req, struct http_response *res, const char *arg)
{
	struct newsroom_session ss;
	struct http_form form;
	struct newsroom_draft d;

	NF_UNUSED(arg);
	if (!newsroom_guard_post(w, req, res, &ss, &form))
		return;
	newsroom_draft_read(&d, req->arena, &form);
	render_compose(w, req, res, 200, &ss, &d);
	newsroom_draft_free(&d);
}

/*
 * check_topics - every topic of the parsed draft must name a list that
 * exists: a typo ("politcs") would otherwise reach nobody unnoticed
 */
static int
check_topics(struct store *s, struct newsroom_draft *d)
{
	char list[NEWS_TOPIC_MAX + 1], text[512];
	struct buf missing;
	int64_t readers;
	size_t i, k = 0;
	int rc = NF_OK;

	buf_init(&missing, 0);
	for (i = 0; i < d->art.ntopics && rc == NF_OK; i++) {
		rc = news_topic_readers(s, d->art.topics[i], list, &readers);
		if (rc == NF_ERR_NOTFOUND) {
			buf_printf(&missing, "%s%s", k++ ? ", " : "", d->art.topics[i]);
			rc = NF_OK;
		}
	}
	if (rc == NF_OK && k) {
		snprintf(text, sizeof(text), "Topics: no list is called %s. Choose from the lists readers"
			 " follow (a new list is made with newsflash lists create NAME)", missing.data);
		newsroom_draft_refuse(d, "topics", text);
	}
	buf_free(&missing);
	return rc;
}

/*
 * the signed-in post's draft, its topics checked against the lists, and the
 * store; NULL with the form shown again (422) when it is not valid, or the
 * answer written when the store is not there
 */
static struct store *
valid_draft(struct web *w, struct http_request *req, struct http_response *res,
	    struct newsroom_session *ss, struct newsroom_draft *d, struct http_form *form)
{
	struct store *s;

	memset(d, 0, sizeof(*d));
	if (!newsroom_guard_post(w, req, res, ss, form))
		return NULL;
	if ((s = http_store(w)) == NULL) {
		newsroom_message(w, req, res, 503, ss, "The database is not reachable. Please try again");
		return NULL;
	}
	if (newsroom_draft_parse(d, req->arena, form) && check_topics(s, d) == NF_OK && d->parsed)
		return s;
	render_compose(w, req, res, 422, ss, d);
	newsroom_draft_free(d);
	return NULL;
}

/* ---- preview and test ---- */

/*
 * audience_context - the lists the alert goes to, each with the readers it
 * alone reaches, and the exact number it reaches in all (each person once)
 */
static void
audience_context(struct store *s, const struct news_article *art, json_t *ctx)
{
	char list[NEWS_TOPIC_MAX + 1];
	json_t *lists = json_array();
	int64_t n = 0, total = 0;
	size_t i;

	if (art->breaking && newsroom_breaking_readers(s, &n) == NF_OK)
		json_array_append_new(lists, json_pack("{s:s,s:o}", "name", STORE_LIST_DEFAULT,
						       "readers", readers_label(n)));
	for (i = 0; i < art->ntopics; i++)
		if (news_topic_readers(s, art->topics[i], list, &n) == NF_OK &&
		    strcmp(list, STORE_LIST_DEFAULT) != 0)
			json_array_append_new(lists, json_pack("{s:s,s:o}", "name", list,
							       "readers", readers_label(n)));
	news_audience_count(s, art, &total);
	json_object_set_new(ctx, "lists", lists);
	json_object_set_new(ctx, "any_lists", json_boolean(json_array_size(lists) > 0));
	json_object_set_new(ctx, "several_lists", json_boolean(json_array_size(lists) > 1));
	json_object_set_new(ctx, "readers", readers_label(total));
	json_object_set_new(ctx, "nobody", json_boolean(total == 0));
}

static void
render_preview(struct web *w, struct http_request *req, struct http_response *res, int status,
	       const struct newsroom_session *ss, const struct newsroom_draft *d, const struct newsroom_preview *p,
	       const char *notice, const char *problem)
{
	const struct mail_sender *snd = w->cfg.sender;
	struct store *s = http_store(w);
	json_t *ctx = json_object();
	char size[48];

	newsroom_draft_context(d, ctx);
	headline_context(d, ctx);
	if (s)
		audience_context(s, &d->art, ctx);
	json_object_set_new(ctx, "test_to", json_string(d->test_to ? d->test_to : ss->email));
	snprintf(size, sizeof(size), "%.1f KB", (double)p->size / 1024.0);
	json_object_set_new(ctx, "preview_html", json_stringn(p->html.data, p->html.len));
	json_object_set_new(ctx, "preview_text", json_stringn(p->text.data, p->text.len));
	json_object_set_new(ctx, "subject", json_string(p->subject));
	json_object_set_new(ctx, "from_name", json_string(snd && snd->from_name ? snd->from_name : ""));
	json_object_set_new(ctx, "from_addr", json_string(snd && snd->from_addr ? snd->from_addr : ""));
	json_object_set_new(ctx, "size", json_string(size));
	json_object_set_new(ctx, "dkim", json_boolean(p->signed_dkim));
	json_object_set_new(ctx, "can_test", json_boolean(w->cfg.engine != NULL));
	json_object_set_new(ctx, "test_tag", json_string(NEWSROOM_TEST_TAG));
	if (notice)
		json_object_set_new(ctx, "notice", json_string(notice));
	if (problem)
		json_object_set_new(ctx, "problem", json_string(problem));
	newsroom_render(w, req, res, status, NEWSROOM_PAGE_PREVIEW, ctx, ss, "nav_compose");
	json_decref(ctx);
}

/* the email for the draft, addressed to the editor (or a stand-in reader) */
static int
make_preview(struct web *w, const struct newsroom_session *ss, const struct newsroom_draft *d,
	     struct newsroom_preview *p)
{
	const char *to = ss->email[0] ? ss->email : "reader@example.com";
	int rc;

	newsroom_preview_init(p);
	if (w->cfg.sender == NULL)
		return NF_ERR;
	rc = newsroom_preview_make(w->cfg.sender, &d->art, to, 0, p);
	if (rc != NF_OK)
		log_event(LOG_ERROR, "newsroom.preview_failed", "reason", nf_strstatus(rc), NULL);
	return rc;
}

void
newsroom_compose_preview(struct web *w, struct http_request *req, struct http_response *res, const char *arg)
{
	struct newsroom_session ss;
	struct newsroom_preview p;
	struct newsroom_draft d;
	struct http_form form;

	NF_UNUSED(arg);
	if (!valid_draft(w, req, res, &ss, &d, &form))
		return;
	if (make_preview(w, &ss, &d, &p) == NF_OK)
		render_preview(w, req, res, 200, &ss, &d, &p, NULL, NULL);
	else
		newsroom_message(w, req, res, 500, &ss, "The email could not be composed. Please check the templates");
	newsroom_preview_free(&p);
	newsroom_draft_free(&d);
}

#define UNSENDABLE "Mail cannot be sent from here right now. Please try again in a minute"

int
newsroom_desk_parse(const char *v, size_t len, struct newsroom_desk *out, char *why, size_t whylen)
{
	struct addr_result ar;
	size_t i = 0, start, k;

	out->n = 0;
	while (i < len) {
		while (i < len && (v[i] == ',' || v[i] == ';' || v[i] == ' ' || v[i] == '\t' ||
				   v[i] == '\n' || v[i] == '\r'))
			i++;
		for (start = i; i < len && v[i] != ',' && v[i] != ';' && v[i] != ' ' && v[i] != '\t' &&
		     v[i] != '\n' && v[i] != '\r'; i++)
			;
		if (i == start)
			break;
		if (out->n == NEWSROOM_DESK_MAX) {
			snprintf(why, whylen, "A test goes to at most %d desk addresses", NEWSROOM_DESK_MAX);
			return NF_ERR_LIMIT;
		}
		addr_check(v + start, i - start, 0, &ar);
		if (!ar.valid) {
			snprintf(why, whylen, "\"%.*s\" is not an email address: %s",
				 (int)(i - start > 80 ? 80 : i - start), v + start, ar.message);
			return NF_ERR_INVALID;
		}
		for (k = 0; k < out->n && strcmp(out->addr[k], ar.normalized) != 0; k++)
			;
		if (k == out->n)	/* the same desk twice gets one test */
			snprintf(out->addr[out->n++], sizeof(out->addr[0]), "%s", ar.normalized);
	}
	if (out->n == 0) {
		snprintf(why, whylen, "Please give at least one desk address for the test");
		return NF_ERR_INVALID;
	}
	return NF_OK;
}

/*
 * send_tests - the draft, its subject marked [TEST], composed for each desk
 * address and queued on the priority lane: NULL, or what stopped it (*status
 * says how; *sent how many went before it stopped)
 */
static const char *
send_tests(struct web *w, const struct newsroom_session *ss, const struct newsroom_draft *d,
	   const struct newsroom_desk *desk, size_t *sent, int *status)
{
	struct newsroom_preview t;
	size_t i, len;
	char *msg;

	*sent = 0;
	for (i = 0; i < desk->n; i++) {
		*status = 503;
		if (w->cfg.engine == NULL || !deliver_priority_room(w->cfg.engine))
			return UNSENDABLE;
		newsroom_preview_init(&t);
		if (newsroom_preview_make(w->cfg.sender, &d->art, desk->addr[i], 1, &t) != NF_OK) {
			newsroom_preview_free(&t);
			*status = 500;
			return "The email could not be composed. Please check the templates";
		}
		msg = buf_steal(&t.message, &len);
		newsroom_preview_free(&t);
		if (deliver_priority(w->cfg.engine, desk->addr[i], msg, len, 0) != NF_OK)
			return UNSENDABLE;	/* the lane filled meanwhile; it freed msg */
		(*sent)++;
	}
	*status = 200;
	log_event(LOG_INFO, "newsroom.test_sent", "editor", ss->name, NULL);
	return NULL;
}

void
newsroom_compose_test(struct web *w, struct http_request *req, struct http_response *res, const char *arg)
{
	struct newsroom_session ss;
	struct newsroom_preview p;
	struct newsroom_draft d;
	struct newsroom_desk desk;
	struct http_form form;
	char notice[NEWSROOM_DESK_MAX * (ADDR_MAX + 2) + 128], why[256];
	const char *problem = NULL, *to;
	size_t len = 0, sent = 0, i;
	int status = 422;

	NF_UNUSED(arg);
	if (!valid_draft(w, req, res, &ss, &d, &form))
		return;
	to = http_form_get(&form, "test_to", &len);
	d.test_to = arena_strndup(req->arena, to ? to : "", to ? len : 0);
	if (make_preview(w, &ss, &d, &p) != NF_OK) {
		newsroom_message(w, req, res, 500, &ss, "The email could not be composed. Please check the templates");
		goto out;
	}
	if (w->cfg.engine == NULL) {
		problem = UNSENDABLE;
		status = 503;
	} else if (newsroom_desk_parse(to ? to : "", len, &desk, why, sizeof(why)) != NF_OK) {
		problem = why;
	} else {
		problem = send_tests(w, &ss, &d, &desk, &sent, &status);
	}
	snprintf(notice, sizeof(notice), "A test, its subject starting %s, was sent to ", NEWSROOM_TEST_TAG);
	for (i = 0; i < sent; i++)
		snprintf(notice + strlen(notice), sizeof(notice) - strlen(notice), "%s%s", i ? ", " : "",
			 desk.addr[i]);
	snprintf(notice + strlen(notice), sizeof(notice) - strlen(notice), ". It should arrive within a minute");
	render_preview(w, req, res, status, &ss, &d, &p, sent && !problem ? notice : NULL, problem);
out:
	newsroom_preview_free(&p);
	newsroom_draft_free(&d);
}

/* ---- publishing ---- */

struct newsroom_publish_memo {
	pthread_mutex_t lock;
	struct {
		char token[32];
		int64_t alert_id;	/* 0 while its publication is under way */
	} slot[MEMO_SLOTS];
	size_t next;
};

struct newsroom_publish_memo *
newsroom_publish_memo_new(void)
{
	struct newsroom_publish_memo *m = xcalloc(1, sizeof(*m));

	pthread_mutex_init(&m->lock, NULL);
	return m;
}

void
newsroom_publish_memo_free(struct newsroom_publish_memo *m)
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
memo_claim(struct newsroom_publish_memo *m, const char *token, int64_t *alert_id)
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

/* the alert token made; alert_id 0 forgets the token (nothing was published: try again) */
static void
memo_done(struct newsroom_publish_memo *m, const char *token, int64_t alert_id)
{
	size_t i;

	pthread_mutex_lock(&m->lock);
	for (i = 0; i < MEMO_SLOTS; i++)
		if (strcmp(m->slot[i].token, token) == 0) {
			m->slot[i].alert_id = alert_id;
			if (alert_id == 0)
				m->slot[i].token[0] = '\0';
		}
	pthread_mutex_unlock(&m->lock);
}

static void
confirm_page(struct web *w, struct http_request *req, struct http_response *res,
	     const struct newsroom_session *ss, const struct newsroom_draft *d)
{
	unsigned char raw[TOKEN_BYTES];
	json_t *ctx = json_object();
	struct store *s = http_store(w);
	int64_t n = 0;
	char count[32];
	struct buf token;

	if (random_bytes(raw, sizeof(raw)) != NF_OK)
		log_panic("getrandom failed");
	buf_init(&token, 0);
	base64url_encode(&token, raw, sizeof(raw));
	if (s) {
		news_audience_count(s, &d->art, &n);	/* breaking-news and its topics' followers, once each */
		audience_context(s, &d->art, ctx);
	}
	newsroom_count_label(n, count);
	newsroom_draft_context(d, ctx);
	json_object_set_new(ctx, "publish_token", json_string(token.data));
	json_object_set_new(ctx, "recipients", json_string(count));
	json_object_set_new(ctx, "headline", json_string(d->art.headline));
	newsroom_render(w, req, res, 200, NEWSROOM_PAGE_PUBLISH, ctx, ss, "nav_compose");
	json_decref(ctx);
	buf_free(&token);
}

static void
publish_now(struct web *w, struct http_request *req, struct http_response *res,
	    const struct newsroom_session *ss, const struct newsroom_draft *d, const char *token)
{
	struct store *s = http_store(w);
	int64_t article_id = 0, alert_id = 0;
	char where[64];

	if (!memo_claim(w->nr->published, token, &alert_id)) {
		if (alert_id == 0) {
			newsroom_message(w, req, res, 409, ss, "This story is being published already");
			return;
		}
		snprintf(where, sizeof(where), "/newsroom/alerts/%lld", (long long)alert_id);
		http_reply_redirect(req, res, where);
		return;
	}
	if (s == NULL || news_publish(s, &d->art, w->cfg.alert_shards, &article_id, &alert_id) != NF_OK) {
		log_event(LOG_ERROR, "newsroom.publish_failed", "reason", s ? store_errmsg(s) : "no store", NULL);
		newsroom_message(w, req, res, 503, ss, "The story could not be published. Nothing was sent. Please try again");
		memo_done(w->nr->published, token, 0);
		return;
	}
	memo_done(w->nr->published, token, alert_id);
	if (w->cfg.engine)
		deliver_wake(w->cfg.engine);
	snprintf(where, sizeof(where), "%lld", (long long)alert_id);
	log_event(LOG_INFO, "newsroom.published", "editor", ss->name, "alert", where, NULL);
	snprintf(where, sizeof(where), "/newsroom/alerts/%lld", (long long)alert_id);
	http_reply_redirect(req, res, where);
}

void
newsroom_compose_publish(struct web *w, struct http_request *req, struct http_response *res, const char *arg)
{
	struct newsroom_session ss;
	struct http_form form;
	struct newsroom_draft d;
	const char *confirm, *token;
	size_t token_len = 0;

	NF_UNUSED(arg);
	if (!valid_draft(w, req, res, &ss, &d, &form))
		return;
	confirm = http_form_get(&form, "confirm", NULL);
	token = http_form_get(&form, "publish_token", &token_len);
	if (confirm && strcmp(confirm, "yes") == 0 && token && token_len >= 16 && token_len < 32 &&
	    strlen(token) == token_len)
		publish_now(w, req, res, &ss, &d, token);
	else
		confirm_page(w, req, res, &ss, &d);
	newsroom_draft_free(&d);
}
