/*
 * web/http/http.h - the web front's HTTP plumbing: the bottom wing
 *
 * Owns: struct http_request (what a handler reads) and struct http_response
 * (what it fills), struct web (the server's state every wing reads: the
 * configuration, the daemon, the error page, each wing's own state behind
 * an opaque pointer), the reply helpers every handler uses, the small
 * parsers for outside input (form bodies, cookies), CSRF tokens and the
 * Origin check, rate limits and sign-in throttles, the page templates'
 * loading and rendering, and the per-thread store connection.
 *
 * The layering of src/web: http is the bottom and includes no other wing;
 * public/, api/ and newsroom/ include http.h (never each other); app.c,
 * routes.c and prometheus.c on top include them all. Only files in src/web
 * (and their tests) include this; the rest of the program sees web/web.h.
 */
#ifndef NEWSFLASH_WEB_HTTP_H
#define NEWSFLASH_WEB_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <pthread.h>

#include <jansson.h>

#include "core/core.h"
#include "web/web.h"

#define HTTP_FORM_MAX (16 * 1024)	/* a signup form is a few hundred bytes */
#define HTTP_API_MAX (1024 * 1024)	/* an article with a long body */
#define HTTP_NEWSROOM_MAX (512 * 1024)	/* the compose form carries a story */
#define HTTP_FIELDS_MAX 64
#define HTTP_HEADERS_MAX 8
#define HTTP_IP_MAX 64		/* an address as text, or a /64 key */

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
struct store;
struct tmpl;
struct MHD_Daemon;
/* fills the answer of a request that was suspended (http_suspend), once resumed */
typedef void (*http_finish_fn)(struct web *w, struct http_request *req, struct http_response *res);
/* answers one complete request (the route table, on top) */
typedef void (*http_dispatch_fn)(struct web *w, struct http_request *req, struct http_response *res);
/* the path as the access log may show it (secret arguments cut out) */
#define HTTP_LOG_PATH_MAX 256
typedef void (*http_log_path_fn)(const char *path, char *out, size_t len);

struct http_request {
	const char *method;
	const char *path;		/* without the query string */
	const char *query;		/* after '?', or "" */
	struct buf body;
	char ip[HTTP_IP_MAX];		/* client address (X-Forwarded-For when trusted) */
	char client_key[HTTP_IP_MAX];	/* what limits count it under: ip, or its /64 */
	const char *user_agent;		/* "" when absent */
	const char *content_type;	/* "" when absent */
	const char *origin;		/* NULL when absent */
	const char *cookie;		/* the raw Cookie header, NULL when absent */
	const char *authorization;	/* NULL when absent */
	int https;			/* base URL is https: cookies get Secure */
	int metrics_listener;		/* came in on --metrics-listen */
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
	void *stream;			/* a struct MHD_Response streaming the body (newsroom/sse.c), or NULL */
};

/*
 * struct web - the running web front. The fields here are the plumbing's;
 * each wing keeps its own state in a struct it defines (public/public.h,
 * newsroom/newsroom.h), made and freed by app.c.
 */
struct public_state;
struct newsroom_state;
struct web {
	struct web_config cfg;
	char origin[256];		/* scheme://host[:port] of base_url */
	struct MHD_Daemon *daemon;
	struct MHD_Daemon *metrics_daemon;	/* --metrics-listen, or NULL */
	http_dispatch_fn dispatch;	/* given to http_listen */
	http_log_path_fn log_path;
	struct tmpl *error_page;	/* templates.c */
	struct http_connlimit *conns;	/* client_addr.c: open connections per client key */
	pthread_mutex_t defer_lock;	/* server.c: requests suspended, not yet ended */
	pthread_cond_t defer_cond;
	int deferred;
	struct public_state *pub;	/* the reader pages' */
	struct newsroom_state *nr;	/* the newsroom's */
};

/* ---- server.c: the daemon and the request lifecycle ---- */
/* the plumbing's part of w from cfg (origin, locks); http_free undoes it */
void http_init(struct web *w, const struct web_config *cfg);
void http_free(struct web *w);
/* start the daemon: each request goes to dispatch, each access log line through log_path */
int http_listen(struct web *w, http_dispatch_fn dispatch, http_log_path_fn log_path);
/* stop accepting new connections; 0 when the daemon never started */
int http_quiesce(struct web *w);
/* after http_quiesce and once the wings let go of their suspended requests: wait for them, stop */
void http_unlisten(struct web *w);

/* ---- form.c ---- */
int http_form_parse(struct arena *a, const char *body, size_t len, struct http_form *out);
/* the value of name, NULL when absent; *len gets its length */
const char *http_form_get(const struct http_form *f, const char *name, size_t *len);
/* the value of cookie name from a Cookie header, copied into the arena */
const char *http_cookie_get(struct arena *a, const char *header, const char *name);
/* server.c: the header value from the request, NULL when absent */
const char *http_header(const struct http_request *req, const char *name);
/* a query string argument (?name=value), decoded; NULL when absent */
const char *http_query_arg(const struct http_request *req, const char *name);

/* ---- replies.c: what a handler writes ---- */
/* an extra header on the answer (copied into the request's arena) */
void http_reply_header(struct http_request *req, struct http_response *res,
		       const char *name, const char *value);
void http_reply_text(struct http_response *res, int status, const char *text);
/* {"error": message} */
void http_reply_json_error(struct http_response *res, int status, const char *message);
/* body (a reference the call takes) as the compact JSON answer */
void http_reply_json(struct http_response *res, int status, json_t *body);
/* a 303 See Other to location (a path of ours) */
void http_reply_redirect(struct http_request *req, struct http_response *res, const char *location);

/* ---- templates.c: pages from the Mustache templates ---- */
/*
 * http_page_load - compile templates_dir/NAME.mustache (HTML-escaping);
 * NULL and a log line FILE:LINE:COL when it cannot. digest, when not NULL,
 * gets the SHA-256 of the source (the consent wording's hash).
 */
struct tmpl *http_page_load(struct web *w, const char *name, unsigned char digest[32]);
/* the error page, which every wing may answer with */
int http_pages_load(struct web *w);
void http_pages_free(struct web *w);
/* render page with ctx (a JSON object, borrowed; publication added) */
void http_page_render(struct web *w, struct http_response *res, int status,
		      const struct tmpl *page, json_t *ctx);
/* the error page: message NULL gives the generic apology */
void http_page_error(struct web *w, struct http_response *res, int status, const char *message);
/* an error for whoever asked: JSON under /api/, the error page for Accept: text/html, else text */
void http_reply_error(struct web *w, struct http_request *req, struct http_response *res, int status,
		      const char *message);

/* ---- store_conn.c: this thread's store connection, opened on first use; NULL if it cannot ---- */
struct store *http_store(struct web *w);
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

/* ---- client_addr.c: X-Forwarded-For, client keys, connections per client ---- */
int http_forwarded_client(const char *xff, size_t len, int hops, char out[HTTP_IP_MAX]);
void http_client_key(const char *ip, char out[HTTP_IP_MAX]);
struct sockaddr;
struct http_connlimit;
struct http_connlimit *http_connlimit_new(size_t max_connections, unsigned max_per_client);
void http_connlimit_free(struct http_connlimit *c);
int http_connlimit_key(const struct sockaddr *sa, unsigned char key[16]);
int http_connlimit_allowed(struct http_connlimit *c, const unsigned char key[16]);
int http_connlimit_opened(struct http_connlimit *c, const unsigned char key[16]);
void http_connlimit_closed(struct http_connlimit *c, const unsigned char key[16]);

/* ---- ratelimit.c: token buckets keyed by client (an IPv6 address by its /64) ---- */
struct http_ratelimit;
struct http_ratelimit *http_ratelimit_new(double burst, double per_second, size_t max_clients);
/* 1 when the client may go ahead now; rate 0 means no limit */
int http_ratelimit_take(struct http_ratelimit *rl, const char *client, int64_t now_us);
void http_ratelimit_free(struct http_ratelimit *rl);

/*
 * ---- pow.c: the signup proof of work (--signup-pow): signed challenges,
 * SHA-256(challenge || counter) with BITS leading zero bits, each used once ----
 */
#define HTTP_POW_CHALLENGE_MAX 79	/* 78 base64url characters and a NUL */
#define HTTP_POW_COUNTER_MAX 16		/* decimal digits */
#define HTTP_POW_TTL 300		/* a challenge must be solved and sent within this, seconds */
#define HTTP_POW_SEEN_MAX 65536		/* used challenges remembered per TTL window */
enum http_pow_result {
	HTTP_POW_OK,		/* solved, and now used */
	HTTP_POW_MISSING,	/* no challenge or no counter sent */
	HTTP_POW_BAD,		/* not a challenge of ours (shape, MAC, issue time) */
	HTTP_POW_EXPIRED,	/* ours, but too old (or easier than BITS is now) */
	HTTP_POW_WRONG,		/* the counter does not solve it */
	HTTP_POW_REPLAYED,	/* solved, but used before */
	HTTP_POW_FULL		/* too many used in this window to remember another */
};
struct http_pow_solution {
	unsigned char raw[58];
	int bits;
	int64_t issued;
	const char *challenge, *counter;	/* borrowed from the caller */
	size_t challenge_len, counter_len;
};
struct http_pow;
/* bits 1 to WEB_SIGNUP_POW_MAX; max_seen used challenges per ttl window at most */
struct http_pow *http_pow_new(const struct token_key *key, int bits, int64_t ttl, size_t max_seen);
void http_pow_free(struct http_pow *p);
int http_pow_bits(const struct http_pow *p);
void http_pow_challenge(const struct http_pow *p, int64_t now, char out[HTTP_POW_CHALLENGE_MAX]);
/* the shape of a challenge and counter from outside (the MAC unchecked); NF_OK or NF_ERR_INVALID */
int http_pow_parse(const char *challenge, size_t clen, const char *counter, size_t nlen,
		   struct http_pow_solution *out);
int http_pow_zero_bits(const unsigned char digest[32]);
/* check a solution (NULL challenge or counter: HTTP_POW_MISSING); HTTP_POW_OK marks it used */
enum http_pow_result http_pow_verify(struct http_pow *p, const char *challenge, size_t clen,
				     const char *counter, size_t nlen, int64_t now);

/* ---- csrf.c: signed double-submit tokens, the Origin check ---- */
#define HTTP_CSRF_TOKEN_MAX 64
void http_csrf_make(const struct token_key *key, char out[HTTP_CSRF_TOKEN_MAX]);
/* the form's token matches the cookie's and carries our MAC */
int http_csrf_check(const struct token_key *key, const char *form_token, size_t form_len,
		    const char *cookie_token);
/* a token bound to a session's id (binding), for signed-in forms */
void http_csrf_bound_make(const struct token_key *key, const char *binding,
			  char out[HTTP_CSRF_TOKEN_MAX]);
int http_csrf_bound_check(const struct token_key *key, const char *binding, const char *token,
			  size_t len);
/* the browser's valid nf_csrf token, else a fresh one set in the cookie; the form's field gets token */
void http_csrf_cookie(struct web *w, struct http_request *req, struct http_response *res,
		      char token[HTTP_CSRF_TOKEN_MAX]);
/* the Origin header, when present, is ours */
int http_origin_ok(struct web *w, struct http_request *req);
/* a form post carries our Origin (or none) and the cookie's CSRF token (not the RFC 8058 POST) */
int http_form_guard(struct web *w, struct http_request *req, const struct http_form *form);
/* where a request comes from: Origin (else Referer) and Sec-Fetch-Site against ours and --embed-origin */
#define HTTP_ORIGIN_MAX 256
enum http_site {
	HTTP_SITE_OURS,		/* our own origin */
	HTTP_SITE_EMBED,	/* a publisher on the --embed-origin list (*embed names it) */
	HTTP_SITE_UNKNOWN,	/* neither Origin nor Referer: not a browser's cross-site post */
	HTTP_SITE_FOREIGN	/* anywhere else, or headers that disagree */
};
/* scheme://host[:port] of an http(s) URL (a Referer) into out; 0 when it is not one or too long */
int http_origin_of_url(const char *url, char *out, size_t size);
enum http_site http_request_site(struct web *w, const struct http_request *req, const char **embed);
/* Access-Control-Allow-Origin: origin (and Vary: Origin); never with credentials */
void http_cors_allow(struct http_request *req, struct http_response *res, const char *origin);

/* ---- throttle.c: growing delays after failed sign-ins, per key ---- */
struct http_throttle;
/* free_tries tries, then a wait of first seconds doubling up to cap */
struct http_throttle_curve {
	int free_tries;
	int64_t first, cap;
};
/* a table of at most max_keys keys; a key is forgotten forget s after its last failure */
struct http_throttle *http_throttle_new(size_t max_keys, const struct http_throttle_curve *curve,
					int64_t forget);
/* seconds key must still wait (0: it may try now) */
int64_t http_throttle_wait(struct http_throttle *t, const char *key, int64_t now);
void http_throttle_fail(struct http_throttle *t, const char *key, int64_t now);
/* key's failures forgotten (a good sign-in) */
void http_throttle_forget(struct http_throttle *t, const char *key, int64_t now);
/* failures key has made that are not yet forgotten */
int64_t http_throttle_count(struct http_throttle *t, const char *key, int64_t now);
void http_throttle_free(struct http_throttle *t);
/* the wait after n failures: 0 while n < free_tries, then first, 2 first ... cap */
int64_t http_throttle_delay(const struct http_throttle_curve *c, int64_t failures);
/* seconds still to wait after a failure at last (whole seconds) with that delay */
int64_t http_throttle_left(int64_t last, int64_t delay, int64_t now);

#endif
