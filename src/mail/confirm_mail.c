/*
 * mail/confirm_mail.c - one-off messages: the signup confirmation
 *
 * Owns: the double opt-in email (templates confirm.txt.mustache and
 * confirm.html.mustache, with {{confirm_url}}, {{never_url}} (the "never
 * email me" page, purpose "never"), {{publication}}, {{site_url}} and
 * {{email}}). Sent once per signup, so it takes the simple road: render,
 * encode, then the general signer (dkim.c) over the finished message. It
 * has no List-Unsubscribe: nobody is on a list yet (RFC 2369 is for list
 * mail); the list fields are still in h=, so none can be added in transit.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "tmpl/tmpl.h"
#include "mail.h"

#define CONFIRM_MAX (1u << 20)

/* the base URL's length without a final '/' */
static size_t
base_len(const char *base)
{
	size_t n = strlen(base);

	return n && base[n - 1] == '/' ? n - 1 : n;
}

static int
confirm_headers(struct buf *m, const struct mail_sender *s, const struct mail_subscriber *sub,
		time_t date, const char *boundary)
{
	const char *domain = mail_addr_domain(s->from_addr);
	char when[TIME_RFC5322_MAX];
	struct buf subject;
	int rc;

	buf_init(&subject, MAIL_HEADER_MAX);
	buf_puts(&subject, "Please confirm your subscription");
	if (s->publication && s->publication[0])
		buf_printf(&subject, " to %s", s->publication);
	rc = mail_hdr_mailbox(m, "From", s->from_name ? s->from_name : "",
			      s->from_name ? strlen(s->from_name) : 0, s->from_addr, strlen(s->from_addr));
	if (rc == NF_OK)
		rc = mail_hdr_mailbox(m, "To", "", 0, sub->email, strlen(sub->email));
	if (rc == NF_OK)
		rc = mail_hdr_text(m, "Subject", subject.data, subject.len);
	time_rfc5322(date, when);
	if (rc == NF_OK)
		rc = buf_printf(m, "Date: %s\r\nMessage-ID: ", when);
	if (rc == NF_OK)
		rc = mail_message_id(m, s->secret, "confirm", sub->id, (uint64_t)date, domain);
	if (rc == NF_OK)
		rc = buf_puts(m, "\r\nMIME-Version: 1.0\r\n");
	if (rc == NF_OK)
		rc = mail_mime_content_type(m, boundary);
	if (rc == NF_OK)	/* RFC 3834 5, RFC 2369 3.1: as alerts do */
		rc = buf_printf(m, "%s<%.*s/privacy>\r\n\r\n", MAIL_AUTO_HEADERS, (int)base_len(s->base_url),
				s->base_url);
	buf_free(&subject);
	return rc;
}

static int
confirm_body(struct buf *m, const struct mail_sender *s, const struct mail_subscriber *sub,
	     time_t date, const char *boundary)
{
	char tok[TOKEN_MAX];
	struct buf url;
	json_t *ctx;
	size_t n;
	int rc;

	token_make(s->secret, "confirm", sub->id, (int64_t)date + MAIL_CONFIRM_TTL, sub->salt, tok);
	buf_init(&url, 0);
	n = strlen(s->base_url);
	buf_printf(&url, "%.*s/confirm/%s", (int)(n && s->base_url[n - 1] == '/' ? n - 1 : n),
		   s->base_url, tok);
	ctx = json_object();
	json_object_set_new(ctx, "confirm_url", json_stringn(url.data, url.len));
	/* "This wasn't me: never email me" (web/public/never.c); an opt-out does not expire */
	token_make(s->secret, "never", sub->id, 0, sub->salt, tok);
	buf_reset(&url);
	buf_printf(&url, "%.*s/never/%s", (int)(n && s->base_url[n - 1] == '/' ? n - 1 : n),
		   s->base_url, tok);
	json_object_set_new(ctx, "never_url", json_stringn(url.data, url.len));
	json_object_set_new(ctx, "publication", json_string(s->publication ? s->publication : ""));
	json_object_set_new(ctx, "email", json_string(sub->email));
	/* the masthead links to the site, as the alert's does */
	json_object_set_new(ctx, "site_url", json_stringn(s->base_url, base_len(s->base_url)));
	rc = mail_render_pair(m, boundary, s->templates_dir, "confirm", ctx, CONFIRM_MAX);
	json_decref(ctx);
	buf_free(&url);
	return rc;
}

int
mail_confirm_compose(const struct mail_sender *s, const struct mail_subscriber *sub,
		     time_t date, struct buf *out)
{
	char boundary[64];
	size_t i, mark = out->len;
	struct buf m;
	int rc;

	if (mail_sender_check(s) != NF_OK || sub->email == NULL || sub->salt == NULL ||
	    mail_hdr_addr_check(sub->email, strlen(sub->email)) != NF_OK)
		return NF_ERR_INVALID;
	snprintf(boundary, sizeof(boundary), "=_newsflash_confirm_%llu", (unsigned long long)sub->id);
	buf_init(&m, CONFIRM_MAX);
	rc = confirm_headers(&m, s, sub, date, boundary);
	if (rc == NF_OK)
		rc = confirm_body(&m, s, sub, date, boundary);
	for (i = 0; i < s->nkeys && rc == NF_OK; i++)
		rc = mail_dkim_sign(s->keys[i], m.data, m.len, mail_dkim_signed_headers,
				    mail_dkim_signed_count, (int64_t)date, out);
	if (rc == NF_OK)
		rc = buf_append(out, m.data, m.len);
	if (rc)
		mail_buf_undo(out, mark);
	buf_free(&m);
	return rc;
}
