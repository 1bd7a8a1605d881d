/*
 * store/lists.c - lists and who is on them
 *
 * Owns: lists (breaking-news, made by the first migration, and any topic the
 * operator adds) and memberships. A list name is a short slug so it can sit
 * unquoted in URLs, CSV cells and space-separated exports. A membership
 * changed by the person (the preference centre) writes its ledger row,
 * naming the list, in the same transaction.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "store_internal.h"

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

/* store_default_list - the id of breaking-news, looked up once by store_open */
int64_t
store_default_list(const struct store *s)
{
	return s->default_list;
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

static int
collect_list(void *arg, const struct store_row *r)
{
	static const struct store_strmap map[] = { { 1, offsetof(struct store_list, name) } };
	struct store_list *l = store_row_pack(sizeof(*l), r, map, NF_ARRAY_LEN(map));

	l->id = store_col_int(r, 0);
	l->member = store_col_int(r, 2) != 0;
	store_ptrs_push(arg, l);
	return NF_OK;
}

/* the lists a statement answers, each made by fn; none when it fails */
static int
lists_query(struct store *s, enum store_q q, const struct store_param *p, size_t np,
	    store_row_fn fn, struct store_list ***out, size_t *n)
{
	struct store_ptrs l = { NULL, 0, 0 };
	int rc = store_exec(s, q, p, np, fn, &l, NULL);

	if (rc != NF_OK) {
		store_list_list_free((struct store_list **)l.items, l.n);
		l.items = NULL;
		l.n = 0;
	}
	*out = (struct store_list **)l.items;
	*n = l.n;
	return rc;
}

int
store_lists_of(struct store *s, int64_t subscriber_id, struct store_list ***out, size_t *n)
{
	struct store_param p = SP_INT(subscriber_id);

	return lists_query(s, Q_LISTS_OF, &p, 1, collect_list, out, n);
}

static int
collect_counted(void *arg, const struct store_row *r)
{
	static const struct store_strmap map[] = { { 1, offsetof(struct store_list, name) } };
	struct store_list *l = store_row_pack(sizeof(*l), r, map, NF_ARRAY_LEN(map));

	l->id = store_col_int(r, 0);
	l->members = store_col_int(r, 2);
	l->confirmed = store_col_int(r, 3);
	store_ptrs_push(arg, l);
	return NF_OK;
}

int
store_lists_all(struct store *s, struct store_list ***out, size_t *n)
{
	return lists_query(s, Q_LISTS_ALL, NULL, 0, collect_counted, out, n);
}

void
store_list_list_free(struct store_list **ls, size_t n)
{
	size_t i;

	for (i = 0; ls && i < n; i++)
		free(ls[i]);
	free(ls);
}

static int
membership_locked(struct store *s, int64_t subscriber_id, int64_t list_id, int on,
		  const struct store_consent_in *ev, int *changed)
{
	struct store_subscriber *sub = NULL;
	struct store_param p[2] = { SP_INT(list_id), SP_INT(subscriber_id) };
	int64_t n = 0;
	int rc;

	if ((rc = store_subscriber_get(s, subscriber_id, &sub)) != NF_OK)
		return rc;
	rc = sub->status == STORE_ERASED ? NF_ERR_INVALID :
	     store_exec(s, on ? Q_MEMBER_ADD : Q_MEMBER_DEL, p, 2, NULL, NULL, &n);
	store_subscriber_free(sub);
	if (rc == NF_OK && n > 0) {
		rc = store_consent_add_list(s, subscriber_id, STORE_ALERTS,
					    on ? STORE_GIVEN : STORE_WITHDRAWN, ev, list_id);
		*changed = 1;
	}
	return rc;
}

int
store_membership_set(struct store *s, int64_t subscriber_id, int64_t list_id, int on,
		     const struct store_consent_in *ev, int *changed)
{
	int rc, ch = 0;

	if (ev == NULL || ev->source == NULL) {
		store_set_err(s, "a membership change needs a consent source");
		return NF_ERR_INVALID;
	}
	if ((rc = store_tx_begin(s)) != NF_OK)
		return rc;
	rc = store_tx_end(s, membership_locked(s, subscriber_id, list_id, on, ev, &ch));
	if (changed)
		*changed = rc == NF_OK ? ch : 0;
	return rc;
}
