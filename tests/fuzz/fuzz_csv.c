/*
 * fuzz_csv - the import file reader (core/csv.c, RFC 4180).
 *
 * Every input is read to the end both as one buffer (csv_parse) and
 * as a stream (csv_reader over fmemopen): no crash, progress on every
 * call, fields NUL-terminated at their length, never more than the ceiling.
 * Every record read is written back with csv_field and read again:
 * it must come back field for field.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_fields(const struct csv_record *r)
{
	size_t i;

	if (r->nfields == 0 || r->nfields > CSV_MAX_FIELDS)
		abort();
	for (i = 0; i < r->nfields; i++)
		if (r->field[i][r->len[i]] != '\0' || r->len[i] > CSV_RECORD_MAX)
			abort();
}

/* write the record out and read it back: the same fields */
static void
roundtrip(const struct csv_record *r)
{
	struct csv_record again;
	struct buf out;
	size_t i, used;
	long lines;

	buf_init(&out, 0);
	for (i = 0; i < r->nfields; i++) {
		if (i)
			buf_putc(&out, ',');
		csv_field(&out, r->field[i], r->len[i]);
	}
	buf_puts(&out, "\r\n");
	csv_record_init(&again);
	if (out.len <= CSV_RECORD_MAX) {
		if (csv_parse(out.data, out.len, 1, &again, &used, &lines) != CSV_RECORD ||
		    used != out.len || again.nfields != r->nfields)
			abort();
		for (i = 0; i < r->nfields; i++)
			if (again.len[i] != r->len[i] || memcmp(again.field[i], r->field[i], r->len[i]))
				abort();
	}
	csv_record_free(&again);
	buf_free(&out);
}

static void
whole(const char *p, size_t n)
{
	struct csv_record rec;
	size_t used;
	long lines;
	int rc;

	csv_record_init(&rec);
	while (n > 0) {
		rc = csv_parse(p, n, 1, &rec, &used, &lines);
		if (rc == CSV_END)
			break;
		if (rc == CSV_TOO_LONG) {
			const char *nl = memchr(p, '\n', n);

			used = nl ? (size_t)(nl - p) + 1 : n;
		} else if (rc == CSV_RECORD) {
			check_fields(&rec);
			roundtrip(&rec);
		} else if (rc != CSV_BAD) {
			abort();
		}
		if (used == 0 || used > n)
			abort();
		p += used;
		n -= used;
	}
	csv_record_free(&rec);
}

static void
stream(const uint8_t *data, size_t size)
{
	struct csv_reader r;
	FILE *f = fmemopen((void *)data, size, "rb");
	long last = 0;
	int rc;

	if (f == NULL)
		return;
	csv_reader_init(&r, f);
	while ((rc = csv_read(&r)) != CSV_END) {
		if (rc == CSV_RECORD)
			check_fields(&r.rec);
		else if (rc != CSV_BAD && rc != CSV_TOO_LONG)
			abort();
		if (r.rec.line < last)
			abort();	/* line numbers never go back */
		last = r.rec.line;
	}
	csv_reader_free(&r);
	fclose(f);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 1 << 20)
		return 0;
	whole((const char *)data, size);
	if (size > 0)
		stream(data, size);
	return 0;
}
