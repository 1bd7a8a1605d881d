/* tests for smtp/message.c (wire form, envelope checks) and smtp/url.c (relay URLs) */
#include <stdlib.h>
#include <string.h>

#include "smtp/smtp_internal.h"
#include "../../harness.h"

static struct smtp_job *
job_of(const char *msg, const char *from, const char *to, int *rc)
{
	const char *tos[1] = { to };
	struct smtp_envelope env = { from, tos, 1 };

	return smtp_job_new(&env, msg, strlen(msg), SMTP_MSG_BORROW, NULL, NULL, rc);
}

/* the wire form: what goes between DATA's 354 and the final dot, dot included */
static char *
wire_of(const char *msg)
{
	int rc;
	struct smtp_job *job = job_of(msg, "a@example.com", "b@example.com", &rc);
	char *w;

	if (job == NULL)
		return NULL;
	w = xmalloc(job->wire_len + job->term_len + 1);
	memcpy(w, job->wire, job->wire_len);
	memcpy(w + job->wire_len, job->term, job->term_len);
	w[job->wire_len + job->term_len] = '\0';
	smtp_job_free(job);
	return w;
}

#define CHECK_WIRE(msg, want)				\
	do {						\
		char *w_ = wire_of(msg);		\
		CHECK(w_ != NULL);			\
		if (strcmp(w_, want) != 0) {		\
			test_fail_at(__FILE__, __LINE__, "wire [%s] != [%s]", w_, want); \
			free(w_);			\
			return;				\
		}					\
		free(w_);				\
	} while (0)

/* RFC 5321 4.5.2: a line starting with "." gets another; the end is CRLF.CRLF */
TEST(stuff_doubles_leading_dots)
{
	CHECK_WIRE("a\r\n.b\r\n..c\r\n", "a\r\n..b\r\n...c\r\n.\r\n");
	CHECK_WIRE(".first\r\n", "..first\r\n.\r\n");
	CHECK_WIRE(".\r\n", "..\r\n.\r\n");
	CHECK_WIRE("x.y\r\n", "x.y\r\n.\r\n");
}

/* RFC 5321 2.3.8: lines end in CRLF: a bare LF becomes CRLF, CRLF stays */
TEST(stuff_makes_bare_lf_crlf)
{
	CHECK_WIRE("a\nb\r\nc\n", "a\r\nb\r\nc\r\n.\r\n");
	CHECK_WIRE("\n.\n", "\r\n..\r\n.\r\n");
}

/* a message whose last line has no CRLF still ends with CRLF "." CRLF */
TEST(stuff_ends_the_last_line)
{
	CHECK_WIRE("no newline", "no newline\r\n.\r\n");
	CHECK_WIRE("a\r\n.b", "a\r\n..b\r\n.\r\n");
	CHECK_WIRE("", ".\r\n");
}

/* the common message is sent as it is: no copy */
TEST(stuff_leaves_clean_messages_alone)
{
	const char *msg = "Subject: x\r\n\r\nbody.\r\n";
	int rc;
	struct smtp_job *job = job_of(msg, "a@example.com", "b@example.com", &rc);

	CHECK(job != NULL);
	CHECK(job->wire == job->msg);
	CHECK(job->stuffed == NULL);
	smtp_job_free(job);
}

TEST(eight_bit_scan)
{
	char big[4096];

	memset(big, 'a', sizeof(big));
	CHECK(!smtp_has_8bit(big, sizeof(big)));
	big[4095] = (char)0xc3;
	CHECK(smtp_has_8bit(big, sizeof(big)));
	big[4095] = 'a';
	big[17] = (char)0x80;
	CHECK(smtp_has_8bit(big, sizeof(big)));
	CHECK(!smtp_has_8bit(big, 17));
	CHECK(smtp_has_8bit("\xff", 1));
	CHECK(!smtp_has_8bit("", 0));
}

/* RFC 6152 / RFC 6531: 8-bit body -> BODY=8BITMIME; UTF-8 header or address -> SMTPUTF8 */
TEST(eight_bit_and_utf8_flags)
{
	int rc;
	struct smtp_job *j;

	j = job_of("Subject: plain\r\n\r\ncaf\xc3\xa9\r\n", "a@example.com", "b@example.com", &rc);
	CHECK(j && j->eightbit && !j->utf8);
	smtp_job_free(j);
	j = job_of("Subject: caf\xc3\xa9\r\n\r\nplain\r\n", "a@example.com", "b@example.com", &rc);
	CHECK(j && j->eightbit && j->utf8);
	smtp_job_free(j);
	j = job_of("Subject: plain\r\n\r\nplain\r\n", "a@example.com", "j\xc3\xb6rg@example.com", &rc);
	CHECK(j && !j->eightbit && j->utf8);
	smtp_job_free(j);
	j = job_of("Subject: plain\r\n\r\nplain\r\n", "a@example.com", "b@example.com", &rc);
	CHECK(j && !j->eightbit && !j->utf8);
	smtp_job_free(j);
}

/* an address must not be able to end a command and start another */
TEST(envelope_refuses_command_smuggling)
{
	static const char *const bad[] = {
		"a@example.com>\r\nRCPT TO:<victim@example.com", "a\nb@example.com",
		"a\rb@example.com", "<a@example.com>", "a\x01@example.com", "",
	};
	size_t i;
	int rc;
	struct smtp_job *j;
	char longaddr[300];

	for (i = 0; i < NF_ARRAY_LEN(bad); i++) {
		CHECK(job_of("x\r\n", "a@example.com", bad[i], &rc) == NULL);
		CHECK_INT(rc, NF_ERR_INVALID);
		if (bad[i][0]) {
			CHECK(job_of("x\r\n", bad[i], "b@example.com", &rc) == NULL);
			CHECK_INT(rc, NF_ERR_INVALID);
		}
	}
	memset(longaddr, 'a', sizeof(longaddr) - 1);
	longaddr[sizeof(longaddr) - 1] = '\0';
	CHECK(job_of("x\r\n", "a@example.com", longaddr, &rc) == NULL);
	/* the null sender is fine */
	j = job_of("x\r\n", "", "b@example.com", &rc);
	CHECK(j != NULL);
	smtp_job_free(j);
}

TEST(envelope_needs_a_recipient)
{
	struct smtp_envelope env = { "a@example.com", NULL, 0 };
	int rc;

	CHECK(smtp_job_new(&env, "x", 1, SMTP_MSG_BORROW, NULL, NULL, &rc) == NULL);
	CHECK_INT(rc, NF_ERR_INVALID);
}

/* ---- url.c ---- */

TEST(url_smtp_defaults_to_starttls_on_25)
{
	struct smtp_relay_url *r;
	size_t n;
	char err[200];

	CHECK_INT(smtp_url_parse("smtp://relay.example.com", &r, &n, err, sizeof(err)), NF_OK);
	CHECK_INT(n, 1);
	CHECK_STR(r[0].host, "relay.example.com");
	CHECK_STR(r[0].port, "25");
	CHECK_INT(r[0].tls, SMTP_TLS_STARTTLS);
	CHECK_INT(r[0].verify, 1);
	CHECK(r[0].user == NULL && r[0].pass == NULL && r[0].ca_file == NULL);
	smtp_url_free(r, n);
}

TEST(url_smtps_with_credentials)
{
	struct smtp_relay_url *r;
	size_t n;
	char err[200];

	CHECK_INT(smtp_url_parse("smtps://us%40er:p%3Ass@w0rd@mail.example.com", &r, &n, err,
				 sizeof(err)), NF_OK);
	CHECK_STR(r[0].user, "us@er");
	CHECK_STR(r[0].pass, "p:ss@w0rd");
	CHECK_STR(r[0].host, "mail.example.com");
	CHECK_STR(r[0].port, "465");
	CHECK_INT(r[0].tls, SMTP_TLS_IMPLICIT);
	smtp_url_free(r, n);
}

TEST(url_query_and_several_relays)
{
	struct smtp_relay_url *r;
	size_t n;
	char err[200];

	CHECK_INT(smtp_url_parse("smtp://a:2525?tls=none&weight=3, smtp://[::1]:587?ca=/etc/ca.pem"
				 "&verify=0 smtp://backup?weight=0&tls=tls", &r, &n, err, sizeof(err)),
		  NF_OK);
	CHECK_INT(n, 3);
	CHECK_STR(r[0].host, "a");
	CHECK_STR(r[0].port, "2525");
	CHECK_INT(r[0].tls, SMTP_TLS_NONE);
	CHECK_INT(r[0].weight, 3);
	CHECK_STR(r[1].host, "::1");
	CHECK_STR(r[1].port, "587");
	CHECK_STR(r[1].ca_file, "/etc/ca.pem");
	CHECK_INT(r[1].verify, 0);
	CHECK_INT(r[2].weight, 0);
	CHECK_INT(r[2].tls, SMTP_TLS_IMPLICIT);
	smtp_url_free(r, n);
}

TEST(url_errors_do_not_repeat_the_password)
{
	static const char *const bad[] = {
		"http://x", "smtp://", "smtp://host:0", "smtp://host:65536", "smtp://host:2x",
		"smtp://host?tls=maybe", "smtp://host?bogus=1", "smtp://host?weight=0",
		"smtp://[::1", "smtp://host?tls", "smtp://u:secret@?tls=none", "",
		"smtp://u%00x:p@host",
	};
	struct smtp_relay_url *r = NULL;
	size_t i, n;
	char err[200];

	for (i = 0; i < NF_ARRAY_LEN(bad); i++) {
		err[0] = '\0';
		if (smtp_url_parse(bad[i], &r, &n, err, sizeof(err)) != NF_ERR_INVALID) {
			test_fail_at(__FILE__, __LINE__, "accepted %s", bad[i]);
			return;
		}
		CHECK(strncmp(err, "bad relay URL: ", 15) == 0);
		CHECK(strstr(err, "secret") == NULL);
	}
}

TEST(outcome_of_codes)
{
	CHECK_INT(smtp_outcome_of(250), SMTP_ACCEPTED);
	CHECK_INT(smtp_outcome_of(451), SMTP_TEMPORARY);
	CHECK_INT(smtp_outcome_of(550), SMTP_PERMANENT);
	CHECK_INT(smtp_outcome_of(0), SMTP_TEMPORARY);
	CHECK_INT(smtp_outcome_of(354), SMTP_TEMPORARY);	/* only 2xx is success */
	CHECK_INT(smtp_failure_of(250), SMTP_TEMPORARY);
	CHECK_INT(smtp_failure_of(553), SMTP_PERMANENT);
	CHECK_STR(smtp_outcome_name(SMTP_PERMANENT), "permanent");
}
