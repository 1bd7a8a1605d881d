/*
 * web/public/signup_writer.c - group commit of signups: one writer thread per process
 *
 * Owns: the queue between the HTTP threads and the database for signups,
 * and the writer thread. An HTTP thread checks a signup (rate limit,
 * address, CSRF: signup.c) and hands it here; the writer takes whatever is
 * queued (up to BATCH_MAX), writes it in one transaction (store_begin ...
 * store_commit), and only after that COMMIT answers each request. SQLite
 * has one writer at a time: four HTTP threads each committing their own
 * signup queued behind each other on the write lock (the busy handler's
 * sleeps were the p99), and every commit wrote the shared index pages
 * again. One writer with batches takes the lock once and writes them once.
 *
 * Waiting for the COMMIT: the request is suspended (MHD_suspend_connection
 * through http_suspend) rather than its HTTP thread blocked on a condition
 * variable. Each HTTP thread serves many connections from one event loop;
 * blocked, it would hold every other connection it serves for a whole
 * commit, so a batch could never hold more signups than there are HTTP
 * threads. Suspended, the thread goes on reading the next requests, and a
 * batch gathers as many signups as arrive during one commit.
 *
 * Answers are the same as before: the writer only decides committed or
 * not. A batch that fails is done again row by row, each in its own
 * transaction, so one bad row answers 503 alone and its neighbours are
 * still written; a database that is busy or gone (NF_ERR_TEMP, NF_ERR_IO)
 * fails the whole batch at once instead, since every row would wait again.
 * Confirmation mails are queued (deliver_confirm) only for rows committed.
 * The queue is bounded (signup_queue): past it a signup is answered 503 at
 * once. Stopping writes and answers everything queued first.
 */
#include <stdlib.h>
#include <string.h>

#include "deliver/deliver.h"
#include "public.h"

#define BATCH_MAX 1024		/* signups in one transaction, at most */

struct public_writer {
	struct web *w;
	pthread_t tid;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct public_signup_job *head, *tail;
	long queued, max;
	int stopping;
	int joined;			/* public_writer_stop has joined the thread */
	/* written by the writer thread, read by /metrics (atomics) */
	uint64_t batches, signups, row_retries;
};

int
public_writer_submit(struct public_writer *sw, struct public_signup_job *job, http_finish_fn finish,
		     void *arg)
{
	if (sw == NULL)
		return NF_ERR_TEMP;
	pthread_mutex_lock(&sw->lock);
	if (sw->stopping || sw->queued >= sw->max) {
		pthread_mutex_unlock(&sw->lock);
		return NF_ERR_TEMP;
	}
	/* suspended before the writer can see it, so its resume always follows */
	http_suspend(sw->w, job->req, finish, arg);
	job->next = NULL;
	if (sw->tail)
		sw->tail->next = job;
	else
		sw->head = job;
	sw->tail = job;
	sw->queued++;
	pthread_cond_signal(&sw->cond);
	pthread_mutex_unlock(&sw->lock);
	return NF_OK;
}

/* up to BATCH_MAX jobs off the queue; NULL when stopping with nothing left */
static struct public_signup_job *
take_batch(struct public_writer *sw)
{
	struct public_signup_job *first, *last;
	long n = 1;

	pthread_mutex_lock(&sw->lock);
	while (sw->head == NULL && !sw->stopping)
		pthread_cond_wait(&sw->cond, &sw->lock);
	first = last = sw->head;
	if (first) {
		while (last->next && n < BATCH_MAX)
			last = last->next, n++;
		sw->head = last->next;
		if (sw->head == NULL)
			sw->tail = NULL;
		last->next = NULL;
		sw->queued -= n;
	}
	pthread_mutex_unlock(&sw->lock);
	return first;
}

static void
job_reset(struct public_signup_job *job)
{
	job->rc = NF_ERR;
	job->created = 0;
	job->id = 0;
	job->confirm = 0;
}

/* the whole batch in one transaction; NF_OK when it committed */
static int
write_batch(struct web *w, struct store *s, struct public_signup_job *batch)
{
	struct public_signup_job *job;
	int rc;

	if ((rc = store_begin(s)) != NF_OK)
		return rc;
	for (job = batch; job; job = job->next) {
		job_reset(job);
		if ((job->rc = public_signup_row(w, s, job)) != NF_OK && rc == NF_OK)
			rc = job->rc;
	}
	if (rc != NF_OK) {
		store_rollback(s);	/* nothing of the batch stays; its rows go one by one */
		return rc;
	}
	return store_commit(s);
}

/* each job in its own transaction: one bad row fails alone */
static void
write_rows(struct web *w, struct store *s, struct public_signup_job *batch)
{
	struct public_signup_job *job;
	int rc;

	for (job = batch; job; job = job->next) {
		job_reset(job);
		if ((rc = store_begin(s)) != NF_OK) {
			job->rc = rc;
			continue;
		}
		rc = public_signup_row(w, s, job);
		job->rc = store_commit(s);
		if (rc != NF_OK)
			job->rc = rc;	/* commit rolled back the spoilt transaction */
	}
}

static void
fail_all(struct public_signup_job *batch, int rc)
{
	for (; batch; batch = batch->next)
		batch->rc = rc;
}

static void
run_batch(struct public_writer *sw, struct public_signup_job *batch)
{
	struct web *w = sw->w;
	struct store *s = http_store(w);
	struct public_signup_job *job;
	int rc, failed = 0;

	if (s == NULL) {
		fail_all(batch, NF_ERR_IO);
		return;
	}
	__atomic_fetch_add(&sw->batches, 1, __ATOMIC_RELAXED);
	rc = write_batch(w, s, batch);
	if (rc != NF_OK && batch->next != NULL && rc != NF_ERR_TEMP && rc != NF_ERR_IO) {
		__atomic_fetch_add(&sw->row_retries, 1, __ATOMIC_RELAXED);
		write_rows(w, s, batch);
	} else if (rc != NF_OK) {
		fail_all(batch, rc);
	}
	for (job = batch; job; job = job->next) {
		if (job->rc != NF_OK) {
			failed++;
			continue;
		}
		__atomic_fetch_add(&sw->signups, 1, __ATOMIC_RELAXED);
		if (job->created)
			log_event(LOG_INFO, "signup.created", "source", job->su.consent.source, NULL);
		/*
		 * Only now, after the COMMIT. A full lane loses nothing: the row
		 * is pending with no confirmation sent, and the lane queues it
		 * once it has room (deliver/priority.c).
		 */
		if (job->confirm && w->cfg.engine)
			deliver_confirm(w->cfg.engine, job->id, job->email, job->salt);
	}
	if (failed > 0) {
		/* one line a batch: a database that is down would flood the log otherwise */
		char n[16];

		snprintf(n, sizeof(n), "%d", failed);
		log_event(LOG_ERROR, "signup.failed", "signups", n, "reason", store_errmsg(s), NULL);
	}
}

static void *
writer_main(void *arg)
{
	struct public_writer *sw = arg;
	struct public_signup_job *batch, *job, *next;

	while ((batch = take_batch(sw)) != NULL) {
		run_batch(sw, batch);
		/* the request (and the job in its arena) may end once resumed: next first */
		for (job = batch; job; job = next) {
			next = job->next;
			http_resume(job->req);
		}
	}
	return NULL;
}

void
public_writer_counts(struct public_writer *sw, uint64_t *batches, uint64_t *signups,
		     uint64_t *row_retries)
{
	*batches = sw ? __atomic_load_n(&sw->batches, __ATOMIC_RELAXED) : 0;
	*signups = sw ? __atomic_load_n(&sw->signups, __ATOMIC_RELAXED) : 0;
	*row_retries = sw ? __atomic_load_n(&sw->row_retries, __ATOMIC_RELAXED) : 0;
}

struct public_writer *
public_writer_start(struct web *w)
{
	struct public_writer *sw = xcalloc(1, sizeof(*sw));

	sw->w = w;
	sw->max = w->cfg.signup_queue > 0 ? w->cfg.signup_queue : 1;
	pthread_mutex_init(&sw->lock, NULL);
	pthread_cond_init(&sw->cond, NULL);
	if (pthread_create(&sw->tid, NULL, writer_main, sw) != 0) {
		log_error("cannot start the signup writer thread");
		pthread_mutex_destroy(&sw->lock);
		pthread_cond_destroy(&sw->cond);
		free(sw);
		return NULL;
	}
	return sw;
}

/*
 * Stopping and freeing are apart: HTTP threads may still call
 * public_writer_submit after the stop (and are answered 503) until the
 * daemon is stopped, so the struct must outlive it.
 */
void
public_writer_stop(struct public_writer *sw)
{
	char batches[24], signups[24], retries[24];
	int joined;

	if (sw == NULL)
		return;
	pthread_mutex_lock(&sw->lock);
	sw->stopping = 1;
	joined = sw->joined;
	sw->joined = 1;
	pthread_cond_signal(&sw->cond);
	pthread_mutex_unlock(&sw->lock);
	if (joined)
		return;
	pthread_join(sw->tid, NULL);
	snprintf(batches, sizeof(batches), "%llu", (unsigned long long)sw->batches);
	snprintf(signups, sizeof(signups), "%llu", (unsigned long long)sw->signups);
	snprintf(retries, sizeof(retries), "%llu", (unsigned long long)sw->row_retries);
	log_event(LOG_INFO, "signup.writer_stopped", "batches", batches, "signups", signups,
		  "row_retries", retries, NULL);
}

void
public_writer_free(struct public_writer *sw)
{
	if (sw == NULL)
		return;
	public_writer_stop(sw);
	pthread_mutex_destroy(&sw->lock);
	pthread_cond_destroy(&sw->cond);
	free(sw);
}
