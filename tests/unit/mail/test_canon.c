/* tests for mail/canon.c: RFC 6376 3.4.2 and 3.4.4 relaxed canonicalization, field lookup */
#include "mail/mail.h"
#include "../../harness.h"

/* RFC 6376 3.4.6, the header example */
TEST(canon_header_rfc_example)
{
	struct buf b;

	buf_init(&b, 0);
	CHECK_INT(mail_canon_header(&b, "A: X\r\n", 6), NF_OK);
	CHECK_INT(mail_canon_header(&b, "B : Y\t\r\n\tZ  \r\n", 14), NF_OK);
	CHECK_STR(b.data, "a:X\r\nb:Y Z\r\n");
	buf_reset(&b);
	CHECK_INT(mail_canon_header(&b, "SubJect:\r\n  Hello   \t world ", 28), NF_OK);
	CHECK_STR(b.data, "subject:Hello world\r\n");
	buf_reset(&b);
	CHECK_INT(mail_canon_header(&b, "h: from : to", 12), NF_OK);
	CHECK_STR(b.data, "h:from : to\r\n");
	CHECK_INT(mail_canon_header(&b, "no colon", 8), NF_ERR_INVALID);
	buf_free(&b);
}

/* RFC 6376 3.4.6, the body example */
TEST(canon_body_rfc_example)
{
	const char *in = " C \r\nD \t E\r\n\r\n\r\n";
	struct buf b;

	buf_init(&b, 0);
	CHECK_INT(mail_canon_body(&b, in, strlen(in)), NF_OK);
	CHECK_STR(b.data, " C\r\nD E\r\n");
	CHECK(!mail_canon_body_is_canonical(in, strlen(in)));
	CHECK(mail_canon_body_is_canonical(b.data, b.len));
	buf_free(&b);
}

/* empty lines in the middle stay, a missing final CRLF is added, empty stays empty */
TEST(canon_body_edges)
{
	struct buf b;
	unsigned char h[32];
	struct buf e;

	buf_init(&b, 0);
	CHECK_INT(mail_canon_body(&b, "a\r\n\r\n \r\nb", 9), NF_OK);
	CHECK_STR(b.data, "a\r\n\r\n\r\nb\r\n");
	buf_reset(&b);
	CHECK_INT(mail_canon_body(&b, "\r\n\r\n  \r\n", 8), NF_OK);
	CHECK_INT(b.len, 0);
	/* the README's empty-body hash (RFC 4871 errata 1376) */
	CHECK_INT(mail_dkim_body_hash("\r\n", 2, h), NF_OK);
	buf_init(&e, 0);
	base64_encode(&e, h, 32);
	CHECK_STR(e.data, "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
	CHECK(mail_canon_body_is_canonical("", 0));
	CHECK(!mail_canon_body_is_canonical("\r\n", 2));
	CHECK(!mail_canon_body_is_canonical("a\nb\r\n", 5));
	CHECK(!mail_canon_body_is_canonical("a\r\n\r\n", 5));
	CHECK(!mail_canon_body_is_canonical("a", 1));
	CHECK(mail_canon_body_is_canonical("a b\r\n\r\nc\r\n", 10));
	buf_free(&e);
	buf_free(&b);
}

TEST(canon_split_and_find_bottom_up)
{
	const char *m = "From: a\r\nX: 1\r\nFrom: b\r\n c\r\nTo: d\r\n\r\nbody\r\n";
	const char *f;
	size_t hlen, body, flen;

	mail_msg_split(m, strlen(m), &hlen, &body);
	CHECK_INT(hlen, 35);
	CHECK_STR(m + body, "body\r\n");
	CHECK_INT(mail_msg_header_find(m, hlen, "from", 0, &f, &flen), NF_OK);
	CHECK_MEM(f, flen, "From: b\r\n c\r\n", 13);
	CHECK_INT(mail_msg_header_find(m, hlen, "FROM", 1, &f, &flen), NF_OK);
	CHECK_MEM(f, flen, "From: a\r\n", 9);
	CHECK_INT(mail_msg_header_find(m, hlen, "from", 2, &f, &flen), NF_ERR_NOTFOUND);
	CHECK_INT(mail_msg_header_find(m, hlen, "fro", 0, &f, &flen), NF_ERR_NOTFOUND);
	mail_msg_split("A: b\r\n", 6, &hlen, &body);
	CHECK_INT(hlen, 6);
	CHECK_INT(body, 6);
}
