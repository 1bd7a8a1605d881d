/* tests for the newsroom's pieces: sign-in delays, bound CSRF tokens, the preview's MIME split, the chart, labels */
#include <string.h>

#include "core/core.h"
#include "store/store.h"
#include "web/newsroom/newsroom.h"
#include "../../harness.h"

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

TEST(csrf_bound_tokens_belong_to_their_session)
{
	unsigned char secret[32] = "a secret of thirty-two bytes....";
	struct token_key key = { secret, sizeof(secret) }, other = { (const unsigned char *)"x", 1 };
	char tok[HTTP_CSRF_TOKEN_MAX], tampered[HTTP_CSRF_TOKEN_MAX];

	http_csrf_bound_make(&key, "digest-of-session-a", tok);
	CHECK(strlen(tok) >= 32);
	CHECK(http_csrf_bound_check(&key, "digest-of-session-a", tok, strlen(tok)));
	CHECK(!http_csrf_bound_check(&key, "digest-of-session-b", tok, strlen(tok)));
	CHECK(!http_csrf_bound_check(&other, "digest-of-session-a", tok, strlen(tok)));
	CHECK(!http_csrf_bound_check(&key, "digest-of-session-a", tok, strlen(tok) - 1));
	CHECK(!http_csrf_bound_check(&key, "digest-of-session-a", NULL, 0));
	CHECK(!http_csrf_bound_check(&key, "", tok, strlen(tok)));
	memcpy(tampered, tok, strlen(tok) + 1);
	tampered[3] = tampered[3] == 'A' ? 'B' : 'A';
	CHECK(!http_csrf_bound_check(&key, "digest-of-session-a", tampered, strlen(tampered)));
}

#define MSG_HEAD "From: a@example.org\r\nContent-Type: multipart/alternative;\r\n boundary=\"=_b 1\"\r\n\r\n"

/* RFC 2045 6.7 soft breaks and =XX, 6.8 base64 across lines; CRLF becomes LF */
TEST(preview_split_decodes_both_parts)
{
	const char msg[] = MSG_HEAD
		"--=_b 1\r\nContent-Type: text/plain; charset=utf-8\r\n"
		"Content-Transfer-Encoding: quoted-printable\r\n\r\n"
		"Caf=C3=A9 a long line that was folded=\r\n here\r\nnext =3D line\r\n"
		"--=_b 1\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
		"PHA+Q2Fmw6k8L3A+\r\nCg==\r\n"
		"--=_b 1--\r\n";
	struct buf html, text;

	buf_init(&html, 0);
	buf_init(&text, 0);
	CHECK_INT(newsroom_preview_split(msg, sizeof(msg) - 1, &html, &text), NF_OK);
	CHECK_STR(text.data, "Caf\xc3\xa9 a long line that was folded here\nnext = line");
	CHECK_STR(html.data, "<p>Caf\xc3\xa9</p>\n");
	buf_free(&html);
	buf_free(&text);
}

TEST(preview_split_refuses_what_it_cannot_place)
{
	const char no_boundary[] = "Content-Type: text/plain\r\n\r\nhello\r\n";
	const char unclosed[] = MSG_HEAD "--=_b 1\r\nContent-Type: text/plain\r\n\r\nhello";
	const char text_only[] = MSG_HEAD "--=_b 1\r\nContent-Type: text/plain\r\n\r\nhi\r\n--=_b 1--\r\n";
	const char mid_line[] = MSG_HEAD "x--=_b 1\r\nContent-Type: text/plain\r\n\r\nhi\r\n";
	struct buf html, text;

	buf_init(&html, 0);
	buf_init(&text, 0);
	CHECK_INT(newsroom_preview_split(no_boundary, sizeof(no_boundary) - 1, &html, &text), NF_ERR_INVALID);
	CHECK_INT(newsroom_preview_split(unclosed, sizeof(unclosed) - 1, &html, &text), NF_ERR_INVALID);
	CHECK_INT(newsroom_preview_split(text_only, sizeof(text_only) - 1, &html, &text), NF_ERR_INVALID);
	CHECK_INT(newsroom_preview_split(mid_line, sizeof(mid_line) - 1, &html, &text), NF_ERR_INVALID);
	CHECK_INT(newsroom_preview_split("", 0, &html, &text), NF_ERR_INVALID);
	buf_free(&html);
	buf_free(&text);
}

TEST(chart_draws_three_series_as_svg)
{
	struct store_audience_day days[3] = {
		{ 1700006400, 10, 4, 0 }, { 1700092800, 0, 0, 0 }, { 1700179200, 3, 2, 7 },
	};
	struct buf svg;

	buf_init(&svg, 0);
	CHECK_INT(newsroom_chart_audience_svg(days, 3, 600, 200, &svg), NF_OK);
	CHECK(strncmp(svg.data, "<svg xmlns=\"http://www.w3.org/2000/svg\"", 39) == 0);
	CHECK(strstr(svg.data, "<title id=\"chart-title\">Audience over the last 3 days</title>") != NULL);
	CHECK(strstr(svg.data, "Per day: 13 signups, 6 confirmations and 7 unsubscribes in all.") != NULL);
	CHECK(strstr(svg.data, "data-series=\"Signups\"") != NULL);
	CHECK(strstr(svg.data, "data-series=\"Confirmations\"") != NULL);
	CHECK(strstr(svg.data, "data-series=\"Unsubscribes\"") != NULL);
	CHECK(strstr(svg.data, "<title>15 Nov: 10 Signups</title>") != NULL);	/* hover text */
	CHECK(strstr(svg.data, ">10</text>") != NULL);	/* the top of the axis is the peak */
	CHECK(strstr(svg.data, ">17 Nov</text>") != NULL);	/* the last day is labelled */
	CHECK(strstr(svg.data, "<script") == NULL && strstr(svg.data, "href") == NULL);
	CHECK(strcmp(svg.data + svg.len - 6, "</svg>") == 0);
	buf_reset(&svg);
	CHECK_INT(newsroom_chart_audience_svg(days, 0, 600, 200, &svg), NF_ERR_INVALID);
	CHECK_INT(newsroom_chart_audience_svg(days, 3, 20, 200, &svg), NF_ERR_INVALID);
	buf_free(&svg);
}

/* a quiet month draws flat lines on an axis of 0..4, without markers */
TEST(chart_of_nothing_is_flat)
{
	struct store_audience_day days[30];
	struct buf svg;
	int i;

	memset(days, 0, sizeof(days));
	for (i = 0; i < 30; i++)
		days[i].day = 1700006400 + i * 86400;
	buf_init(&svg, 0);
	CHECK_INT(newsroom_chart_audience_svg(days, 30, 720, 240, &svg), NF_OK);
	CHECK(strstr(svg.data, "<circle") == NULL);
	CHECK(strstr(svg.data, ">4</text>") != NULL);
	buf_free(&svg);
}

TEST(labels_for_people)
{
	char c[32], t[40], d[32];

	newsroom_count_label(0, c);
	CHECK_STR(c, "0");
	newsroom_count_label(999, c);
	CHECK_STR(c, "999");
	newsroom_count_label(1000, c);
	CHECK_STR(c, "1,000");
	newsroom_count_label(1234567, c);
	CHECK_STR(c, "1,234,567");
	newsroom_count_label(-4200, c);
	CHECK_STR(c, "-4,200");
	newsroom_time_label(1795921806, t);
	CHECK_STR(t, "29 Nov 2026, 03:10 UTC");
	newsroom_time_label(0, t);
	CHECK_STR(t, "\xe2\x80\x93");
	newsroom_duration_label(0, d);
	CHECK_STR(d, "under 1 s");
	newsroom_duration_label(42, d);
	CHECK_STR(d, "42 s");
	newsroom_duration_label(185, d);
	CHECK_STR(d, "3 min 5 s");
	newsroom_duration_label(7800, d);
	CHECK_STR(d, "2 h 10 min");
}
