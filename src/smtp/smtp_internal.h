/*
 * smtp/smtp_internal.h - what the files of the smtp module share, and nobody else
 *
 * Owns: the message-in-flight (struct smtp_job), the connection (struct
 * smtp_conn), the relay state and the pool, and the calls between
 * message.c, session.c, io.c, tls.c and pool.c. Other modules include
 * smtp.h only; the unit tests of this module may include this file.
 */
#ifndef NEWSFLASH_SMTP_INTERNAL_H
#define NEWSFLASH_SMTP_INTERNAL_H

#include <netdb.h>
#include <openssl/ssl.h>

#include "core/core.h"
#include "smtp.h"

#define SMTP_ADDR_MAX 254		/* RFC 5321 4.5.3.1.3: a path is 256 with <> */
#define SMTP_RCPT_MAX 1000		/* recipients per message */
#define SMTP_TEXT_MAX 512		/* relay text kept per outcome */

/* ---- message.c: a message on its way, and its wire form ---- */

enum rcpt_state {
	RCPT_PENDING,			/* no final answer yet (sent again on a retry) */
	RCPT_OK,			/* RCPT accepted in this attempt; waits for DATA */
	RCPT_DONE,			/* final: outcome below */
};

struct job_rcpt {
	const char *addr;
	size_t len;
	unsigned char state;
	unsigned char outcome;		/* enum smtp_outcome */
	int code;
	char enhanced[16];
	size_t text_off, text_len;	/* in job->texts */
};

struct smtp_job {
	struct smtp_job *next;		/* pool queue, or the done list */
	struct smtp_job *conn_next;	/* the connection's jobs in flight */
	const char *from;
	size_t from_len;
	struct job_rcpt *rcpt;
	size_t nrcpt;
	const char *msg;		/* as given */
	size_t len;
	char *owned;			/* msg, when SMTP_MSG_COPY or SMTP_MSG_TAKE */
	const char *wire;		/* CRLF lines, dots doubled: msg or stuffed */
	size_t wire_len;
	char *stuffed;
	const char *term;		/* ".\r\n", or "\r\n.\r\n" after a last line without CRLF */
	size_t term_len;
	unsigned eightbit : 1;		/* BODY=8BITMIME */
	unsigned utf8 : 1;		/* SMTPUTF8: an address or a header is UTF-8 */
	/* state of the current attempt */
	unsigned failed : 1;		/* MAIL refused, or DATA: the transaction is over */
	unsigned dummy : 1;		/* 354 with no recipient left: "." alone was sent */
	unsigned replied : 1;		/* the relay answered something for it */
	int rcpt_ok;
	int attempts;
	int64_t queued_at;		/* direct.c: when it began to wait for its destination */
	/* why the last connection failed it (kept for when retries run out) */
	int lost_code;
	char lost_enhanced[16];
	size_t lost_off, lost_len;
	struct buf texts;		/* relay texts the outcomes point into */
	smtp_done_fn done;
	void *arg;
};

/*
 * smtp_job_new - validate the envelope and prepare the wire form. NULL with
 * *rc = NF_ERR_INVALID when an address is empty, too long, or holds a byte
 * that could end a command (CR, LF, NUL, <, >, controls).
 */
struct smtp_job *smtp_job_new(const struct smtp_envelope *env, const char *msg, size_t len,
			      enum smtp_msg_own own, smtp_done_fn done, void *arg, int *rc);
void smtp_job_free(struct smtp_job *job);
/* smtp_stuff - the wire form: bare LF made CRLF, leading dots doubled */
void smtp_stuff(struct smtp_job *job);
/* smtp_has_8bit - any byte >= 0x80 in p[0..n) */
int smtp_has_8bit(const char *p, size_t n);
/* record a final outcome for rcpt i (text copied) */
void smtp_job_rcpt_done(struct smtp_job *job, size_t i, enum smtp_outcome o, int code,
			const char *enhanced, const char *text, size_t text_len);
/* remember why the attempt failed, for the outcome when retries run out */
void smtp_job_lost(struct smtp_job *job, int code, const char *enhanced,
		   const char *text, size_t text_len);
/* every recipient without a final answer gets this one */
void smtp_job_fail_open(struct smtp_job *job, enum smtp_outcome o, int code,
			const char *enhanced, const char *text, size_t text_len);
/* call done with the outcome of every recipient; returns the message's */
enum smtp_outcome smtp_job_report(struct smtp_job *job);
enum smtp_outcome smtp_outcome_of(int code);
enum smtp_outcome smtp_failure_of(int code);

/* ---- the pool's relays and connections ---- */

struct pool_relay {
	struct smtp_relay_url url;
	struct addrinfo *addrs;		/* resolved on first use */
	struct addrinfo *next_addr;	/* rotates over the addresses */
	SSL_CTX *tls;			/* when url.tls != NONE */
	int tls_broken;			/* tls=may: a handshake failed here, go on in clear */
	int nconn;			/* connections open to it */
	int fails;			/* setup failures in a row */
	int downs;			/* times marked down in a row (backoff) */
	int64_t down_until;
	int last_code;
	char last_enhanced[16];
	char last_text[SMTP_TEXT_MAX];
};

enum conn_phase {
	CONN_CONNECTING,
	CONN_HANDSHAKE,			/* TLS */
	CONN_GREETING,
	CONN_EHLO,
	CONN_HELO,
	CONN_STARTTLS,
	CONN_AUTH,			/* AUTH PLAIN sent, or AUTH LOGIN's last step */
	CONN_AUTH_USER,			/* AUTH LOGIN: waiting to send the user name */
	CONN_AUTH_PASS,			/* AUTH LOGIN: waiting to send the password */
	CONN_READY,
	CONN_QUIT,
	CONN_DEAD,
};

enum expect_kind { EXP_RSET, EXP_MAIL, EXP_RCPT, EXP_DATA, EXP_DOT, EXP_QUIT };

struct expect {
	unsigned char kind;
	unsigned rcpt;
	struct smtp_job *job;
};

/* EHLO keywords that matter (RFC 5321 4.1.1.1) */
#define EXT_PIPELINING 0x01
#define EXT_SIZE 0x02
#define EXT_8BITMIME 0x04
#define EXT_SMTPUTF8 0x08
#define EXT_STARTTLS 0x10
#define EXT_AUTH_PLAIN 0x20
#define EXT_AUTH_LOGIN 0x40

struct smtp_conn {
	struct smtp_pool *pool;
	struct pool_relay *relay;
	struct smtp_conn *next, *prev;	/* every connection of the pool */
	struct smtp_conn *idle_next, *idle_prev;	/* ready for a message */
	int on_idle;
	int active;			/* counted in pool->nconn: not quitting, not dead */
	int in_setup;			/* counted in pool->nsetup */
	int authed;
	int fd;
	int watching;			/* events the loop watches */
	SSL *ssl;
	int tls_on;			/* handshake done */
	enum conn_phase phase;
	unsigned ext;
	unsigned long size_max;		/* SIZE n, 0 = none announced */
	struct buf in;			/* replies not yet parsed (ceiling) */
	struct buf out;			/* commands not yet written */
	size_t out_off;
	struct smtp_job *body;		/* message being written after its 354 */
	size_t body_off;		/* over wire + term */
	struct smtp_job *jobs;		/* every job in flight here */
	struct smtp_job *cur;		/* job whose commands are not all sent yet */
	size_t cur_rcpt;		/* next recipient to send (no pipelining) */
	int cur_step;
	int data_pending;		/* DATA awaits 354: nothing may follow */
	int need_rset;
	int nmsgs;			/* transactions begun here */
	int ended;			/* transactions ended here (any outcome) */
	struct expect *exp;		/* replies awaited, in order */
	size_t exp_head, exp_len, exp_cap;
	int64_t deadline;
};

struct smtp_pool {
	struct smtp_loop *loop;
	struct smtp_options opt;
	char helo[256];
	struct pool_relay *relays;
	size_t nrelays;
	struct smtp_conn *conns;
	int nconn;			/* open, not quitting */
	int nsetup;			/* of those, still before READY */
	struct smtp_conn *idle;
	struct smtp_job *qhead, *qtail;	/* waiting for a connection */
	size_t nqueued;
	struct smtp_job *done_head, *done_tail;
	size_t pending;			/* submitted, done not yet called */
	size_t completed;		/* done callbacks run, ever */
	int ndead;			/* closed this round, freed after it */
	long timer;
	long sweep_ms;
	struct smtp_stats stats;
	int closing;
	void (*after_round)(void *arg);	/* the threaded transport's signal */
	void *after_arg;
	/* the threaded transport: finished jobs are handed to it, unreported */
	void (*hand_done)(void *arg, struct smtp_job *job);
	/* direct delivery: the parent routes to child pools, one per destination */
	struct smtp_direct *direct;	/* the parent's router */
	struct smtp_pool *parent;	/* a child's: it has no hook or timer of its own */
};

/* pool.c: run a finished job's done callback, count its outcome, free it */
void smtp_pool_report(struct smtp_stats *stats, struct smtp_job *job);

/* pool.c, for direct.c: a destination's pool, driven by its parent's round and sweep */
int smtp_pool_new_child(struct smtp_pool **out, struct smtp_pool *parent, const char *url,
			int connections, int per_conn, char *err, size_t errlen);
void smtp_pool_child_round(struct smtp_pool *child);
void smtp_pool_child_sweep(struct smtp_pool *child, int64_t now);
/* every message waiting for a connection: temporary, with this reply */
void smtp_pool_defer_queue(struct smtp_pool *p, int code, const char *enhanced, const char *text);

/* direct.c: routing by domain, DNS, shaping and back-off per destination */
struct smtp_direct;
struct smtp_direct_stats {
	uint64_t sent, deferred, bounced, throttles;
	uint64_t connections, per_minute;	/* the limits now */
};
int smtp_direct_wanted(const char *url, const struct smtp_options *opt);
int smtp_direct_new(struct smtp_direct **out, struct smtp_pool *parent, const char *url,
		    char *err, size_t errlen);
void smtp_direct_route(struct smtp_direct *d, struct smtp_job *job);
void smtp_direct_round(struct smtp_direct *d);
void smtp_direct_sweep(struct smtp_direct *d, int64_t now);
void smtp_direct_free(struct smtp_direct *d);
/* a child's connection failed or was dropped with this reply: a slow-down? */
void smtp_direct_signal(struct smtp_pool *child, int code, const char *enhanced, const char *text);
int smtp_direct_is_throttle(int code, const char *enhanced, const char *text);
void smtp_direct_stats_each(const struct smtp_direct *d,
			    void (*fn)(void *arg, const char *label, const struct smtp_direct_stats *st),
			    void *arg);

/* url.c */
void smtp_url_clear(struct smtp_relay_url *r);

/* pool.c, for session.c and transport_smtp.c */
void smtp_pool_enqueue(struct smtp_pool *pool, struct smtp_job *job);
struct smtp_job *smtp_pool_take(struct smtp_pool *pool, struct smtp_conn *c);
void smtp_pool_requeue(struct smtp_pool *pool, struct smtp_job *job);
void smtp_pool_finish(struct smtp_pool *pool, struct smtp_job *job);
void smtp_pool_set_idle(struct smtp_pool *pool, struct smtp_conn *c);
void smtp_pool_conn_ready(struct smtp_pool *pool, struct smtp_conn *c);
void smtp_pool_conn_failed(struct smtp_pool *pool, struct smtp_conn *c, int code,
			   const char *enhanced, const char *text);
void smtp_pool_conn_closed(struct smtp_pool *pool, struct smtp_conn *c);

/* session.c: the state machine of one connection */
struct smtp_conn *smtp_conn_new(struct smtp_pool *pool, struct pool_relay *relay);
void smtp_conn_connect(struct smtp_conn *c);	/* may end in smtp_conn_abort */
void smtp_conn_pump(struct smtp_conn *c);	/* send what can be sent now */
void smtp_conn_check_deadline(struct smtp_conn *c, int64_t now);
void smtp_conn_quit(struct smtp_conn *c);
/* smtp_conn_abort - close now; jobs in flight go back to the pool */
void smtp_conn_abort(struct smtp_conn *c, int code, const char *enhanced, const char *text);
void smtp_conn_free(struct smtp_conn *c);
void smtp_conn_event(struct smtp_loop *loop, int fd, void *arg, int events);

/* io.c: bytes in and out of one connection, plain or TLS */
int smtp_io_connect(struct smtp_conn *c, char *err, size_t errlen);
int smtp_io_connected(struct smtp_conn *c, char *err, size_t errlen);
/* read what is there into c->in: >0 bytes, 0 nothing now, -1 closed or error */
long smtp_io_read(struct smtp_conn *c, int *more, char *err, size_t errlen);
/* write what is pending: NF_OK (maybe not all: EV_WRITE armed), NF_ERR_IO */
int smtp_io_flush(struct smtp_conn *c, char *err, size_t errlen);
int smtp_io_pending(const struct smtp_conn *c);
void smtp_io_watch(struct smtp_conn *c, int events);

/* tls.c */
SSL_CTX *smtp_tls_ctx(const char *ca_file, int verify, char *err, size_t errlen);
/* start or continue the handshake: NF_OK done, SMTP_NEED_MORE, NF_ERR_IO (err says why) */
int smtp_tls_start(struct smtp_conn *c, char *err, size_t errlen);
int smtp_tls_handshake(struct smtp_conn *c, char *err, size_t errlen);

/* ---- transports: one table of operations per kind (smtp.h's struct smtp_transport_ops) ---- */

extern const struct smtp_transport_ops smtp_relay_ops;	/* transport_smtp.c */
extern const struct smtp_transport_ops smtp_maildir_ops;	/* maildir.c */
extern const struct smtp_transport_ops smtp_direct_ops;	/* transport_smtp.c */
int smtp_relay_open(void **impl, const char *url, const struct smtp_options *opt,
		    char *err, size_t errlen);
int smtp_maildir_open(void **impl, const char *path, char *err, size_t errlen);

#endif
