/*
 * deliver/channel_email.c - the email channel: an alert through mail and smtp
 *
 * Owns: what makes a subscription's alert an email and sends it: the
 * article's template context (news_article_context) handed to
 * mail_alert_prepare once per alert, mail_alert_compose_many for up to
 * sixteen subscribers a call, the VERP return path (bounce+ID-MAC@DOMAIN),
 * the transport (smtp_transport_*: a relay pool on its own thread, or a
 * Maildir) with its back-pressure, and reading a relay's answer into an
 * outcome (an unknown user among the permanent ones). Also the priority
 * lane's one-off mail (deliver_email_confirm, deliver_email_send_one).
 * Does not own: which subscribers, batches, leases or progress (the
 * lanes), nor what the outcome means for them.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mail/mail.h"
#include "news/news.h"
#include "smtp/smtp.h"
#include "deliver_internal.h"

_Static_assert(MAIL_COMPOSE_MANY <= DELIVER_GROUP_MAX, "a send takes MAIL_COMPOSE_MANY at most");

struct deliver_channel {
	const struct deliver_config *cfg;
	struct smtp_transport *t;
	struct mail_alert *prepared;
	struct hmac_key *secret_key;	/* the secret's saved HMAC state: return paths */
	struct buf from;		/* scratch: one envelope sender */
};

/*
 * The VERP return path: bounce+ID-MAC@DOMAIN. A full link token would push
 * the local part past RFC 5321's 64 octets, so it carries the short token
 * (token_short_make, purpose "bounce"): the id and the first 10 bytes of an
 * HMAC over it, enough to refuse forged bounces (inbound/ident.c checks it).
 */
static void
return_path(const char *tok, const char *domain, struct buf *out)
{
	buf_printf(out, "bounce+%s@%s", tok, domain);
}

void
deliver_return_path(const struct token_key *key, const char *domain, int64_t subscriber_id,
		    const char *salt, struct buf *out)
{
	char tok[TOKEN_SHORT_MAX];

	token_short_make(key, "bounce", (uint64_t)subscriber_id, salt, tok);
	return_path(tok, domain, out);
}

/* where bounces go: --bounce-domain, else the From address's domain */
static const char *
bounce_domain(const struct deliver_channel *c)
{
	const struct deliver_config *cfg = c->cfg;
	const char *domain = cfg->bounce_domain ? cfg->bounce_domain : mail_addr_domain(cfg->sender.from_addr);

	return domain ? domain : "localhost";
}

/* deliver_return_path's, from the secret's saved HMAC state (two compressions, not four) */
static void
envelope_from(struct deliver_channel *c, int64_t subscriber_id, const char *salt)
{
	char tok[TOKEN_SHORT_MAX];

	buf_reset(&c->from);
	token_short_make_keyed(c->secret_key, "bounce", (uint64_t)subscriber_id, salt, tok);
	return_path(tok, bounce_domain(c), &c->from);
}

/* 1 when a 5xx says the mailbox does not exist (RFC 3463 X.1.1, or 550 + user unknown) */
static int
unknown_user(const struct smtp_result *r)
{
	if (r->outcome != SMTP_PERMANENT)
		return 0;
	if (r->enhanced && strncmp(r->enhanced + 1, ".1.1", 4) == 0)
		return 1;
	return r->code == 550 && r->text &&
	       (strcasestr(r->text, "user unknown") || strcasestr(r->text, "no such user") ||
		strcasestr(r->text, "does not exist"));
}

/* the transport's completion: the relay's answer as an outcome, to the lane */
static void
email_done(void *arg, const struct smtp_result *r)
{
	struct msg_ctx *m = arg;
	struct deliver_outcome o = { DELIVER_SENT, 0, "", "" };
	char reply[600], safe[SMTP_REPLY_MAX + 1];

	if (r->outcome != SMTP_ACCEPTED) {
		o.result = r->outcome == SMTP_TEMPORARY ? DELIVER_TEMP : DELIVER_PERM;
		o.unknown_user = unknown_user(r);
		snprintf(reply, sizeof(reply), "%d %s %s", r->code, r->enhanced ? r->enhanced : "",
			 r->text ? r->text : "");
		smtp_text_redact(r->text, safe, sizeof(safe));
		o.reply = reply;
		o.log_reply = safe;
	}
	m->done(m, &o);
}

/* hand one message to the transport, waiting while it is full; takes msg */
static int
submit(struct deliver_channel *c, const char *to, char *msg, size_t len, struct msg_ctx *m)
{
	const char *rcpt[1] = { to };
	struct smtp_envelope env = { c->from.data, rcpt, 1 };
	int rc;

	/* a composed buffer has room to grow (up to twice the message): a
	   thousand of them wait in flight per engine thread, so give it back */
	msg = xrealloc(msg, len + 1);
	while ((rc = smtp_transport_submit(c->t, &env, msg, len, SMTP_MSG_TAKE, email_done, m)) == NF_ERR_TEMP)
		smtp_transport_wait(c->t, 100);
	if (rc != NF_OK)
		free(msg);	/* refused outright: done is not called */
	return rc;
}

static int
email_open(struct deliver_channel **out, const struct deliver_config *cfg)
{
	struct deliver_channel *c = xcalloc(1, sizeof(*c));
	struct smtp_options opt;
	char err[256];

	*out = c;
	c->cfg = cfg;
	buf_init(&c->from, 0);
	c->secret_key = hmac_key_new(cfg->sender.secret->secret, cfg->sender.secret->len);
	smtp_options_init(&opt);
	opt.connections = cfg->connections;
	/* the relay conversation on its own thread: signing never delays a
	   reply being read, and replies never wait for a signature to finish */
	opt.threaded = 1;
	opt.queue_max = (int)(cfg->batch * (size_t)cfg->batches_in_flight + 1000);
	if (cfg->smtp_timeout_ms > 0)
		smtp_timeouts_all(&opt.timeouts, cfg->smtp_timeout_ms);
	opt.direct = cfg->direct;
	if (smtp_transport_open(&c->t, cfg->transport_url, &opt, err, sizeof(err)) != NF_OK) {
		log_error("delivery engine: cannot open transport: %s", err);
		return NF_ERR;
	}
	return NF_OK;
}

static int
email_prepare(struct deliver_channel *c, const struct deliver_alert *a)
{
	json_t *ctx;
	struct mail_content content;
	int rc;

	mail_alert_free(c->prepared);
	c->prepared = NULL;
	ctx = news_article_context(a->article);
	content = (struct mail_content){ a->article->headline, ctx };
	/* Date is the alert's creation time: a resend after a crash is the same message */
	rc = mail_alert_prepare(&c->cfg->sender, &content, (uint64_t)a->id, (time_t)a->created_at,
				&c->prepared);
	json_decref(ctx);
	return rc;
}

/*
 * email_send - n subscribers composed in one call: mail_alert_compose_many
 * hashes their bodies together, cheaper than n compose calls
 * (core/sha256_lanes.c); the messages are the same. The relay's outcomes
 * are reported only inside a wait: the lane collects after each group, so
 * messages already sent give back their memory while the rest of a batch
 * is being signed.
 */
static void
email_send(struct deliver_channel *c, const struct store_subscriber *sub, struct msg_ctx *m,
	   size_t n, enum deliver_send *rc)
{
	/* initialised for GCC's -O1 flow analysis, which cannot see n <= the rows filled */
	struct mail_subscriber ms[MAIL_COMPOSE_MANY] = { { 0, NULL, NULL } };
	struct buf msg[MAIL_COMPOSE_MANY], *out[MAIL_COMPOSE_MANY] = { NULL };
	int made[MAIL_COMPOSE_MANY];
	size_t k;

	for (k = 0; k < n; k++) {
		ms[k] = (struct mail_subscriber){ (uint64_t)sub[k].id, sub[k].email, sub[k].token_salt };
		buf_init(&msg[k], 0);
		out[k] = &msg[k];
	}
	mail_alert_compose_many(c->prepared, ms, n, out, made);
	for (k = 0; k < n; k++) {
		if (made[k] != NF_OK) {
			buf_free(&msg[k]);
			rc[k] = DELIVER_UNCOMPOSED;
			continue;
		}
		envelope_from(c, sub[k].id, sub[k].token_salt);
		rc[k] = submit(c, sub[k].email, msg[k].data, msg[k].len, &m[k]) == NF_OK ?
			DELIVER_SUBMITTED : DELIVER_REFUSED;
		msg[k].data = NULL;	/* the transport owns it now */
	}
}

static size_t
email_pending(struct deliver_channel *c)
{
	return smtp_transport_pending(c->t);
}

static void
email_collect(struct deliver_channel *c, size_t want, int timeout_ms)
{
	smtp_transport_wait_for(c->t, want, timeout_ms);
}

static void
email_drain(struct deliver_channel *c)
{
	smtp_transport_drain(c->t);
}

static void
email_close(struct deliver_channel *c)
{
	smtp_transport_free(c->t);
	mail_alert_free(c->prepared);
	hmac_key_free(c->secret_key);
	buf_free(&c->from);
	free(c);
}

static const char *
email_describe(const struct deliver_channel *c)
{
	return smtp_transport_name(c->t);
}

const struct deliver_channel_ops deliver_channel_email = {
	"email",
	MAIL_COMPOSE_MANY,
	email_open,
	email_prepare,
	email_send,
	email_pending,
	email_collect,
	email_drain,
	email_close,
	email_describe,
};

/* ---- the priority lane's one-off mail ---- */

/* the confirmation mail, composed now (the link lives MAIL_CONFIRM_TTL from now) */
int
deliver_email_confirm(struct deliver_channel *c, int64_t subscriber_id, const char *to,
		      const char *salt, char **msg, size_t *len)
{
	struct mail_subscriber ms = { (uint64_t)subscriber_id, to, salt };
	struct buf b;
	int rc;

	buf_init(&b, 0);
	rc = mail_confirm_compose(&c->cfg->sender, &ms, time(NULL), &b);
	if (rc == NF_OK)
		*msg = buf_steal(&b, len);
	buf_free(&b);
	return rc;
}

int
deliver_email_send_one(struct deliver_channel *c, struct msg_ctx *m, const char *to,
		       int64_t subscriber_id, const char *salt, char *msg, size_t len)
{
	if (salt) {
		envelope_from(c, subscriber_id, salt);
	} else {
		buf_reset(&c->from);
		buf_printf(&c->from, "bounce@%s", bounce_domain(c));
	}
	return submit(c, to, msg, len, m);
}
