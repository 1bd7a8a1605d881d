/*
 * smtp/direct.c - direct delivery: each message to its domain's MX hosts, shaped per destination
 *
 * Owns: the "direct" transport's routing (RFC 5321 section 5.1). A
 * message's recipient domain is looked up in the routes first (a domain
 * sent to a relay, or direct); a direct domain is resolved with c-ares,
 * asynchronously on the pool's loop: MX records in preference order, no MX
 * meaning the domain's own A/AAAA (the implicit MX), a null MX (RFC 7505)
 * and a domain that does not exist failing the message permanently at
 * once, without a connection. Answers are kept for their TTL (clamped to
 * DIRECT_TTL_MIN..DIRECT_TTL_MAX); a failed lookup is kept briefly.
 *
 * A destination is one set of mail exchangers (the addresses of the MX
 * hosts, best preference first): domains served by the same hosts share
 * it, and so share its limits. Each destination is a child smtp_pool on
 * the same loop, whose relays are the MX addresses (the best preference
 * takes the connections, the others are backups), with opportunistic
 * STARTTLS (tls=may: encrypted when offered, certificate not checked;
 * after a failed handshake that address is used in clear). In front of it, this
 * file shapes: at most `connections` open, `per-connection` messages each,
 * `per-minute` messages (a token bucket). A message waits here at most
 * DIRECT_HOLD_MS; what a destination cannot take in that time is deferred
 * at once (reported temporary), so the engine's shard moves on and its
 * retry lane brings the message back later: one slow or throttling
 * domain never holds up a batch for the others.
 *
 * Adaptive back-off: a reply that means "slow down" (421/450/451 with
 * 4.7.x, Gmail's 4.7.28, Outlook's 4.7.650, Yahoo's [TSS..] texts) halves
 * the destination's connections and rate and pauses it (1 s, doubling to
 * DIRECT_PAUSE_MAX_MS); what waits for it is deferred. After
 * DIRECT_RECOVER_MS without another such reply, every accepted message
 * may raise the limits a step (once a second) back to the configured ones.
 * A destination that is down is the child pool's business: its relays are
 * marked down with back-off and its messages reported temporary at once.
 *
 * Does not own: the SMTP conversation (session.c), the child pools
 * (pool.c), or reading DNS answers (dns_answer.c).
 */
#include <arpa/inet.h>
#include <ares.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "smtp_internal.h"

#define DIRECT_HOLD_MS 2000		/* the longest a message waits here for its destination */
#define DIRECT_TTL_MIN 5		/* seconds an MX answer is kept at least */
#define DIRECT_TTL_MAX 86400
#define DIRECT_NEG_TTL 300		/* a domain that takes no mail, remembered */
#define DIRECT_TEMP_TTL 5		/* a lookup that failed, before it is tried again */
#define DIRECT_MX_HOSTS 8		/* exchangers used per domain, best first */
#define DIRECT_MX_ADDRS 4		/* addresses used per exchanger */
#define DIRECT_PAUSE_FIRST_MS 1000
#define DIRECT_PAUSE_MAX_MS 300000
#define DIRECT_RECOVER_MS 5000		/* quiet this long before limits climb back */
#define DIRECT_RAISE_EVERY_MS 1000
#define DIRECT_THROTTLED_RATE 600	/* per minute, when an unlimited destination says slow down */
#define DIRECT_RATE_MIN 6
#define DIRECT_DNS_TIMEOUT_MS 2000
#define DIRECT_DNS_TRIES 2
#define DOM_BUCKETS 8192
#define DEST_BUCKETS 1024

struct direct_shape {
	char match[128];		/* "default", or a host name suffix ("google.com") */
	int connections, per_conn, per_minute;
};

struct dest {
	struct dest *hnext;
	char *key;			/* the child pool's URL */
	char label[128];		/* its first host, for logs */
	struct smtp_direct *d;
	struct smtp_pool *pool;
	struct direct_shape shape;	/* as configured */
	int conc;			/* connections allowed now */
	double rate;			/* messages per minute now, 0 = no limit */
	double tokens;
	int64_t filled_at;
	struct smtp_job *wait_head, *wait_tail;
	size_t nwait;
	int64_t paused_until, last_throttle, last_raise;
	uint64_t sent_at_throttle;	/* sent, when it said slow down last */
	long pause_ms;
	int code;			/* the last slow-down, for what is deferred */
	char enhanced[16];
	char text[SMTP_TEXT_MAX];
	int active;
	struct smtp_direct_stats st;
};

enum dom_state { DOM_NEW, DOM_RESOLVING, DOM_READY, DOM_FAILED };

struct mx_host {
	char name[SMTP_DNS_NAME_MAX + 1];
	int pref;
	char addr[DIRECT_MX_ADDRS][INET6_ADDRSTRLEN + 2];
	int naddr;
};

struct dom {
	struct dom *hnext;
	char *name;
	enum dom_state state;
	int64_t expires;		/* ms, loop clock */
	struct dest *dest;
	enum smtp_outcome fail;		/* DOM_FAILED: what its messages get */
	int code;
	char enhanced[16];
	char text[SMTP_TEXT_MAX];
	struct smtp_job *wait_head, *wait_tail;	/* while resolving */
	/* a lookup in progress */
	struct mx_host hosts[DIRECT_MX_HOSTS];
	int nhosts, queries, tempfail, decided, had_mx;
	uint32_t ttl;
};

struct dns_query {
	struct smtp_direct *d;
	struct dom *dom;
	int host;			/* -1: the MX query */
};

struct route {
	char *domain;			/* "example.org", or ".example.org": every subdomain */
	struct dest *dest;		/* NULL: direct */
};

struct smtp_direct {
	struct smtp_pool *parent;
	struct smtp_loop *loop;
	ares_channel ch;
	int have_ch;
	char port[8];
	struct route *routes;
	size_t nroutes;
	int default_direct;
	struct dest *default_dest;
	struct direct_shape *shapes;
	size_t nshapes;
	struct direct_shape def, relay_def;
	struct dom *doms[DOM_BUCKETS];
	struct dest *dests[DEST_BUCKETS];
	struct dest **active;
	size_t nactive, cap_active;
	int nqueries;
	int closing;
};

/* textf - a line of text for an outcome or a log; long texts are cut, by design */
static void __attribute__((format(printf, 3, 4)))
textf(char *out, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(out, size, fmt, ap);
	va_end(ap);
}

static size_t
hash(const char *s)
{
	size_t h = 5381;

	while (*s)
		h = h * 33 + (unsigned char)*s++;
	return h;
}

static void dest_submit(struct dest *t, struct smtp_job *job, int64_t now);
static void child_done(void *arg, struct smtp_job *job);

/* ---- finishing a message here ---- */

static void
job_end(struct smtp_direct *d, struct smtp_job *job, enum smtp_outcome o, int code,
	const char *enhanced, const char *text)
{
	smtp_job_fail_open(job, o, code, enhanced, text, strlen(text));
	smtp_pool_finish(d->parent, job);
}

static void
defer(struct dest *t, struct smtp_job *job, const char *why)
{
	char text[SMTP_TEXT_MAX];

	t->st.deferred++;
	if (t->code)
		textf(text, sizeof(text), "deferred: %s slowed us down (%s)", t->label, t->text);
	else
		snprintf(text, sizeof(text), "deferred: %s %s", t->label, why);
	job_end(t->d, job, SMTP_TEMPORARY, t->code, t->code ? t->enhanced : "", text);
}

/* ---- shaping configuration ---- */

static int
shape_num(const char *v, int *out)
{
	char *end;
	long n = strtol(v, &end, 10);

	if (end == v || *end || n < 0 || n > 1000000)
		return NF_ERR_INVALID;
	*out = (int)n;
	return NF_OK;
}

/* shape_parse - "MATCH connections=N per-connection=N per-minute=N", any of the three */
static int
shape_parse(const char *s, struct direct_shape *out, char *err, size_t errlen)
{
	char buf[512], *save = NULL, *w;
	int first = 1;

	if (strlen(s) >= sizeof(buf)) {
		snprintf(err, errlen, "--shape: too long");
		return NF_ERR_INVALID;
	}
	snprintf(buf, sizeof(buf), "%s", s);
	for (w = strtok_r(buf, " \t", &save); w; w = strtok_r(NULL, " \t", &save), first = 0) {
		char *eq = strchr(w, '=');
		int rc = NF_ERR_INVALID;

		if (first) {
			if (eq || strlen(w) >= sizeof(out->match))
				break;
			snprintf(out->match, sizeof(out->match), "%s", w);
			continue;
		}
		if (eq == NULL)
			break;
		*eq++ = '\0';
		if (strcmp(w, "connections") == 0)
			rc = shape_num(eq, &out->connections);
		else if (strcmp(w, "per-connection") == 0)
			rc = shape_num(eq, &out->per_conn);
		else if (strcmp(w, "per-minute") == 0)
			rc = shape_num(eq, &out->per_minute);
		if (rc != NF_OK)
			break;
	}
	if (w != NULL || first) {
		snprintf(err, errlen, "--shape wants 'default|HOST-SUFFIX connections=N "
			 "per-connection=N per-minute=N', not '%s'", s);
		return NF_ERR_INVALID;
	}
	if (out->connections == 0)
		out->connections = 1;
	return NF_OK;
}

/* the shape for a host: the longest suffix that matches it on a label boundary */
static const struct direct_shape *
shape_for(const struct smtp_direct *d, const char *host, const struct direct_shape *fallback)
{
	const struct direct_shape *best = fallback;
	size_t hl = strlen(host), bl = 0, i;

	for (i = 0; i < d->nshapes; i++) {
		const char *m = d->shapes[i].match;
		size_t ml = strlen(m);

		if (ml > hl || ml <= bl || strcasecmp(host + hl - ml, m) != 0)
			continue;
		if (ml < hl && host[hl - ml - 1] != '.' && m[0] != '.')
			continue;
		best = &d->shapes[i];
		bl = ml;
	}
	return best;
}

/* ---- destinations ---- */

static void
activate(struct dest *t)
{
	struct smtp_direct *d = t->d;

	if (t->active)
		return;
	if (d->nactive == d->cap_active) {
		d->cap_active = d->cap_active ? d->cap_active * 2 : 64;
		d->active = xrealloc(d->active, d->cap_active * sizeof(*d->active));
	}
	d->active[d->nactive++] = t;
	t->active = 1;
}

static struct dest *
dest_get(struct smtp_direct *d, const char *url, const char *label,
	 const struct direct_shape *fallback, char *err, size_t errlen)
{
	size_t b = hash(url) % DEST_BUCKETS;
	struct dest *t;

	for (t = d->dests[b]; t; t = t->hnext)
		if (strcmp(t->key, url) == 0)
			return t;
	t = xcalloc(1, sizeof(*t));
	t->d = d;
	t->shape = *shape_for(d, label, fallback);
	if (smtp_pool_new_child(&t->pool, d->parent, url, t->shape.connections, t->shape.per_conn,
				err, errlen) != NF_OK) {
		free(t);
		return NULL;
	}
	t->pool->hand_done = child_done;
	t->pool->after_arg = t;
	t->key = xstrdup(url);
	snprintf(t->label, sizeof(t->label), "%s", label);
	t->conc = t->shape.connections;
	t->rate = t->shape.per_minute;
	t->filled_at = smtp_loop_now(d->loop);
	t->tokens = 1;
	t->hnext = d->dests[b];
	d->dests[b] = t;
	return t;
}

static double
bucket_cap(const struct dest *t)
{
	double sec = t->rate / 60.0;

	return sec < 1 ? 1 : sec;
}

/* release - hand waiting messages to the child pool as the limits allow */
static void
release(struct dest *t, int64_t now)
{
	if (t->rate > 0) {
		t->tokens += (double)(now - t->filled_at) * t->rate / 60000.0;
		if (t->tokens > bucket_cap(t))
			t->tokens = bucket_cap(t);
	}
	t->filled_at = now;
	if (now < t->paused_until)
		return;
	while (t->wait_head && t->pool->nqueued < (size_t)t->conc && (t->rate <= 0 || t->tokens >= 1)) {
		struct smtp_job *job = t->wait_head;

		t->wait_head = job->next;
		if (t->wait_head == NULL)
			t->wait_tail = NULL;
		t->nwait--;
		if (t->rate > 0)
			t->tokens -= 1;
		smtp_pool_enqueue(t->pool, job);
	}
}

static void
dest_submit(struct dest *t, struct smtp_job *job, int64_t now)
{
	double room;

	activate(t);
	if (now < t->paused_until) {
		defer(t, job, "is paused");
		return;
	}
	/* what the rate lets through while a message may wait here */
	room = t->rate > 0 ? t->rate * DIRECT_HOLD_MS / 60000.0 : 0;
	if (t->rate > 0 && t->nwait >= (size_t)t->conc && (double)t->nwait >= room) {
		defer(t, job, "is at its rate");
		return;
	}
	job->next = NULL;
	job->queued_at = now;
	if (t->wait_tail)
		t->wait_tail->next = job;
	else
		t->wait_head = job;
	t->wait_tail = job;
	t->nwait++;
	release(t, now);
}

/* defer_waiting - messages that waited past DIRECT_HOLD_MS (all of them when paused) */
static void
defer_waiting(struct dest *t, int64_t now, int all)
{
	while (t->wait_head && (all || now - t->wait_head->queued_at > DIRECT_HOLD_MS)) {
		struct smtp_job *job = t->wait_head;

		t->wait_head = job->next;
		if (t->wait_head == NULL)
			t->wait_tail = NULL;
		t->nwait--;
		defer(t, job, all ? "is paused" : "cannot take more now");
	}
}

/* is this reply a request to slow down? (RFC 3463 X.7.x with 421/450/451, and the big providers' words) */
int
smtp_direct_is_throttle(int code, const char *enhanced, const char *text)
{
	if (code != 421 && code != 450 && code != 451)
		return 0;
	if (enhanced && strncmp(enhanced, "4.7.", 4) == 0)
		return 1;	/* 4.7.0 generic, 4.7.28 Gmail, 4.7.650 Outlook ... */
	return text && (strstr(text, "[TSS") || strcasestr(text, "rate limit") ||
			strcasestr(text, "too many") || strcasestr(text, "throttl") ||
			strcasestr(text, "try again later"));
}

static void
throttle(struct dest *t, int code, const char *enhanced, const char *text, int64_t now)
{
	char ms[24], why[SMTP_REPLY_MAX + 1];

	if (now < t->paused_until)
		return;		/* the same slow-down seen on several connections */
	t->st.throttles++;
	t->conc = t->conc > 1 ? t->conc / 2 : 1;
	if (t->rate > 0)
		t->rate = t->rate / 2 > DIRECT_RATE_MIN ? t->rate / 2 : DIRECT_RATE_MIN;
	else
		t->rate = DIRECT_THROTTLED_RATE;
	t->tokens = 0;
	t->pause_ms = t->pause_ms ? t->pause_ms * 2 : DIRECT_PAUSE_FIRST_MS;
	if (t->pause_ms > DIRECT_PAUSE_MAX_MS)
		t->pause_ms = DIRECT_PAUSE_MAX_MS;
	t->paused_until = now + t->pause_ms;
	t->last_throttle = now;
	t->sent_at_throttle = t->st.sent;
	t->code = code;
	snprintf(t->enhanced, sizeof(t->enhanced), "%s", enhanced ? enhanced : "");
	smtp_text_redact(text ? text : "", why, sizeof(why));
	textf(t->text, sizeof(t->text), "%d %s %s", code, t->enhanced, why);
	t->pool->opt.connections = 0;	/* no new connection while paused */
	snprintf(ms, sizeof(ms), "%ld", t->pause_ms);
	log_event(LOG_WARN, "smtp.direct.throttled", "destination", t->label, "reply", t->text,
		  "pause_ms", ms, NULL);
}

/*
 * recover - after a quiet spell in which the destination took mail again,
 * the limits climb a step a second (on an accepted message, or from the
 * sweep while its connections are open): connections by one, the rate by
 * a quarter (or half, back towards no limit)
 */
static void
recover(struct dest *t, int64_t now)
{
	if (t->last_throttle == 0 || now - t->last_throttle < DIRECT_RECOVER_MS ||
	    now - t->last_raise < DIRECT_RAISE_EVERY_MS || t->st.sent == t->sent_at_throttle)
		return;
	t->last_raise = now;
	if (t->conc < t->shape.connections)
		t->conc++;
	if (t->rate > 0 && t->shape.per_minute > 0)
		t->rate = t->rate * 1.25 < t->shape.per_minute ? t->rate * 1.25 : t->shape.per_minute;
	else if (t->rate > 0 && (t->rate *= 1.5) >= DIRECT_THROTTLED_RATE * 16)
		t->rate = 0;
	if (now >= t->paused_until)
		t->pool->opt.connections = t->conc;
	if (t->conc == t->shape.connections && t->rate == t->shape.per_minute) {
		t->last_throttle = 0;	/* fully back */
		t->pause_ms = 0;
		t->code = 0;
		log_event(LOG_INFO, "smtp.direct.recovered", "destination", t->label, NULL);
	}
}

/* child_done - a child pool finished a message: learn from it, report it through the parent */
static void
child_done(void *arg, struct smtp_job *job)
{
	struct dest *t = arg;
	const struct job_rcpt *r = &job->rcpt[0];
	int64_t now = smtp_loop_now(t->d->loop);

	if (r->outcome == SMTP_ACCEPTED) {
		t->st.sent++;
		recover(t, now);
	} else if (r->outcome == SMTP_PERMANENT)
		t->st.bounced++;
	else {
		t->st.deferred++;
		if (smtp_direct_is_throttle(r->code, r->enhanced, job->texts.data ? job->texts.data + r->text_off : ""))
			throttle(t, r->code, r->enhanced, job->texts.data + r->text_off, now);
	}
	smtp_pool_finish(t->d->parent, job);
}

/* smtp_direct_signal - a child's connection was refused or dropped with this reply */
void
smtp_direct_signal(struct smtp_pool *child, int code, const char *enhanced, const char *text)
{
	struct dest *t = child->after_arg;

	if (smtp_direct_is_throttle(code, enhanced, text))
		throttle(t, code, enhanced, text, smtp_loop_now(child->loop));
}

/* ---- DNS ---- */

static void
dns_io(struct smtp_loop *loop, int fd, void *arg, int events)
{
	struct smtp_direct *d = arg;

	NF_UNUSED(loop);
	ares_process_fd(d->ch, events & SMTP_EV_READ ? fd : ARES_SOCKET_BAD,
			events & SMTP_EV_WRITE ? fd : ARES_SOCKET_BAD);
}

static void
dns_sock_state(void *data, ares_socket_t fd, int readable, int writable)
{
	struct smtp_direct *d = data;
	int ev = (readable ? SMTP_EV_READ : 0) | (writable ? SMTP_EV_WRITE : 0);

	if (ev)
		smtp_loop_watch(d->loop, fd, ev, dns_io, d);
	else
		smtp_loop_unwatch(d->loop, fd);
}

static void dns_done(void *arg, int status, int timeouts, unsigned char *abuf, int alen);

static void
dns_ask(struct smtp_direct *d, struct dom *dom, int host, unsigned type)
{
	struct dns_query *q = xcalloc(1, sizeof(*q));

	q->d = d;
	q->dom = dom;
	q->host = host;
	dom->queries++;
	d->nqueries++;
	ares_query(d->ch, host < 0 ? dom->name : dom->hosts[host].name, 1 /* IN */, (int)type,
		   dns_done, q);
}

static void
dom_fail(struct dom *dom, enum smtp_outcome o, int code, const char *enhanced, const char *text)
{
	dom->decided = 1;
	dom->state = DOM_FAILED;
	dom->fail = o;
	dom->code = code;
	snprintf(dom->enhanced, sizeof(dom->enhanced), "%s", enhanced);
	snprintf(dom->text, sizeof(dom->text), "%s", text);
}

static void
add_host(struct dom *dom, const char *name, int pref)
{
	int i, at;

	for (i = 0; i < dom->nhosts; i++)
		if (strcasecmp(dom->hosts[i].name, name) == 0)
			return;
	for (at = dom->nhosts; at > 0 && dom->hosts[at - 1].pref > pref; at--)
		;
	if (at >= DIRECT_MX_HOSTS)
		return;
	if (dom->nhosts == DIRECT_MX_HOSTS)
		dom->nhosts--;	/* the least preferred makes room */
	memmove(&dom->hosts[at + 1], &dom->hosts[at], (size_t)(dom->nhosts - at) * sizeof(dom->hosts[0]));
	memset(&dom->hosts[at], 0, sizeof(dom->hosts[0]));
	snprintf(dom->hosts[at].name, sizeof(dom->hosts[at].name), "%s", name);
	dom->hosts[at].pref = pref;
	dom->nhosts++;
}

static void
ttl_min(struct dom *dom, uint32_t ttl)
{
	if (ttl < dom->ttl)
		dom->ttl = ttl;
}

/* on_mx - the MX answer: a verdict, or the exchangers whose addresses to ask for */
static void
on_mx(struct dom *dom, int status, const struct smtp_dns_answer *a, int parsed)
{
	char text[SMTP_TEXT_MAX];
	size_t i;

	if (status == ARES_ENOTFOUND) {
		snprintf(text, sizeof(text), "%s does not exist (NXDOMAIN)", dom->name);
		dom_fail(dom, SMTP_PERMANENT, 550, "5.1.2", text);
		return;
	}
	if (status == ARES_SUCCESS && parsed && a->null_mx) {
		snprintf(text, sizeof(text), "%s accepts no mail (null MX, RFC 7505)", dom->name);
		dom_fail(dom, SMTP_PERMANENT, 556, "5.1.10", text);
		return;
	}
	if (status == ARES_SUCCESS && parsed && a->nrr > 0) {
		dom->had_mx = 1;
		ttl_min(dom, a->ttl);
		for (i = 0; i < a->nrr; i++)
			add_host(dom, a->rr[i].name, a->rr[i].pref);
	} else if (status == ARES_ENODATA || (status == ARES_SUCCESS && parsed)) {
		add_host(dom, dom->name, 0);	/* RFC 5321 5.1: the implicit MX */
	} else
		dom->tempfail = 1;
}

static void dom_finish(struct smtp_direct *d, struct dom *dom);

static void
dns_done(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct dns_query *q = arg;
	struct smtp_direct *d = q->d;
	struct dom *dom = q->dom;
	struct smtp_dns_answer *a;
	int parsed = 0;
	unsigned qtype;
	size_t i;

	NF_UNUSED(timeouts);
	d->nqueries--;
	if (status == ARES_EDESTRUCTION || status == ARES_ECANCELLED || d->closing) {
		free(q);
		return;
	}
	a = xmalloc(sizeof(*a));
	qtype = q->host < 0 ? SMTP_DNS_MX : q->host >= DIRECT_MX_HOSTS ? SMTP_DNS_AAAA : SMTP_DNS_A;
	if (status == ARES_SUCCESS && abuf && alen > 0 && smtp_dns_parse(abuf, (size_t)alen, qtype, a) == NF_OK)
		parsed = 1;
	if (q->host < 0) {
		on_mx(dom, status, a, parsed);
		for (i = 0; !dom->decided && !dom->tempfail && i < (size_t)dom->nhosts; i++) {
			struct dns_query *q4 = xcalloc(1, sizeof(*q4)), *q6 = xcalloc(1, sizeof(*q6));

			*q4 = (struct dns_query){ d, dom, (int)i };
			*q6 = (struct dns_query){ d, dom, (int)i + DIRECT_MX_HOSTS };
			dom->queries += 2;
			d->nqueries += 2;
			ares_query(d->ch, dom->hosts[i].name, 1, SMTP_DNS_A, dns_done, q4);
			ares_query(d->ch, dom->hosts[i].name, 1, SMTP_DNS_AAAA, dns_done, q6);
		}
	} else {
		int six = qtype == SMTP_DNS_AAAA;
		struct mx_host *h = &dom->hosts[q->host % DIRECT_MX_HOSTS];

		if (status == ARES_SUCCESS && parsed) {
			ttl_min(dom, a->ttl);
			for (i = 0; i < a->nrr && h->naddr < DIRECT_MX_ADDRS; i++) {
				char ip[INET6_ADDRSTRLEN];

				inet_ntop(six ? AF_INET6 : AF_INET, a->rr[i].addr, ip, sizeof(ip));
				snprintf(h->addr[h->naddr++], sizeof(h->addr[0]), six ? "[%s]" : "%s", ip);
			}
		} else if (status != ARES_ENODATA && status != ARES_ENOTFOUND && status != ARES_SUCCESS)
			dom->tempfail = 1;
	}
	free(a);
	free(q);
	if (--dom->queries == 0)
		dom_finish(d, dom);
}

/* dest_url - the child pool's relays: every address, the best preference taking the connections */
static void
dest_url(const struct smtp_direct *d, const struct dom *dom, struct buf *url)
{
	int i, k, best = -1;

	for (i = 0; i < dom->nhosts; i++) {
		const struct mx_host *h = &dom->hosts[i];

		if (h->naddr > 0 && best < 0)
			best = h->pref;
		for (k = 0; k < h->naddr; k++)
			buf_printf(url, "%ssmtp://%s:%s?tls=may&weight=%d", url->len ? "," : "",
				   h->addr[k], d->port, h->pref == best ? 1 : 0);
	}
}

static void route_ready(struct smtp_direct *d, struct dom *dom, struct smtp_job *job, int64_t now);

static void
dom_finish(struct smtp_direct *d, struct dom *dom)
{
	int64_t now = smtp_loop_now(d->loop);
	struct smtp_job *job, *next;
	char err[256], text[SMTP_TEXT_MAX];
	struct buf url;
	int i, first = -1;
	uint32_t ttl = dom->ttl;

	buf_init(&url, 0);
	if (!dom->decided) {
		dest_url(d, dom, &url);
		for (i = 0; i < dom->nhosts && first < 0; i++)
			if (dom->hosts[i].naddr)
				first = i;
		if (first >= 0 && (dom->dest = dest_get(d, url.data, dom->hosts[first].name, &d->def,
							 err, sizeof(err))) != NULL) {
			dom->state = DOM_READY;
		} else if (dom->tempfail || dom->had_mx || first >= 0) {
			snprintf(text, sizeof(text), "cannot look up the mail exchangers of %s", dom->name);
			dom_fail(dom, SMTP_TEMPORARY, 0, "4.4.3", text);
			ttl = DIRECT_TEMP_TTL;
		} else {
			snprintf(text, sizeof(text), "%s has no MX and no address (RFC 5321 5.1)", dom->name);
			dom_fail(dom, SMTP_PERMANENT, 550, "5.1.2", text);
		}
	}
	buf_free(&url);
	if (dom->state == DOM_FAILED && dom->fail == SMTP_PERMANENT)
		ttl = DIRECT_NEG_TTL;
	if (ttl < DIRECT_TTL_MIN)
		ttl = dom->state == DOM_READY ? DIRECT_TTL_MIN : ttl;
	if (ttl > DIRECT_TTL_MAX)
		ttl = DIRECT_TTL_MAX;
	dom->expires = now + (int64_t)ttl * 1000;
	job = dom->wait_head;
	dom->wait_head = dom->wait_tail = NULL;
	for (; job; job = next) {
		next = job->next;
		route_ready(d, dom, job, now);
	}
}

static void
resolve(struct smtp_direct *d, struct dom *dom)
{
	dom->state = DOM_RESOLVING;
	dom->dest = NULL;
	dom->nhosts = dom->tempfail = dom->decided = dom->had_mx = 0;
	dom->ttl = DIRECT_TTL_MAX;
	dns_ask(d, dom, -1, SMTP_DNS_MX);
}

/* ---- routing ---- */

static struct dom *
dom_get(struct smtp_direct *d, const char *name, size_t len)
{
	char low[SMTP_ADDR_MAX + 1];
	struct dom *dom;
	size_t i, b;

	for (i = 0; i < len; i++)
		low[i] = (char)((name[i] >= 'A' && name[i] <= 'Z') ? name[i] + 32 : name[i]);
	low[len] = '\0';
	b = hash(low) % DOM_BUCKETS;
	for (dom = d->doms[b]; dom; dom = dom->hnext)
		if (strcmp(dom->name, low) == 0)
			return dom;
	dom = xcalloc(1, sizeof(*dom));
	dom->name = xstrdup(low);
	dom->hnext = d->doms[b];
	d->doms[b] = dom;
	return dom;
}

static void
route_ready(struct smtp_direct *d, struct dom *dom, struct smtp_job *job, int64_t now)
{
	if (dom->state == DOM_READY)
		dest_submit(dom->dest, job, now);
	else
		job_end(d, job, dom->fail, dom->code, dom->enhanced, dom->text);
}

static const struct route *
route_of(const struct smtp_direct *d, const char *domain, size_t len)
{
	size_t i;

	for (i = 0; i < d->nroutes; i++) {
		const char *r = d->routes[i].domain;
		size_t rl = strlen(r);

		if (r[0] == '.' ? (len > rl && strncasecmp(domain + len - rl, r, rl) == 0)
				: (len == rl && strncasecmp(domain, r, rl) == 0))
			return &d->routes[i];
	}
	return NULL;
}

/* the domain of a job's recipients; NULL when they do not share one */
static const char *
job_domain(const struct smtp_job *job, size_t *len)
{
	const char *at = memchr(job->rcpt[0].addr, '@', job->rcpt[0].len), *dom;
	size_t i;

	for (i = job->rcpt[0].len; at && i > 0; i--)	/* the last '@' */
		if (job->rcpt[0].addr[i - 1] == '@') {
			at = job->rcpt[0].addr + i - 1;
			break;
		}
	if (at == NULL)
		return NULL;
	dom = at + 1;
	*len = (size_t)(job->rcpt[0].addr + job->rcpt[0].len - dom);
	for (i = 1; i < job->nrcpt; i++) {
		const struct job_rcpt *r = &job->rcpt[i];

		if (r->len <= *len || r->addr[r->len - *len - 1] != '@' ||
		    strncasecmp(r->addr + r->len - *len, dom, *len) != 0)
			return NULL;
	}
	return *len > 0 && *len <= SMTP_ADDR_MAX ? dom : NULL;
}

void
smtp_direct_route(struct smtp_direct *d, struct smtp_job *job)
{
	int64_t now = smtp_loop_now(d->loop);
	const struct route *r;
	const char *name;
	struct dom *dom;
	size_t len;

	if ((name = job_domain(job, &len)) == NULL || name[0] == '[') {
		job_end(d, job, SMTP_PERMANENT, 0, "5.1.3",
			"direct delivery takes recipients of one domain name per message");
		return;
	}
	r = route_of(d, name, len);
	if ((r && r->dest) || (r == NULL && !d->default_direct)) {
		dest_submit(r ? r->dest : d->default_dest, job, now);
		return;
	}
	dom = dom_get(d, name, len);
	if ((dom->state == DOM_READY || dom->state == DOM_FAILED) && now < dom->expires) {
		route_ready(d, dom, job, now);
		return;
	}
	job->next = NULL;
	if (dom->wait_tail)
		dom->wait_tail->next = job;
	else
		dom->wait_head = job;
	dom->wait_tail = job;
	if (dom->state != DOM_RESOLVING)
		resolve(d, dom);
}

/* ---- the pool's round and sweep ---- */

void
smtp_direct_round(struct smtp_direct *d)
{
	int64_t now = smtp_loop_now(d->loop);
	size_t i, keep = 0;

	for (i = 0; i < d->nactive; i++) {
		struct dest *t = d->active[i];

		if (now < t->paused_until) {
			defer_waiting(t, now, 1);
			smtp_pool_defer_queue(t->pool, t->code, t->enhanced, t->text);
		}
		release(t, now);
		smtp_pool_child_round(t->pool);
		if (t->nwait == 0 && t->pool->pending == 0 && t->pool->conns == NULL)
			t->active = 0;
		else
			d->active[keep++] = t;
	}
	d->nactive = keep;
}

void
smtp_direct_sweep(struct smtp_direct *d, int64_t now)
{
	size_t i;

	if (d->nqueries > 0)
		ares_process_fd(d->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);	/* timeouts */
	for (i = 0; i < d->nactive; i++) {
		struct dest *t = d->active[i];

		if (now >= t->paused_until && t->pool->opt.connections == 0)
			t->pool->opt.connections = t->conc;	/* the pause is over: try again */
		defer_waiting(t, now, 0);
		recover(t, now);
		release(t, now);
		smtp_pool_child_sweep(t->pool, now);
	}
}

/* smtp_direct_stats_each - every destination's counters, for metrics */
void
smtp_direct_stats_each(const struct smtp_direct *d, void (*fn)(void *arg, const char *label,
		       const struct smtp_direct_stats *st), void *arg)
{
	size_t b;

	for (b = 0; b < DEST_BUCKETS; b++) {
		const struct dest *t;

		for (t = d->dests[b]; t; t = t->hnext) {
			struct smtp_direct_stats st = t->st;

			st.connections = t->conc;
			st.per_minute = (uint64_t)t->rate;
			fn(arg, t->label, &st);
		}
	}
}

/* ---- making and freeing ---- */

static pthread_once_t ares_once = PTHREAD_ONCE_INIT;

static void
ares_start(void)
{
	ares_library_init(ARES_LIB_INIT_ALL);
}

static int
routes_parse(struct smtp_direct *d, const struct smtp_options *opt, char *err, size_t errlen)
{
	size_t i;

	for (i = 0; i < opt->direct.nroutes; i++) {
		const char *s = opt->direct.routes[i], *eq = strchr(s, '='), *p;
		struct dest *t = NULL;

		if (eq == NULL || eq == s || eq[1] == '\0') {
			snprintf(err, errlen, "--route wants DOMAIN[,DOMAIN...]=direct|smtp://..., not '%.40s'", s);
			return NF_ERR_INVALID;
		}
		if (strcasecmp(eq + 1, "direct") != 0) {
			char label[128];
			struct smtp_relay_url *u;
			size_t n;

			if (smtp_url_parse(eq + 1, &u, &n, err, errlen) != NF_OK)
				return NF_ERR_INVALID;
			snprintf(label, sizeof(label), "%s", u[0].host);
			smtp_url_free(u, n);
			if ((t = dest_get(d, eq + 1, label, &d->relay_def, err, errlen)) == NULL)
				return NF_ERR_INVALID;
		}
		for (p = s; p < eq;) {
			size_t n = strcspn(p, ",");

			if (p + n > eq)
				n = (size_t)(eq - p);
			if (n > 0) {
				d->routes = xrealloc(d->routes, (d->nroutes + 1) * sizeof(*d->routes));
				d->routes[d->nroutes].domain = xmalloc(n + 1);
				memcpy(d->routes[d->nroutes].domain, p, n);
				d->routes[d->nroutes].domain[n] = '\0';
				d->routes[d->nroutes].dest = t;
				d->nroutes++;
			}
			p += n + 1;
		}
	}
	return NF_OK;
}

static int
dns_open(struct smtp_direct *d, const struct smtp_options *opt, char *err, size_t errlen)
{
	struct ares_options ao = { 0 };
	int rc;

	pthread_once(&ares_once, ares_start);
	ao.sock_state_cb = dns_sock_state;
	ao.sock_state_cb_data = d;
	ao.timeout = DIRECT_DNS_TIMEOUT_MS;
	ao.tries = DIRECT_DNS_TRIES;
	rc = ares_init_options(&d->ch, &ao, ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES);
	if (rc != ARES_SUCCESS) {
		snprintf(err, errlen, "cannot start the resolver: %s", ares_strerror(rc));
		return NF_ERR;
	}
	d->have_ch = 1;
	if (opt->direct.dns_server &&
	    (rc = ares_set_servers_ports_csv(d->ch, opt->direct.dns_server)) != ARES_SUCCESS) {
		snprintf(err, errlen, "--dns-server: %s", ares_strerror(rc));
		return NF_ERR_INVALID;
	}
	return NF_OK;
}

int
smtp_direct_wanted(const char *url, const struct smtp_options *opt)
{
	return strcasecmp(url, "direct") == 0 || (opt && opt->direct.nroutes > 0);
}

int
smtp_direct_new(struct smtp_direct **out, struct smtp_pool *parent, const char *url,
		char *err, size_t errlen)
{
	const struct smtp_options *opt = &parent->opt;
	struct smtp_direct *d = xcalloc(1, sizeof(*d));
	size_t i;
	int rc;

	d->parent = parent;
	d->loop = parent->loop;
	textf(d->port, sizeof(d->port), "%d", opt->direct.port > 0 ? opt->direct.port : 25);
	d->def = (struct direct_shape){ "default", SMTP_DIRECT_CONNECTIONS, SMTP_DIRECT_PER_CONN,
					SMTP_DIRECT_PER_MINUTE };
	d->relay_def = (struct direct_shape){ "relay", opt->connections, opt->max_per_conn, 0 };
	d->shapes = xcalloc(opt->direct.nshapes + 1, sizeof(*d->shapes));
	for (i = 0; i < opt->direct.nshapes; i++) {
		struct direct_shape s = { "", 0, 0, 0 };

		if ((rc = shape_parse(opt->direct.shapes[i], &s, err, errlen)) != NF_OK)
			goto fail;
		if (strcmp(s.match, "default") == 0)
			d->def = s;
		else
			d->shapes[d->nshapes++] = s;
	}
	if ((rc = dns_open(d, opt, err, errlen)) != NF_OK || (rc = routes_parse(d, opt, err, errlen)) != NF_OK)
		goto fail;
	d->default_direct = strcasecmp(url, "direct") == 0;
	if (!d->default_direct) {
		struct smtp_relay_url *u;
		size_t n;

		if ((rc = smtp_url_parse(url, &u, &n, err, errlen)) != NF_OK)
			goto fail;
		d->default_dest = dest_get(d, url, u[0].host, &d->relay_def, err, errlen);
		smtp_url_free(u, n);
		if (d->default_dest == NULL) {
			rc = NF_ERR_INVALID;
			goto fail;
		}
	}
	*out = d;
	return NF_OK;
fail:
	smtp_direct_free(d);
	return rc;
}

/* smtp_direct_free - every message still here is reported temporary through the parent */
void
smtp_direct_free(struct smtp_direct *d)
{
	size_t b, i;

	if (d == NULL)
		return;
	d->closing = 1;
	if (d->have_ch)
		ares_destroy(d->ch);
	for (b = 0; b < DOM_BUCKETS; b++) {
		struct dom *dom, *next;

		for (dom = d->doms[b]; dom; dom = next) {
			struct smtp_job *job, *jn;

			next = dom->hnext;
			for (job = dom->wait_head; job; job = jn) {
				jn = job->next;
				job_end(d, job, SMTP_TEMPORARY, 0, "", "transport closed");
			}
			free(dom->name);
			free(dom);
		}
	}
	for (b = 0; b < DEST_BUCKETS; b++) {
		struct dest *t, *next;

		for (t = d->dests[b]; t; t = next) {
			struct smtp_job *job, *jn;

			next = t->hnext;
			for (job = t->wait_head; job; job = jn) {
				jn = job->next;
				job_end(d, job, SMTP_TEMPORARY, 0, "", "transport closed");
			}
			smtp_pool_free(t->pool);	/* its messages come back through child_done */
			free(t->key);
			free(t);
		}
	}
	for (i = 0; i < d->nroutes; i++)
		free(d->routes[i].domain);
	free(d->routes);
	free(d->shapes);
	free(d->active);
	free(d);
}
