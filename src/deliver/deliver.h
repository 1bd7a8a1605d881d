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

#endif
