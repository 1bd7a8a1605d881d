/* tests for core/codec.c: RFC 4648 vectors, strictness, percent-encoding */
#include <stdlib.h>

#include "core/core.h"
#include "../../harness.h"

/* RFC 4648 section 10 test vectors */
static const char *const rfc4648[][2] = {
	{ "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" }, { "foo", "Zm9v" },
	{ "foob", "Zm9vYg==" }, { "fooba", "Zm9vYmE=" }, { "foobar", "Zm9vYmFy" },
};

TEST(base64_rfc4648_vectors_roundtrip)
{
	size_t i;

	for (i = 0; i < NF_ARRAY_LEN(rfc4648); i++) {
		struct buf e, d;

		buf_init(&e, 0);
		buf_init(&d, 0);
		CHECK_INT(base64_encode(&e, rfc4648[i][0], strlen(rfc4648[i][0])), NF_OK);
		CHECK_STR(e.data ? e.data : "", rfc4648[i][1]);
		CHECK_INT(base64_decode(&d, e.data ? e.data : "", e.len), NF_OK);
		CHECK_MEM(d.data ? d.data : "", d.len, rfc4648[i][0], strlen(rfc4648[i][0]));
		buf_free(&e);
		buf_free(&d);
	}
}

TEST(base64_rejects_bad_input)
{
	static const char *const bad[] = {
		"Zg=", "Zg", "Z===", "Zh==", "Zm9v!", "Zm 9v", "====", "Zm9=v"
	};
	struct buf d;
	size_t i;

	buf_init(&d, 0);
	for (i = 0; i < NF_ARRAY_LEN(bad); i++) {
		if (base64_decode(&d, bad[i], strlen(bad[i])) != NF_ERR_INVALID)
			test_fail_at(__FILE__, __LINE__, "accepted %s", bad[i]);
		CHECK_INT(d.len, 0);
	}
	buf_free(&d);
}

TEST(base64url_has_no_padding_and_url_alphabet)
{
	const unsigned char bytes[] = { 0xfb, 0xff, 0xbf };
	struct buf e, d;

	buf_init(&e, 0);
	buf_init(&d, 0);
	CHECK_INT(base64url_encode(&e, bytes, 3), NF_OK);
	CHECK_STR(e.data, "-_-_");
	buf_reset(&e);
	CHECK_INT(base64url_encode(&e, "f", 1), NF_OK);
	CHECK_STR(e.data, "Zg");
	CHECK_INT(base64url_decode(&d, "Zg", 2), NF_OK);
	CHECK_MEM(d.data, d.len, "f", 1);
	buf_reset(&d);
	CHECK_INT(base64url_decode(&d, "Zg==", 4), NF_ERR_INVALID);
	CHECK_INT(base64url_decode(&d, "Z", 1), NF_ERR_INVALID);
	CHECK_INT(base64url_decode(&d, "Zh", 2), NF_ERR_INVALID);	/* stray bits */
	CHECK_INT(base64url_decode(&d, "+/", 2), NF_ERR_INVALID);
	buf_free(&e);
	buf_free(&d);
}

TEST(base64_respects_ceiling)
{
	struct buf e;

	buf_init(&e, 7);
	CHECK_INT(base64_encode(&e, "foobar", 6), NF_ERR_LIMIT);
	CHECK_INT(e.len, 0);
	buf_free(&e);
}

TEST(hex_roundtrip_and_rejects)
{
	struct buf e, d;

	buf_init(&e, 0);
	buf_init(&d, 0);
	CHECK_INT(hex_encode(&e, "\x00\xff\x10", 3), NF_OK);
	CHECK_STR(e.data, "00ff10");
	CHECK_INT(hex_decode(&d, "00FF10", 6), NF_OK);
	CHECK_MEM(d.data, d.len, "\x00\xff\x10", 3);
	buf_reset(&d);
	CHECK_INT(hex_decode(&d, "abc", 3), NF_ERR_INVALID);
	CHECK_INT(hex_decode(&d, "zz", 2), NF_ERR_INVALID);
	CHECK_INT(d.len, 0);
	buf_free(&e);
	buf_free(&d);
}

/* dec_u64 writes what printf's %llu writes, from 0 to UINT64_MAX */
TEST(dec_u64_matches_printf)
{
	static const uint64_t v[] = { 0, 7, 9, 10, 99, 100, 12345, 4294967295u, 4294967296u,
				      10000000000000000000u, UINT64_MAX };
	char got[21], want[24];
	size_t i, n;

	for (i = 0; i < NF_ARRAY_LEN(v); i++) {
		n = dec_u64(got, v[i]);
		got[n] = '\0';
		snprintf(want, sizeof(want), "%llu", (unsigned long long)v[i]);
		CHECK_STR(got, want);
	}
}

TEST(percent_encoding_rfc3986)
{
	struct buf e, d;

	buf_init(&e, 0);
	buf_init(&d, 0);
	CHECK_INT(percent_encode(&e, "a b&c=d/é~", strlen("a b&c=d/é~")), NF_OK);
	CHECK_STR(e.data, "a%20b%26c%3Dd%2F%C3%A9~");
	CHECK_INT(percent_decode(&d, e.data, e.len, 0), NF_OK);
	CHECK_STR(d.data, "a b&c=d/é~");
	buf_reset(&d);
	CHECK_INT(percent_decode(&d, "a+b%2b", 6, 1), NF_OK);
	CHECK_STR(d.data, "a b+");
	buf_reset(&d);
	CHECK_INT(percent_decode(&d, "a+b", 3, 0), NF_OK);
	CHECK_STR(d.data, "a+b");
	buf_reset(&d);
	CHECK_INT(percent_decode(&d, "%", 1, 1), NF_ERR_INVALID);
	CHECK_INT(percent_decode(&d, "%4", 2, 1), NF_ERR_INVALID);
	CHECK_INT(percent_decode(&d, "%zz", 3, 1), NF_ERR_INVALID);
	CHECK_INT(percent_decode(&d, "", 0, 1), NF_OK);
	CHECK_INT(d.len, 0);
	/* %00 decodes to a NUL byte: callers that want text must check for it */
	CHECK_INT(percent_decode(&d, "%00", 3, 1), NF_OK);
	CHECK_INT(d.len, 1);
	buf_free(&e);
	buf_free(&d);
}
