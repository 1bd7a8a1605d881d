/*
 * smtp/smtp.h - sending mail: the transport interface, the SMTP client pool,
 * its event loop and its reply parser
 *
 * The face other modules use is the transport (at the bottom of this file):
 *
 *	smtp_transport_open(&t, "smtp://user:pass@relay:587", &opt, err, len)
 *	smtp_transport_submit(t, &envelope, bytes, len, SMTP_MSG_BORROW, done, arg)
 *	smtp_transport_wait(t, ms) / smtp_transport_drain(t)
 *	smtp_transport_free(t)
 *
 * chosen by URL: "smtp://", "smtps://" (a pool of pipelined connections to
 * one or more relays) or "maildir:PATH" (one file per message, the embedded
 * default). The delivery engine and the web front use only that interface.
 *
 * Why the client is hand-written: the fan-out engine needs one thread to
 * drive thousands of non-blocking SMTP connections, pipelining commands
 * (RFC 2920) and writing each message with one sendmsg, with an outcome per
 * message and recipient. Debian's mail libraries (libesmtp, libcurl's SMTP,
 * libetpan) are blocking or one-transfer-per-handle and none pipelines a
 * stream of messages over a persistent pool, so none fits.
 *
 * Standards: RFC 5321 (SMTP), RFC 2920 (PIPELINING), RFC 3207 (STARTTLS),
 * RFC 8314 (implicit TLS), RFC 4954 + RFC 4616 (AUTH PLAIN, LOGIN),
 * RFC 1870 (SIZE), RFC 6152 (8BITMIME), RFC 6531 (SMTPUTF8),
 * RFC 3463 (enhanced status codes).
 */
#ifndef NEWSFLASH_SMTP_H
#define NEWSFLASH_SMTP_H

#include <stddef.h>
#include <stdint.h>

#include "core/core.h"	/* enum nf_status: what these functions return */

/* ---- reply.c: SMTP replies (RFC 5321 4.2, RFC 3463) ---- */

#define SMTP_REPLY_MAX 4096		/* a whole reply, all lines; more is an error */
#define SMTP_REPLY_LINE_MAX 1000	/* one line; RFC 5321 4.5.3.1.5 says 512 */
#define SMTP_NEED_MORE 1		/* smtp_reply_parse: no complete reply yet */

struct smtp_reply {
	int code;			/* 220, 250, 354, 421, 550 ... */
	char enhanced[16];		/* "5.1.1" (RFC 3463) or "" when absent */
	int nlines;
	size_t len;
	char text[SMTP_REPLY_MAX + 1];	/* the lines' text after "ddd-", joined by '\n' */
};

/*
 * smtp_reply_parse - take one complete reply off the front of in[0..len).
 * NF_OK: *out holds it and *used the bytes it took; SMTP_NEED_MORE: the
 * reply is not complete yet; NF_ERR_INVALID: not SMTP; NF_ERR_LIMIT: longer
 * than SMTP_REPLY_MAX or a line longer than SMTP_REPLY_LINE_MAX.
 */
int smtp_reply_parse(const char *in, size_t len, struct smtp_reply *out, size_t *used);

/* ---- dns_answer.c: DNS answers for direct delivery (RFC 1035 4.1, RFC 7505) ---- */

#define SMTP_DNS_A 1
#define SMTP_DNS_MX 15
#define SMTP_DNS_AAAA 28
#define SMTP_DNS_NAME_MAX 255		/* RFC 1035 2.3.4, dotted */
#define SMTP_DNS_RR_MAX 32		/* records kept per answer; more are passed over */

struct smtp_dns_rr {
	uint16_t type;			/* SMTP_DNS_A, _AAAA or _MX */
	uint16_t pref;			/* MX preference */
	uint32_t ttl;
	unsigned char addr[16];		/* A: 4 bytes, AAAA: 16 */
	char name[SMTP_DNS_NAME_MAX + 1];	/* MX exchange, no final dot; "" for the root */
};

struct smtp_dns_answer {
	int rcode;			/* 0 NOERROR, 2 SERVFAIL, 3 NXDOMAIN ... */
	int truncated;
	int null_mx;			/* an MX of exchange "." (RFC 7505) */
	size_t nrr;			/* records of the type asked for */
	uint32_t ttl;			/* the smallest of theirs */
	struct smtp_dns_rr rr[SMTP_DNS_RR_MAX];
};

/*
 * smtp_dns_parse - the records of type qtype in the DNS message
 * msg[0..len). NF_OK (an answer with no such record has nrr 0);
 * NF_ERR_INVALID for a message that is not a well-formed response. MX
 * records whose exchange is not a host name are left out.
 */
int smtp_dns_parse(const unsigned char *msg, size_t len, unsigned qtype, struct smtp_dns_answer *out);

/* ---- redact.c: relay text for log lines ---- */

/*
 * smtp_text_redact - text with every address in it (local@domain, quoted
 * local parts and address literals too) replaced by "[address]", into
 * out[0..outlen) (truncated, always terminated). Use it on every relay
 * reply that goes into a log line: relays quote the recipient.
 */
void smtp_text_redact(const char *text, char *out, size_t outlen);

/* ---- loop.c: a small epoll event loop (after Redis ae.c) ---- */

#define SMTP_EV_READ 1
#define SMTP_EV_WRITE 2

struct smtp_loop;
typedef void (*smtp_io_fn)(struct smtp_loop *loop, int fd, void *arg, int events);
/* a timer returns the milliseconds until it fires again, or -1 to stop */
typedef long (*smtp_timer_fn)(struct smtp_loop *loop, void *arg);
/* runs after each round of events and timers */
typedef void (*smtp_hook_fn)(struct smtp_loop *loop, void *arg);

struct smtp_loop *smtp_loop_new(void);
void smtp_loop_free(struct smtp_loop *loop);
/* watch fd for events (SMTP_EV_READ | SMTP_EV_WRITE); add again to change them */
int smtp_loop_watch(struct smtp_loop *loop, int fd, int events, smtp_io_fn fn, void *arg);
void smtp_loop_unwatch(struct smtp_loop *loop, int fd);
long smtp_loop_timer(struct smtp_loop *loop, long ms, smtp_timer_fn fn, void *arg);
void smtp_loop_timer_cancel(struct smtp_loop *loop, long id);
int smtp_loop_hook(struct smtp_loop *loop, smtp_hook_fn fn, void *arg);
void smtp_loop_unhook(struct smtp_loop *loop, smtp_hook_fn fn, void *arg);
/* wait up to timeout_ms (-1 forever) for events, run them, timers, hooks */
int smtp_loop_run_once(struct smtp_loop *loop, int timeout_ms);
/* the epoll descriptor, readable when the loop has work: embed it in another loop */
int smtp_loop_fd(const struct smtp_loop *loop);
int64_t smtp_loop_now(const struct smtp_loop *loop);	/* monotonic ms, this round */

/* ---- url.c: relay URLs ---- */

/* SMTP_TLS_MAY: STARTTLS when offered, unverified, clear otherwise (RFC 7435; MX hosts) */
enum smtp_tls { SMTP_TLS_NONE, SMTP_TLS_STARTTLS, SMTP_TLS_IMPLICIT, SMTP_TLS_MAY };

struct smtp_relay_url {
	char *host;			/* without brackets for IPv6 literals */
	char *port;			/* "25", "587", "465" ... */
	char *user, *pass;		/* percent-decoded; NULL without credentials */
	enum smtp_tls tls;
	int verify;			/* check the relay's certificate (default 1) */
	char *ca_file;			/* NULL: the system's CA store */
	int weight;			/* share of connections; 0 = backup only */
};

/*
 * smtp_url_parse - "smtp://[user[:pass]@]host[:port][?tls=none|may|starttls|tls
 * &ca=FILE&verify=0&weight=N]" or "smtps://..." (implicit TLS, port 465).
 * smtp:// defaults to tls=starttls on port 25: credentials never travel in
 * clear unless tls=none says so. Several relays are separated by commas or
 * spaces (a comma inside a password is written %2C). On error *out is
 * untouched and err says why.
 */
int smtp_url_parse(const char *url, struct smtp_relay_url **out, size_t *count,
		   char *err, size_t errlen);
void smtp_url_free(struct smtp_relay_url *relays, size_t count);

/* ---- messages, envelopes, outcomes ---- */

struct smtp_envelope {
	const char *from;		/* reverse-path without <>, "" for the null sender */
	const char *const *to;		/* forward-paths without <> */
	size_t nto;
};

enum smtp_outcome {
	SMTP_ACCEPTED,			/* 250 to the end of DATA */
	SMTP_TEMPORARY,			/* 4xx, lost connection, timeout: try later */
	SMTP_PERMANENT,			/* 5xx: do not try again */
};

struct smtp_rcpt_result {
	const char *addr;
	enum smtp_outcome outcome;
	int code;			/* the relay's reply code, 0 when it gave none */
	const char *enhanced;		/* "5.1.1" or "" */
	const char *text;		/* the relay's text, or what happened locally */
};

/*
 * One message's outcome: accepted when every recipient was; otherwise the
 * first recipient's failure speaks for the message (temporary wins over
 * permanent when both occur, so a retry is never given up on). Pointers
 * live until the callback returns.
 */
struct smtp_result {
	enum smtp_outcome outcome;
	int code;
	const char *enhanced;
	const char *text;
	int attempts;			/* connections the message was tried on */
	size_t nrcpt;
	const struct smtp_rcpt_result *rcpt;
};

typedef void (*smtp_done_fn)(void *arg, const struct smtp_result *result);

/* who owns the message bytes given to submit */
enum smtp_msg_own {
	SMTP_MSG_BORROW,		/* the caller keeps them alive until done is called */
	SMTP_MSG_COPY,			/* the transport copies them now */
	SMTP_MSG_TAKE,			/* the transport free()s them after done */
};

/* direct delivery (direct.c): borrowed strings, alive while the transport is */
struct smtp_direct_options {
	const char *dns_server;		/* "IPv4:PORT" asked instead of /etc/resolv.conf's */
	int port;			/* the MX hosts' port (0: 25) */
	const char *const *routes;	/* "DOMAIN[,DOMAIN...]=direct|smtp://...": by domain */
	size_t nroutes;
	const char *const *shapes;	/* "default|HOST-SUFFIX connections=N per-connection=N per-minute=N" */
	size_t nshapes;
};

/* RFC 5321 4.5.3.2 client timeouts, in milliseconds */
struct smtp_timeouts {
	long connect;			/* TCP connect + TLS handshake (not in the RFC): 30 s */
	long greeting;			/* initial 220: 5 min */
	long command;			/* EHLO, HELO, STARTTLS, AUTH, RSET, QUIT: 5 min */
	long mail;			/* MAIL: 5 min */
	long rcpt;			/* RCPT: 5 min */
	long data_init;			/* DATA's 354: 2 min */
	long data_block;		/* each write of the message: 3 min */
	long data_end;			/* the reply to the final dot: 10 min */
	long idle;			/* a pooled connection with nothing to send: 30 s */
};

struct smtp_options {
	int connections;		/* connections per pool (8) */
	int max_per_conn;		/* messages per connection, then QUIT (0 = no limit) */
	int queue_max;			/* messages submitted and not yet done (10000) */
	int retries;			/* new connections a message may be retried on
					   after a 421, a lost connection or a timeout (2) */
	const char *helo_name;		/* EHLO argument (NULL: this host's name, or
					   our address as [1.2.3.4] if it has no dot) */
	const char *ca_file;		/* default CA file for relays that name none */
	int threaded;			/* run the pool on its own thread (see below) */
	struct smtp_timeouts timeouts;
	struct smtp_direct_options direct;
};

/* direct delivery's limits per destination when no --shape says otherwise: safe for a new sender */
#define SMTP_DIRECT_CONNECTIONS 5
#define SMTP_DIRECT_PER_CONN 100
#define SMTP_DIRECT_PER_MINUTE 600

/* smtp_options_init - the defaults above */
void smtp_options_init(struct smtp_options *opt);
/* smtp_timeouts_all - every timeout set to ms (tests, impatient operators) */
void smtp_timeouts_all(struct smtp_timeouts *t, long ms);

/* ---- pool.c: connections to relays, driven by a caller's smtp_loop ---- */

struct smtp_pool;

struct smtp_stats {
	uint64_t submitted, accepted, temporary, permanent;
	uint64_t connections, retried;
};

/*
 * smtp_pool_new - a pool on loop (which outlives it) sending to the relays
 * in url (smtp_url_parse). Connections open when there is mail to send.
 */
int smtp_pool_new(struct smtp_pool **out, struct smtp_loop *loop, const char *url,
		  const struct smtp_options *opt, char *err, size_t errlen);
/*
 * smtp_pool_submit - queue one message. NF_OK: done will be called exactly
 * once, from the loop, never from inside this call. NF_ERR_TEMP: the queue
 * is full (queue_max), nothing was taken: run the loop and try again.
 * NF_ERR_INVALID: an address could smuggle commands or is too long, or there
 * are no recipients; done is not called.
 */
int smtp_pool_submit(struct smtp_pool *pool, const struct smtp_envelope *env,
		     const char *msg, size_t len, enum smtp_msg_own own,
		     smtp_done_fn done, void *arg);
size_t smtp_pool_pending(const struct smtp_pool *pool);	/* submitted, not yet done */
void smtp_pool_stats(const struct smtp_pool *pool, struct smtp_stats *out);
/*
 * smtp_pool_free - QUIT idle connections, close the rest; messages not yet
 * done complete as temporary ("transport closed") before it returns.
 */
void smtp_pool_free(struct smtp_pool *pool);

/* ---- transport.c: the one interface to send mail through ---- */

#define SMTP_DEFAULT_TRANSPORT "maildir:var/outbox"	/* where mail goes when nobody says */

struct smtp_transport;

/*
 * smtp_transport_open - by URL: "smtp://...", "smtps://..." (smtp_url_parse),
 * "direct" (each domain's MX hosts, smtp/direct.c; with opt->routes some
 * domains may go elsewhere, and a relay URL with routes sends the other
 * domains through it) or "maildir:PATH" (created with cur/ new/ tmp/ when missing). opt may be
 * NULL for the defaults. With opt->threaded the SMTP pool runs on a thread
 * of its own: submit, wait and drain may then be called from one other
 * thread; done callbacks still run in that thread, inside wait and drain.
 */
int smtp_transport_open(struct smtp_transport **out, const char *url,
			const struct smtp_options *opt, char *err, size_t errlen);
/*
 * smtp_transport_submit - as smtp_pool_submit. The Maildir transport
 * writes the file before returning and calls done from inside the call.
 */
int smtp_transport_submit(struct smtp_transport *t, const struct smtp_envelope *env,
			  const char *msg, size_t len, enum smtp_msg_own own,
			  smtp_done_fn done, void *arg);
/*
 * smtp_transport_wait - run until a message is done or timeout_ms passes
 * (-1: no limit); returns how many were done since the last wait returned
 * (0 at once when none is pending).
 */
int smtp_transport_wait(struct smtp_transport *t, int timeout_ms);
/*
 * smtp_transport_wait_for - as smtp_transport_wait, but a threaded
 * transport sleeps until want messages are done (or all in flight are):
 * a producer waiting for a whole batch is woken once, not once a reply
 */
int smtp_transport_wait_for(struct smtp_transport *t, size_t want, int timeout_ms);
/* run until every submitted message is done; Maildir: fsync the new/ folder */
int smtp_transport_drain(struct smtp_transport *t);
size_t smtp_transport_pending(struct smtp_transport *t);
void smtp_transport_stats(struct smtp_transport *t, struct smtp_stats *out);
const char *smtp_transport_name(const struct smtp_transport *t);	/* "smtp", "maildir" */
void smtp_transport_free(struct smtp_transport *t);

/*
 * A kind of transport: the table of operations transport.c calls each
 * kind through (the relay pool and Maildir fill one each). impl is the
 * kind's own state; the meaning of every operation is that of the
 * smtp_transport_* function of the same name.
 */
struct smtp_transport_ops {
	const char *name;
	int (*submit)(void *impl, const struct smtp_envelope *env, const char *msg, size_t len,
		      enum smtp_msg_own own, smtp_done_fn done, void *arg);
	int (*wait)(void *impl, size_t want, int timeout_ms);
	int (*drain)(void *impl);
	size_t (*pending)(void *impl);
	void (*stats)(void *impl, struct smtp_stats *out);
	void (*free)(void *impl);
};
/* open a transport of a registered kind: url is the whole URL */
typedef int (*smtp_transport_open_fn)(void **impl, const char *url, const struct smtp_options *opt,
				      char *err, size_t errlen);
#define SMTP_TRANSPORT_KINDS_MAX 4
/*
 * smtp_transport_register - URLs starting with prefix ("test:") open
 * through open and run through ops, beside the built-in kinds (a test's
 * scripted relay). Call it before any open. NF_ERR_LIMIT past
 * SMTP_TRANSPORT_KINDS_MAX kinds; registering a prefix again replaces it.
 */
int smtp_transport_register(const char *prefix, smtp_transport_open_fn open,
			    const struct smtp_transport_ops *ops);

/* ---- text for people ---- */
const char *smtp_outcome_name(enum smtp_outcome o);	/* "accepted" ... */

#endif
