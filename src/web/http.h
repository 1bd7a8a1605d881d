/*
 * web/http.h - the web module's private view of a request and its answer
 *
 * Owns: struct http_request (what a handler reads) and struct http_response
 * (what it fills), plus the small parsers for outside input: form bodies,
 * cookies, the client address, rate limits and CSRF tokens. Only files in
 * src/web include this; the rest of the program sees web/web.h.
 */
#ifndef NEWSFLASH_WEB_HTTP_H
#define NEWSFLASH_WEB_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <pthread.h>

#include "core/core.h"

#define HTTP_FORM_MAX (16 * 1024)	/* a signup form is a few hundred bytes */
#define HTTP_API_MAX (1024 * 1024)	/* an article with a long body */
#define HTTP_NEWSROOM_MAX (512 * 1024)	/* the compose form carries a story */
#define HTTP_FIELDS_MAX 64
#define HTTP_HEADERS_MAX 8

struct http_field {
	const char *name;
	const char *value;
	size_t value_len;	/* values may hold NUL bytes after %00 */
};

struct http_form {
	struct http_field fields[HTTP_FIELDS_MAX];
	int count;
};

struct web;
struct http_request;
struct http_response;
/* fills the answer of a request that was suspended (http_suspend), once resumed */
typedef void (*http_finish_fn)(struct web *w, struct http_request *req, struct http_response *res);

struct http_request {
	const char *method;
	const char *path;		/* without the query string */
	const char *query;		/* after '?', or "" */
	struct buf body;
	int body_too_large;
	char ip[64];			/* client address (X-Forwarded-For when trusted) */
	const char *user_agent;		/* "" when absent */
	const char *content_type;	/* "" when absent */
	const char *origin;		/* NULL when absent */
	const char *cookie;		/* the raw Cookie header, NULL when absent */
	const char *authorization;	/* NULL when absent */
	int https;			/* base URL is https: cookies get Secure */
	struct arena *arena;		/* freed when the request ends */
	void *conn;			/* struct MHD_Connection, for header lookups */
	http_finish_fn finish;		/* set by http_suspend: the answer comes later */
	void *finish_arg;
};

struct http_response {
	int status;
	const char *content_type;
	struct buf body;
	char *headers[HTTP_HEADERS_MAX][2];	/* extra headers, arena strings */
	int nheaders;
	void *stream;			/* a struct MHD_Response streaming the body (sse.c), or NULL */
};

/* form.c */
int http_form_parse(struct arena *a, const char *body, size_t len, struct http_form *out);
/* the value of name, NULL when absent; *len gets its length */
const char *http_form_get(const struct http_form *f, const char *name, size_t *len);
/* the value of cookie name from a Cookie header, copied into the arena */
const char *http_cookie_get(struct arena *a, const char *header, const char *name);
/* the header value from the request, NULL when absent */
const char *http_header(const struct http_request *req, const char *name);
/* a query string argument (?name=value), decoded; NULL when absent */
const char *http_query_arg(const struct http_request *req, const char *name);

/* signup.c: the JSON signup body, {"email": string, "marketing": true|false} */
struct signup_json {
	const char *email;	/* in the arena; may hold NUL bytes (\u0000) */
	size_t email_len;
	int marketing;
};
int signup_json_parse(struct arena *a, const char *body, size_t len, struct signup_json *out);

/* response helpers (server.c) */
void http_response_header(struct http_request *req, struct http_response *res,
			  const char *name, const char *value);
void http_text(struct http_response *res, int status, const char *text);
void http_json_error(struct http_response *res, int status, const char *message);
/* a 303 See Other to location (a path of ours) */
void http_redirect(struct http_request *req, struct http_response *res, const char *location);
/*
 * http_suspend - answer later, without holding the HTTP thread: the handler
 * returns with nothing written, the connection waits (MHD stops polling
 * it), and once another thread calls http_resume, finish(w, req, res) runs
 * on an HTTP thread and its answer is sent. The request (and its arena)
 * lives until then. Call it from the handler only, before handing req to
 * the thread that will resume it.
 */
void http_suspend(struct web *w, struct http_request *req, http_finish_fn finish, void *arg);
void http_resume(struct http_request *req);

/* ratelimit.c: token buckets keyed by client address */
struct ratelimit;
struct ratelimit *ratelimit_new(double burst, double per_second, size_t max_clients);
/* 1 when the client may go ahead now; rate 0 means no limit */
int ratelimit_take(struct ratelimit *rl, const char *client, int64_t now_us);
void ratelimit_free(struct ratelimit *rl);

/* csrf.c: signed double-submit tokens */
#define CSRF_TOKEN_MAX 64
void csrf_make(const struct token_key *key, char out[CSRF_TOKEN_MAX]);
/* the form's token matches the cookie's and carries our MAC */
int csrf_check(const struct token_key *key, const char *form_token, size_t form_len,
	       const char *cookie_token);
/* a token bound to a session's id (binding), for signed-in forms */
void csrf_bound_make(const struct token_key *key, const char *binding, char out[CSRF_TOKEN_MAX]);
int csrf_bound_check(const struct token_key *key, const char *binding, const char *token,
		     size_t len);

/* throttle.c: growing delays after failed sign-ins, per key */
struct throttle;
/* free_tries tries, then a wait of first seconds doubling up to cap */
struct throttle_curve {
	int free_tries;
	int64_t first, cap;
};
/* a table of at most max_keys keys; a key is forgotten forget s after its last failure */
struct throttle *throttle_new(size_t max_keys, const struct throttle_curve *curve, int64_t forget);
/* seconds key must still wait (0: it may try now) */
int64_t throttle_wait(struct throttle *t, const char *key, int64_t now);
void throttle_fail(struct throttle *t, const char *key, int64_t now);
void throttle_free(struct throttle *t);
/* the wait after n failures: 0 while n < free_tries, then first, 2 first ... cap */
int64_t throttle_delay(const struct throttle_curve *c, int64_t failures);
/* seconds still to wait after a failure at last (whole seconds) with that delay */
int64_t throttle_left(int64_t last, int64_t delay, int64_t now);

#endif
