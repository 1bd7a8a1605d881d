/*
 * web/newsroom/signin.c - GET/POST /newsroom/signin, POST /newsroom/signout
 *
 * Owns: the editors' sign-in. The form carries a double-submit CSRF token
 * (a sign-in forged from another site would sign the victim in as the
 * attacker) and must come from our Origin. The password is checked with
 * Argon2id (core/password.c); a name that is no editor's is checked against a
 * decoy hash, and every failure gets the same words, so neither the answer
 * nor its timing says which names exist.
 *
 * Growing delays: after 3 failures on one name from one client (an IPv6
 * client by its /64) the next try from it must wait a second
 * (--signin-delay), after a 4th two, then four ... up to 15 minutes; after
 * 10 failures from one client on any names, the same. Each name also has a
 * budget over all clients on the same curve: an editor's count is in the
 * database (it survives restarts and is shared by every node), an unknown
 * name's in memory (http/throttle.c), so the two look alike. The budget
 * holds back only clients that have failed recently: a client with no
 * recent failure always has its password checked, so an attacker who
 * spends an editor's budget cannot lock the editor out, and gains one
 * guess per fresh client before the budget holds it too. A try that comes
 * too early is answered 429 with Retry-After at once, without checking the
 * password and without holding the thread. A "busy" answer (every Argon2id
 * check in use) counts as a failure of its client, so a flood from one
 * client cannot keep the checks busy for everyone else. A good sign-in
 * clears the editor's count.
 */
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "newsroom.h"

#define WRONG "The name or password is not right. Please try again"
#define EXPIRED "This page had expired. Please sign in again"

struct signin_view {
	const char *error;
	const char *name;		/* as typed, to fill the field again */
	int64_t wait;			/* seconds before the next try, 0 = none */
};

static void
render(struct web *w, struct http_request *req, struct http_response *res, int status,
       const struct signin_view *v)
{
	char token[HTTP_CSRF_TOKEN_MAX], retry[24];
	json_t *ctx = json_object();

	http_csrf_cookie(w, req, res, token);
	json_object_set_new(ctx, "signin_csrf", json_string(token));
	if (v->error)
		json_object_set_new(ctx, "error", json_string(v->error));
	if (v->name && strlen(v->name) <= STORE_EDITOR_NAME_MAX * 4)
		json_object_set_new(ctx, "name", json_string(v->name));
	if (v->wait > 0) {
		snprintf(retry, sizeof(retry), "%lld", (long long)v->wait);
		http_reply_header(req, res, "Retry-After", retry);
		json_object_set_new(ctx, "wait", json_integer((json_int_t)v->wait));
	}
	newsroom_render(w, req, res, status, NEWSROOM_PAGE_SIGNIN, ctx, NULL, NULL);
	json_decref(ctx);
}

void
newsroom_signin_page(struct web *w, struct http_request *req, struct http_response *res, const char *arg)
{
	struct newsroom_session ss;
	struct signin_view v = { NULL, NULL, 0 };

	NF_UNUSED(arg);
	if (newsroom_session_find(w, req, &ss)) {
		http_reply_redirect(req, res, "/newsroom");
		return;
	}
	render(w, req, res, 200, &v);
}

/* the name folded to lower case ASCII; "" when it cannot be an editor's */
static void
fold_name(const char *in, size_t len, char out[STORE_EDITOR_NAME_MAX + 1])
{
	size_t i;

	out[0] = '\0';
	if (in == NULL || len == 0 || len > STORE_EDITOR_NAME_MAX)
		return;
	for (i = 0; i < len; i++)
		out[i] = (in[i] >= 'A' && in[i] <= 'Z') ? (char)(in[i] - 'A' + 'a') : in[i];
	out[len] = '\0';
	if (!store_editor_name_ok(out))
		out[0] = '\0';
}

/*
 * Seconds this try must still wait: the client's own (failures from its
 * address, and on this name from its address), and the account's budget,
 * which a client with no recent failures is not held to: an attacker who
 * spends an editor's budget from elsewhere cannot keep the editor out.
 */
static int64_t
wait_for(struct web *w, struct http_request *req, const struct store_editor *ed,
	 const char *name_key, const char *pair_key, int64_t now)
{
	int64_t wait = http_throttle_wait(w->nr->signin_ip, req->client_key, now), t;

	if ((t = http_throttle_wait(w->nr->signin_pair, pair_key, now)) > wait)
		wait = t;
	if (http_throttle_count(w->nr->signin_ip, req->client_key, now) == 0)
		return wait;		/* a fresh client: the password is heard */
	if (ed)
		t = http_throttle_left(ed->last_failed_at, http_throttle_delay(&w->nr->name_curve, ed->failed_signins), now);
	else
		t = http_throttle_wait(w->nr->signin_name, name_key, now);
	return t > wait ? t : wait;
}

/* count the failure everywhere it counts; the wait it earns the next try */
static int64_t
record_failure(struct web *w, struct store *s, struct http_request *req,
	       const struct store_editor *ed, const char *name_key, const char *pair_key, int64_t now)
{
	int64_t failures = 0, name_wait, wait;

	http_throttle_fail(w->nr->signin_ip, req->client_key, now);
	http_throttle_fail(w->nr->signin_pair, pair_key, now);
	if (ed && store_editor_signin_failed(s, ed->id, now, &failures) == NF_OK) {
		name_wait = http_throttle_left(now, http_throttle_delay(&w->nr->name_curve, failures), now);
	} else {
		http_throttle_fail(w->nr->signin_name, name_key, now);
		name_wait = http_throttle_wait(w->nr->signin_name, name_key, now);
	}
	wait = http_throttle_wait(w->nr->signin_ip, req->client_key, now);
	if ((failures = http_throttle_wait(w->nr->signin_pair, pair_key, now)) > wait)
		wait = failures;
	log_event(LOG_WARN, "newsroom.signin_failed", "ip", req->ip, NULL);
	return name_wait > wait ? name_wait : wait;
}

/* the editor is signed in: a session, and the failures forgotten */
static void
signed_in(struct web *w, struct http_request *req, struct http_response *res, struct store *s,
	  const struct store_editor *ed, struct signin_view *v, int64_t now)
{
	if (store_editor_signin_ok(s, ed->id, now) == NF_OK && newsroom_session_begin(w, req, res, ed->id) == NF_OK) {
		log_event(LOG_INFO, "newsroom.signin", "editor", ed->name, "ip", req->ip, NULL);
		http_reply_redirect(req, res, "/newsroom");
	} else {
		v->error = "Something went wrong. Please try again later";
		render(w, req, res, 503, v);
	}
}

static void
signin_with(struct web *w, struct http_request *req, struct http_response *res,
	    struct store *s, const char *typed, size_t typed_len, const char *pw, size_t pw_len)
{
	struct signin_view v = { NULL, typed, 0 };
	struct store_editor *ed = NULL;
	char name[STORE_EDITOR_NAME_MAX + 1], key[STORE_EDITOR_NAME_MAX + 8];
	char pair[STORE_EDITOR_NAME_MAX + HTTP_IP_MAX + PASSWORD_HASH_MAX + 8];
	int64_t now = time(NULL);
	int ok = 0;

	fold_name(typed, typed_len, name);
	snprintf(key, sizeof(key), "name:%s", name[0] ? name : "?");
	if (name[0] && store_editor_get(s, name, &ed) != NF_OK)
		ed = NULL;
	/* a new password (editor passwd) starts every client's count on it again */
	snprintf(pair, sizeof(pair), "%s@%s#%s", key, req->client_key,
		 ed && ed->password_hash ? ed->password_hash : "");
	if ((v.wait = wait_for(w, req, ed, key, pair, now)) > 0) {
		v.error = "Too many failed sign-ins. Please wait before trying again";
		render(w, req, res, 429, &v);
	} else if ((ok = password_check(ed ? ed->password_hash : NULL, pw ? pw : "", pw ? pw_len : 0)) ==
		   PASSWORD_BUSY) {
		/* counted against the client: a flood of tries that keeps every
		 * check busy soon waits at the door instead of holding them */
		http_throttle_fail(w->nr->signin_ip, req->client_key, now);
		v.wait = 1;
		v.error = "The newsroom is busy. Please try again in a moment";
		render(w, req, res, 429, &v);
	} else if (ok && ed) {
		http_throttle_forget(w->nr->signin_pair, pair, now);
		signed_in(w, req, res, s, ed, &v, now);
	} else {
		v.wait = record_failure(w, s, req, ed, key, pair, now);
		v.error = WRONG;
		render(w, req, res, 401, &v);
	}
	store_editor_free(ed);
}

void
newsroom_signin_post(struct web *w, struct http_request *req, struct http_response *res, const char *arg)
{
	struct signin_view v = { EXPIRED, NULL, 0 };
	struct http_form form;
	const char *name, *pw;
	size_t name_len = 0, pw_len = 0;
	struct store *s;

	NF_UNUSED(arg);
	if (http_form_parse(req->arena, req->body.data ? req->body.data : "", req->body.len, &form) != NF_OK) {
		v.error = "The form could not be read. Please try again";
		render(w, req, res, 400, &v);
		return;
	}
	name = http_form_get(&form, "name", &name_len);
	pw = http_form_get(&form, "password", &pw_len);
	if (!http_form_guard(w, req, &form)) {
		render(w, req, res, 403, &v);
		return;
	}
	if ((s = http_store(w)) == NULL) {
		v.error = "Something went wrong. Please try again later";
		render(w, req, res, 503, &v);
		return;
	}
	signin_with(w, req, res, s, name, name ? name_len : 0, pw, pw_len);
}

void
newsroom_signout_post(struct web *w, struct http_request *req, struct http_response *res, const char *arg)
{
	struct newsroom_session ss;
	struct http_form form;

	NF_UNUSED(arg);
	if (!newsroom_guard_post(w, req, res, &ss, &form))
		return;
	newsroom_session_end(w, req, res, &ss);
	log_event(LOG_INFO, "newsroom.signout", "editor", ss.name, NULL);
	http_reply_redirect(req, res, "/newsroom/signin");
}
