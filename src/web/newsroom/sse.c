/*
 * web/newsroom/sse.c - an alert's progress as Server-Sent Events (text/event-stream)
 *
 * Owns: GET /newsroom/alerts/ID/events. Each stream is a libmicrohttpd
 * response made from a callback (MHD_create_response_from_callback, sent
 * chunked). Once a second the callback reads the alert (store_alert_get,
 * on the HTTP thread's own store handle) and, when anything changed, sends
 * one "progress" event whose data is the JSON the page was drawn from
 * (history.c); when the alert has ended it sends the last one and the
 * stream ends. (HTML Living Standard, 9.2 "Server-sent events".)
 *
 * No thread waits a second for anything. When there is nothing to send the
 * callback suspends its connection (MHD_suspend_connection: MHD stops
 * polling it) and returns 0; one hub thread resumes each stream when its
 * second is up, and the callback runs again. Resuming a connection that is
 * not suspended is undefined in libmicrohttpd, so a stream records that it
 * is SUSPENDING before the call and SUSPENDED only after it, under the
 * hub's lock, and the hub resumes only SUSPENDED streams; it calls MHD
 * without holding the lock. A suspended connection cannot be closed by MHD,
 * so the stream the hub resumes is still there.
 *
 * At most NEWSROOM_SSE_STREAMS_MAX streams are open (503 past that; EventSource
 * retries by itself). At shutdown the hub resumes every stream and each
 * ends, because MHD must not be stopped with connections suspended.
 */
#include <microhttpd.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "newsroom.h"

#define POLL_US 1000000		/* one read of the alert a second per stream */
#define HEARTBEAT_US 15000000	/* a comment when nothing changed, to notice gone clients */
#define EVENT_MAX 4096

enum stream_state { RUNNING, SUSPENDING, SUSPENDED };

struct sse_stream {
	struct newsroom_sse *hub;
	struct MHD_Connection *conn;
	int64_t alert_id;
	enum stream_state state;
	int64_t due_us;			/* the next read of the alert */
	int64_t last_event_us;
	struct buf out;			/* bytes not yet handed to MHD */
	size_t out_pos;
	char *last;			/* the last event's data, to send only changes */
	int finished;
	struct sse_stream *prev, *next;
};

struct newsroom_sse {
	struct web *w;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pthread_t thread;
	int stopping, started;
	int count;
	struct sse_stream *head;
};

/* ---- the hub: resume streams whose second is up ---- */

static int64_t
collect_due(struct newsroom_sse *h, struct MHD_Connection **due, int *ndue, int64_t now)
{
	struct sse_stream *st;
	int64_t next = now + POLL_US;

	*ndue = 0;
	for (st = h->head; st; st = st->next) {
		if (st->state == SUSPENDING)
			next = now + 20000;	/* look again soon: it is about to be suspended */
		if (st->state != SUSPENDED)
			continue;
		if (h->stopping || st->due_us <= now) {
			st->state = RUNNING;
			due[(*ndue)++] = st->conn;
		} else if (st->due_us < next) {
			next = st->due_us;
		}
	}
	return next;
}

static void
wait_until(struct newsroom_sse *h, int64_t mono_us)
{
	struct timespec ts;
	int64_t delta = mono_us - time_mono_us();

	if (delta <= 0)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += (time_t)(delta / 1000000);
	ts.tv_nsec += (long)(delta % 1000000) * 1000;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_cond_timedwait(&h->cond, &h->lock, &ts);
}

static void *
hub_run(void *arg)
{
	struct newsroom_sse *h = arg;
	struct MHD_Connection *due[NEWSROOM_SSE_STREAMS_MAX];
	int ndue, i;
	int64_t next;

	pthread_mutex_lock(&h->lock);
	while (!h->stopping) {
		next = collect_due(h, due, &ndue, time_mono_us());
		pthread_mutex_unlock(&h->lock);
		for (i = 0; i < ndue; i++)
			MHD_resume_connection(due[i]);
		pthread_mutex_lock(&h->lock);
		if (!h->stopping)
			wait_until(h, next);
	}
	pthread_mutex_unlock(&h->lock);
	return NULL;
}

struct newsroom_sse *
newsroom_sse_new(struct web *w)
{
	struct newsroom_sse *h = xcalloc(1, sizeof(*h));

	h->w = w;
	pthread_mutex_init(&h->lock, NULL);
	pthread_cond_init(&h->cond, NULL);
	if (pthread_create(&h->thread, NULL, hub_run, h) != 0)
		log_panic("cannot start the event stream thread");
	h->started = 1;
	return h;
}

void
newsroom_sse_shutdown(struct newsroom_sse *h)
{
	struct MHD_Connection *due[NEWSROOM_SSE_STREAMS_MAX];
	struct sse_stream *st;
	int ndue, i, settling;

	if (h == NULL || !h->started)
		return;
	pthread_mutex_lock(&h->lock);
	h->stopping = 1;
	pthread_cond_broadcast(&h->cond);
	pthread_mutex_unlock(&h->lock);
	pthread_join(h->thread, NULL);
	h->started = 0;
	/* resume everything; a stream caught between its two states is waited for */
	do {
		pthread_mutex_lock(&h->lock);
		collect_due(h, due, &ndue, time_mono_us());
		for (settling = 0, st = h->head; st; st = st->next)
			settling |= st->state == SUSPENDING;
		pthread_mutex_unlock(&h->lock);
		for (i = 0; i < ndue; i++)
			MHD_resume_connection(due[i]);
		if (settling)
			nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
	} while (settling);
}

void
newsroom_sse_free(struct newsroom_sse *h)
{
	if (h == NULL)
		return;
	newsroom_sse_shutdown(h);
	pthread_mutex_destroy(&h->lock);
	pthread_cond_destroy(&h->cond);
	free(h);
}

/* ---- one stream ---- */

static void
stream_free(void *cls)
{
	struct sse_stream *st = cls;
	struct newsroom_sse *h = st->hub;

	pthread_mutex_lock(&h->lock);
	if (st->prev)
		st->prev->next = st->next;
	else
		h->head = st->next;
	if (st->next)
		st->next->prev = st->prev;
	h->count--;
	pthread_mutex_unlock(&h->lock);
	buf_free(&st->out);
	free(st->last);
	free(st);
}

/* read the alert and queue an event when something changed */
static void
poll_alert(struct sse_stream *st, int64_t now_us)
{
	struct store *s = http_store(st->hub->w);
	struct store_alert *a = NULL;
	json_t *o;
	char *data;
	int rc;

	st->due_us = now_us + POLL_US;
	rc = s ? store_alert_get(s, st->alert_id, &a) : NF_ERR;
	if (rc == NF_ERR_NOTFOUND) {
		buf_puts(&st->out, "event: gone\ndata: {}\n\n");
		st->finished = 1;
		return;
	}
	if (rc != NF_OK) {
		if (now_us - st->last_event_us >= HEARTBEAT_US) {
			buf_puts(&st->out, ": the database is not answering\n\n");
			st->last_event_us = now_us;
		}
		return;
	}
	o = newsroom_alert_progress_json(a, time(NULL));
	data = json_dumps(o, JSON_COMPACT);	/* one line: JSON escapes newlines */
	if (st->last == NULL || strcmp(st->last, data) != 0) {
		buf_printf(&st->out, "event: progress\ndata: %s\n\n", data);
		free(st->last);
		st->last = data;
		data = NULL;
		st->last_event_us = now_us;
	} else if (now_us - st->last_event_us >= HEARTBEAT_US) {
		buf_puts(&st->out, ": still sending\n\n");
		st->last_event_us = now_us;
	}
	/* a stopped alert's stream ends once what was handed to the relay has its outcome */
	st->finished = a->state == STORE_DONE || (a->state == STORE_CANCELLED && a->leased == 0);
	free(data);
	json_decref(o);
	store_alert_free(a);
}

static ssize_t
copy_out(struct sse_stream *st, char *buf, size_t max)
{
	size_t n = st->out.len - st->out_pos;

	if (n > max)
		n = max;
	memcpy(buf, st->out.data + st->out_pos, n);
	st->out_pos += n;
	if (st->out_pos == st->out.len) {
		buf_reset(&st->out);
		st->out_pos = 0;
	}
	return (ssize_t)n;
}

static ssize_t
stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct sse_stream *st = cls;
	struct newsroom_sse *h = st->hub;
	int64_t now = time_mono_us();
	int stopping;

	NF_UNUSED(pos);
	if (st->out_pos < st->out.len)
		return copy_out(st, buf, max);
	if (st->finished)
		return MHD_CONTENT_READER_END_OF_STREAM;
	if (now >= st->due_us) {
		poll_alert(st, now);
		if (st->out.len > 0)
			return copy_out(st, buf, max);
	}
	/* nothing to say for now: let the hub wake this connection */
	pthread_mutex_lock(&h->lock);
	stopping = h->stopping;
	if (!stopping)
		st->state = SUSPENDING;
	pthread_mutex_unlock(&h->lock);
	if (stopping)
		return MHD_CONTENT_READER_END_OF_STREAM;
	MHD_suspend_connection(st->conn);
	pthread_mutex_lock(&h->lock);
	st->state = SUSPENDED;
	pthread_cond_signal(&h->cond);
	pthread_mutex_unlock(&h->lock);
	return 0;
}

/* a new stream in the hub's list; NULL when NEWSROOM_SSE_STREAMS_MAX are open */
static struct sse_stream *
stream_new(struct newsroom_sse *h, struct MHD_Connection *conn, int64_t alert_id)
{
	struct sse_stream *st;

	pthread_mutex_lock(&h->lock);
	if (h->stopping || h->count >= NEWSROOM_SSE_STREAMS_MAX) {
		pthread_mutex_unlock(&h->lock);
		return NULL;
	}
	st = xcalloc(1, sizeof(*st));
	st->hub = h;
	st->conn = conn;
	st->alert_id = alert_id;
	st->state = RUNNING;
	buf_init(&st->out, EVENT_MAX * 4);
	buf_puts(&st->out, "retry: 3000\n\n");	/* reconnect after 3 s if cut */
	st->next = h->head;
	if (h->head)
		h->head->prev = st;
	h->head = st;
	h->count++;
	pthread_mutex_unlock(&h->lock);
	return st;
}

void
newsroom_sse_stream(struct web *w, struct http_request *req, struct http_response *res, int64_t alert_id)
{
	struct sse_stream *st = stream_new(w->nr->sse, req->conn, alert_id);
	struct MHD_Response *r;

	if (st == NULL) {
		http_reply_header(req, res, "Retry-After", "5");
		http_reply_text(res, 503, "Too many progress streams are open. Please try again shortly\n");
		return;
	}
	r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, EVENT_MAX, stream_read, st, stream_free);
	if (r == NULL) {
		stream_free(st);
		http_reply_text(res, 503, "Something went wrong. Please try again later\n");
		return;
	}
	res->stream = r;
	res->status = 200;
	res->content_type = "text/event-stream; charset=utf-8";
	http_reply_header(req, res, "X-Accel-Buffering", "no");	/* a proxy must not hold events */
}
