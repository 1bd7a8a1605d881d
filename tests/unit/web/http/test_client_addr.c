/* tests for web/http/client_addr.c: X-Forwarded-For, client keys, connections per client */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "core/core.h"
#include "web/http/http.h"
#include "../../../harness.h"

static const char *
pick(const char *xff, int hops)
{
	static char out[HTTP_IP_MAX];

	if (http_forwarded_client(xff, strlen(xff), hops, out) != NF_OK)
		return "peer";
	return out;
}

/* HAProxy's forwardfor adds its own line after the client's: the last value wins, not the first line */
TEST(xff_rightmost_over_all_lines)
{
	/* the server joins the lines in order: "client's line,proxy's line" */
	CHECK_STR(pick("6.6.6.6,203.0.113.9", 1), "203.0.113.9");
	CHECK_STR(pick("6.6.6.6, 7.7.7.7 ,  203.0.113.9 ", 1), "203.0.113.9");
	CHECK_STR(pick("198.51.100.1", 1), "198.51.100.1");
}

/* --trusted-proxies N: the Nth from the right; fewer values than hops: the peer */
TEST(xff_hops)
{
	CHECK_STR(pick("6.6.6.6, 203.0.113.9, 10.0.0.2", 2), "203.0.113.9");
	CHECK_STR(pick("6.6.6.6, 203.0.113.9, 10.0.0.2", 3), "6.6.6.6");
	CHECK_STR(pick("203.0.113.9, 10.0.0.2", 3), "peer");
}

/* the chosen value must be an IP address; it is written canonically */
TEST(xff_validated)
{
	CHECK_STR(pick("203.0.113.9, evil<script>", 1), "peer");
	CHECK_STR(pick("203.0.113.9,", 1), "peer");
	CHECK_STR(pick("unknown", 1), "peer");
	CHECK_STR(pick("203.0.113.9:8080", 1), "peer");
	CHECK_STR(pick("1.2.3.4.5", 1), "peer");
	CHECK_STR(pick("2001:DB8:0:0::1", 1), "2001:db8::1");
	CHECK_STR(pick("", 1), "peer");
	CHECK_STR(pick("1.2.3.4", 0), "peer");
}

/* IPv6 clients are one client per /64; IPv4 (and v4-mapped) by the address */
TEST(client_key_by_64)
{
	char a[HTTP_IP_MAX], b[HTTP_IP_MAX];

	http_client_key("2001:db8:1:2:aaaa::1", a);
	http_client_key("2001:db8:1:2:ffff:1:2:3", b);
	CHECK_STR(a, "2001:db8:1:2::/64");
	CHECK_STR(a, b);
	http_client_key("2001:db8:1:3::1", b);
	CHECK(strcmp(a, b) != 0);
	http_client_key("192.0.2.7", a);
	CHECK_STR(a, "192.0.2.7");
	http_client_key("::ffff:192.0.2.7", a);
	CHECK_STR(a, "192.0.2.7");
}

/* the signup bucket counts a /64 as one client */
TEST(ratelimit_ipv6_by_64)
{
	struct http_ratelimit *rl = http_ratelimit_new(3, 1, 1024);
	char ip[64];
	int i, allowed = 0;

	for (i = 0; i < 10; i++) {
		snprintf(ip, sizeof(ip), "2001:db8:5:6::%x", i + 1);
		allowed += http_ratelimit_take(rl, ip, 1000000);
	}
	CHECK_INT(allowed, 3);
	CHECK(http_ratelimit_take(rl, "2001:db8:5:7::1", 1000000));
	http_ratelimit_free(rl);
}

static void
sa6(struct sockaddr_in6 *s, const char *ip)
{
	memset(s, 0, sizeof(*s));
	s->sin6_family = AF_INET6;
	inet_pton(AF_INET6, ip, &s->sin6_addr);
}

/* connections per client: a /64 shares one count; closing frees a place */
TEST(connlimit_by_64)
{
	struct http_connlimit *c = http_connlimit_new(64, 2);
	struct sockaddr_in6 s;
	struct sockaddr_in s4;
	unsigned char k1[16], k2[16], k3[16], k4[16];

	sa6(&s, "2001:db8:9:9::1");
	CHECK_INT(http_connlimit_key((struct sockaddr *)&s, k1), NF_OK);
	sa6(&s, "2001:db8:9:9:1234::77");
	CHECK_INT(http_connlimit_key((struct sockaddr *)&s, k2), NF_OK);
	sa6(&s, "2001:db8:9:a::1");
	CHECK_INT(http_connlimit_key((struct sockaddr *)&s, k3), NF_OK);
	memset(&s4, 0, sizeof(s4));
	s4.sin_family = AF_INET;
	inet_pton(AF_INET, "192.0.2.1", &s4.sin_addr);
	CHECK_INT(http_connlimit_key((struct sockaddr *)&s4, k4), NF_OK);
	CHECK(http_connlimit_allowed(c, k1));
	CHECK(http_connlimit_opened(c, k1));
	CHECK(http_connlimit_allowed(c, k2));
	CHECK(http_connlimit_opened(c, k2));
	CHECK(!http_connlimit_opened(c, k1));	/* past the policy beside another: not counted */
	CHECK(!http_connlimit_allowed(c, k1));	/* two from the same /64 */
	CHECK(!http_connlimit_allowed(c, k2));
	CHECK(http_connlimit_allowed(c, k3));	/* the next /64 is another client */
	CHECK(http_connlimit_allowed(c, k4));
	http_connlimit_closed(c, k1);
	CHECK(http_connlimit_allowed(c, k2));
	http_connlimit_free(c);
}

/* many clients coming and going: the table never fills with tombstones */
TEST(connlimit_churn)
{
	struct http_connlimit *c = http_connlimit_new(4, 1);
	struct sockaddr_in s4;
	unsigned char k[16];
	int i;

	memset(&s4, 0, sizeof(s4));
	s4.sin_family = AF_INET;
	for (i = 0; i < 5000; i++) {
		s4.sin_addr.s_addr = htonl(0xc0000200u + (unsigned)i);
		http_connlimit_key((struct sockaddr *)&s4, k);
		CHECK(http_connlimit_allowed(c, k));
		CHECK(http_connlimit_opened(c, k));
		CHECK(!http_connlimit_allowed(c, k));
		http_connlimit_closed(c, k);
	}
	http_connlimit_free(c);
}
