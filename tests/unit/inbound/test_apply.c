/*
 * tests for inbound/apply.c on both store backends: what each kind of
 * returned mail does to the subscriber whose signed token it carries, that
 * a message acts once, and that unsigned or forged reports change nothing.
 */
#include <stdlib.h>
#include <string.h>

#include "deliver/deliver.h"
#include "inbound/inbound.h"
#include "../store/fixture.h"

static const struct token_key key = { (const unsigned char *)"apply test secret", 17 };

/* a DSN to the subscriber's VERP address with one recipient group */
static void
dsn(struct buf *m, struct store *s, int64_t id, const char *mid, const char *action,
    const char *status)
{
	struct store_subscriber *sub = NULL;
	struct buf rp;

	buf_init(&rp, 0);
	if (store_subscriber_get(s, id, &sub) == NF_OK)
		deliver_return_path(&key, "news.example", id, sub->token_salt, &rp);
	store_subscriber_free(sub);
	buf_reset(m);
	buf_printf(m, "To: %s\nMessage-ID: <%s>\n"
		   "Content-Type: multipart/report; report-type=delivery-status; boundary=b\n\n"
		   "--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; x\n\n"
		   "Final-Recipient: rfc822; whoever@example.org\nAction: %s\nStatus: %s\n\n--b--\n",
		   rp.data ? rp.data : "nobody@x", mid, action, status);
	buf_free(&rp);
}

static enum inbound_outcome
process(struct store *s, const struct buf *m, struct inbound_result *res)
{
	struct inbound_config cfg;

	inbound_config_defaults(&cfg);
	cfg.key = &key;
	if (inbound_process(s, &cfg, "test", m->data, m->len, res) != NF_OK)
		return (enum inbound_outcome)-1;
	return res->outcome;
}

static enum store_sub_status
status_of(struct store *s, int64_t id)
{
	struct store_subscriber *sub = NULL;
	enum store_sub_status st = (enum store_sub_status)-9;

	if (store_subscriber_get(s, id, &sub) == NF_OK)
		st = sub->status;
	store_subscriber_free(sub);
	return st;
}

STORE_TEST(inbound_hard_bounce_suppresses_once)
{
	int64_t id = fixture_sub(s, "hardb", 1, 0);
	struct inbound_result res;
	struct buf m;

	buf_init(&m, 0);
	dsn(&m, s, id, "h1@mx", "failed", "5.1.1");
	CHECK_INT(process(s, &m, &res), INBOUND_SUPPRESSED);
	CHECK_INT(res.subscriber_id, id);
	CHECK_INT(status_of(s, id), STORE_BOUNCED);
	CHECK_INT(store_suppression_check(s, "hardb@example.org", NULL), NF_OK);
	CHECK_INT(process(s, &m, &res), INBOUND_DUPLICATE);
	buf_free(&m);
}

STORE_TEST(inbound_soft_bounces_suppress_after_three_in_a_row)
{
	int64_t id = fixture_sub(s, "softb", 1, 0);
	struct inbound_result res;
	struct buf m;

	buf_init(&m, 0);
	dsn(&m, s, id, "s1@mx", "failed", "4.2.2");
	CHECK_INT(process(s, &m, &res), INBOUND_COUNTED);
	CHECK_INT(res.soft_count, 1);
	CHECK_INT(process(s, &m, &res), INBOUND_DUPLICATE);	/* the same DSN twice counts once */
	dsn(&m, s, id, "s2@mx", "failed", "4.4.1");
	CHECK_INT(process(s, &m, &res), INBOUND_COUNTED);
	CHECK_INT(res.soft_count, 2);
	dsn(&m, s, id, "d1@mx", "delayed", "4.4.1");
	CHECK_INT(process(s, &m, &res), INBOUND_IGNORED);	/* a warning is not a bounce */
	dsn(&m, s, id, "ok@mx", "relayed", "2.0.0");
	CHECK_INT(process(s, &m, &res), INBOUND_RESET);		/* the row is broken */
	dsn(&m, s, id, "s3@mx", "failed", "4.2.2");
	CHECK_INT(process(s, &m, &res), INBOUND_COUNTED);
	CHECK_INT(res.soft_count, 1);
	dsn(&m, s, id, "s4@mx", "failed", "4.2.2");
	CHECK_INT(process(s, &m, &res), INBOUND_COUNTED);
	CHECK_INT(status_of(s, id), STORE_CONFIRMED);
	dsn(&m, s, id, "s5@mx", "failed", "4.2.2");
	CHECK_INT(process(s, &m, &res), INBOUND_SUPPRESSED);
	CHECK_INT(res.soft_count, 3);
	CHECK_INT(status_of(s, id), STORE_BOUNCED);
	buf_free(&m);
}

/* a report whose token does not verify (forged, or for an erased person) changes nothing */
STORE_TEST(inbound_unverified_reports_change_nothing)
{
	int64_t id = fixture_sub(s, "victim", 1, 0);
	struct inbound_result res;
	struct buf m;
	char *p;

	buf_init(&m, 0);
	dsn(&m, s, id, "f1@mx", "failed", "5.1.1");
	p = strchr(m.data, '@');
	p[-1] = p[-1] == '0' ? '1' : '0';	/* one hex digit of the MAC */
	CHECK_INT(process(s, &m, &res), INBOUND_UNVERIFIED);
	CHECK_INT(status_of(s, id), STORE_CONFIRMED);
	/* not acted on, so not recorded: read again it is unverified again, never a duplicate */
	CHECK_INT(process(s, &m, &res), INBOUND_UNVERIFIED);
	buf_reset(&m);
	buf_puts(&m, "To: bounce@news.example\nMessage-ID: <f2@mx>\n"
		 "Content-Type: multipart/report; report-type=delivery-status; boundary=b\n\n"
		 "--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; x\n\n"
		 "Final-Recipient: rfc822; victim@example.org\nAction: failed\nStatus: 5.1.1\n\n--b--\n");
	CHECK_INT(process(s, &m, &res), INBOUND_UNVERIFIED);	/* a claim in clear is not enough */
	CHECK_INT(store_suppression_check(s, "victim@example.org", NULL), NF_ERR_NOTFOUND);
	dsn(&m, s, id, "f3@mx", "failed", "5.1.1");
	CHECK_INT(store_subscriber_erase(s, id, "asked"), NF_OK);
	CHECK_INT(process(s, &m, &res), INBOUND_UNVERIFIED);
	buf_reset(&m);
	buf_puts(&m, "\x01\x02 not mail");
	CHECK_INT(process(s, &m, &res), INBOUND_SKIPPED);
	CHECK_INT(process(s, &m, &res), INBOUND_DUPLICATE);
	buf_free(&m);
}

STORE_TEST(inbound_complaint_and_mailto_unsubscribe)
{
	struct store_signup in = { "fbl@example.org", "fbl@example.org", NULL, NULL, NULL, 1, 1,
				   { "form", NULL, NULL, NULL, NULL, 0 } };
	int64_t a = 0, b = fixture_sub(s, "mailer", 1, 0);
	struct store_subscriber *sub = NULL;
	char tok[TOKEN_MAX], stok[TOKEN_SHORT_MAX];
	struct inbound_result res;
	char *reason = NULL;
	struct buf m;

	CHECK_INT(store_subscriber_create(s, &in, &a, NULL, NULL), NF_OK);
	CHECK_INT(store_subscriber_get(s, a, &sub), NF_OK);
	token_make(&key, "unsubscribe", (uint64_t)a, 0, sub->token_salt, tok);
	store_subscriber_free(sub);
	buf_init(&m, 0);
	buf_printf(&m, "To: fbl@news.example\nMessage-ID: <arf1@fbl>\n"
		   "Content-Type: multipart/report; report-type=feedback-report; boundary=q\n\n"
		   "--q\nContent-Type: message/feedback-report\n\nFeedback-Type: abuse\nVersion: 1\n\n"
		   "--q\nContent-Type: text/rfc822-headers\n\nTo: redacted@example.org\n"
		   "List-Unsubscribe: <https://news.example/u/%s>\n\n--q--\n", tok);
	CHECK_INT(process(s, &m, &res), INBOUND_UNSUBSCRIBED);
	CHECK_INT(res.subscriber_id, a);
	CHECK_INT(store_subscriber_get(s, a, &sub), NF_OK);
	CHECK_INT(sub->status, STORE_UNSUBSCRIBED);
	CHECK_INT(sub->marketing, 0);	/* a complaint withdraws everything */
	store_subscriber_free(sub);
	CHECK_INT(store_suppression_check(s, "fbl@example.org", &reason), NF_OK);
	CHECK_STR(reason, "complaint");
	free(reason);

	CHECK_INT(store_subscriber_get(s, b, &sub), NF_OK);
	token_short_make(&key, "unsubscribe", (uint64_t)b, sub->token_salt, stok);
	store_subscriber_free(sub);
	buf_reset(&m);
	buf_printf(&m, "Delivered-To: unsubscribe+%s@news.example\nMessage-ID: <u1@client>\n"
		   "Subject: unsubscribe\n\n", stok);
	CHECK_INT(process(s, &m, &res), INBOUND_UNSUBSCRIBED);
	CHECK_INT(status_of(s, b), STORE_UNSUBSCRIBED);
	CHECK_INT(store_suppression_check(s, "mailer@example.org", NULL), NF_ERR_NOTFOUND);
	buf_free(&m);
}
