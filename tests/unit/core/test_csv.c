/* tests for core/csv.c: CSV records (RFC 4180 section 2) in and out */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/core.h"
#include "../../harness.h"

/* one input, parsed as if it were a whole file; want is the fields joined by | */
static const struct {
	const char *name, *in;
	int rc;
	const char *want;
	size_t used;
	long lines;
} parse_cases[] = {
	/* 2.1 records end at a line break; a bare LF is accepted too */
	{ "crlf", "a,b,c\r\nnext", CSV_RECORD, "a|b|c", 7, 1 },
	{ "lf", "a,b\nnext", CSV_RECORD, "a|b", 4, 1 },
	/* 2.2 the last record may have no line break */
	{ "last_without_newline", "a,b", CSV_RECORD, "a|b", 3, 0 },
	{ "empty_fields", ",,", CSV_RECORD, "||", 2, 0 },
	{ "empty_line", "\n", CSV_RECORD, "", 1, 1 },
	/* 2.5 fields may be quoted */
	{ "quoted", "\"a\",\"b c\"\n", CSV_RECORD, "a|b c", 10, 1 },
	/* 2.6 quoted fields hold commas and line breaks */
	{ "quoted_comma", "\"Smith, Jo\",x\n", CSV_RECORD, "Smith, Jo|x", 14, 1 },
	{ "quoted_newline", "\"two\nlines\",y\r\n", CSV_RECORD, "two\nlines|y", 15, 2 },
	/* 2.7 a quote inside a quoted field is doubled */
	{ "doubled_quote", "\"say \"\"hi\"\"\"\n", CSV_RECORD, "say \"hi\"", 13, 1 },
	{ "quoted_empty", "\"\",x", CSV_RECORD, "|x", 4, 0 },
	{ "quote_closes_at_end", "a,\"b\"", CSV_RECORD, "a|b", 5, 0 },
	{ "crlf_after_quote", "\"a\"\r\n", CSV_RECORD, "a", 5, 1 },
	{ "spaces_kept", " a , b ", CSV_RECORD, " a | b ", 7, 0 },
	{ "utf8", "j\xc3\xb6rg@example.org,J\xc3\xb6rg\n", CSV_RECORD,
	  "j\xc3\xb6rg@example.org|J\xc3\xb6rg", 24, 1 },
	/* malformed records are reported and passed over to the end of their line */
	{ "stray_quote", "a\"b,c\nnext", CSV_BAD, NULL, 6, 1 },
	{ "text_after_quote", "\"a\"b,c\nnext", CSV_BAD, NULL, 7, 1 },
	{ "never_closed", "\"abc,def\n", CSV_BAD, NULL, 9, 1 },
	{ "too_many_fields", "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17\nx", CSV_BAD, NULL, 42, 1 },
	{ "nothing", "", CSV_END, NULL, 0, 0 },
};

static void
joined(const struct csv_record *r, struct buf *out)
{
	size_t i;

	buf_reset(out);
	for (i = 0; i < r->nfields; i++) {
		if (i)
			buf_putc(out, '|');
		buf_append(out, r->field[i], r->len[i]);
		if (strlen(r->field[i]) != r->len[i])
			buf_puts(out, "<len mismatch>");
	}
}

TEST(csv_parse_rfc4180_cases)
{
	struct csv_record rec;
	struct buf got;
	char detail[256];
	size_t i, used;
	long lines;
	int rc;

	csv_record_init(&rec);
	buf_init(&got, 0);
	for (i = 0; i < NF_ARRAY_LEN(parse_cases); i++) {
		rc = csv_parse(parse_cases[i].in, strlen(parse_cases[i].in), 1, &rec, &used,
			       &lines);
		joined(&rec, &got);
		snprintf(detail, sizeof(detail), "rc %d used %zu lines %ld fields [%s]", rc, used,
			 lines, got.data ? got.data : "");
		test_case_result(parse_cases[i].name,
				 rc == parse_cases[i].rc && used == parse_cases[i].used &&
				 lines == parse_cases[i].lines &&
				 (parse_cases[i].want == NULL ||
				  strcmp(got.data ? got.data : "", parse_cases[i].want) == 0),
				 detail);
	}
	buf_free(&got);
	csv_record_free(&rec);
}

/* a record cut at any byte asks for more instead of guessing */
TEST(csv_parse_waits_for_the_rest_of_a_record)
{
	static const char in[] = "\"quoted, \"\"field\"\"\r\nwith newline\",second\r\n";
	struct csv_record rec;
	size_t cut, used;
	long lines;

	csv_record_init(&rec);
	for (cut = 0; cut < sizeof(in) - 2; cut++)
		CHECK_INT(csv_parse(in, cut, 0, &rec, &used, &lines), CSV_NEED_MORE);
	CHECK_INT(csv_parse(in, sizeof(in) - 1, 0, &rec, &used, &lines), CSV_RECORD);
	CHECK_INT(used, sizeof(in) - 1);
	CHECK_INT(lines, 2);
	CHECK_INT(rec.nfields, 2);
	CHECK_STR(rec.field[0], "quoted, \"field\"\r\nwith newline");
	csv_record_free(&rec);
}

/* the reader crosses chunk boundaries, counts lines, skips a BOM, survives a huge line */
TEST(csv_reader_streams_a_file_with_line_numbers)
{
	struct csv_reader r;
	FILE *f = tmpfile();
	long i, records = 0, bad = 0, toolong_line = 0, last_line = 0;
	int rc;

	CHECK(f != NULL);
	fputs("\xef\xbb\xbf" "email,name\n", f);
	for (i = 0; i < 20000; i++)
		fprintf(f, "user%ld@example.org,\"Name, %ld\"\n", i, i);
	fputc('x', f);
	for (i = 0; i < 3 * CSV_RECORD_MAX; i++)
		fputc('y', f);
	fputs("\nbad\"quote\nlast@example.org,Last", f);
	rewind(f);
	csv_reader_init(&r, f);
	while ((rc = csv_read(&r)) != CSV_END) {
		if (rc == CSV_RECORD) {
			if (records == 0)
				CHECK_STR(r.rec.field[0], "email");	/* the BOM is gone */
			if (records == 1)
				CHECK_STR(r.rec.field[1], "Name, 0");
			records++;
			last_line = r.rec.line;
		} else if (rc == CSV_TOO_LONG) {
			toolong_line = r.rec.line;
		} else if (rc == CSV_BAD) {
			bad++;
			CHECK_INT(r.rec.line, 20003);
		} else {
			CHECK(0);
		}
	}
	csv_reader_free(&r);
	fclose(f);
	CHECK_INT(records, 20002);
	CHECK_INT(toolong_line, 20002);
	CHECK_INT(bad, 1);
	CHECK_INT(last_line, 20004);
}

TEST(csv_fields_are_quoted_only_when_needed)
{
	struct buf b;

	buf_init(&b, 0);
	csv_field(&b, "plain@example.org", 17);
	buf_putc(&b, ',');
	csv_field(&b, "Smith, \"Jo\"", 11);
	buf_putc(&b, ',');
	csv_field(&b, "two\nlines", 9);
	buf_putc(&b, ',');
	csv_field(&b, " padded", 7);
	CHECK_STR(b.data, "plain@example.org,\"Smith, \"\"Jo\"\"\",\"two\nlines\",\" padded\"");
	buf_free(&b);
}
