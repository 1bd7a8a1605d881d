/*
 * mail/mime_parts.c - the parts of a message around its text
 *
 * Owns: the multipart/alternative body (RFC 2046 5.1.1 delimiters, 5.1.4:
 * text/plain first, text/html last as the richer form), part headers (RFC
 * 2045 5, 6), the Content-Type field, Message-IDs (RFC 5322 3.6.4), and
 * rendering our templates (through tmpl/). Does not own: what goes in the
 * templates (alert.c, confirm.c) or signing (dkim.c).
 *
 * Boundaries start with "=_": that pair can occur in neither
 * quoted-printable nor base64 text, so a boundary never needs checking
 * against the content and can be fixed once per alert.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "tmpl/tmpl.h"
#include "mail.h"

#define TEMPLATE_MAX (1 << 20)

int
mail_mime_part_header(struct buf *body, const char *boundary, const char *subtype,
		      enum mail_cte cte)
{
	return buf_printf(body, "--%s\r\nContent-Type: text/%s; charset=utf-8\r\n"
				"Content-Transfer-Encoding: %s\r\n\r\n",
			  boundary, subtype, mail_cte_name(cte));
}

/*
 * The CRLF before a delimiter belongs to the delimiter (RFC 2046 5.1.1),
 * so a text that ends with a line break needs one more: always add it.
 * For base64 it is an empty line, which decoders skip.
 */
int
mail_mime_part_end(struct buf *body)
{
	return buf_append(body, "\r\n", 2);
}

int
mail_mime_part(struct buf *body, const char *boundary, const char *subtype,
	       enum mail_cte cte, const char *enc, size_t n)
{
	int rc = mail_mime_part_header(body, boundary, subtype, cte);

	if (rc == NF_OK)
		rc = buf_append(body, enc, n);
	return rc ? rc : mail_mime_part_end(body);
}

int
mail_mime_close(struct buf *body, const char *boundary)
{
	return buf_printf(body, "--%s--\r\n", boundary);
}

static int
encoded_part(struct buf *body, const char *boundary, const char *subtype,
	     const char *text, size_t n)
{
	enum mail_cte cte;
	struct buf enc;
	int rc;

	buf_init(&enc, body->max);
	rc = mail_body_encode(&enc, text, n, &cte);
	if (rc == NF_OK)
		rc = mail_mime_part(body, boundary, subtype, cte, enc.data ? enc.data : "", enc.len);
	buf_free(&enc);
	return rc;
}

int
mail_mime_body(struct buf *body, const char *boundary, const char *text, size_t tlen,
	       const char *html, size_t hlen)
{
	int rc = encoded_part(body, boundary, "plain", text, tlen);

	if (rc == NF_OK)
		rc = encoded_part(body, boundary, "html", html, hlen);
	if (rc == NF_OK)
		rc = mail_mime_close(body, boundary);
	return rc;
}

int
mail_mime_content_type(struct buf *out, const char *boundary)
{
	return buf_printf(out, "Content-Type: multipart/alternative;\r\n boundary=\"%s\"\r\n",
			  boundary);
}

/*
 * Message-IDs: <KIND.A.B.MAC@DOMAIN>, MAC the first 8 octets of
 * SHA-256(K || B) with K = HMAC(secret, "message-id:KIND.A"). K is made once
 * per alert, so the per-message part is one SHA-256 block, not an HMAC.
 * A secret prefix is a sound keyed hash here: B has a fixed length, so
 * length extension has nothing to extend.
 */
void
mail_message_id_key(const struct token_key *secret, const char *kind, uint64_t a,
		    unsigned char key[32])
{
	char what[96];
	int n;

	n = snprintf(what, sizeof(what), "message-id:%s.%llu", kind, (unsigned long long)a);
	hmac_sha256(secret->secret, secret->len, what, (size_t)n, key);
}

/* dec_field - ".N" */
static int
dec_field(struct buf *out, uint64_t v)
{
	char d[21];

	d[0] = '.';
	return buf_append(out, d, 1 + dec_u64(d + 1, v));
}

int
mail_message_id_keyed(struct buf *out, const unsigned char key[32], const char *kind,
		      uint64_t a, uint64_t b, const char *domain)
{
	unsigned char in[40], mac[32];
	int i, rc;

	memcpy(in, key, 32);
	for (i = 0; i < 8; i++)
		in[32 + i] = (unsigned char)(b >> (56 - 8 * i));
	sha256(in, sizeof(in), mac);
	/* "<kind.a.b.MAC@domain>", without printf: one per message in the fan-out */
	rc = buf_putc(out, '<');
	if (rc == NF_OK)
		rc = buf_puts(out, kind);
	if (rc == NF_OK)
		rc = dec_field(out, a);
	if (rc == NF_OK)
		rc = dec_field(out, b);
	if (rc == NF_OK)
		rc = buf_putc(out, '.');
	if (rc == NF_OK)
		rc = hex_encode(out, mac, 8);
	if (rc == NF_OK)
		rc = buf_putc(out, '@');
	if (rc == NF_OK)
		rc = buf_puts(out, domain);
	return rc ? rc : buf_putc(out, '>');
}

int
mail_message_id(struct buf *out, const struct token_key *secret, const char *kind,
		uint64_t a, uint64_t b, const char *domain)
{
	unsigned char key[32];

	mail_message_id_key(secret, kind, a, key);
	return mail_message_id_keyed(out, key, kind, a, b, domain);
}

const char *
mail_addr_domain(const char *addr)
{
	const char *at = addr ? strrchr(addr, '@') : NULL;

	return at && at[1] ? at + 1 : NULL;
}

int
mail_base_url_check(const char *url)
{
	size_t i, n = url ? strlen(url) : 0;

	if (n > 512 || !(strncmp(url, "https://", 8) == 0 || strncmp(url, "http://", 7) == 0))
		return NF_ERR_INVALID;
	for (i = 0; i < n; i++)
		if (url[i] <= ' ' || url[i] >= 127 || strchr("<>\"'`\\{}|^", url[i]))
			return NF_ERR_INVALID;
	return NF_OK;
}

int
mail_render(const struct tmpl *t, const struct json_t *ctx, struct buf *out)
{
	struct tmpl_value v;

	tmpl_ctx_json(&v, ctx);
	return tmpl_render(t, &v, out);
}

int
mail_template_load(const char *dir, const char *name, int html, struct tmpl **out)
{
	struct tmpl_options opts;
	struct tmpl_error err;
	struct buf src;
	int rc;

	memset(&opts, 0, sizeof(opts));
	opts.loader = tmpl_load_dir;
	opts.loader_data = (void *)dir;
	opts.escape = html ? TMPL_ESCAPE_HTML : TMPL_ESCAPE_NONE;
	buf_init(&src, TEMPLATE_MAX);
	*out = NULL;
	rc = tmpl_load_dir((void *)dir, name, strlen(name), &src);
	if (rc == NF_OK) {
		*out = tmpl_compile(src.data ? src.data : "", src.len, &opts, &err);
		if (*out == NULL) {
			log_event(LOG_ERROR, "mail.template", "name", name, "error", err.message, NULL);
			rc = NF_ERR_INVALID;
		}
	} else {
		log_event(LOG_ERROR, "mail.template", "name", name, "dir", dir,
			  "error", nf_strstatus(rc), NULL);
	}
	buf_free(&src);
	return rc;
}

int
mail_sender_check(const struct mail_sender *s)
{
	if (s->from_addr == NULL || mail_hdr_addr_check(s->from_addr, strlen(s->from_addr)) ||
	    mail_base_url_check(s->base_url) || s->secret == NULL || s->nkeys > MAIL_KEYS_MAX ||
	    s->templates_dir == NULL)
		return NF_ERR_INVALID;
	if (s->publication && mail_hdr_check(s->publication, strlen(s->publication)))
		return NF_ERR_INVALID;
	if (s->from_name && mail_hdr_check(s->from_name, strlen(s->from_name)))
		return NF_ERR_INVALID;
	return NF_OK;
}
