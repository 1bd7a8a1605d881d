/* tests for web/http/ratelimit.c: per-client token buckets */
#include <stdio.h>
#include <string.h>

#include "core/core.h"
#include "web/http/http.h"
#include "../../../harness.h"

TEST(ratelimit_burst_then_rate)
{
	struct http_ratelimit *rl = http_ratelimit_new(20, 1, 1024);
	int64_t t = 1000000;
	int i, allowed = 0;

	for (i = 0; i < 25; i++)
		allowed += http_ratelimit_take(rl, "192.0.2.1", t);
	CHECK_INT(allowed, 20);
	CHECK(http_ratelimit_take(rl, "192.0.2.2", t));	/* others unaffected */
	CHECK(!http_ratelimit_take(rl, "192.0.2.1", t + 500000));
	CHECK(http_ratelimit_take(rl, "192.0.2.1", t + 1000000));	/* one per second */
	CHECK(!http_ratelimit_take(rl, "192.0.2.1", t + 1000001));
	http_ratelimit_free(rl);
	rl = http_ratelimit_new(20, 0, 16);		/* rate 0: no limit */
	for (i = 0; i < 100; i++)
		CHECK(http_ratelimit_take(rl, "192.0.2.1", t));
	http_ratelimit_free(rl);
}

/* a full table reuses stale buckets instead of growing */
TEST(ratelimit_bounded_table)
{
	struct http_ratelimit *rl = http_ratelimit_new(1, 1, 8);
	char ip[32];
	int i;

	for (i = 0; i < 1000; i++) {
		snprintf(ip, sizeof(ip), "10.0.%d.%d", i / 256, i % 256);
		CHECK(http_ratelimit_take(rl, ip, 1000000 + i));
	}
	http_ratelimit_free(rl);
}
