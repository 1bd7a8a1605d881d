/*
 * inbound/inbound.h - mail that comes back: bounces, complaints, mailto unsubscribes
 *
 * Owns: reading inbound messages (GMime 3, Debian libgmime-3.0-dev: no MIME
 * is parsed by hand here) and deciding what they say:
 *   - RFC 3464 delivery status notifications (multipart/report;
 *     report-type=delivery-status): per recipient Final-Recipient, Action,
 *     Status (RFC 3463 codes);
 *   - RFC 5965 ARF complaints (multipart/report; report-type=feedback-report);
 *   - mail to unsubscribe+ID-MAC@DOMAIN, the List-Unsubscribe mailto
 *     (RFC 2369 3.2) the mail module writes;
 * then acting on the store: a hard bounce (5.x.x) suppresses the address
 * and marks the subscriber bounced, soft bounces (4.x.x, given up) are
 * counted and suppress after a limit in a row, a complaint suppresses and
 * unsubscribes (and withdraws marketing), a mailto unsubscribes.
 *
 * Who a message is about is never taken from what it claims in clear (a
 * Final-Recipient can name anybody): only from a short token the service
 * signed (core.h token_short_*): the VERP return path bounce+ID-MAC
 * (deliver_return_path), the mailto unsubscribe+ID-MAC, or a link token in
 * the List-Unsubscribe of the returned message. Reports whose token does not
 * verify are logged and skipped.
 *
 * Each message acts once: its Message-ID (or, without one, a digest of its
 * bytes) is recorded in the store in the same transaction as its effect.
 * Malformed mail is logged and skipped; nothing here exits or aborts on
 * outside input. Logs never carry an address.
 */
#ifndef NEWSFLASH_INBOUND_H
#define NEWSFLASH_INBOUND_H

#include <stddef.h>
#include <stdint.h>

#include "core/core.h"

struct store;

#define INBOUND_MESSAGE_MAX (10u << 20)	/* larger inbound mail is refused */
#define INBOUND_RCPTS_MAX 16		/* recipient groups read from one DSN */
#define INBOUND_IDENTS_MAX 8		/* signed tokens kept from one message */
#define INBOUND_SOFT_LIMIT 3		/* default soft bounces in a row */

enum inbound_kind {
	INBOUND_OTHER,			/* none of the below: an auto-reply, spam ... */
	INBOUND_DSN,			/* RFC 3464 */
	INBOUND_ARF,			/* RFC 5965 */
	INBOUND_UNSUBSCRIBE,		/* mail to unsubscribe+ID-MAC@ */
	INBOUND_MALFORMED		/* not a message, or a report without its parts */
};
const char *inbound_kind_name(enum inbound_kind k);

/* what a DSN says, in rising order of strength */
enum inbound_verdict {
	INBOUND_NONE,			/* no usable recipient group */
	INBOUND_DELIVERED,		/* delivered, relayed, expanded (2.x.x) */
	INBOUND_DELAYED,		/* still trying: a warning, not a bounce */
	INBOUND_SOFT,			/* failed with 4.x.x: gave up after temporary errors */
	INBOUND_HARD			/* failed with 5.x.x */
};
const char *inbound_verdict_name(enum inbound_verdict v);

struct inbound_rcpt {
	char address[256];		/* Final-Recipient's address, as given (may be "") */
	char action[16];		/* lower case */
	char status[16];		/* "5.1.1" */
	enum inbound_verdict verdict;
};

/* a signed token found in the message: who it may be about, until verified */
enum inbound_ident_kind {
	INBOUND_ID_BOUNCE,		/* bounce+ID-MAC local part (VERP) */
	INBOUND_ID_MAILTO,		/* unsubscribe+ID-MAC local part */
	INBOUND_ID_LINK			/* BASE/u/TOKEN in a List-Unsubscribe */
};

struct inbound_ident {
	enum inbound_ident_kind kind;
	int envelope;			/* found in the message's own recipient fields */
	uint64_t id;
	char token[TOKEN_MAX];		/* ID-MAC or the link token */
};

struct inbound_report {
	enum inbound_kind kind;
	enum inbound_verdict verdict;	/* DSN: the strongest of its recipients */
	char message_id[256];		/* without <>, "" when absent */
	unsigned char digest[32];	/* SHA-256 of the bytes */
	char feedback_type[32];		/* ARF: abuse, fraud, not-spam ... lower case */
	struct inbound_rcpt rcpts[INBOUND_RCPTS_MAX];
	size_t nrcpts;
	struct inbound_ident idents[INBOUND_IDENTS_MAX];
	size_t nidents;
	char why[96];			/* MALFORMED: what was wrong */
};

/*
 * inbound_classify - read msg[0..len) (a whole RFC 5322 message) into out.
 * Never fails on bad input: a message that is not one is MALFORMED.
 */
void inbound_classify(const char *msg, size_t len, struct inbound_report *out);

/*
 * inbound_local_part - a local part of the form bounce+ID-MAC or
 * unsubscribe+ID-MAC (prefix case-insensitive) into an identity; NF_ERR_INVALID
 * for anything else. The MAC is not checked here.
 */
int inbound_local_part(const char *local, size_t len, struct inbound_ident *out);
/*
 * inbound_ident_verify - the token was made by this server for this
 * subscriber's current salt: VERP with purpose "bounce" (as
 * deliver_return_path makes it), mailto with "unsubscribe" (mail/alert.c),
 * links with core's token_verify, purpose "unsubscribe".
 */
int inbound_ident_verify(const struct token_key *key, const struct inbound_ident *id,
			 const char *salt);

/* ---- acting on the store ---- */

struct inbound_config {
	const struct token_key *key;	/* the server secret tokens are made with */
	int soft_limit;			/* soft bounces in a row before suppression */
};
void inbound_config_defaults(struct inbound_config *cfg);

enum inbound_outcome {
	INBOUND_DUPLICATE,		/* processed before: nothing done */
	INBOUND_IGNORED,		/* nothing to do (OTHER, a delay warning, not-spam) */
	INBOUND_UNVERIFIED,		/* about nobody we can prove: skipped */
	INBOUND_SKIPPED,		/* MALFORMED: logged and skipped */
	INBOUND_SUPPRESSED,		/* hard bounce, or the soft limit reached */
	INBOUND_COUNTED,		/* a soft bounce below the limit */
	INBOUND_RESET,			/* a success DSN: the soft count starts again */
	INBOUND_UNSUBSCRIBED		/* a complaint or a mailto */
};
const char *inbound_outcome_name(enum inbound_outcome o);

struct inbound_result {
	enum inbound_kind kind;
	enum inbound_outcome outcome;
	int64_t subscriber_id;		/* 0 when none was verified */
	int soft_count;			/* after a soft bounce */
};

/*
 * inbound_process - classify one message and apply it, once: NF_OK with
 * res filled whatever the message was (malformed ones included); an error
 * only when the store failed (NF_ERR_TEMP: busy), and then nothing was
 * recorded, so the message can be offered again. source names the door
 * ("maildir", "api") for the ledger and the log.
 */
int inbound_process(struct store *s, const struct inbound_config *cfg, const char *source,
		    const char *msg, size_t len, struct inbound_result *res);

/* ---- a Maildir of returned mail ---- */

struct inbound_counts {
	long processed, duplicates, skipped, failed;
	long by_outcome[INBOUND_UNSUBSCRIBED + 1];
};

/*
 * inbound_maildir_process - every message in DIR/new, oldest name first:
 * processed and moved to DIR/cur (flag S, as a mail client marks it seen).
 * A message the store could not take stays in new/ for the next run
 * (counted as failed); one too large or unreadable is skipped and moved.
 * NF_OK when nothing failed.
 */
int inbound_maildir_process(struct store *s, const struct inbound_config *cfg, const char *dir,
			    struct inbound_counts *counts);

#endif
