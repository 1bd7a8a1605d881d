/*
 * mail/dkim.c - DKIM signatures (RFC 6376 3.5, 3.7, 5.4-5.6; RFC 8463 3)
 *
 * Owns: making DKIM-Signature fields with c=relaxed/relaxed, for
 * a=rsa-sha256 (RSASSA-PKCS1-v1_5 over SHA-256, RFC 6376 3.3.1) and
 * a=ed25519-sha256 (PureEdDSA over the SHA-256 of the header data, RFC
 * 8463 3). Does not own: keys (dkimkey.c), canonicalization (canon.c).
 *
 * Why our own signer and not libopendkim or another Debian library: the
 * fan-out signs millions of messages that differ only in a few fields. The
 * fast path (alert.c) hashes each body as it is produced, from a hash state
 * saved after the part every subscriber shares, and feeds the signer header
 * data that was canonicalized and hashed once per alert. The libraries take
 * a whole message and canonicalize and hash all of it, every time; none
 * lets the caller hand over a hash state. What is left here is small: pick
 * the fields bottom-up, hash, sign, fold the signature.
 *
 * Over-signing (RFC 6376 8.15): a name listed more often than the field
 * occurs signs the absence of another one, so a From added in transit
 * breaks the signature. The general signer does this by 5.4.2's rule: the
 * nth listing of a name takes the nth field from the bottom, or nothing.
 */
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <string.h>
#include <strings.h>

#include "mail.h"

#define SIG_MAX 1024		/* 8192-bit RSA */
#define FOLD_AT 76

/*
 * h= order: the fields every subscriber of an alert shares come first
 * (MAIL_DKIM_SHARED of them), so the fast path hashes them once per alert;
 * then the three that differ per subscriber. Then every one a reader or a
 * filter relies on is listed again: our messages carry each at most once,
 * so the second listing signs that there is no other, and a second
 * Subject, To or List-Unsubscribe put above ours breaks the signature
 * (RFC 6376 8.15). Reply-To, Cc, Sender, In-Reply-To and References we
 * never send: listed once, their absence is signed, so none can be added.
 * The listings that sign an absence add nothing to the hashed data, so
 * the fast path's hash is unchanged by them.
 */
const char *const mail_dkim_signed_headers[] = {
	"from", "subject", "date", "mime-version", "content-type", "list-id",
	"list-unsubscribe-post", "feedback-id", "auto-submitted", "x-auto-response-suppress",
	"list-help",
	"to", "message-id", "list-unsubscribe",
	"from", "subject", "date", "mime-version", "content-type", "list-id",
	"list-unsubscribe-post", "feedback-id", "auto-submitted", "x-auto-response-suppress",
	"list-help", "to", "message-id", "list-unsubscribe",
	"reply-to", "cc", "sender", "in-reply-to", "references",
};
const size_t mail_dkim_signed_count = NF_ARRAY_LEN(mail_dkim_signed_headers);

struct mail_dkim_signer {
	const struct mail_dkim_key *key;
	EVP_PKEY_CTX *rsa;	/* set up once for PKCS#1 v1.5 + SHA-256 */
	EVP_MD_CTX *ed;		/* set up once for Ed25519 */
	struct buf canon;	/* the signature field, canonicalized */
	struct buf b64;		/* the signature in base64, before folding */
};

struct mail_dkim_signer *
mail_dkim_signer_new(const struct mail_dkim_key *k)
{
	struct mail_dkim_signer *s = xcalloc(1, sizeof(*s));
	EVP_PKEY *pkey = mail_dkim_key_pkey(k);
	int ok;

	s->key = k;
	buf_init(&s->canon, MAIL_HEADER_MAX);
	buf_init(&s->b64, MAIL_HEADER_MAX);
	if (mail_dkim_key_alg(k) == MAIL_DKIM_RSA_SHA256) {
		s->rsa = EVP_PKEY_CTX_new(pkey, NULL);
		ok = s->rsa && EVP_PKEY_sign_init(s->rsa) == 1 &&
		     EVP_PKEY_CTX_set_rsa_padding(s->rsa, RSA_PKCS1_PADDING) == 1 &&
		     EVP_PKEY_CTX_set_signature_md(s->rsa, EVP_sha256()) == 1;
	} else {
		s->ed = EVP_MD_CTX_new();
		ok = s->ed && EVP_DigestSignInit(s->ed, NULL, NULL, NULL, pkey) == 1;
	}
	if (!ok)
		log_panic("dkim: OpenSSL cannot set up a signing context");
	return s;
}

void
mail_dkim_signer_free(struct mail_dkim_signer *s)
{
	if (s == NULL)
		return;
	EVP_PKEY_CTX_free(s->rsa);
	EVP_MD_CTX_free(s->ed);
	buf_free(&s->canon);
	buf_free(&s->b64);
	free(s);
}

static int
raw_sign(struct mail_dkim_signer *s, const unsigned char hash[32],
	 unsigned char *sig, size_t *siglen)
{
	if (s->rsa)
		return EVP_PKEY_sign(s->rsa, sig, siglen, hash, 32) == 1 ? NF_OK : NF_ERR;
	return EVP_DigestSign(s->ed, sig, siglen, hash, 32) == 1 ? NF_OK : NF_ERR;
}

/* append_folded_b64 - the signature after "b=", folded at spaces-free points */
static int
append_folded_b64(struct buf *out, struct buf *b64, size_t col, const unsigned char *sig,
		  size_t len)
{
	size_t i, take;
	int rc;

	buf_reset(b64);
	rc = base64_encode(b64, sig, len);
	for (i = 0; i < b64->len && rc == NF_OK; i += take) {
		if (col >= FOLD_AT) {
			rc = buf_append(out, "\r\n ", 3);
			col = 1;
		}
		take = FOLD_AT - col < b64->len - i ? FOLD_AT - col : b64->len - i;
		if (rc == NF_OK)
			rc = buf_append(out, b64->data + i, take);
		col += take;
	}
	return rc ? rc : buf_append(out, "\r\n", 2);
}

int
mail_dkim_signer_append(struct mail_dkim_signer *s, const unsigned char hash[32],
			const char *sig_prefix, size_t plen, struct buf *out)
{
	unsigned char sig[SIG_MAX];
	size_t siglen = sizeof(sig), col;
	const char *lf;
	int rc;

	if ((rc = raw_sign(s, hash, sig, &siglen)) != NF_OK)
		return rc;
	for (lf = sig_prefix + plen; lf > sig_prefix && lf[-1] != '\n'; lf--)
		;
	col = (size_t)(sig_prefix + plen - lf);
	rc = buf_append(out, sig_prefix, plen);
	return rc ? rc : append_folded_b64(out, &s->b64, col, sig, siglen);
}

int
mail_dkim_signer_finish(struct mail_dkim_signer *s, struct evp_md_ctx_st *hdr_hash,
			const char *sig_prefix, size_t plen, struct buf *out)
{
	unsigned char hash[32];
	unsigned hlen;
	int rc;

	/* RFC 6376 3.7: the signature field itself, b= empty, with no final CRLF */
	buf_reset(&s->canon);
	rc = mail_canon_header(&s->canon, sig_prefix, plen);
	if (rc)
		return rc;
	if (EVP_DigestUpdate(hdr_hash, s->canon.data, s->canon.len - 2) != 1 ||
	    EVP_DigestFinal_ex(hdr_hash, hash, &hlen) != 1)
		return NF_ERR;
	return mail_dkim_signer_append(s, hash, sig_prefix, plen, out);
}

/* a tag list writer: "; " between tags, folding before a tag that will not fit */
struct tags {
	struct buf *out;
	size_t col;
};

static int
tag(struct tags *t, const char *text, size_t n, int first)
{
	int rc = NF_OK;

	if (!first && t->col + 1 + n > MAIL_LINE_FOLD) {
		rc = buf_append(t->out, "\r\n", 2);
		t->col = 0;
	}
	if (rc == NF_OK)
		rc = buf_putc(t->out, ' ');
	if (rc == NF_OK)
		rc = buf_append(t->out, text, n);
	t->col += 1 + n;
	return rc;
}

int
mail_dkim_prefix(struct buf *out, const struct mail_dkim_key *k, int64_t t,
		 const char *const *names, size_t nnames, const unsigned char bh[32])
{
	struct tags tg = { out, 15 };
	struct buf v;
	size_t i;
	int rc;

	buf_init(&v, 0);
	rc = buf_puts(out, "DKIM-Signature:");
	buf_printf(&v, "v=1; a=%s; c=relaxed/relaxed;",
		   mail_dkim_alg_name(mail_dkim_key_alg(k)));
	if (rc == NF_OK)
		rc = tag(&tg, v.data, v.len, 1);
	buf_reset(&v);
	buf_printf(&v, "d=%s;", mail_dkim_key_domain(k));
	if (rc == NF_OK)
		rc = tag(&tg, v.data, v.len, 0);
	buf_reset(&v);
	buf_printf(&v, "s=%s;", mail_dkim_key_selector(k));
	if (rc == NF_OK)
		rc = tag(&tg, v.data, v.len, 0);
	if (t >= 0) {
		buf_reset(&v);
		buf_printf(&v, "t=%lld;", (long long)t);
		if (rc == NF_OK)
			rc = tag(&tg, v.data, v.len, 0);
	}
	/* h= folds after any colon: FWS is allowed around them */
	for (i = 0; i < nnames && rc == NF_OK; i++) {
		buf_reset(&v);
		buf_printf(&v, "%s%s%s", i == 0 ? "h=" : "", names[i], i + 1 < nnames ? ":" : ";");
		if (i == 0)
			rc = tag(&tg, v.data, v.len, 0);
		else if (tg.col + v.len > MAIL_LINE_FOLD)
			rc = tag(&tg, v.data, v.len, 0);
		else {
			rc = buf_append(out, v.data, v.len);
			tg.col += v.len;
		}
	}
	buf_reset(&v);
	buf_puts(&v, "bh=");
	base64_encode(&v, bh, 32);
	buf_putc(&v, ';');
	if (rc == NF_OK)
		rc = tag(&tg, v.data, v.len, 0);
	if (rc == NF_OK)
		rc = tag(&tg, "b=", 2, 0);
	buf_free(&v);
	return rc;
}

int
mail_dkim_body_hash(const char *body, size_t n, unsigned char bh[32])
{
	struct buf c;
	int rc = NF_OK;

	if (mail_canon_body_is_canonical(body, n)) {
		sha256(body, n, bh);
		return NF_OK;
	}
	buf_init(&c, 0);
	rc = mail_canon_body(&c, body, n);
	if (rc == NF_OK)
		sha256(c.data ? c.data : "", c.len, bh);
	buf_free(&c);
	return rc;
}

/* hash_fields - the listed fields, canonicalized, bottom-up per name (5.4.2) */
static int
hash_fields(EVP_MD_CTX *h, const char *hdrs, size_t hlen,
	    const char *const *names, size_t nnames)
{
	const char *field;
	size_t i, j, flen;
	unsigned nth;
	struct buf c;
	int rc = NF_OK;

	buf_init(&c, MAIL_HEADER_MAX);
	for (i = 0; i < nnames && rc == NF_OK; i++) {
		for (j = 0, nth = 0; j < i; j++)
			nth += strcasecmp(names[j], names[i]) == 0;
		if (mail_msg_header_find(hdrs, hlen, names[i], nth, &field, &flen) != NF_OK)
			continue;	/* over-signed: the absence is what is signed */
		buf_reset(&c);
		rc = mail_canon_header(&c, field, flen);
		if (rc == NF_OK && EVP_DigestUpdate(h, c.data, c.len) != 1)
			rc = NF_ERR;
	}
	buf_free(&c);
	return rc;
}

int
mail_dkim_sign_prefixed(const struct mail_dkim_key *k, const char *msg, size_t n,
			const char *const *names, size_t nnames,
			const char *prefix, size_t plen, struct buf *out)
{
	struct mail_dkim_signer *s;
	size_t hlen, body;
	EVP_MD_CTX *h;
	int rc;

	mail_msg_split(msg, n, &hlen, &body);
	h = EVP_MD_CTX_new();
	if (h == NULL || EVP_DigestInit_ex(h, EVP_sha256(), NULL) != 1)
		log_panic("dkim: no SHA-256");
	rc = hash_fields(h, msg, hlen, names, nnames);
	if (rc == NF_OK) {
		s = mail_dkim_signer_new(k);
		rc = mail_dkim_signer_finish(s, h, prefix, plen, out);
		mail_dkim_signer_free(s);
	}
	EVP_MD_CTX_free(h);
	return rc;
}

int
mail_dkim_sign(const struct mail_dkim_key *k, const char *msg, size_t n,
	       const char *const *names, size_t nnames, int64_t t, struct buf *out)
{
	unsigned char bh[32];
	size_t hlen, body;
	struct buf prefix;
	int rc;

	mail_msg_split(msg, n, &hlen, &body);
	rc = mail_dkim_body_hash(msg + body, n - body, bh);
	if (rc)
		return rc;
	buf_init(&prefix, MAIL_HEADER_MAX);
	rc = mail_dkim_prefix(&prefix, k, t, names, nnames, bh);
	if (rc == NF_OK)
		rc = mail_dkim_sign_prefixed(k, msg, n, names, nnames, prefix.data, prefix.len, out);
	buf_free(&prefix);
	return rc;
}
