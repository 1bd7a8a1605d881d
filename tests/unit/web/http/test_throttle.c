/* tests for web/http/throttle.c: growing delays after failed sign-ins */
#include <stdio.h>
#include <string.h>

#include "core/core.h"
#include "web/http/http.h"
#include "../../../harness.h"

TEST(signin_delays_grow_and_stop_at_the_cap)
{
	struct http_throttle_curve c = { 3, 1, 900 }, slow = { 3, 5, 900 };

	CHECK_INT(http_throttle_delay(&c, 0), 0);
	CHECK_INT(http_throttle_delay(&c, 2), 0);
	CHECK_INT(http_throttle_delay(&c, 3), 1);
	CHECK_INT(http_throttle_delay(&c, 4), 2);
	CHECK_INT(http_throttle_delay(&c, 5), 4);
	CHECK_INT(http_throttle_delay(&c, 12), 512);
	CHECK_INT(http_throttle_delay(&c, 13), 900);
	CHECK_INT(http_throttle_delay(&c, 1000000), 900);
	CHECK_INT(http_throttle_delay(&slow, 3), 5);
	CHECK_INT(http_throttle_delay(&slow, 4), 10);
	/* whole seconds: the wait runs from the end of the failure's second */
	CHECK_INT(http_throttle_left(100, 1, 100), 2);
	CHECK_INT(http_throttle_left(100, 1, 101), 1);
	CHECK_INT(http_throttle_left(100, 1, 102), 0);
	CHECK_INT(http_throttle_left(100, 0, 100), 0);
}

TEST(throttle_counts_per_key_and_forgets)
{
	struct http_throttle_curve c = { 2, 1, 900 };
	struct http_throttle *t = http_throttle_new(64, &c, 3600);

	CHECK_INT(http_throttle_wait(t, "192.0.2.1", 1000), 0);
	http_throttle_fail(t, "192.0.2.1", 1000);
	CHECK_INT(http_throttle_wait(t, "192.0.2.1", 1000), 0);	/* two tries are free */
	http_throttle_fail(t, "192.0.2.1", 1000);
	CHECK_INT(http_throttle_wait(t, "192.0.2.1", 1000), 2);
	CHECK_INT(http_throttle_wait(t, "192.0.2.1", 1001), 1);
	CHECK_INT(http_throttle_wait(t, "192.0.2.1", 1002), 0);
	CHECK_INT(http_throttle_wait(t, "192.0.2.2", 1000), 0);	/* another key */
	http_throttle_fail(t, "192.0.2.1", 1002);
	CHECK_INT(http_throttle_wait(t, "192.0.2.1", 1002), 3);
	CHECK_INT(http_throttle_wait(t, "192.0.2.1", 1002 + 3600), 0);	/* forgotten */
	http_throttle_fail(t, "192.0.2.1", 1002 + 3600);
	CHECK_INT(http_throttle_wait(t, "192.0.2.1", 1002 + 3600), 0);	/* counts from one again */
	http_throttle_free(t);
}

/* a flood of keys cannot grow the table: old entries make room */
TEST(throttle_table_is_bounded)
{
	struct http_throttle_curve c = { 1, 1, 900 };
	struct http_throttle *t = http_throttle_new(16, &c, 3600);
	char key[32];
	int i, waiting = 0;

	for (i = 0; i < 10000; i++) {
		snprintf(key, sizeof(key), "name:guess%d", i);
		http_throttle_fail(t, key, 2000 + i / 100);
	}
	for (i = 9990; i < 10000; i++) {
		snprintf(key, sizeof(key), "name:guess%d", i);
		waiting += http_throttle_wait(t, key, 2100) > 0;
	}
	CHECK(waiting > 0);	/* the newest are still counted */
	http_throttle_free(t);
}
