/* tests for mail/body.c: RFC 2045 6.7 quoted-printable, 6.8 base64, the choice */
#include <stdlib.h>

#include "mail/mail.h"
#include "mailtest.h"
#include "../../harness.h"

static int
qp_is(const char *in, const char *want)
{
	struct buf b;
	int ok;

	buf_init(&b, 0);
	ok = mail_qp_encode(&b, in, strlen(in)) == NF_OK && strcmp(b.data ? b.data : "", want) == 0;
	if (!ok)
		printf("  qp(%s) = [%s] want [%s]\n", in, b.data, want);
	buf_free(&b);
	return ok;
}

TEST(qp_rules)
{
	CHECK(qp_is("a=b", "a=3Db"));
	CHECK(qp_is("caf\xc3\xa9\n", "caf=C3=A9\r\n"));
	CHECK(qp_is("end \nx\r\n", "end=20\r\nx\r\n"));		/* rule 3: no space at a line's end */
	CHECK(qp_is("a  b\tc", "a =20b=09c"));			/* relaxed canonical: no runs, no TAB */
	CHECK(qp_is("From here\n.dot\n", "=46rom here\r\n=2Edot\r\n"));
	CHECK(qp_is("bare\rcr", "bare=0Dcr"));
	CHECK(qp_is("", ""));
}

/* lines of at most 76, soft breaks only, decoding gives back the text */
TEST(qp_long_lines_and_roundtrip)
{
	struct buf in, out, dec;
	unsigned seed = 7;
	int round, i;

	for (round = 0; round < 300; round++) {
		buf_init(&in, 0);
		buf_init(&out, 0);
		buf_init(&dec, 0);
		for (i = 0; i < 1 + round * 3; i++) {
			static const char pool[] = "ab =\t.F\xc3\xa9xyz  ";
			char c;

			seed = seed * 1103515245 + 12345;
			c = pool[(seed >> 16) % (sizeof(pool) - 1)];
			if ((seed >> 8) % 41 == 0)
				c = '\n';
			buf_putc(&in, c);
		}
		buf_puts(&in, "z\n");	/* a body part that ends with a line of text */
		CHECK_INT(mail_qp_encode(&out, in.data, in.len), NF_OK);
		CHECK(mt_longest_line(out.data, out.len) <= 76);
		CHECK(mail_canon_body_is_canonical(out.data, out.len));
		CHECK_INT(mt_qp_decode(out.data, out.len, &dec), 0);
		{
			size_t crlf_len;
			char *want = mt_crlf(in.data, in.len, &crlf_len);

			CHECK_MEM(dec.data, dec.len, want, crlf_len);
			free(want);
		}
		buf_free(&in);
		buf_free(&out);
		buf_free(&dec);
	}
}

TEST(base64_lines)
{
	unsigned char raw[200];
	struct buf b, d;
	size_t i, n;

	for (i = 0; i < sizeof(raw); i++)
		raw[i] = (unsigned char)(i * 7);
	for (n = 0; n <= sizeof(raw); n += 19) {
		buf_init(&b, 0);
		CHECK_INT(mail_b64_encode_lines(&b, raw, n), NF_OK);
		CHECK_INT(b.len, mail_b64_lines_len(n));
		CHECK(mt_longest_line(b.data ? b.data : "", b.len) <= 76);
		buf_init(&d, 0);
		for (i = 0; i < b.len; i += 78)
			CHECK_INT(base64_decode(&d, b.data + i, b.len - i >= 78 ? 76 : b.len - i - 2), NF_OK);
		CHECK_MEM(d.data ? d.data : "", d.len, raw, n);
		buf_free(&d);
		buf_free(&b);
	}
	buf_init(&b, 0);
	mail_b64_encode_lines(&b, raw, 57);
	CHECK_INT(b.len, 78);
	buf_free(&b);
}

/* the smaller encoding wins: QP for English, base64 for Japanese */
TEST(body_encode_picks_smaller)
{
	const char *en = "The council voted tonight to close the bridge.\nMore soon.\n";
	const char *ja = "東京で大規模な地震、交通機関に影響。政府が緊急会見を開き被害状況を発表した。\n";
	enum mail_cte cte;
	struct buf b;

	buf_init(&b, 0);
	CHECK_INT(mail_body_encode(&b, en, strlen(en), &cte), NF_OK);
	CHECK_INT(cte, MAIL_CTE_QP);
	CHECK_STR(mail_cte_name(cte), "quoted-printable");
	buf_reset(&b);
	CHECK_INT(mail_body_encode(&b, ja, strlen(ja), &cte), NF_OK);
	CHECK_INT(cte, MAIL_CTE_BASE64);
	CHECK_INT(b.len, mail_b64_lines_len(strlen(ja)));
	buf_free(&b);
}

/* a ceiling on the output buffer is an error, and leaves it as it was */
TEST(body_encode_respects_ceiling)
{
	char big[4000];
	enum mail_cte cte;
	struct buf b;

	memset(big, 'a', sizeof(big));
	buf_init(&b, 1000);
	buf_puts(&b, "keep");
	CHECK_INT(mail_body_encode(&b, big, sizeof(big), &cte), NF_ERR_LIMIT);
	CHECK_STR(b.data, "keep");
	buf_free(&b);
}

/* under a ceiling too tight for the worst case, a text that fits encodes the same */
TEST(qp_tight_ceiling_same_bytes)
{
	const char *in = "A line with = signs, caf\xc3\xa9 and  two spaces that runs on past seventy-six.\n";
	struct buf roomy, tight;

	buf_init(&roomy, 0);
	buf_init(&tight, 120);		/* below 4n + 3 for this text, above its encoding */
	CHECK_INT(mail_qp_encode(&roomy, in, strlen(in)), NF_OK);
	CHECK_INT(mail_qp_encode(&tight, in, strlen(in)), NF_OK);
	CHECK(roomy.len <= 120 && 4 * strlen(in) + 3 > 120);
	CHECK_MEM(tight.data, tight.len, roomy.data, roomy.len);
	buf_free(&roomy);
	buf_free(&tight);
}
