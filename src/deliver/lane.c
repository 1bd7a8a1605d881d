/*
 * deliver/lane.c - the toolbox the lanes share, and the channels' table
 *
 * Owns: what the shard, retry and priority lanes all use: the clock,
 * counters, the backoff rule, rate-limited store warnings, waking the
 * threads, the alert every channel is prepared for, and the channels of an
 * engine thread taken together (open, pending, collect, drain, close).
 * Calls no lane and not the loop (engine.c): the lanes and the loop call
 * it. Does not own: any one channel's way of sending (channel_email.c).
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "news/news.h"
#include "deliver_internal.h"

/* the channels an engine thread opens, by deliver_channel_of's numbers */
static const struct deliver_channel_ops *const channels[DELIVER_CHANNELS] = {
	[DELIVER_CHANNEL_EMAIL] = &deliver_channel_email,
};

int64_t
deliver_now(void)
{
	return time_now_ms() / 1000;
}

void
deliver_stat_add(struct deliver *d, uint64_t *field, uint64_t n)
{
	pthread_mutex_lock(&d->lock);
	*field += n;
	pthread_mutex_unlock(&d->lock);
}

int
deliver_stopping(struct deliver *d)
{
	int s;

	pthread_mutex_lock(&d->lock);
	s = d->stopping;
	pthread_mutex_unlock(&d->lock);
	return s;
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

int64_t
deliver_backoff(const struct deliver *d, int attempts)
{
	int64_t delay = d->cfg.retry_base > 0 ? d->cfg.retry_base : 1;

	while (attempts-- > 0 && delay < 3600)
		delay *= 2;
	return delay > 3600 ? 3600 : delay;
}

void
deliver_store_warn(struct engine *e, const char *event)
{
	int64_t now = deliver_now();
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

/*
 * deliver_alert_prepare - the article is read back from the store once
 * (news_article_load) and every channel makes its shared part from it; a
 * thread keeps one alert prepared, so a shard's batches and the retries of
 * the same alert prepare nothing.
 */
int
deliver_alert_prepare(struct engine *e, int64_t alert_id)
{
	struct store_alert *al = NULL;
	struct news_article art;
	int i, rc;

	if (e->prepared_alert == alert_id && alert_id != 0)
		return NF_OK;
	e->prepared_alert = 0;
	if ((rc = store_alert_get(e->store, alert_id, &al)) != NF_OK)
		return rc;
	rc = news_article_load(e->store, al->article_id, &art);
	if (rc == NF_OK) {
		struct deliver_alert a = { alert_id, al->created_at, &art };

		for (i = 0; i < DELIVER_CHANNELS && rc == NF_OK; i++)
			rc = e->chan[i].ops->prepare(e->chan[i].state, &a);
		news_article_free(&art);
	}
	store_alert_free(al);
	if (rc == NF_OK)
		e->prepared_alert = alert_id;
	else
		log_event(LOG_ERROR, "deliver.prepare_failed", "alert", "", "reason", nf_strstatus(rc), NULL);
	return rc;
}

int
deliver_channels_open(struct engine *e)
{
	int i;

	for (i = 0; i < DELIVER_CHANNELS; i++) {
		e->chan[i].ops = channels[i];
		if (channels[i]->open(&e->chan[i].state, &e->d->cfg) != NF_OK)
			return NF_ERR;
	}
	return NF_OK;
}

void
deliver_channels_close(struct engine *e)
{
	int i;

	for (i = 0; i < DELIVER_CHANNELS; i++) {
		if (e->chan[i].ops && e->chan[i].state)
			e->chan[i].ops->close(e->chan[i].state);
		e->chan[i].state = NULL;
	}
	e->prepared_alert = 0;
}

size_t
deliver_pending(struct engine *e)
{
	size_t n = 0;
	int i;

	for (i = 0; i < DELIVER_CHANNELS; i++)
		n += e->chan[i].ops->pending(e->chan[i].state);
	return n;
}

/*
 * deliver_collect - with one channel this is its collect. With several, the
 * first that has messages pending may sleep and the others are only
 * looked at, so that none waits behind another's sleep for long.
 */
void
deliver_collect(struct engine *e, size_t want, int timeout_ms)
{
	int i, slept = 0;

	for (i = 0; i < DELIVER_CHANNELS; i++) {
		struct deliver_chan *c = &e->chan[i];

		if (DELIVER_CHANNELS > 1 && c->ops->pending(c->state) == 0)
			continue;
		c->ops->collect(c->state, want, slept ? 0 : timeout_ms);
		slept = 1;
	}
}

void
deliver_drain(struct engine *e)
{
	int i;

	for (i = 0; i < DELIVER_CHANNELS; i++)
		if (e->chan[i].state)
			e->chan[i].ops->drain(e->chan[i].state);
}
