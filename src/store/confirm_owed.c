/*
 * store/confirm_owed.c - signups whose confirmation mail never went out
 *
 * Owns: store_confirm_unsent and store_confirm_claim, what makes
 * confirmations durable. The priority lane keeps its mails in memory; a
 * signup is answered once its row is committed, and confirm_sent_at is set
 * only when the relay took the mail. So after a kill -9 (or a lane that
 * was full) the rows still pending with confirm_sent_at unset are exactly
 * the confirmations owed, and the lane asks for them here (the
 * subscribers_pending index serves it).
 *
 * Several serve processes may share the database, and each looks for what
 * is owed. The process that answers a signup claims its confirmation in
 * the same transaction (confirm_claimed_at: the mail is on its way in its
 * lane); a row owed and not claimed within a lease (its claimer died, or
 * an import or the CLI made it) is claimed by one UPDATE that only one of
 * them wins, and the winner has it for another lease. Without the claim
 * two processes restarting together each sent every owed confirmation.
 */
#include "store_internal.h"

#define UNSENT_MAX 10000	/* rows in one page, at most */

int
store_confirm_unsent(struct store *s, int64_t since, int64_t settled, int64_t *cursor,
		     size_t max, struct store_batch *b)
{
	struct store_param p[4];

	if (max == 0 || max > UNSENT_MAX)
		max = UNSENT_MAX;
	p[0] = SP_INT(since);
	p[1] = SP_INT(*cursor);
	p[2] = SP_INT((int64_t)max);
	p[3] = SP_INT(settled);
	return store_batch_fetch(s, Q_CONFIRM_UNSENT, p, 4, max, cursor, b);
}

int
store_confirm_claim(struct store *s, int64_t id, int64_t now, int64_t settled)
{
	struct store_param p[3] = { SP_INT(id), SP_INT(now), SP_INT(settled) };
	int64_t changed = 0;
	int rc = store_exec(s, Q_CONFIRM_CLAIM, p, 3, NULL, NULL, &changed);

	if (rc != NF_OK)
		return rc;
	return changed == 1 ? NF_OK : NF_ERR_NOTFOUND;
}

/*
 * The cap on confirmation mails per mailbox. Each mail a signup owes
 * takes a slot here first: the count of the mailbox's mails in the window
 * (its rows older than that go at the same time), and a new row when
 * there is room. Only the keyed hash of the mailbox is stored, as for an
 * erasure's suppression.
 */
int
store_confirm_slot(struct store *s, const char *mailbox, int cap, int64_t window, int64_t now,
		   int *taken)
{
	struct store_param p[2];
	char hash[65];
	int64_t n = 0;
	int rc;

	*taken = 0;
	if (mailbox == NULL || *mailbox == '\0' || window <= 0) {
		store_set_err(s, "a confirmation slot needs a mailbox and a window");
		return NF_ERR_INVALID;
	}
	store_key_hash(s, mailbox, hash);
	p[0] = SP_TEXT(hash);
	p[1] = SP_INT(now - window);
	if ((rc = store_exec(s, Q_CONFIRM_SENDS_OLD, p, 2, NULL, NULL, NULL)) != NF_OK)
		return rc;
	if ((rc = store_exec_int(s, Q_CONFIRM_SENDS, p, 2, &n)) != NF_OK)
		return rc;
	if (cap > 0 && n >= cap)
		return NF_OK;
	p[1] = SP_INT(now);
	if ((rc = store_exec(s, Q_CONFIRM_SEND_ADD, p, 2, NULL, NULL, NULL)) == NF_OK)
		*taken = 1;
	return rc;
}

int
store_confirm_withhold(struct store *s, int64_t id, int64_t until)
{
	struct store_param p[2] = { SP_INT(id), SP_INT(until) };

	return store_exec(s, Q_CONFIRM_WITHHOLD, p, 2, NULL, NULL, NULL);
}
