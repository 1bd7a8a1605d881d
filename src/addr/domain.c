/*
 * addr/domain.c - the domain: RFC 5321 4.1.2 Domain, IDNA2008 via UTS #46
 *
 * Owns: turning what was typed after the @ into lower-case A-labels for SMTP
 * and U-labels for display, and every rule a domain must meet:
 *   - hostname labels: letters, digits, hyphen; no hyphen first or last;
 *     1 to 63 octets (RFC 5321 4.1.2 sub-domain, RFC 1035 2.3.4);
 *   - at most 253 octets in all, at least two labels, and a last label that
 *     is not all digits (so 192.0.2.1 is not a domain);
 *   - no address literals ([192.0.2.1], [IPv6:...]): not for signups;
 *   - Unicode labels are mapped with UTS #46 non-transitional processing
 *     (libidn2), so ß stays ß and full-width letters become ASCII; labels
 *     typed as A-labels (xn--) must decode to a valid U-label that encodes
 *     back to the same A-label (RFC 5891 5.4), which libidn2 checks.
 *
 * Labels are mapped one by one, after splitting at the four UTS #46 full
 * stops, so that a plain ASCII label is judged by hostname rules only: libidn2
 * would refuse "ab--cd", which is a good hostname that is not an IDN.
 */
#include <idn2.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"

/* one of . U+3002 U+FF0E U+FF61 at s; its length in octets, or 0 */
static size_t
full_stop_len(const char *s, size_t n)
{
	if (n >= 1 && s[0] == '.')
		return 1;
	if (n >= 3 && (!memcmp(s, "\xe3\x80\x82", 3) || !memcmp(s, "\xef\xbc\x8e", 3) ||
		       !memcmp(s, "\xef\xbd\xa1", 3)))
		return 3;
	return 0;
}

static char
lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
}

static int
is_ldh(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

/* a lower-case ASCII label: hostname rules */
static enum addr_reason
check_ascii_label(const char *s, size_t n)
{
	size_t i;

	if (n == 0)
		return ADDR_DOMAIN_LABEL;
	for (i = 0; i < n; i++)
		if (!is_ldh((unsigned char)s[i]))
			return ADDR_DOMAIN_CHAR;
	if (n > ADDR_LABEL_MAX)
		return ADDR_DOMAIN_LABEL_TOO_LONG;
	if (s[0] == '-' || s[n - 1] == '-')
		return ADDR_DOMAIN_HYPHEN;
	return ADDR_OK;
}

static enum addr_reason
idn2_reason(int rc)
{
	switch (rc) {
	case IDN2_TOO_BIG_LABEL:
	case IDN2_TOO_BIG_DOMAIN:
	case IDN2_PUNYCODE_BIG_OUTPUT:	/* the A-label would pass 63 octets */
		return ADDR_DOMAIN_LABEL_TOO_LONG;
	case IDN2_HYPHEN_STARTEND:
		return ADDR_DOMAIN_HYPHEN;
	default:
		return ADDR_DOMAIN_IDN;
	}
}

/*
 * Map one label with UTS #46 into out (lower-case ASCII, NUL-terminated).
 * A label too long to be one is refused before libidn2 sees it.
 */
static enum addr_reason
map_label(const char *s, size_t n, char out[ADDR_LABEL_MAX + 1])
{
	char in[ADDR_INPUT_MAX + 1];
	char *mapped = NULL;
	size_t mlen;
	int rc;

	if (n >= sizeof(in))
		return ADDR_DOMAIN_LABEL_TOO_LONG;
	memcpy(in, s, n);
	in[n] = '\0';
	rc = idn2_lookup_u8((const uint8_t *)in, (uint8_t **)&mapped, IDN2_NONTRANSITIONAL);
	if (rc != IDN2_OK) {
		free(mapped);
		return idn2_reason(rc);
	}
	mlen = strlen(mapped);
	if (mlen > ADDR_LABEL_MAX || memchr(mapped, '.', mlen)) {
		/* "⒈" maps to "1.": one typed label must stay one label */
		rc = mlen > ADDR_LABEL_MAX ? IDN2_TOO_BIG_LABEL : IDN2_DOT_IN_LABEL;
		free(mapped);
		return idn2_reason(rc);
	}
	memcpy(out, mapped, mlen + 1);
	free(mapped);
	return ADDR_OK;
}

static int
is_alabel(const char *s, size_t n)
{
	return n >= 4 && !memcmp(s, "xn--", 4);
}

/*
 * A typed A-label is valid when its U-label, mapped as if typed, gives the
 * same A-label back (RFC 5891 5.4). libidn2's own check of an xn-- label is
 * weaker: it accepts xn--bkv-ercha, whose U-label holds U+037A, which UTS #46
 * maps to a space and iota, so that label could never come from a U-label.
 */
static enum addr_reason
check_alabel(const char *alabel)
{
	char again[ADDR_LABEL_MAX + 1];
	char *ulabel = NULL;
	enum addr_reason r = ADDR_DOMAIN_IDN;

	if (map_label(alabel, strlen(alabel), again) != ADDR_OK || strcmp(again, alabel))
		return ADDR_DOMAIN_IDN;
	if (idn2_to_unicode_8z8z(alabel, &ulabel, 0) == IDN2_OK &&
	    map_label(ulabel, strlen(ulabel), again) == ADDR_OK && strcmp(again, alabel) == 0)
		r = ADDR_OK;
	free(ulabel);
	return r;
}

/* one label as typed, into its lower-case A-label form */
static enum addr_reason
label_to_ascii(const char *s, size_t n, char out[ADDR_LABEL_MAX + 1])
{
	enum addr_reason r;
	size_t i;

	if (n == 0)
		return ADDR_DOMAIN_LABEL;
	if (addr_has_non_ascii(s, n)) {
		if ((r = map_label(s, n, out)) != ADDR_OK)
			return r;
		if (out[0] == '\0')
			return ADDR_DOMAIN_LABEL;	/* only ignorable code points */
		return check_ascii_label(out, strlen(out));
	}
	if (n > ADDR_LABEL_MAX) {
		for (i = 0; i < n; i++)	/* a bad character is the clearer reason */
			if (!is_ldh((unsigned char)lower(s[i])))
				return ADDR_DOMAIN_CHAR;
		return ADDR_DOMAIN_LABEL_TOO_LONG;
	}
	for (i = 0; i < n; i++)
		out[i] = lower(s[i]);
	out[n] = '\0';
	if ((r = check_ascii_label(out, n)) != ADDR_OK || !is_alabel(out, n))
		return r;
	return check_alabel(out);
}

static int
all_digits(const char *s, size_t n)
{
	while (n--)
		if (*s < '0' || *s++ > '9')
			return 0;
	return 1;
}

/* the U-label form for display; the A-label form when it cannot decode */
static void
to_unicode(const char *alabel, char *ulabel, size_t usize)
{
	char *u = NULL;
	const char *src = alabel;
	size_t n;

	if (strstr(alabel, "xn--") && idn2_to_unicode_8z8z(alabel, &u, 0) == IDN2_OK &&
	    strlen(u) < usize)
		src = u;
	n = strlen(src);
	if (n < usize)	/* usize holds any A-label domain */
		memcpy(ulabel, src, n + 1);
	free(u);
}

/* addr_domain_parse - check domain; fill alabel (asize > 253) and ulabel */
enum addr_reason
addr_domain_parse(struct addr_span domain, char *alabel, size_t asize, char *ulabel,
		  size_t usize)
{
	char label[ADDR_LABEL_MAX + 1];
	size_t i = 0, start, stop = 0, n = 0, llen = 0, labels = 0;
	enum addr_reason r;

	if (domain.len == 0)
		return ADDR_DOMAIN_EMPTY;
	if (domain.p[0] == '[')
		return ADDR_ADDRESS_LITERAL;
	for (;;) {
		start = i;
		while (i < domain.len && (stop = full_stop_len(domain.p + i, domain.len - i)) == 0)
			i++;
		if ((r = label_to_ascii(domain.p + start, i - start, label)) != ADDR_OK)
			return r;
		llen = strlen(label);
		if (n + (labels > 0) + llen > ADDR_DOMAIN_MAX || n + 1 + llen >= asize)
			return ADDR_DOMAIN_TOO_LONG;
		if (labels++ > 0)
			alabel[n++] = '.';
		memcpy(alabel + n, label, llen + 1);
		n += llen;
		if (i == domain.len)
			break;
		i += stop;
		if (i == domain.len)
			return ADDR_DOMAIN_LABEL;	/* a trailing dot */
	}
	if (labels < 2)
		return ADDR_DOMAIN_NO_TLD;
	if (all_digits(label, llen))
		return ADDR_DOMAIN_NUMERIC_TLD;
	to_unicode(alabel, ulabel, usize);
	return ADDR_OK;
}
