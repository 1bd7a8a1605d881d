/*
 * privacy/privacy.h - a person's rights over their data, as rules the web and the CLI share
 *
 * Owns: what the service holds on one person and gives them (the subject
 * access export, GDPR Art. 15 and the portability of Art. 20: one JSON
 * document with every row of every table that is about the person - the
 * subscriber row, list memberships, the whole consent ledger, failed
 * deliveries with the relays' replies, and the suppression entry), what an
 * erasure (Art. 17) leaves behind, and how long an unconfirmed signup is
 * kept (Art. 5(1)(e)). The preference centre (web/public) and `newsflash
 * subscribers show|erase|purge` (cli) both call these, so the two can never
 * disagree; they keep only their own input and output. The rows are
 * written and scrubbed by the store (store_subscriber_erase_as,
 * store_subscribers_purge in store/subscribers.c and store/privacy.c).
 */
#ifndef NEWSFLASH_PRIVACY_H
#define NEWSFLASH_PRIVACY_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct store;

/* signups nobody confirmed are forgotten after this many days (the privacy page says seven) */
#define PRIVACY_PURGE_DAYS 7

/* ---- export.c ---- */
/*
 * privacy_export - the document for subscriber id (new reference in *out).
 * NF_ERR_NOTFOUND when there is no such subscriber; an erased one exports
 * what is left (no address: the ledger rows and that the erasure happened).
 */
int privacy_export(struct store *s, int64_t id, json_t **out);
/* the same document as the text both doors give out (indented, keys in order); free() it */
int privacy_export_text(struct store *s, int64_t id, char **out);

/* ---- erase.c ---- */
/* who asked for an erasure: the consent ledger and the log say which */
enum privacy_requester {
	PRIVACY_BY_SUBJECT,	/* the person, from the preference centre */
	PRIVACY_BY_OPERATOR	/* newsflash subscribers erase */
};
/*
 * privacy_erase - right to erasure: the address and everything that
 * identifies the person go and every link of theirs dies (new salt). With
 * suppress a keyed hash stays on the suppression list so the address is
 * never mailed again; without, only a bounce or complaint already there
 * stays, and they may sign up again. The ledger records that an erasure
 * happened, without the address.
 */
int privacy_erase(struct store *s, int64_t id, enum privacy_requester by, int suppress);
/*
 * privacy_purge - forget at most max signups left unconfirmed for longer
 * than older_than seconds (no suppression: they never asked not to be
 * mailed); *n gets how many
 */
int privacy_purge(struct store *s, int64_t older_than, size_t max, int64_t *n);
/*
 * privacy_subject_find - the subscriber with this address, looked up by its
 * key the way signup stored it (addr/); NF_ERR_NOTFOUND when nobody has it
 */
int privacy_subject_find(struct store *s, const char *email, int64_t *id);

#endif
