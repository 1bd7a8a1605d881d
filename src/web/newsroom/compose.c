/*
 * web/newsroom/compose.c - write a breaking story, preview it, test it, publish it
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

#include "deliver/deliver.h"
#include "mail/mail.h"
#include "news/news.h"
#include "store/store.h"
#include "newsroom.h"

#define MEMO_SLOTS 256
#define TOKEN_BYTES 18

/* the topics an editor can name: every list but breaking-news, with its confirmed readers */
static json_t *
known_topics(struct web *w)
{
	struct store *s = http_store(w);
	struct store_list **ls = NULL;
	json_t *arr = json_array();
	size_t i, n = 0;

	if (s == NULL || store_lists_all(s, &ls, &n) != NF_OK)
		return arr;	/* the page still works; the hint just lists nothing */
	for (i = 0; i < n; i++) {
		json_t *o;

		if (strcmp(ls[i]->name, STORE_LIST_DEFAULT) == 0)
			continue;
		o = json_object();
		json_object_set_new(o, "name", json_string(ls[i]->name));
		json_object_set_new(o, "confirmed", json_integer(ls[i]->confirmed));
		json_array_append_new(arr, o);
	}
	store_list_list_free(ls, n);
	return arr;
}

static void
render_compose(struct web *w, struct http_request *req, struct http_response *res, int status,
	       const struct newsroom_session *ss, const struct newsroom_draft *d)
{
	json_t *ctx = json_object();

	if (d)
		newsroom_draft_context(d, ctx);
	json_object_set_new(ctx, "topics", known_topics(w));
	json_object_set_new(ctx, "has_topics", json_boolean(json_array_size(json_object_get(ctx, "topics")) > 0));
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

/* the signed-in post's draft; 0 with the form shown again (422) when it is not valid */
static int
valid_draft(struct web *w, struct http_request *req, struct http_response *res,
	    struct newsroom_session *ss, struct newsroom_draft *d)
{
	struct http_form form;

	memset(d, 0, sizeof(*d));
	if (!newsroom_guard_post(w, req, res, ss, &form))
		return 0;
	if (newsroom_draft_parse(d, req->arena, &form))
		return 1;
	render_compose(w, req, res, 422, ss, d);
	newsroom_draft_free(d);
	return 0;
}

/* ---- preview and test ---- */

static void
render_preview(struct web *w, struct http_request *req, struct http_response *res, int status,
	       const struct newsroom_session *ss, const struct newsroom_draft *d, const struct newsroom_preview *p,
	       const char *notice, const char *problem)
{
	const struct mail_sender *snd = w->cfg.sender;
	json_t *ctx = json_object();
	char size[48];

	newsroom_draft_context(d, ctx);
	snprintf(size, sizeof(size), "%.1f KB", (double)p->size / 1024.0);
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
	rc = newsroom_preview_make(w->cfg.sender, &d->art, to, p);
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

	NF_UNUSED(arg);
	if (!valid_draft(w, req, res, &ss, &d))
		return;
	if (make_preview(w, &ss, &d, &p) == NF_OK)
		render_preview(w, req, res, 200, &ss, &d, &p, NULL, NULL);
	else
		newsroom_message(w, req, res, 500, &ss, "The email could not be composed. Please check the templates");
	newsroom_preview_free(&p);
	newsroom_draft_free(&d);
}

#define UNSENDABLE "Mail cannot be sent from here right now. Please try again in a minute"

/* queue the composed email to the editor: NULL, or what stopped it (*status says how) */
static const char *
send_test(struct web *w, const struct newsroom_session *ss, struct newsroom_preview *p, int *status)
{
	size_t len;
	char *msg;

	*status = 409;
	if (!ss->email[0])
		return "Your account has no email address to send a test to";
	*status = 503;
	if (w->cfg.engine == NULL || !deliver_priority_room(w->cfg.engine))
		return UNSENDABLE;
	msg = buf_steal(&p->message, &len);
	if (deliver_priority(w->cfg.engine, ss->email, msg, len, 0) != NF_OK)
		return UNSENDABLE;	/* the lane filled meanwhile; it freed msg */
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
	char notice[400];
	const char *problem;
	int status;

	NF_UNUSED(arg);
	if (!valid_draft(w, req, res, &ss, &d))
		return;
	if (make_preview(w, &ss, &d, &p) != NF_OK) {
		newsroom_message(w, req, res, 500, &ss, "The email could not be composed. Please check the templates");
	} else {
		problem = send_test(w, &ss, &p, &status);
		snprintf(notice, sizeof(notice), "A test was sent to %s. It should arrive within a minute", ss.email);
		render_preview(w, req, res, status, &ss, &d, &p, problem ? NULL : notice, problem);
	}
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
	if (s)
		news_audience_count(s, &d->art, &n);	/* breaking-news and its topics' followers, once each */
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
	memset(&d, 0, sizeof(d));
	if (!newsroom_guard_post(w, req, res, &ss, &form))
		return;
	if (!newsroom_draft_parse(&d, req->arena, &form)) {
		render_compose(w, req, res, 422, &ss, &d);
		newsroom_draft_free(&d);
		return;
	}
	confirm = http_form_get(&form, "confirm", NULL);
	token = http_form_get(&form, "publish_token", &token_len);
	if (confirm && strcmp(confirm, "yes") == 0 && token && token_len >= 16 && token_len < 32 &&
	    strlen(token) == token_len)
		publish_now(w, req, res, &ss, &d, token);
	else
		confirm_page(w, req, res, &ss, &d);
	newsroom_draft_free(&d);
}
