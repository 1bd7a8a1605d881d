/*
 * smtp/session.c - one relay connection's state machine (RFC 5321, RFC 2920)
 *
 * Owns: the conversation on one connection: greeting, EHLO (HELO when EHLO
 * is refused), STARTTLS (RFC 3207) and EHLO again, AUTH PLAIN (RFC 4616) or
 * LOGIN when credentials are given, then one transaction after another
 * (MAIL FROM with SIZE= / BODY=8BITMIME / SMTPUTF8, RCPT TO per recipient,
 * DATA, the message, "."), RSET after a failed transaction, QUIT. What
 * each reply means for each recipient is decided here; the timeouts of
 * RFC 5321 4.5.3.2 are armed here and checked by the pool's sweep.
 *
 * Pipelining (RFC 2920): when the relay offers it, a transaction's MAIL,
 * RCPTs and DATA leave in one write, and when DATA's 354 arrives the message,
 * its "." and the next transaction's commands leave in one sendmsg: one round
 * trip and one write per message. DATA ends a group (RFC 2920 3.1), so at
 * most one DATA is outstanding. Without PIPELINING each command waits for
 * its reply. Replies are matched to commands through a FIFO (struct expect).
 *
 * Failures: a 421, a lost connection, a reply that does not parse or a
 * timeout close the connection and hand its messages back to the pool
 * (smtp_pool_requeue), which retries them on another connection or reports
 * them temporary. A message is accepted only on a 2xx to its final dot.
 * Does not own: the sockets (smtp/io.c), TLS (smtp/tls.c), which connection
 * sends which message (smtp/pool.c).
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "smtp_internal.h"

#define IN_MAX (SMTP_REPLY_MAX + 16384 + 64)

static void conn_close(struct smtp_conn *c);
static void begin_quit(struct smtp_conn *c);

/* textf - a line of text for an outcome; long relay texts are cut, by design */
static void __attribute__((format(printf, 3, 4)))
textf(char *out, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(out, size, fmt, ap);
	va_end(ap);
}

/* ---- replies awaited, in order ---- */

static void
exp_push(struct smtp_conn *c, enum expect_kind kind, struct smtp_job *job, size_t rcpt)
{
	struct expect *e;

	if (c->exp_len == c->exp_cap) {
		size_t cap = c->exp_cap ? c->exp_cap * 2 : 16, i;
		struct expect *n = xmalloc(cap * sizeof(*n));

		for (i = 0; i < c->exp_len; i++)
			n[i] = c->exp[(c->exp_head + i) % c->exp_cap];
		free(c->exp);
		c->exp = n;
		c->exp_cap = cap;
		c->exp_head = 0;
	}
	e = &c->exp[(c->exp_head + c->exp_len) % c->exp_cap];
	e->kind = (unsigned char)kind;
	e->job = job;
	e->rcpt = (unsigned)rcpt;
	c->exp_len++;
}

static struct expect
exp_pop(struct smtp_conn *c)
{
	struct expect e = c->exp[c->exp_head];

	c->exp_head = (c->exp_head + 1) % c->exp_cap;
	c->exp_len--;
	return e;
}

/* ---- words for timeouts and errors ---- */

static const char *
waiting_for(const struct smtp_conn *c)
{
	static const char *const kinds[] = {
		"reply to RSET", "reply to MAIL FROM", "reply to RCPT TO",
		"reply to DATA", "reply to end of data", "reply to QUIT",
	};

	switch (c->phase) {
	case CONN_CONNECTING:
		return "connection";
	case CONN_HANDSHAKE:
		return "TLS handshake";
	case CONN_GREETING:
		return "greeting";
	case CONN_EHLO:
		return "reply to EHLO";
	case CONN_HELO:
		return "reply to HELO";
	case CONN_STARTTLS:
		return "reply to STARTTLS";
	case CONN_AUTH:
	case CONN_AUTH_USER:
	case CONN_AUTH_PASS:
		return "reply to AUTH";
	default:
		break;
	}
	if (c->body)
		return "the message to be written";
	if (c->exp_len)
		return kinds[c->exp[c->exp_head].kind];
	return "work";
}

/* ready_timeout - RFC 5321 4.5.3.2: by what the connection waits for */
static long
ready_timeout(const struct smtp_conn *c)
{
	const struct smtp_timeouts *t = &c->pool->opt.timeouts;

	if (smtp_io_pending(c))
		return t->data_block;
	if (c->exp_len == 0)
		return t->idle;
	switch (c->exp[c->exp_head].kind) {
	case EXP_MAIL:
		return t->mail;
	case EXP_RCPT:
		return t->rcpt;
	case EXP_DATA:
		return t->data_init;
	case EXP_DOT:
		return t->data_end;
	default:
		return t->command;
	}
}

/* arm - every event is progress: the clock restarts for what comes next */
static void
arm(struct smtp_conn *c)
{
	const struct smtp_timeouts *t = &c->pool->opt.timeouts;
	long ms;

	switch (c->phase) {
	case CONN_CONNECTING:
	case CONN_HANDSHAKE:
	case CONN_DEAD:
		return;		/* the connect timeout runs from the start */
	case CONN_GREETING:
		ms = t->greeting;
		break;
	case CONN_READY:
	case CONN_QUIT:
		ms = ready_timeout(c);
		break;
	default:
		ms = t->command;
	}
	c->deadline = smtp_loop_now(c->pool->loop) + ms;
}

/* ---- writing commands ---- */

static void
put(struct smtp_conn *c, const char *s, size_t n)
{
	buf_append(&c->out, s, n);
}

#define PUT(c, lit) put((c), (lit), sizeof(lit) - 1)

static void
put_num(struct smtp_conn *c, unsigned long v)
{
	char tmp[24];
	size_t i = sizeof(tmp);

	do
		tmp[--i] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	put(c, tmp + i, sizeof(tmp) - i);
}

static void
emit_rset(struct smtp_conn *c)
{
	PUT(c, "RSET\r\n");
	exp_push(c, EXP_RSET, NULL, 0);
	c->need_rset = 0;
}

static void
emit_mail(struct smtp_conn *c, struct smtp_job *job)
{
	PUT(c, "MAIL FROM:<");
	put(c, job->from, job->from_len);
	PUT(c, ">");
	if (c->ext & EXT_SIZE) {
		PUT(c, " SIZE=");
		put_num(c, job->wire_len);
	}
	if (job->eightbit && (c->ext & EXT_8BITMIME))
		PUT(c, " BODY=8BITMIME");
	if (job->utf8)
		PUT(c, " SMTPUTF8");
	PUT(c, "\r\n");
	exp_push(c, EXP_MAIL, job, 0);
}

static void
emit_rcpt(struct smtp_conn *c, struct smtp_job *job, size_t i)
{
	PUT(c, "RCPT TO:<");
	put(c, job->rcpt[i].addr, job->rcpt[i].len);
	PUT(c, ">\r\n");
	exp_push(c, EXP_RCPT, job, i);
}

static void
emit_data(struct smtp_conn *c, struct smtp_job *job)
{
	PUT(c, "DATA\r\n");
	exp_push(c, EXP_DATA, job, 0);
	c->data_pending = 1;
}

/* ---- messages in flight ---- */

static void
unlink_job(struct smtp_conn *c, struct smtp_job *job)
{
	struct smtp_job **pp;

	for (pp = &c->jobs; *pp; pp = &(*pp)->conn_next)
		if (*pp == job) {
			*pp = job->conn_next;
			break;
		}
	job->conn_next = NULL;
	if (c->cur == job)
		c->cur = NULL;
}

static void
finish(struct smtp_conn *c, struct smtp_job *job)
{
	c->ended++;
	unlink_job(c, job);
	smtp_pool_finish(c->pool, job);
}

static void
fail_reply(struct smtp_job *job, const struct smtp_reply *r)
{
	/* a 250 to DATA, or a 3xx to MAIL, is no success: whatever the code,
	   a failure here is temporary or permanent */
	smtp_job_fail_open(job, smtp_failure_of(r->code), r->code, r->enhanced, r->text, r->len);
}

/* start_job - check what this relay can take; 0 when the job ended here */
static int
start_job(struct smtp_conn *c, struct smtp_job *job)
{
	struct pool_relay *r = c->relay;
	char why[SMTP_TEXT_MAX];
	int n = 0;

	job->attempts++;
	job->failed = 0;
	job->dummy = 0;
	job->replied = 0;
	job->rcpt_ok = 0;
	if (job->utf8 && !(c->ext & EXT_SMTPUTF8))
		n = snprintf(why, sizeof(why), "%s:%s does not offer SMTPUTF8, which this message "
			     "needs (RFC 6531)", r->url.host, r->url.port);
	else if ((c->ext & EXT_SIZE) && c->size_max && job->wire_len > c->size_max)
		n = snprintf(why, sizeof(why), "message of %zu bytes exceeds the %lu byte limit of "
			     "%s:%s (RFC 1870)", job->wire_len, c->size_max, r->url.host, r->url.port);
	if (n > 0) {
		smtp_job_fail_open(job, SMTP_PERMANENT, 0, "", why, strlen(why));
		smtp_pool_finish(c->pool, job);
		return 0;
	}
	job->conn_next = c->jobs;
	c->jobs = job;
	c->cur = job;
	c->cur_step = 0;
	c->cur_rcpt = 0;
	c->nmsgs++;
	return 1;
}

/* emit_group - RFC 2920: [RSET] MAIL RCPT... DATA in one write */
static void
emit_group(struct smtp_conn *c)
{
	struct smtp_job *job = c->cur;
	size_t i;

	if (c->need_rset)
		emit_rset(c);
	emit_mail(c, job);
	for (i = 0; i < job->nrcpt; i++)
		if (job->rcpt[i].state == RCPT_PENDING)
			emit_rcpt(c, job, i);
	emit_data(c, job);
	c->cur = NULL;
}

/* emit_step - without pipelining: the next command, once the last is answered */
static void
emit_step(struct smtp_conn *c)
{
	struct smtp_job *job = c->cur;

	switch (c->cur_step) {
	case 0:
		c->cur_step = 1;
		if (c->need_rset) {
			emit_rset(c);
			return;
		}
		/* fall through */
	case 1:
		c->cur_step = 2;
		emit_mail(c, job);
		return;
	case 2:
		while (c->cur_rcpt < job->nrcpt && job->rcpt[c->cur_rcpt].state != RCPT_PENDING)
			c->cur_rcpt++;
		if (c->cur_rcpt < job->nrcpt && !job->failed) {
			emit_rcpt(c, job, c->cur_rcpt++);
			return;
		}
		/* fall through */
	default:
		if (job->failed || job->rcpt_ok == 0) {
			c->need_rset = 1;	/* no recipient left: no DATA */
			finish(c, job);
			return;
		}
		emit_data(c, job);
		c->cur = NULL;
	}
}

/* fill - queue every command that may be sent now */
static void
fill(struct smtp_conn *c)
{
	int pipe = (c->ext & EXT_PIPELINING) != 0, max = c->pool->opt.max_per_conn;

	while (c->phase == CONN_READY && !c->data_pending) {
		if (c->cur == NULL) {
			struct smtp_job *job;

			if (!pipe && c->exp_len)
				return;
			if (max > 0 && c->nmsgs >= max) {
				begin_quit(c);	/* after "." is fine: QUIT may end a group */
				return;
			}
			if ((job = smtp_pool_take(c->pool, c)) == NULL) {
				smtp_pool_set_idle(c->pool, c);
				return;
			}
			if (!start_job(c, job))
				continue;
		}
		if (pipe)
			emit_group(c);
		else if (c->exp_len == 0)
			emit_step(c);
		else
			return;
	}
}

/* ---- closing ---- */

static void
conn_close(struct smtp_conn *c)
{
	if (c->phase == CONN_DEAD)
		return;
	if (c->fd >= 0)
		smtp_loop_unwatch(c->pool->loop, c->fd);
	c->watching = 0;
	c->phase = CONN_DEAD;
	smtp_pool_conn_closed(c->pool, c);
}

void
smtp_conn_abort(struct smtp_conn *c, int code, const char *enhanced, const char *text)
{
	struct smtp_job *job;

	if (c->phase == CONN_DEAD)
		return;
	if (c->pool->closing)
		;		/* not the relay's fault */
	else if (c->phase < CONN_READY)
		smtp_pool_conn_failed(c->pool, c, code, enhanced, text);
	else {
		char why[SMTP_REPLY_MAX + 1];

		smtp_text_redact(text, why, sizeof(why));
		log_event(LOG_INFO, "smtp.conn.lost", "relay", c->relay->url.host, "why", why, NULL);
	}
	while ((job = c->jobs) != NULL) {
		size_t i;

		c->jobs = job->conn_next;
		job->conn_next = NULL;
		/* a connection that has carried mail and then dies before a word
		   about this message was stale (a relay closing idle or
		   counted connections): that try does not count */
		if (c->ended > 0 && !job->replied)
			job->attempts--;
		for (i = 0; i < job->nrcpt; i++)
			if (job->rcpt[i].state == RCPT_OK)
				job->rcpt[i].state = RCPT_PENDING;
		smtp_job_lost(job, code, enhanced, text, strlen(text));
		smtp_pool_requeue(c->pool, job);
	}
	c->cur = NULL;
	c->body = NULL;
	conn_close(c);
}

static void
abortf(struct smtp_conn *c, const char *fmt, const char *arg)
{
	char text[SMTP_TEXT_MAX];

	snprintf(text, sizeof(text), fmt, c->relay->url.host, c->relay->url.port, arg);
	smtp_conn_abort(c, 0, "", text);
}

static void
begin_quit(struct smtp_conn *c)
{
	PUT(c, "QUIT\r\n");
	exp_push(c, EXP_QUIT, NULL, 0);
	c->phase = CONN_QUIT;
	smtp_pool_conn_closed(c->pool, c);	/* no longer counts as open */
}

/* ---- after a reply or an event: write, and restart the clock ---- */

void
smtp_conn_pump(struct smtp_conn *c)
{
	char err[SMTP_TEXT_MAX];

	if (c->phase == CONN_DEAD || c->phase == CONN_CONNECTING || c->phase == CONN_HANDSHAKE)
		return;
	fill(c);
	if (smtp_io_flush(c, err, sizeof(err)) != NF_OK) {
		smtp_conn_abort(c, 0, "", err);
		return;
	}
	arm(c);
}

void
smtp_conn_quit(struct smtp_conn *c)
{
	if (c->phase != CONN_READY) {
		smtp_conn_abort(c, 0, "", "connection closed by newsflash");
		return;
	}
	begin_quit(c);
	smtp_conn_pump(c);
}

static int
idle(const struct smtp_conn *c)
{
	return c->exp_len == 0 && c->jobs == NULL && !smtp_io_pending(c);
}

void
smtp_conn_check_deadline(struct smtp_conn *c, int64_t now)
{
	if (c->phase == CONN_DEAD || now < c->deadline)
		return;
	if (c->phase == CONN_READY && idle(c)) {
		smtp_conn_quit(c);	/* idle too long: leave politely */
		return;
	}
	if (c->phase == CONN_QUIT && c->jobs == NULL) {
		conn_close(c);
		return;
	}
	abortf(c, "timeout waiting for %3$s from %1$s:%2$s", waiting_for(c));
}

/* ---- connection setup ---- */

static void
send_line(struct smtp_conn *c, const char *a, const char *b)
{
	buf_puts(&c->out, a);
	if (b)
		buf_puts(&c->out, b);
	PUT(c, "\r\n");
}

/* word - does the line start with keyword kw, as a whole word? */
static int
word(const char *p, size_t n, const char *kw)
{
	size_t k = strlen(kw);

	return n >= k && strncasecmp(p, kw, k) == 0 && (n == k || p[k] == ' ' || p[k] == '=');
}

static void
parse_auth(struct smtp_conn *c, const char *p, size_t n)
{
	size_t i = 0;

	while (i < n) {
		size_t start;

		while (i < n && (p[i] == ' ' || p[i] == '='))
			i++;
		for (start = i; i < n && p[i] != ' '; i++)
			;
		if (word(p + start, i - start, "PLAIN"))
			c->ext |= EXT_AUTH_PLAIN;
		else if (word(p + start, i - start, "LOGIN"))
			c->ext |= EXT_AUTH_LOGIN;
	}
}

static unsigned long
parse_size(const char *p, size_t n)
{
	unsigned long v = 0;
	size_t i = 0;

	while (i < n && p[i] == ' ')
		i++;
	for (; i < n && p[i] >= '0' && p[i] <= '9'; i++)
		v = v > 100000000000ul ? v : v * 10 + (unsigned long)(p[i] - '0');
	return v;
}

/* parse_ehlo - RFC 5321 4.1.1.1: one keyword per line after the first */
static void
parse_ehlo(struct smtp_conn *c, const struct smtp_reply *r)
{
	const char *p = memchr(r->text, '\n', r->len), *end = r->text + r->len;

	c->ext = 0;
	c->size_max = 0;
	while (p && p < end) {
		const char *line = p + 1, *nl = memchr(line, '\n', (size_t)(end - line));
		size_t n = (size_t)((nl ? nl : end) - line);

		if (word(line, n, "PIPELINING"))
			c->ext |= EXT_PIPELINING;
		else if (word(line, n, "SIZE")) {
			c->ext |= EXT_SIZE;
			c->size_max = parse_size(line + 4, n - 4);
		} else if (word(line, n, "8BITMIME"))
			c->ext |= EXT_8BITMIME;
		else if (word(line, n, "SMTPUTF8"))
			c->ext |= EXT_SMTPUTF8;
		else if (word(line, n, "STARTTLS"))
			c->ext |= EXT_STARTTLS;
		else if (word(line, n, "AUTH"))
			parse_auth(c, line + 4, n - 4);
		p = nl;
	}
}

static void
send_b64(struct smtp_conn *c, const char *prefix, const char *s, size_t n)
{
	struct buf b;

	buf_init(&b, 0);
	base64_encode(&b, s, n);
	send_line(c, prefix, b.data ? b.data : "");
	explicit_bzero(b.data, b.len);
	buf_free(&b);
}

static void
auth_plain(struct smtp_conn *c)
{
	const char *u = c->relay->url.user, *p = c->relay->url.pass;
	size_t ul = strlen(u), pl = strlen(p);
	char *cred = xmalloc(ul + pl + 2);

	/* RFC 4616: authzid NUL authcid NUL passwd, with an empty authzid */
	cred[0] = '\0';
	memcpy(cred + 1, u, ul);
	cred[ul + 1] = '\0';
	memcpy(cred + ul + 2, p, pl);
	send_b64(c, "AUTH PLAIN ", cred, ul + pl + 2);
	explicit_bzero(cred, ul + pl + 2);
	free(cred);
	c->phase = CONN_AUTH;
}

/* setup_next - after EHLO/HELO: STARTTLS, AUTH, or ready */
static void
setup_next(struct smtp_conn *c)
{
	const struct smtp_relay_url *u = &c->relay->url;

	if (u->tls == SMTP_TLS_MAY && !c->tls_on && (c->ext & EXT_STARTTLS) && !c->relay->tls_broken) {
		send_line(c, "STARTTLS", NULL);	/* opportunistic (RFC 7435): better than clear */
		c->phase = CONN_STARTTLS;
		return;
	}
	if (u->tls == SMTP_TLS_STARTTLS && !c->tls_on) {
		if (!(c->ext & EXT_STARTTLS)) {
			abortf(c, "%s:%s does not offer STARTTLS (use tls=none to send in clear)%s", "");
			return;
		}
		send_line(c, "STARTTLS", NULL);
		c->phase = CONN_STARTTLS;
		return;
	}
	if (u->user && !c->authed) {
		if (c->ext & EXT_AUTH_PLAIN)
			auth_plain(c);
		else if (c->ext & EXT_AUTH_LOGIN) {
			send_line(c, "AUTH LOGIN", NULL);
			c->phase = CONN_AUTH_USER;
		} else
			abortf(c, "%s:%s does not offer AUTH PLAIN or LOGIN%s", "");
		return;
	}
	c->phase = CONN_READY;
	smtp_pool_conn_ready(c->pool, c);
}

/*
 * helo_name - the pool's name, or, when this host has no domain name (no
 * dot in it), our address on this connection as a literal: RFC 5321 4.1.4
 * asks for one rather than a bare host name many relays refuse.
 */
static const char *
helo_name(const struct smtp_conn *c, char *out, size_t size)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char ip[INET6_ADDRSTRLEN];
	const void *a;

	if (c->pool->opt.helo_name || strchr(c->pool->helo, '.') ||
	    getsockname(c->fd, (struct sockaddr *)&ss, &len) != 0)
		return c->pool->helo;
	a = ss.ss_family == AF_INET6 ? (const void *)&((struct sockaddr_in6 *)&ss)->sin6_addr
				     : (const void *)&((struct sockaddr_in *)&ss)->sin_addr;
	if (inet_ntop(ss.ss_family, a, ip, sizeof(ip)) == NULL)
		return c->pool->helo;
	snprintf(out, size, ss.ss_family == AF_INET6 ? "[IPv6:%s]" : "[%s]", ip);
	return out;
}

static void
send_hello(struct smtp_conn *c, const char *verb, enum conn_phase next)
{
	char literal[INET6_ADDRSTRLEN + 8];

	send_line(c, verb, helo_name(c, literal, sizeof(literal)));
	c->phase = next;
}

static void
send_ehlo(struct smtp_conn *c)
{
	send_hello(c, "EHLO ", CONN_EHLO);
}

static void
tls_step(struct smtp_conn *c, int rc, const char *err)
{
	if (rc == SMTP_NEED_MORE)
		return;
	if (rc != NF_OK) {
		if (c->relay->url.tls == SMTP_TLS_MAY)
			c->relay->tls_broken = 1;	/* the next connection goes in clear */
		smtp_conn_abort(c, 0, "", err);
		return;
	}
	smtp_io_watch(c, SMTP_EV_READ);
	if (c->relay->url.tls == SMTP_TLS_STARTTLS || c->relay->url.tls == SMTP_TLS_MAY)
		send_ehlo(c);	/* RFC 3207 4.2: forget what was said in clear */
	else
		c->phase = CONN_GREETING;
	smtp_conn_pump(c);
}

static void
start_tls(struct smtp_conn *c)
{
	char err[SMTP_TEXT_MAX];
	int rc;

	c->phase = CONN_HANDSHAKE;
	c->deadline = smtp_loop_now(c->pool->loop) + c->pool->opt.timeouts.connect;
	rc = smtp_tls_start(c, err, sizeof(err));
	tls_step(c, rc, err);
}

/* setup_reply - one command at a time until the connection is ready */
static void
setup_reply(struct smtp_conn *c, const struct smtp_reply *r)
{
	const struct smtp_relay_url *u = &c->relay->url;
	int ok = 0;

	switch (c->phase) {
	case CONN_GREETING:
		if ((ok = r->code == 220))
			send_ehlo(c);
		break;
	case CONN_EHLO:
		if ((ok = r->code / 100 == 2)) {
			parse_ehlo(c, r);
			setup_next(c);
		} else if ((ok = r->code / 100 == 5 && !c->tls_on))
			send_hello(c, "HELO ", CONN_HELO);	/* RFC 5321 3.2: an old server */
		break;
	case CONN_HELO:
		if ((ok = r->code / 100 == 2)) {
			c->ext = 0;
			setup_next(c);
		}
		break;
	case CONN_STARTTLS:
		if ((ok = r->code == 220))
			start_tls(c);
		break;
	case CONN_AUTH_USER:
	case CONN_AUTH_PASS:
		if ((ok = r->code == 334)) {
			int user = c->phase == CONN_AUTH_USER;

			/* RFC 4954 AUTH LOGIN: the user name, then the password */
			send_b64(c, "", user ? u->user : u->pass, strlen(user ? u->user : u->pass));
			c->phase = user ? CONN_AUTH_PASS : CONN_AUTH;
		}
		break;
	case CONN_AUTH:
		/* RFC 4954 says 235; any 2xx is taken, as Postfix's client does */
		if ((ok = r->code / 100 == 2)) {
			c->authed = 1;
			setup_next(c);
		}
		break;
	default:
		ok = 1;
		break;
	}
	if (!ok)
		smtp_conn_abort(c, r->code, r->enhanced, r->text);
}

/* ---- replies in a transaction ---- */

static void
on_data_reply(struct smtp_conn *c, struct smtp_job *job, const struct smtp_reply *r)
{
	c->data_pending = 0;
	if (r->code != 354) {
		fail_reply(job, r);
		c->need_rset = 1;
		finish(c, job);
		return;
	}
	if (job->failed || job->rcpt_ok == 0) {
		/* RFC 2920 3.1: DATA accepted with no recipient left: send an
		   empty message and disregard its fate */
		job->dummy = 1;
		PUT(c, ".\r\n");
	} else {
		c->body = job;
		c->body_off = 0;
	}
	exp_push(c, EXP_DOT, job, 0);
}

static void
on_dot_reply(struct smtp_conn *c, struct smtp_job *job, const struct smtp_reply *r)
{
	size_t i;

	if (!job->dummy)
		for (i = 0; i < job->nrcpt; i++)
			if (job->rcpt[i].state == RCPT_OK)
				smtp_job_rcpt_done(job, i, smtp_outcome_of(r->code), r->code,
						   r->enhanced, r->text, r->len);
	if (job->failed)
		c->need_rset = 1;
	finish(c, job);
}

static void
transaction_reply(struct smtp_conn *c, const struct smtp_reply *r)
{
	struct smtp_job *job;
	struct expect e;

	if (c->exp_len == 0 || c->body) {
		/* nothing asked, or an answer before the message was all sent:
		   the relay and we no longer agree on where we are */
		char text[SMTP_TEXT_MAX];

		textf(text, sizeof(text), "%s:%s replied out of turn: %d %s", c->relay->url.host,
			 c->relay->url.port, r->code, r->text);
		smtp_conn_abort(c, r->code == 421 ? 421 : 0, r->enhanced, text);
		return;
	}
	e = exp_pop(c);
	job = e.job;
	if (job)
		job->replied = 1;
	if (r->code == 421 && e.kind != EXP_QUIT) {
		smtp_conn_abort(c, r->code, r->enhanced, r->text);	/* RFC 5321 3.8 */
		return;
	}
	switch (e.kind) {
	case EXP_MAIL:
		if (r->code / 100 != 2) {
			job->failed = 1;
			fail_reply(job, r);
			c->need_rset = 1;
		}
		break;
	case EXP_RCPT:
		if (job->failed)
			break;
		if (r->code / 100 == 2) {
			job->rcpt[e.rcpt].state = RCPT_OK;
			job->rcpt_ok++;
		} else
			smtp_job_rcpt_done(job, e.rcpt, smtp_failure_of(r->code), r->code,
					   r->enhanced, r->text, r->len);
		break;
	case EXP_DATA:
		on_data_reply(c, job, r);
		break;
	case EXP_DOT:
		on_dot_reply(c, job, r);
		break;
	case EXP_QUIT:
		if (c->jobs == NULL)
			conn_close(c);
		break;
	default:		/* RSET: its answer changes nothing */
		break;
	}
}

/* ---- events ---- */

/* parse_replies - every complete reply in c->in; 0 when the connection ended */
static int
parse_replies(struct smtp_conn *c)
{
	struct smtp_reply r;
	size_t off = 0, used;
	int rc;

	while (off < c->in.len) {
		rc = smtp_reply_parse(c->in.data + off, c->in.len - off, &r, &used);
		if (rc == SMTP_NEED_MORE)
			break;
		if (rc != NF_OK) {
			abortf(c, rc == NF_ERR_LIMIT ? "reply from %s:%s too long%s"
						     : "malformed reply from %s:%s%s", "");
			return 0;
		}
		off += used;
		if (c->phase == CONN_STARTTLS && off < c->in.len) {
			/* bytes after the 220 would be taken as said under TLS:
			   the command injection of CVE-2011-0411 */
			abortf(c, "%s:%s sent data after its reply to STARTTLS%s", "");
			return 0;
		}
		if (c->phase < CONN_READY)
			setup_reply(c, &r);
		else
			transaction_reply(c, &r);
		if (c->phase == CONN_DEAD)
			return 0;
	}
	buf_consume(&c->in, off);
	return 1;
}

static void
closed(struct smtp_conn *c, const char *err)
{
	char text[SMTP_TEXT_MAX];

	if ((c->phase == CONN_QUIT || c->phase == CONN_READY) && idle(c)) {
		conn_close(c);	/* after QUIT, or an idle connection timed out by the relay */
		return;
	}
	textf(text, sizeof(text), "%s while waiting for %s", err, waiting_for(c));
	smtp_conn_abort(c, 0, "", text);
}

static int
read_replies(struct smtp_conn *c)
{
	char err[SMTP_TEXT_MAX];
	int more;

	do {
		long n = smtp_io_read(c, &more, err, sizeof(err));

		if (n < 0) {
			closed(c, err);
			return 0;
		}
		if (n > 0 && !parse_replies(c))
			return 0;
		if (c->phase == CONN_HANDSHAKE)
			return 0;
	} while (more);
	return 1;
}

void
smtp_conn_event(struct smtp_loop *loop, int fd, void *arg, int events)
{
	struct smtp_conn *c = arg;
	char err[SMTP_TEXT_MAX];

	NF_UNUSED(loop);
	NF_UNUSED(fd);
	switch (c->phase) {
	case CONN_DEAD:
		return;
	case CONN_CONNECTING:
		if (smtp_io_connected(c, err, sizeof(err)) != NF_OK)
			smtp_conn_abort(c, 0, "", err);
		else if (c->relay->url.tls == SMTP_TLS_IMPLICIT)
			start_tls(c);
		else {
			c->phase = CONN_GREETING;
			arm(c);
		}
		return;
	case CONN_HANDSHAKE:
		tls_step(c, smtp_tls_handshake(c, err, sizeof(err)), err);
		return;
	default:
		break;
	}
	if ((events & SMTP_EV_READ) && !read_replies(c))
		return;
	smtp_conn_pump(c);
}

struct smtp_conn *
smtp_conn_new(struct smtp_pool *pool, struct pool_relay *relay)
{
	struct smtp_conn *c = xcalloc(1, sizeof(*c));

	c->pool = pool;
	c->relay = relay;
	c->fd = -1;
	c->phase = CONN_CONNECTING;
	buf_init(&c->in, IN_MAX);
	buf_init(&c->out, 0);
	c->deadline = smtp_loop_now(pool->loop) + pool->opt.timeouts.connect;
	return c;
}

void
smtp_conn_connect(struct smtp_conn *c)
{
	char err[SMTP_TEXT_MAX];

	if (smtp_io_connect(c, err, sizeof(err)) != NF_OK)
		smtp_conn_abort(c, 0, "", err);
}

void
smtp_conn_free(struct smtp_conn *c)
{
	if (c == NULL)
		return;
	if (c->ssl)
		SSL_free(c->ssl);
	if (c->fd >= 0) {
		smtp_loop_unwatch(c->pool->loop, c->fd);
		close(c->fd);
	}
	buf_free(&c->in);
	buf_free(&c->out);
	free(c->exp);
	free(c);
}
