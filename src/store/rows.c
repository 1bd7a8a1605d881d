/*
 * store/rows.c - result rows into the structs callers hold
 *
 * Owns: packing a row into one heap block (the struct followed by its
 * strings, so one free releases everything), the reusable streaming batch,
 * the readers for each row shape fixed in store/query.c, and the _free
 * functions.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "store_internal.h"

static const char *const purpose_names[] = { "alerts", "marketing" };
static const char *const action_names[] = { "given", "withdrawn", "confirmed" };
static const char *const kind_names[] = { "temp", "perm" };

const char *
store_purpose_name(enum store_purpose p)
{
	return (size_t)p < NF_ARRAY_LEN(purpose_names) ? purpose_names[p] : "?";
}

const char *
store_action_name(enum store_action a)
{
	return (size_t)a < NF_ARRAY_LEN(action_names) ? action_names[a] : "?";
}

const char *
store_kind_name(enum store_delivery_kind k)
{
	return (size_t)k < NF_ARRAY_LEN(kind_names) ? kind_names[k] : "?";
}

/* index of v among names, or dflt */
static int
name_index(const char *v, const char *const *names, size_t n, int dflt)
{
	size_t i;

	for (i = 0; v && i < n; i++)
		if (strcmp(v, names[i]) == 0)
			return (int)i;
	return dflt;
}

static size_t
strings_size(const struct store_row *r, const struct store_strmap *m, size_t nm)
{
	size_t i, total = 0;

	for (i = 0; i < nm; i++)
		if (m[i].col < r->ncols && r->val[m[i].col])
			total += r->len[m[i].col] + 1;
	return total;
}

static void
strings_copy(void *obj, char *dst, const struct store_row *r, const struct store_strmap *m,
	     size_t nm)
{
	size_t i, n;

	for (i = 0; i < nm; i++) {
		const char **field = (const char **)((char *)obj + m[i].off);

		*field = NULL;
		if (m[i].col >= r->ncols || r->val[m[i].col] == NULL)
			continue;
		n = r->len[m[i].col];
		memcpy(dst, r->val[m[i].col], n);
		dst[n] = '\0';
		*field = dst;
		dst += n + 1;
	}
}

void *
store_row_pack(size_t size, const struct store_row *r, const struct store_strmap *m, size_t nm)
{
	void *obj = xcalloc(1, size + strings_size(r, m, nm));

	strings_copy(obj, (char *)obj + size, r, m, nm);
	return obj;
}

/* the strings go to the arena; obj is the caller's */
static void
row_pack_into(void *obj, const struct store_row *r, const struct store_strmap *m, size_t nm,
	      struct arena *a)
{
	char *dst = arena_alloc(a, strings_size(r, m, nm));

	if (dst == NULL)
		log_panic("store: batch arena refused");	/* it has no ceiling */
	strings_copy(obj, dst, r, m, nm);
}

/* ---- subscribers: SUB_COLS, then lists ---- */

#define SUB(field) offsetof(struct store_subscriber, field)
static const struct store_strmap sub_map[] = {
	{ 1, SUB(email) }, { 2, SUB(email_key) }, { 3, SUB(email_display) }, { 4, SUB(name) },
	{ 9, SUB(token_salt) }, { 12, SUB(lists) },
};

static void
sub_numbers(struct store_subscriber *x, const struct store_row *r)
{
	enum store_sub_status st = STORE_PENDING;

	x->id = store_col_int(r, 0);
	if (store_status_parse(r->val[5], &st) != NF_OK)
		st = STORE_PENDING;
	x->status = st;
	x->created_at = store_col_int(r, 6);
	x->confirmed_at = store_col_int(r, 7);
	x->confirm_sent_at = store_col_int(r, 8);
	x->marketing = store_col_int(r, 10) != 0;
	x->soft_bounces = (int)store_col_int(r, 11);
}

struct store_subscriber *
store_subscriber_from_row(const struct store_row *r)
{
	struct store_subscriber *x = store_row_pack(sizeof(*x), r, sub_map, NF_ARRAY_LEN(sub_map));

	sub_numbers(x, r);
	return x;
}

void
store_subscriber_free(struct store_subscriber *sub)
{
	free(sub);
}

/* ---- streaming batches ---- */

void
store_batch_init(struct store_batch *b)
{
	memset(b, 0, sizeof(*b));
}

void
store_batch_reset(struct store_batch *b, size_t max)
{
	if (b->cap < max) {
		b->rows = xrealloc(b->rows, max * sizeof(*b->rows));
		b->cap = max;
	}
	b->count = 0;
	arena_free(b->mem);
	b->mem = arena_new(0);
}

void
store_batch_free(struct store_batch *b)
{
	free(b->rows);
	arena_free(b->mem);
	store_batch_init(b);
}

int
store_batch_add(void *arg, const struct store_row *r)
{
	struct store_batch *b = arg;
	struct store_subscriber *x;

	if (b->count == b->cap)
		return NF_ERR_LIMIT;	/* the LIMIT said otherwise: a bug, reported */
	x = &b->rows[b->count++];
	memset(x, 0, sizeof(*x));
	row_pack_into(x, r, sub_map, NF_ARRAY_LEN(sub_map), b->mem);
	sub_numbers(x, r);
	return NF_OK;
}

/*
 * store_batch_fetch - run q (its parameters ready, the row limit max among
 * them) into b, and move *cursor to the last id fetched; on an error b is
 * empty and *cursor stays
 */
int
store_batch_fetch(struct store *s, enum store_q q, const struct store_param *p, size_t np,
		  size_t max, int64_t *cursor, struct store_batch *b)
{
	int rc;

	store_batch_reset(b, max);
	rc = store_exec(s, q, p, np, store_batch_add, b, NULL);
	if (rc != NF_OK) {
		b->count = 0;
		return rc;
	}
	if (b->count > 0)
		*cursor = b->rows[b->count - 1].id;
	return NF_OK;
}

/* ---- consent events ---- */

#define EV(field) offsetof(struct store_consent, field)
static const struct store_strmap consent_map[] = {
	{ 5, EV(source) }, { 6, EV(ip) }, { 7, EV(user_agent) },
	{ 8, EV(wording_version) }, { 9, EV(wording_hash) }, { 10, EV(list) },
};

struct store_consent *
store_consent_from_row(const struct store_row *r)
{
	struct store_consent *e = store_row_pack(sizeof(*e), r, consent_map,
						 NF_ARRAY_LEN(consent_map));

	e->id = store_col_int(r, 0);
	e->subscriber_id = store_col_int(r, 1);
	e->purpose = name_index(r->val[2], purpose_names, NF_ARRAY_LEN(purpose_names), 0);
	e->action = name_index(r->val[3], action_names, NF_ARRAY_LEN(action_names), 0);
	e->at = store_col_int(r, 4);
	return e;
}

void
store_consent_free(struct store_consent *ev)
{
	free(ev);
}

void
store_consent_list_free(struct store_consent **evs, size_t n)
{
	size_t i;

	for (i = 0; evs && i < n; i++)
		free(evs[i]);
	free(evs);
}

/* ---- articles ---- */

#define ART(field) offsetof(struct store_article, field)
static const struct store_strmap article_map[] = {
	{ 1, ART(slug) }, { 2, ART(headline) }, { 3, ART(standfirst) }, { 4, ART(body_html) },
	{ 5, ART(body_text) }, { 6, ART(byline) }, { 7, ART(url) }, { 9, ART(images_json) },
	{ 10, ART(topics_json) },
};

struct store_article *
store_article_from_row(const struct store_row *r)
{
	struct store_article *a = store_row_pack(sizeof(*a), r, article_map,
						 NF_ARRAY_LEN(article_map));

	a->id = store_col_int(r, 0);
	a->published_at = store_col_int(r, 8);
	a->breaking = store_col_int(r, 11) != 0;
	a->created_at = store_col_int(r, 12);
	return a;
}

void
store_article_free(struct store_article *a)
{
	free(a);
}

/* ---- alerts: ALERT_COLS ---- */

static const char *const alert_states[] = { "queued", "sending", "done", "cancelled",
					    "retrying" };

struct store_alert *
store_alert_from_row(const struct store_row *r)
{
	struct store_alert *a = xcalloc(1, sizeof(*a));

	a->id = store_col_int(r, 0);
	a->article_id = store_col_int(r, 1);
	a->list_id = store_col_int(r, 2);
	a->state = name_index(r->val[3], alert_states, NF_ARRAY_LEN(alert_states), 0);
	a->total = store_col_int(r, 4);
	a->sent = store_col_int(r, 5);
	a->failed = store_col_int(r, 6);
	a->retrying = store_col_int(r, 7);
	a->shards = store_col_int(r, 8);
	a->shards_done = store_col_int(r, 9);
	a->created_at = store_col_int(r, 10);
	a->started_at = store_col_int(r, 11);
	a->finished_at = store_col_int(r, 12);
	if (r->val[13])
		snprintf(a->lists, sizeof(a->lists), "%.*s", (int)r->len[13], r->val[13]);
	a->leased = store_col_int(r, 14);
	return a;
}

const char *
store_alert_state_name(enum store_alert_state st)
{
	return (size_t)st < NF_ARRAY_LEN(alert_states) ? alert_states[st] : "?";
}

int
store_alert_state_parse(const char *v)
{
	return name_index(v, alert_states, NF_ARRAY_LEN(alert_states), -1);
}

void
store_alert_free(struct store_alert *a)
{
	free(a);
}

void
store_alert_list_free(struct store_alert **as, size_t n)
{
	size_t i;

	for (i = 0; as && i < n; i++)
		free(as[i]);
	free(as);
}

/* ---- deliveries: DELIV_COLS ---- */

#define DEL(field) offsetof(struct store_delivery, field)
static const struct store_strmap delivery_map[] = { { 5, DEL(reply) } };

struct store_delivery *
store_delivery_from_row(const struct store_row *r)
{
	struct store_delivery *d = store_row_pack(sizeof(*d), r, delivery_map,
						  NF_ARRAY_LEN(delivery_map));

	d->alert_id = store_col_int(r, 0);
	d->subscriber_id = store_col_int(r, 1);
	d->kind = name_index(r->val[2], kind_names, NF_ARRAY_LEN(kind_names), 0);
	d->attempts = (int)store_col_int(r, 3);
	d->next_attempt_at = store_col_int(r, 4);
	return d;
}

void
store_delivery_list_free(struct store_delivery **ds, size_t n)
{
	size_t i;

	for (i = 0; ds && i < n; i++)
		free(ds[i]);
	free(ds);
}

/* ---- lists of rows ---- */

void
store_ptrs_push(struct store_ptrs *l, void *p)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 8;
		l->items = xrealloc(l->items, l->cap * sizeof(*l->items));
	}
	l->items[l->n++] = p;
}
