/*
 * deliver/deliver_internal.h - what the engine's files share, and no other module sees
 *
 * Owns: the engine's private structures, the channel interface, the
 * toolbox every lane uses (lane.c) and each lane's entry points. The
 * files call downwards only:
 *
 *	engine.c                    the threads and their loop
 *	  -> priority.c shard.c retry.c   the lanes
 *	       -> lane.c            the shared toolbox, the channels' table
 *	            -> channel_email.c    a channel: mail + smtp
 *
 * The lanes reach a subscriber only through a channel's operations (struct
 * deliver_channel_ops); the email channel alone knows mail and smtp. The
 * priority lane carries one-off mail (confirmations) and so uses the email
 * channel's two extra functions, declared at its entry below.
 */
#ifndef NEWSFLASH_DELIVER_INTERNAL_H
#define NEWSFLASH_DELIVER_INTERNAL_H

#include <pthread.h>

#include "deliver.h"
#include "store/store.h"

#define BATCHES_MAX 8
#define LATENCY_BUCKETS 9
#define DELIVER_GROUP_MAX 16		/* the most a channel's group_max may be */
/* a shard commits what the relay accepted at least this often, as well as at each batch's end */
#define DELIVER_COMMIT_MS 1000

struct engine;
struct msg_ctx;
struct news_article;

/* ---- channels: how an alert reaches one subscription ---- */

enum deliver_result { DELIVER_SENT, DELIVER_TEMP, DELIVER_PERM };

/* one message's outcome, as the channel's peer gave it; pointers live until done returns */
struct deliver_outcome {
	enum deliver_result result;
	int unknown_user;		/* permanent, and the address does not exist: suppress it */
	const char *reply;		/* failures: the answer as recorded ("550 5.1.1 ..."); "" when sent */
	const char *log_reply;		/* failures: the answer with addresses redacted, for log lines */
};

/* the lane's completion: called once per message a channel took, on the engine thread */
typedef void (*deliver_done_fn)(struct msg_ctx *m, const struct deliver_outcome *o);

/* an alert as the channels prepare it, once per alert per engine thread */
struct deliver_alert {
	int64_t id;
	int64_t created_at;		/* every message's date: a resend after a crash is the same message */
	const struct news_article *article;	/* borrowed for the prepare call */
};

/* what send did with each message of a group */
enum deliver_send {
	DELIVER_SUBMITTED,		/* on its way: done will be called */
	DELIVER_UNCOMPOSED,		/* could not be made (an address mail refuses); done is not called */
	DELIVER_REFUSED,		/* made, refused by the channel's client; done is not called */
};

struct deliver_channel;			/* one channel's state on one engine thread */

/*
 * A channel, after OpenSMTPD's queue backends: one table of operations. An
 * engine thread opens every channel once, prepares each alert once, sends
 * groups of up to group_max subscriptions per call (an indirect call per
 * group, not per message), and collects outcomes, which come back through
 * each message's done on the engine thread, inside collect or drain.
 */
struct deliver_channel_ops {
	const char *name;
	size_t group_max;		/* the most subscriptions one send takes */
	int (*open)(struct deliver_channel **out, const struct deliver_config *cfg);
	/* make what every message of the alert shares; NF_OK or why not */
	int (*prepare)(struct deliver_channel *c, const struct deliver_alert *a);
	/* compose and hand over the prepared alert for sub[0..n), m[k] being sub[k]'s */
	void (*send)(struct deliver_channel *c, const struct store_subscriber *sub, struct msg_ctx *m,
		     size_t n, enum deliver_send *rc);
	size_t (*pending)(struct deliver_channel *c);	/* sent, outcome not yet collected */
	/* run done for finished messages: sleep up to timeout_ms until want are finished */
	void (*collect)(struct deliver_channel *c, size_t want, int timeout_ms);
	void (*drain)(struct deliver_channel *c);	/* until nothing is pending */
	void (*close)(struct deliver_channel *c);
	const char *(*describe)(const struct deliver_channel *c);	/* for logs: "smtp", "maildir" */
};

/* the channels this build has; a subscription names one (today every one is email) */
enum { DELIVER_CHANNEL_EMAIL, DELIVER_CHANNELS };

/* deliver_channel_of - the channel that reaches sub (web push: the subscription's kind) */
static inline int
deliver_channel_of(const struct store_subscriber *sub)
{
	(void)sub;
	return DELIVER_CHANNEL_EMAIL;
}

/* channel_email.c: email = mail + smtp */
extern const struct deliver_channel_ops deliver_channel_email;
/*
 * deliver_email_confirm - the signup confirmation for subscriber id at to
 * (salt: their token salt), composed now: *msg (caller frees) and *len
 */
int deliver_email_confirm(struct deliver_channel *c, int64_t subscriber_id, const char *to,
			  const char *salt, char **msg, size_t *len);
/*
 * deliver_email_send_one - a one-off message: MAIL FROM is the subscriber's
 * VERP return path when salt is given, else bounce@DOMAIN. Takes msg.
 * NF_OK: m->done will be called; else it will not.
 */
int deliver_email_send_one(struct deliver_channel *c, struct msg_ctx *m, const char *to,
			   int64_t subscriber_id, const char *salt, char *msg, size_t len);

/* ---- the engine's structures ---- */

/* one message in flight: what its completion must update */
struct msg_ctx {
	deliver_done_fn done;		/* the lane's */
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
	/*
	 * the shard's part of the reached record: what is committed plus the
	 * unsaved ids accepted since the last commit (their number: unsaved)
	 */
	struct idset *reached;
	int64_t unsaved;
	int64_t last_commit_ms;
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

/* a channel open on one engine thread */
struct deliver_chan {
	const struct deliver_channel_ops *ops;
	struct deliver_channel *state;
};

/* one engine thread: its own store connection, channels and prepared alert */
struct engine {
	struct deliver *d;
	int index;
	pthread_t tid;
	struct store *store;
	struct deliver_chan chan[DELIVER_CHANNELS];
	struct shard_run *run;
	int64_t prepared_alert;		/* the alert every channel is prepared for, 0 = none */
	int64_t next_retry_ms;
	int wake_fd;			/* eventfd: deliver_wake and the priority lane */
	size_t inflight_other;		/* retries and priority messages in flight */
	int64_t store_warned_at;	/* deliver_store_warn's last line */
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
	struct deliver_hooks *hooks;	/* webhook.c */
};

/* ---- lane.c: the toolbox the lanes share ---- */

int64_t deliver_now(void);			/* seconds */
int deliver_stopping(struct deliver *d);	/* lock not held */
void deliver_wake_all(struct deliver *d);	/* lock not held */
void deliver_stat_add(struct deliver *d, uint64_t *field, uint64_t n);
/* the wait before attempt attempts + 1: retry_base doubling, at most an hour */
int64_t deliver_backoff(const struct deliver *d, int attempts);
/* a failed store call, logged at most every 10 s per thread while failures last */
void deliver_store_warn(struct engine *e, const char *event);
/* every channel prepared for alert_id (one alert kept per thread) */
int deliver_alert_prepare(struct engine *e, int64_t alert_id);
/* open and close every channel of an engine thread */
int deliver_channels_open(struct engine *e);
void deliver_channels_close(struct engine *e);
/* messages sent on any channel whose outcome is not collected yet */
size_t deliver_pending(struct engine *e);
/* collect outcomes on every channel: sleep up to timeout_ms until want are finished */
void deliver_collect(struct engine *e, size_t want, int timeout_ms);
void deliver_drain(struct engine *e);

/* ---- the lanes ---- */

/* shard.c */
int deliver_shard_claim(struct engine *e);
/* submit, collect and commit what the current shard allows; 1 when it did work */
int deliver_shard_pump(struct engine *e);
int deliver_shard_busy(const struct engine *e);
/* outcomes the shard waits for before it can move (the oldest batch's); at least 1 */
size_t deliver_shard_awaited(const struct engine *e);
void deliver_shard_release(struct engine *e);

/* retry.c: temporary failures that have come due */
int deliver_retry_pump(struct engine *e);

/* priority.c (engine thread 0) */
int deliver_priority_pump(struct engine *e);
/* everything still queued, at deliver_stop */
void deliver_priority_free(struct deliver *d);

/* metrics.c */
void deliver_latency_record(struct deliver *d, double secs);

#endif
