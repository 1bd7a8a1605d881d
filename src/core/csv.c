/*
 * core/csv.c - CSV records in and out (RFC 4180)
 *
 * Owns: the format subscriber imports and exports use (the CLI reads and
 * writes the files; the store never sees CSV). Does not own: what a
 * column means. It lives in core, not store/, because it is a parser of
 * outside input that needs nothing but core's buffers.
 *
 * Reading follows RFC 4180 section 2: records end at CRLF (a bare LF is
 * accepted too, as every spreadsheet writes one or the other); fields are
 * separated by commas; a field may be enclosed in double quotes, and then
 * may hold commas, line breaks and doubled quotes (""). A quote inside an
 * unquoted field, text after a closing quote, and a quote never closed are
 * errors of that record only. A UTF-8 byte order mark at the start of a
 * file is skipped.
 *
 * Input is a person's file: every record has a ceiling (CSV_RECORD_MAX raw
 * bytes, CSV_MAX_FIELDS fields); past it the record is reported and skipped
 * to the end of its line, and reading goes on.
 */
#include <stdio.h>
#include <string.h>

#include "core.h"

#define CSV_CHUNK 65536

void
csv_record_init(struct csv_record *rec)
{
	memset(rec, 0, sizeof(*rec));
	buf_init(&rec->text, CSV_RECORD_MAX + CSV_MAX_FIELDS + 1);
}

void
csv_record_free(struct csv_record *rec)
{
	buf_free(&rec->text);
}

struct csv_scan {
	const char *p;
	size_t len, i;
	int eof;
	long lines;
	size_t off[CSV_MAX_FIELDS];
	size_t nfields;
	int too_many;
};

/* end the current field: NUL-terminate it in text and remember where it starts */
static void
end_field(struct csv_scan *c, struct csv_record *rec, size_t start)
{
	buf_putc(&rec->text, '\0');
	if (c->nfields < CSV_MAX_FIELDS)
		c->off[c->nfields++] = start;
	else
		c->too_many = 1;
}

/* at a line end: LF, CRLF, or (only at the end of input) a last CR */
static int
line_end(const struct csv_scan *c)
{
	if (c->p[c->i] == '\n')
		return 1;
	if (c->p[c->i] != '\r')
		return 0;
	return c->i + 1 < c->len ? c->p[c->i + 1] == '\n' : c->eof;
}

/*
 * A quoted field from after its opening quote; c->i ends on what follows
 * the closing quote. 0 done, 1 needs more input, -1 bad.
 */
static int
quoted(struct csv_scan *c, struct csv_record *rec, const char **why)
{
	for (; c->i < c->len; c->i++) {
		char ch = c->p[c->i];

		if (ch != '"') {
			c->lines += ch == '\n';
			buf_putc(&rec->text, ch);
			continue;
		}
		if (c->i + 1 < c->len && c->p[c->i + 1] == '"') {
			buf_putc(&rec->text, '"');
			c->i++;
			continue;
		}
		if (c->i + 1 == c->len && !c->eof)
			return 1;	/* a quote or its closing one: the next byte decides */
		c->i++;
		if (c->i == c->len || c->p[c->i] == ',' || line_end(c))
			return 0;
		if (c->p[c->i] == '\r' && c->i + 1 == c->len)
			return 1;
		*why = "text after a closing quote";
		return -1;
	}
	if (c->eof) {
		*why = "a quote that is never closed";
		return -1;
	}
	return 1;
}

/* an unquoted field; stops at the comma or line end; -1 on a stray quote */
static int
unquoted(struct csv_scan *c, struct csv_record *rec, const char **why)
{
	for (; c->i < c->len; c->i++) {
		char ch = c->p[c->i];

		if (ch == ',' || line_end(c))
			return 0;
		if (ch == '\r' && c->i + 1 == c->len)
			return 1;
		if (ch == '"') {
			*why = "a quote inside an unquoted field";
			return -1;
		}
		buf_putc(&rec->text, ch);
	}
	return c->eof ? 0 : 1;
}

/* skip to just past the end of the line the scan stopped on */
static size_t
skip_line(struct csv_scan *c)
{
	const char *nl = memchr(c->p + c->i, '\n', c->len - c->i);

	if (nl == NULL)
		return c->len;
	c->lines++;
	return (size_t)(nl - c->p) + 1;
}

static void
finish_record(struct csv_scan *c, struct csv_record *rec)
{
	size_t f;

	rec->nfields = c->nfields;
	for (f = 0; f < c->nfields; f++) {
		rec->field[f] = rec->text.data + c->off[f];
		rec->len[f] = (f + 1 < c->nfields ? c->off[f + 1] - 1 : rec->text.len - 1) - c->off[f];
	}
}

int
csv_parse(const char *p, size_t len, int eof, struct csv_record *rec, size_t *used,
	  long *lines)
{
	struct csv_scan c = { p, len, 0, eof, 0, { 0 }, 0, 0 };
	const char *why = NULL;
	size_t start;
	int r;

	*used = 0;
	*lines = 0;
	rec->nfields = 0;
	rec->error = NULL;
	buf_reset(&rec->text);
	if (len == 0)
		return eof ? CSV_END : CSV_NEED_MORE;
	for (;;) {
		start = rec->text.len;
		if (c.i < len && p[c.i] == '"') {
			c.i++;
			r = quoted(&c, rec, &why);
		} else {
			r = unquoted(&c, rec, &why);
		}
		if (c.i > CSV_RECORD_MAX)
			return CSV_TOO_LONG;	/* *used 0: the caller skips the line */
		if (r < 0) {
			rec->error = why;
			*used = c.eof && c.i >= len ? len : skip_line(&c);
			*lines = c.lines;
			return CSV_BAD;
		}
		if (r > 0)
			return CSV_NEED_MORE;
		end_field(&c, rec, start);
		if (c.i < len && p[c.i] == ',') {
			c.i++;
			continue;
		}
		break;		/* at a line end or the end of input */
	}
	if (c.i < len && p[c.i] == '\r')
		c.i++;
	if (c.i < len && p[c.i] == '\n') {
		c.i++;
		c.lines++;
	}
	*used = c.i;
	*lines = c.lines;
	if (c.too_many) {
		rec->error = "too many fields";
		return CSV_BAD;
	}
	finish_record(&c, rec);
	return CSV_RECORD;
}

/* ---- reading a stream ---- */

void
csv_reader_init(struct csv_reader *r, FILE *f)
{
	memset(r, 0, sizeof(*r));
	r->f = f;
	r->line = 1;
	buf_init(&r->in, CSV_RECORD_MAX + 2 * CSV_CHUNK);
	csv_record_init(&r->rec);
}

void
csv_reader_free(struct csv_reader *r)
{
	buf_free(&r->in);
	csv_record_free(&r->rec);
}

/* read more input after dropping what was used; at the start, drop a BOM */
static int
refill(struct csv_reader *r)
{
	size_t got;
	int first = r->in.data == NULL;

	buf_consume(&r->in, r->pos);
	r->pos = 0;
	if (buf_reserve(&r->in, CSV_CHUNK) != NF_OK)
		return NF_ERR_LIMIT;
	got = fread(r->in.data + r->in.len, 1, CSV_CHUNK, r->f);
	r->in.len += got;
	r->in.data[r->in.len] = '\0';
	if (got == 0)
		r->eof = 1;
	if (first && r->in.len >= 3 && memcmp(r->in.data, "\xef\xbb\xbf", 3) == 0)
		r->pos = 3;
	return ferror(r->f) ? NF_ERR_IO : NF_OK;
}

/* after a record too long: drop input up to and including the next newline */
static int
skip_long(struct csv_reader *r)
{
	const char *nl;

	for (;;) {
		nl = memchr(r->in.data + r->pos, '\n', r->in.len - r->pos);
		if (nl) {
			r->pos = (size_t)(nl - r->in.data) + 1;
			r->line++;
			return NF_OK;
		}
		r->pos = r->in.len;
		if (r->eof)
			return NF_OK;
		if (refill(r) != NF_OK)
			return NF_ERR_IO;
	}
}

int
csv_read(struct csv_reader *r)
{
	size_t used;
	long lines;
	int rc;

	for (;;) {
		if (r->in.data == NULL && refill(r) != NF_OK)
			return NF_ERR_IO;
		rc = csv_parse(r->in.data + r->pos, r->in.len - r->pos, r->eof, &r->rec,
			       &used, &lines);
		r->rec.line = r->line;
		if (rc == CSV_NEED_MORE && r->in.len - r->pos > CSV_RECORD_MAX)
			rc = CSV_TOO_LONG;
		if (rc == CSV_TOO_LONG) {
			r->rec.error = "record too long";
			return skip_long(r) == NF_OK ? CSV_TOO_LONG : NF_ERR_IO;
		}
		if (rc != CSV_NEED_MORE) {
			r->pos += used;
			r->line += lines;
			return rc;
		}
		if (refill(r) != NF_OK)
			return NF_ERR_IO;
	}
}

/* ---- writing ---- */

void
csv_field(struct buf *out, const char *s, size_t len)
{
	size_t i;
	int quote = len > 0 && (s[0] == ' ' || s[len - 1] == ' ');

	for (i = 0; i < len && !quote; i++)
		quote = s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n';
	if (!quote) {
		buf_append(out, s, len);
		return;
	}
	buf_putc(out, '"');
	for (i = 0; i < len; i++) {
		if (s[i] == '"')
			buf_putc(out, '"');
		buf_putc(out, s[i]);
	}
	buf_putc(out, '"');
}
