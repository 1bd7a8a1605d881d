/*
 * tests for inbound/classify.c: the samples in tests/data/inbound, as
 * cases.tsv says each reads (RFC 3464 DSNs, RFC 5965 ARF reports, mailto
 * unsubscribes, mail that is none of these, malformed mail), plus edge
 * cases built here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inbound/inbound.h"
#include "../../harness.h"

static void
data_path(char *out, size_t size, const char *name)
{
	const char *src = getenv("NEWSFLASH_SRC");

	snprintf(out, size, "%s/tests/data/inbound/%s", src && *src ? src : ".", name);
}

static const char *
ident_kind(enum inbound_ident_kind k)
{
	return k == INBOUND_ID_BOUNCE ? "bounce" : k == INBOUND_ID_MAILTO ? "mailto" : "link";
}

/* "reader@example.org/failed/5.1.1 ..." as the report has it, or "-" */
static void
describe_rcpts(const struct inbound_report *r, struct buf *b)
{
	size_t i;

	for (i = 0; i < r->nrcpts; i++)
		buf_printf(b, "%s%s/%s/%s", i ? " " : "", r->rcpts[i].address, r->rcpts[i].action,
			   r->rcpts[i].status);
	if (r->nrcpts == 0)
		buf_puts(b, "-");
}

/* is every identity the line names found, and nothing else? */
static int
idents_match(const struct inbound_report *r, const char *want)
{
	char copy[256], *tok, *save = NULL, name[64];
	size_t i, n = 0;
	int found;

	if (strcmp(want, "-") == 0)
		return r->nidents == 0;
	snprintf(copy, sizeof(copy), "%s", want);
	for (tok = strtok_r(copy, " ", &save); tok; tok = strtok_r(NULL, " ", &save), n++) {
		for (found = 0, i = 0; i < r->nidents && !found; i++) {
			snprintf(name, sizeof(name), "%s:%llu%s", ident_kind(r->idents[i].kind),
				 (unsigned long long)r->idents[i].id, r->idents[i].envelope ? "*" : "");
			found = strcmp(name, tok) == 0;
		}
		if (!found)
			return 0;
	}
	return n == r->nidents;
}

static void
run_case(char *line, int lineno)
{
	char *f[6], *save = NULL, path[4096], detail[1024], name[160];
	struct inbound_report r;
	struct buf rc;
	size_t len = 0;
	char *msg;
	int i, ok;

	for (i = 0; i < 6; i++)
		if ((f[i] = strtok_r(i ? NULL : line, "\t", &save)) == NULL) {
			test_case_result("cases.tsv", 0, "a line with fewer than 6 fields");
			return;
		}
	snprintf(name, sizeof(name), "cases.tsv:%d %s", lineno, f[0]);
	data_path(path, sizeof(path), f[0]);
	if ((msg = test_read_file(path, &len)) == NULL) {
		test_case_result(name, 0, "cannot read the sample");
		return;
	}
	inbound_classify(msg, len, &r);
	free(msg);
	buf_init(&rc, 0);
	describe_rcpts(&r, &rc);
	ok = strcmp(inbound_kind_name(r.kind), f[1]) == 0 &&
	     strcmp(inbound_verdict_name(r.verdict), f[2]) == 0 &&
	     strcmp(r.feedback_type[0] ? r.feedback_type : "-", f[3]) == 0 &&
	     strcmp(rc.data, f[4]) == 0 && idents_match(&r, f[5]);
	snprintf(detail, sizeof(detail), "got kind %s verdict %s feedback %s rcpts [%s] %zu identities (%s)",
		 inbound_kind_name(r.kind), inbound_verdict_name(r.verdict),
		 r.feedback_type[0] ? r.feedback_type : "-", rc.data, r.nidents, r.why);
	test_case_result(name, ok, detail);
	buf_free(&rc);
}

TEST(inbound_samples_classify_as_cases_tsv_says)
{
	char path[4096];
	size_t len = 0;
	char *data, *line, *save = NULL;
	int lineno = 0, cases = 0;

	data_path(path, sizeof(path), "cases.tsv");
	data = test_read_file(path, &len);
	CHECK(data != NULL);
	for (line = strtok_r(data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		lineno++;
		if (line[0] == '#' || line[0] == '\0')
			continue;
		run_case(line, lineno);
		cases++;
	}
	free(data);
	CHECK(cases >= 14);
}

static void
classify_str(const char *msg, struct inbound_report *r)
{
	inbound_classify(msg, strlen(msg), r);
}

/* the message's own Message-ID, for doing each message once */
TEST(inbound_keeps_the_message_id_and_a_digest)
{
	struct inbound_report a, b;

	classify_str("Message-ID: <x.1@mx.example>\nSubject: hi\n\nbody\n", &a);
	CHECK_STR(a.message_id, "x.1@mx.example");
	classify_str("Subject: hi\n\nbody\n", &b);
	CHECK_STR(b.message_id, "");
	CHECK(memcmp(a.digest, b.digest, 32) != 0);
	CHECK_INT(a.kind, INBOUND_OTHER);
}

/* RFC 3463: a status that is not c.s.d (1-3 digits each) gives no verdict */
TEST(inbound_status_codes_must_be_rfc3463)
{
	static const struct {
		const char *status, *action;
		enum inbound_verdict want;
	} cases[] = {
		{ "5.1.1", "failed", INBOUND_HARD }, { "5.1.10 (nope)", "failed", INBOUND_HARD },
		{ "4.4.7", "failed", INBOUND_SOFT }, { "4.4.7", "delayed", INBOUND_DELAYED },
		{ "2.0.0", "delivered", INBOUND_DELIVERED }, { "2.0.0", "expanded", INBOUND_DELIVERED },
		{ "5.1", "failed", INBOUND_NONE }, { "3.1.1", "failed", INBOUND_NONE },
		{ "5.1.1000", "failed", INBOUND_NONE }, { "5..1", "failed", INBOUND_NONE },
		{ "550", "failed", INBOUND_NONE }, { "5.1.1", "bounced", INBOUND_NONE },
		{ "2.0.0", "failed", INBOUND_NONE }, { "5.1.1", "FAILED", INBOUND_HARD },
	};
	struct inbound_report r;
	struct buf m;
	size_t i;

	for (i = 0; i < NF_ARRAY_LEN(cases); i++) {
		buf_init(&m, 0);
		buf_printf(&m, "Content-Type: multipart/report; report-type=delivery-status; boundary=b\n\n"
			   "--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; x\n\n"
			   "Final-Recipient: rfc822; a@example.org\nAction: %s\nStatus: %s\n\n--b--\n",
			   cases[i].action, cases[i].status);
		inbound_classify(m.data, m.len, &r);
		buf_free(&m);
		if (r.kind != INBOUND_DSN || r.verdict != cases[i].want)
			test_fail_at(__FILE__, __LINE__, "%s %s: kind %s verdict %s", cases[i].action,
				     cases[i].status, inbound_kind_name(r.kind), inbound_verdict_name(r.verdict));
	}
}

/* several recipients: the strongest verdict wins, and at most INBOUND_RCPTS_MAX are kept */
TEST(inbound_many_recipients)
{
	struct inbound_report r;
	struct buf m;
	int i;

	buf_init(&m, 0);
	buf_puts(&m, "Content-Type: multipart/report; report-type=delivery-status; boundary=b\n\n"
		 "--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; x\n");
	for (i = 0; i < 40; i++)
		buf_printf(&m, "\nFinal-Recipient: rfc822; r%d@example.org\nAction: %s\nStatus: %s\n", i,
			   i == 30 ? "failed" : "delayed", i == 30 ? "5.2.1" : "4.4.1");
	buf_puts(&m, "\n--b--\n");
	inbound_classify(m.data, m.len, &r);
	buf_free(&m);
	CHECK_INT(r.kind, INBOUND_DSN);
	CHECK_INT(r.nrcpts, INBOUND_RCPTS_MAX);
	CHECK_INT(r.verdict, INBOUND_DELAYED);	/* the failure was past the ones kept */
}

/* the delivery-status part may come base64-encoded: it is read decoded */
TEST(inbound_encoded_report_part)
{
	const char *fields = "Reporting-MTA: dns; x\n\nFinal-Recipient: rfc822; a@example.org\n"
			     "Action: failed\nStatus: 5.7.1\n";
	struct inbound_report r;
	struct buf m;

	buf_init(&m, 0);
	buf_puts(&m, "To: bounce+7-00112233445566778899@news.example\n"
		 "Content-Type: multipart/report; report-type=delivery-status; boundary=b\n\n"
		 "--b\nContent-Type: message/delivery-status\nContent-Transfer-Encoding: base64\n\n");
	base64_encode(&m, fields, strlen(fields));
	buf_puts(&m, "\n--b--\n");
	inbound_classify(m.data, m.len, &r);
	buf_free(&m);
	CHECK_INT(r.kind, INBOUND_DSN);
	CHECK_INT(r.verdict, INBOUND_HARD);
	CHECK_STR(r.rcpts[0].status, "5.7.1");
	CHECK_INT(r.nidents, 1);
	CHECK_INT(r.idents[0].id, 7);
	CHECK_INT(r.idents[0].envelope, 1);
}

/* a mailto token quoted in a body or a returned message is not an unsubscribe request */
TEST(inbound_mailto_only_from_the_envelope)
{
	struct inbound_report r;

	classify_str("To: someone@news.example\nSubject: fwd\n\n"
		     "unsubscribe+12-1e1f6da669205fcc890f@news.example\n", &r);
	CHECK_INT(r.kind, INBOUND_OTHER);
	CHECK_INT(r.nidents, 0);
	classify_str("To: Someone <UNSUBSCRIBE+12-1E1F6DA669205FCC890F@news.example>\n\nplease\n", &r);
	CHECK_INT(r.kind, INBOUND_UNSUBSCRIBE);
	CHECK_INT(r.idents[0].kind, INBOUND_ID_MAILTO);
	classify_str("Cc: undisclosed-recipients: unsubscribe+5-00112233445566778899@n.example;\n\nx\n", &r);
	CHECK_INT(r.kind, INBOUND_UNSUBSCRIBE);
	CHECK_INT(r.idents[0].id, 5);
}

/* bytes that are no message never crash and say why */
TEST(inbound_malformed_input)
{
	static const char *const inputs[] = {
		"", "\n\n\n", "\0\0\0\0",
		("Content-Type: multipart/report; report-type=feedback-report;"
		 " boundary=q\n\n--q\nContent-Type: message/feedback-report\n\nVersion: 1\n\n--q--\n"),
		"Content-Type: multipart/report; report-type=delivery-status\n\nno boundary at all\n",
	};
	struct inbound_report r;
	size_t i;

	for (i = 0; i < NF_ARRAY_LEN(inputs); i++) {
		inbound_classify(inputs[i], i == 2 ? 4 : strlen(inputs[i]), &r);
		if (r.kind != INBOUND_MALFORMED || r.why[0] == '\0')
			test_fail_at(__FILE__, __LINE__, "input %zu: %s", i, inbound_kind_name(r.kind));
	}
}
