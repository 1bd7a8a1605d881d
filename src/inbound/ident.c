/*
 * inbound/ident.c - who a returned message is about: the tokens we signed
 *
 * Owns: finding, in addresses and List-Unsubscribe fields, the tokens this
 * service put into what it sent, and checking them:
 *   bounce+ID-MAC@DOMAIN       the VERP return path (deliver_return_path),
 *                              purpose "bounce"
 *   unsubscribe+ID-MAC@DOMAIN  the List-Unsubscribe mailto (mail/alert.c),
 *                              purpose "unsubscribe"
 *   BASE/u/TOKEN               the one-click link (RFC 8058), core token
 *                              of purpose "unsubscribe"
 * The short forms are core.h's token_short_*: 80 bits of HMAC over purpose,
 * id and the subscriber's salt, so an erased subscriber (new salt) or a
 * forged address verifies for nobody. Nothing here trusts a field's claim
 * of who the recipient was.
 */
#include <string.h>
#include <strings.h>
#include <time.h>

#include "inbound_internal.h"

static const struct {
	const char *prefix;
	enum inbound_ident_kind kind;
} local_forms[] = {
	{ "bounce+", INBOUND_ID_BOUNCE },
	{ "unsubscribe+", INBOUND_ID_MAILTO },
};

int
inbound_local_part(const char *local, size_t len, struct inbound_ident *out)
{
	size_t i, plen;

	for (i = 0; i < NF_ARRAY_LEN(local_forms); i++) {
		plen = strlen(local_forms[i].prefix);
		if (len <= plen || len - plen >= TOKEN_MAX ||
		    strncasecmp(local, local_forms[i].prefix, plen) != 0)
			continue;
		if (token_short_peek(local + plen, len - plen, &out->id) != NF_OK)
			return NF_ERR_INVALID;
		out->kind = local_forms[i].kind;
		out->envelope = 0;
		memcpy(out->token, local + plen, len - plen);
		out->token[len - plen] = '\0';
		return NF_OK;
	}
	return NF_ERR_INVALID;
}

int
inbound_ident_verify(const struct token_key *key, const struct inbound_ident *id,
		     const char *salt)
{
	size_t n = strlen(id->token);

	switch (id->kind) {
	case INBOUND_ID_BOUNCE:
		return token_short_verify(key, "bounce", id->token, n, salt) == TOKEN_VALID;
	case INBOUND_ID_MAILTO:
		return token_short_verify(key, "unsubscribe", id->token, n, salt) == TOKEN_VALID;
	case INBOUND_ID_LINK:
		/* unsubscribe links never expire; one that did would be held to it */
		return token_verify(key, "unsubscribe", id->token, n, salt, time(NULL)) == TOKEN_VALID;
	}
	return 0;
}

/* inbound_ident_add - keep an identity once, while there is room */
void
inbound_ident_add(struct inbound_report *r, const struct inbound_ident *id)
{
	size_t i;

	for (i = 0; i < r->nidents; i++)
		if (r->idents[i].kind == id->kind && strcmp(r->idents[i].token, id->token) == 0) {
			r->idents[i].envelope |= id->envelope;
			return;
		}
	if (r->nidents < INBOUND_IDENTS_MAX)
		r->idents[r->nidents++] = *id;
}

void
inbound_ident_from_address(struct inbound_report *r, const char *addr, int envelope)
{
	const char *at = strrchr(addr, '@');
	struct inbound_ident id;

	if (at == NULL || inbound_local_part(addr, (size_t)(at - addr), &id) != NF_OK)
		return;
	id.envelope = envelope;
	inbound_ident_add(r, &id);
}

static void
from_mailto(struct inbound_report *r, const char *url, size_t n)
{
	const char *at = memchr(url, '@', n);
	struct inbound_ident id;

	/* mailto:LOCAL@DOMAIN[?headers]; our local parts need no %-decoding */
	if (at && inbound_local_part(url, (size_t)(at - url), &id) == NF_OK) {
		id.envelope = 0;
		inbound_ident_add(r, &id);
	}
}

static int
token_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_';
}

static void
from_link(struct inbound_report *r, const char *url, size_t n)
{
	const char *u = NULL, *p;
	struct inbound_ident id;
	size_t i, len;

	for (i = 0; i + 3 <= n; i++)	/* the last "/u/" in the URL */
		if (memcmp(url + i, "/u/", 3) == 0)
			u = url + i + 3;
	if (u == NULL)
		return;
	for (p = u; p < url + n && token_char(*p); p++)
		;
	len = (size_t)(p - u);
	if (len == 0 || len >= TOKEN_MAX || token_peek(u, len, &id.id) != NF_OK)
		return;
	id.kind = INBOUND_ID_LINK;
	id.envelope = 0;
	memcpy(id.token, u, len);
	id.token[len] = '\0';
	inbound_ident_add(r, &id);
}

/* RFC 2369 3.1: a list of <URL>, in order of preference */
void
inbound_ident_from_list_unsubscribe(struct inbound_report *r, const char *value)
{
	const char *p = value, *lt, *gt;

	while ((lt = strchr(p, '<')) != NULL && (gt = strchr(lt + 1, '>')) != NULL) {
		const char *url = lt + 1;
		size_t n = (size_t)(gt - url);

		while (n > 0 && (*url == ' ' || *url == '\t'))
			url++, n--;
		if (n > 7 && strncasecmp(url, "mailto:", 7) == 0)
			from_mailto(r, url + 7, n - 7);
		else
			from_link(r, url, n);
		p = gt + 1;
	}
}
