/*
 * tests for addr/: the data-driven cases in tests/data/addr/cases.tsv
 *
 * Each line is one case, reported by line number and input: valid, invalid,
 * IDN, every length limit at and one past its boundary, injection attempts
 * and typo hints. The file's header describes the columns and escapes.
 */
#include <stdlib.h>
#include <string.h>

#include "addr/addr.h"
#include "core/core.h"
#include "../../harness.h"

#define FIELD_MAX 8192

static int unescape(struct buf *out, const char *s, size_t n);

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* {{N*TEXT}} at s (which starts after "{{"): append TEXT N times; bytes used or -1 */
static long
repeat(struct buf *out, const char *s, size_t n)
{
	size_t i = 0, start, count = 0, depth = 1, k;
	struct buf text;

	while (i < n && s[i] >= '0' && s[i] <= '9')
		count = count * 10 + (size_t)(s[i++] - '0');
	if (i == n || s[i++] != '*')
		return -1;
	for (start = i; i + 1 < n; i++) {
		if (s[i] == '{' && s[i + 1] == '{')
			depth++, i++;
		else if (s[i] == '}' && s[i + 1] == '}' && --depth == 0)
			break;
	}
	if (depth != 0)
		return -1;
	buf_init(&text, FIELD_MAX);
	if (unescape(&text, s + start, i - start) != NF_OK) {
		buf_free(&text);
		return -1;
	}
	for (k = 0; k < count; k++)
		if (buf_append(out, text.data ? text.data : "", text.len) != NF_OK)
			break;
	buf_free(&text);
	return k == count ? (long)(i + 2) : -1;
}

static int
escape_byte(char c, char *out)
{
	switch (c) {
	case 't': *out = '\t'; return 1;
	case 'r': *out = '\r'; return 1;
	case 'n': *out = '\n'; return 1;
	case '0': *out = '\0'; return 1;
	case 's': *out = ' '; return 1;
	case '\\': *out = '\\'; return 1;
	default: return 0;
	}
}

static int
unescape(struct buf *out, const char *s, size_t n)
{
	size_t i;
	long used;
	char c;

	for (i = 0; i < n; i++) {
		if (s[i] == '{' && i + 1 < n && s[i + 1] == '{') {
			if ((used = repeat(out, s + i + 2, n - i - 2)) < 0)
				return NF_ERR_INVALID;
			i += 1 + (size_t)used;
			continue;
		}
		if (s[i] != '\\') {
			if (buf_putc(out, s[i]) != NF_OK)
				return NF_ERR_LIMIT;
			continue;
		}
		if (++i == n)
			return NF_ERR_INVALID;
		if (s[i] == 'x') {
			if (i + 2 >= n + 0 || hexval(s[i + 1]) < 0 || hexval(s[i + 2]) < 0)
				return NF_ERR_INVALID;
			c = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
			i += 2;
		} else if (!escape_byte(s[i], &c)) {
			return NF_ERR_INVALID;
		}
		if (buf_putc(out, c) != NF_OK)
			return NF_ERR_LIMIT;
	}
	return NF_OK;
}

struct tsv_case {
	const char *field[12];
	size_t len[12];
	int nfields;
};

static void
split_fields(const char *line, size_t n, struct tsv_case *c)
{
	size_t i, start = 0;

	c->nfields = 0;
	for (i = 0; i <= n && c->nfields < 12; i++) {
		if (i == n || line[i] == '\t') {
			c->field[c->nfields] = line + start;
			c->len[c->nfields++] = i - start;
			start = i + 1;
		}
	}
}

/* one field, unescaped into a fresh NUL-terminated buf; NF_OK or an error */
static int
field(const struct tsv_case *c, int i, struct buf *out)
{
	buf_init(out, FIELD_MAX);
	if (unescape(out, c->field[i], c->len[i]) != NF_OK)
		return NF_ERR_INVALID;
	return buf_putc(out, '\0') == NF_OK ? (out->len--, NF_OK) : NF_ERR_LIMIT;
}

static int
expect_str(const char *what, const char *got, const char *want, char *why, size_t size)
{
	if (strcmp(got, want) == 0)
		return 1;
	snprintf(why, size, "%s: got [%s] want [%s]", what, got, want);
	return 0;
}

/* "-" means the address is invalid and normalized must stay empty */
static int
expect_normalized(const struct addr_result *r, const char *want, char *why, size_t size)
{
	return expect_str("normalized", r->normalized, strcmp(want, "-") ? want : "", why, size);
}

/* an extra check "name=value"; 1 when it holds */
static int
check_extra(const struct addr_result *r, const char *spec, char *why, size_t size)
{
	const char *eq = strchr(spec, '='), *want = eq ? eq + 1 : "";

	if (eq == NULL) {
		snprintf(why, size, "bad check [%s]", spec);
		return 0;
	}
	if (!strncmp(spec, "display=", 8))
		return expect_str("display", r->display, want, why, size);
	if (!strncmp(spec, "key=", 4))
		return expect_str("key", r->key, want, why, size);
	if (!strncmp(spec, "suggest=", 8))
		return expect_str("suggest", r->suggestion, want, why, size);
	if (!strncmp(spec, "smtputf8=", 9)) {
		if (r->needs_smtputf8 == (want[0] == '1'))
			return 1;
		snprintf(why, size, "needs_smtputf8 = %d", r->needs_smtputf8);
		return 0;
	}
	snprintf(why, size, "unknown check [%s]", spec);
	return 0;
}

static int
run_case(const struct tsv_case *c, char *why, size_t size)
{
	struct buf in, norm, extra;
	struct addr_result r;
	int ok = 0, i, want_valid;
	unsigned flags;

	if (c->nfields < 5 || field(c, 0, &in) != NF_OK || field(c, 4, &norm) != NF_OK) {
		snprintf(why, size, "malformed line (%d fields)", c->nfields);
		return 0;
	}
	flags = memchr(c->field[1], 'u', c->len[1]) ? ADDR_SMTPUTF8 : 0;
	want_valid = c->len[2] == 5 && !memcmp(c->field[2], "valid", 5);
	if (addr_check(in.data ? in.data : "", in.len, flags, &r) != NF_OK)
		snprintf(why, size, "addr_check failed");
	else if (r.valid != want_valid)
		snprintf(why, size, "valid = %d (code %s)", r.valid, r.code);
	else if (strlen(r.code) != c->len[3] || memcmp(r.code, c->field[3], c->len[3]))
		snprintf(why, size, "code %s, want %.*s", r.code, (int)c->len[3], c->field[3]);
	else
		ok = expect_normalized(&r, norm.data, why, size);
	for (i = 5; ok && i < c->nfields; i++) {
		ok = field(c, i, &extra) == NF_OK && check_extra(&r, extra.data, why, size);
		buf_free(&extra);
	}
	buf_free(&in);
	buf_free(&norm);
	return ok;
}

static const char *
cases_path(char *out, size_t size)
{
	const char *src = getenv("NEWSFLASH_SRC");

	snprintf(out, size, "%s/tests/data/addr/cases.tsv", src && *src ? src : ".");
	return out;
}

/* every line of cases.tsv, one reported case each */
TEST(addr_cases_tsv)
{
	char path[4096], name[128], why[FIELD_MAX + 256];
	size_t len, start, end, lineno = 0;
	struct tsv_case c;
	char *data = test_read_file(cases_path(path, sizeof(path)), &len);
	int cases = 0;

	CHECK(data != NULL);
	for (start = 0; start < len; start = end + 1) {
		end = start;
		while (end < len && data[end] != '\n')
			end++;
		lineno++;
		if (end == start || data[start] == '#')
			continue;
		split_fields(data + start, end - start, &c);
		snprintf(name, sizeof(name), "cases.tsv:%zu %.*s", lineno,
			 (int)(c.len[0] > 60 ? 60 : c.len[0]), c.field[0]);
		why[0] = '\0';
		test_case_result(name, run_case(&c, why, sizeof(why)), why);
		cases++;
	}
	free(data);
	CHECK(cases > 100);
}
