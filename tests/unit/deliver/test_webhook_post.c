/*
 * tests for one webhook request (src/deliver/webhook_post.c): the Standard
 * Webhooks signature against the specification's reference vector, the
 * body's shape, secrets, endpoint URLs and the refusal of private addresses.
 */
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "deliver/deliver.h"
#include "../../harness.h"

/*
 * The example the specification's reference libraries sign (standard-webhooks,
 * libraries: the secret, id, timestamp and payload of their test suites).
 */
TEST(hook_sign_matches_the_standard_webhooks_vector)
{
	const char *body = "{\"test\": 2432232314}";
	struct buf sig;

	buf_init(&sig, 0);
	CHECK_INT(deliver_hook_sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
				    "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body, strlen(body),
				    &sig), NF_OK);
	CHECK_STR(sig.data, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
	buf_reset(&sig);
	/* one byte of the body changed, another signature */
	CHECK_INT(deliver_hook_sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
				    "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, "{\"test\": 2432232315}",
				    strlen(body), &sig), NF_OK);
	CHECK(strcmp(sig.data, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=") != 0);
	buf_reset(&sig);
	CHECK_INT(deliver_hook_sign("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "m", 1, "x", 1, &sig),
		  NF_ERR_INVALID);
	buf_free(&sig);
}

/* a secret made here is whsec_ + base64 of 24 random bytes, and passes the check */
TEST(hook_secrets_made_and_checked)
{
	char a[DELIVER_HOOK_SECRET_MAX], b[DELIVER_HOOK_SECRET_MAX];

	deliver_hook_secret_new(a);
	deliver_hook_secret_new(b);
	CHECK(strncmp(a, "whsec_", 6) == 0);
	CHECK_INT(strlen(a), 6 + 32);
	CHECK(strcmp(a, b) != 0);
	CHECK(deliver_hook_secret_check(a) == NULL);
	CHECK(deliver_hook_secret_check("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw") == NULL);
	CHECK(deliver_hook_secret_check("whsec_short") != NULL);
	CHECK(deliver_hook_secret_check("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw") != NULL);
	CHECK(deliver_hook_secret_check("whsec_!!!!9r8GKYqrTwjUPD8ILPZIo2LaLaSw") != NULL);
}

TEST(hook_urls_checked)
{
	CHECK(deliver_hook_url_check("https://hooks.example.com/in?x=1") == NULL);
	CHECK(deliver_hook_url_check("http://127.0.0.1:8080/") == NULL);
	CHECK(deliver_hook_url_check("ftp://example.com/") != NULL);
	CHECK(deliver_hook_url_check("file:///etc/passwd") != NULL);
	CHECK(deliver_hook_url_check("https://") != NULL);
	CHECK(deliver_hook_url_check("https://user:pw@example.com/") != NULL);
	CHECK(deliver_hook_url_check("https://example.com/a b") != NULL);
	CHECK(deliver_hook_url_check("https://example.com/\r\nX: y") != NULL);
	CHECK(deliver_hook_url_check("https://example.com/#frag") != NULL);
	CHECK(deliver_hook_url_check("") != NULL);
	CHECK(deliver_hook_url_check(NULL) != NULL);
}

/* {"type", "timestamp", "data"}: ids, the detail under its name, the address only when given */
TEST(hook_payload_shape)
{
	struct store_hook_event ev = { 0 };
	struct buf b;

	buf_init(&b, 0);
	ev.type = "subscriber.confirmed";
	ev.bit = STORE_HOOK_SUB_CONFIRMED;
	ev.at = 1764547200;
	ev.subscriber_id = 42;
	ev.detail = "pending";
	deliver_hook_payload(&ev, &b);
	CHECK_STR(b.data, "{\"type\":\"subscriber.confirmed\",\"timestamp\":\"2025-12-01T00:00:00Z\","
		  "\"data\":{\"subscriber_id\":42,\"previous_status\":\"pending\"}}");
	buf_reset(&b);
	ev.type = "delivery.failed";
	ev.bit = STORE_HOOK_DELIVERY_FAILED;
	ev.alert_id = 7;
	ev.article_id = 3;
	ev.detail = "550";
	ev.email = "a\"b@example.org";
	deliver_hook_payload(&ev, &b);
	CHECK_STR(b.data, "{\"type\":\"delivery.failed\",\"timestamp\":\"2025-12-01T00:00:00Z\","
		  "\"data\":{\"alert_id\":7,\"article_id\":3,\"subscriber_id\":42,"
		  "\"email\":\"a\\\"b@example.org\",\"code\":\"550\"}}");
	buf_free(&b);
}

/* loopback and private addresses are refused unless allowed, after name resolution */
TEST(hook_private_addresses_refused_unless_allowed)
{
	struct deliver_hook_client *c = deliver_hook_client_new(0, 2000);
	struct deliver_hook_result res;
	const char *urls[] = { "http://127.0.0.1:9/", "http://localhost:9/", "http://[::1]:9/",
			       "http://169.254.169.254/latest/meta-data/", "http://10.1.2.3:9/",
			       "http://[::ffff:127.0.0.1]:9/" };
	size_t i;

	for (i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
		CHECK_INT(deliver_hook_post(c, urls[i], "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
					    "msg_1", "{}", 2, &res), NF_ERR_TEMP);
		CHECK(strstr(res.error, "private address") != NULL);
	}
	deliver_hook_client_free(c);
	/* allowed: it gets as far as the closed port */
	c = deliver_hook_client_new(1, 2000);
	CHECK_INT(deliver_hook_post(c, "http://127.0.0.1:9/", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
				    "msg_1", "{}", 2, &res), NF_ERR_TEMP);
	CHECK(strstr(res.error, "private address") == NULL);
	CHECK_INT(res.status, 0);
	deliver_hook_client_free(c);
}
