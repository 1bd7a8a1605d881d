/*
 * smtp/dns_answer.c - read a DNS answer for direct delivery (RFC 1035 4.1, RFC 7505)
 *
 * Owns: turning the bytes a resolver sends back for an MX, A or AAAA query
 * into records: MX preference and exchange name, or an address, each with
 * its TTL, and whether the answer is a null MX (RFC 7505: one MX whose
 * exchange is the root). Names may be compressed (RFC 1035 4.1.4).
 * Does not own: asking (smtp/direct.c drives c-ares) or what the answer
 * means for a message.
 *
 * The answer comes from the network: every offset is checked against its
 * length, a compression pointer must point backwards (so no loop can be
 * built), a name is at most SMTP_DNS_NAME_MAX bytes, at most
 * SMTP_DNS_RR_MAX records are kept, and an exchange name holding anything
 * but letters, digits, '-' and '_' is skipped: it will go into a URL.
 */
#include <string.h>

#include "smtp.h"

#define DNS_HEADER 12

static unsigned
get16(const unsigned char *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static uint32_t
get32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int
host_byte(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_';
}

/*
 * read_name - the name at off: its end in the record (*next) and, when
 * out is given, its dotted form ("" for the root). NF_ERR_INVALID for a
 * name running off the end, a forward pointer, or one too long;
 * NF_ERR_NOTFOUND when it is well formed but not a host name.
 */
static int
read_name(const unsigned char *msg, size_t len, size_t off, size_t *next, char *out)
{
	size_t pos = off, n = 0, end = 0;
	int jumped = 0, host = 1;

	for (;;) {
		unsigned lab;

		if (pos >= len)
			return NF_ERR_INVALID;
		lab = msg[pos];
		if ((lab & 0xc0) == 0xc0) {
			size_t to;

			if (pos + 1 >= len)
				return NF_ERR_INVALID;
			to = (size_t)(lab & 0x3f) << 8 | msg[pos + 1];
			if (to >= pos)	/* only backwards: no loops */
				return NF_ERR_INVALID;
			if (!jumped)
				end = pos + 2;
			jumped = 1;
			pos = to;
			continue;
		}
		if (lab & 0xc0)		/* 0x40 and 0x80: extended labels, not in use */
			return NF_ERR_INVALID;
		if (lab == 0) {
			if (!jumped)
				end = pos + 1;
			break;
		}
		if (pos + 1 + lab > len || n + lab + 1 > SMTP_DNS_NAME_MAX)
			return NF_ERR_INVALID;
		if (out) {
			size_t i;

			if (n)
				out[n++] = '.';
			for (i = 0; i < lab; i++) {
				unsigned char c = msg[pos + 1 + i];

				host &= host_byte(c);
				out[n++] = (char)c;
			}
		} else
			n += lab + 1;
		pos += 1 + lab;
	}
	if (out)
		out[n] = '\0';
	*next = end;
	return host ? NF_OK : NF_ERR_NOTFOUND;
}

/* one answer record of the type asked for, into rr; NF_ERR_NOTFOUND to skip it */
static int
read_rdata(const unsigned char *msg, size_t len, size_t off, unsigned type, unsigned rdlen,
	   struct smtp_dns_rr *rr)
{
	size_t next;
	int rc;

	rr->type = (uint16_t)type;
	switch (type) {
	case SMTP_DNS_A:
		if (rdlen != 4)
			return NF_ERR_INVALID;
		memcpy(rr->addr, msg + off, 4);
		return NF_OK;
	case SMTP_DNS_AAAA:
		if (rdlen != 16)
			return NF_ERR_INVALID;
		memcpy(rr->addr, msg + off, 16);
		return NF_OK;
	case SMTP_DNS_MX:
		if (rdlen < 3)
			return NF_ERR_INVALID;
		rr->pref = (uint16_t)get16(msg + off);
		rc = read_name(msg, len, off + 2, &next, rr->name);
		if (rc == NF_OK && next != off + rdlen)
			return NF_ERR_INVALID;
		return rc;
	}
	return NF_ERR_NOTFOUND;
}

int
smtp_dns_parse(const unsigned char *msg, size_t len, unsigned qtype, struct smtp_dns_answer *out)
{
	size_t off = DNS_HEADER, next;
	unsigned qd, an, i;

	memset(out, 0, sizeof(*out));
	if (len < DNS_HEADER || !(msg[2] & 0x80))	/* QR: a response */
		return NF_ERR_INVALID;
	out->rcode = msg[3] & 0x0f;
	out->truncated = (msg[2] & 0x02) != 0;
	qd = get16(msg + 4);
	an = get16(msg + 6);
	for (i = 0; i < qd; i++) {
		if (read_name(msg, len, off, &next, NULL) == NF_ERR_INVALID || next + 4 > len)
			return NF_ERR_INVALID;
		off = next + 4;
	}
	for (i = 0; i < an; i++) {
		unsigned type, rdlen;
		uint32_t ttl;
		struct smtp_dns_rr *rr = &out->rr[out->nrr];
		int rc;

		if (read_name(msg, len, off, &next, NULL) == NF_ERR_INVALID || next + 10 > len)
			return NF_ERR_INVALID;
		type = get16(msg + next);
		ttl = get32(msg + next + 4);
		rdlen = get16(msg + next + 8);
		off = next + 10;
		if (off + rdlen > len)
			return NF_ERR_INVALID;
		if (ttl > 0x7fffffff)	/* RFC 2181 8: such a TTL means zero */
			ttl = 0;
		if (type == qtype && out->nrr < SMTP_DNS_RR_MAX) {
			rc = read_rdata(msg, len, off, type, rdlen, rr);
			if (rc == NF_ERR_INVALID)
				return rc;
			if (rc == NF_OK) {
				rr->ttl = ttl;
				if (type == SMTP_DNS_MX && rr->name[0] == '\0')
					out->null_mx = 1;
				if (out->nrr == 0 || ttl < out->ttl)
					out->ttl = ttl;
				out->nrr++;
			}
		}
		off += rdlen;	/* anything else (a CNAME on the way, signatures) is passed over */
	}
	return NF_OK;
}
