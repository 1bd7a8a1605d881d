/*
 * mail/mail.h - composing messages: headers, MIME bodies, DKIM signatures
 *
 * Owns: turning an article and a subscriber into the exact bytes of an
 * Internet message (RFC 5322), with RFC 2047 encoded-words for non-ASCII
 * header text, RFC 2045 quoted-printable or base64 bodies in a
 * multipart/alternative (RFC 2046), RFC 2369/2919/8058 list headers, and
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
 *    subscriber: the fast path of the fan-out (see alert.c for why it is
 *    shaped as it is);
 *  - mail_confirm_compose for one-off messages (the signup confirmation).
 */
#ifndef NEWSFLASH_MAIL_H
#define NEWSFLASH_MAIL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "core/core.h"

#define MAIL_LINE_MAX 998	/* RFC 5322 2.1.1: octets per line, without CRLF */
#define MAIL_LINE_FOLD 78	/* RFC 5322 2.1.1: lines SHOULD stay within this */
#define MAIL_EWORD_MAX 75	/* RFC 2047 2: an encoded-word's length */
#define MAIL_ADDR_MAX 254	/* RFC 5321 4.5.3.1.3 path, less the brackets */
#define MAIL_HEADER_MAX 16384	/* one header field we compose, folded */

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
 * mail_dkim_prefix - the DKIM-Signature field up to "b=" for this key with
 * our tags: v, a, c=relaxed/relaxed, d, s, t (omitted when t < 0), h (the
 * names, in order, joined by ':'), bh (the base64 body hash).
 */
int mail_dkim_prefix(struct buf *out, const struct mail_dkim_key *k, int64_t t,
		     const char *const *names, size_t nnames, const unsigned char bh[32]);

/* the header fields our messages sign, in h= order; From is over-signed */
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

#endif
