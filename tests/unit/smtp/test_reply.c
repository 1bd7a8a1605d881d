/*
 * tests for smtp/reply.c: reply transcripts as data (tests/unit/smtp/replies/NAME.reply)
 *
 * Each file is one behaviour of RFC 5321 4.2 / RFC 3463, in lines:
 *   # comment
 *   in: BYTES          append (escapes: \r \n \t \\ \xNN) to the input
 *   repeat: N BYTES    append BYTES N times
 *   want: ok CODE ENH NLINES [TEXT|len=N]   a reply comes off the front
 *   want: more | invalid | limit            what the parser says now
 * After invalid or limit the input starts again (the connection would end).
 */
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "smtp/smtp.h"
#include "../../harness.h"
#include "transcript.h"

struct reply_case {
	const char *name;
	struct buf in;
	int failed;
	char why[512];
};

static void
fail_case(struct reply_case *c, const char *fmt, const char *a, const char *b)
{
	if (c->failed)
		return;
	c->failed = 1;
	snprintf(c->why, sizeof(c->why), fmt, a, b);
}

/* want_ok - "CODE ENH NLINES [TEXT]" against one parsed reply */
static void
want_ok(struct reply_case *c, const char *spec)
{
	struct smtp_reply r;
	size_t used = 0;
	int rc = smtp_reply_parse(c->in.data ? c->in.data : "", c->in.len, &r, &used);
	char enh[32], got[64], *end;
	const char *text;
	long code, nlines;
	struct buf want;

	if (rc != NF_OK) {
		fail_case(c, "want ok %s, parser said %s", spec, rc == SMTP_NEED_MORE ? "more" : nf_strstatus(rc));
		return;
	}
	code = strtol(spec, &end, 10);
	if (sscanf(end, " %31s %ld", enh, &nlines) != 2) {	/* our own data file, not outside input */
		fail_case(c, "bad want line: %s%s", spec, "");
		return;
	}
	text = strchr(end + 1, ' ');
	text = text ? strchr(text + 1, ' ') : NULL;
	text = text ? text + 1 : "";
	buf_init(&want, 0);
	smtp_test_unescape(&want, text, strlen(text));
	snprintf(got, sizeof(got), "%d %s %d", r.code, r.enhanced[0] ? r.enhanced : "-", r.nlines);
	if (r.code != code || strcmp(enh, r.enhanced[0] ? r.enhanced : "-") || r.nlines != nlines)
		fail_case(c, "want %s, got %s", spec, got);
	else if (strncmp(text, "len=", 4) == 0 ? r.len != (size_t)strtol(text + 4, NULL, 10)
					       : (r.len != want.len || memcmp(r.text, want.data ? want.data : "", r.len)))
		fail_case(c, "text: want [%s] got [%s]", text, r.text);
	else if (strlen(r.text) != r.len)
		fail_case(c, "text length %s differs from len for %s", "", spec);
	buf_free(&want);
	buf_consume(&c->in, used);
}

static void
want_status(struct reply_case *c, const char *what)
{
	struct smtp_reply r;
	size_t used;
	int rc = smtp_reply_parse(c->in.data ? c->in.data : "", c->in.len, &r, &used);
	const char *got = rc == SMTP_NEED_MORE ? "more" : rc == NF_ERR_INVALID ? "invalid" :
			  rc == NF_ERR_LIMIT ? "limit" : rc == NF_OK ? "ok" : "?";

	if (strcmp(got, what) != 0)
		fail_case(c, "want %s, got %s", what, got);
	if (rc != SMTP_NEED_MORE)
		buf_reset(&c->in);
}

static void
run_line(struct reply_case *c, const char *line, size_t n)
{
	char *copy = xmemdup0(line, n);

	if (strncmp(copy, "in:", 3) == 0) {
		const char *s = copy[3] == ' ' ? copy + 4 : copy + 3;

		smtp_test_unescape(&c->in, s, strlen(s));
	} else if (strncmp(copy, "repeat: ", 8) == 0) {
		char *sp;
		long times = strtol(copy + 8, &sp, 10), i;

		for (i = 0; i < times; i++)
			smtp_test_unescape(&c->in, sp + 1, strlen(sp + 1));
	} else if (strncmp(copy, "want: ok ", 9) == 0)
		want_ok(c, copy + 9);
	else if (strncmp(copy, "want: ", 6) == 0)
		want_status(c, copy + 6);
	else if (copy[0] != '#' && copy[0] != '\0')
		fail_case(c, "unknown line: %s%s", copy, "");
	free(copy);
}

TEST(reply_transcripts)
{
	size_t n, i;
	char **files = smtp_test_files("replies", ".reply", &n);

	CHECK(n >= 20);
	for (i = 0; i < n; i++) {
		struct reply_case c = { 0 };
		size_t len;
		char *data = test_read_file(files[i], &len), *p, *nl;

		buf_init(&c.in, 0);
		c.name = smtp_test_name(files[i]);
		for (p = data; p && *p; p = nl ? nl + 1 : p + strlen(p)) {
			nl = strchr(p, '\n');
			run_line(&c, p, nl ? (size_t)(nl - p) : strlen(p));
		}
		test_case_result(c.name, data && !c.failed, c.failed ? c.why : NULL);
		buf_free(&c.in);
		free(data);
	}
	smtp_test_files_free(files, n);
}

/* the parser never reads past the length it is given */
TEST(reply_reads_only_what_it_is_given)
{
	const char full[] = "250 OK\r\n";
	struct smtp_reply r;
	size_t used, k;

	for (k = 0; k < sizeof(full) - 1; k++) {
		char *exact = xmalloc(k ? k : 1);

		memcpy(exact, full, k);
		CHECK_INT(smtp_reply_parse(exact, k, &r, &used), SMTP_NEED_MORE);
		free(exact);
	}
	CHECK_INT(smtp_reply_parse(full, sizeof(full) - 1, &r, &used), NF_OK);
	CHECK_INT(used, sizeof(full) - 1);
}
