/* tests for mail/hdr.c: RFC 5322 folding, RFC 2047 encoded-words, header injection */
#include <stdlib.h>

#include "mail/mail.h"
#include "mailtest.h"
#include "../../harness.h"

/* every line of a field within 78 (or 998 when no fold was possible), CRLF-ended */
static int
lines_ok(const struct buf *b, size_t limit)
{
	return b->len >= 2 && b->data[b->len - 2] == '\r' && b->data[b->len - 1] == '\n' &&
	       mt_longest_line(b->data, b->len) <= limit;
}

/* the field's value decoded back, compared with what went in (trimmed) */
static int
roundtrip(const struct buf *b, const char *want)
{
	char *v = mt_unfold_value(b->data, b->len);
	struct buf d;
	int ok;

	buf_init(&d, 0);
	ok = mt_decode_words(v, &d) == 0 && strcmp(d.data, want) == 0;
	if (!ok)
		printf("  decoded [%s] want [%s]\n", d.data ? d.data : "", want);
	buf_free(&d);
	free(v);
	return ok;
}

TEST(hdr_ascii_subject_as_is)
{
	struct buf b;

	buf_init(&b, 0);
	CHECK_INT(mail_hdr_text(&b, "Subject", "Is dinner ready?", 16), NF_OK);
	CHECK_STR(b.data, "Subject: Is dinner ready?\r\n");
	buf_free(&b);
}

/* RFC 5322 2.2.3: fold only at white space, so unfolding restores the text */
TEST(hdr_long_ascii_folds_at_78)
{
	const char *v = "Breaking: the quick brown fox jumps over the lazy dog while the "
			"council votes on the harbour bridge and the markets fall sharply today";
	struct buf b;

	buf_init(&b, 0);
	CHECK_INT(mail_hdr_text(&b, "Subject", v, strlen(v)), NF_OK);
	CHECK(strstr(b.data, "\r\n ") != NULL);
	CHECK(lines_ok(&b, 78));
	CHECK(roundtrip(&b, v));
	buf_free(&b);
}

/* RFC 2047 2 and 5: encoded-words of whole characters, at most 75 each */
TEST(hdr_non_ascii_encoded_words)
{
	const char *v = "Le maire de Montréal annonce la fermeture du pont Jacques Cartier "
			"pour trois jours a partir de lundi matin";
	char *value, *w;
	struct buf b;

	buf_init(&b, 0);
	CHECK_INT(mail_hdr_text(&b, "Subject", v, strlen(v)), NF_OK);
	CHECK(strstr(b.data, "=?UTF-8?Q?") != NULL);	/* mostly Latin: Q is shorter */
	CHECK(lines_ok(&b, 78));
	CHECK(roundtrip(&b, v));
	value = mt_unfold_value(b.data, b.len);
	for (w = strtok(value, " "); w; w = strtok(NULL, " ")) {
		struct buf d;

		CHECK(strlen(w) <= MAIL_EWORD_MAX);
		buf_init(&d, 0);
		CHECK(mt_decode_words(w, &d) == 0);
		CHECK_INT(mail_hdr_check(d.data, d.len), NF_OK);	/* no character cut in two */
		buf_free(&d);
	}
	free(value);
	buf_free(&b);
}

/* whichever of Q and B is shorter: B for a script that is all multi-octet */
TEST(hdr_cjk_uses_base64)
{
	const char *v = "東京で大規模な地震、交通機関に影響 政府が緊急会見を開き被害状況を発表";
	struct buf b;

	buf_init(&b, 0);
	CHECK_INT(mail_hdr_text(&b, "Subject", v, strlen(v)), NF_OK);
	CHECK(strstr(b.data, "=?UTF-8?B?") != NULL);
	CHECK(lines_ok(&b, 78));
	CHECK(roundtrip(&b, v));
	buf_free(&b);
}

/* text that looks like an encoded-word must not be decoded as one by readers */
TEST(hdr_lookalike_encoded_word_is_encoded)
{
	const char *v = "Ask =?UTF-8?Q?hello?= anything";
	struct buf b;

	buf_init(&b, 0);
	CHECK_INT(mail_hdr_text(&b, "Subject", v, strlen(v)), NF_OK);
	CHECK(strstr(b.data, "=?UTF-8?Q?hello?=") == NULL);
	CHECK(roundtrip(&b, v));
	buf_free(&b);
}

/* RFC 5322 2.1.1: a word too long for 998 octets goes as encoded-words */
TEST(hdr_never_over_998)
{
	char v[3000];
	struct buf b;

	memset(v, 'x', sizeof(v) - 1);
	v[sizeof(v) - 1] = '\0';
	v[10] = ' ';
	buf_init(&b, 0);
	CHECK_INT(mail_hdr_text(&b, "Subject", v, strlen(v)), NF_OK);
	CHECK(lines_ok(&b, 78));
	CHECK(roundtrip(&b, v));
	buf_reset(&b);
	v[900] = '\0';		/* 890 octets fit on one line: left as they are */
	CHECK_INT(mail_hdr_text(&b, "Subject", v, strlen(v)), NF_OK);
	CHECK(lines_ok(&b, MAIL_LINE_MAX));
	CHECK(strstr(b.data, "=?") == NULL);
	buf_free(&b);
}

/* header injection: CR, LF and every other control character are refused */
TEST(hdr_controls_rejected)
{
	static const char *bad[] = {
		"Hello\r\nBcc: victim@example.com", "Hello\nX: y", "Hello\rX", "tab\there",
		"nul\0x", "del\x7f", "c1 \xc2\x85 next line", "ls \xe2\x80\xa8 sep",
		"bad utf8 \xff", "overlong \xc0\xaf", "surrogate \xed\xa0\x80", "cut \xe2\x82",
	};
	static const size_t len[] = { 31, 11, 8, 8, 5, 4, 17, 9, 10, 12, 13, 6 };
	struct buf b;
	size_t i;

	buf_init(&b, 0);
	buf_puts(&b, "Keep: me\r\n");
	for (i = 0; i < NF_ARRAY_LEN(bad); i++) {
		CHECK_INT(mail_hdr_check(bad[i], len[i]), NF_ERR_INVALID);
		CHECK_INT(mail_hdr_text(&b, "Subject", bad[i], len[i]), NF_ERR_INVALID);
		CHECK_INT(mail_hdr_mailbox(&b, "From", bad[i], len[i], "a@b.example", 11),
			  NF_ERR_INVALID);
	}
	CHECK_STR(b.data, "Keep: me\r\n");	/* nothing half-written */
	buf_free(&b);
}

TEST(hdr_mailbox_forms)
{
	struct buf b;

	buf_init(&b, 0);
	CHECK_INT(mail_hdr_mailbox(&b, "From", "Joe SixPack", 11, "joe@football.example.com", 24), NF_OK);
	CHECK_STR(b.data, "From: Joe SixPack <joe@football.example.com>\r\n");
	buf_reset(&b);
	CHECK_INT(mail_hdr_mailbox(&b, "From", "Smith, \"J\"", 10, "j@x.example", 11), NF_OK);
	CHECK_STR(b.data, "From: \"Smith, \\\"J\\\"\" <j@x.example>\r\n");
	buf_reset(&b);
	CHECK_INT(mail_hdr_mailbox(&b, "To", "", 0, "reader@example.org", 18), NF_OK);
	CHECK_STR(b.data, "To: reader@example.org\r\n");
	buf_reset(&b);
	CHECK_INT(mail_hdr_mailbox(&b, "From", "Le Monde édition", 17, "alerts@example.fr", 17), NF_OK);
	CHECK_STR(b.data, "From: =?UTF-8?Q?Le_Monde_=C3=A9dition?= <alerts@example.fr>\r\n");
	buf_free(&b);
}

TEST(hdr_bad_addresses_rejected)
{
	static const char *bad[] = {
		"", "noat", "@example.com", "a@", "a b@example.com", "a@b@c", "<a@b>",
		"a@b>\r\nBcc: x@y", "a,b@c", "\"q\"@x", "é@example.com", "a;b@c",
	};
	size_t i;
	struct buf b;

	buf_init(&b, 0);
	for (i = 0; i < NF_ARRAY_LEN(bad); i++) {
		CHECK_INT(mail_hdr_addr_check(bad[i], strlen(bad[i])), NF_ERR_INVALID);
		CHECK_INT(mail_hdr_mailbox(&b, "To", "", 0, bad[i], strlen(bad[i])), NF_ERR_INVALID);
	}
	CHECK_INT(b.len, 0);
	CHECK_INT(mail_hdr_addr_check("first.last+tag@sub.example.co.uk", 32), NF_OK);
	buf_free(&b);
}

TEST(hdr_list_id_phrase)
{
	struct buf b;

	buf_init(&b, 0);
	CHECK_INT(mail_hdr_phrase_id(&b, "List-Id", "Breaking news", 13,
				     "breaking.news.example.com", 25), NF_OK);
	CHECK_STR(b.data, "List-Id: Breaking news <breaking.news.example.com>\r\n");
	CHECK_INT(mail_hdr_phrase_id(&b, "List-Id", "x", 1, "a>b", 3), NF_ERR_INVALID);
	buf_free(&b);
}
