/*
 * deliver/deliver.h - the delivery engine: from a queued alert to every inbox
 *
 * Owns: the fan-out. Engine threads claim alert shards under a lease, stream
 * the shard's confirmed members by id in batches, compose each message on
 * the mail module's fast path, hand it to the transport, and group-commit
 * progress (the cursor, and every failure) once a batch is complete, in
 * order. Temporary failures are retried with backoff until a deadline;
 * permanent ones are recorded and an unknown user is suppressed. Also owns
 * the priority lane: one-off messages (signup confirmations) that go ahead
 * of any alert.
 *
 * Guarantee: a message counts as sent only when the relay answered 250 to
 * its DATA. After a crash a shard resumes from its committed cursor, so only
 * messages accepted after the last commit (at most batch x batches-in-flight
 * per shard) can be sent twice, with the same Message-ID.
 */
#ifndef NEWSFLASH_DELIVER_H
#define NEWSFLASH_DELIVER_H

#include <stddef.h>
#include <stdint.h>

#include "core/core.h"
#include "mail/mail.h"
#include "smtp/smtp.h"
#include "store/store.h"

/* a dead process's shards and owed confirmations are taken over after this many seconds */
#define DELIVER_DEFAULT_LEASE 30

struct deliver_config {
	const char *db_url;
	const char *transport_url;	/* maildir:PATH, smtp://..., smtps://..., direct */
	struct mail_sender sender;	/* From, base URL, templates, secret, DKIM keys */
	const char *bounce_domain;	/* VERP: MAIL FROM bounce+TOKEN@DOMAIN; NULL = From's */
	int threads;			/* engine threads, each with its own connections (1) */
	int connections;		/* SMTP connections per thread (16) */
	int shards;			/* shards per new alert (8) */
	size_t batch;			/* subscribers per group commit (500) */
	int batches_in_flight;		/* batches submitted ahead of the oldest commit (2) */
	int64_t lease_secs;		/* a dead worker's shard is free again after this */
	int64_t retry_deadline;		/* give up on temporary failures after (86400) */
	int64_t retry_base;		/* first retry after this, doubling up to an hour (60) */
	int64_t poll_ms;		/* look for work nobody told us about (1000) */
	const char *owner;		/* lease owner name; NULL = host:pid */
	int priority_max;		/* one-off messages queued at most (10000) */
	long smtp_timeout_ms;		/* 0 = the RFC 5321 defaults */
	int confirm_recover;		/* serve: queue confirmations never sent (deliver_confirm) */
	struct smtp_direct_options direct;	/* transport_url "direct", or routes */
	/* outgoing webhooks (webhook.c) */
	int hook_threads;		/* webhook deliverers; 0 = none (DELIVER_HOOK_THREADS) */
	int64_t hook_retry_base;	/* first retry after, doubling to DELIVER_HOOK_RETRY_MAX */
	int64_t hook_give_up;		/* an endpoint failing this long is disabled (3 days) */
	int hook_allow_private;		/* endpoints may be loopback or private addresses */
};

void deliver_config_defaults(struct deliver_config *cfg);

struct deliver;

/* start the engine threads; NULL (and a log line) when the transport or store cannot open */
struct deliver *deliver_start(const struct deliver_config *cfg);
/* new work exists (an alert was published here): look now */
void deliver_wake(struct deliver *d);
/*
 * deliver_priority - queue a one-off message (a confirmation) ahead of
 * alerts. The engine takes msg (free()d when done). NF_ERR_TEMP when the
 * lane is full: the caller answers 503 and keeps nothing half-done.
 * subscriber_id > 0 records the confirmation as sent when the relay took it.
 */
int deliver_priority(struct deliver *d, const char *to, char *msg, size_t len,
		     int64_t subscriber_id);
/* room for one more priority message right now */
int deliver_priority_room(struct deliver *d);
/*
 * deliver_confirm - queue subscriber id's signup confirmation on the
 * priority lane; the engine composes it when it goes, with the subscriber's
 * own return path (bounce+ID-MAC, as alerts), and records confirm_sent_at
 * once the relay took it. One per subscriber in the lane: NF_OK without a
 * second mail when one is queued or out already. NF_ERR_TEMP when the lane
 * is full or stopping; the row is not forgotten: with confirm_recover the
 * lane queues every recent pending subscriber never sent a confirmation
 * when it starts (after a crash) and once it has room again.
 */
int deliver_confirm(struct deliver *d, int64_t subscriber_id, const char *to, const char *salt);

struct deliver_stats {
	uint64_t sent, temp_failed, perm_failed, suppressed, priority_sent;
	uint64_t shards_done, alerts_done, possible_duplicates;
	uint64_t publish_to_last_ms;		/* last alert finished on this node */
};
void deliver_stats(struct deliver *d, struct deliver_stats *out);
/* the publish-to-last-message histogram in Prometheus text; d may be NULL */
void deliver_latency_histogram(struct deliver *d, struct buf *out);
/* stop taking new shards, finish and commit what is in flight, stop */
void deliver_stop(struct deliver *d);

/* the VERP return path for a subscriber (bounce+TOKEN@DOMAIN) */
void deliver_return_path(const struct token_key *key, const char *domain, int64_t subscriber_id,
			 const char *salt, struct buf *out);

/* ---- outgoing webhooks (webhook_post.c: one request; webhook.c: the deliverers) ---- */

#define DELIVER_HOOK_THREADS 2		/* deliverers per process: a slow endpoint holds one */
#define DELIVER_HOOK_TIMEOUT_MS 5000	/* a whole request, connection included */
#define DELIVER_HOOK_LEASE_MIN 15	/* seconds: an endpoint's lease outlives any one request */
#define DELIVER_HOOK_RETRY_BASE 5	/* seconds before the first retry, doubling */
#define DELIVER_HOOK_RETRY_MAX 3600	/* the longest wait between two attempts */
#define DELIVER_HOOK_GIVE_UP 259200	/* failing for 3 days disables an endpoint */
#define DELIVER_HOOK_KEEP 604800	/* delivered events are kept 7 days, for replay */
#define DELIVER_HOOK_SECRET_MAX 96
#define DELIVER_HOOK_SECRET_BYTES 24	/* random bytes of a secret made here */

/* a new secret: "whsec_" and the base64 of DELIVER_HOOK_SECRET_BYTES random bytes */
void deliver_hook_secret_new(char out[DELIVER_HOOK_SECRET_MAX]);
/* NULL when secret is whsec_ + base64 of 24 to 64 bytes, else what is wrong */
const char *deliver_hook_secret_check(const char *secret);
/* NULL when url can be an endpoint (http:// or https://, a host, no user, no fragment), else why */
const char *deliver_hook_url_check(const char *url);
/*
 * deliver_hook_sign - the webhook-signature value of the Standard Webhooks
 * specification: "v1," + base64(HMAC-SHA256(key, msg_id "." timestamp "." body)),
 * where key is the base64 after "whsec_"; NF_ERR_INVALID for a bad secret
 */
int deliver_hook_sign(const char *secret, const char *msg_id, int64_t timestamp,
		      const char *body, size_t len, struct buf *out);
/* the body of an event: {"type", "timestamp", "data"} */
void deliver_hook_payload(const struct store_hook_event *ev, struct buf *out);

/* what an endpoint answered: the HTTP status (0: none) and, when it failed, why */
struct deliver_hook_result {
	long status;
	char error[256];
};
struct deliver_hook_client;
/* one per thread: libcurl's handle, its connections kept between requests */
struct deliver_hook_client *deliver_hook_client_new(int allow_private, long timeout_ms);
void deliver_hook_client_free(struct deliver_hook_client *c);
/* POST body signed as msg_id to url; NF_OK for a 2xx, NF_ERR_TEMP otherwise (res says why) */
int deliver_hook_post(struct deliver_hook_client *c, const char *url, const char *secret,
		      const char *msg_id, const char *body, size_t len,
		      struct deliver_hook_result *res);
/* a webhook.test event sent at once (not through the outbox) */
int deliver_hook_test(const struct store_hook *h, int allow_private,
		      struct deliver_hook_result *res);

/* what a person gives to make an endpoint (hook_endpoints.c) */
struct deliver_hook_spec {
	const char *url;
	const char *events;		/* "a,b,c" or "*" */
	size_t events_len;
	const char *secret;		/* NULL: one is made */
	int include_email;
};
/*
 * deliver_hook_create - check and store an endpoint; secret gets the one it
 * signs with (given or made). NF_ERR_INVALID with err saying what is wrong
 * (for a 422 or a usage error); another failure is the store's (err too).
 */
int deliver_hook_create(struct store *s, const struct deliver_hook_spec *in, int64_t *id,
			char secret[DELIVER_HOOK_SECRET_MAX], char *err, size_t errlen);

/* the deliverers (webhook.c), started and stopped with the engine */
struct deliver_hooks;
struct deliver_hooks *deliver_hooks_start(const struct deliver_config *cfg);
void deliver_hooks_stop(struct deliver_hooks *h);

#endif
