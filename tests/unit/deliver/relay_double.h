/*
 * tests/unit/deliver/relay_double.h - a scripted relay behind smtp's transport table
 *
 * Owns: the test double the engine tests send through: a transport kind
 * registered under "test:" (smtp_transport_register), so the engine runs
 * its own code all the way to smtp_transport_submit. The recipient's local
 * part decides the relay's answer:
 *
 *	temp-...   451 4.2.0 at the first attempt, accepted after
 *	gone-...   550 5.1.1 user unknown (permanent, an unknown user)
 *	full-...   552 5.2.2 mailbox full (permanent, not an unknown user)
 *	else       accepted
 *
 * Outcomes come back as a relay's do: after submit returns, inside a wait
 * or a drain, on the thread that waits, and at a set pace if asked
 * (relay_pace: a slow relay). Every attempt is recorded (shared
 * by every engine thread, under a lock).
 */
#ifndef NEWSFLASH_TEST_RELAY_DOUBLE_H
#define NEWSFLASH_TEST_RELAY_DOUBLE_H

#include <stddef.h>

#define RELAY_URL "test:relay"

/* register the kind (once) and forget every recorded attempt */
void relay_reset(void);
/* answer per_second messages a second from now on (0: at once, as after relay_reset) */
void relay_pace(int per_second);
/* attempts at rcpt so far, and how many of them were accepted */
int relay_attempts(const char *rcpt);
int relay_accepted(const char *rcpt);
/* accepted messages in all */
int relay_accepted_total(void);
/* distinct Message-IDs among the accepted messages */
int relay_distinct_ids(void);
/*
 * the last accepted message to rcpt and its MAIL FROM, copied into
 * msg/from (truncated to their sizes); 0 when there is none
 */
int relay_last(const char *rcpt, char *msg, size_t msglen, char *from, size_t fromlen);

#endif
