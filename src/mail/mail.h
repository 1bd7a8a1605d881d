/*
 * mail/mail.h - composing messages: headers, MIME bodies, DKIM signatures
 *
 * Owns: turning what an alert says (a subject and the data its templates
 * render) and a subscriber into the exact bytes of an Internet message
 * (RFC 5322), with RFC 2047 encoded-words for non-ASCII header text,
 * RFC 2045 quoted-printable or base64 bodies in a multipart/alternative
 * (RFC 2046), RFC 2369/2919/8058 list headers, and
 * DKIM signatures (RFC 6376, rsa-sha256 and RFC 8463 ed25519-sha256, both
 * c=relaxed/relaxed). Does not own: sending (smtp/), choosing recipients
 * (deliver/), validating addresses beyond header safety (addr/).
 *
 * Everything that comes from outside (a headline, a display name, an
 * address) is checked before it reaches a header: CR, LF and every other
 * control character make the call fail with NF_ERR_INVALID; nothing is ever
 * passed through or silently dropped.
 *
 * Two ways to compose:
 *  - mail_alert_prepare once per alert, then mail_alert_compose per
 *    subscriber, or mail_alert_compose_many per sixteen: the fast path of the
 *    fan-out (see alert.c for why it is shaped as it is);
 *  - mail_confirm_compose for one-off messages (the signup confirmation).
 */
#ifndef NEWSFLASH_MAIL_H
#define NEWSFLASH_MAIL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "core/core.h"

struct tmpl;
struct json_t;

#define MAIL_LINE_MAX 998	/* RFC 5322 2.1.1: octets per line, without CRLF */
#define MAIL_LINE_FOLD 78	/* RFC 5322 2.1.1: lines SHOULD stay within this */
#define MAIL_EWORD_MAX 75	/* RFC 2047 2: an encoded-word's length */
#define MAIL_ADDR_MAX 254	/* RFC 5321 4.5.3.1.3 path, less the brackets */
#define MAIL_HEADER_MAX 16384	/* one header field we compose, folded */

/* mail_buf_undo - drop what a failed call appended: nothing half-written stays */
static inline void
mail_buf_undo(struct buf *b, size_t mark)
{
	b->len = mark;
	if (b->data)
		b->data[mark] = '\0';
}

/*
 * The fields that mark a message as sent by a program (RFC 3834 5,
 * Exchange's X-Auto-Response-Suppress), then List-Help's name: alerts and
 * confirmations carry them, List-Help pointing to BASE/privacy.
 */
#define MAIL_AUTO_HEADERS "Auto-Submitted: auto-generated\r\n" \
			  "X-Auto-Response-Suppress: All\r\n" \
			  "List-Help: "

/* ---- hdr.c: header values from outside, RFC 2047 encoding, folding ---- */

/*
 * mail_hdr_check - NF_OK when v is valid UTF-8 with no control character
 * (C0 including CR, LF and TAB, DEL, C1, U+2028/U+2029); else NF_ERR_INVALID.
 */
int mail_hdr_check(const char *v, size_t n);
/*
 * mail_hdr_addr_check - NF_OK for an ASCII addr-spec fit to sit between
 * angle brackets in a header: local@domain, printable, no space, no
 * brackets, quotes, commas or semicolons, at most MAIL_ADDR_MAX octets.
 */
int mail_hdr_addr_check(const char *a, size_t n);
/*
 * mail_hdr_text - append "Name: value" CRLF, value unstructured text
 * (Subject): left as it is when it is ASCII and folds, else RFC 2047
 * encoded-words (Q or B, whichever is shorter). Folded at MAIL_LINE_FOLD
 * where there is a place to fold, never past MAIL_LINE_MAX.
 */
int mail_hdr_text(struct buf *out, const char *name, const char *v, size_t n);
/*
 * mail_hdr_mailbox - append "Name: display <addr>" CRLF (From, To); display
 * may be empty (then "Name: addr"). The display name becomes atoms, a quoted
 * string or encoded-words, whichever RFC 5322 3.2.5 / RFC 2047 5(3) needs.
 */
int mail_hdr_mailbox(struct buf *out, const char *name, const char *display,
		     size_t dlen, const char *addr, size_t alen);
/*
 * mail_hdr_phrase_id - append "Name: phrase <id>" CRLF where id is ours
 * (List-Id: "Breaking news <breaking.example.com>", RFC 2919).
 */
int mail_hdr_phrase_id(struct buf *out, const char *name, const char *phrase,
		       size_t plen, const char *id, size_t idlen);

/* ---- canon.c: DKIM relaxed canonicalization (RFC 6376 3.4.2, 3.4.4) ---- */

/* one header field (name:value, folded or not, CRLF optional) -> "name:value" CRLF */
int mail_canon_header(struct buf *out, const char *field, size_t n);
/* a whole body -> its relaxed canonical form (empty body -> empty) */
int mail_canon_body(struct buf *out, const char *body, size_t n);
/* 1 when canonicalizing body would not change it (the fast path's check) */
int mail_canon_body_is_canonical(const char *body, size_t n);
/*
 * mail_msg_split - find the end of the header block: *hlen covers the
 * header fields with their CRLFs, the body starts at *body. A message with
 * no empty line is all headers and no body.
 */
void mail_msg_split(const char *msg, size_t n, size_t *hlen, size_t *body);
/*
 * mail_msg_header_find - the nth-from-the-bottom field named name (RFC 6376
 * 5.4.2: a signer that lists a name twice signs the last instance first).
 * Sets *field, *flen (whole field with its CRLF); NF_ERR_NOTFOUND if absent.
 */
int mail_msg_header_find(const char *hdrs, size_t hlen, const char *name,
			 unsigned nth, const char **field, size_t *flen);

/* ---- body.c: transfer encodings (RFC 2045 6.7 and 6.8) ---- */

enum mail_cte { MAIL_CTE_QP, MAIL_CTE_BASE64 };

/*
 * mail_qp_encode - quoted-printable, text mode: line breaks (LF or CRLF)
 * become CRLF, lines at most 76 octets. The output is already in DKIM
 * relaxed canonical form: no TAB, no run of white space, none at a line's
 * end (such spaces are written =20). "From " and "." at a line's start are
 * encoded too, so an mbox writer or a careless relay cannot alter them.
 */
int mail_qp_encode(struct buf *out, const char *in, size_t n);
/* base64 in lines of 76 with CRLF after each, the last included */
int mail_b64_encode_lines(struct buf *out, const void *in, size_t n);
/* length of mail_b64_encode_lines output for n input octets */
size_t mail_b64_lines_len(size_t n);
/*
 * mail_body_encode - encode UTF-8 text with whichever of quoted-printable
 * and base64 is smaller; *cte says which.
 */
int mail_body_encode(struct buf *out, const char *in, size_t n, enum mail_cte *cte);
const char *mail_cte_name(enum mail_cte cte);

/* ---- dkimkey.c: DKIM keys (RFC 6376 3.6.1, RFC 8463 4) ---- */

enum mail_dkim_alg { MAIL_DKIM_RSA_SHA256, MAIL_DKIM_ED25519_SHA256 };

struct mail_dkim_key;		/* a private key with its domain and selector */

/*
 * mail_dkim_key_parse - a key from text: PEM (PKCS#8 or PKCS#1 RSA, or an
 * Ed25519 PKCS#8) or, as dkimpy stores them, the base64 of a raw 32-octet
 * Ed25519 seed. RSA keys under 1024 bits are refused (RFC 8301 3.2).
 */
int mail_dkim_key_parse(const char *text, size_t n, const char *domain,
			const char *selector, struct mail_dkim_key **out);
int mail_dkim_key_load(const char *path, const char *domain,
		       const char *selector, struct mail_dkim_key **out);
void mail_dkim_key_free(struct mail_dkim_key *k);
enum mail_dkim_alg mail_dkim_key_alg(const struct mail_dkim_key *k);
const char *mail_dkim_key_domain(const struct mail_dkim_key *k);
const char *mail_dkim_key_selector(const struct mail_dkim_key *k);
int mail_dkim_key_bits(const struct mail_dkim_key *k);
/* "v=DKIM1; k=rsa; p=..." : the TXT record to publish at S._domainkey.D */
int mail_dkim_key_record(const struct mail_dkim_key *k, struct buf *out);
/* a new key (RSA: bits, at least 2048 by default; Ed25519 ignores bits) as PEM PKCS#8 */
int mail_dkim_keygen(enum mail_dkim_alg alg, int bits, struct buf *pem);
const char *mail_dkim_alg_name(enum mail_dkim_alg alg);	/* "rsa-sha256" */
/* for dkim.c: the OpenSSL EVP_PKEY inside, borrowed */
void *mail_dkim_key_pkey(const struct mail_dkim_key *k);

/* ---- dkim.c: DKIM signing (RFC 6376 3.5, 3.7, 5; RFC 8463 3) ---- */

/*
 * A signer is a key's signing context, reused across messages: created
 * once, it signs on one thread at a time.
 */
struct mail_dkim_signer;
struct evp_md_ctx_st;		/* OpenSSL's EVP_MD_CTX */

struct mail_dkim_signer *mail_dkim_signer_new(const struct mail_dkim_key *k);
void mail_dkim_signer_free(struct mail_dkim_signer *s);
/*
 * mail_dkim_signer_finish - hdr_hash is a SHA-256 context that has taken
 * the canonical signed header fields; sig_prefix is the whole
 * DKIM-Signature field up to and including "b=" (as it will appear).
 * Hashes the prefix (canonicalized, RFC 6376 3.7), signs, and appends the
 * prefix plus the folded signature and CRLF to out. hdr_hash is consumed.
 */
int mail_dkim_signer_finish(struct mail_dkim_signer *s, struct evp_md_ctx_st *hdr_hash,
			    const char *sig_prefix, size_t plen, struct buf *out);
/*
 * mail_dkim_signer_append - the same when the caller hashed the header
 * data itself, the canonical signature field included (the fast path
 * keeps that field canonicalized once per alert): signs the finished
 * hash and appends the prefix, the folded signature and CRLF.
 */
int mail_dkim_signer_append(struct mail_dkim_signer *s, const unsigned char hash[32],
			    const char *sig_prefix, size_t plen, struct buf *out);
/*
 * mail_dkim_prefix - the DKIM-Signature field up to "b=" for this key with
 * our tags: v, a, c=relaxed/relaxed, d, s, t (omitted when t < 0), h (the
 * names, in order, joined by ':'), bh (the base64 body hash).
 */
int mail_dkim_prefix(struct buf *out, const struct mail_dkim_key *k, int64_t t,
		     const char *const *names, size_t nnames, const unsigned char bh[32]);

/*
 * the header fields our messages sign, in h= order: the MAIL_DKIM_SHARED
 * an alert's subscribers share, To, Message-ID, List-Unsubscribe, then
 * every one of them again (over-signed) and the ones we never send
 */
#define MAIL_DKIM_SHARED 11
extern const char *const mail_dkim_signed_headers[];
extern const size_t mail_dkim_signed_count;

/*
 * mail_dkim_sign - the general signer, for one-off messages and tests:
 * signs msg (headers, empty line, body, CRLF line ends) with key over the
 * listed header names and appends one DKIM-Signature field to out.
 */
int mail_dkim_sign(const struct mail_dkim_key *k, const char *msg, size_t n,
		   const char *const *names, size_t nnames, int64_t t,
		   struct buf *out);
/*
 * mail_dkim_sign_prefixed - the same, but the caller gives the field up to
 * "b=" verbatim (names must be those of its h=): reproduces a published
 * signature exactly, whatever its tag order and folding.
 */
int mail_dkim_sign_prefixed(const struct mail_dkim_key *k, const char *msg, size_t n,
			    const char *const *names, size_t nnames,
			    const char *prefix, size_t plen, struct buf *out);
/* the relaxed body hash of a body (RFC 6376 3.7 step 1) */
int mail_dkim_body_hash(const char *body, size_t n, unsigned char bh[32]);

/* ---- mime_parts.c: the message around the text (RFC 2045, 2046 5.1.4, 5322 3.6) ---- */

/*
 * Who sends, and how. Strings are copied by mail_alert_prepare; keys are
 * borrowed and must outlive what is made with them.
 */
#define MAIL_KEYS_MAX 4

struct mail_sender {
	const char *from_name;		/* display name, UTF-8; may be empty */
	const char *from_addr;		/* its domain is the Message-ID and mailto domain */
	const char *base_url;		/* https://news.example.com: links are BASE/u/TOKEN */
	const char *publication;	/* {{publication}}, the List-Id phrase */
	const char *list_label;		/* List-Id is <LABEL.DOMAIN>; "breaking-news" if NULL */
	const char *templates_dir;	/* where alert.*.mustache and confirm.*.mustache are */
	const struct token_key *secret;	/* for link tokens and Message-IDs */
	struct mail_dkim_key *const *keys;	/* sign with each (at most MAIL_KEYS_MAX) */
	size_t nkeys;
	int full_render;		/* alerts: render every message in full (tests, debugging) */
};

struct mail_subscriber {
	uint64_t id;
	const char *email;		/* ASCII addr-spec; checked before use */
	const char *salt;		/* the subscriber's token salt */
};

/*
 * mail_mime_body - a multipart/alternative body: the text part, then the
 * HTML part (RFC 2046 5.1.4: the preferred form last), each UTF-8 in the
 * smaller of quoted-printable and base64, closed by the final delimiter.
 */
int mail_mime_body(struct buf *body, const char *boundary, const char *text, size_t tlen,
		   const char *html, size_t hlen);
/* a part's header (through its empty line), and the CRLF that ends its text */
int mail_mime_part_header(struct buf *body, const char *boundary, const char *subtype,
			  enum mail_cte cte);
int mail_mime_part_end(struct buf *body);
/* one part's header and encoded text, when the caller did the encoding */
int mail_mime_part(struct buf *body, const char *boundary, const char *subtype,
		   enum mail_cte cte, const char *enc, size_t n);
int mail_mime_close(struct buf *body, const char *boundary);
/* "Content-Type: multipart/alternative; boundary=..." with its CRLF */
int mail_mime_content_type(struct buf *out, const char *boundary);
/* <KIND.A.B.MAC@DOMAIN>: deterministic, and unguessable without the secret */
int mail_message_id(struct buf *out, const struct token_key *secret, const char *kind,
		    uint64_t a, uint64_t b, const char *domain);
/* the same in two steps: the key for (kind, a) once, then each b cheaply */
void mail_message_id_key(const struct token_key *secret, const char *kind, uint64_t a,
			 unsigned char key[32]);
int mail_message_id_keyed(struct buf *out, const unsigned char key[32], const char *kind,
			  uint64_t a, uint64_t b, const char *domain);
/* the domain of from_addr (after the last '@'), or NULL */
const char *mail_addr_domain(const char *addr);
/* the sender's settings are usable: addresses, URL, text, key count */
int mail_sender_check(const struct mail_sender *s);
/* a base URL fit for links: http(s), printable, no quotes or brackets, <= 512 */
int mail_base_url_check(const char *url);
/* render a compiled template against a JSON context into out */
int mail_render(const struct tmpl *t, const struct json_t *ctx, struct buf *out);
/* compile DIR/NAME; html chooses HTML escaping (else none: plain text) */
int mail_template_load(const char *dir, const char *name, int html, struct tmpl **out);

/* ---- tmplcache.c: compiled templates, once per process ---- */

/*
 * mail_template_get - DIR/NAME compiled at its first use and kept: the
 * same template for every later call, from any thread (borrowed; valid
 * until mail_template_cache_clear). A changed file is not read again.
 */
int mail_template_get(const char *dir, const char *name, int html, const struct tmpl **out);
/*
 * mail_render_pair - DIR/NAME.txt and DIR/NAME.html against ctx (each at
 * most max bytes) as a multipart/alternative body (mail_mime_body)
 */
int mail_render_pair(struct buf *body, const char *boundary, const char *dir, const char *name,
		     const struct json_t *ctx, size_t max);
/* free every cached template; none of them may be in use */
void mail_template_cache_clear(void);

/* ---- layout.c: an alert's body as shared pieces and per-subscriber slots ---- */

struct mail_layout;

/*
 * mail_layout_build - from the two renders made with the placeholders
 * marker+"E&" ({{email}}) and marker+"U&" ({{unsubscribe_url}}), the body
 * as pieces: encoded shared text, and slots filled per subscriber.
 * NF_ERR_INVALID when a placeholder shows up in a form it cannot place.
 */
int mail_layout_build(const char *boundary, const char *marker, const struct buf *txt,
		      const struct buf *html, struct mail_layout **out);
/* mail_layout_emit - append the body for these values; one thread at a time */
int mail_layout_emit(struct mail_layout *l, struct buf *out, const char *email,
		     const char *url);
/* the shared bytes every body starts with, before the first slot */
size_t mail_layout_prefix(const struct mail_layout *l, const char **bytes);
void mail_layout_free(struct mail_layout *l);

/* ---- alert.c: the fan-out's fast path ---- */

struct mail_alert;

/*
 * What an alert says, whatever it is made from: mail knows no article. One
 * story (news_article_context), a digest of several or a correction with
 * its note are all a subject and a context for the templates; the caller
 * builds both.
 */
struct mail_content {
	const char *subject;		/* the Subject, UTF-8 text (checked as any header) */
	const struct json_t *data;	/* a JSON object: what alert.*.mustache render */
};

/*
 * mail_alert_prepare - once per alert: takes the compiled templates
 * (tmplcache.c: compiled once per process), renders what every subscriber
 * shares, encodes it, hashes the shared header fields and the shared start
 * of the body. date is the Date of every message and the DKIM t=. The
 * content must outlive nothing: its data is copied, and the site's values
 * (publication, site_url, privacy_url) and the subscriber's (email,
 * unsubscribe_url) are added to the copy, over any of the same name.
 */
int mail_alert_prepare(const struct mail_sender *s, const struct mail_content *c,
		       uint64_t alert_id, time_t date, struct mail_alert **out);
/*
 * mail_alert_compose - per subscriber: append the complete signed message
 * to out. Only the tokens, To, Message-ID, the body's varying bytes, the
 * body hash and the signatures are computed here. A prepared alert is used
 * by one thread at a time (it keeps scratch buffers and hash states);
 * prepare one per worker thread.
 */
int mail_alert_compose(struct mail_alert *p, const struct mail_subscriber *sub,
		       struct buf *out);
/*
 * mail_alert_compose_many - n subscribers at once (n <= MAIL_COMPOSE_MANY):
 * exactly the messages n mail_alert_compose calls would make, for less
 * CPU (their body hashes run together: sha256_update_many); the
 * fan-out's way. rc[i] is sub[i]'s result; a failure leaves out[i] as it
 * was. The out[i] are distinct buffers.
 */
#define MAIL_COMPOSE_MANY SHA256_MANY	/* core.h: the most SHA-256 streams hashed together */
void mail_alert_compose_many(struct mail_alert *p, const struct mail_subscriber *sub, size_t n,
			     struct buf *const *out, int *rc);
/* 1 when the templates let compose patch tokens in place (see alert.c) */
int mail_alert_is_fast(const struct mail_alert *p);
/*
 * mail_alert_shared_body - the body octets hashed once per alert (those
 * before the first per-subscriber octet); compose hashes the rest of each
 * body. 0 without the fast path.
 */
size_t mail_alert_shared_body(const struct mail_alert *p);
void mail_alert_free(struct mail_alert *p);

/* ---- confirm_mail.c: one-off messages ---- */

#define MAIL_CONFIRM_TTL (7 * 86400)	/* a confirmation link works for a week */

/*
 * mail_confirm_compose - the signup confirmation: confirm.{txt,html}.mustache
 * with {{confirm_url}} (BASE/confirm/TOKEN, purpose "confirm", valid for
 * MAIL_CONFIRM_TTL from date) and {{publication}}, signed like alerts.
 */
int mail_confirm_compose(const struct mail_sender *s, const struct mail_subscriber *sub,
			 time_t date, struct buf *out);

#endif
