/*
 * tests for addr/: the interface around the cases in cases.tsv - the reason
 * table, pointer + length input, the uniqueness key, display round trips,
 * hints, the DNS server option and DNS failing open.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "addr/addr.h"
#include "core/core.h"
#include "../../harness.h"

/* every reason has a distinct lower_snake code and a message, found by lookup */
TEST(addr_reasons_complete_and_stable)
{
	int r, s;
	const char *c;

	CHECK_STR(addr_reason_code(ADDR_OK), "ok");
	for (r = 0; r < ADDR_REASON_COUNT; r++) {
		c = addr_reason_code((enum addr_reason)r);
		CHECK(c != NULL && *c);
		CHECK(strspn(c, "abcdefghijklmnopqrstuvwxyz_0123456789") == strlen(c));
		CHECK(strlen(addr_reason_message((enum addr_reason)r)) > 10);
		CHECK_INT(addr_reason_lookup(c), r);
		for (s = 0; s < r; s++)
			CHECK(strcmp(c, addr_reason_code((enum addr_reason)s)) != 0);
	}
	CHECK_INT(addr_reason_lookup("no_such_code"), -1);
	CHECK_STR(addr_reason_code(ADDR_NO_AT), "no_at");
	CHECK_STR(addr_reason_code(ADDR_DOMAIN_LABEL), "domain_label");
	CHECK_STR(addr_reason_code(ADDR_ADDRESS_LITERAL), "address_literal");
}

/* only len bytes are read: the buffer has no NUL and more text after */
TEST(addr_reads_pointer_and_length_only)
{
	const char text[] = "a@example.comXYZ";
	char *exact = xmalloc(13);
	struct addr_result r;

	memcpy(exact, text, 13);	/* no terminator: ASan catches a read past it */
	CHECK_INT(addr_check(exact, 13, 0, &r), NF_OK);
	CHECK(r.valid);
	CHECK_STR(r.normalized, "a@example.com");
	CHECK_INT(addr_check(text, 2, 0, &r), NF_OK);
	CHECK_STR(r.code, "domain_empty");
	CHECK_INT(addr_check(NULL, 0, 0, &r), NF_OK);
	CHECK_STR(r.code, "empty");
	free(exact);
}

/* each C0 control and DEL, at the start, inside and at the end */
TEST(addr_every_control_char_rejected)
{
	char buf[32];
	struct addr_result r;
	int c, pos;

	for (c = 0; c < 0x80; c++) {
		if (c >= 0x20 && c != 0x7f)
			continue;
		for (pos = 0; pos < 3; pos++) {
			size_t n = 0;
			const char *tail = "@example.com";

			if (pos == 0)
				buf[n++] = (char)c;
			buf[n++] = 'a';
			if (pos == 1)
				buf[n++] = (char)c;
			memcpy(buf + n, tail, strlen(tail));
			n += strlen(tail);
			if (pos == 2)
				buf[n++] = (char)c;
			addr_check(buf, n, ADDR_SMTPUTF8, &r);
			if (r.valid || strcmp(r.code, "control_char") != 0) {
				test_fail_at(__FILE__, __LINE__, "char 0x%02x at %d: %s", c, pos, r.code);
				return;
			}
			CHECK_STR(r.normalized, "");
		}
	}
}

/* one mailbox, many spellings: one key; different mailboxes differ */
TEST(addr_key_folds_case_and_needless_quotes)
{
	static const char *const same[] = {
		"John.Smith@Example.com", "john.smith@EXAMPLE.COM", "\"john.smith\"@example.com",
		"\"John.\\Smith\"@example.com", "JOHN.SMITH@example.com ",
	};
	struct addr_result a, b;
	size_t i;

	CHECK_INT(addr_check(same[0], strlen(same[0]), 0, &a), NF_OK);
	CHECK_STR(a.key, "john.smith@example.com");
	CHECK_STR(a.normalized, "John.Smith@example.com");	/* local part as typed */
	for (i = 1; i < NF_ARRAY_LEN(same); i++) {
		addr_check(same[i], strlen(same[i]), 0, &b);
		CHECK(b.valid);
		CHECK_STR(b.key, a.key);
	}
	addr_check("john.smith2@example.com", 23, 0, &b);
	CHECK(strcmp(a.key, b.key) != 0);
	addr_check("john.smith@example.org", 22, 0, &b);
	CHECK(strcmp(a.key, b.key) != 0);
}

/* U-label display and A-label normalized form check as the same address */
TEST(addr_display_round_trips)
{
	static const char *const in[] = {
		"Ann@B\303\234CHER.example", "x@xn--fa-hia.de", "x@\xe4\xbe\x8b\xe3\x81\x88.jp",
		"\"a b\"@example.com",
	};
	struct addr_result r, d, n;
	size_t i;

	for (i = 0; i < NF_ARRAY_LEN(in); i++) {
		addr_check(in[i], strlen(in[i]), 0, &r);
		CHECK(r.valid);
		addr_check(r.display, strlen(r.display), 0, &d);
		addr_check(r.normalized, strlen(r.normalized), 0, &n);
		CHECK(d.valid && n.valid);
		CHECK_STR(d.normalized, r.normalized);
		CHECK_STR(n.normalized, r.normalized);
		CHECK_STR(n.display, r.display);
		CHECK_STR(n.key, r.key);
	}
}

/* bulk mode gives the same verdict and forms as the default, only no hint */
TEST(addr_no_suggest_same_verdict)
{
	static const char *const in[] = {
		"Ann@GMIAL.com", "bob@gmail", "\"c\"@Bücher.example", "x@@y.z", "d@hotmial.com",
	};
	struct addr_result a, b;
	size_t i;

	for (i = 0; i < NF_ARRAY_LEN(in); i++) {
		CHECK_INT(addr_check(in[i], strlen(in[i]), ADDR_SMTPUTF8, &a), NF_OK);
		CHECK_INT(addr_check(in[i], strlen(in[i]), ADDR_SMTPUTF8 | ADDR_NO_SUGGEST, &b),
			  NF_OK);
		CHECK_INT(b.valid, a.valid);
		CHECK_STR(b.code, a.code);
		CHECK_STR(b.normalized, a.normalized);
		CHECK_STR(b.display, a.display);
		CHECK_STR(b.key, a.key);
		CHECK_STR(b.suggestion, "");
	}
	CHECK_INT(addr_check("Ann@GMIAL.com", 13, 0, &a), NF_OK);
	CHECK_STR(a.suggestion, "Ann@gmail.com");	/* the default still hints */
}

/* hints come from the provider list; providers themselves get none */
TEST(addr_suggest_providers)
{
	CHECK(addr_suggest("gmail.com", 9) == NULL);
	CHECK(addr_suggest("mail.com", 8) == NULL);
	CHECK_STR(addr_suggest("gmial.com", 9), "gmail.com");
	CHECK_STR(addr_suggest("hotmial.com", 11), "hotmail.com");
	CHECK_STR(addr_suggest("yaho.com", 8), "yahoo.com");
	CHECK_STR(addr_suggest("gmx.dee", 7), "gmx.de");
	CHECK_STR(addr_suggest("gmail", 5), "gmail.com");
	CHECK(addr_suggest("gmial", 5) == NULL);	/* too short to guess */
	CHECK(addr_suggest("example.com", 11) == NULL);
	CHECK(addr_suggest("m.com", 5) == NULL);
	CHECK(addr_suggest("\xff", 1) == NULL);
}

TEST(addr_dns_server_parse_strict)
{
	unsigned char ip[4];
	unsigned port;

	CHECK_INT(addr_dns_server_parse("127.0.0.1:5353", 14, ip, &port), NF_OK);
	CHECK_INT(port, 5353);
	CHECK_INT(ip[0], 127);
	CHECK_INT(ip[3], 1);
	CHECK_INT(addr_dns_server_parse("192.0.2.1", 9, ip, &port), NF_OK);
	CHECK_INT(port, 53);
	CHECK_INT(addr_dns_server_parse("192.0.2.1:", 10, ip, &port), NF_ERR_INVALID);
	CHECK_INT(addr_dns_server_parse("192.0.2.1:0", 11, ip, &port), NF_ERR_INVALID);
	CHECK_INT(addr_dns_server_parse("192.0.2.1:65536", 15, ip, &port), NF_ERR_INVALID);
	CHECK_INT(addr_dns_server_parse("192.0.2.1:53x", 13, ip, &port), NF_ERR_INVALID);
	CHECK_INT(addr_dns_server_parse("localhost:53", 12, ip, &port), NF_ERR_INVALID);
	CHECK_INT(addr_dns_server_parse("[::1]:53", 8, ip, &port), NF_ERR_INVALID);
	CHECK_INT(addr_dns_server_parse("", 0, ip, &port), NF_ERR_INVALID);
	CHECK_INT(addr_dns_server_parse("1.2.3.4:99999999999999999999", 28, ip, &port),
		  NF_ERR_INVALID);
}

/* a UDP port on the loopback that nobody listens on now */
static unsigned
closed_udp_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    getsockname(fd, (struct sockaddr *)&sa, &len))
		return 0;
	close(fd);
	return ntohs(sa.sin_port);
}

/* no answer from DNS says nothing about the address: it stays valid */
TEST(addr_dns_fails_open)
{
	struct addr_options opts = { .flags = ADDR_CHECK_MX, .dns_timeout = 1, .dns_tries = 1 };
	struct addr_result r;
	char server[32];
	unsigned port = closed_udp_port();

	CHECK(port != 0);
	snprintf(server, sizeof(server), "127.0.0.1:%u", port);
	opts.dns_server = server;
	CHECK_INT(addr_check_opts("a@example.com", 13, &opts, &r), NF_OK);
	CHECK(r.valid);
	CHECK_INT(r.dns, ADDR_DNS_TEMPFAIL);
	CHECK_STR(r.normalized, "a@example.com");
	/* a syntax failure never reaches DNS */
	CHECK_INT(addr_check_opts("a@localhost", 11, &opts, &r), NF_OK);
	CHECK_STR(r.code, "domain_no_tld");
	CHECK_INT(r.dns, ADDR_DNS_UNCHECKED);
	opts.dns_server = "not-an-ip";
	CHECK_INT(addr_check_opts("a@example.com", 13, &opts, &r), NF_ERR_USAGE);
	CHECK(!r.valid);
}
