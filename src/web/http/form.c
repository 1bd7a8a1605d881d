/*
 * web/http/form.c - application/x-www-form-urlencoded bodies and Cookie headers
 *
 * Owns: splitting a form body (WHATWG URL standard, section 5: '&'-separated
 * name=value pairs, percent-decoded, '+' for space) and finding one cookie in
 * a Cookie header (RFC 6265 section 5.4). Input comes from the network:
 * everything is parsed from pointer + length into the request's arena, and
 * a body with more than HTTP_FIELDS_MAX fields or a bad %-escape is refused.
 */
#include <string.h>
#include <strings.h>

#include "http.h"

static int
decode_into(struct arena *a, const char *s, size_t n, const char **out, size_t *outlen)
{
	struct buf b;
	int rc;

	buf_init(&b, n);
	rc = percent_decode(&b, s, n, 1);
	if (rc == NF_OK) {
		*out = arena_strndup(a, b.data ? b.data : "", b.len);
		*outlen = b.len;
		if (*out == NULL)
			rc = NF_ERR_LIMIT;
	}
	buf_free(&b);
	return rc;
}

int
http_form_parse(struct arena *a, const char *body, size_t len, struct http_form *out)
{
	const char *p = body, *end = body + len;

	out->count = 0;
	while (p < end) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		const char *stop = amp ? amp : end;
		const char *eq = memchr(p, '=', (size_t)(stop - p));
		struct http_field *f;
		size_t namelen;
		int rc;

		if (stop == p) {	/* empty pair, as in "a=1&&b=2" */
			p = stop + 1;
			continue;
		}
		if (out->count == HTTP_FIELDS_MAX)
			return NF_ERR_LIMIT;
		f = &out->fields[out->count];
		rc = decode_into(a, p, (size_t)((eq ? eq : stop) - p), &f->name, &namelen);
		if (rc)
			return rc;
		if (eq)
			rc = decode_into(a, eq + 1, (size_t)(stop - eq - 1), &f->value, &f->value_len);
		else
			f->value = "", f->value_len = 0;
		if (rc)
			return rc;
		out->count++;
		p = amp ? amp + 1 : end;
	}
	return NF_OK;
}

const char *
http_form_get(const struct http_form *f, const char *name, size_t *len)
{
	int i;

	for (i = 0; i < f->count; i++) {
		if (strcmp(f->fields[i].name, name) == 0) {
			if (len)
				*len = f->fields[i].value_len;
			return f->fields[i].value;
		}
	}
	return NULL;
}

const char *
http_cookie_get(struct arena *a, const char *header, const char *name)
{
	size_t namelen = strlen(name);
	const char *p = header;

	if (header == NULL)
		return NULL;
	while (*p) {
		const char *semi = strchr(p, ';'), *stop;

		while (*p == ' ')
			p++;
		stop = semi ? semi : p + strlen(p);
		if ((size_t)(stop - p) > namelen && strncmp(p, name, namelen) == 0 &&
		    p[namelen] == '=')
			return arena_strndup(a, p + namelen + 1, (size_t)(stop - p - namelen - 1));
		if (semi == NULL)
			break;
		p = semi + 1;
	}
	return NULL;
}
