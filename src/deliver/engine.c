/*
 * deliver/engine.c - the engine threads and their loop
 *
 * Owns: starting and stopping the engine and the loop each thread runs.
 * What the lanes share is lane.c's; how a message goes out is a channel's
 * (channel_email.c). This file calls the lanes and the toolbox; nothing
 * calls back into it.
 *
 * The loop, per thread, after Redis's: priority messages first (thread 0),
 * then the shard in hand (fetch a batch, compose, submit, commit batches as
 * they complete), then retries that came due; then wait — on the channels
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

#include "smtp/smtp.h"
#include "deliver_internal.h"

void
deliver_config_defaults(struct deliver_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->db_url = STORE_DEFAULT_URL;
	cfg->transport_url = SMTP_DEFAULT_TRANSPORT;
	cfg->threads = 1;
	cfg->connections = 16;
	cfg->shards = STORE_DEFAULT_SHARDS;
	cfg->batch = 500;
	cfg->batches_in_flight = 2;
	cfg->lease_secs = DELIVER_DEFAULT_LEASE;
	cfg->retry_deadline = 86400;
	cfg->retry_base = 60;
	cfg->poll_ms = 1000;
	cfg->priority_max = 10000;
	cfg->hook_threads = DELIVER_HOOK_THREADS;
	cfg->hook_retry_base = DELIVER_HOOK_RETRY_BASE;
	cfg->hook_give_up = DELIVER_HOOK_GIVE_UP;
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

static void *
engine_main(void *arg)
{
	struct engine *e = arg;
	struct deliver *d = e->d;

	for (;;) {
		int worked = 0, stopping = deliver_stopping(d);

		if (e->index == 0)
			worked |= deliver_priority_pump(e);
		if (!stopping && !deliver_shard_busy(e))
			worked |= deliver_shard_claim(e);
		if (deliver_shard_busy(e))
			worked |= deliver_shard_pump(e);
		if (!stopping)
			worked |= deliver_retry_pump(e);
		if (stopping && !deliver_shard_busy(e) && deliver_pending(e) == 0 &&
		    (e->index != 0 || d->prio_head == NULL))
			break;
		if (deliver_pending(e) > 0)
			deliver_collect(e, deliver_shard_awaited(e), worked ? 0 : 50);
		else if (!worked)
			engine_idle(e);
	}
	deliver_shard_release(e);
	deliver_drain(e);
	return NULL;
}

static int
engine_open(struct engine *e)
{
	const struct deliver_config *c = &e->d->cfg;

	e->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (e->wake_fd < 0 || store_open(c->db_url, &e->store) != NF_OK || store_listen(e->store) != NF_OK) {
		log_error("delivery engine: cannot open the store %s", c->db_url);
		return NF_ERR;
	}
	return deliver_channels_open(e);
}

static void
engine_close(struct engine *e)
{
	deliver_channels_close(e);
	store_close(e->store);
	if (e->wake_fd >= 0)
		close(e->wake_fd);
	e->wake_fd = -1;
	e->store = NULL;
}

struct deliver *
deliver_start(const struct deliver_config *cfg)
{
	struct deliver *d = xcalloc(1, sizeof(*d));
	const struct deliver_chan *email;
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
	d->hooks = deliver_hooks_start(&d->cfg);
	email = &d->engines[0].chan[DELIVER_CHANNEL_EMAIL];
	log_event(LOG_INFO, "deliver.started", "transport", email->ops->describe(email->state),
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
	deliver_hooks_stop(d->hooks);
	for (i = 0; i < d->nengines; i++) {
		if (d->engines[i].tid)
			pthread_join(d->engines[i].tid, NULL);
		engine_close(&d->engines[i]);
	}
	deliver_priority_free(d);
	free(d->engines);
	pthread_mutex_destroy(&d->lock);
	free(d);
}
