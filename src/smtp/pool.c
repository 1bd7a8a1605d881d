/*
 * smtp/pool.c - a pool of relay connections fed from one queue
 *
 * Owns: which connection sends which message. Messages wait in one FIFO;
 * a connection that can start a transaction takes the next one (or waits on
 * the idle list); connections open when messages wait, up to the pool size,
 * spread over the relays by weight (relays with weight 0 only when no other
 * is up). A relay whose connections fail during setup more than `retries`
 * times in a row, or answer 5xx before mail can be sent, is down for a
 * back-off (1 s, doubling to 60 s); when no relay is up and no connection
 * is open, waiting messages are reported temporary with the relay's words.
 *
 * A message handed back by a lost connection (421, drop, timeout) goes to
 * the front of the queue until it has been tried on retries + 1
 * connections; then it is temporary with the reason of its last failure.
 * Nothing is dropped silently: every message submitted reaches its done
 * callback once, from the loop's after-round hook (never from inside a
 * connection's handler or from submit), so a callback may submit again.
 * Does not own: the conversation (smtp/session.c).
 *
 * Direct delivery (smtp/direct.c) makes a parent pool with no relays of
 * its own: it routes each message to a child pool per destination. The
 * children have no hook or timer; the parent's round and sweep drive them,
 * so every message finished in a round is reported in that round.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "smtp_internal.h"

void
smtp_timeouts_all(struct smtp_timeouts *t, long ms)
{
	t->connect = t->greeting = t->command = t->mail = t->rcpt = ms;
	t->data_init = t->data_block = t->data_end = t->idle = ms;
}

void
smtp_options_init(struct smtp_options *o)
{
	memset(o, 0, sizeof(*o));
	o->connections = 8;
	o->max_per_conn = 1000;
	o->queue_max = 10000;
	o->retries = 2;
	o->timeouts.connect = 30 * 1000;
	o->timeouts.greeting = 5 * 60 * 1000;
	o->timeouts.command = 5 * 60 * 1000;
	o->timeouts.mail = 5 * 60 * 1000;
	o->timeouts.rcpt = 5 * 60 * 1000;
	o->timeouts.data_init = 2 * 60 * 1000;
	o->timeouts.data_block = 3 * 60 * 1000;
	o->timeouts.data_end = 10 * 60 * 1000;
	o->timeouts.idle = 30 * 1000;
}

/* ---- the idle list: connections that would start a transaction now ---- */

static void
idle_remove(struct smtp_pool *p, struct smtp_conn *c)
{
	if (!c->on_idle)
		return;
	if (c->idle_prev)
		c->idle_prev->idle_next = c->idle_next;
	else
		p->idle = c->idle_next;
	if (c->idle_next)
		c->idle_next->idle_prev = c->idle_prev;
	c->idle_next = c->idle_prev = NULL;
	c->on_idle = 0;
}

void
smtp_pool_set_idle(struct smtp_pool *p, struct smtp_conn *c)
{
	if (c->on_idle || p->closing)
		return;
	c->idle_prev = NULL;
	c->idle_next = p->idle;
	if (p->idle)
		p->idle->idle_prev = c;
	p->idle = c;
	c->on_idle = 1;
}

struct smtp_job *
smtp_pool_take(struct smtp_pool *p, struct smtp_conn *c)
{
	struct smtp_job *job = p->qhead;

	if (job == NULL)
		return NULL;
	idle_remove(p, c);
	p->qhead = job->next;
	if (p->qhead == NULL)
		p->qtail = NULL;
	job->next = NULL;
	p->nqueued--;
	return job;
}

static void
enqueue(struct smtp_pool *p, struct smtp_job *job, int front)
{
	job->next = NULL;
	if (p->qhead == NULL)
		p->qhead = p->qtail = job;
	else if (front) {
		job->next = p->qhead;
		p->qhead = job;
	} else {
		p->qtail->next = job;
		p->qtail = job;
	}
	p->nqueued++;
}

void
smtp_pool_finish(struct smtp_pool *p, struct smtp_job *job)
{
	job->next = NULL;
	if (p->done_tail)
		p->done_tail->next = job;
	else
		p->done_head = job;
	p->done_tail = job;
}

void
smtp_pool_requeue(struct smtp_pool *p, struct smtp_job *job)
{
	if (job->attempts > p->opt.retries || p->closing) {
		smtp_job_fail_open(job, SMTP_TEMPORARY, job->lost_code, job->lost_enhanced,
				   job->texts.data + job->lost_off, job->lost_len);
		smtp_pool_finish(p, job);
		return;
	}
	if (p->parent && job->lost_code)
		smtp_direct_signal(p, job->lost_code, job->lost_enhanced, job->texts.data + job->lost_off);
	p->stats.retried++;
	enqueue(p, job, 1);
}

/* ---- relays ---- */

static int
relay_up(const struct pool_relay *r, int64_t now)
{
	return now >= r->down_until;
}

/* choose - the relay furthest below its share of connections */
static struct pool_relay *
choose(struct smtp_pool *p)
{
	int64_t now = smtp_loop_now(p->loop);
	struct pool_relay *best = NULL;
	size_t i;

	for (i = 0; i < p->nrelays; i++) {
		struct pool_relay *r = &p->relays[i];

		if (r->url.weight == 0 || !relay_up(r, now))
			continue;
		if (best == NULL || (long)r->nconn * best->url.weight < (long)best->nconn * r->url.weight)
			best = r;
	}
	for (i = 0; best == NULL && i < p->nrelays; i++) {
		struct pool_relay *r = &p->relays[i];

		if (r->url.weight == 0 && relay_up(r, now))
			best = r;
	}
	return best;
}

void
smtp_pool_conn_ready(struct smtp_pool *p, struct smtp_conn *c)
{
	if (c->in_setup) {
		c->in_setup = 0;
		p->nsetup--;
	}
	c->relay->fails = 0;
	c->relay->downs = 0;
	p->stats.connections++;
}

void
smtp_pool_conn_failed(struct smtp_pool *p, struct smtp_conn *c, int code,
		      const char *enhanced, const char *text)
{
	struct pool_relay *r = c->relay;
	char until[32], why[SMTP_REPLY_MAX + 1];

	r->fails++;
	r->last_code = code;
	snprintf(r->last_enhanced, sizeof(r->last_enhanced), "%s", enhanced ? enhanced : "");
	snprintf(r->last_text, sizeof(r->last_text), "%s", text);
	smtp_text_redact(text, why, sizeof(why));
	log_event(LOG_WARN, "smtp.conn.failed", "relay", r->url.host, "why", why, NULL);
	if (p->parent)
		smtp_direct_signal(p, code, enhanced, text);
	/* connections opened together fail together: one outage, one step of back-off */
	if (!relay_up(r, smtp_loop_now(p->loop)))
		return;
	if (r->fails <= p->opt.retries && code < 500)
		return;
	r->downs++;
	r->fails = 0;
	r->down_until = smtp_loop_now(p->loop) +
			(r->downs > 6 ? 60000 : 1000L << (r->downs - 1));
	snprintf(until, sizeof(until), "%lld", (long long)(r->down_until - smtp_loop_now(p->loop)));
	log_event(LOG_WARN, "smtp.relay.down", "relay", r->url.host, "ms", until, NULL);
}

void
smtp_pool_conn_closed(struct smtp_pool *p, struct smtp_conn *c)
{
	if (c->active) {
		c->active = 0;
		p->nconn--;
		c->relay->nconn--;
	}
	if (c->in_setup) {
		c->in_setup = 0;
		p->nsetup--;
	}
	idle_remove(p, c);
	if (c->phase == CONN_DEAD)
		p->ndead++;
}

static void
open_conn(struct smtp_pool *p, struct pool_relay *r)
{
	struct smtp_conn *c = smtp_conn_new(p, r);

	c->next = p->conns;
	if (p->conns)
		p->conns->prev = c;
	p->conns = c;
	c->active = 1;
	c->in_setup = 1;
	p->nconn++;
	p->nsetup++;
	r->nconn++;
	smtp_conn_connect(c);
}

/* fail_queue - no relay to send to: every waiting message is temporary */
static void
fail_queue(struct smtp_pool *p)
{
	const struct pool_relay *r = &p->relays[0];
	struct smtp_job *job;
	size_t i;

	for (i = 1; i < p->nrelays; i++)	/* the one that failed last speaks */
		if (p->relays[i].down_until > r->down_until)
			r = &p->relays[i];
	while ((job = p->qhead) != NULL) {
		p->qhead = job->next;
		p->nqueued--;
		smtp_job_fail_open(job, SMTP_TEMPORARY, r->last_code, r->last_enhanced,
				   r->last_text, strlen(r->last_text));
		smtp_pool_finish(p, job);
	}
	p->qtail = NULL;
}

/* grow - a connection per waiting message, up to the pool size */
static void
grow(struct smtp_pool *p)
{
	while (p->nqueued > (size_t)p->nsetup && p->nconn < p->opt.connections && !p->closing) {
		struct pool_relay *r = choose(p);

		if (r == NULL)
			break;
		open_conn(p, r);
	}
	/* a child paused by direct.c (no connections allowed) keeps its queue */
	if (p->nqueued && p->nconn == 0 && p->opt.connections > 0)
		fail_queue(p);
}

static void
dispatch(struct smtp_pool *p)
{
	while (p->qhead && p->idle) {
		struct smtp_conn *c = p->idle;

		idle_remove(p, c);
		smtp_conn_pump(c);
	}
	grow(p);
}

static void
reap(struct smtp_pool *p)
{
	struct smtp_conn *c, *next;

	if (p->ndead == 0)
		return;
	for (c = p->conns; c; c = next) {
		next = c->next;
		if (c->phase != CONN_DEAD)
			continue;
		if (c->prev)
			c->prev->next = c->next;
		else
			p->conns = c->next;
		if (c->next)
			c->next->prev = c->prev;
		smtp_conn_free(c);
	}
	p->ndead = 0;
}

void
smtp_pool_report(struct smtp_stats *stats, struct smtp_job *job)
{
	enum smtp_outcome o = smtp_job_report(job);

	if (o == SMTP_ACCEPTED)
		stats->accepted++;
	else if (o == SMTP_TEMPORARY)
		stats->temporary++;
	else
		stats->permanent++;
	smtp_job_free(job);
}

/*
 * run_done - the callbacks, outside any connection's handler; or, for the
 * threaded transport, the finished jobs handed over so that their
 * callbacks run on the thread that waits for them
 */
static void
run_done(struct smtp_pool *p)
{
	struct smtp_job *job;

	while ((job = p->done_head) != NULL) {
		p->done_head = job->next;
		if (p->done_head == NULL)
			p->done_tail = NULL;
		job->next = NULL;
		p->pending--;
		p->completed++;
		if (p->hand_done)
			p->hand_done(p->after_arg, job);
		else
			smtp_pool_report(&p->stats, job);
	}
}

static void
pool_round(struct smtp_loop *loop, void *arg)
{
	struct smtp_pool *p = arg;

	NF_UNUSED(loop);
	reap(p);
	dispatch(p);
	if (p->direct)
		smtp_direct_round(p->direct);
	run_done(p);
	if (p->after_round)
		p->after_round(p->after_arg);
}

/* pool_sweep - deadlines are checked a few times a second, not per event */
static long
pool_sweep(struct smtp_loop *loop, void *arg)
{
	struct smtp_pool *p = arg;
	struct smtp_conn *c;
	int64_t now = smtp_loop_now(loop);

	for (c = p->conns; c; c = c->next)
		smtp_conn_check_deadline(c, now);
	if (p->direct)
		smtp_direct_sweep(p->direct, now);
	return p->sweep_ms;
}

/* ---- a destination's pool under direct delivery ---- */

void
smtp_pool_child_round(struct smtp_pool *p)
{
	reap(p);
	dispatch(p);
	run_done(p);
}

void
smtp_pool_child_sweep(struct smtp_pool *p, int64_t now)
{
	struct smtp_conn *c;

	for (c = p->conns; c; c = c->next)
		smtp_conn_check_deadline(c, now);
}

void
smtp_pool_defer_queue(struct smtp_pool *p, int code, const char *enhanced, const char *text)
{
	struct smtp_job *job;

	while ((job = p->qhead) != NULL) {
		p->qhead = job->next;
		p->nqueued--;
		smtp_job_fail_open(job, SMTP_TEMPORARY, code, enhanced, text, strlen(text));
		smtp_pool_finish(p, job);
	}
	p->qtail = NULL;
}

/* ---- the public face ---- */

static void
pick_helo(struct smtp_pool *p, const char *name)
{
	size_t i;

	if (name == NULL || name[0] == '\0') {
		if (gethostname(p->helo, sizeof(p->helo) - 1) != 0 || p->helo[0] == '\0')
			snprintf(p->helo, sizeof(p->helo), "localhost");
	} else
		snprintf(p->helo, sizeof(p->helo), "%s", name);
	for (i = 0; p->helo[i]; i++)	/* it goes on a command line */
		if ((unsigned char)p->helo[i] <= ' ' || p->helo[i] == 0x7f)
			p->helo[i] = '-';
}

static long
min_timeout(const struct smtp_timeouts *t)
{
	const long all[] = { t->connect, t->greeting, t->command, t->mail, t->rcpt,
			     t->data_init, t->data_block, t->data_end, t->idle };
	long m = all[0];
	size_t i;

	for (i = 1; i < NF_ARRAY_LEN(all); i++)
		if (all[i] < m)
			m = all[i];
	return m;
}

static void
relays_free(struct pool_relay *relays, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (relays[i].addrs)
			freeaddrinfo(relays[i].addrs);
		if (relays[i].tls)
			SSL_CTX_free(relays[i].tls);
		smtp_url_clear(&relays[i].url);
	}
	free(relays);
}

/*
 * ignore_sigpipe - OpenSSL writes TLS records with write(2), which raises
 * SIGPIPE when a relay has gone: a dead relay must cost a message a retry,
 * not the process its life. A handler someone else installed is kept.
 */
static void
ignore_sigpipe(void)
{
	struct sigaction old;

	if (sigaction(SIGPIPE, NULL, &old) == 0 && old.sa_handler == SIG_DFL)
		signal(SIGPIPE, SIG_IGN);
}

/* pool_make - a pool for the relays in url, not yet on the loop's hook and timer */
static int
pool_make(struct smtp_pool **out, struct smtp_loop *loop, const char *url,
	  const struct smtp_options *opt, char *err, size_t errlen)
{
	struct smtp_relay_url *urls;
	struct smtp_pool *p;
	size_t n, i;
	int rc;

	if ((rc = smtp_url_parse(url, &urls, &n, err, errlen)) != NF_OK)
		return rc;
	p = xcalloc(1, sizeof(*p));
	p->loop = loop;
	p->opt = *opt;
	if (p->opt.connections < 1)
		p->opt.connections = 1;
	if (p->opt.queue_max < 1)
		p->opt.queue_max = 1;
	if (p->opt.retries < 0)
		p->opt.retries = 0;
	pick_helo(p, p->opt.helo_name);
	p->relays = xcalloc(n, sizeof(*p->relays));
	p->nrelays = n;
	for (i = 0; i < n; i++)
		p->relays[i].url = urls[i];
	free(urls);
	for (i = 0; i < n; i++) {
		struct pool_relay *r = &p->relays[i];

		if (r->url.tls != SMTP_TLS_NONE &&
		    (r->tls = smtp_tls_ctx(r->url.ca_file ? r->url.ca_file : p->opt.ca_file,
					   r->url.verify && r->url.tls != SMTP_TLS_MAY, err, errlen)) == NULL) {
			relays_free(p->relays, p->nrelays);
			free(p);
			return NF_ERR_INVALID;
		}
	}
	*out = p;
	return NF_OK;
}

int
smtp_pool_new_child(struct smtp_pool **out, struct smtp_pool *parent, const char *url,
		    int connections, int per_conn, char *err, size_t errlen)
{
	struct smtp_options opt = parent->opt;
	int rc;

	opt.connections = connections;
	opt.max_per_conn = per_conn;
	if ((rc = pool_make(out, parent->loop, url, &opt, err, errlen)) != NF_OK)
		return rc;
	(*out)->parent = parent;
	return NF_OK;
}

int
smtp_pool_new(struct smtp_pool **out, struct smtp_loop *loop, const char *url,
	      const struct smtp_options *opt, char *err, size_t errlen)
{
	struct smtp_options defaults;
	struct smtp_pool *p;
	int rc;

	if (opt == NULL) {
		smtp_options_init(&defaults);
		opt = &defaults;
	}
	ignore_sigpipe();
	if (smtp_direct_wanted(url, opt)) {
		p = xcalloc(1, sizeof(*p));
		p->loop = loop;
		p->opt = *opt;
		if (p->opt.queue_max < 1)
			p->opt.queue_max = 1;
		pick_helo(p, p->opt.helo_name);
		if ((rc = smtp_direct_new(&p->direct, p, url, err, errlen)) != NF_OK) {
			free(p);
			return rc;
		}
	} else if ((rc = pool_make(&p, loop, url, opt, err, errlen)) != NF_OK)
		return rc;
	p->sweep_ms = min_timeout(&p->opt.timeouts) / 4;
	if (p->sweep_ms > 250)
		p->sweep_ms = 250;
	if (p->sweep_ms < 5)
		p->sweep_ms = 5;
	smtp_loop_hook(loop, pool_round, p);
	p->timer = smtp_loop_timer(loop, p->sweep_ms, pool_sweep, p);
	*out = p;
	return NF_OK;
}

int
smtp_pool_submit(struct smtp_pool *p, const struct smtp_envelope *env, const char *msg,
		 size_t len, enum smtp_msg_own own, smtp_done_fn done, void *arg)
{
	struct smtp_job *job;
	int rc;

	if (p->closing)
		return NF_ERR;
	if (p->pending >= (size_t)p->opt.queue_max)
		return NF_ERR_TEMP;
	if ((job = smtp_job_new(env, msg, len, own, done, arg, &rc)) == NULL)
		return rc;
	smtp_pool_enqueue(p, job);
	return NF_OK;
}

/* smtp_pool_enqueue - a job made elsewhere (another thread) joins the queue */
void
smtp_pool_enqueue(struct smtp_pool *p, struct smtp_job *job)
{
	p->pending++;
	p->stats.submitted++;
	if (p->direct) {
		smtp_direct_route(p->direct, job);
		return;
	}
	enqueue(p, job, 0);
	dispatch(p);
}

size_t
smtp_pool_pending(const struct smtp_pool *p)
{
	return p->pending;
}

void
smtp_pool_stats(const struct smtp_pool *p, struct smtp_stats *out)
{
	*out = p->stats;
}

void
smtp_pool_free(struct smtp_pool *p)
{
	struct smtp_conn *c;

	if (p == NULL)
		return;
	p->closing = 1;
	smtp_direct_free(p->direct);	/* the children report what they held */
	for (c = p->conns; c; c = c->next) {
		if (c->phase == CONN_READY && c->exp_len == 0 && c->jobs == NULL)
			smtp_conn_quit(c);	/* say goodbye, then close below */
		else
			smtp_conn_abort(c, 0, "", "transport closed");
	}
	if (p->qhead) {
		struct smtp_job *job;

		while ((job = p->qhead) != NULL) {
			p->qhead = job->next;
			smtp_job_fail_open(job, SMTP_TEMPORARY, 0, "", "transport closed", 16);
			smtp_pool_finish(p, job);
		}
		p->qtail = NULL;
		p->nqueued = 0;
	}
	run_done(p);
	while ((c = p->conns) != NULL) {
		p->conns = c->next;
		smtp_conn_free(c);
	}
	if (p->parent == NULL) {
		smtp_loop_unhook(p->loop, pool_round, p);
		smtp_loop_timer_cancel(p->loop, p->timer);
	}
	relays_free(p->relays, p->nrelays);
	free(p);
}
