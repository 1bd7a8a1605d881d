/* tests for core time, random, hmac, log and config */
#include <stdlib.h>
#include <unistd.h>

#include "core/core.h"
#include "../../harness.h"

TEST(time_formats_are_fixed_and_utc)
{
	char d[TIME_RFC5322_MAX], r[TIME_RFC3339_MAX];

	time_rfc5322(0, d);
	CHECK_STR(d, "Thu, 01 Jan 1970 00:00:00 +0000");
	time_rfc5322(1795921806, d);
	CHECK_STR(d, "Sun, 29 Nov 2026 03:10:06 +0000");
	time_rfc3339(1795921806, r);
	CHECK_STR(r, "2026-11-29T03:10:06Z");
}

TEST(time_rfc3339_parse_accepts_offsets_rejects_junk)
{
	time_t t;

	CHECK_INT(time_rfc3339_parse("2026-11-29T03:10:06Z", 20, &t), NF_OK);
	CHECK_INT(t, 1795921806);
	CHECK_INT(time_rfc3339_parse("2026-11-29T04:10:06.123+01:00", 29, &t), NF_OK);
	CHECK_INT(t, 1795921806);
	CHECK_INT(time_rfc3339_parse("2024-02-29T00:00:00Z", 20, &t), NF_OK);
	CHECK_INT(time_rfc3339_parse("2023-02-29T00:00:00Z", 20, &t), NF_ERR_INVALID);
	CHECK_INT(time_rfc3339_parse("2026-13-01T00:00:00Z", 20, &t), NF_ERR_INVALID);
	CHECK_INT(time_rfc3339_parse("2026-11-29T03:10:06", 19, &t), NF_ERR_INVALID);
	CHECK_INT(time_rfc3339_parse("2026-11-29T03:10:06Zx", 21, &t), NF_ERR_INVALID);
	CHECK_INT(time_rfc3339_parse("", 0, &t), NF_ERR_INVALID);
}

TEST(random_bytes_differ)
{
	unsigned char a[32], b[32];

	CHECK_INT(random_bytes(a, sizeof(a)), NF_OK);
	CHECK_INT(random_bytes(b, sizeof(b)), NF_OK);
	CHECK(memcmp(a, b, sizeof(a)) != 0);
	CHECK(random_u64() != random_u64());
}

/* RFC 4231 test case 2 */
TEST(hmac_sha256_rfc4231_case2)
{
	unsigned char mac[HMAC_SHA256_LEN];
	struct buf hex;

	hmac_sha256("Jefe", 4, "what do ya want for nothing?", 28, mac);
	buf_init(&hex, 0);
	hex_encode(&hex, mac, sizeof(mac));
	CHECK_STR(hex.data, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	buf_free(&hex);
}

TEST(ct_equal_compares_all_bytes)
{
	CHECK(ct_equal("abcd", "abcd", 4));
	CHECK(!ct_equal("abcd", "abce", 4));
	CHECK(!ct_equal("xbcd", "abcd", 4));
	CHECK(ct_equal("", "", 0));
}

TEST(config_flags_override_environment)
{
	const char *listen = "127.0.0.1:8080", *from = "default";
	long workers = 1;
	int verbose = 0;
	struct config_list keys = { 0, 0 };
	const struct config_opt opts[] = {
		{ "listen", CONFIG_STRING, &listen, "ADDR", "where to listen" },
		{ "from", CONFIG_STRING, &from, "ADDR", "sender" },
		{ "workers", CONFIG_INT, &workers, "N", "workers" },
		{ "verbose", CONFIG_BOOL, &verbose, NULL, "talk" },
		{ "dkim-key", CONFIG_LIST, &keys, "FILE", "keys" },
		{ 0, 0, 0, 0, 0 }
	};
	char *argv[] = { "serve", "--listen", "0.0.0.0:1", "pos1", "--workers=4",
			 "--verbose", "--dkim-key", "a", "--dkim-key", "b", "--", "--pos2" };
	char **pos;
	int npos;

	setenv("NEWSFLASH_LISTEN", "env:1", 1);
	setenv("NEWSFLASH_FROM", "env-from", 1);
	CHECK_INT(config_parse(opts, NF_ARRAY_LEN(argv) - 1, argv + 1, &pos, &npos), NF_OK);
	unsetenv("NEWSFLASH_LISTEN");
	unsetenv("NEWSFLASH_FROM");
	CHECK_STR(listen, "0.0.0.0:1");		/* flag wins */
	CHECK_STR(from, "env-from");		/* environment beats default */
	CHECK_INT(workers, 4);
	CHECK_INT(verbose, 1);
	CHECK_INT(keys.count, 2);
	CHECK_STR(keys.items[1], "b");
	CHECK_INT(npos, 2);
	CHECK_STR(pos[0], "pos1");
	CHECK_STR(pos[1], "--pos2");
	free(pos);
	config_list_free(&keys);
}

TEST(config_rejects_unknown_and_bad_values)
{
	long n = 0;
	const struct config_opt opts[] = {
		{ "count", CONFIG_INT, &n, "N", "count" },
		{ 0, 0, 0, 0, 0 }
	};
	char *bad1[] = { "--nope" }, *bad2[] = { "--count", "12x" }, *bad3[] = { "--count" };
	char **pos;
	int npos;

	CHECK_INT(config_parse(opts, 1, bad1, &pos, &npos), NF_ERR_USAGE);
	free(pos);
	CHECK_INT(config_parse(opts, 2, bad2, &pos, &npos), NF_ERR_USAGE);
	free(pos);
	CHECK_INT(config_parse(opts, 1, bad3, &pos, &npos), NF_ERR_USAGE);
	free(pos);
	setenv("NEWSFLASH_COUNT", "x", 1);
	CHECK_INT(config_parse(opts, 0, bad1, &pos, &npos), NF_ERR_USAGE);
	unsetenv("NEWSFLASH_COUNT");
	free(pos);
}

/* a value with a newline or quote cannot forge a second line or field */
TEST(log_escapes_values)
{
	char path[] = "/tmp/nf-log-XXXXXX";
	int fd = mkstemp(path), saved = dup(2);
	char *text;

	CHECK(fd >= 0);
	dup2(fd, 2);
	log_setup(LOG_INFO, LOG_FORMAT_TEXT);
	log_event(LOG_INFO, "test.event", "addr", "a\nlevel=error \"x\"", "n", "7", NULL);
	log_event(LOG_DEBUG, "test.hidden", NULL);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	close(fd);
	text = test_read_file(path, NULL);
	unlink(path);
	CHECK(text != NULL);
	CHECK(strstr(text, "event=test.event addr=\"a\\u000alevel=error \\\"x\\\"\" n=7\n") != NULL);
	CHECK(strstr(text, "test.hidden") == NULL);
	CHECK(strchr(text, '\n') == text + strlen(text) - 1);	/* one line */
	free(text);
}
