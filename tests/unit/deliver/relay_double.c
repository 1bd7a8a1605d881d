/*
 * tests/unit/deliver/relay_double.c - the scripted relay (see relay_double.h)
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/core.h"
#include "smtp/smtp.h"
#include "relay_double.h"

/* one attempt, as the relay saw it */
struct attempt {
	char *rcpt, *from, *msg, *message_id;
	int accepted;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int pace;			/* answers a second, 0: at once */
static int64_t pace_next_ms;		/* when the paced relay answers next */
static struct attempt *log_;
static size_t nlog, caplog;

/* a message waiting for its outcome, per transport instance */
struct job {
	struct job *next;
	char *rcpt, *from;		/* the envelope, until the relay answers */
	const char *msg;
	size_t len;
	int64_t due_ms;			/* paced: when the relay answers */
	struct smtp_result result;
	smtp_done_fn done;
	void *arg;
	char *owned;			/* SMTP_MSG_TAKE: freed after done */
};

struct relay {
	struct job *head, *tail;
	size_t pending;
	struct smtp_stats stats;
};

static char *
message_id(const char *msg, size_t len)
{
	const char *at = memmem(msg, len, "\r\nMessage-ID: ", 14), *end;

	if (at == NULL)
		return xstrdup("");
	at += 14;
	end = memmem(at, len - (size_t)(at - msg), "\r\n", 2);
	return xmemdup0(at, end ? (size_t)(end - at) : 0);
}

/* decide the answer for rcpt and record the attempt */
static void
script(const char *rcpt, const char *from, const char *msg, size_t len, struct smtp_result *r)
{
	struct attempt *a;
	int earlier = 0;
	size_t i;

	pthread_mutex_lock(&lock);
	for (i = 0; i < nlog; i++)
		earlier += strcmp(log_[i].rcpt, rcpt) == 0;
	memset(r, 0, sizeof(*r));
	r->outcome = SMTP_ACCEPTED, r->code = 250, r->enhanced = "2.0.0", r->text = "ok";
	if (strncmp(rcpt, "temp-", 5) == 0 && earlier == 0)
		r->outcome = SMTP_TEMPORARY, r->code = 451, r->enhanced = "4.2.0", r->text = "try later";
	else if (strncmp(rcpt, "gone-", 5) == 0)
		r->outcome = SMTP_PERMANENT, r->code = 550, r->enhanced = "5.1.1",
		r->text = "user unknown";
	else if (strncmp(rcpt, "full-", 5) == 0)
		r->outcome = SMTP_PERMANENT, r->code = 552, r->enhanced = "5.2.2",
		r->text = "mailbox full";
	r->attempts = 1;
	if (nlog == caplog) {
		caplog = caplog ? caplog * 2 : 256;
		log_ = xrealloc(log_, caplog * sizeof(*log_));
	}
	a = &log_[nlog++];
	a->rcpt = xstrdup(rcpt);
	a->from = xstrdup(from);
	a->msg = xmemdup0(msg, len);
	a->message_id = message_id(msg, len);
	a->accepted = r->outcome == SMTP_ACCEPTED;
	pthread_mutex_unlock(&lock);
}

static int
op_submit(void *impl, const struct smtp_envelope *env, const char *msg, size_t len,
	  enum smtp_msg_own own, smtp_done_fn done, void *arg)
{
	struct relay *t = impl;
	struct job *j;

	if (env->nto != 1 || strchr(env->to[0], '\n') || strchr(env->from, '\n'))
		return NF_ERR_INVALID;
	j = xcalloc(1, sizeof(*j));
	j->rcpt = xstrdup(env->to[0]);
	j->from = xstrdup(env->from);
	j->msg = msg;
	j->len = len;
	pthread_mutex_lock(&lock);
	if (pace > 0) {
		int64_t now = time_now_ms();

		pace_next_ms = (pace_next_ms > now ? pace_next_ms : now) + 1000 / pace;
		j->due_ms = pace_next_ms;
	}
	pthread_mutex_unlock(&lock);
	j->done = done;
	j->arg = arg;
	j->owned = own == SMTP_MSG_TAKE ? (char *)msg : NULL;
	if (t->tail)
		t->tail->next = j;
	else
		t->head = j;
	t->tail = j;
	t->pending++;
	t->stats.submitted++;
	return NF_OK;
}

/*
 * the waiting jobs' outcomes, in order, on the waiting thread: the relay
 * answers (and the attempt is recorded) only then. Paced, a job is answered
 * at its due time: sleep up to timeout_ms for the first (-1: as long as it takes)
 */
static int
complete_due(struct relay *t, int timeout_ms)
{
	int64_t until = time_mono_us() / 1000 + timeout_ms;
	struct job *j;
	int n = 0;

	while ((j = t->head) != NULL) {
		int64_t wait = j->due_ms - time_now_ms();

		if (wait > 0 && (timeout_ms < 0 || time_mono_us() / 1000 + wait <= until)) {
			struct timespec ts = { wait / 1000, (wait % 1000) * 1000000L };

			nanosleep(&ts, NULL);
		} else if (wait > 0) {
			break;
		}
		t->head = j->next;
		if (t->head == NULL)
			t->tail = NULL;
		t->pending--;
		script(j->rcpt, j->from, j->msg, j->len, &j->result);
		j->done(j->arg, &j->result);
		free(j->rcpt);
		free(j->from);
		free(j->owned);
		free(j);
		n++;
	}
	return n;
}

static int
op_wait(void *impl, size_t want, int timeout_ms)
{
	(void)want;
	return complete_due(impl, timeout_ms);
}

static int
op_drain(void *impl)
{
	complete_due(impl, -1);
	return NF_OK;
}

static size_t
op_pending(void *impl)
{
	return ((struct relay *)impl)->pending;
}

static void
op_stats(void *impl, struct smtp_stats *out)
{
	*out = ((struct relay *)impl)->stats;
}

static void
op_free(void *impl)
{
	complete_due(impl, -1);
	free(impl);
}

static const struct smtp_transport_ops relay_ops = {
	"test", op_submit, op_wait, op_drain, op_pending, op_stats, op_free,
};

static int
relay_open(void **impl, const char *url, const struct smtp_options *opt, char *err, size_t errlen)
{
	(void)url, (void)opt, (void)err, (void)errlen;
	*impl = xcalloc(1, sizeof(struct relay));
	return NF_OK;
}

void
relay_reset(void)
{
	size_t i;

	smtp_transport_register("test:", relay_open, &relay_ops);
	pthread_mutex_lock(&lock);
	pace = 0;
	pace_next_ms = 0;
	for (i = 0; i < nlog; i++) {
		free(log_[i].rcpt);
		free(log_[i].from);
		free(log_[i].msg);
		free(log_[i].message_id);
	}
	free(log_);
	log_ = NULL;
	nlog = caplog = 0;
	pthread_mutex_unlock(&lock);
}

static int
count(const char *rcpt, int accepted_only)
{
	size_t i;
	int n = 0;

	pthread_mutex_lock(&lock);
	for (i = 0; i < nlog; i++)
		if ((rcpt == NULL || strcmp(log_[i].rcpt, rcpt) == 0) &&
		    (!accepted_only || log_[i].accepted))
			n++;
	pthread_mutex_unlock(&lock);
	return n;
}

int
relay_attempts(const char *rcpt)
{
	return count(rcpt, 0);
}

int
relay_accepted(const char *rcpt)
{
	return count(rcpt, 1);
}

int
relay_accepted_total(void)
{
	return count(NULL, 1);
}

int
relay_distinct_ids(void)
{
	size_t i, j;
	int n = 0;

	pthread_mutex_lock(&lock);
	for (i = 0; i < nlog; i++) {
		if (!log_[i].accepted || log_[i].message_id[0] == '\0')
			continue;
		for (j = 0; j < i; j++)
			if (log_[j].accepted && strcmp(log_[j].message_id, log_[i].message_id) == 0)
				break;
		n += j == i;
	}
	pthread_mutex_unlock(&lock);
	return n;
}

int
relay_last(const char *rcpt, char *msg, size_t msglen, char *from, size_t fromlen)
{
	size_t i;
	int found = 0;

	pthread_mutex_lock(&lock);
	for (i = nlog; i-- > 0 && !found;) {
		if (!log_[i].accepted || strcmp(log_[i].rcpt, rcpt) != 0)
			continue;
		snprintf(msg, msglen, "%s", log_[i].msg);
		snprintf(from, fromlen, "%s", log_[i].from);
		found = 1;
	}
	pthread_mutex_unlock(&lock);
	return found;
}

void
relay_pace(int per_second)
{
	pthread_mutex_lock(&lock);
	pace = per_second;
	pace_next_ms = 0;
	pthread_mutex_unlock(&lock);
}
