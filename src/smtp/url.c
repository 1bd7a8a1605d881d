/*
 * smtp/url.c - relay URLs: smtp://user:pass@host:port?tls=...&ca=...&weight=N
 *
 * Owns: turning the operator's --transport text into a list of relays.
 * Does not own: connecting to them (smtp/pool.c) or the maildir: scheme
 * (smtp/transport.c).
 *
 * Follows RFC 3986 for the authority (percent-encoded user and password,
 * [IPv6] literals) and RFC 8314 for the schemes: smtps:// is TLS from the
 * first byte (port 465), smtp:// is port 25 with STARTTLS required unless
 * tls=none says otherwise, so credentials never cross the network in clear
 * by accident. Error texts never repeat the URL: it may hold a password.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smtp_internal.h"

#define URL_MAX 4096
#define RELAYS_MAX 64

static int
url_error(char *err, size_t errlen, const char *why)
{
	snprintf(err, errlen, "bad relay URL: %s", why);
	return NF_ERR_INVALID;
}

/* decode - percent-decode p[0..n) into a new string, or NULL when malformed */
static char *
decode(const char *p, size_t n)
{
	struct buf b;
	char *s;

	buf_init(&b, URL_MAX);
	if (percent_decode(&b, p, n, 0) != NF_OK || memchr(b.data ? b.data : "", '\0', b.len)) {
		buf_free(&b);
		return NULL;
	}
	s = buf_steal(&b, NULL);
	return s;
}

/* number - decimal p[0..n) within [min, max] */
static int
number(const char *p, size_t n, long min, long max, long *out)
{
	long v = 0;
	size_t i;

	if (n == 0 || n > 9)
		return NF_ERR_INVALID;
	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return NF_ERR_INVALID;
		v = v * 10 + (p[i] - '0');
	}
	if (v < min || v > max)
		return NF_ERR_INVALID;
	*out = v;
	return NF_OK;
}

static int
parse_port(const char *p, size_t n, char **out)
{
	long v;

	if (number(p, n, 1, 65535, &v))
		return NF_ERR_INVALID;
	*out = xmemdup0(p, n);
	return NF_OK;
}

/* parse_host - "host[:port]" or "[v6]:port" */
static int
parse_host(struct smtp_relay_url *r, const char *p, size_t n, char *err, size_t errlen)
{
	const char *colon;
	size_t hlen;

	if (n > 0 && p[0] == '[') {
		const char *close = memchr(p, ']', n);

		if (close == NULL)
			return url_error(err, errlen, "unclosed [ in host");
		r->host = xmemdup0(p + 1, (size_t)(close - p - 1));
		hlen = (size_t)(close - p + 1);
		colon = hlen < n ? p + hlen : NULL;
		if (colon && *colon != ':')
			return url_error(err, errlen, "junk after ]");
	} else {
		colon = memchr(p, ':', n);
		hlen = colon ? (size_t)(colon - p) : n;
		r->host = xmemdup0(p, hlen);
	}
	if (r->host[0] == '\0' || strpbrk(r->host, " \t/\\@"))
		return url_error(err, errlen, "missing or bad host");
	if (colon && parse_port(colon + 1, n - (size_t)(colon - p) - 1, &r->port))
		return url_error(err, errlen, "bad port");
	return NF_OK;
}

static int
parse_userinfo(struct smtp_relay_url *r, const char *p, size_t n, char *err, size_t errlen)
{
	const char *colon = memchr(p, ':', n);
	size_t ulen = colon ? (size_t)(colon - p) : n;

	r->user = decode(p, ulen);
	if (r->user == NULL || r->user[0] == '\0')
		return url_error(err, errlen, "bad user name");
	r->pass = decode(colon ? colon + 1 : "", colon ? n - ulen - 1 : 0);
	if (r->pass == NULL)
		return url_error(err, errlen, "bad password");
	return NF_OK;
}

static int
eq(const char *p, size_t n, const char *word)
{
	return strlen(word) == n && strncasecmp(p, word, n) == 0;
}

static int
query_param(struct smtp_relay_url *r, const char *k, size_t kn, const char *v, size_t vn,
	    char *err, size_t errlen)
{
	if (eq(k, kn, "tls")) {
		if (eq(v, vn, "none"))
			r->tls = SMTP_TLS_NONE;
		else if (eq(v, vn, "starttls"))
			r->tls = SMTP_TLS_STARTTLS;
		else if (eq(v, vn, "tls"))
			r->tls = SMTP_TLS_IMPLICIT;
		else if (eq(v, vn, "may"))
			r->tls = SMTP_TLS_MAY;
		else
			return url_error(err, errlen, "tls= takes none, may, starttls or tls");
	} else if (eq(k, kn, "verify")) {
		if (!eq(v, vn, "0") && !eq(v, vn, "1"))
			return url_error(err, errlen, "verify= takes 0 or 1");
		r->verify = v[0] == '1';
	} else if (eq(k, kn, "ca")) {
		free(r->ca_file);
		if ((r->ca_file = decode(v, vn)) == NULL || r->ca_file[0] == '\0')
			return url_error(err, errlen, "bad ca=");
	} else if (eq(k, kn, "weight")) {
		long w;

		if (number(v, vn, 0, 9999, &w))	/* 0: a backup, used when no other is up */
			return url_error(err, errlen, "weight= takes 0 to 9999");
		r->weight = (int)w;
	} else
		return url_error(err, errlen, "unknown parameter (tls, ca, verify, weight)");
	return NF_OK;
}

static int
parse_query(struct smtp_relay_url *r, const char *p, size_t n, char *err, size_t errlen)
{
	while (n > 0) {
		const char *amp = memchr(p, '&', n), *eqs;
		size_t len = amp ? (size_t)(amp - p) : n;
		int rc;

		eqs = memchr(p, '=', len);
		if (eqs == NULL)
			return url_error(err, errlen, "query parameter without =");
		rc = query_param(r, p, (size_t)(eqs - p), eqs + 1, len - (size_t)(eqs - p) - 1,
				 err, errlen);
		if (rc)
			return rc;
		p += len;
		n -= len;
		if (amp) {
			p++;
			n--;
		}
	}
	return NF_OK;
}

/* parse_one - one relay URL from p[0..n) */
static int
parse_one(struct smtp_relay_url *r, const char *p, size_t n, char *err, size_t errlen)
{
	const char *q, *at, *end;
	int rc;

	memset(r, 0, sizeof(*r));
	r->verify = 1;
	r->weight = 1;
	if (n > 7 && strncasecmp(p, "smtp://", 7) == 0) {
		r->tls = SMTP_TLS_STARTTLS;
		p += 7, n -= 7;
	} else if (n > 8 && strncasecmp(p, "smtps://", 8) == 0) {
		r->tls = SMTP_TLS_IMPLICIT;
		p += 8, n -= 8;
	} else
		return url_error(err, errlen, "expected smtp:// or smtps://");
	q = memchr(p, '?', n);
	end = q ? q : p + n;
	if (end > p && end[-1] == '/')	/* "smtp://host/" */
		end--;
	for (at = end; at > p && at[-1] != '@'; at--)
		;
	if (at > p && (rc = parse_userinfo(r, p, (size_t)(at - 1 - p), err, errlen)))
		return rc;
	if ((rc = parse_host(r, at, (size_t)(end - at), err, errlen)))
		return rc;
	if (q && (rc = parse_query(r, q + 1, n - (size_t)(q + 1 - p), err, errlen)))
		return rc;
	if (r->port == NULL)
		r->port = xstrdup(r->tls == SMTP_TLS_IMPLICIT ? "465" : "25");
	return NF_OK;
}

void
smtp_url_clear(struct smtp_relay_url *r)
{
	free(r->host);
	free(r->port);
	if (r->pass)
		explicit_bzero(r->pass, strlen(r->pass));
	free(r->user);
	free(r->pass);
	free(r->ca_file);
}

void
smtp_url_free(struct smtp_relay_url *relays, size_t count)
{
	size_t i;

	for (i = 0; i < count; i++)
		smtp_url_clear(&relays[i]);
	free(relays);
}

static int
is_sep(char c)
{
	return c == ',' || c == ' ' || c == '\t' || c == '\n';
}

int
smtp_url_parse(const char *url, struct smtp_relay_url **out, size_t *count,
	       char *err, size_t errlen)
{
	struct smtp_relay_url *list = NULL;
	size_t n = 0, len = strlen(url), i = 0;
	int rc = NF_OK, primaries = 0;

	if (len > URL_MAX)
		return url_error(err, errlen, "too long");
	while (i < len) {
		size_t start;

		while (i < len && is_sep(url[i]))
			i++;
		if (i == len)
			break;
		for (start = i; i < len && !is_sep(url[i]); i++)
			;
		if (n == RELAYS_MAX) {
			rc = url_error(err, errlen, "too many relays");
			break;
		}
		list = xrealloc(list, (n + 1) * sizeof(*list));
		rc = parse_one(&list[n], url + start, i - start, err, errlen);
		n++;
		if (rc)
			break;
		primaries += list[n - 1].weight > 0;
	}
	if (rc == NF_OK && n == 0)
		rc = url_error(err, errlen, "no relay given");
	else if (rc == NF_OK && primaries == 0)
		rc = url_error(err, errlen, "every relay has weight=0");
	if (rc) {
		smtp_url_free(list, n);
		return rc;
	}
	*out = list;
	*count = n;
	return NF_OK;
}
