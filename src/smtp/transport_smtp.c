/*
 * smtp/transport_smtp.c - the relay pool as a transport, in the caller's thread or its own
 *
 * Owns: an smtp_loop and an smtp_pool behind the transport operations.
 * By default everything runs in the caller's thread: submit queues, and
 * wait/drain turn the loop. With opt->threaded the loop runs on a thread
 * of its own, so a producer (the fan-out engine composing and signing)
 * never holds up the sending, and the sending never waits for the
 * producer to come back to the loop: submit prepares the message in the
 * caller's thread (envelope checks, dot-stuffing scan), puts it in an
 * inbox under a mutex and wakes the pool's loop through an eventfd. The
 * pool thread hands finished jobs back through an outbox; their done
 * callbacks run in the caller's thread, inside wait/drain, exactly as in
 * the plain mode, so callers need no locks of their own.
 * Back-pressure is the same either way: at queue_max messages not yet
 * reported, submit returns NF_ERR_TEMP.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "smtp_internal.h"

/* a busy pool takes its inbox after every reply; wake it anyway at this many */
#define INBOX_WAKE 8

struct relay_transport {
	struct smtp_loop *loop;
	struct smtp_pool *pool;
	int threaded;
	size_t waited;			/* plain mode: completed, as the last wait returned it */
	/* threaded mode: everything below is shared, under mu */
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cond;
	int efd;
	struct smtp_job *inbox_head, *inbox_tail;
	size_t inbox_count;
	int woken;			/* the eventfd was written since the inbox was last taken */
	int pool_busy;			/* the pool had messages in flight at its last round */
	struct smtp_job *outbox_head, *outbox_tail;	/* finished, not yet reported */
	size_t outbox_count;
	size_t want;			/* a producer sleeps in wait until this many are done */
	size_t inflight;		/* submitted, done not yet called */
	size_t queue_max;
	struct smtp_stats stats;	/* the pool's, as of its last round */
	struct smtp_stats reported;	/* outcomes counted by the waiting thread */
	int stop;
	/* the pool thread's own */
	struct smtp_job *ready_head, *ready_tail;	/* finished this round */
	size_t ready_count;
	int stopping;
};

/* ---- in the caller's thread ---- */

static int
plain_submit(struct relay_transport *t, const struct smtp_envelope *env, const char *msg,
	     size_t len, enum smtp_msg_own own, smtp_done_fn done, void *arg)
{
	return smtp_pool_submit(t->pool, env, msg, len, own, done, arg);
}

/*
 * wait returns how many messages were done since the last wait returned,
 * so none is missed: in threaded mode one may be done between a submit and
 * the wait that follows it.
 */
static int
plain_wait(struct relay_transport *t, int timeout_ms)
{
	int64_t end = time_mono_us() / 1000 + timeout_ms;
	size_t n;

	while (t->pool->completed == t->waited && t->pool->pending > 0) {
		int64_t left = timeout_ms < 0 ? -1 : end - time_mono_us() / 1000;

		if (timeout_ms >= 0 && left <= 0)
			break;
		if (smtp_loop_run_once(t->loop, (int)left) < 0)
			return NF_ERR_IO;
	}
	n = t->pool->completed - t->waited;
	t->waited = t->pool->completed;
	return (int)n;
}

/* ---- threaded mode ---- */

static void
wake(struct relay_transport *t)
{
	uint64_t one = 1;

	if (write(t->efd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_warn("smtp transport: cannot wake the pool thread");
}

/* inbox_event - on the pool thread: a producer's wake-up; the round's end takes the inbox */
static void
inbox_event(struct smtp_loop *loop, int fd, void *arg, int events)
{
	uint64_t n;

	NF_UNUSED(loop);
	NF_UNUSED(arg);
	NF_UNUSED(events);
	if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		log_warn("smtp transport: cannot read the pool thread's wake-up");
}

/* hand_done - on the pool thread: a finished job waits for the round's end */
static void
hand_done(void *arg, struct smtp_job *job)
{
	struct relay_transport *t = arg;

	if (t->ready_tail)
		t->ready_tail->next = job;
	else
		t->ready_head = job;
	t->ready_tail = job;
	t->ready_count++;
}

/* under mu: enough is done for the waiting producer */
static int
enough_done(const struct relay_transport *t)
{
	return t->outbox_count >= (t->want < t->inflight ? t->want : t->inflight);
}

/* outbox_add - under mu: what this round finished, for the waiting producer */
static void
outbox_add(struct relay_transport *t)
{
	if (t->ready_head == NULL)
		return;
	if (t->outbox_tail)
		t->outbox_tail->next = t->ready_head;
	else
		t->outbox_head = t->ready_head;
	t->outbox_tail = t->ready_tail;
	t->outbox_count += t->ready_count;
	t->ready_head = t->ready_tail = NULL;
	t->ready_count = 0;
	if (t->want > 0 && enough_done(t))
		pthread_cond_broadcast(&t->cond);
}

/*
 * after_round - on the pool thread, at the end of every round: pass what
 * got done to the producer and take what it submitted. A busy pool comes
 * here after every reply, so producers wake it only when it may be asleep
 * with nothing in flight (or their inbox grows): a wake-up per message
 * costs more than its signature's share of a core.
 */
static void
after_round(void *arg)
{
	struct relay_transport *t = arg;
	struct smtp_job *job, *next;
	int wake_again = 0;

	pthread_mutex_lock(&t->mu);
	outbox_add(t);
	job = t->inbox_head;
	t->inbox_head = t->inbox_tail = NULL;
	t->inbox_count = 0;
	t->woken = 0;
	t->stopping = t->stop;
	pthread_mutex_unlock(&t->mu);
	for (; job; job = next) {
		next = job->next;
		smtp_pool_enqueue(t->pool, job);
	}
	pthread_mutex_lock(&t->mu);
	t->stats = t->pool->stats;
	t->pool_busy = t->pool->pending > 0;
	/* submitted while the inbox was being taken, or finished while it was
	   routed (direct delivery defers some at once): go round again */
	if ((t->inbox_head || t->pool->done_head) && !t->woken)
		wake_again = t->woken = 1;
	pthread_mutex_unlock(&t->mu);
	if (wake_again)
		wake(t);
}

/* report - in the caller's thread: the done callbacks of a list of finished jobs */
static size_t
report(struct relay_transport *t, struct smtp_job *job)
{
	struct smtp_stats counted = { 0 };
	struct smtp_job *next;
	size_t n = 0;

	for (; job; job = next, n++) {
		next = job->next;
		smtp_pool_report(&counted, job);
	}
	pthread_mutex_lock(&t->mu);
	t->inflight -= n;
	t->reported.accepted += counted.accepted;
	t->reported.temporary += counted.temporary;
	t->reported.permanent += counted.permanent;
	pthread_mutex_unlock(&t->mu);
	return n;
}

static void *
pool_thread(void *arg)
{
	struct relay_transport *t = arg;

	while (!t->stopping)
		smtp_loop_run_once(t->loop, -1);
	return NULL;
}

static int
thread_submit(struct relay_transport *t, const struct smtp_envelope *env, const char *msg,
	      size_t len, enum smtp_msg_own own, smtp_done_fn done, void *arg)
{
	struct smtp_job *job;
	int rc, wake_pool = 0;

	pthread_mutex_lock(&t->mu);
	if (t->inflight >= t->queue_max) {
		pthread_mutex_unlock(&t->mu);
		return NF_ERR_TEMP;
	}
	t->inflight++;		/* the slot is ours while the job is made */
	pthread_mutex_unlock(&t->mu);
	job = smtp_job_new(env, msg, len, own, done, arg, &rc);
	pthread_mutex_lock(&t->mu);
	if (job == NULL)
		t->inflight--;
	else {
		if (t->inbox_tail)
			t->inbox_tail->next = job;
		else
			t->inbox_head = job;
		t->inbox_tail = job;
		t->inbox_count++;
		if (!t->woken && (!t->pool_busy || t->inbox_count >= INBOX_WAKE))
			wake_pool = t->woken = 1;
	}
	pthread_mutex_unlock(&t->mu);
	if (job == NULL)
		return rc;
	if (wake_pool)
		wake(t);
	return NF_OK;
}

static void
deadline_after(struct timespec *ts, int ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

static int
thread_wait(struct relay_transport *t, size_t want, int timeout_ms)
{
	struct timespec ts;
	struct smtp_job *done;
	int rc = 0;

	deadline_after(&ts, timeout_ms < 0 ? 0 : timeout_ms);
	pthread_mutex_lock(&t->mu);
	t->want = want;
	while (!enough_done(t) && timeout_ms != 0 && rc != ETIMEDOUT)
		rc = timeout_ms < 0 ? pthread_cond_wait(&t->cond, &t->mu)
				    : pthread_cond_timedwait(&t->cond, &t->mu, &ts);
	t->want = 0;
	done = t->outbox_head;
	t->outbox_head = t->outbox_tail = NULL;
	t->outbox_count = 0;
	pthread_mutex_unlock(&t->mu);
	return (int)report(t, done);
}

static int
thread_start(struct relay_transport *t, const struct smtp_options *opt)
{
	pthread_condattr_t ca;

	t->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (t->efd < 0)
		return NF_ERR_IO;
	pthread_mutex_init(&t->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&t->cond, &ca);
	pthread_condattr_destroy(&ca);
	t->queue_max = (size_t)(opt && opt->queue_max > 0 ? opt->queue_max : 10000);
	t->pool->after_round = after_round;
	t->pool->hand_done = hand_done;
	t->pool->after_arg = t;
	smtp_loop_watch(t->loop, t->efd, SMTP_EV_READ, inbox_event, t);
	if (pthread_create(&t->thread, NULL, pool_thread, t) != 0) {
		close(t->efd);
		return NF_ERR_IO;
	}
	t->threaded = 1;
	return NF_OK;
}

static void
thread_stop(struct relay_transport *t)
{
	struct smtp_job *job, *next;

	pthread_mutex_lock(&t->mu);
	t->stop = 1;
	pthread_mutex_unlock(&t->mu);
	wake(t);
	pthread_join(t->thread, NULL);
	/* the pool is ours again: what it finished is reported here, what is
	   still in the inbox joins it, and smtp_pool_free reports it temporary */
	t->pool->hand_done = NULL;
	t->pool->after_round = NULL;
	report(t, t->outbox_head);
	report(t, t->ready_head);
	t->outbox_head = t->outbox_tail = t->ready_head = t->ready_tail = NULL;
	t->outbox_count = t->ready_count = 0;
	for (job = t->inbox_head; job; job = next) {
		next = job->next;
		smtp_pool_enqueue(t->pool, job);
	}
	smtp_loop_unwatch(t->loop, t->efd);
	close(t->efd);
	pthread_cond_destroy(&t->cond);
	pthread_mutex_destroy(&t->mu);
}

/* ---- the operations ---- */

static int
op_submit(void *impl, const struct smtp_envelope *env, const char *msg, size_t len,
	  enum smtp_msg_own own, smtp_done_fn done, void *arg)
{
	struct relay_transport *t = impl;

	return t->threaded ? thread_submit(t, env, msg, len, own, done, arg)
			   : plain_submit(t, env, msg, len, own, done, arg);
}

static int
op_wait(void *impl, size_t want, int timeout_ms)
{
	struct relay_transport *t = impl;

	return t->threaded ? thread_wait(t, want, timeout_ms) : plain_wait(t, timeout_ms);
}

static size_t
op_pending(void *impl)
{
	struct relay_transport *t = impl;
	size_t n;

	if (!t->threaded)
		return smtp_pool_pending(t->pool);
	pthread_mutex_lock(&t->mu);
	n = t->inflight;
	pthread_mutex_unlock(&t->mu);
	return n;
}

static int
op_drain(void *impl)
{
	int rc;

	while (op_pending(impl) > 0)
		if ((rc = op_wait(impl, SIZE_MAX, -1)) < 0)
			return rc;
	return NF_OK;
}

static void
op_stats(void *impl, struct smtp_stats *out)
{
	struct relay_transport *t = impl;

	if (!t->threaded) {
		smtp_pool_stats(t->pool, out);
		return;
	}
	pthread_mutex_lock(&t->mu);
	*out = t->stats;
	out->accepted = t->reported.accepted;
	out->temporary = t->reported.temporary;
	out->permanent = t->reported.permanent;
	pthread_mutex_unlock(&t->mu);
}

static void
op_free(void *impl)
{
	struct relay_transport *t = impl;

	if (t->threaded)
		thread_stop(t);
	smtp_pool_free(t->pool);
	smtp_loop_free(t->loop);
	free(t);
}

const struct smtp_transport_ops smtp_relay_ops = {
	"smtp", op_submit, op_wait, op_drain, op_pending, op_stats, op_free,
};

/* the same pool and thread, routing by domain (smtp/direct.c) */
const struct smtp_transport_ops smtp_direct_ops = {
	"direct", op_submit, op_wait, op_drain, op_pending, op_stats, op_free,
};

int
smtp_relay_open(void **impl, const char *url, const struct smtp_options *opt,
		char *err, size_t errlen)
{
	struct relay_transport *t = xcalloc(1, sizeof(*t));
	int rc;

	t->efd = -1;
	if ((t->loop = smtp_loop_new()) == NULL) {
		snprintf(err, errlen, "cannot create an event loop");
		free(t);
		return NF_ERR_IO;
	}
	rc = smtp_pool_new(&t->pool, t->loop, url, opt, err, errlen);
	if (rc == NF_OK && opt && opt->threaded && (rc = thread_start(t, opt)) != NF_OK) {
		snprintf(err, errlen, "cannot start the pool thread");
		smtp_pool_free(t->pool);
	}
	if (rc != NF_OK) {
		smtp_loop_free(t->loop);
		free(t);
		return rc;
	}
	*impl = t;
	return NF_OK;
}
