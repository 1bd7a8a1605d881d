/*
 * store/action_links.c - the emailed links that grant more than unsubscribing
 *
 * Owns: action_links, one row per subscriber and purpose ("export",
 * "erase", "manage"): the random nonce that goes into that link's HMAC
 * (web/public/mailed_links.c makes and checks the token), when it was made and
 * when it expires. Making a new link replaces the row, so only the latest
 * works; using one deletes its row in the same statement that checks it,
 * so it works once, even for two requests at the same moment; an erasure
 * deletes them all. The link's holder has just proved they read the
 * mailbox, which a forwarded alert's unsubscribe link does not prove.
 */
#include <stdlib.h>
#include <string.h>

#include "store_internal.h"

struct link_row {
	char nonce[STORE_LINK_NONCE_MAX];
	int64_t created_at, expires_at;
	int got;
};

static int
take_link(void *arg, const struct store_row *r)
{
	struct link_row *l = arg;

	if (r->val[0] && r->len[0] < sizeof(l->nonce)) {
		memcpy(l->nonce, r->val[0], r->len[0]);
		l->nonce[r->len[0]] = '\0';
		l->created_at = store_col_int(r, 1);
		l->expires_at = store_col_int(r, 2);
		l->got = 1;
	}
	return NF_OK;
}

static int
link_get(struct store *s, int64_t id, const char *purpose, struct link_row *l)
{
	struct store_param p[2] = { SP_INT(id), SP_TEXT(purpose) };

	memset(l, 0, sizeof(*l));
	return store_exec(s, Q_LINK_GET, p, 2, take_link, l, NULL);
}

int
store_link_issue(struct store *s, int64_t id, const char *purpose, int64_t now, int64_t ttl,
		 int64_t gap, char nonce[STORE_LINK_NONCE_MAX], int *issued)
{
	struct store_param p[5];
	struct link_row l;
	int rc;

	*issued = 0;
	if ((rc = link_get(s, id, purpose, &l)) != NF_OK)
		return rc;
	if (l.got && l.expires_at > now && l.created_at > now - gap)
		return NF_OK;	/* one went out a moment ago: that one serves */
	store_new_salt(nonce);
	p[0] = SP_INT(id);
	p[1] = SP_TEXT(purpose);
	p[2] = SP_TEXT(nonce);
	p[3] = SP_INT(now);
	p[4] = SP_INT(now + ttl);
	if ((rc = store_exec(s, Q_LINK_PUT, p, 5, NULL, NULL, NULL)) == NF_OK)
		*issued = 1;
	return rc;
}

int
store_link_nonce(struct store *s, int64_t id, const char *purpose, int64_t now,
		 char nonce[STORE_LINK_NONCE_MAX])
{
	struct link_row l;
	int rc;

	nonce[0] = '\0';
	if ((rc = link_get(s, id, purpose, &l)) != NF_OK)
		return rc;
	if (!l.got || l.expires_at <= now)
		return NF_ERR_NOTFOUND;
	memcpy(nonce, l.nonce, sizeof(l.nonce));
	return NF_OK;
}

int
store_link_use(struct store *s, int64_t id, const char *purpose, const char *nonce, int64_t now)
{
	struct store_param p[4] = { SP_INT(id), SP_TEXT(purpose), SP_TEXT(nonce), SP_INT(now) };
	int64_t n = 0;
	int rc = store_exec(s, Q_LINK_USE, p, 4, NULL, NULL, &n);

	if (rc != NF_OK)
		return rc;
	return n == 1 ? NF_OK : NF_ERR_NOTFOUND;
}
