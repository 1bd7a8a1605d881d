/*
 * mail/alert.c - one alert, composed for each subscriber: the fan-out's fast path
 *
 * Owns: mail_alert_prepare (once per alert) and mail_alert_compose (per
 * subscriber) or mail_alert_compose_many (up to sixteen per call).
 * Standards as in mime_parts.c, hdr.c and dkim.c; list headers per
 * RFC 2369 3.2 (List-Unsubscribe), RFC 2919 (List-Id) and RFC 8058
 * (List-Unsubscribe-Post, signed, so one click cannot be forged in); the
 * mailto's local part within RFC 5321 4.5.3.1.1's 64 octets.
 *
 * Why it is shaped like this. A signed message costs one signature (RSA
 * ~370 us, Ed25519 ~46 us); everything else must be small beside it. What
 * differs between two subscribers of one alert is only: To, Message-ID,
 * the address and the unsubscribe link in the bodies (and the token in
 * List-Unsubscribe), so the body hash and the signatures. So prepare
 * renders the templates once, with placeholders where those values go,
 * and layout.c encodes the shared text between them once; compose copies
 * the shared pieces and encodes only the values. The body hash resumes from
 * a SHA-256 state saved after the shared start of the body, and the header
 * hash from a state that already holds the shared signed fields (h= lists
 * those first, see dkim.c); each DKIM-Signature field is canonicalized once
 * per alert and only its bh= patched per message. Bodies come out in
 * relaxed canonical form (body.c, layout.c), so the hash needs no
 * canonicalization pass. A message is written once, into the caller's
 * buffer, after a gap as long as the signature fields (fixed by the keys),
 * which the signatures fill at the end: nothing is copied a second time.
 *
 * SHA-256 is a chain: every body octet after the first per-subscriber one
 * is hashed again for each message. The text part comes first (RFC 2046
 * 5.1.4: the preferred form, HTML, last) and its footer carries the
 * address and the link, so the whole HTML part is hashed per message: in
 * bench/mail.sh's 20 KB alert ~13.6 KB, ~9 us on one SHA-NI stream, the
 * largest cost after the signature (the bench prints the octets). So
 * mail_alert_compose_many writes up to sixteen messages and hashes their
 * bodies together: ~3.4 us each in AVX-512's sixteen lanes
 * (core/sha256_lanes.c), ~6 us in pairs on SHA-NI (core/sha256_pairs.c).
 * Templates whose text part has no per-subscriber value would leave only
 * the HTML footer to hash, but the text part must show the link too.
 *
 * If the renders hold a placeholder in a form layout.c cannot place,
 * compose renders and encodes each message in full instead: slower, never
 * wrong.
 */
#include <assert.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#include "tmpl/tmpl.h"
#include "mail.h"

#define MESSAGE_MAX (8u << 20)
#define SHARED_SIGNED MAIL_DKIM_SHARED	/* mail_dkim_signed_headers before "to" */

struct sigslot {
	struct mail_dkim_signer *signer;
	struct buf prefix;	/* the field up to "b=" with bh= to fill in */
	size_t bh_at;
	struct buf canon;	/* the same, canonicalized once, without its CRLF (RFC 6376 3.7) */
	size_t canon_bh_at;
};

struct mail_alert {
	uint64_t id;
	char *domain, *base_url;
	unsigned char *secret;
	struct token_key key;
	struct hmac_key *hkey;		/* key's HMAC state: tokens at two compressions each */
	unsigned char mid_key[32];	/* Message-ID key for this alert (mime_parts.c) */
	const struct tmpl *txt, *html;	/* tmplcache.c's, shared */
	json_t *ctx;
	char boundary[64];
	struct buf fixed[4];	/* the shared header fields between To, Message-ID, List-Unsubscribe */
	struct mail_layout *layout;	/* NULL: full renders */
	size_t vary_from;	/* the first body octet that can differ */
	SHA256_CTX body_pre, hdr_pre;	/* after the shared body start, the shared signed fields */
	struct sigslot sigs[MAIL_KEYS_MAX];
	size_t nsigs;
	size_t sig_len;		/* the signature fields' length: the same for every message */
	size_t last_len;	/* the last message's: room to reserve for the next */
	struct buf canon, scratch, sigout;
};

/*
 * One message on its way: compose writes the headers and body into the
 * caller's buffer after a gap of sig_len octets, hashes the body, then
 * signs and fills the gap, so the message is never copied.
 */
struct draft {
	char tok[TOKEN_MAX];
	size_t mark;		/* out's length before: restored on failure */
	size_t var[3][2];	/* To, Message-ID, List-Unsubscribe: offsets in out */
	size_t body;		/* where the body starts in out */
	SHA256_CTX bh;		/* the body hash, resumed from body_pre */
	unsigned char hash[32];
	int hashed;		/* hash is final (the full-render path hashes at once) */
};

/* the shared fields: From | Subject Date | MIME-Version Content-Type List-Id | Post Auto List-Help Feedback-ID */
static int
fixed_headers(struct mail_alert *p, const struct mail_sender *s, const char *subject, time_t date)
{
	char when[TIME_RFC5322_MAX];
	const char *label = s->list_label ? s->list_label : "breaking-news";
	const char *pub = s->publication ? s->publication : "";
	struct buf id;
	int rc;

	buf_init(&id, MAIL_ADDR_MAX);
	rc = mail_hdr_mailbox(&p->fixed[0], "From", s->from_name ? s->from_name : "",
			      s->from_name ? strlen(s->from_name) : 0, s->from_addr, strlen(s->from_addr));
	if (rc == NF_OK)
		rc = mail_hdr_text(&p->fixed[1], "Subject", subject, strlen(subject));
	time_rfc5322(date, when);
	if (rc == NF_OK)
		rc = buf_printf(&p->fixed[1], "Date: %s\r\n", when);
	if (rc == NF_OK)
		rc = buf_puts(&p->fixed[2], "MIME-Version: 1.0\r\n");
	if (rc == NF_OK)
		rc = mail_mime_content_type(&p->fixed[2], p->boundary);
	if (rc == NF_OK)
		rc = buf_printf(&id, "%s.%s", label, p->domain);
	if (rc == NF_OK)
		rc = mail_hdr_phrase_id(&p->fixed[2], "List-Id", pub, strlen(pub), id.data, id.len);
	/*
	 * RFC 3834 5: Auto-Submitted, so that vacation responders stay quiet
	 * (X-Auto-Response-Suppress for Exchange's); RFC 2369 3.1 List-Help.
	 */
	if (rc == NF_OK)
		rc = buf_printf(&p->fixed[3], "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"
					      "%s<%s/privacy>\r\n"
					      "Feedback-ID: %llu:%s:alert:newsflash\r\n\r\n",
				MAIL_AUTO_HEADERS, p->base_url, (unsigned long long)p->id, label);
	buf_free(&id);
	return rc;
}

/* what the templates know besides the content: the site */
static void
site_context(struct mail_alert *p, const struct mail_sender *s)
{
	struct buf url;

	buf_init(&url, 0);
	buf_printf(&url, "%s/privacy", p->base_url);
	json_object_set_new(p->ctx, "publication", json_string(s->publication ? s->publication : ""));
	json_object_set_new(p->ctx, "site_url", json_string(p->base_url));
	json_object_set_new(p->ctx, "privacy_url", json_string(url.data));
	buf_free(&url);
}

/* hash the shared signed fields, canonicalized, in h= order */
static int
hash_shared_headers(struct mail_alert *p)
{
	const char *field;
	struct buf all;
	size_t i, flen;
	int rc = NF_OK;

	buf_init(&all, 0);
	for (i = 0; i < 4; i++)
		buf_append(&all, p->fixed[i].data, p->fixed[i].len);
	sha256_state_init(&p->hdr_pre);
	for (i = 0; i < SHARED_SIGNED && rc == NF_OK; i++) {
		if (mail_msg_header_find(all.data, all.len, mail_dkim_signed_headers[i], 0,
					 &field, &flen) != NF_OK)
			continue;
		buf_reset(&p->canon);
		rc = mail_canon_header(&p->canon, field, flen);
		if (rc == NF_OK)
			sha256_state_update(&p->hdr_pre, p->canon.data, p->canon.len);
	}
	buf_free(&all);
	return rc;
}

/* append_all - the strings one after another */
static int
append_all(struct buf *out, const char *const *parts, size_t n)
{
	size_t i;
	int rc = NF_OK;

	for (i = 0; i < n && rc == NF_OK; i++)
		rc = buf_puts(out, parts[i]);
	return rc;
}

static int
unsubscribe_url(struct buf *out, const char *base, const char *token)
{
	const char *parts[] = { base, "/u/", token };

	return append_all(out, parts, NF_ARRAY_LEN(parts));
}

/* render both templates with these per-subscriber values */
static int
render_pair(struct mail_alert *p, const char *token, const char *email,
	    struct buf *txt, struct buf *html)
{
	struct buf url;
	int rc;

	buf_init(&url, 0);
	unsubscribe_url(&url, p->base_url, token);
	json_object_set_new(p->ctx, "unsubscribe_url", json_stringn(url.data, url.len));
	json_object_set_new(p->ctx, "email", json_string(email));
	buf_free(&url);
	rc = mail_render(p->txt, p->ctx, txt);
	if (rc == NF_OK)
		rc = mail_render(p->html, p->ctx, html);
	return rc;
}

/* render with placeholders; hand the renders to layout.c */
static int
prepare_layout(struct mail_alert *p, int full)
{
	unsigned char rnd[8];
	char marker[32], email[40], url[40];
	struct buf txt, html;
	const char *prefix;
	int rc;

	/* a marker nobody can put in an article beforehand */
	if (random_bytes(rnd, sizeof(rnd)) != NF_OK)
		return NF_ERR_IO;
	snprintf(marker, sizeof(marker), "NFSLOT%02x%02x%02x%02x%02x%02x%02x%02x",
		 rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7]);
	snprintf(email, sizeof(email), "%sE&", marker);
	snprintf(url, sizeof(url), "%sU&", marker);
	json_object_set_new(p->ctx, "unsubscribe_url", json_string(url));
	json_object_set_new(p->ctx, "email", json_string(email));
	buf_init(&txt, MESSAGE_MAX);
	buf_init(&html, MESSAGE_MAX);
	rc = mail_render(p->txt, p->ctx, &txt);
	if (rc == NF_OK)
		rc = mail_render(p->html, p->ctx, &html);
	if (rc == NF_OK && !full &&
	    mail_layout_build(p->boundary, marker, &txt, &html, &p->layout) != NF_OK)
		log_event(LOG_WARN, "mail.alert.slow", "why",
			  "a placeholder in a form that cannot be placed; every message is rendered in full",
			  NULL);
	if (rc == NF_OK && p->layout) {
		p->vary_from = mail_layout_prefix(p->layout, &prefix);
		sha256_state_init(&p->body_pre);
		sha256_state_update(&p->body_pre, prefix, p->vary_from);
	}
	buf_free(&txt);
	buf_free(&html);
	return rc;
}

/* sig_canon - the field canonicalized once; per message only bh= is patched in */
static int
sig_canon(struct sigslot *g)
{
	const char *bh;
	int rc;

	buf_init(&g->canon, MAIL_HEADER_MAX);
	rc = mail_canon_header(&g->canon, g->prefix.data, g->prefix.len);
	bh = rc == NF_OK ? strstr(g->canon.data, "bh=") : NULL;
	if (bh == NULL)
		return rc ? rc : NF_ERR;
	g->canon_bh_at = (size_t)(bh - g->canon.data) + 3;
	g->canon.len -= 2;	/* RFC 6376 3.7: hashed without its CRLF */
	return NF_OK;
}

/* sig_length - how long the signature fields are: a dry run over a zero hash */
static int
sig_length(struct mail_alert *p)
{
	static const unsigned char zero[32];
	size_t i;
	int rc = NF_OK;

	buf_reset(&p->sigout);
	for (i = 0; i < p->nsigs && rc == NF_OK; i++)
		rc = mail_dkim_signer_append(p->sigs[i].signer, zero, p->sigs[i].prefix.data,
					     p->sigs[i].prefix.len, &p->sigout);
	p->sig_len = p->sigout.len;
	return rc;
}

static int
prepare_sigs(struct mail_alert *p, const struct mail_sender *s, time_t date)
{
	static const unsigned char zero[32];
	const char *bh;
	size_t i;
	int rc = NF_OK;

	for (i = 0; i < s->nkeys && rc == NF_OK; i++) {
		struct sigslot *g = &p->sigs[p->nsigs++];

		g->signer = mail_dkim_signer_new(s->keys[i]);
		buf_init(&g->prefix, MAIL_HEADER_MAX);
		rc = mail_dkim_prefix(&g->prefix, s->keys[i], (int64_t)date, mail_dkim_signed_headers,
				      mail_dkim_signed_count, zero);
		bh = rc == NF_OK ? strstr(g->prefix.data, "bh=") : NULL;
		if (bh == NULL)
			rc = rc ? rc : NF_ERR;
		else
			g->bh_at = (size_t)(bh - g->prefix.data) + 3;
		if (rc == NF_OK)
			rc = sig_canon(g);
	}
	return rc == NF_OK ? sig_length(p) : rc;
}

int
mail_alert_prepare(const struct mail_sender *s, const struct mail_content *c,
		   uint64_t alert_id, time_t date, struct mail_alert **out)
{
	struct mail_alert *p;
	size_t i;
	int rc;

	*out = NULL;
	if ((rc = mail_sender_check(s)) != NF_OK || c->subject == NULL || !json_is_object(c->data))
		return NF_ERR_INVALID;
	p = xcalloc(1, sizeof(*p));
	p->id = alert_id;
	p->domain = xstrdup(mail_addr_domain(s->from_addr));
	p->base_url = xstrdup(s->base_url);
	if (p->base_url[0] && p->base_url[strlen(p->base_url) - 1] == '/')
		p->base_url[strlen(p->base_url) - 1] = '\0';
	p->secret = xmalloc(s->secret->len ? s->secret->len : 1);
	memcpy(p->secret, s->secret->secret, s->secret->len);
	p->key.secret = p->secret;
	p->key.len = s->secret->len;
	p->hkey = hmac_key_new(p->secret, p->key.len);
	mail_message_id_key(&p->key, "alert", alert_id, p->mid_key);
	snprintf(p->boundary, sizeof(p->boundary), "=_newsflash_alert_%llu", (unsigned long long)alert_id);
	for (i = 0; i < 4; i++)
		buf_init(&p->fixed[i], MAIL_HEADER_MAX);
	buf_init(&p->canon, MAIL_HEADER_MAX);
	buf_init(&p->scratch, MESSAGE_MAX);
	buf_init(&p->sigout, MAIL_HEADER_MAX);
	rc = fixed_headers(p, s, c->subject, date);
	if (rc == NF_OK)
		rc = hash_shared_headers(p);
	if (rc == NF_OK)
		rc = mail_template_get(s->templates_dir, "alert.txt", 0, &p->txt);
	if (rc == NF_OK)
		rc = mail_template_get(s->templates_dir, "alert.html", 1, &p->html);
	if (rc == NF_OK) {
		p->ctx = json_deep_copy(c->data);
		site_context(p, s);
		rc = prepare_layout(p, s->full_render);
	}
	if (rc == NF_OK)
		rc = prepare_sigs(p, s, date);
	if (rc) {
		mail_alert_free(p);
		return rc;
	}
	*out = p;
	return NF_OK;
}

int
mail_alert_is_fast(const struct mail_alert *p)
{
	return p->layout != NULL;
}

size_t
mail_alert_shared_body(const struct mail_alert *p)
{
	return p->vary_from;
}

/* the three per-subscriber fields, into out between the shared ones */
static int
variable_headers(struct mail_alert *p, const struct mail_subscriber *sub, const char *tok,
		 size_t var[3][2], struct buf *m)
{
	char short_tok[TOKEN_SHORT_MAX];
	int rc;

	rc = buf_append(m, p->fixed[0].data, p->fixed[0].len);
	var[0][0] = m->len;
	if (rc == NF_OK)
		rc = mail_hdr_mailbox(m, "To", "", 0, sub->email, strlen(sub->email));
	var[0][1] = m->len;
	if (rc == NF_OK)
		rc = buf_append(m, p->fixed[1].data, p->fixed[1].len);
	var[1][0] = m->len;
	if (rc == NF_OK)
		rc = buf_puts(m, "Message-ID: ");
	if (rc == NF_OK)
		rc = mail_message_id_keyed(m, p->mid_key, "alert", p->id, sub->id, p->domain);
	if (rc == NF_OK)
		rc = buf_append(m, "\r\n", 2);
	var[1][1] = m->len;
	if (rc == NF_OK)
		rc = buf_append(m, p->fixed[2].data, p->fixed[2].len);
	var[2][0] = m->len;
	/*
	 * RFC 2369 3.2 and RFC 8058 3.1: the HTTPS link first, the mailto
	 * second. The mailto carries the short token (core.h), not the link's:
	 * unsubscribe+TOKEN would be 78 octets, past RFC 5321 4.5.3.1.1's 64
	 * for a local part, and relays may refuse it.
	 */
	token_short_make_keyed(p->hkey, "unsubscribe", sub->id, sub->salt, short_tok);
	if (rc == NF_OK) {
		const char *parts[] = { "List-Unsubscribe: <", p->base_url, "/u/", tok,
					">,\r\n <mailto:unsubscribe+", short_tok, "@", p->domain, ">\r\n" };

		rc = append_all(m, parts, NF_ARRAY_LEN(parts));
	}
	var[2][1] = m->len;
	if (rc == NF_OK)
		rc = buf_append(m, p->fixed[3].data, p->fixed[3].len);
	return rc;
}

/* fast_body - the body from the layout; its hash waits for hash_bodies */
static int
fast_body(struct mail_alert *p, const struct mail_subscriber *sub, struct draft *d,
	  struct buf *out)
{
	buf_reset(&p->scratch);
	unsubscribe_url(&p->scratch, p->base_url, d->tok);
	d->bh = p->body_pre;
	return mail_layout_emit(p->layout, out, sub->email, p->scratch.data);
}

static int
full_body(struct mail_alert *p, const struct mail_subscriber *sub, struct draft *d,
	  struct buf *out)
{
	struct buf txt, html;
	int rc;

	buf_init(&txt, MESSAGE_MAX);
	buf_init(&html, MESSAGE_MAX);
	rc = render_pair(p, d->tok, sub->email, &txt, &html);
	if (rc == NF_OK)
		rc = mail_mime_body(out, p->boundary, txt.data ? txt.data : "", txt.len,
				    html.data ? html.data : "", html.len);
	if (rc == NF_OK && p->nsigs > 0)
		rc = mail_dkim_body_hash(out->data + d->body, out->len - d->body, d->hash);
	d->hashed = 1;
	buf_free(&txt);
	buf_free(&html);
	return rc;
}

/* draft_begin - all but the hashes and signatures: the gap, the headers, the body */
static int
draft_begin(struct mail_alert *p, struct draft *d, const struct mail_subscriber *sub,
	    struct buf *out)
{
	int rc;

	d->mark = out->len;
	d->hashed = 0;
	if (sub->email == NULL || sub->salt == NULL ||
	    mail_hdr_addr_check(sub->email, strlen(sub->email)) != NF_OK)
		return NF_ERR_INVALID;
	token_make_keyed(p->hkey, "unsubscribe", sub->id, 0, sub->salt, d->tok);
	/* room for a message like the last one, a hint only: a ceiling decides at each append */
	if (buf_reserve(out, p->sig_len + p->last_len + 1024) != NF_OK &&
	    (rc = buf_reserve(out, p->sig_len)) != NF_OK)
		return rc;
	memset(out->data + out->len, ' ', p->sig_len);	/* the gap: filled by draft_finish */
	out->len += p->sig_len;
	out->data[out->len] = '\0';
	rc = variable_headers(p, sub, d->tok, d->var, out);
	d->body = out->len;
	if (rc == NF_OK)
		rc = p->layout ? fast_body(p, sub, d, out) : full_body(p, sub, d, out);
	return rc;
}

/*
 * hash_bodies - finish the body hashes: from the first octet that can
 * differ to the end. The fast-path bodies go through SHA-256 together
 * (sha256_update_many: sixteen lanes or pairs, as the CPU allows).
 */
static void
hash_bodies(struct mail_alert *p, struct draft *d, const int *rc, struct buf *const *out, size_t n)
{
	SHA256_CTX *c[MAIL_COMPOSE_MANY];
	const void *from[MAIL_COMPOSE_MANY];
	size_t len[MAIL_COMPOSE_MANY], i, k = 0;

	if (p->nsigs == 0)	/* no signature, no body hash: a fifth of an unsigned message's cost */
		return;
	for (i = 0; i < n; i++) {
		size_t at = d[i].body + p->vary_from;

		if (rc[i] != NF_OK || d[i].hashed)
			continue;
		c[k] = &d[i].bh;
		from[k] = out[i]->data + at;
		len[k++] = out[i]->len - at;
	}
	if (k > 0)
		sha256_update_many(c, from, len, k);
	for (i = 0; i < n; i++) {
		if (rc[i] != NF_OK || d[i].hashed)
			continue;
		sha256_state_final(&d[i].bh, d[i].hash);
		d[i].hashed = 1;
	}
}

/* sign_all - each signature: shared header state + the three fields + its own field */
static int
sign_all(struct mail_alert *p, const struct draft *d, const struct buf *m)
{
	struct buf *b64 = &p->scratch;	/* its URL is in the body by now */
	unsigned char hash[32];
	size_t i, k;
	int rc = NF_OK;

	buf_reset(&p->canon);
	for (k = 0; k < 3 && rc == NF_OK; k++)
		rc = mail_canon_header(&p->canon, m->data + d->var[k][0], d->var[k][1] - d->var[k][0]);
	buf_reset(b64);
	if (rc == NF_OK)
		rc = base64_encode(b64, d->hash, 32);
	buf_reset(&p->sigout);
	for (i = 0; i < p->nsigs && rc == NF_OK; i++) {
		struct sigslot *g = &p->sigs[i];
		SHA256_CTX h = p->hdr_pre;

		memcpy(g->prefix.data + g->bh_at, b64->data, b64->len);
		memcpy(g->canon.data + g->canon_bh_at, b64->data, b64->len);
		sha256_state_update(&h, p->canon.data, p->canon.len);
		sha256_state_update(&h, g->canon.data, g->canon.len);
		sha256_state_final(&h, hash);
		rc = mail_dkim_signer_append(g->signer, hash, g->prefix.data, g->prefix.len, &p->sigout);
	}
	return rc;
}

/* gap_fill - put the signature fields in the gap left for them at at */
static int
gap_fill(struct mail_alert *p, struct buf *out, size_t at)
{
	size_t n = p->sigout.len;

	if (n > p->sig_len && buf_reserve(out, n - p->sig_len) != NF_OK)
		return NF_ERR_LIMIT;
	if (n != p->sig_len) {	/* never seen: the key fixes the length; kept correct anyway */
		memmove(out->data + at + n, out->data + at + p->sig_len, out->len - at - p->sig_len + 1);
		out->len = out->len - p->sig_len + n;
	}
	if (n > 0)	/* no keys: no fields, and sigout may have no storage */
		memcpy(out->data + at, p->sigout.data, n);
	return NF_OK;
}

static int
draft_finish(struct mail_alert *p, struct draft *d, struct buf *out)
{
	int rc = p->nsigs > 0 ? sign_all(p, d, out) : NF_OK;

	if (rc == NF_OK)
		rc = gap_fill(p, out, d->mark);
	if (rc == NF_OK)
		p->last_len = out->len - d->mark;
	return rc;
}

/* compose_n - n messages; their bodies are hashed together */
static void
compose_n(struct mail_alert *p, const struct mail_subscriber *sub, struct buf *const *out, int *rc,
	  size_t n)
{
	struct draft d[MAIL_COMPOSE_MANY];
	size_t i;

	for (i = 0; i < n; i++)
		rc[i] = draft_begin(p, &d[i], &sub[i], out[i]);
	hash_bodies(p, d, rc, out, n);
	for (i = 0; i < n; i++) {
		if (rc[i] == NF_OK)
			rc[i] = draft_finish(p, &d[i], out[i]);
		if (rc[i] != NF_OK)
			mail_buf_undo(out[i], d[i].mark);
	}
}

int
mail_alert_compose(struct mail_alert *p, const struct mail_subscriber *sub, struct buf *out)
{
	int rc;

	compose_n(p, sub, &out, &rc, 1);
	return rc;
}

void
mail_alert_compose_many(struct mail_alert *p, const struct mail_subscriber *sub, size_t n,
			struct buf *const *out, int *rc)
{
	size_t i, j;

	assert(n <= MAIL_COMPOSE_MANY);
	for (i = 0; i < n; i++)	/* one draft's offsets would move under another */
		for (j = i + 1; j < n; j++)
			assert(out[i] != out[j]);
	compose_n(p, sub, out, rc, n);
}

void
mail_alert_free(struct mail_alert *p)
{
	size_t i;

	if (p == NULL)
		return;
	free(p->domain);
	free(p->base_url);
	if (p->secret)
		OPENSSL_cleanse(p->secret, p->key.len);
	free(p->secret);
	hmac_key_free(p->hkey);
	OPENSSL_cleanse(p->mid_key, sizeof(p->mid_key));
	json_decref(p->ctx);
	for (i = 0; i < 4; i++)
		buf_free(&p->fixed[i]);
	mail_layout_free(p->layout);
	for (i = 0; i < p->nsigs; i++) {
		mail_dkim_signer_free(p->sigs[i].signer);
		buf_free(&p->sigs[i].prefix);
		buf_free(&p->sigs[i].canon);
	}
	buf_free(&p->canon);
	buf_free(&p->scratch);
	buf_free(&p->sigout);
	free(p);
}
