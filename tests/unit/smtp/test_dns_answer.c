/*
 * tests for smtp/dns_answer.c (RFC 1035 4.1, 4.1.4 compression, RFC 7505 null MX)
 * and direct.c's reading of "slow down" replies
 */
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "smtp/smtp_internal.h"
#include "../../harness.h"

struct msg {
	unsigned char b[1024];
	size_t n;
};

static void
put(struct msg *m, const void *p, size_t n)
{
	memcpy(m->b + m->n, p, n);
	m->n += n;
}

static void
put16(struct msg *m, unsigned v)
{
	unsigned char b[2] = { (unsigned char)(v >> 8), (unsigned char)v };

	put(m, b, 2);
}

static void
put32(struct msg *m, uint32_t v)
{
	put16(m, v >> 16);
	put16(m, v & 0xffff);
}

/* a response header and the question "a.test" (name at offset 12) */
static void
head(struct msg *m, unsigned rcode, unsigned an, unsigned qtype)
{
	m->n = 0;
	put16(m, 0x1234);
	put16(m, 0x8180 | rcode);
	put16(m, 1);
	put16(m, an);
	put16(m, 0);
	put16(m, 0);
	put(m, "\001a\004test\000", 8);
	put16(m, qtype);
	put16(m, 1);
}

/* an MX record owned by the question's name (pointer 0xc00c) */
static void
mx(struct msg *m, uint32_t ttl, unsigned pref, const char *wire, size_t wlen)
{
	put16(m, 0xc00c);
	put16(m, SMTP_DNS_MX);
	put16(m, 1);
	put32(m, ttl);
	put16(m, (unsigned)(2 + wlen));
	put16(m, pref);
	put(m, wire, wlen);
}

/* RFC 1035 4.1: each MX with its preference and its exchange, compressed or not; the smallest TTL */
TEST(dns_mx_records_and_ttl)
{
	struct msg m;
	struct smtp_dns_answer a;

	head(&m, 0, 2, SMTP_DNS_MX);
	mx(&m, 300, 20, "\003mx2\001a\004test", 12);
	mx(&m, 60, 10, "\003mx1\300\014", 6);	/* "mx1" + pointer to "a.test" */
	CHECK_INT(smtp_dns_parse(m.b, m.n, SMTP_DNS_MX, &a), NF_OK);
	CHECK_INT(a.nrr, 2);
	CHECK_INT(a.rr[0].pref, 20);
	CHECK_STR(a.rr[0].name, "mx2.a.test");
	CHECK_INT(a.rr[1].pref, 10);
	CHECK_STR(a.rr[1].name, "mx1.a.test");
	CHECK_INT(a.ttl, 60);
	CHECK_INT(a.null_mx, 0);
}

/* RFC 7505 3: "0 ." is a null MX */
TEST(dns_null_mx)
{
	struct msg m;
	struct smtp_dns_answer a;

	head(&m, 0, 1, SMTP_DNS_MX);
	mx(&m, 3600, 0, "\000", 1);
	CHECK_INT(smtp_dns_parse(m.b, m.n, SMTP_DNS_MX, &a), NF_OK);
	CHECK_INT(a.null_mx, 1);
	CHECK_STR(a.rr[0].name, "");
}

/* A and AAAA answers: the address bytes; other types passed over */
TEST(dns_addresses)
{
	struct msg m;
	struct smtp_dns_answer a;
	unsigned char v4[4] = { 127, 0, 0, 2 };

	head(&m, 0, 2, SMTP_DNS_A);
	put16(&m, 0xc00c);	/* a CNAME first, as a recursive resolver gives it */
	put16(&m, 5);
	put16(&m, 1);
	put32(&m, 10);
	put16(&m, 2);
	put16(&m, 0xc00c);
	put16(&m, 0xc00c);
	put16(&m, SMTP_DNS_A);
	put16(&m, 1);
	put32(&m, 0x80000000u);	/* RFC 2181 8: taken as zero */
	put16(&m, 4);
	put(&m, v4, 4);
	CHECK_INT(smtp_dns_parse(m.b, m.n, SMTP_DNS_A, &a), NF_OK);
	CHECK_INT(a.nrr, 1);
	CHECK_MEM(a.rr[0].addr, 4, v4, 4);
	CHECK_INT(a.ttl, 0);
}

/* hostile answers: a pointer loop, a forward pointer, a record past the end, an odd exchange name */
TEST(dns_hostile_answers)
{
	struct msg m;
	struct smtp_dns_answer a;

	head(&m, 0, 1, SMTP_DNS_MX);
	mx(&m, 60, 10, "\003mx1\300\052", 6);	/* points at itself: no loops */
	CHECK_INT(smtp_dns_parse(m.b, m.n, SMTP_DNS_MX, &a), NF_ERR_INVALID);

	head(&m, 0, 1, SMTP_DNS_MX);
	mx(&m, 60, 10, "\003mx1\001a\004test", 12);
	CHECK_INT(smtp_dns_parse(m.b, m.n - 3, SMTP_DNS_MX, &a), NF_ERR_INVALID);

	head(&m, 0, 1, SMTP_DNS_MX);
	mx(&m, 60, 10, "\005m?x/1\000", 7);	/* would go into a URL: left out */
	CHECK_INT(smtp_dns_parse(m.b, m.n, SMTP_DNS_MX, &a), NF_OK);
	CHECK_INT(a.nrr, 0);

	m.b[2] = 0;	/* a query, not a response */
	CHECK_INT(smtp_dns_parse(m.b, m.n, SMTP_DNS_MX, &a), NF_ERR_INVALID);
	CHECK_INT(smtp_dns_parse(m.b, 5, SMTP_DNS_MX, &a), NF_ERR_INVALID);
}

/* NXDOMAIN and SERVFAIL come through as the rcode */
TEST(dns_rcode)
{
	struct msg m;
	struct smtp_dns_answer a;

	head(&m, 3, 0, SMTP_DNS_MX);
	CHECK_INT(smtp_dns_parse(m.b, m.n, SMTP_DNS_MX, &a), NF_OK);
	CHECK_INT(a.rcode, 3);
	CHECK_INT(a.nrr, 0);
}

/* the providers' "slow down" replies, and what is not one */
TEST(direct_throttle_replies)
{
	CHECK(smtp_direct_is_throttle(421, "4.7.28", "Our system has detected an unusual rate"));
	CHECK(smtp_direct_is_throttle(451, "4.7.650", "The mail server has been temporarily rate limited"));
	CHECK(smtp_direct_is_throttle(421, "4.7.0", "[TSS04] Messages temporarily deferred"));
	CHECK(smtp_direct_is_throttle(421, "", "[TSS09] All messages from 192.0.2.1 will be permanently deferred"));
	CHECK(!smtp_direct_is_throttle(451, "4.3.0", "local error in processing"));
	CHECK(!smtp_direct_is_throttle(550, "5.7.1", "rate limit"));	/* 5xx stays permanent */
	CHECK(!smtp_direct_is_throttle(250, "2.0.0", "ok"));
}
