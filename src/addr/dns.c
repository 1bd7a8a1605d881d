/*
 * addr/dns.c - does the domain take mail? (RFC 5321 5.1, RFC 7505 null MX)
 *
 * Owns: the optional deliverability check. A domain takes mail when it has
 * MX records, or, having none, an A or AAAA record (the implicit MX of RFC
 * 5321 5.1). It does not when the name does not exist (NXDOMAIN), when it
 * publishes a null MX ("0 ." RFC 7505 section 3: "this domain accepts no
 * mail"), or when it has neither MX nor address records.
 *
 * A resolver that does not answer in time, or answers SERVFAIL/REFUSED,
 * tells nothing about the address: that is ADDR_DNS_TEMPFAIL and the
 * address stays valid. Deciding a reader's address is bad because our DNS
 * is down would be the one mistake this module must not make.
 *
 * Uses the system resolver (libresolv), one private res_state per call, so
 * it is thread-safe. A chosen server (tests, or a resolver on the loopback)
 * replaces the configured ones: IPv4 address and port.
 */
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netdb.h>
#include <netinet/in.h>
#include <resolv.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "addr.h"

#define ANSWER_MAX 8192		/* larger answers are truncated and retried over TCP */

enum lookup {
	LOOKUP_FOUND,		/* records of the type asked for */
	LOOKUP_NULL_MX,		/* an MX whose exchange is the root */
	LOOKUP_NODATA,		/* the name exists; no records of the type */
	LOOKUP_NXDOMAIN,
	LOOKUP_TEMPFAIL,
};

/* addr_dns_server_parse - dotted IPv4 with an optional :port (default 53) */
int
addr_dns_server_parse(const char *s, size_t len, unsigned char ip[4], unsigned *port)
{
	char host[INET_ADDRSTRLEN];
	const char *colon = memchr(s, ':', len);
	size_t hlen = colon ? (size_t)(colon - s) : len, i;
	unsigned long p = 0;

	if (hlen == 0 || hlen >= sizeof(host))
		return NF_ERR_INVALID;
	memcpy(host, s, hlen);
	host[hlen] = '\0';
	if (inet_pton(AF_INET, host, ip) != 1)
		return NF_ERR_INVALID;
	*port = 53;
	if (colon == NULL)
		return NF_OK;
	if (colon + 1 == s + len)
		return NF_ERR_INVALID;
	for (i = hlen + 1; i < len; i++) {
		if (s[i] < '0' || s[i] > '9' || (p = p * 10 + (unsigned)(s[i] - '0')) > 65535)
			return NF_ERR_INVALID;
	}
	if (p == 0)
		return NF_ERR_INVALID;
	*port = (unsigned)p;
	return NF_OK;
}

static int
resolver_open(struct __res_state *rs, const struct addr_options *opts)
{
	unsigned char ip[4];
	unsigned port;

	memset(rs, 0, sizeof(*rs));
	if (res_ninit(rs) != 0)
		return NF_ERR;
	rs->retrans = opts->dns_timeout > 0 ? opts->dns_timeout : 2;
	rs->retry = opts->dns_tries > 0 ? opts->dns_tries : 2;
	rs->options &= ~(unsigned long)(RES_DNSRCH | RES_DEFNAMES);	/* the name as given */
	if (opts->dns_server == NULL)
		return NF_OK;
	if (addr_dns_server_parse(opts->dns_server, strlen(opts->dns_server), ip, &port)) {
		res_nclose(rs);
		return NF_ERR_USAGE;
	}
	/* res_ninit has no port setting: replace the server list in place */
	memset(&rs->nsaddr_list[0], 0, sizeof(rs->nsaddr_list[0]));
	rs->nsaddr_list[0].sin_family = AF_INET;
	rs->nsaddr_list[0].sin_port = htons((uint16_t)port);
	memcpy(&rs->nsaddr_list[0].sin_addr, ip, 4);
	rs->nscount = 1;
	return NF_OK;
}

/* is this MX's exchange the root name (a null MX)? */
static int
mx_is_null(const ns_msg *msg, const ns_rr *rr)
{
	char name[NS_MAXDNAME];

	if (ns_rr_rdlen(*rr) < 3)
		return 0;
	if (dn_expand(ns_msg_base(*msg), ns_msg_end(*msg), ns_rr_rdata(*rr) + 2, name,
		      sizeof(name)) < 0)
		return 0;
	return name[0] == '\0' || strcmp(name, ".") == 0;
}

/* count the answers of the type asked for (a CNAME chain may come first) */
static enum lookup
read_answers(const unsigned char *ans, int len, int type)
{
	ns_msg msg;
	ns_rr rr;
	int i, found = 0, null_mx = 0;

	if (ns_initparse(ans, len, &msg) < 0)
		return LOOKUP_TEMPFAIL;
	for (i = 0; i < ns_msg_count(msg, ns_s_an); i++) {
		if (ns_parserr(&msg, ns_s_an, i, &rr) < 0)
			return LOOKUP_TEMPFAIL;
		if ((int)ns_rr_type(rr) != type)
			continue;
		found++;
		if (type == ns_t_mx && mx_is_null(&msg, &rr))
			null_mx++;
	}
	if (null_mx)
		return LOOKUP_NULL_MX;	/* RFC 7505: a null MX stands alone; any is a "no" */
	return found ? LOOKUP_FOUND : LOOKUP_NODATA;
}

static enum lookup
lookup(struct __res_state *rs, const char *domain, int type, unsigned char *ans)
{
	int n = res_nquery(rs, domain, ns_c_in, type, ans, ANSWER_MAX);

	if (n < 0) {
		switch (rs->res_h_errno) {
		case HOST_NOT_FOUND:
			return LOOKUP_NXDOMAIN;
		case NO_DATA:
			return LOOKUP_NODATA;
		default:	/* TRY_AGAIN (timeout, SERVFAIL), NO_RECOVERY (REFUSED) */
			return LOOKUP_TEMPFAIL;
		}
	}
	return read_answers(ans, n < ANSWER_MAX ? n : ANSWER_MAX, type);
}

/* MX first; without MX, an A or AAAA record is the implicit MX */
static enum addr_reason
judge(struct __res_state *rs, const char *domain, unsigned char *ans,
      enum addr_dns_status *status)
{
	static const int fallback[] = { ns_t_a, ns_t_aaaa };
	enum lookup l = lookup(rs, domain, ns_t_mx, ans);
	size_t i;

	*status = ADDR_DNS_REJECTED;
	if (l == LOOKUP_FOUND) {
		*status = ADDR_DNS_MX;
		return ADDR_OK;
	}
	if (l == LOOKUP_NULL_MX)
		return ADDR_DOMAIN_NULL_MX;
	if (l == LOOKUP_NXDOMAIN)
		return ADDR_DOMAIN_NOT_FOUND;
	for (i = 0; l == LOOKUP_NODATA && i < NF_ARRAY_LEN(fallback); i++) {
		l = lookup(rs, domain, fallback[i], ans);
		if (l == LOOKUP_FOUND) {
			*status = ADDR_DNS_ADDRESS;
			return ADDR_OK;
		}
	}
	if (l == LOOKUP_TEMPFAIL) {
		*status = ADDR_DNS_TEMPFAIL;
		return ADDR_OK;
	}
	return l == LOOKUP_NXDOMAIN ? ADDR_DOMAIN_NOT_FOUND : ADDR_DOMAIN_NO_MAIL;
}

/* addr_dns_check - whether a valid A-label domain takes mail */
enum addr_reason
addr_dns_check(const char *domain, const struct addr_options *opts,
	       enum addr_dns_status *status)
{
	struct __res_state rs;
	unsigned char *ans;
	enum addr_reason r;

	*status = ADDR_DNS_TEMPFAIL;
	if (resolver_open(&rs, opts) != NF_OK)
		return ADDR_OK;
	ans = xmalloc(ANSWER_MAX);
	r = judge(&rs, domain, ans, status);
	free(ans);
	res_nclose(&rs);
	return r;
}
