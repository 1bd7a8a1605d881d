/*
 * store/dburl.c - which backend a --db URL names, and its options
 *
 * Owns: parsing
 *   sqlite:PATH[?sync=normal|full][&timeout=MS]   (sqlite:///abs/path also works)
 *   postgresql://...  or  postgres://...          (handed to libpq as it is)
 * The URL comes from a person (a flag or NEWSFLASH_DB): anything else is an
 * error with a message, never a guess.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_internal.h"

#define URL_MAX 4096
#define SQLITE_DEFAULT_TIMEOUT_MS 5000

static int
starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* parse_ms - a timeout in milliseconds, 0..1 hour */
static int
parse_ms(const char *v, size_t n, long *out)
{
	long ms = 0;
	size_t i;

	if (n == 0 || n > 7)
		return NF_ERR_INVALID;
	for (i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return NF_ERR_INVALID;
		ms = ms * 10 + (v[i] - '0');
	}
	if (ms > 3600000)
		return NF_ERR_INVALID;
	*out = ms;
	return NF_OK;
}

/* one name=value of the query part */
static int
sqlite_option(struct store_url *u, const char *p, size_t n, char *err, size_t errlen)
{
	const char *eq = memchr(p, '=', n);
	size_t klen = eq ? (size_t)(eq - p) : n, vlen = eq ? n - klen - 1 : 0;
	const char *v = eq ? eq + 1 : "";

	if (klen == 4 && memcmp(p, "sync", 4) == 0) {
		if (vlen == 4 && memcmp(v, "full", 4) == 0)
			u->sync_full = 1;
		else if (vlen == 6 && memcmp(v, "normal", 6) == 0)
			u->sync_full = 0;
		else
			goto bad;
		return NF_OK;
	}
	if (klen == 7 && memcmp(p, "timeout", 7) == 0) {
		if (parse_ms(v, vlen, &u->timeout_ms) != NF_OK)
			goto bad;
		return NF_OK;
	}
bad:
	snprintf(err, errlen, "unknown or bad sqlite option '%.*s' (want sync=normal|full, timeout=MS)",
		 (int)(n > 64 ? 64 : n), p);
	return NF_ERR_USAGE;
}

static int
parse_sqlite(const char *rest, struct store_url *u, char *err, size_t errlen)
{
	const char *q = strchr(rest, '?'), *p, *amp;
	size_t plen;
	int rc;

	if (starts(rest, "//"))
		rest += 2;		/* sqlite:///abs/path */
	plen = q ? (size_t)(q - rest) : strlen(rest);
	if (plen == 0) {
		snprintf(err, errlen, "sqlite URL without a path (want sqlite:PATH)");
		return NF_ERR_USAGE;
	}
	u->dialect = STORE_SQLITE;
	u->timeout_ms = SQLITE_DEFAULT_TIMEOUT_MS;
	u->path = xmemdup0(rest, plen);
	for (p = q ? q + 1 : NULL; p && *p; p = amp ? amp + 1 : NULL) {
		amp = strchr(p, '&');
		rc = sqlite_option(u, p, amp ? (size_t)(amp - p) : strlen(p), err, errlen);
		if (rc != NF_OK) {
			store_url_free(u);
			return rc;
		}
	}
	return NF_OK;
}

int
store_url_parse(const char *url, struct store_url *u, char *err, size_t errlen)
{
	memset(u, 0, sizeof(*u));
	if (strlen(url) > URL_MAX) {
		snprintf(err, errlen, "database URL longer than %d bytes", URL_MAX);
		return NF_ERR_USAGE;
	}
	if (starts(url, "sqlite:"))
		return parse_sqlite(url + 7, u, err, errlen);
	if (starts(url, "postgresql://") || starts(url, "postgres://")) {
		u->dialect = STORE_PG;
		u->conninfo = xstrdup(url);
		return NF_OK;
	}
	snprintf(err, errlen, "unknown database URL (want sqlite:PATH or postgresql://...)");
	return NF_ERR_USAGE;
}

void
store_url_free(struct store_url *u)
{
	free(u->path);
	free(u->conninfo);
	u->path = u->conninfo = NULL;
}
