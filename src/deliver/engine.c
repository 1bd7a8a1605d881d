/*
 * deliver/engine.c - the engine threads and their loop
 *
 * Owns: starting and stopping the engine, the loop each thread runs, and
 * the pieces the shard, retry and priority files share (submitting with
 * back-pressure, the prepared alert, backoff, reading a relay's refusal).
 *
 * The loop, per thread, after Redis's: priority messages first (thread 0),
 * then the shard in hand (fetch a batch, compose, submit, commit batches as
 * they complete), then retries that came due; then wait — on the transport
 * when messages are in flight, else in poll() on the thread's eventfd (which
 * deliver_wake and the priority lane write: an alert published here starts
 * at once) and, on PostgreSQL, the connection's LISTEN socket (an alert
 * published on any node starts at once), with poll_ms as the longest sleep
 * so that retries coming due and SQLite writes by another process
 * (newsflash publish) are found too.
 */
#include <errno.h>
#include <malloc.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "news/news.h"
#include "engine_impl.h"

void
deliver_config_defaults(struct deliver_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->db_url = STORE_DEFAULT_URL;
	cfg->transport_url = "maildir:var/outbox";
	cfg->threads = 1;
	cfg->connections = 16;
	cfg->shards = 8;
	cfg->batch = 500;
	cfg->batches_in_flight = 2;
	cfg->lease_secs = 30;
	cfg->retry_deadline = 86400;
	cfg->retry_base = 60;
	cfg->poll_ms = 1000;
	cfg->priority_max = 10000;
}

int64_t
engine_now(void)
{
	return time_now_ms() / 1000;
}

void
engine_stat_add(struct deliver *d, uint64_t *field, uint64_t n)
{
	pthread_mutex_lock(&d->lock);
	*field += n;
	pthread_mutex_unlock(&d->lock);
}

int64_t
engine_backoff(const struct deliver *d, int attempts)
{
	int64_t delay = d->cfg.retry_base > 0 ? d->cfg.retry_base : 1;

	while (attempts-- > 0 && delay < 3600)
		delay *= 2;
	return delay > 3600 ? 3600 : delay;
}

void
engine_store_warn(struct engine *e, const char *event)
{
	int64_t now = engine_now();
	char quiet[24];

	if (e->store_warned_at != 0 && now - e->store_warned_at < 10) {
		e->store_warn_quiet++;	/* a database that is down fails every 50 ms */
		return;
	}
	snprintf(quiet, sizeof(quiet), "%llu", (unsigned long long)e->store_warn_quiet);
	log_event(LOG_WARN, event, "reason", store_errmsg(e->store), "unlogged_repeats", quiet, NULL);
	e->store_warned_at = now;
	e->store_warn_quiet = 0;
}

int
engine_unknown_user(const struct smtp_result *r)
{
	if (r->outcome != SMTP_PERMANENT)
		return 0;
	if (r->enhanced && strncmp(r->enhanced + 1, ".1.1", 4) == 0)
		return 1;
	return r->code == 550 && r->text &&
	       (strcasestr(r->text, "user unknown") || strcasestr(r->text, "no such user") ||
		strcasestr(r->text, "does not exist"));
}

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
const char *
engine_bounce_domain(const struct engine *e)
{
	const struct deliver_config *c = &e->d->cfg;
	const char *domain = c->bounce_domain ? c->bounce_domain : mail_addr_domain(c->sender.from_addr);

	return domain ? domain : "localhost";
}

/* deliver_return_path's, from the secret's saved HMAC state (two compressions, not four) */
void
engine_envelope_from(struct engine *e, int64_t subscriber_id, const char *salt, struct buf *out)
{
	char tok[TOKEN_SHORT_MAX];

	buf_reset(out);
	token_short_make_keyed(e->secret_key, "bounce", (uint64_t)subscriber_id, salt, tok);
	return_path(tok, engine_bounce_domain(e), out);
}

int
engine_submit(struct engine *e, const char *from, const char *to, char *msg, size_t len,
	      smtp_done_fn done, struct msg_ctx *ctx)
{
	const char *rcpt[1] = { to };
	struct smtp_envelope env = { from, rcpt, 1 };
	int rc;

	/* a composed buffer has room to grow (up to twice the message): a
	   thousand of them wait in flight per engine thread, so give it back */
	msg = xrealloc(msg, len + 1);
	while ((rc = smtp_transport_submit(e->t, &env, msg, len, SMTP_MSG_TAKE, done, ctx)) == NF_ERR_TEMP)
		smtp_transport_wait(e->t, 100);
	if (rc != NF_OK)
		free(msg);	/* refused outright: done is not called */
	return rc;
}

/* the article of a stored alert, as the mail module wants it */
static int
load_article(struct store *s, int64_t article_id, struct news_article *out)
{
	struct store_article *sa = NULL;
	struct news_errors errs;
	json_t *o, *imgs, *topics;
	char when[TIME_RFC3339_MAX], *text;
	int rc;

	if ((rc = store_article_get(s, article_id, &sa)) != NF_OK)
		return rc;
	o = json_object();
	json_object_set_new(o, "headline", json_string(sa->headline));
	if (sa->standfirst) json_object_set_new(o, "standfirst", json_string(sa->standfirst));
	if (sa->body_html) json_object_set_new(o, "body_html", json_string(sa->body_html));
	if (sa->body_text) json_object_set_new(o, "body_text", json_string(sa->body_text));
	if (sa->byline) json_object_set_new(o, "byline", json_string(sa->byline));
	if (sa->url) json_object_set_new(o, "url", json_string(sa->url));
	time_rfc3339((time_t)sa->published_at, when);
	json_object_set_new(o, "published_at", json_string(when));
	imgs = sa->images_json ? json_loads(sa->images_json, 0, NULL) : NULL;
	topics = sa->topics_json ? json_loads(sa->topics_json, 0, NULL) : NULL;
	if (imgs) json_object_set_new(o, "images", imgs);
	if (topics) json_object_set_new(o, "topics", topics);
	json_object_set_new(o, "breaking", json_boolean(sa->breaking));
	text = json_dumps(o, JSON_COMPACT);
	rc = news_article_parse(text, strlen(text), out, &errs);
	free(text);
	json_decref(o);
	store_article_free(sa);
	return rc;
}

int
engine_prepare_alert(struct engine *e, int64_t alert_id)
{
	struct store_alert *al = NULL;
	struct news_article art;
	int rc;

	if (e->prepared && e->prepared_alert == alert_id)
		return NF_OK;
	mail_alert_free(e->prepared);
	e->prepared = NULL;
	if ((rc = store_alert_get(e->store, alert_id, &al)) != NF_OK)
		return rc;
	rc = load_article(e->store, al->article_id, &art);
	if (rc == NF_OK) {
		/* Date is the alert's creation time: a resend after a crash is the same message */
		rc = mail_alert_prepare(&e->d->cfg.sender, &art, (uint64_t)alert_id,
					(time_t)al->created_at, &e->prepared);
		news_article_free(&art);
	}
	store_alert_free(al);
	if (rc == NF_OK)
		e->prepared_alert = alert_id;
	else
		log_event(LOG_ERROR, "deliver.prepare_failed", "alert", "", "reason", nf_strstatus(rc), NULL);
	return rc;
}

static int
engine_has_inflight(struct engine *e)
{
	return smtp_transport_pending(e->t) > 0;
}

/* sleep until woken here or by a NOTIFY, or poll_ms passes */
static void
engine_idle(struct engine *e)
{
	struct pollfd fds[2] = { { e->wake_fd, POLLIN, 0 }, { store_notify_fd(e->store), POLLIN, 0 } };
	uint64_t count;

	if (poll(fds, fds[1].fd >= 0 ? 2 : 1, (int)e->d->cfg.poll_ms) > 0) {
		if (fds[0].revents & POLLIN)
			(void)!read(e->wake_fd, &count, sizeof(count));
		if (fds[1].fd >= 0 && fds[1].revents)
			store_notify_drain(e->store);
	}
}

void
deliver_wake_all(struct deliver *d)
{
	uint64_t one = 1;
	int i;

	for (i = 0; i < d->nengines; i++)
		if (d->engines[i].wake_fd >= 0)
			(void)!write(d->engines[i].wake_fd, &one, sizeof(one));
}

int
engine_stopping(struct deliver *d)
{
	int s;

	pthread_mutex_lock(&d->lock);
	s = d->stopping;
	pthread_mutex_unlock(&d->lock);
	return s;
}

static void *
engine_main(void *arg)
{
	struct engine *e = arg;
	struct deliver *d = e->d;

	for (;;) {
		int worked = 0, stopping = engine_stopping(d);

		if (e->index == 0)
			worked |= priority_pump(e);
		if (!stopping && !shard_busy(e))
			worked |= shard_try_claim(e);
		if (shard_busy(e))
			worked |= shard_pump(e);
		if (!stopping)
			worked |= retry_pump(e);
		if (stopping && !shard_busy(e) && !engine_has_inflight(e) &&
		    (e->index != 0 || d->prio_head == NULL))
			break;
		if (engine_has_inflight(e))
			smtp_transport_wait_for(e->t, shard_awaited(e), worked ? 0 : 50);
		else if (!worked)
			engine_idle(e);
	}
	shard_release(e);
	smtp_transport_drain(e->t);
	return NULL;
}

static int
engine_open(struct engine *e)
{
	const struct deliver_config *c = &e->d->cfg;
	struct smtp_options opt;
	char err[256];

	e->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (e->wake_fd < 0 || store_open(c->db_url, &e->store) != NF_OK || store_listen(e->store) != NF_OK) {
		log_error("delivery engine: cannot open the store %s", c->db_url);
		return NF_ERR;
	}
	e->secret_key = hmac_key_new(c->sender.secret->secret, c->sender.secret->len);
	smtp_options_init(&opt);
	opt.connections = c->connections;
	/* the relay conversation on its own thread: signing never delays a
	   reply being read, and replies never wait for a signature to finish */
	opt.threaded = 1;
	opt.queue_max = (int)(c->batch * (size_t)c->batches_in_flight + 1000);
	if (c->smtp_timeout_ms > 0)
		smtp_timeouts_all(&opt.timeouts, c->smtp_timeout_ms);
	if (smtp_transport_open(&e->t, c->transport_url, &opt, err, sizeof(err)) != NF_OK) {
		log_error("delivery engine: cannot open transport: %s", err);
		return NF_ERR;
	}
	return NF_OK;
}

static void
engine_close(struct engine *e)
{
	smtp_transport_free(e->t);
	store_close(e->store);
	if (e->wake_fd >= 0)
		close(e->wake_fd);
	e->wake_fd = -1;
	mail_alert_free(e->prepared);
	hmac_key_free(e->secret_key);
	e->t = NULL;
	e->store = NULL;
	e->prepared = NULL;
	e->secret_key = NULL;
}

struct deliver *
deliver_start(const struct deliver_config *cfg)
{
	struct deliver *d = xcalloc(1, sizeof(*d));
	int i;

	d->cfg = *cfg;
	/*
	 * Messages of ~20 KB are made and freed thousands of times a second,
	 * by the engine and the sending threads: glibc would give the freed
	 * memory back to the kernel at every low and fault it in again at the
	 * next high (measured: a fifth of the engine's CPU in page faults).
	 * Keep up to 64 MB of it; the peak is unchanged.
	 */
	mallopt(M_TRIM_THRESHOLD, 64 << 20);
	mallopt(M_MMAP_THRESHOLD, 1 << 20);
	if (d->cfg.owner == NULL) {
		char host[64] = "localhost";

		gethostname(host, sizeof(host) - 1);
		snprintf(d->owner_buf, sizeof(d->owner_buf), "%s:%d", host, (int)getpid());
		d->cfg.owner = d->owner_buf;
	}
	if (d->cfg.batches_in_flight < 1 || d->cfg.batches_in_flight > BATCHES_MAX)
		d->cfg.batches_in_flight = 2;
	pthread_mutex_init(&d->lock, NULL);
	d->nengines = cfg->threads > 0 ? cfg->threads : 1;
	d->engines = xcalloc((size_t)d->nengines, sizeof(*d->engines));
	for (i = 0; i < d->nengines; i++)
		d->engines[i].wake_fd = -1;
	for (i = 0; i < d->nengines; i++) {
		d->engines[i].d = d;
		d->engines[i].index = i;
		if (engine_open(&d->engines[i]) != NF_OK) {
			d->nengines = i + 1;
			deliver_stop(d);
			return NULL;
		}
	}
	for (i = 0; i < d->nengines; i++)
		pthread_create(&d->engines[i].tid, NULL, engine_main, &d->engines[i]);
	log_event(LOG_INFO, "deliver.started", "transport", smtp_transport_name(d->engines[0].t),
		  "owner", d->cfg.owner, NULL);
	return d;
}

void
deliver_wake(struct deliver *d)
{
	deliver_wake_all(d);
}

void
deliver_stats(struct deliver *d, struct deliver_stats *out)
{
	pthread_mutex_lock(&d->lock);
	*out = d->stats;
	pthread_mutex_unlock(&d->lock);
}

void
deliver_stop(struct deliver *d)
{
	int i;

	if (d == NULL)
		return;
	pthread_mutex_lock(&d->lock);
	d->stopping = 1;
	pthread_mutex_unlock(&d->lock);
	deliver_wake_all(d);
	for (i = 0; i < d->nengines; i++) {
		if (d->engines[i].tid)
			pthread_join(d->engines[i].tid, NULL);
		engine_close(&d->engines[i]);
	}
	priority_free(d);
	free(d->engines);
	pthread_mutex_destroy(&d->lock);
	free(d);
}
