/*
 * addr/check.c - addr_check: one address from outside, judged and normalised
 *
 * Owns: the order of the checks and filling struct addr_result. The order
 * decides which reason a person sees when several apply, and is part of
 * the interface: injection (control characters) and undecodable bytes
 * first, then emptiness and size, then the shape of what was pasted, then
 * the local part, the domain, the total length (RFC 5321 4.5.3.1.3, on the
 * A-label form SMTP uses), and last the optional DNS check.
 *
 * Does not own: the grammars (scan.c, local.c, domain.c), hints (suggest.c),
 * DNS (dns.c), or the wording (reason.c).
 */
#include <string.h>

#include "core/core.h"
#include "addr.h"

static void
set_reason(struct addr_result *out, enum addr_reason r)
{
	out->reason = r;
	out->valid = r == ADDR_OK;
	out->code = addr_reason_code(r);
	out->message = addr_reason_message(r);
}

/* local@domain into dst; 0 when it fits, which the sizes in addr.h guarantee */
static int
join(char *dst, size_t size, struct addr_span local, const char *domain)
{
	size_t dlen = strlen(domain);

	dst[0] = '\0';
	if (local.len + 1 + dlen + 1 > size)
		return -1;
	memcpy(dst, local.p, local.len);
	dst[local.len] = '@';
	memcpy(dst + local.len + 1, domain, dlen + 1);
	return 0;
}

/* a hint for a valid address, or for one whose domain lacks only its TLD */
static void
suggest(struct addr_result *out, struct addr_span local, struct addr_span domain,
	const char *udomain)
{
	char lower[ADDR_DOMAIN_MAX + 1];
	const char *hint;
	size_t i;

	if (out->reason == ADDR_DOMAIN_NO_TLD) {
		if (domain.len >= sizeof(lower))
			return;
		for (i = 0; i < domain.len; i++)
			lower[i] = domain.p[i] >= 'A' && domain.p[i] <= 'Z' ? (char)(domain.p[i] + 32)
									      : domain.p[i];
		hint = addr_suggest(lower, domain.len);
	} else {
		hint = addr_suggest(udomain, strlen(udomain));
	}
	if (hint && local.len + 1 + strlen(hint) <= ADDR_MAX)
		join(out->suggestion, sizeof(out->suggestion), local, hint);
}

/* the syntax checks, in order; fills the result's strings when they pass */
static enum addr_reason
check_syntax(const char *input, size_t len, unsigned flags, struct addr_result *out)
{
	char alabel[ADDR_DOMAIN_MAX + 1], ulabel[ADDR_DISPLAY_SIZE - ADDR_LOCAL_MAX - 1];
	char folded[ADDR_KEY_SIZE - ADDR_DOMAIN_MAX - 1];
	struct addr_span in, local, domain, key;
	enum addr_reason r;
	int utf8;

	if ((r = addr_scan_bytes(input, len)) != ADDR_OK)
		return r;
	in = addr_scan_trim(input, len);
	if (in.len == 0)
		return ADDR_EMPTY;
	if (in.len > ADDR_INPUT_MAX)
		return ADDR_TOO_LONG;
	if ((r = addr_scan_split(in, &local, &domain)) != ADDR_OK)
		return r;
	if ((r = addr_local_parse(local, flags, &utf8)) != ADDR_OK)
		return r;
	alabel[0] = ulabel[0] = '\0';
	r = addr_domain_parse(domain, alabel, sizeof(alabel), ulabel, sizeof(ulabel));
	if (r == ADDR_OK && local.len + 1 + strlen(alabel) > ADDR_MAX)
		r = ADDR_TOO_LONG;
	set_reason(out, r);
	if (!(flags & ADDR_NO_SUGGEST))
		suggest(out, local, domain, ulabel);
	if (r != ADDR_OK)
		return r;
	if (join(out->normalized, sizeof(out->normalized), local, alabel) ||
	    join(out->display, sizeof(out->display), local, ulabel) ||
	    addr_local_key(local, folded, sizeof(folded)) != NF_OK)
		return ADDR_TOO_LONG;	/* cannot happen: see the sizes in addr.h */
	key.p = folded;
	key.len = strlen(folded);
	if (join(out->key, sizeof(out->key), key, alabel))
		return ADDR_TOO_LONG;
	out->needs_smtputf8 = utf8;
	return ADDR_OK;
}

/* addr_check_opts - validate, normalise and (optionally) ask DNS */
int
addr_check_opts(const char *input, size_t len, const struct addr_options *opts,
		struct addr_result *out)
{
	unsigned char ip[4];
	unsigned port;
	enum addr_reason r;
	const char *domain;

	memset(out, 0, sizeof(*out));
	set_reason(out, ADDR_EMPTY);
	if (opts->dns_server &&
	    addr_dns_server_parse(opts->dns_server, strlen(opts->dns_server), ip, &port))
		return NF_ERR_USAGE;
	r = check_syntax(input ? input : "", input ? len : 0, opts->flags, out);
	if (r == ADDR_OK && (opts->flags & ADDR_CHECK_MX)) {
		domain = strrchr(out->normalized, '@') + 1;
		r = addr_dns_check(domain, opts, &out->dns);
	}
	set_reason(out, r);
	if (r != ADDR_OK)
		out->normalized[0] = out->display[0] = out->key[0] = '\0';
	out->needs_smtputf8 &= r == ADDR_OK;
	return NF_OK;
}

/* addr_check - the same with the system resolver and default timeouts */
int
addr_check(const char *input, size_t len, unsigned flags, struct addr_result *out)
{
	struct addr_options opts = { 0 };

	opts.flags = flags;
	return addr_check_opts(input, len, &opts, out);
}
