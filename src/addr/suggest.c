/*
 * addr/suggest.c - "Did you mean ...?" for misspelt large mailbox providers
 *
 * Owns: the list of providers and the distance that makes a domain look
 * like a slip of the finger on one of them (gmial.com, hotmial.com,
 * yaho.com, gmail.con). A suggestion is a hint shown beside a valid
 * address, never a reason to refuse it: yaho.com may be someone's domain.
 *
 * The distance is optimal string alignment (Levenshtein plus swapping two
 * neighbours, the commonest typing slip), over Unicode code points so that
 * gmäil.com is one step from gmail.com. How far a domain may be grows with
 * the provider's length: one slip for short names, two from nine
 * characters; names under six characters (me.com) are too close to too
 * many real domains to suggest. Domains that are providers themselves,
 * suggested or not (mail.com is one slip from gmail.com), get no hint.
 */
#include <stdint.h>
#include <string.h>
#include <unistr.h>

#include "core/core.h"
#include "addr.h"

/* suggested when near; in rough order of size, which breaks ties */
static const char *const providers[] = {
	"gmail.com", "yahoo.com", "hotmail.com", "outlook.com", "icloud.com", "aol.com",
	"gmx.de", "gmx.net", "gmx.at", "gmx.ch", "gmx.com", "web.de", "live.com",
	"msn.com", "hotmail.co.uk", "hotmail.fr", "hotmail.de", "hotmail.it",
	"yahoo.co.uk", "yahoo.fr", "yahoo.de", "ymail.com", "googlemail.com",
	"protonmail.com", "proton.me", "t-online.de", "freenet.de", "mail.ru",
	"yandex.ru", "orange.fr", "free.fr", "laposte.net", "libero.it", "comcast.net",
	"btinternet.com", "verizon.net", "att.net",
};

/* real providers near the ones above: never "corrected" */
static const char *const also_known[] = {
	"me.com", "mac.com", "mail.com", "email.com", "gmx.fr", "gmx.us", "gmx.es",
	"aim.com", "live.co.uk", "live.fr", "live.de", "outlook.fr", "outlook.de",
	"yahoo.es", "yahoo.it", "hotmail.es", "qq.com", "163.com", "126.com", "sky.com",
	"sfr.fr", "wanadoo.fr", "bigpond.com", "shaw.ca", "rocketmail.com", "pm.me",
};

#define CP_MAX (ADDR_DOMAIN_MAX + 1)

/* decode UTF-8 into at most CP_MAX code points; -1 when longer or malformed */
static int
decode(const char *s, size_t n, ucs4_t out[CP_MAX])
{
	size_t i = 0;
	int k = 0, step;

	while (i < n) {
		if (k == CP_MAX)
			return -1;
		step = u8_mbtoucr(&out[k++], (const uint8_t *)s + i, n - i);
		if (step < 1)
			return -1;
		i += (size_t)step;
	}
	return k;
}

static int
min3(int a, int b, int c)
{
	return a < b ? (a < c ? a : c) : (b < c ? b : c);
}

/* optimal string alignment distance; b is short (a provider name) */
static int
osa_distance(const ucs4_t *a, int na, const ucs4_t *b, int nb)
{
	int d[CP_MAX + 1][32];	/* rows over a, columns over b */
	int i, j, cost;

	if (nb >= 32 || na - nb > 2 || nb - na > 2)
		return 1000;	/* further than any allowed distance */
	for (j = 0; j <= nb; j++)
		d[0][j] = j;
	for (i = 1; i <= na; i++) {
		d[i][0] = i;
		for (j = 1; j <= nb; j++) {
			cost = a[i - 1] != b[j - 1];
			d[i][j] = min3(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < d[i][j])
				d[i][j] = d[i - 2][j - 2] + 1;
		}
	}
	return d[na][nb];
}

static int
allowed_distance(size_t len)
{
	return len >= 9 ? 2 : len >= 6 ? 1 : 0;
}

static int
is_listed(const char *const *list, size_t count, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < count; i++)
		if (strlen(list[i]) == n && memcmp(list[i], s, n) == 0)
			return 1;
	return 0;
}

/*
 * A domain with no dot (john@gmail) is compared with the providers' first
 * labels, at the distance their own length allows: gmail -> gmail.com.
 */
static size_t
compared_len(const char *provider, int single_label)
{
	const char *dot = strchr(provider, '.');

	return single_label && dot ? (size_t)(dot - provider) : strlen(provider);
}

/* addr_suggest - the nearest provider within its allowed distance, or NULL */
const char *
addr_suggest(const char *domain, size_t len)
{
	ucs4_t a[CP_MAX], b[CP_MAX];
	const char *best = NULL;
	int na, nb, d, best_d = 1000, single = memchr(domain, '.', len) == NULL;
	size_t i, plen;

	if (is_listed(providers, NF_ARRAY_LEN(providers), domain, len) ||
	    is_listed(also_known, NF_ARRAY_LEN(also_known), domain, len))
		return NULL;
	if ((na = decode(domain, len, a)) < 0)
		return NULL;
	for (i = 0; i < NF_ARRAY_LEN(providers); i++) {
		plen = compared_len(providers[i], single);
		nb = decode(providers[i], plen, b);
		d = osa_distance(a, na, b, nb);
		if (d <= allowed_distance(plen) && d < best_d) {
			best = providers[i];
			best_d = d;
		}
	}
	return best;
}
