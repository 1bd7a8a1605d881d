/* tests for the newsroom's pieces: the preview's MIME split, the chart, labels */
#include <string.h>

#include "core/core.h"
#include "store/store.h"
#include "web/newsroom/newsroom.h"
#include "../../../harness.h"

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
	CHECK_INT(newsroom_chart_audience_svg(days, 3, 600, 200, "chart", &svg), NF_OK);
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
	CHECK_INT(newsroom_chart_audience_svg(days, 0, 600, 200, "chart", &svg), NF_ERR_INVALID);
	CHECK_INT(newsroom_chart_audience_svg(days, 3, 20, 200, "chart", &svg), NF_ERR_INVALID);
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
	CHECK_INT(newsroom_chart_audience_svg(days, 30, 720, 240, "chart", &svg), NF_OK);
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

/* a test's desk addresses: separated by commas, semicolons or blanks, each checked, each once */
TEST(desk_addresses_are_split_checked_and_kept_once)
{
	static const char several[] = "desk@news.example, Chief@News.example;desk@news.example\n night@news.example";
	struct newsroom_desk desk;
	char why[256], many[512];
	int i, n = 0;

	CHECK_INT(newsroom_desk_parse(several, sizeof(several) - 1, &desk, why, sizeof(why)), NF_OK);
	CHECK_INT(desk.n, 3);
	CHECK_STR(desk.addr[0], "desk@news.example");
	CHECK_STR(desk.addr[1], "Chief@news.example");
	CHECK_STR(desk.addr[2], "night@news.example");
	CHECK_INT(newsroom_desk_parse("desk@news.example, nope", 23, &desk, why, sizeof(why)), NF_ERR_INVALID);
	CHECK(strncmp(why, "\"nope\" is not an email address: ", 32) == 0);
	CHECK_INT(newsroom_desk_parse(" , ;", 4, &desk, why, sizeof(why)), NF_ERR_INVALID);
	CHECK_STR(why, "Please give at least one desk address for the test");
	for (i = 0; i <= NEWSROOM_DESK_MAX; i++)
		n += snprintf(many + n, sizeof(many) - (size_t)n, "d%d@news.example ", i);
	CHECK_INT(newsroom_desk_parse(many, (size_t)n, &desk, why, sizeof(why)), NF_ERR_LIMIT);
	CHECK_STR(why, "A test goes to at most 10 desk addresses");
}
