/*
 * web/public/public.h - the reader pages: the public wing's own view
 *
 * Owns: what the files of src/web/public share: their state (struct
 * public_state: the signup rate limit, the page templates, the consent
 * wording's hashes, the signup writer, the purge timer) and their route
 * handlers, which routes.c lists. Includes the http wing only; the api and
 * newsroom wings never include this (app.c, routes.c and prometheus.c do).
 */
#ifndef NEWSFLASH_WEB_PUBLIC_H
#define NEWSFLASH_WEB_PUBLIC_H

#include <jansson.h>

#include "store/store.h"
#include "web/http/http.h"

/* pages.c: the reader pages' templates */
enum public_page {
	PUBLIC_PAGE_SIGNUP, PUBLIC_PAGE_THANKS, PUBLIC_PAGE_CONFIRM, PUBLIC_PAGE_CONFIRMED,
	PUBLIC_PAGE_PRIVACY, PUBLIC_PAGE_UNSUBSCRIBE, PUBLIC_PAGE_UNSUBSCRIBED, PUBLIC_PAGE_ERASED,
	PUBLIC_PAGE_NEVER, PUBLIC_PAGE_LINK, PUBLIC_PAGE_COUNT
};

struct public_writer;
struct public_purge;

/* the wing's state: w->pub */
struct public_state {
	struct http_ratelimit *signup_limit;	/* per client address */
	struct tmpl *pages[PUBLIC_PAGE_COUNT];
	unsigned char signup_hash[32];		/* the signup form's wording */
	unsigned char prefs_hash[32];		/* the preference centre's wording */
	struct public_writer *writer;		/* signup_writer.c: the group commit of signups */
	struct public_purge *purge;		/* purge.c: the unconfirmed-signup timer */
	/* embed.c: the script for publishers' pages, its URL version and integrity value */
	struct buf embed_js;
	char embed_version[WEB_EMBED_VERSION_MAX];
	char embed_integrity[WEB_EMBED_SRI_MAX];
	unsigned char embed_hash[32];		/* the pasted box's wording */
	struct http_pow *pow;			/* --signup-pow: challenges and used ones; NULL when off */
};

/* ---- public.c: the wing's life (app.c calls these) ---- */
/* w->pub: the rate limit, the templates, the signup writer; NF_OK or a logged failure */
int public_start(struct web *w);
/* the signup writer writes and answers everything queued (before the daemon stops) */
void public_quiesce(struct web *w);
/* everything public_start made; w->pub may be NULL or half made */
void public_free(struct web *w);

/* ---- pages.c ---- */
int public_pages_load(struct web *w);
void public_pages_free(struct web *w);
/* render page id with ctx (a JSON object, borrowed; publication added) */
void public_page_render(struct web *w, struct http_response *res, int status, enum public_page id,
			json_t *ctx);
/* the wording a person consented to on the signup form: version and hash for the ledger */
void public_wording(const struct web *w, char version[32], char hash[65]);
/* the same for the preference centre's page (marketing ticked or unticked there) */
void public_wording_prefs(const struct web *w, char version[32], char hash[65]);
/* version ("PAGE-" and 12 hex digits) and hash of a template's digest */
void public_wording_from(const unsigned char digest[32], const char *page, char version[32], char hash[65]);

/* ---- embed.c: GET /embed.js and /embed/VERSION.js; the pasted box's wording ---- */
int public_embed_load(struct web *w);
void public_embed_free(struct web *w);
void public_embed_js(struct web *w, struct http_request *req, struct http_response *res, const char *arg);
void public_wording_embed(const struct web *w, char version[32], char hash[65]);

/* ---- signup.c: GET /, POST /subscribe, POST /api/subscribe, GET /privacy ---- */
void public_signup_page(struct web *w, struct http_request *req, struct http_response *res, const char *arg);
void public_signup_form(struct web *w, struct http_request *req, struct http_response *res, const char *arg);
void public_signup_api(struct web *w, struct http_request *req, struct http_response *res, const char *arg);
/* OPTIONS /api/subscribe: the CORS preflight, answered for --embed-origin origins only */
void public_signup_preflight(struct web *w, struct http_request *req, struct http_response *res, const char *arg);
void public_privacy_page(struct web *w, struct http_request *req, struct http_response *res, const char *arg);
/* the JSON signup body, {"email": string, "marketing": true|false}; the box adds website, page, list */
struct public_signup_json {
	const char *email;	/* in the arena; may hold NUL bytes (\u0000) */
	size_t email_len;
	int marketing;
	int honeypot;		/* "website" was filled in: a bot */
	const char *page;	/* the article the box is on, NULL when not sent */
	const char *list;	/* the list to join, NULL for breaking-news */
	/* "pow": {"challenge": string, "counter": string}, NULL when not sent */
	const char *pow_challenge, *pow_counter;
	size_t pow_challenge_len, pow_counter_len;
};
int public_signup_json_parse(struct arena *a, const char *body, size_t len, struct public_signup_json *out);

/* ---- signup_pow.c: the proof of work with --signup-pow; GET /api/subscribe/challenge ---- */
void public_pow_challenge_get(struct web *w, struct http_request *req, struct http_response *res, const char *arg);
/* the solution a signup carries (NULL when not sent); HTTP_POW_OK also when none is asked */
enum http_pow_result public_pow_check(struct web *w, const char *challenge, size_t clen,
				      const char *counter, size_t nlen);
/* a refusal's HTTP status and its message for the reader */
int public_pow_status(enum http_pow_result r);
const char *public_pow_message(enum http_pow_result r);
/* the API's refusal: error, code, verifyErrors and a fresh challenge under "pow" */
void public_pow_refuse_json(struct web *w, struct http_response *res, enum http_pow_result r);
/* the signup page's "pow" in ctx and its Content-Security-Policy, when a solution is asked */
void public_pow_page(struct web *w, struct http_request *req, struct http_response *res, json_t *ctx);

/* ---- confirm_page.c: GET and POST /confirm/TOKEN ---- */
void public_confirm_get(struct web *w, struct http_request *req, struct http_response *res, const char *arg);
void public_confirm_post(struct web *w, struct http_request *req, struct http_response *res, const char *arg);

/* ---- never.c: GET and POST /never/TOKEN, "This wasn't me: never email me" ---- */
void public_never_get(struct web *w, struct http_request *req, struct http_response *res, const char *arg);
void public_never_post(struct web *w, struct http_request *req, struct http_response *res, const char *arg);

/* ---- tokens.c: the live subscriber a link token of purpose is for ---- */
enum public_token_result { PUBLIC_TOKEN_OK, PUBLIC_TOKEN_BAD, PUBLIC_TOKEN_UNAVAILABLE };
enum public_token_result public_token_subscriber(struct web *w, const char *token, const char *purpose,
						 struct store_subscriber **out);
/* the same for a page: NULL with the 400 page (invalid) or the 503 page written */
struct store_subscriber *public_token_page(struct web *w, struct http_response *res, const char *token,
					   const char *purpose, const char *invalid);

/* ---- leaving: unsubscribe.c, preferences.c ---- */
void public_unsubscribe_get(struct web *w, struct http_request *req, struct http_response *res, const char *arg);
void public_unsubscribe_post(struct web *w, struct http_request *req, struct http_response *res, const char *arg);
void public_preferences_get(struct web *w, struct http_request *req, struct http_response *res, const char *arg);
void public_preferences_post(struct web *w, struct http_request *req, struct http_response *res, const char *arg);
/* the preference centre page for sub, with an answer to the last change (notice, may be NULL) */
void public_preferences_render(struct web *w, struct http_request *req, struct http_response *res,
			       int status, const struct store_subscriber *sub, const char *token,
			       const char *notice);
/* the same page; choices post to /manage/MANAGE when manage is set (an emailed link), else /preferences/TOKEN */
void public_preferences_render_as(struct web *w, struct http_request *req, struct http_response *res,
				  int status, const struct store_subscriber *sub, const char *token,
				  const char *manage, const char *notice);
/* one POST of the page's forms for sub; raise: from an emailed manage link, so choices may go up */
void public_preferences_apply(struct web *w, struct http_request *req, struct http_response *res,
			      const struct store_subscriber *sub, const struct http_form *form, int raise);

/*
 * ---- mailed_links.c: links mailed on request (export, erase, manage), single
 * use, expiring; GET shows a page with the button, POST does it ----
 */
#define PUBLIC_LINK_TTL 3600		/* an emailed link works for an hour */
#define PUBLIC_LINK_GAP 120		/* pressed again within this: no second mail */
#define PUBLIC_LINK_CAP 6		/* such mails to one address a day, at most */
/* mail sub a new link of purpose; *sent = 0 when one went within PUBLIC_LINK_GAP */
int public_link_mail(struct web *w, const struct store_subscriber *sub, const char *purpose, int *sent);
/* the subscriber a live emailed link of purpose is for, and its nonce */
enum public_token_result public_link_subscriber(struct web *w, const char *token, const char *purpose,
						char nonce[STORE_LINK_NONCE_MAX],
						struct store_subscriber **out);
void public_export_get(struct web *w, struct http_request *req, struct http_response *res, const char *arg);
void public_export_post(struct web *w, struct http_request *req, struct http_response *res, const char *arg);
void public_erase_get(struct web *w, struct http_request *req, struct http_response *res, const char *arg);
void public_erase_post(struct web *w, struct http_request *req, struct http_response *res, const char *arg);
void public_manage_get(struct web *w, struct http_request *req, struct http_response *res, const char *arg);
void public_manage_post(struct web *w, struct http_request *req, struct http_response *res, const char *arg);

/* ---- purge.c: forget unconfirmed signups every purge_interval (off when purge_after is 0) ---- */
int public_purge_start(struct web *w);
void public_purge_stop(struct web *w);

/*
 * ---- signup_writer.c: one thread per process writes the signups the HTTP
 * threads have checked, whatever is queued in one transaction, and answers
 * each only after that COMMIT ----
 */
struct public_signup_job {
	struct public_signup_job *next;
	struct http_request *req;	/* suspended; resumed once rc is known */
	struct store_signup su;		/* strings in the request's arena */
	int pending;			/* double opt-in: a confirmation may be owed */
	/* the writer's answer */
	int rc;				/* NF_OK: committed (or already there: same answer) */
	int created;
	int64_t id;
	int confirm;			/* a confirmation mail is owed to email with salt */
	char email[256], salt[40];
};
/* NULL when the thread cannot start */
struct public_writer *public_writer_start(struct web *w);
/*
 * hand job over: req is suspended (http_suspend with finish, arg) and
 * resumed once the job's batch is committed or has failed. NF_ERR_TEMP at
 * once (nothing suspended) when the queue is full or the writer stopping.
 */
int public_writer_submit(struct public_writer *sw, struct public_signup_job *job, http_finish_fn finish,
			 void *arg);
/* transactions, signups committed and batches redone row by row so far (/metrics) */
void public_writer_counts(struct public_writer *sw, uint64_t *batches, uint64_t *signups,
			  uint64_t *row_retries);
/* write and answer everything queued, then stop; later submits get NF_ERR_TEMP; sw may be NULL */
void public_writer_stop(struct public_writer *sw);
/* once no HTTP thread can call submit any more (the daemon stopped) */
void public_writer_free(struct public_writer *sw);
/* signup.c: one signup's rows in the caller's transaction (the writer's unit of work) */
int public_signup_row(struct web *w, struct store *s, struct public_signup_job *job);
/* signup.c: the mailbox of an address key for the confirmation cap: +tag folded away */
#define PUBLIC_MAILBOX_MAX 320
void public_signup_mailbox(const char *key, char *out, size_t size);

#endif
