/*
 * store/query.c - every SQL statement the store runs, by name
 *
 * Owns: the text of the statements. They are written once, in PostgreSQL's
 * $1 placeholder syntax (the SQLite backend reads $N as ?N, SQLite's own
 * numbered parameter), so both backends run the same SQL and behave the
 * same. Where a dialect needs other words the entry says so in .pg:
 * claiming rows past other workers (FOR UPDATE SKIP LOCKED), aggregating
 * list names, and PostgreSQL's COPY-based import. Every value comes in as a
 * parameter; nothing is ever pasted into SQL text.
 *
 * Row shapes shared by several statements are fixed by the column lists
 * below; store/rows.c reads them by position.
 */
#include "store_internal.h"

/*
 * Not suppressed, in either form: by the address key (a bounce, a
 * complaint) or by the keyed hash an erasure leaves, which a row made
 * again for the same address carries in key_hash. Two NOT EXISTS, each
 * one probe of a unique index, rather than an OR the planners may not
 * split.
 */
#define MAILABLE(t) " NOT EXISTS (SELECT 1 FROM suppressions x WHERE x.email_key = " t ".email_key)" \
	" AND NOT EXISTS (SELECT 1 FROM suppressions y WHERE y.key_hash = " t ".key_hash)"
/* read by rows.c: subscriber_from_row */
/* email_display is stored only when it differs from email (store/subscribers.c) */
#define SUB_COLS "s.id, s.email, s.email_key, coalesce(s.email_display, s.email), s.name," \
	" s.status, s.created_at, s.confirmed_at, s.confirm_sent_at, s.token_salt, s.marketing," \
	" s.soft_bounces"
/* read by rows.c: alert_from_row */
#define ALERT_COLS(dialect) "a.id, a.article_id, a.list_id, a.state, a.total," \
	" (SELECT coalesce(sum(sh.sent), 0) FROM alert_shards sh WHERE sh.alert_id = a.id)" \
	"  + a.retry_sent," \
	" (SELECT count(*) FROM deliveries d WHERE d.alert_id = a.id AND d.kind = 'perm')," \
	" (SELECT count(*) FROM deliveries d WHERE d.alert_id = a.id AND d.kind = 'temp')," \
	" (SELECT count(*) FROM alert_shards sh WHERE sh.alert_id = a.id)," \
	" (SELECT count(*) FROM alert_shards sh WHERE sh.alert_id = a.id AND sh.state = 'done')," \
	" a.created_at, a.started_at, a.finished_at, " LIST_NAMES_##dialect "," \
	" (SELECT count(*) FROM alert_shards sh WHERE sh.alert_id = a.id AND sh.state = 'running'" \
	"  AND sh.lease_owner IS NOT NULL AND sh.lease_expiry > " NOW_##dialect ")"
/* the clock, for leases still running (a dead engine's expire) */
#define NOW_SQLITE "CAST(strftime('%s', 'now') AS INTEGER)"
#define NOW_PG "CAST(extract(epoch FROM now()) AS BIGINT)"
/*
 * The names of an alert's lists, space-separated in list id order (so
 * breaking-news, made first, leads): group_concat keeps the order of the
 * rows it is given, string_agg is told it.
 */
#define LIST_NAMES_SQLITE "(SELECT group_concat(name, ' ') FROM (SELECT l.name FROM" \
	" alert_lists al JOIN lists l ON l.id = al.list_id WHERE al.alert_id = a.id ORDER BY l.id))"
#define LIST_NAMES_PG "(SELECT string_agg(l.name, ' ' ORDER BY l.id) FROM alert_lists al" \
	" JOIN lists l ON l.id = al.list_id WHERE al.alert_id = a.id)"
/* read by alerts.c: shard_from_row */
#define SHARD_COLS "id, alert_id, no, lo, hi, cursor, lease_expiry, sent, failed"
/* read by editors.c: editor_from_row */
#define EDITOR_COLS "id, name, email, password_hash, created_at, failed_signins," \
	" last_failed_at, last_signin_at"
/* read by rows.c: delivery_from_row */
#define DELIV_COLS "alert_id, subscriber_id, kind, attempts, next_attempt_at, reply"

/* read by webhooks.c: hook_from_row; the backlog counts what its cursor has not passed */
#define HOOK_COLS "e.id, e.url, e.secret, e.events, e.include_email, e.created_at, e.cursor," \
	" e.attempts, e.next_at, e.failing_since, e.last_at, e.last_status, e.last_error," \
	" e.disabled_at"
#define HOOK_WAITING "EXISTS (SELECT 1 FROM webhook_events v WHERE v.id > e.cursor" \
	" AND (v.bit & e.events) <> 0)"
#define HOOK_BACKLOG "(SELECT count(*) FROM webhook_events v WHERE v.id > e.cursor" \
	" AND (v.bit & e.events) <> 0)"
#define HOOK_ADD "INSERT INTO webhook_endpoints (url, secret, events, include_email, created_at," \
	" cursor) VALUES ($1, $2, $3, $4, $5, (SELECT coalesce(max(id), 0) FROM webhook_events))"
/*
 * One due endpoint with events waiting, past other deliverers' leases. The
 * outer WHERE repeats the lease test: on SQLite the write lock already
 * serialises claimers, on PostgreSQL SKIP LOCKED passes a row being claimed.
 */
#define HOOK_CLAIM(lock) \
	"UPDATE webhook_endpoints SET lease_owner = $1, lease_expiry = $3" \
	" WHERE id = (SELECT e.id FROM webhook_endpoints e WHERE e.disabled_at IS NULL" \
	"  AND e.next_at <= $2 AND (e.lease_expiry IS NULL OR e.lease_expiry <= $2)" \
	"  AND " HOOK_WAITING " ORDER BY e.next_at, e.id LIMIT 1" lock ")" \
	" AND (lease_expiry IS NULL OR lease_expiry <= $2)" \
	" RETURNING id, url, secret, events, include_email, created_at, cursor, attempts, next_at," \
	" failing_since, last_at, last_status, last_error, disabled_at, 0"

/*
 * Inserts that answer with the new id. SQLite runs them without RETURNING
 * (see .sqlite_rowid): there RETURNING makes every such INSERT inside a
 * transaction open a statement journal, which measured twenty times slower
 * for a bulk import and grew with the size of the database.
 */
#define SUB_INSERT "INSERT INTO subscribers (email, email_key, email_display, name," \
	" status, created_at, confirmed_at, token_salt, marketing, key_hash)" \
	" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (email_key) DO NOTHING"
#define ARTICLE_ADD "INSERT INTO articles (slug, headline, standfirst, body_html, body_text," \
	" byline, url, published_at, images, topics, breaking, created_at)" \
	" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
#define ALERT_ADD "INSERT INTO alerts (article_id, list_id, state, total, created_at," \
	" finished_at) VALUES ($1, $2, $3, $4, $5, $6)"

/*
 * A withdrawal of alerts consent (ce) that alert a is blamed for: by one of
 * its recipients (an id within its shards' span), about the subscription
 * or one of a's lists, within $2 seconds of a, and before the list's next alert.
 */
#define BLAME_WINDOW \
	" ce.purpose = 'alerts' AND ce.action = 'withdrawn'" \
	" AND (ce.list_id IS NULL OR EXISTS (SELECT 1 FROM alert_lists al" \
	"  WHERE al.alert_id = a.id AND al.list_id = ce.list_id))" \
	" AND ce.at >= a.created_at AND ce.at < a.created_at + $2" \
	" AND ce.subscriber_id <= (SELECT coalesce(max(sh.hi), 0) FROM alert_shards sh" \
	"  WHERE sh.alert_id = a.id)" \
	" AND NOT EXISTS (SELECT 1 FROM alerts n WHERE n.list_id = a.list_id" \
	"  AND n.id > a.id AND n.created_at <= ce.at)"

/* some recipient of alert ID still waits for a retry */
#define TEMP_WAITING(id) \
	"EXISTS (SELECT 1 FROM deliveries d WHERE d.alert_id = " id " AND d.kind = 'temp')"
#define ALERT_GET(dialect) "SELECT " ALERT_COLS(dialect) " FROM alerts a WHERE a.id = $1"
#define ALERT_LIST(dialect) "SELECT " ALERT_COLS(dialect) " FROM alerts a ORDER BY a.id DESC LIMIT $1"
/*
 * Each alert with its headline, its bounces and the unsubscribes it caused
 * (the comment at Q_ALERT_REPORT says which count).
 */
#define ALERT_REPORT(dialect) \
	"SELECT " ALERT_COLS(dialect) ", ar.headline," \
	" (SELECT count(*) FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id" \
	"  WHERE d.alert_id = a.id AND d.kind = 'perm' AND (s.status = 'bounced'" \
	"  OR EXISTS (SELECT 1 FROM suppressions x WHERE x.email_key = s.email_key" \
	"   AND (x.reason = 'bounce' OR x.reason = 'soft-bounce'))))" \
	" + (SELECT count(DISTINCT ce.subscriber_id) FROM consent_events ce" \
	"  JOIN subscribers s ON s.id = ce.subscriber_id WHERE s.status = 'bounced' AND " \
	BLAME_WINDOW \
	"  AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.alert_id = a.id" \
	"   AND d.subscriber_id = ce.subscriber_id AND d.kind = 'perm'))," \
	" (SELECT count(DISTINCT ce.subscriber_id) FROM consent_events ce" \
	"  JOIN subscribers s ON s.id = ce.subscriber_id WHERE s.status <> 'bounced' AND " \
	BLAME_WINDOW ")" \
	" FROM alerts a JOIN articles ar ON ar.id = a.article_id" \
	" ORDER BY a.id DESC LIMIT $1"

/* the next $4 mailable members of list $1 in ids ($2, $3] */
#define LIST_AUDIENCE(cols) "SELECT " cols " FROM memberships m" \
	" JOIN subscribers s ON s.id = m.subscriber_id" \
	" WHERE m.list_id = $1 AND m.subscriber_id > $2 AND m.subscriber_id <= $3" \
	" AND s.id > $2 AND s.id <= $3 AND s.status = 'confirmed'" \
	" AND" MAILABLE("s") \
	" ORDER BY m.subscriber_id LIMIT $4"

/* an alert's audience by walking subscribers (Q_AUDIENCE_NEXT) */
#define AUDIENCE_SCAN "SELECT " SUB_COLS ", NULL FROM subscribers s" \
	" WHERE s.id > $2 AND s.id <= $3 AND s.status = 'confirmed'" \
	" AND EXISTS (SELECT 1 FROM alert_lists al JOIN memberships m" \
	"  ON m.list_id = al.list_id AND m.subscriber_id = s.id WHERE al.alert_id = $1)" \
	" AND" MAILABLE("s") \
	" ORDER BY s.id LIMIT $4"

#define AUDIENCE_COUNT(ids) "SELECT count(*) FROM (SELECT DISTINCT m.subscriber_id AS id" \
	"  FROM memberships m WHERE m.list_id IN (" ids ")) u JOIN subscribers s ON s.id = u.id" \
	" WHERE s.status = 'confirmed'" \
	" AND" MAILABLE("s")

#define EDITOR_ADD "INSERT INTO editors (name, email, password_hash, created_at)" \
	" VALUES ($1, $2, $3, $4) ON CONFLICT (name) DO NOTHING"

#define SHARD_CLAIM(lock) \
	"UPDATE alert_shards SET lease_owner = $1, lease_expiry = $3, state = 'running'" \
	" WHERE id = (SELECT sh.id FROM alert_shards sh JOIN alerts a ON a.id = sh.alert_id" \
	"  WHERE sh.state <> 'done' AND a.state IN ('queued', 'sending')" \
	"  AND (sh.lease_expiry IS NULL OR sh.lease_expiry <= $2)" \
	"  ORDER BY sh.alert_id, sh.no LIMIT 1" lock ")" \
	" RETURNING " SHARD_COLS

#define RETRIES_CLAIM(lock) \
	"UPDATE deliveries SET next_attempt_at = $2" \
	" WHERE (alert_id, subscriber_id) IN (SELECT d.alert_id, d.subscriber_id" \
	"  FROM deliveries d JOIN alerts a ON a.id = d.alert_id" \
	"  WHERE d.kind = 'temp' AND d.next_attempt_at <= $1 AND a.state <> 'cancelled'" \
	"  ORDER BY d.next_attempt_at LIMIT $3" lock ")" \
	" RETURNING " DELIV_COLS

#define SUBS_NEXT(agg) \
	"SELECT " SUB_COLS ", (SELECT " agg " FROM lists l WHERE EXISTS" \
	"  (SELECT 1 FROM memberships m WHERE m.list_id = l.id AND m.subscriber_id = s.id))" \
	" FROM subscribers s WHERE s.id > $1 AND s.status <> 'erased' ORDER BY s.id LIMIT $2"

const struct store_query store_queries[Q_COUNT] = {
	[Q_META_GET] = { "meta_get", "SELECT value FROM meta WHERE name = $1", NULL, NULL },
	[Q_META_PUT] = { "meta_put",
		"INSERT INTO meta (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING", NULL, NULL },
	[Q_VERSION] = { "version", "SELECT coalesce(max(version), 0) FROM schema_version", NULL, NULL },
	[Q_VERSION_ADD] = { "version_add",
		"INSERT INTO schema_version (version, applied_at) VALUES ($1, $2)", NULL, NULL },

	[Q_LIST_GET] = { "list_get", "SELECT id FROM lists WHERE name = $1", NULL, NULL },
	[Q_LIST_ADD] = { "list_add",
		"INSERT INTO lists (name, created_at) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
		NULL, NULL },
	[Q_MEMBER_ADD] = { "member_add",
		"INSERT INTO memberships (list_id, subscriber_id) VALUES ($1, $2)"
		" ON CONFLICT DO NOTHING", NULL, NULL },
	[Q_MEMBER_DEL] = { "member_del",
		"DELETE FROM memberships WHERE list_id = $1 AND subscriber_id = $2", NULL, NULL },

	[Q_SUB_INSERT] = { "sub_insert",
		SUB_INSERT " RETURNING id", NULL, SUB_INSERT },
	[Q_SUB_BY_ID] = { "sub_by_id",
		"SELECT " SUB_COLS ", NULL FROM subscribers s WHERE s.id = $1", NULL, NULL },
	[Q_SUB_BY_KEY] = { "sub_by_key",
		"SELECT " SUB_COLS ", NULL FROM subscribers s WHERE s.email_key = $1", NULL, NULL },
	[Q_SUB_SET_STATUS] = { "sub_set_status",
		"UPDATE subscribers SET status = $2, confirmed_at = $3 WHERE id = $1", NULL, NULL },
	[Q_SUB_SET_MARKETING] = { "sub_set_marketing",
		"UPDATE subscribers SET marketing = $2 WHERE id = $1", NULL, NULL },
	[Q_SUB_CONFIRM_SENT] = { "sub_confirm_sent",
		"UPDATE subscribers SET confirm_sent_at = $2 WHERE id = $1", NULL, NULL },
	[Q_SUB_ERASE] = { "sub_erase",
		"UPDATE subscribers SET email = NULL, email_key = NULL, email_display = NULL,"
		" name = NULL, status = 'erased', marketing = 0, soft_bounces = 0, token_salt = $2,"
		" key_hash = NULL"
		" WHERE id = $1", NULL, NULL },
	/* through the primary key (list_id, subscriber_id): lists are few */
	[Q_SUB_UNLIST] = { "sub_unlist",
		"DELETE FROM memberships WHERE subscriber_id = $1"
		" AND list_id IN (SELECT id FROM lists)", NULL, NULL },
	[Q_SUB_UNDELIVER] = { "sub_undeliver",
		"DELETE FROM deliveries WHERE subscriber_id = $1", NULL, NULL },
	[Q_COUNT_ALL] = { "count_all",
		"SELECT count(*) FROM subscribers WHERE status <> 'erased'"
		" AND (CAST($1 AS TEXT) IS NULL OR status = $1)", NULL, NULL },
	[Q_COUNT_LIST] = { "count_list",
		"SELECT count(*) FROM memberships m JOIN subscribers s ON s.id = m.subscriber_id"
		" WHERE m.list_id = $1 AND s.status <> 'erased'"
		" AND (CAST($2 AS TEXT) IS NULL OR s.status = $2)", NULL, NULL },
	/*
	 * The id bounds are stated for s.id too: PostgreSQL does not carry an
	 * inequality across the join, and without them a merge join walked
	 * subscribers from the first id to the cursor on every page (a full
	 * stream became quadratic: 52 s for a million rows instead of 7).
	 */
	[Q_MEMBERS_NEXT] = { "members_next", LIST_AUDIENCE(SUB_COLS ", NULL"), NULL, NULL },
	/* group_concat walks lists in id order, as string_agg is told to */
	[Q_SUBS_NEXT] = { "subs_next",
		SUBS_NEXT("group_concat(l.name, ' ')"),
		SUBS_NEXT("string_agg(l.name, ' ' ORDER BY l.id)"), NULL },

	[Q_CONSENT_ADD] = { "consent_add",
		"INSERT INTO consent_events (subscriber_id, purpose, action, at, source, ip,"
		" user_agent, wording_version, wording_hash, list_id)"
		" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)", NULL, NULL },
	[Q_CONSENT_LIST] = { "consent_list",
		"SELECT c.id, c.subscriber_id, c.purpose, c.action, c.at, c.source, c.ip,"
		" c.user_agent, c.wording_version, c.wording_hash, l.name FROM consent_events c"
		" LEFT JOIN lists l ON l.id = c.list_id"
		" WHERE c.subscriber_id = $1 ORDER BY c.id", NULL, NULL },
	[Q_CONSENT_SCRUB] = { "consent_scrub",
		"UPDATE consent_events SET ip = NULL, user_agent = NULL WHERE subscriber_id = $1"
		" AND (ip IS NOT NULL OR user_agent IS NOT NULL)", NULL, NULL },

	[Q_SUPP_ANY] = { "supp_any",
		"SELECT count(*) FROM (SELECT 1 FROM suppressions LIMIT 1) t", NULL, NULL },
	[Q_SUPP_CHECK] = { "supp_check",
		"SELECT reason FROM suppressions WHERE email_key = $1 OR key_hash = $2 LIMIT 1",
		NULL, NULL },
	[Q_SUPP_ADD_KEY] = { "supp_add_key",
		"INSERT INTO suppressions (email_key, reason, at) VALUES ($1, $2, $3)"
		" ON CONFLICT (email_key) DO NOTHING", NULL, NULL },
	[Q_SUPP_ADD_HASH] = { "supp_add_hash",
		"INSERT INTO suppressions (key_hash, reason, at) VALUES ($1, $2, $3)"
		" ON CONFLICT (key_hash) DO NOTHING", NULL, NULL },

	[Q_SUPP_DEL_KEY] = { "supp_del_key", "DELETE FROM suppressions WHERE email_key = $1", NULL, NULL },

	[Q_ARTICLE_ADD] = { "article_add", ARTICLE_ADD " RETURNING id", NULL, ARTICLE_ADD },
	[Q_ARTICLE_GET] = { "article_get",
		"SELECT id, slug, headline, standfirst, body_html, body_text, byline, url,"
		" published_at, images, topics, breaking, created_at FROM articles WHERE id = $1",
		NULL, NULL },

	[Q_ALERT_SPAN] = { "alert_span",
		"SELECT min(m.subscriber_id), max(m.subscriber_id), count(*) FROM memberships m"
		" JOIN subscribers s ON s.id = m.subscriber_id"
		" WHERE m.list_id = $1 AND s.status = 'confirmed'"
		" AND" MAILABLE("s"),
		NULL, NULL },
	[Q_ALERT_ADD] = { "alert_add", ALERT_ADD " RETURNING id", NULL, ALERT_ADD },
	[Q_ALERT_GET] = { "alert_get", ALERT_GET(SQLITE), ALERT_GET(PG), NULL },
	[Q_ALERT_LIST] = { "alert_list", ALERT_LIST(SQLITE), ALERT_LIST(PG), NULL },
	[Q_ALERT_CANCEL] = { "alert_cancel",
		"UPDATE alerts SET state = 'cancelled', finished_at = $2"
		" WHERE id = $1 AND state IN ('queued', 'sending', 'retrying')", NULL, NULL },
	[Q_ALERT_START] = { "alert_start",
		"UPDATE alerts SET state = 'sending', started_at = $2"
		" WHERE id = $1 AND state = 'queued'", NULL, NULL },
	/*
	 * Every shard worked: done if every recipient has a final outcome,
	 * retrying while temporary failures wait (ALERT_SETTLE ends that).
	 */
	[Q_ALERT_DONE_IF] = { "alert_done_if",
		"UPDATE alerts SET state = CASE WHEN " TEMP_WAITING("$1") " THEN 'retrying' ELSE 'done' END,"
		" finished_at = CASE WHEN " TEMP_WAITING("$1") " THEN NULL ELSE CAST($2 AS BIGINT) END"
		" WHERE id = $1 AND state IN ('queued', 'sending') AND NOT EXISTS"
		" (SELECT 1 FROM alert_shards sh WHERE sh.alert_id = $1 AND sh.state <> 'done')",
		NULL, NULL },
	/* a retrying alert whose last waiting recipient has an outcome is done: one ($1), or all */
	[Q_ALERT_SETTLE] = { "alert_settle",
		"UPDATE alerts SET state = 'done', finished_at = $2"
		" WHERE id = $1 AND state = 'retrying' AND NOT " TEMP_WAITING("$1"), NULL, NULL },
	[Q_ALERTS_SETTLE] = { "alerts_settle",
		"UPDATE alerts SET state = 'done', finished_at = $1"
		" WHERE state = 'retrying' AND NOT " TEMP_WAITING("alerts.id"), NULL, NULL },
	[Q_ALERT_RETRY_SENT] = { "alert_retry_sent",
		"UPDATE alerts SET retry_sent = retry_sent + 1 WHERE id = $1", NULL, NULL },
	[Q_ALERT_OF_SHARD] = { "alert_of_shard",
		"SELECT a.id, a.list_id, a.article_id, a.state,"
		" (SELECT count(*) FROM alert_lists al WHERE al.alert_id = a.id) FROM alert_shards sh"
		" JOIN alerts a ON a.id = sh.alert_id WHERE sh.id = $1", NULL, NULL },
	[Q_ALERT_LIST_ADD] = { "alert_list_add",
		"INSERT INTO alert_lists (alert_id, list_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
		NULL, NULL },
	[Q_ALERT_AUDIENCE] = { "alert_audience",
		"UPDATE alerts SET total = $2, state = $3, finished_at = $4 WHERE id = $1", NULL, NULL },
	[Q_ALERT_LISTS_DEL] = { "alert_lists_del", "DELETE FROM alert_lists WHERE alert_id = $1",
		NULL, NULL },
	[Q_ALERT_DEL] = { "alert_del", "DELETE FROM alerts WHERE id = $1", NULL, NULL },
	/*
	 * The audience of an alert with several lists, each person once: the
	 * distinct members of its lists first (from the memberships' primary
	 * key, so a small topic list costs its own size, not the subscribers'),
	 * then who of them may be mailed.
	 */
	[Q_AUDIENCE_SPAN] = { "audience_span",
		"SELECT min(s.id), max(s.id), count(*) FROM (SELECT DISTINCT m.subscriber_id AS id"
		"  FROM alert_lists al JOIN memberships m ON m.list_id = al.list_id"
		"  WHERE al.alert_id = $1) u JOIN subscribers s ON s.id = u.id"
		" WHERE s.status = 'confirmed'"
		" AND" MAILABLE("s"),
		NULL, NULL },
	/*
	 * The next batch of that audience after the cursor, each person once,
	 * two ways. AUDIENCE_NEXT walks subscribers by id and asks the
	 * memberships' primary key whether each is on one of the lists: right
	 * when nearly everyone is (an alert with breaking-news). AUDIENCE_SPARSE
	 * takes for each list its next $4 mailable members after the cursor and
	 * the first $4 distinct ids of their union, which are exactly the batch
	 * (every id in it is among the first $4 of its own list): right for
	 * topic lists, which may be a small part of the subscribers, as it
	 * costs lists x $4 rows a batch whatever the lists' sizes. Who may be
	 * mailed is asked per member in a scalar subquery, which the planner
	 * cannot turn into a join: as a join it chose a merge join that walked
	 * subscribers from the cursor to a sparse list's $4-th member on every
	 * batch (50,000 rows a batch for a 1% topic list at 100,000
	 * subscribers). On SQLite, which has no LATERAL,
	 * store/audience_merge.c runs the same plan with the three queries
	 * below. Measured by bench/audience.sh.
	 */
	[Q_AUDIENCE_NEXT] = { "audience_next", AUDIENCE_SCAN, NULL, NULL },
	[Q_AUDIENCE_SPARSE] = { "audience_sparse", AUDIENCE_SCAN,
		"SELECT " SUB_COLS ", NULL FROM subscribers s WHERE s.id IN ("
		"  SELECT x.id FROM alert_lists al CROSS JOIN LATERAL ("
		"   SELECT m.subscriber_id AS id FROM memberships m"
		"   WHERE m.list_id = al.list_id AND m.subscriber_id > $2 AND m.subscriber_id <= $3"
		"   AND (SELECT t.status = 'confirmed' AND" MAILABLE("t")
		"    FROM subscribers t WHERE t.id = m.subscriber_id)"
		"   ORDER BY m.subscriber_id LIMIT $4) x"
		"  WHERE al.alert_id = $1)"
		" AND s.id > $2 AND s.id <= $3 ORDER BY s.id LIMIT $4", NULL },
	/*
	 * SQLite has no LATERAL: there store/audience_merge.c runs
	 * AUDIENCE_SPARSE's plan itself, with these three: the alert's
	 * lists, the next $4 mailable members of one list after $2 (an index
	 * range, as MEMBERS_NEXT), and the rows of the merged ids ($1, a JSON
	 * array).
	 */
	[Q_ALERT_LIST_IDS] = { "alert_list_ids",
		"SELECT list_id FROM alert_lists WHERE alert_id = $1 ORDER BY list_id", NULL, NULL },
	[Q_LIST_AUDIENCE_IDS] = { "list_audience_ids", LIST_AUDIENCE("m.subscriber_id"), NULL, NULL },
	[Q_SUBS_BY_IDS] = { "subs_by_ids",
		"SELECT " SUB_COLS ", NULL FROM subscribers s"
		" WHERE s.id IN (SELECT value FROM json_each($1)) ORDER BY s.id",
		"SELECT " SUB_COLS ", NULL FROM subscribers s WHERE s.id IN"
		" (SELECT value::bigint FROM json_array_elements_text(CAST($1 AS json))) ORDER BY s.id",
		NULL },
	/* the audience lists $1 (a JSON array of ids) would have, before any alert exists */
	[Q_AUDIENCE_COUNT] = { "audience_count", AUDIENCE_COUNT("SELECT value FROM json_each($1)"),
		AUDIENCE_COUNT("SELECT value::bigint FROM json_array_elements_text(CAST($1 AS json))"),
		NULL },
	/* every list with its members (not erased) and the confirmed among them */
	[Q_LISTS_ALL] = { "lists_all",
		"SELECT l.id, l.name, count(s.id),"
		" coalesce(sum(CASE WHEN s.status = 'confirmed' THEN 1 ELSE 0 END), 0)"
		" FROM lists l LEFT JOIN memberships m ON m.list_id = l.id"
		" LEFT JOIN subscribers s ON s.id = m.subscriber_id AND s.status <> 'erased'"
		" GROUP BY l.id, l.name ORDER BY l.id", NULL, NULL },

	[Q_SHARD_ADD] = { "shard_add",
		"INSERT INTO alert_shards (alert_id, no, lo, hi, cursor, state)"
		" VALUES ($1, $2, $3, $4, $5, 'queued')", NULL, NULL },
	[Q_SHARD_CLAIM] = { "shard_claim", SHARD_CLAIM(""),
		SHARD_CLAIM(" FOR UPDATE OF sh SKIP LOCKED"), NULL },
	[Q_SHARD_RENEW] = { "shard_renew",
		"UPDATE alert_shards SET lease_expiry = $3"
		" WHERE id = $1 AND lease_owner = $2 AND state = 'running' AND EXISTS"
		" (SELECT 1 FROM alerts a WHERE a.id = alert_shards.alert_id AND a.state = 'sending')",
		NULL, NULL },
	[Q_SHARD_PROGRESS] = { "shard_progress",
		"UPDATE alert_shards SET cursor = $3, sent = sent + $4, failed = failed + $5,"
		" lease_expiry = $6 WHERE id = $1 AND lease_owner = $2 AND state = 'running'"
		" RETURNING alert_id", NULL, NULL },
	[Q_SHARD_FINISH] = { "shard_finish",
		"UPDATE alert_shards SET state = 'done', cursor = hi, lease_owner = NULL,"
		" lease_expiry = NULL WHERE id = $1 AND lease_owner = $2 AND state = 'running'"
		" RETURNING alert_id", NULL, NULL },

	[Q_DELIV_TEMP] = { "deliv_temp",
		"INSERT INTO deliveries (alert_id, subscriber_id, kind, attempts, next_attempt_at, reply)"
		" VALUES ($1, $2, 'temp', 1, $3, $4)"
		" ON CONFLICT (alert_id, subscriber_id) DO UPDATE SET"
		" attempts = deliveries.attempts + 1, next_attempt_at = excluded.next_attempt_at,"
		" reply = excluded.reply WHERE deliveries.kind = 'temp'", NULL, NULL },
	[Q_DELIV_PERM] = { "deliv_perm",
		"INSERT INTO deliveries (alert_id, subscriber_id, kind, attempts, next_attempt_at, reply)"
		" VALUES ($1, $2, 'perm', 1, NULL, $3)"
		" ON CONFLICT (alert_id, subscriber_id) DO UPDATE SET kind = 'perm',"
		" attempts = deliveries.attempts + 1, next_attempt_at = NULL, reply = excluded.reply",
		NULL, NULL },
	[Q_DELIV_DEL] = { "deliv_del",
		"DELETE FROM deliveries WHERE alert_id = $1 AND subscriber_id = $2 AND kind = 'temp'",
		NULL, NULL },
	[Q_RETRIES_CLAIM] = { "retries_claim", RETRIES_CLAIM(""),
		RETRIES_CLAIM(" FOR UPDATE OF d SKIP LOCKED"), NULL },

	[Q_APIKEY_ADD] = { "apikey_add",
		"INSERT INTO api_keys (name, hash, created_at) VALUES ($1, $2, $3)"
		" ON CONFLICT (name) DO NOTHING", NULL, NULL },
	[Q_APIKEY_ALL] = { "apikey_all", "SELECT name, hash FROM api_keys ORDER BY id", NULL, NULL },
	[Q_APIKEY_LIST] = { "apikey_list", "SELECT name, created_at FROM api_keys ORDER BY name",
		NULL, NULL },
	[Q_APIKEY_DEL] = { "apikey_del", "DELETE FROM api_keys WHERE name = $1", NULL, NULL },
	[Q_EDITOR_DEL] = { "editor_del", "DELETE FROM editors WHERE id = $1", NULL, NULL },

	[Q_EDITOR_ADD] = { "editor_add", EDITOR_ADD " RETURNING id", NULL, EDITOR_ADD },
	[Q_EDITOR_GET] = { "editor_get", "SELECT " EDITOR_COLS " FROM editors WHERE name = $1",
		NULL, NULL },
	[Q_EDITOR_LIST] = { "editor_list", "SELECT " EDITOR_COLS " FROM editors ORDER BY name",
		NULL, NULL },
	[Q_EDITOR_PASSWORD] = { "editor_password",
		"UPDATE editors SET password_hash = $2, failed_signins = 0, last_failed_at = NULL"
		" WHERE name = $1 RETURNING id", NULL, NULL },
	/* one statement, so two nodes counting at once both count */
	[Q_EDITOR_FAILED] = { "editor_failed",
		"UPDATE editors SET failed_signins = failed_signins + 1, last_failed_at = $2"
		" WHERE id = $1 RETURNING failed_signins", NULL, NULL },
	[Q_EDITOR_SIGNED_IN] = { "editor_signed_in",
		"UPDATE editors SET failed_signins = 0, last_failed_at = NULL, last_signin_at = $2"
		" WHERE id = $1", NULL, NULL },
	[Q_SESSION_ADD] = { "session_add",
		"INSERT INTO editor_sessions (id_hash, editor_id, created_at, expires_at, ip, user_agent)"
		" VALUES ($1, $2, $3, $4, $5, $6)", NULL, NULL },
	[Q_SESSION_GET] = { "session_get",
		"SELECT e.id, e.name, e.email, x.created_at, x.expires_at FROM editor_sessions x"
		" JOIN editors e ON e.id = x.editor_id WHERE x.id_hash = $1 AND x.expires_at > $2",
		NULL, NULL },
	[Q_SESSION_DEL] = { "session_del", "DELETE FROM editor_sessions WHERE id_hash = $1",
		NULL, NULL },
	[Q_SESSION_DEL_EDITOR] = { "session_del_editor",
		"DELETE FROM editor_sessions WHERE editor_id = $1", NULL, NULL },
	[Q_SESSION_PURGE] = { "session_purge",
		"DELETE FROM editor_sessions WHERE expires_at <= $1", NULL, NULL },
	/*
	 * $1 is a midnight: (at - $1) / 86400 is the day's number from it, on
	 * both. Rows about the subscription as a whole (list_id NULL) and about
	 * the list $3 count; a topic list joined or left does not.
	 */
	[Q_AUDIENCE_DAILY] = { "audience_daily",
		"SELECT (at - $1) / 86400,"
		" sum(CASE WHEN action = 'given' THEN 1 ELSE 0 END),"
		" sum(CASE WHEN action = 'confirmed' THEN 1 ELSE 0 END),"
		" sum(CASE WHEN action = 'withdrawn' THEN 1 ELSE 0 END)"
		" FROM consent_events WHERE purpose = 'alerts' AND at >= $1 AND at < $2"
		" AND (list_id IS NULL OR list_id = $3)"
		" GROUP BY 1 ORDER BY 1", NULL, NULL },
	/*
	 * Each alert with its headline, its bounces and the unsubscribes it
	 * caused (store.h says which count). Bounces: permanent failures of
	 * this alert whose address bounced, plus recipients whose consent was
	 * withdrawn by a returned message (now bounced) in the alert's window.
	 * Unsubscribes: other withdrawals by recipients in the window. Both
	 * start from the alert's own rows or the ledger's time index, never
	 * from the whole subscriber table.
	 */
	[Q_ALERT_REPORT] = { "alert_report",
		ALERT_REPORT(SQLITE), ALERT_REPORT(PG), NULL },

	/*
	 * PostgreSQL's import (store/pg_import.c): which of the batch's keys
	 * are stored already, which are suppressed (by key or keyed hash), and
	 * a block of ids, before the rows are COPYed into the tables. Each
	 * array answers with the 1-based positions that matched.
	 *
	 * The lookups are LATERAL ... LIMIT 1, one index probe per key: as
	 * EXISTS the planner hashed the whole subscribers table for every
	 * batch (a 50,000-key array looks big), so each batch cost more than
	 * the last and a million-row import went quadratic.
	 */
	[Q_IMPORT_EXISTING] = { "import_existing", NULL,
		"SELECT u.i FROM unnest($1::text[]) WITH ORDINALITY AS u(k, i)"
		" CROSS JOIN LATERAL (SELECT 1 FROM subscribers s WHERE s.email_key = u.k"
		"  LIMIT 1) f", NULL },
	[Q_IMPORT_SUPPRESSED] = { "import_suppressed", NULL,
		"SELECT u.i FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS u(k, h, i)"
		" CROSS JOIN LATERAL (SELECT 1 FROM suppressions x"
		"  WHERE x.email_key = u.k OR x.key_hash = u.h LIMIT 1) f", NULL },
	/*
	 * The sequence is looked up once, not once per id: as a plain
	 * subquery the planner pulled it up and called
	 * pg_get_serial_sequence for every row (450 ms of a 50,000-id batch,
	 * a tenth of the server's import time); MATERIALIZED keeps it one row.
	 */
	[Q_IMPORT_IDS] = { "import_ids", NULL,
		"WITH q AS MATERIALIZED (SELECT pg_get_serial_sequence('subscribers', 'id')"
		"::regclass AS seq) SELECT nextval(q.seq) FROM q, generate_series(1, $1::integer)",
		NULL },

	/*
	 * The plain-statement import (store/import.c, SQLite's): a batch's
	 * memberships and "given" ledger rows in one statement each, from a
	 * JSON array of the new subscribers' ids, instead of a statement per
	 * row.
	 */
	[Q_IMPORT_MEMBERS] = { "import_members",
		"INSERT INTO memberships (list_id, subscriber_id)"
		" SELECT $1, value FROM json_each($2)",
		"INSERT INTO memberships (list_id, subscriber_id)"
		" SELECT $1, e.v::bigint FROM json_array_elements_text($2::json) AS e(v)", NULL },
	[Q_IMPORT_JOINER] = { "import_joiner",
		"SELECT s.id FROM subscribers s WHERE s.email_key = $1 AND s.status = 'confirmed'"
		" AND NOT EXISTS (SELECT 1 FROM memberships m WHERE m.subscriber_id = s.id"
		" AND m.list_id = $2)", NULL, NULL },
	[Q_IMPORT_CONSENT] = { "import_consent",
		"INSERT INTO consent_events (subscriber_id, purpose, action, at, source, list_id)"
		" SELECT value, $2, $5, $3, $4, $6 FROM json_each($1)",
		"INSERT INTO consent_events (subscriber_id, purpose, action, at, source, list_id)"
		" SELECT e.v::bigint, $2, $5, $3, $4, $6::bigint FROM json_array_elements_text($1::json) AS e(v)",
		NULL },

	/* ---- leaving and privacy: lists.c, bounces.c, deliveries.c, suppress.c, privacy.c ---- */
	[Q_LISTS_OF] = { "lists_of",
		"SELECT l.id, l.name, CASE WHEN EXISTS (SELECT 1 FROM memberships m"
		"  WHERE m.list_id = l.id AND m.subscriber_id = $1) THEN 1 ELSE 0 END"
		" FROM lists l ORDER BY l.id", NULL, NULL },
	[Q_SUB_SOFT_BOUNCE] = { "sub_soft_bounce",
		"UPDATE subscribers SET soft_bounces = soft_bounces + 1 WHERE id = $1"
		" AND status <> 'erased' RETURNING soft_bounces", NULL, NULL },
	[Q_SUB_SOFT_RESET] = { "sub_soft_reset",
		"UPDATE subscribers SET soft_bounces = 0 WHERE id = $1 AND soft_bounces <> 0",
		NULL, NULL },
	[Q_DELIV_OF] = { "deliv_of",
		"SELECT " DELIV_COLS " FROM deliveries WHERE subscriber_id = $1 ORDER BY alert_id",
		NULL, NULL },
	[Q_SUPP_GET] = { "supp_get",
		"SELECT reason, at, CASE WHEN email_key IS NULL THEN 'keyed-hash' ELSE 'address' END"
		" FROM suppressions WHERE email_key = $1 OR key_hash = $2 ORDER BY id LIMIT 1",
		NULL, NULL },
	[Q_INBOUND_SEEN] = { "inbound_seen",
		"INSERT INTO inbound_seen (hash, kind, at) VALUES ($1, $2, $3)"
		" ON CONFLICT (hash) DO NOTHING", NULL, NULL },
	/*
	 * Unconfirmed for long enough: pending, made before the cutoff, and no
	 * confirmation mail since (a person who left and signed up again is
	 * sent a new one, and waits from then on).
	 */
	[Q_PENDING_OLD] = { "pending_old",
		"SELECT s.id FROM subscribers s WHERE s.status = 'pending' AND s.created_at < $1"
		" AND coalesce(s.confirm_sent_at, 0) < $1 ORDER BY s.id LIMIT $2", NULL, NULL },
	/*
	 * signed up since $1, still pending, never sent a confirmation, not
	 * claimed since $4 (confirm_owed.c)
	 */
	[Q_CONFIRM_UNSENT] = { "confirm_unsent",
		"SELECT " SUB_COLS ", NULL FROM subscribers s WHERE s.status = 'pending'"
		" AND s.created_at >= $1 AND s.confirm_sent_at IS NULL AND" MAILABLE("s")
		" AND coalesce(s.confirm_claimed_at, 0) < $4 AND s.id > $2"
		" ORDER BY s.id LIMIT $3", NULL, NULL },
	/* action_links.c: the emailed links, one per subscriber and purpose */
	[Q_LINK_GET] = { "link_get",
		"SELECT nonce, created_at, expires_at FROM action_links"
		" WHERE subscriber_id = $1 AND purpose = $2", NULL, NULL },
	[Q_LINK_PUT] = { "link_put",
		"INSERT INTO action_links (subscriber_id, purpose, nonce, created_at, expires_at)"
		" VALUES ($1, $2, $3, $4, $5) ON CONFLICT (subscriber_id, purpose) DO UPDATE"
		" SET nonce = excluded.nonce, created_at = excluded.created_at,"
		" expires_at = excluded.expires_at", NULL, NULL },
	[Q_LINK_USE] = { "link_use",
		"DELETE FROM action_links WHERE subscriber_id = $1 AND purpose = $2 AND nonce = $3"
		" AND expires_at > $4", NULL, NULL },
	[Q_LINK_DEL_SUB] = { "link_del_sub", "DELETE FROM action_links WHERE subscriber_id = $1",
		NULL, NULL },
	/* schema.c: rows made before version 6 get their key_hash */
	[Q_KEYHASH_TODO] = { "keyhash_todo",
		"SELECT id, email_key FROM subscribers WHERE id > $1 AND key_hash IS NULL"
		" AND email_key IS NOT NULL ORDER BY id LIMIT $2", NULL, NULL },
	[Q_KEYHASH_SET] = { "keyhash_set", "UPDATE subscribers SET key_hash = $2 WHERE id = $1",
		NULL, NULL },
	/* confirm_owed.c: confirmation mails per mailbox, for the cap */
	[Q_CONFIRM_SENDS] = { "confirm_sends",
		"SELECT count(*) FROM confirm_sends WHERE mailbox_hash = $1 AND at > $2", NULL, NULL },
	[Q_CONFIRM_SEND_ADD] = { "confirm_send_add",
		"INSERT INTO confirm_sends (mailbox_hash, at) VALUES ($1, $2)", NULL, NULL },
	[Q_CONFIRM_SENDS_OLD] = { "confirm_sends_old",
		"DELETE FROM confirm_sends WHERE mailbox_hash = $1 AND at <= $2", NULL, NULL },
	[Q_CONFIRM_WITHHOLD] = { "confirm_withhold",
		"UPDATE subscribers SET confirm_claimed_at = $2 WHERE id = $1 AND status = 'pending'"
		" AND confirm_sent_at IS NULL", NULL, NULL },
	[Q_CONFIRM_CLAIM] = { "confirm_claim",
		"UPDATE subscribers SET confirm_claimed_at = $2 WHERE id = $1 AND status = 'pending'"
		" AND confirm_sent_at IS NULL AND coalesce(confirm_claimed_at, 0) < $3", NULL, NULL },

	/* reached.c: one row per alert and part (a shard's no, or -1: retries) */
	[Q_REACHED_GET] = { "reached_get",
		"SELECT ids FROM alert_reached WHERE alert_id = $1 AND part = $2", NULL, NULL },
	[Q_REACHED_LOCK] = { "reached_lock",
		"SELECT ids FROM alert_reached WHERE alert_id = $1 AND part = $2",
		"SELECT ids FROM alert_reached WHERE alert_id = $1 AND part = $2 FOR UPDATE", NULL },
	[Q_REACHED_PUT] = { "reached_put",
		"INSERT INTO alert_reached (alert_id, part, ids, count) VALUES ($1, $2, $3, $4)"
		" ON CONFLICT (alert_id, part) DO UPDATE SET ids = excluded.ids, count = excluded.count",
		NULL, NULL },
	[Q_REACHED_MAKE] = { "reached_make",
		"INSERT INTO alert_reached (alert_id, part, ids, count) VALUES ($1, $2, $3, $4)"
		" ON CONFLICT (alert_id, part) DO NOTHING", NULL, NULL },
	[Q_REACHED_ALL] = { "reached_all",
		"SELECT part, ids FROM alert_reached WHERE alert_id = $1 ORDER BY part", NULL, NULL },
	[Q_REACHED_COUNT] = { "reached_count",
		"SELECT coalesce(sum(count), 0) FROM alert_reached WHERE alert_id = $1", NULL, NULL },
	/* every alert's sent count added up: what /metrics reports */
	[Q_SENT_TOTAL] = { "sent_total",
		"SELECT (SELECT coalesce(sum(sent), 0) FROM alert_shards)"
		" + (SELECT coalesce(sum(retry_sent), 0) FROM alerts)", NULL, NULL },
	[Q_SHARD_RELEASE] = { "shard_release",
		"UPDATE alert_shards SET lease_owner = NULL, lease_expiry = NULL"
		" WHERE id = $1 AND lease_owner = $2 AND state = 'running'", NULL, NULL },
	[Q_ALERT_RESUME] = { "alert_resume",
		"UPDATE alerts SET state = 'sending', finished_at = NULL,"
		" started_at = coalesce(started_at, $2) WHERE id = $1 AND state = 'cancelled'",
		NULL, NULL },
	[Q_ALERT_EVENT_ADD] = { "alert_event_add",
		"INSERT INTO alert_events (alert_id, at, action, who) VALUES ($1, $2, $3, $4)",
		NULL, NULL },
	[Q_ALERT_EVENTS] = { "alert_events",
		"SELECT at, action, who FROM alert_events WHERE alert_id = $1 ORDER BY id", NULL, NULL },
	/* outgoing webhooks */
	[Q_HOOK_ADD] = { "hook_add", HOOK_ADD " RETURNING id", NULL, HOOK_ADD },
	[Q_HOOK_GET] = { "hook_get", "SELECT " HOOK_COLS ", " HOOK_BACKLOG
		" FROM webhook_endpoints e WHERE e.id = $1", NULL, NULL },
	[Q_HOOK_LIST] = { "hook_list", "SELECT " HOOK_COLS ", " HOOK_BACKLOG
		" FROM webhook_endpoints e ORDER BY e.id", NULL, NULL },
	[Q_HOOK_DEL] = { "hook_del", "DELETE FROM webhook_endpoints WHERE id = $1", NULL, NULL },
	/* the cursor goes back to just before the first event at or after $2, never forward */
	[Q_HOOK_REPLAY] = { "hook_replay",
		"UPDATE webhook_endpoints SET cursor = min(cursor, (SELECT coalesce(max(id), 0)"
		" FROM webhook_events WHERE at < $2)), attempts = 0, next_at = 0,"
		" failing_since = NULL, disabled_at = NULL WHERE id = $1",
		"UPDATE webhook_endpoints SET cursor = least(cursor, (SELECT coalesce(max(id), 0)"
		" FROM webhook_events WHERE at < $2)), attempts = 0, next_at = 0,"
		" failing_since = NULL, disabled_at = NULL WHERE id = $1", NULL },
	/* PostgreSQL through the triggers' function, which keeps ids in commit order */
	[Q_HOOK_RECORD] = { "hook_record",
		"INSERT INTO webhook_events (type, bit, at, subscriber_id, alert_id, detail)"
		" SELECT $1, $2, CAST(strftime('%s', 'now') AS INTEGER), $3, $4, $5"
		" WHERE EXISTS (SELECT 1 FROM webhook_endpoints w WHERE (w.events & $2) <> 0)",
		"SELECT webhook_record($1, $2, $3, $4, $5)", NULL },
	/* a read first, outside any transaction: most polls find nothing and take no write lock */
	[Q_HOOK_DUE] = { "hook_due", "SELECT count(*) FROM (SELECT 1 FROM webhook_endpoints e"
		" WHERE e.disabled_at IS NULL AND e.next_at <= $1"
		" AND (e.lease_expiry IS NULL OR e.lease_expiry <= $1) AND " HOOK_WAITING " LIMIT 1) d",
		NULL, NULL },
	[Q_HOOK_CLAIM] = { "hook_claim", HOOK_CLAIM(""), HOOK_CLAIM(" FOR UPDATE OF e SKIP LOCKED"),
		NULL },
	/* the address only when asked for, and never an erased subscriber's */
	[Q_HOOK_NEXT] = { "hook_next",
		"SELECT v.id, v.bit, v.at, v.subscriber_id, v.alert_id,"
		" (SELECT a.article_id FROM alerts a WHERE a.id = v.alert_id), v.type, v.detail,"
		" CASE WHEN $3 = 1 THEN (SELECT s.email FROM subscribers s WHERE s.id = v.subscriber_id"
		"  AND s.status <> 'erased') END"
		" FROM webhook_events v WHERE v.id > $1 AND (v.bit & $2) <> 0 ORDER BY v.id LIMIT $4",
		NULL, NULL },
	[Q_HOOK_DONE] = { "hook_done",
		"UPDATE webhook_endpoints SET cursor = $3, attempts = 0, failing_since = NULL,"
		" last_at = $5, last_status = $4, last_error = NULL, lease_expiry = $6"
		" WHERE id = $1 AND lease_owner = $2", NULL, NULL },
	[Q_HOOK_FAILED] = { "hook_failed",
		"UPDATE webhook_endpoints SET attempts = attempts + 1, next_at = $6,"
		" failing_since = coalesce(failing_since, $5), last_at = $5, last_status = $3,"
		" last_error = $4, lease_owner = NULL, lease_expiry = NULL,"
		" disabled_at = CASE WHEN coalesce(failing_since, $5) <= $5 - $7 THEN $5 END"
		" WHERE id = $1 AND lease_owner = $2 RETURNING coalesce(disabled_at, 0)", NULL, NULL },
	[Q_HOOK_RELEASE] = { "hook_release",
		"UPDATE webhook_endpoints SET lease_owner = NULL, lease_expiry = NULL"
		" WHERE id = $1 AND lease_owner = $2", NULL, NULL },
	[Q_HOOK_PRUNE] = { "hook_prune",
		"DELETE FROM webhook_events WHERE at < $1 AND id <= (SELECT coalesce(min(cursor),"
		" (SELECT max(id) FROM webhook_events)) FROM webhook_endpoints"
		" WHERE disabled_at IS NULL)", NULL, NULL },
};
