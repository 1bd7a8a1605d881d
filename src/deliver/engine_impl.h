/*
 * deliver/engine_impl.h - the engine's private structures, shared by its files
 */
#ifndef NEWSFLASH_ENGINE_IMPL_H
#define NEWSFLASH_ENGINE_IMPL_H

#include <pthread.h>

#include "deliver.h"
#include "smtp/smtp.h"
#include "store/store.h"

#define BATCHES_MAX 8
#define LATENCY_BUCKETS 9

struct engine;

/* one message in flight: what its completion must update */
struct msg_ctx {
	struct engine *e;
	struct batch *batch;		/* alert message in a shard batch, else NULL */
	int64_t subscriber_id;
	int64_t alert_id;		/* retries */
	int attempts;			/* retries: attempts so far */
	struct prio_msg *prio;		/* priority messages */
	char email_key[256];		/* to suppress on an unknown-user answer */
};

/* a group commit unit: a run of subscribers from one shard */
struct batch {
	int64_t cursor_end;		/* the shard's cursor once this batch is committed */
	size_t count;			/* messages in it */
	size_t submitted, done;
	int64_t sent;
	struct store_delivery_rec *recs;	/* failures, reply strings owned */
	size_t nrecs;
	char **suppress;		/* email keys to suppress (unknown users) */
	size_t nsuppress;
	struct msg_ctx *msgs;
};

struct shard_run {
	struct store_shard shard;
	int64_t fetch_cursor;		/* next fetch starts after this id */
	struct batch ring[BATCHES_MAX];
	int head, inflight;		/* oldest batch, batches not yet committed */
	int exhausted, cancelled, lost;
	int started;			/* a message of this shard has been submitted */
	int64_t last_renew;
	int64_t alert_created_at;
	struct store_batch rows;
};

/* a one-off message in the priority lane */
struct prio_msg {
	struct prio_msg *next;
	char *to;
	char *msg;
	size_t len;
	int64_t subscriber_id;
	int confirm;			/* a signup confirmation, composed when sent */
	char salt[40];			/* confirm: the subscriber's token salt */
};

/* one engine thread: its own store connection, transport and prepared alert */
struct engine {
	struct deliver *d;
	int index;
	pthread_t tid;
	struct store *store;
	struct smtp_transport *t;
	struct shard_run *run;
	struct mail_alert *prepared;	/* for prepared_alert */
	int64_t prepared_alert;
	struct hmac_key *secret_key;	/* the secret's saved HMAC state: return paths */
	int64_t next_retry_ms;
	int wake_fd;			/* eventfd: deliver_wake and the priority lane */
	size_t inflight_other;		/* retries and priority messages in flight */
	int64_t store_warned_at;	/* engine_store_warn's last line */
	uint64_t store_warn_quiet;	/* failures since, not logged */
};

struct deliver {
	struct deliver_config cfg;
	char owner_buf[128];
	pthread_mutex_t lock;
	int stopping;
	struct prio_msg *prio_head, *prio_tail;
	int prio_count;
	struct prio_ids *prio_ids;	/* priority.c: subscribers whose confirmation is queued or out */
	int prio_overflow;		/* a confirmation was refused: look for it once there is room */
	int64_t prio_next_scan;		/* when to look for confirmations owed again (0: at start) */
	struct deliver_stats stats;
	uint64_t latency_buckets[LATENCY_BUCKETS], latency_count;
	double latency_sum;
	struct engine *engines;
	int nengines;
};

/* engine.c */
void deliver_wake_all(struct deliver *d);	/* lock not held */
int64_t engine_now(void);
int engine_stopping(struct deliver *d);		/* lock not held */
void engine_stat_add(struct deliver *d, uint64_t *field, uint64_t n);
/* load the prepared alert for alert_id (one cached per thread) */
int engine_prepare_alert(struct engine *e, int64_t alert_id);
/* where bounces go (--bounce-domain, else From's domain); a subscriber's return path */
const char *engine_bounce_domain(const struct engine *e);
void engine_envelope_from(struct engine *e, int64_t subscriber_id, const char *salt, struct buf *out);
/* hand one message to the transport, waiting while it is full */
int engine_submit(struct engine *e, const char *from, const char *to, char *msg, size_t len,
		  smtp_done_fn done, struct msg_ctx *ctx);
/* 1 when a 5xx says the mailbox does not exist (RFC 3463 X.1.1, or 550 + user unknown) */
int engine_unknown_user(const struct smtp_result *r);
int64_t engine_backoff(const struct deliver *d, int attempts);
/* a failed store call, logged at most every 10 s per thread while failures last */
void engine_store_warn(struct engine *e, const char *event);

/* shard.c */
int shard_try_claim(struct engine *e);
/* submit, collect and commit what the current shard allows; 1 when it did work */
int shard_pump(struct engine *e);
int shard_busy(const struct engine *e);
/* outcomes the shard waits for before it can move (the oldest batch's); at least 1 */
size_t shard_awaited(const struct engine *e);
void shard_release(struct engine *e);

/* retry.c: temporary failures that have come due */
int retry_pump(struct engine *e);

/* metrics.c */
void deliver_latency_record(struct deliver *d, double secs);

/* priority.c */
int priority_pump(struct engine *e);
/* everything still queued, at deliver_stop */
void priority_free(struct deliver *d);

#endif
