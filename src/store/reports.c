/*
 * store/reports.c - what the newsroom reads about its audience and alerts
 *
 * Owns: the audience per day (signups, confirmations, unsubscribes from the
 * consent ledger) and the alert history with the bounces and unsubscribes
 * each alert caused. Both are read-only summaries computed by the database
 * (store/query.c holds the SQL and says how blame for an unsubscribe is
 * given); nothing here is stored.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "store_internal.h"

#define DAY 86400
#define AUDIENCE_DAYS_MAX 3660

struct audience {
	struct store_audience_day *days;
	size_t n;
};

static int
take_day(void *arg, const struct store_row *r)
{
	struct audience *a = arg;
	int64_t i = store_col_int(r, 0);

	if (i < 0 || (size_t)i >= a->n)
		return NF_OK;	/* cannot happen with the WHERE clause; never write outside */
	a->days[i].signups = store_col_int(r, 1);
	a->days[i].confirmations = store_col_int(r, 2);
	a->days[i].unsubscribes = store_col_int(r, 3);
	return NF_OK;
}

int
store_audience_daily(struct store *s, int64_t from, struct store_audience_day *days, size_t ndays)
{
	struct audience a = { days, ndays };
	struct store_param p[3];
	int64_t start;
	size_t i;

	if (ndays == 0 || ndays > AUDIENCE_DAYS_MAX) {
		store_set_err(s, "the audience is read for 1 to %d days", AUDIENCE_DAYS_MAX);
		return NF_ERR_INVALID;
	}
	start = from - ((from % DAY) + DAY) % DAY;	/* midnight UTC, also before 1970 */
	for (i = 0; i < ndays; i++) {
		memset(&days[i], 0, sizeof(days[i]));
		days[i].day = start + (int64_t)i * DAY;
	}
	p[0] = SP_INT(start);
	p[1] = SP_INT(start + (int64_t)ndays * DAY);
	p[2] = SP_INT(s->default_list);
	return store_exec(s, Q_AUDIENCE_DAILY, p, 3, take_day, &a, NULL);
}

/* ALERT_COLS (its lists, then its leased shards last), then headline, bounces, unsubscribes */
#define REP(field) offsetof(struct store_alert_report, field)
static const struct store_strmap report_map[] = { { 15, REP(headline) } };

static int
collect_report(void *arg, const struct store_row *r)
{
	struct store_alert_report *x = store_row_pack(sizeof(*x), r, report_map,
						      NF_ARRAY_LEN(report_map));
	struct store_alert *a = store_alert_from_row(r);

	x->alert = *a;
	store_alert_free(a);
	x->bounces = store_col_int(r, 16);
	x->unsubscribes = store_col_int(r, 17);
	store_ptrs_push(arg, x);
	return NF_OK;
}

void
store_alert_report_list_free(struct store_alert_report **rs, size_t n)
{
	size_t i;

	for (i = 0; rs && i < n; i++)
		free(rs[i]);
	free(rs);
}

int
store_alert_reports(struct store *s, size_t limit, struct store_alert_report ***out, size_t *n)
{
	struct store_ptrs l = { NULL, 0, 0 };
	struct store_param p[2] = { SP_INT(limit ? limit : 50), SP_INT(STORE_UNSUB_WINDOW) };
	int rc = store_exec(s, Q_ALERT_REPORT, p, 2, collect_report, &l, NULL);

	if (rc != NF_OK) {
		store_alert_report_list_free((struct store_alert_report **)l.items, l.n);
		l.items = NULL;
		l.n = 0;
	}
	*out = (struct store_alert_report **)l.items;
	*n = l.n;
	return rc;
}
