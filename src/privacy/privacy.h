/*
 * privacy/privacy.h - what the service holds on one person, as they may ask for it
 *
 * Owns: the subject access export (GDPR Art. 15 and the portability of Art.
 * 20): one JSON document with every row of every table that is about the
 * person - the subscriber row, list memberships, the whole consent ledger,
 * failed deliveries with the relays' replies, and the suppression entry.
 * `newsflash subscribers show` and GET /privacy/export/TOKEN both print it,
 * so the two can never disagree. Erasure and purging are the store's
 * (store_subscriber_erase_as, store_subscribers_purge).
 */
#ifndef NEWSFLASH_PRIVACY_H
#define NEWSFLASH_PRIVACY_H

#include <stdint.h>

#include <jansson.h>

struct store;

/*
 * privacy_export - the document for subscriber id (new reference in *out).
 * NF_ERR_NOTFOUND when there is no such subscriber; an erased one exports
 * what is left (no address: the ledger rows and that the erasure happened).
 */
int privacy_export(struct store *s, int64_t id, json_t **out);

#endif
