/*
 * store/lists.c - lists and who is on them
 *
 * Owns: lists (breaking-news, made by the first migration, and any topic the
 * operator adds) and memberships. A list name is a short slug so it can sit
 * unquoted in URLs, CSV cells and space-separated exports.
 */
#include <string.h>

#include "store.h"

int
store_list_name_ok(const char *name)
{
	size_t i, n = name ? strlen(name) : 0;

	if (n == 0 || n > STORE_LIST_NAME_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return 0;
	}
	return 1;
}

int
store_list_get(struct store *s, const char *name, int64_t *id)
{
	struct store_param p = SP_TEXT(name);

	if (!store_list_name_ok(name))
		return NF_ERR_NOTFOUND;
	return store_exec_int(s, Q_LIST_GET, &p, 1, id);
}

int
store_list_ensure(struct store *s, const char *name, int64_t *id)
{
	struct store_param p[2];
	int rc;

	if (!store_list_name_ok(name)) {
		store_set_err(s, "a list name is 1-%d of a-z, 0-9, - and _", STORE_LIST_NAME_MAX);
		return NF_ERR_INVALID;
	}
	if ((rc = store_tx_begin(s)) != NF_OK)
		return rc;
	p[0] = SP_TEXT(name);
	p[1] = SP_INT(store_now(0));
	rc = store_exec(s, Q_LIST_ADD, p, 2, NULL, NULL, NULL);
	if (rc == NF_OK)
		rc = store_exec_int(s, Q_LIST_GET, p, 1, id);
	return store_tx_end(s, rc);
}

int
store_membership_add(struct store *s, int64_t subscriber_id, int64_t list_id)
{
	struct store_param p[2] = { SP_INT(list_id), SP_INT(subscriber_id) };

	return store_exec(s, Q_MEMBER_ADD, p, 2, NULL, NULL, NULL);
}

int
store_membership_remove(struct store *s, int64_t subscriber_id, int64_t list_id)
{
	struct store_param p[2] = { SP_INT(list_id), SP_INT(subscriber_id) };

	return store_exec(s, Q_MEMBER_DEL, p, 2, NULL, NULL, NULL);
}
