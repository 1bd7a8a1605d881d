/*
 * store/schema.c - the versioned schema, in both dialects side by side
 *
 * Owns: the migrations and the one procedure that applies them. Each
 * version is a script per dialect; the two say the same thing and differ
 * only where the databases do (identity columns, WITHOUT ROWID, trigger
 * languages, how to read the clock). A schema_version table records what
 * was applied and when.
 *
 * Applying is safe twice and from two processes at once: everything runs in
 * one write transaction that first takes a lock (SQLite: BEGIN IMMEDIATE,
 * the database's single writer lock; PostgreSQL: pg_advisory_xact_lock), and
 * only then reads the version. The loser of the race waits, then finds
 * nothing left to do.
 *
 * CHECK constraints are written as OR chains, never IN lists: SQLite
 * evaluates IN with three or more values by building a temporary B-tree on
 * every row written, which was a third of the cost of an import.
 *
 * Times are unix seconds in integer columns on both, so the same statements
 * read the same values everywhere. consent_events is append-only, enforced by
 * triggers; the one change they allow is blanking ip and user_agent, which an
 * erasure must do.
 */
#include <stdio.h>
#include <stdlib.h>

#include "store_internal.h"

#define KEYHASH_PAGE 1000	/* rows given their key_hash per statement (version 6) */

static const char bootstrap[] =
	"CREATE TABLE IF NOT EXISTS schema_version ("
	" version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)";

static const char sqlite_v1[] =
	"CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);\n"
	"CREATE TABLE subscribers (\n"
	" id INTEGER PRIMARY KEY,\n"
	" email TEXT, email_key TEXT UNIQUE, email_display TEXT, name TEXT,\n"
	" status TEXT NOT NULL CHECK (status = 'pending' OR status = 'confirmed'"
	"  OR status = 'unsubscribed' OR status = 'bounced' OR status = 'erased'),\n"
	" created_at INTEGER NOT NULL, confirmed_at INTEGER, confirm_sent_at INTEGER,\n"
	" token_salt TEXT NOT NULL,\n"
	" marketing INTEGER NOT NULL DEFAULT 0 CHECK (marketing = 0 OR marketing = 1),\n"
	" CHECK (status = 'erased' OR (email IS NOT NULL AND email_key IS NOT NULL)));\n"
	"CREATE TABLE lists (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
	" created_at INTEGER NOT NULL);\n"
	"INSERT INTO lists (name, created_at)"
	" VALUES ('breaking-news', CAST(strftime('%s', 'now') AS INTEGER));\n"
	"CREATE TABLE memberships (\n"
	" list_id INTEGER NOT NULL REFERENCES lists (id),\n"
	" subscriber_id INTEGER NOT NULL REFERENCES subscribers (id),\n"
	" PRIMARY KEY (list_id, subscriber_id)) WITHOUT ROWID;\n"
	"CREATE TABLE consent_events (\n"
	" id INTEGER PRIMARY KEY,\n"
	" subscriber_id INTEGER NOT NULL REFERENCES subscribers (id),\n"
	" purpose TEXT NOT NULL CHECK (purpose = 'alerts' OR purpose = 'marketing'),\n"
	" action TEXT NOT NULL CHECK (action = 'given' OR action = 'withdrawn'"
	"  OR action = 'confirmed'),\n"
	" at INTEGER NOT NULL, source TEXT NOT NULL, ip TEXT, user_agent TEXT,\n"
	" wording_version TEXT, wording_hash TEXT);\n"
	"CREATE INDEX consent_events_subscriber ON consent_events (subscriber_id);\n"
	"CREATE TRIGGER consent_events_no_delete BEFORE DELETE ON consent_events\n"
	" BEGIN SELECT RAISE(ABORT, 'consent_events is append-only'); END;\n"
	"CREATE TRIGGER consent_events_no_update BEFORE UPDATE ON consent_events\n"
	" WHEN NEW.id IS NOT OLD.id OR NEW.subscriber_id IS NOT OLD.subscriber_id\n"
	"  OR NEW.purpose IS NOT OLD.purpose OR NEW.action IS NOT OLD.action\n"
	"  OR NEW.at IS NOT OLD.at OR NEW.source IS NOT OLD.source\n"
	"  OR NEW.wording_version IS NOT OLD.wording_version\n"
	"  OR NEW.wording_hash IS NOT OLD.wording_hash\n"
	"  OR (NEW.ip IS NOT NULL AND NEW.ip IS NOT OLD.ip)\n"
	"  OR (NEW.user_agent IS NOT NULL AND NEW.user_agent IS NOT OLD.user_agent)\n"
	" BEGIN SELECT RAISE(ABORT, 'consent_events is append-only'); END;\n"
	"CREATE TABLE articles (\n"
	" id INTEGER PRIMARY KEY, slug TEXT, headline TEXT NOT NULL, standfirst TEXT,\n"
	" body_html TEXT, body_text TEXT, byline TEXT, url TEXT, published_at INTEGER,\n"
	" images TEXT, topics TEXT, breaking INTEGER NOT NULL DEFAULT 0,\n"
	" created_at INTEGER NOT NULL);\n"
	"CREATE TABLE alerts (\n"
	" id INTEGER PRIMARY KEY,\n"
	" article_id INTEGER NOT NULL REFERENCES articles (id),\n"
	" list_id INTEGER NOT NULL REFERENCES lists (id),\n"
	" state TEXT NOT NULL CHECK (state = 'queued' OR state = 'sending' OR state = 'done'"
	"  OR state = 'cancelled'),\n"
	" total INTEGER NOT NULL DEFAULT 0, retry_sent INTEGER NOT NULL DEFAULT 0,\n"
	" created_at INTEGER NOT NULL, started_at INTEGER, finished_at INTEGER);\n"
	"CREATE TABLE alert_shards (\n"
	" id INTEGER PRIMARY KEY,\n"
	" alert_id INTEGER NOT NULL REFERENCES alerts (id),\n"
	" no INTEGER NOT NULL, lo INTEGER NOT NULL, hi INTEGER NOT NULL,\n"
	" cursor INTEGER NOT NULL, lease_owner TEXT, lease_expiry INTEGER,\n"
	" state TEXT NOT NULL CHECK (state = 'queued' OR state = 'running' OR state = 'done'),\n"
	" sent INTEGER NOT NULL DEFAULT 0, failed INTEGER NOT NULL DEFAULT 0,\n"
	" UNIQUE (alert_id, no));\n"
	"CREATE INDEX alert_shards_todo ON alert_shards (alert_id, no) WHERE state <> 'done';\n"
	"CREATE TABLE deliveries (\n"
	" alert_id INTEGER NOT NULL REFERENCES alerts (id),\n"
	" subscriber_id INTEGER NOT NULL REFERENCES subscribers (id),\n"
	" kind TEXT NOT NULL CHECK (kind = 'temp' OR kind = 'perm'),\n"
	" attempts INTEGER NOT NULL DEFAULT 1, next_attempt_at INTEGER, reply TEXT,\n"
	" PRIMARY KEY (alert_id, subscriber_id)) WITHOUT ROWID;\n"
	"CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE kind = 'temp';\n"
	"CREATE INDEX deliveries_subscriber ON deliveries (subscriber_id);\n"
	"CREATE TABLE suppressions (\n"
	" id INTEGER PRIMARY KEY, email_key TEXT UNIQUE, key_hash TEXT UNIQUE,\n"
	" reason TEXT NOT NULL, at INTEGER NOT NULL,\n"
	" CHECK ((email_key IS NULL) <> (key_hash IS NULL)));\n"
	"CREATE TABLE api_keys (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
	" hash TEXT NOT NULL UNIQUE, created_at INTEGER NOT NULL);\n";

static const char pg_v1[] =
	"CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);\n"
	"CREATE TABLE subscribers (\n"
	" id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,\n"
	" email TEXT, email_key TEXT UNIQUE, email_display TEXT, name TEXT,\n"
	" status TEXT NOT NULL CHECK (status = 'pending' OR status = 'confirmed'"
	"  OR status = 'unsubscribed' OR status = 'bounced' OR status = 'erased'),\n"
	" created_at BIGINT NOT NULL, confirmed_at BIGINT, confirm_sent_at BIGINT,\n"
	" token_salt TEXT NOT NULL,\n"
	" marketing INTEGER NOT NULL DEFAULT 0 CHECK (marketing = 0 OR marketing = 1),\n"
	" CHECK (status = 'erased' OR (email IS NOT NULL AND email_key IS NOT NULL)));\n"
	"CREATE TABLE lists (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
	" name TEXT NOT NULL UNIQUE, created_at BIGINT NOT NULL);\n"
	"INSERT INTO lists (name, created_at)"
	" VALUES ('breaking-news', CAST(extract(epoch FROM now()) AS BIGINT));\n"
	"CREATE TABLE memberships (\n"
	" list_id BIGINT NOT NULL REFERENCES lists (id),\n"
	" subscriber_id BIGINT NOT NULL REFERENCES subscribers (id),\n"
	" PRIMARY KEY (list_id, subscriber_id));\n"
	"CREATE TABLE consent_events (\n"
	" id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,\n"
	" subscriber_id BIGINT NOT NULL REFERENCES subscribers (id),\n"
	" purpose TEXT NOT NULL CHECK (purpose = 'alerts' OR purpose = 'marketing'),\n"
	" action TEXT NOT NULL CHECK (action = 'given' OR action = 'withdrawn'"
	"  OR action = 'confirmed'),\n"
	" at BIGINT NOT NULL, source TEXT NOT NULL, ip TEXT, user_agent TEXT,\n"
	" wording_version TEXT, wording_hash TEXT);\n"
	"CREATE INDEX consent_events_subscriber ON consent_events (subscriber_id);\n"
	"CREATE FUNCTION consent_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$\n"
	"BEGIN\n"
	" IF TG_OP = 'DELETE'\n"
	"  OR NEW.id IS DISTINCT FROM OLD.id OR NEW.subscriber_id IS DISTINCT FROM OLD.subscriber_id\n"
	"  OR NEW.purpose IS DISTINCT FROM OLD.purpose OR NEW.action IS DISTINCT FROM OLD.action\n"
	"  OR NEW.at IS DISTINCT FROM OLD.at OR NEW.source IS DISTINCT FROM OLD.source\n"
	"  OR NEW.wording_version IS DISTINCT FROM OLD.wording_version\n"
	"  OR NEW.wording_hash IS DISTINCT FROM OLD.wording_hash\n"
	"  OR (NEW.ip IS NOT NULL AND NEW.ip IS DISTINCT FROM OLD.ip)\n"
	"  OR (NEW.user_agent IS NOT NULL AND NEW.user_agent IS DISTINCT FROM OLD.user_agent)\n"
	" THEN\n"
	"  RAISE EXCEPTION 'consent_events is append-only';\n"
	" END IF;\n"
	" RETURN NEW;\n"
	"END $$;\n"
	"CREATE TRIGGER consent_events_append_only BEFORE UPDATE OR DELETE ON consent_events\n"
	" FOR EACH ROW EXECUTE FUNCTION consent_events_append_only();\n"
	"CREATE TABLE articles (\n"
	" id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, slug TEXT,\n"
	" headline TEXT NOT NULL, standfirst TEXT, body_html TEXT, body_text TEXT,\n"
	" byline TEXT, url TEXT, published_at BIGINT, images TEXT, topics TEXT,\n"
	" breaking INTEGER NOT NULL DEFAULT 0, created_at BIGINT NOT NULL);\n"
	"CREATE TABLE alerts (\n"
	" id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,\n"
	" article_id BIGINT NOT NULL REFERENCES articles (id),\n"
	" list_id BIGINT NOT NULL REFERENCES lists (id),\n"
	" state TEXT NOT NULL CHECK (state = 'queued' OR state = 'sending' OR state = 'done'"
	"  OR state = 'cancelled'),\n"
	" total BIGINT NOT NULL DEFAULT 0, retry_sent BIGINT NOT NULL DEFAULT 0,\n"
	" created_at BIGINT NOT NULL, started_at BIGINT, finished_at BIGINT);\n"
	"CREATE TABLE alert_shards (\n"
	" id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,\n"
	" alert_id BIGINT NOT NULL REFERENCES alerts (id),\n"
	" no INTEGER NOT NULL, lo BIGINT NOT NULL, hi BIGINT NOT NULL,\n"
	" cursor BIGINT NOT NULL, lease_owner TEXT, lease_expiry BIGINT,\n"
	" state TEXT NOT NULL CHECK (state = 'queued' OR state = 'running' OR state = 'done'),\n"
	" sent BIGINT NOT NULL DEFAULT 0, failed BIGINT NOT NULL DEFAULT 0,\n"
	" UNIQUE (alert_id, no));\n"
	"CREATE INDEX alert_shards_todo ON alert_shards (alert_id, no) WHERE state <> 'done';\n"
	"CREATE TABLE deliveries (\n"
	" alert_id BIGINT NOT NULL REFERENCES alerts (id),\n"
	" subscriber_id BIGINT NOT NULL REFERENCES subscribers (id),\n"
	" kind TEXT NOT NULL CHECK (kind = 'temp' OR kind = 'perm'),\n"
	" attempts INTEGER NOT NULL DEFAULT 1, next_attempt_at BIGINT, reply TEXT,\n"
	" PRIMARY KEY (alert_id, subscriber_id));\n"
	"CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE kind = 'temp';\n"
	"CREATE INDEX deliveries_subscriber ON deliveries (subscriber_id);\n"
	"CREATE TABLE suppressions (\n"
	" id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,\n"
	" email_key TEXT UNIQUE, key_hash TEXT UNIQUE,\n"
	" reason TEXT NOT NULL, at BIGINT NOT NULL,\n"
	" CHECK ((email_key IS NULL) <> (key_hash IS NULL)));\n"
	"CREATE TABLE api_keys (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
	" name TEXT NOT NULL UNIQUE, hash TEXT NOT NULL UNIQUE, created_at BIGINT NOT NULL);\n";

/*
 * Version 2: leaving and privacy (issue 10).
 *  - subscribers.soft_bounces: soft bounces in a row (a delivered DSN or a
 *    new confirmation starts again from 0); at the limit, suppression.
 *  - consent_events.list_id: which list a given/withdrawn row is about
 *    when the preference centre changes one membership (NULL: the
 *    subscription as a whole). The append-only rule now covers it too.
 *  - inbound_seen: a keyed hash of each processed inbound message's
 *    Message-ID (or of its bytes), so a bounce is acted on once.
 *  - an index for purging unconfirmed signups by age.
 */
static const char sqlite_v2[] =
	"ALTER TABLE subscribers ADD COLUMN soft_bounces INTEGER NOT NULL DEFAULT 0;\n"
	"ALTER TABLE consent_events ADD COLUMN list_id INTEGER REFERENCES lists (id);\n"
	"DROP TRIGGER consent_events_no_update;\n"
	"CREATE TRIGGER consent_events_no_update BEFORE UPDATE ON consent_events\n"
	" WHEN NEW.id IS NOT OLD.id OR NEW.subscriber_id IS NOT OLD.subscriber_id\n"
	"  OR NEW.purpose IS NOT OLD.purpose OR NEW.action IS NOT OLD.action\n"
	"  OR NEW.at IS NOT OLD.at OR NEW.source IS NOT OLD.source\n"
	"  OR NEW.wording_version IS NOT OLD.wording_version\n"
	"  OR NEW.wording_hash IS NOT OLD.wording_hash OR NEW.list_id IS NOT OLD.list_id\n"
	"  OR (NEW.ip IS NOT NULL AND NEW.ip IS NOT OLD.ip)\n"
	"  OR (NEW.user_agent IS NOT NULL AND NEW.user_agent IS NOT OLD.user_agent)\n"
	" BEGIN SELECT RAISE(ABORT, 'consent_events is append-only'); END;\n"
	"CREATE TABLE inbound_seen (hash TEXT PRIMARY KEY, kind TEXT NOT NULL,"
	" at INTEGER NOT NULL) WITHOUT ROWID;\n"
	"CREATE INDEX subscribers_pending ON subscribers (created_at) WHERE status = 'pending';\n";

static const char pg_v2[] =
	"ALTER TABLE subscribers ADD COLUMN soft_bounces INTEGER NOT NULL DEFAULT 0;\n"
	"ALTER TABLE consent_events ADD COLUMN list_id BIGINT REFERENCES lists (id);\n"
	"CREATE OR REPLACE FUNCTION consent_events_append_only() RETURNS trigger"
	" LANGUAGE plpgsql AS $$\n"
	"BEGIN\n"
	" IF TG_OP = 'DELETE'\n"
	"  OR NEW.id IS DISTINCT FROM OLD.id OR NEW.subscriber_id IS DISTINCT FROM OLD.subscriber_id\n"
	"  OR NEW.purpose IS DISTINCT FROM OLD.purpose OR NEW.action IS DISTINCT FROM OLD.action\n"
	"  OR NEW.at IS DISTINCT FROM OLD.at OR NEW.source IS DISTINCT FROM OLD.source\n"
	"  OR NEW.wording_version IS DISTINCT FROM OLD.wording_version\n"
	"  OR NEW.wording_hash IS DISTINCT FROM OLD.wording_hash\n"
	"  OR NEW.list_id IS DISTINCT FROM OLD.list_id\n"
	"  OR (NEW.ip IS NOT NULL AND NEW.ip IS DISTINCT FROM OLD.ip)\n"
	"  OR (NEW.user_agent IS NOT NULL AND NEW.user_agent IS DISTINCT FROM OLD.user_agent)\n"
	" THEN\n"
	"  RAISE EXCEPTION 'consent_events is append-only';\n"
	" END IF;\n"
	" RETURN NEW;\n"
	"END $$;\n"
	"CREATE TABLE inbound_seen (hash TEXT PRIMARY KEY, kind TEXT NOT NULL, at BIGINT NOT NULL);\n"
	"CREATE INDEX subscribers_pending ON subscribers (created_at) WHERE status = 'pending';\n";

/*
 * Version 3: the newsroom's editors and their sign-in sessions, and an index on
 * the ledger's time for the audience chart and the unsubscribes that
 * follow an alert. A session is stored by the SHA-256 of its cookie value
 * only; failed sign-ins are counted per editor so the growing delay holds
 * across restarts and across nodes.
 */
static const char sqlite_v3[] =
	"CREATE TABLE editors (\n"
	" id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, email TEXT,\n"
	" password_hash TEXT NOT NULL, created_at INTEGER NOT NULL,\n"
	" failed_signins INTEGER NOT NULL DEFAULT 0, last_failed_at INTEGER,\n"
	" last_signin_at INTEGER);\n"
	"CREATE TABLE editor_sessions (\n"
	" id_hash TEXT PRIMARY KEY,\n"
	" editor_id INTEGER NOT NULL REFERENCES editors (id),\n"
	" created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL,\n"
	" ip TEXT, user_agent TEXT) WITHOUT ROWID;\n"
	"CREATE INDEX editor_sessions_editor ON editor_sessions (editor_id);\n"
	"CREATE INDEX editor_sessions_expiry ON editor_sessions (expires_at);\n"
	"CREATE INDEX consent_events_at ON consent_events (at);\n";

static const char pg_v3[] =
	"CREATE TABLE editors (\n"
	" id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,\n"
	" name TEXT NOT NULL UNIQUE, email TEXT,\n"
	" password_hash TEXT NOT NULL, created_at BIGINT NOT NULL,\n"
	" failed_signins BIGINT NOT NULL DEFAULT 0, last_failed_at BIGINT,\n"
	" last_signin_at BIGINT);\n"
	"CREATE TABLE editor_sessions (\n"
	" id_hash TEXT PRIMARY KEY,\n"
	" editor_id BIGINT NOT NULL REFERENCES editors (id),\n"
	" created_at BIGINT NOT NULL, expires_at BIGINT NOT NULL,\n"
	" ip TEXT, user_agent TEXT);\n"
	"CREATE INDEX editor_sessions_editor ON editor_sessions (editor_id);\n"
	"CREATE INDEX editor_sessions_expiry ON editor_sessions (expires_at);\n"
	"CREATE INDEX consent_events_at ON consent_events (at);\n";

/*
 * Version 4: an alert's audience is a set of lists (issue 9, topic alerts):
 * breaking-news and the lists named by the article's topics. alert_lists
 * holds them; alerts.list_id stays as the first of them (breaking-news for
 * a breaking story), so single-list code and reports keep their meaning.
 * Every alert made before gets its one list here.
 */
static const char sqlite_v4[] =
	"CREATE TABLE alert_lists (\n"
	" alert_id INTEGER NOT NULL REFERENCES alerts (id),\n"
	" list_id INTEGER NOT NULL REFERENCES lists (id),\n"
	" PRIMARY KEY (alert_id, list_id)) WITHOUT ROWID;\n"
	"INSERT INTO alert_lists (alert_id, list_id) SELECT id, list_id FROM alerts;\n";

static const char pg_v4[] =
	"CREATE TABLE alert_lists (\n"
	" alert_id BIGINT NOT NULL REFERENCES alerts (id),\n"
	" list_id BIGINT NOT NULL REFERENCES lists (id),\n"
	" PRIMARY KEY (alert_id, list_id));\n"
	"INSERT INTO alert_lists (alert_id, list_id) SELECT id, list_id FROM alerts;\n";

/*
 * Version 5: confirm_claimed_at, when a serve process last took on a
 * confirmation still owed (store/confirm_owed.c): several processes sharing a
 * database each look for those at start and every lease, and a claim keeps
 * each to one of them.
 */
static const char sqlite_v5[] = "ALTER TABLE subscribers ADD COLUMN confirm_claimed_at INTEGER;\n";
static const char pg_v5[] = "ALTER TABLE subscribers ADD COLUMN confirm_claimed_at BIGINT;\n";

/*
 * Version 6: hardening against mail-bombing and links that grant too much.
 *  - subscribers.key_hash: the keyed hash of email_key (as an erasure's
 *    suppression keeps it), so the audience queries see that suppression
 *    for a row made again for an erased address. Filled for older rows by
 *    fill_key_hashes below; emptied by an erasure.
 *  - confirm_sends: when a confirmation mail went to a mailbox (the keyed
 *    hash of the key with any +tag folded away), for the cap on how many
 *    one mailbox gets in a window; rows older than the window go.
 *  - action_links: the one live emailed link of each purpose (export,
 *    erase, resubscribe) per subscriber: its random nonce is part of the
 *    link's HMAC, and using the link deletes it (single use).
 */
static const char sqlite_v6[] =
	"ALTER TABLE subscribers ADD COLUMN key_hash TEXT;\n"
	"CREATE TABLE confirm_sends (id INTEGER PRIMARY KEY, mailbox_hash TEXT NOT NULL,"
	" at INTEGER NOT NULL);\n"
	"CREATE INDEX confirm_sends_mailbox ON confirm_sends (mailbox_hash, at);\n"
	"CREATE TABLE action_links (\n"
	" subscriber_id INTEGER NOT NULL REFERENCES subscribers (id),\n"
	" purpose TEXT NOT NULL, nonce TEXT NOT NULL,\n"
	" created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL,\n"
	" PRIMARY KEY (subscriber_id, purpose)) WITHOUT ROWID;\n";

static const char pg_v6[] =
	"ALTER TABLE subscribers ADD COLUMN key_hash TEXT;\n"
	"CREATE TABLE confirm_sends (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
	" mailbox_hash TEXT NOT NULL, at BIGINT NOT NULL);\n"
	"CREATE INDEX confirm_sends_mailbox ON confirm_sends (mailbox_hash, at);\n"
	"CREATE TABLE action_links (\n"
	" subscriber_id BIGINT NOT NULL REFERENCES subscribers (id),\n"
	" purpose TEXT NOT NULL, nonce TEXT NOT NULL,\n"
	" created_at BIGINT NOT NULL, expires_at BIGINT NOT NULL,\n"
	" PRIMARY KEY (subscriber_id, purpose));\n";

/*
 * Version 7: an alert whose shards are all worked but some of whose
 * recipients still wait for a retry is 'retrying', not 'done': done means
 * every recipient has a final outcome. SQLite cannot change a CHECK in
 * place, so the table is rebuilt as its documentation describes (a copy
 * under the new definition, the old one dropped, the copy renamed);
 * store_schema_apply turns the foreign keys off around the transaction for
 * that, as the procedure requires. The columns are those of version 1.
 * Alerts already called done while retries wait become retrying.
 */
#define RETRYING_V7 \
	"UPDATE alerts SET state = 'retrying', finished_at = NULL WHERE state = 'done'" \
	" AND EXISTS (SELECT 1 FROM deliveries d WHERE d.alert_id = alerts.id AND d.kind = 'temp');\n"
static const char sqlite_v7[] =
	"CREATE TABLE alerts_v7 (\n"
	" id INTEGER PRIMARY KEY,\n"
	" article_id INTEGER NOT NULL REFERENCES articles (id),\n"
	" list_id INTEGER NOT NULL REFERENCES lists (id),\n"
	" state TEXT NOT NULL CHECK (state = 'queued' OR state = 'sending' OR state = 'done'"
	"  OR state = 'cancelled' OR state = 'retrying'),\n"
	" total INTEGER NOT NULL DEFAULT 0, retry_sent INTEGER NOT NULL DEFAULT 0,\n"
	" created_at INTEGER NOT NULL, started_at INTEGER, finished_at INTEGER);\n"
	"INSERT INTO alerts_v7 (id, article_id, list_id, state, total, retry_sent, created_at,"
	" started_at, finished_at) SELECT id, article_id, list_id, state, total, retry_sent,"
	" created_at, started_at, finished_at FROM alerts;\n"
	"DROP TABLE alerts;\n"
	"ALTER TABLE alerts_v7 RENAME TO alerts;\n"
	RETRYING_V7;

static const char pg_v7[] =
	"ALTER TABLE alerts DROP CONSTRAINT alerts_state_check;\n"
	"ALTER TABLE alerts ADD CONSTRAINT alerts_state_check CHECK (state = 'queued'"
	" OR state = 'sending' OR state = 'done' OR state = 'cancelled' OR state = 'retrying');\n"
	RETRYING_V7;

/*
 * Version 8: the reached record and an alert's audit.
 *  - alert_reached: per alert and part (a shard's number; -1 for what
 *    retries delivered), the compressed set of subscriber ids the relay
 *    accepted (store/reached.c) and its size.
 *  - alert_events: who stopped or resumed an alert, and when.
 */
static const char sqlite_v8[] =
	"CREATE TABLE alert_reached (\n"
	" alert_id INTEGER NOT NULL REFERENCES alerts (id),\n"
	" part INTEGER NOT NULL, ids TEXT NOT NULL, count INTEGER NOT NULL,\n"
	" PRIMARY KEY (alert_id, part)) WITHOUT ROWID;\n"
	"CREATE TABLE alert_events (id INTEGER PRIMARY KEY,\n"
	" alert_id INTEGER NOT NULL REFERENCES alerts (id),\n"
	" at INTEGER NOT NULL, action TEXT NOT NULL, who TEXT NOT NULL);\n"
	"CREATE INDEX alert_events_alert ON alert_events (alert_id, id);\n";

static const char pg_v8[] =
	"CREATE TABLE alert_reached (\n"
	" alert_id BIGINT NOT NULL REFERENCES alerts (id),\n"
	" part INTEGER NOT NULL, ids TEXT NOT NULL, count BIGINT NOT NULL,\n"
	" PRIMARY KEY (alert_id, part));\n"
	"CREATE TABLE alert_events (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,\n"
	" alert_id BIGINT NOT NULL REFERENCES alerts (id),\n"
	" at BIGINT NOT NULL, action TEXT NOT NULL, who TEXT NOT NULL);\n"
	"CREATE INDEX alert_events_alert ON alert_events (alert_id, id);\n";

/*
 * Version 9: outgoing webhooks, an outbox.
 *  - webhook_endpoints: where events go (url, the signing secret, the
 *    events wanted as a bit mask: store.h's STORE_HOOK_*), how far each has
 *    got (cursor: every event id at or below it is delivered), its retry
 *    state, its lease (one process delivers to it at a time), and whether
 *    it was disabled after failing for too long.
 *  - webhook_events: the outbox. Rows are written by triggers, so each is
 *    part of the very transaction whose change it reports, whichever code
 *    path made the change (signup, import, inbound, erasure, the engine).
 *    A trigger writes nothing unless an endpoint wants that event. No
 *    address is ever stored here: the deliverer reads it at delivery time,
 *    when an endpoint asked for it and the subscriber is not erased.
 *  - Ordering on PostgreSQL: ids come from a sequence at insert, and two
 *    transactions may commit in the other order, which would let a
 *    deliverer move its cursor past an id not yet visible. The trigger
 *    function takes a transaction-level advisory lock before it inserts,
 *    so event ids commit in id order (SQLite has a single writer anyway).
 *  - An alert dropped in its own transaction (nobody to mail) takes its
 *    alert.queued event with it.
 *  - subscriber.bounced is said once, by whichever comes first: the bounce
 *    suppression (the engine's unknown user, which changes no status, or a
 *    bounce report, which then also sets the status) or, with no such
 *    suppression, the status becoming bounced.
 */
#define HOOK_SUB_BIT(st) "CASE " st " WHEN 'confirmed' THEN 2 WHEN 'unsubscribed' THEN 4" \
	" WHEN 'bounced' THEN 8 WHEN 'erased' THEN 32 ELSE 0 END"
#define HOOK_ALERT_BIT(st) "CASE " st " WHEN 'done' THEN 128 WHEN 'cancelled' THEN 256 ELSE 0 END"
#define HOOK_ENDPOINTS(type, id, at) \
	"CREATE TABLE webhook_endpoints (\n" \
	" id " id ", url TEXT NOT NULL, secret TEXT NOT NULL,\n" \
	" events " type " NOT NULL, include_email INTEGER NOT NULL DEFAULT 0,\n" \
	" created_at " at " NOT NULL, cursor " type " NOT NULL DEFAULT 0,\n" \
	" attempts INTEGER NOT NULL DEFAULT 0, next_at " at " NOT NULL DEFAULT 0,\n" \
	" failing_since " at ", last_at " at ", last_status INTEGER, last_error TEXT,\n" \
	" disabled_at " at ", lease_owner TEXT, lease_expiry " at ");\n" \
	"CREATE TABLE webhook_events (\n" \
	" id " id ", type TEXT NOT NULL, bit " type " NOT NULL,\n" \
	" at " at " NOT NULL, subscriber_id " type ", alert_id " type ",\n" \
	" detail TEXT);\n" \
	"CREATE INDEX webhook_events_at ON webhook_events (at);\n"
/* a bounce suppression of the subscriber's address exists: it said subscriber.bounced already */
#define HOOK_BOUNCE_SUPPRESSED "EXISTS (SELECT 1 FROM suppressions x" \
	" WHERE x.email_key = NEW.email_key AND (x.reason = 'bounce' OR x.reason = 'soft-bounce'))"
#define HOOK_WANTS(bit) "EXISTS (SELECT 1 FROM webhook_endpoints w WHERE (w.events & (" bit ")) <> 0)"
#define HOOK_SQLITE_ADD(type, bit, sub, alert, detail) \
	" BEGIN INSERT INTO webhook_events (type, bit, at, subscriber_id, alert_id, detail)" \
	" VALUES (" type ", " bit ", CAST(strftime('%s', 'now') AS INTEGER), " sub ", " alert \
	", " detail "); END;\n"
static const char sqlite_v9[] =
	HOOK_ENDPOINTS("INTEGER", "INTEGER PRIMARY KEY", "INTEGER")
	"CREATE TRIGGER webhook_sub_created AFTER INSERT ON subscribers WHEN " HOOK_WANTS("1") "\n"
	HOOK_SQLITE_ADD("'subscriber.created'", "1", "NEW.id", "NULL", "NEW.status")
	"CREATE TRIGGER webhook_sub_status AFTER UPDATE OF status ON subscribers\n"
	" WHEN NEW.status <> OLD.status AND NOT (NEW.status = 'bounced' AND " HOOK_BOUNCE_SUPPRESSED ")\n"
	"  AND " HOOK_WANTS(HOOK_SUB_BIT("NEW.status")) "\n"
	HOOK_SQLITE_ADD("'subscriber.' || NEW.status", HOOK_SUB_BIT("NEW.status"), "NEW.id", "NULL",
			"OLD.status")
	"CREATE TRIGGER webhook_bounce AFTER INSERT ON suppressions\n"
	" WHEN (NEW.reason = 'bounce' OR NEW.reason = 'soft-bounce') AND " HOOK_WANTS("8") "\n"
	"  AND EXISTS (SELECT 1 FROM subscribers b WHERE b.email_key = NEW.email_key"
	" AND b.status <> 'bounced' AND b.status <> 'erased')\n"
	HOOK_SQLITE_ADD("'subscriber.bounced'", "8",
			"(SELECT id FROM subscribers WHERE email_key = NEW.email_key)", "NULL",
			"(SELECT status FROM subscribers WHERE email_key = NEW.email_key)")
	"CREATE TRIGGER webhook_complaint AFTER INSERT ON suppressions\n"
	" WHEN NEW.reason = 'complaint' AND " HOOK_WANTS("16") "\n"
	HOOK_SQLITE_ADD("'subscriber.complained'", "16",
			"(SELECT id FROM subscribers WHERE email_key = NEW.email_key)", "NULL", "NULL")
	"CREATE TRIGGER webhook_alert_queued AFTER INSERT ON alerts WHEN " HOOK_WANTS("64") "\n"
	HOOK_SQLITE_ADD("'alert.queued'", "64", "NULL", "NEW.id", "NULL")
	"CREATE TRIGGER webhook_alert_state AFTER UPDATE OF state ON alerts\n"
	" WHEN NEW.state <> OLD.state AND " HOOK_WANTS(HOOK_ALERT_BIT("NEW.state")) "\n"
	HOOK_SQLITE_ADD("'alert.' || NEW.state", HOOK_ALERT_BIT("NEW.state"), "NULL", "NEW.id",
			"OLD.state")
	"CREATE TRIGGER webhook_alert_dropped AFTER DELETE ON alerts\n"
	" BEGIN DELETE FROM webhook_events WHERE alert_id = OLD.id; END;\n"
	"CREATE TRIGGER webhook_failed AFTER INSERT ON deliveries\n"
	" WHEN NEW.kind = 'perm' AND " HOOK_WANTS("2048") "\n"
	HOOK_SQLITE_ADD("'delivery.failed'", "2048", "NEW.subscriber_id", "NEW.alert_id",
			"substr(NEW.reply, 1, 3)")
	"CREATE TRIGGER webhook_failed_later AFTER UPDATE OF kind ON deliveries\n"
	" WHEN NEW.kind = 'perm' AND OLD.kind <> 'perm' AND " HOOK_WANTS("2048") "\n"
	HOOK_SQLITE_ADD("'delivery.failed'", "2048", "NEW.subscriber_id", "NEW.alert_id",
			"substr(NEW.reply, 1, 3)");

/* the advisory lock's key: "webhook" in ASCII, apart from the migrations' */
#define HOOK_PG_LOCK "7521907946335595"
static const char pg_v9[] =
	HOOK_ENDPOINTS("BIGINT", "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY", "BIGINT")
	"CREATE FUNCTION webhook_record(t TEXT, b BIGINT, sub BIGINT, al BIGINT, d TEXT)\n"
	" RETURNS void LANGUAGE plpgsql AS $$\n"
	"BEGIN\n"
	" IF b <> 0 AND " HOOK_WANTS("b") " THEN\n"
	"  PERFORM pg_advisory_xact_lock(" HOOK_PG_LOCK ");\n"
	"  INSERT INTO webhook_events (type, bit, at, subscriber_id, alert_id, detail)\n"
	"   VALUES (t, b, CAST(extract(epoch FROM clock_timestamp()) AS BIGINT), sub, al, d);\n"
	" END IF;\n"
	"END $$;\n"
	"CREATE FUNCTION webhook_subscribers() RETURNS trigger LANGUAGE plpgsql AS $$\n"
	"BEGIN\n"
	" IF TG_OP = 'INSERT' THEN\n"
	"  PERFORM webhook_record('subscriber.created', 1, NEW.id, NULL, NEW.status);\n"
	" ELSIF NEW.status <> OLD.status AND NOT (NEW.status = 'bounced' AND "
	HOOK_BOUNCE_SUPPRESSED ") THEN\n"
	"  PERFORM webhook_record('subscriber.' || NEW.status, " HOOK_SUB_BIT("NEW.status") ",\n"
	"   NEW.id, NULL, OLD.status);\n"
	" END IF;\n"
	" RETURN NULL;\n"
	"END $$;\n"
	"CREATE TRIGGER webhook_subscribers AFTER INSERT OR UPDATE OF status ON subscribers\n"
	" FOR EACH ROW EXECUTE FUNCTION webhook_subscribers();\n"
	"CREATE FUNCTION webhook_suppressions() RETURNS trigger LANGUAGE plpgsql AS $$\n"
	"DECLARE sub BIGINT; st TEXT;\n"
	"BEGIN\n"
	" SELECT id, status INTO sub, st FROM subscribers WHERE email_key = NEW.email_key;\n"
	" IF NEW.reason = 'complaint' THEN\n"
	"  PERFORM webhook_record('subscriber.complained', 16, sub, NULL, NULL);\n"
	" ELSIF (NEW.reason = 'bounce' OR NEW.reason = 'soft-bounce') AND sub IS NOT NULL\n"
	"  AND st <> 'bounced' AND st <> 'erased' THEN\n"
	"  PERFORM webhook_record('subscriber.bounced', 8, sub, NULL, st);\n"
	" END IF;\n"
	" RETURN NULL;\n"
	"END $$;\n"
	"CREATE TRIGGER webhook_suppressions AFTER INSERT ON suppressions\n"
	" FOR EACH ROW EXECUTE FUNCTION webhook_suppressions();\n"
	"CREATE FUNCTION webhook_alerts() RETURNS trigger LANGUAGE plpgsql AS $$\n"
	"BEGIN\n"
	" IF TG_OP = 'INSERT' THEN\n"
	"  PERFORM webhook_record('alert.queued', 64, NULL, NEW.id, NULL);\n"
	" ELSIF TG_OP = 'DELETE' THEN\n"
	"  DELETE FROM webhook_events WHERE alert_id = OLD.id;\n"
	" ELSIF NEW.state <> OLD.state THEN\n"
	"  PERFORM webhook_record('alert.' || NEW.state, " HOOK_ALERT_BIT("NEW.state") ",\n"
	"   NULL, NEW.id, OLD.state);\n"
	" END IF;\n"
	" RETURN NULL;\n"
	"END $$;\n"
	"CREATE TRIGGER webhook_alerts AFTER INSERT OR DELETE OR UPDATE OF state ON alerts\n"
	" FOR EACH ROW EXECUTE FUNCTION webhook_alerts();\n"
	"CREATE FUNCTION webhook_failed() RETURNS trigger LANGUAGE plpgsql AS $$\n"
	"BEGIN\n"
	" IF NEW.kind = 'perm' AND (TG_OP = 'INSERT' OR OLD.kind <> 'perm') THEN\n"
	"  PERFORM webhook_record('delivery.failed', 2048, NEW.subscriber_id, NEW.alert_id,\n"
	"   substr(NEW.reply, 1, 3));\n"
	" END IF;\n"
	" RETURN NULL;\n"
	"END $$;\n"
	"CREATE TRIGGER webhook_failed AFTER INSERT OR UPDATE OF kind ON deliveries\n"
	" FOR EACH ROW EXECUTE FUNCTION webhook_failed();\n";

/* migrations[v - 1] brings the schema from v - 1 to v */
static const struct {
	const char *sqlite, *pg;
} migrations[] = {
	{ sqlite_v1, pg_v1 },
	{ sqlite_v2, pg_v2 },
	{ sqlite_v3, pg_v3 },
	{ sqlite_v4, pg_v4 },
	{ sqlite_v5, pg_v5 },
	{ sqlite_v6, pg_v6 },
	{ sqlite_v7, pg_v7 },
	{ sqlite_v8, pg_v8 },
	{ sqlite_v9, pg_v9 },
};

/*
 * The tables of the latest version, parents before children. A migration
 * that adds a table adds it here too (tests/unit/store checks that this list
 * and the database agree); db copy learns the columns from the database.
 */
static const struct store_table tables[] = {
	{ "meta", "name", 1, 0 },
	{ "lists", "id", 1, 1 },
	{ "subscribers", "id", 1, 1 },
	{ "memberships", "list_id, subscriber_id", 2, 0 },
	{ "consent_events", "id", 1, 1 },
	{ "articles", "id", 1, 1 },
	{ "alerts", "id", 1, 1 },
	{ "alert_lists", "alert_id, list_id", 2, 0 },
	{ "alert_shards", "id", 1, 1 },
	{ "deliveries", "alert_id, subscriber_id", 2, 0 },
	{ "suppressions", "id", 1, 1 },
	{ "api_keys", "id", 1, 1 },
	{ "inbound_seen", "hash", 1, 0 },
	{ "editors", "id", 1, 1 },
	{ "editor_sessions", "id_hash", 1, 0 },
	{ "confirm_sends", "id", 1, 1 },
	{ "action_links", "subscriber_id, purpose", 2, 0 },
	{ "alert_reached", "alert_id, part", 2, 0 },
	{ "alert_events", "id", 1, 1 },
	{ "webhook_endpoints", "id", 1, 1 },
	{ "webhook_events", "id", 1, 1 },
};

const struct store_table *
store_schema_tables(size_t *n)
{
	*n = NF_ARRAY_LEN(tables);
	return tables;
}

int
store_schema_latest(void)
{
	return (int)NF_ARRAY_LEN(migrations);
}

const char *
store_schema_sql(enum store_dialect d, int version)
{
	if (version < 1 || version > store_schema_latest())
		return NULL;
	return d == STORE_PG ? migrations[version - 1].pg : migrations[version - 1].sqlite;
}

/* collect one integer column of the first row */
static int
first_int(void *arg, const struct store_row *r)
{
	*(int64_t *)arg = store_col_int(r, 0);
	return NF_OK;
}

/*
 * The key for keyed hashes (suppressions of erased addresses) is made once,
 * at random, by whichever process migrates first, and lives in meta: an
 * import and the web front then always agree on it without configuration.
 */
static int
ensure_hash_key(struct store *s)
{
	unsigned char key[32];
	struct buf hex;
	struct store_param p[2];
	int rc;

	if ((rc = random_bytes(key, sizeof(key))) != NF_OK)
		return rc;
	buf_init(&hex, 0);
	hex_encode(&hex, key, sizeof(key));
	p[0] = SP_TEXT("hash_key");
	p[1] = SP_TEXT(hex.data);
	rc = store_exec(s, Q_META_PUT, p, 2, NULL, NULL, NULL);
	buf_free(&hex);
	return rc;
}

struct key_rows {
	int64_t id[KEYHASH_PAGE];
	char *key[KEYHASH_PAGE];
	size_t n;
};

static int
take_key_row(void *arg, const struct store_row *r)
{
	struct key_rows *k = arg;

	if (k->n < KEYHASH_PAGE && r->val[1]) {
		k->id[k->n] = store_col_int(r, 0);
		k->key[k->n++] = xmemdup0(r->val[1], r->len[1]);
	}
	return NF_OK;
}

/*
 * fill_key_hashes - version 6's key_hash for the rows made before it, a
 * page at a time, in the migration's transaction. The key is computed
 * here, not in SQL: neither database can make the HMAC.
 */
static int
fill_key_hashes(struct store *s)
{
	struct key_rows k;
	struct store_param p[2];
	int64_t cursor = 0;
	char hash[65];
	size_t i;
	int rc;

	if ((rc = store_load_hash_key(s)) != NF_OK)
		return rc;
	do {
		k.n = 0;
		p[0] = SP_INT(cursor);
		p[1] = SP_INT(KEYHASH_PAGE);
		rc = store_exec(s, Q_KEYHASH_TODO, p, 2, take_key_row, &k, NULL);
		for (i = 0; i < k.n; i++) {
			store_key_hash(s, k.key[i], hash);
			p[0] = SP_INT(k.id[i]);
			p[1] = SP_TEXT(hash);
			if (rc == NF_OK)
				rc = store_exec(s, Q_KEYHASH_SET, p, 2, NULL, NULL, NULL);
			cursor = k.id[i];
			free(k.key[i]);
		}
	} while (rc == NF_OK && k.n == KEYHASH_PAGE);
	return rc;
}

static int
apply_locked(struct store *s, int *version, int *applied)
{
	struct store_param p[2];
	int64_t v = 0, from;
	int rc, target = store_schema_latest();

	if ((rc = s->ops->lock_schema(s)) != NF_OK)
		return rc;
	if ((rc = s->ops->script(s, bootstrap)) != NF_OK)
		return rc;
	if ((rc = store_exec(s, Q_VERSION, NULL, 0, first_int, &v, NULL)) != NF_OK)
		return rc;
	if (v > target) {
		store_set_err(s, "database schema version %lld is newer than this program's %d",
			      (long long)v, target);
		return NF_ERR_INVALID;
	}
	from = v;
	for (; v < target; v++) {
		if ((rc = s->ops->script(s, store_schema_sql(s->ops->dialect, (int)v + 1))) != NF_OK)
			return rc;
		p[0] = SP_INT(v + 1);
		p[1] = SP_INT(store_now(0));
		if ((rc = store_exec(s, Q_VERSION_ADD, p, 2, NULL, NULL, NULL)) != NF_OK)
			return rc;
		(*applied)++;
	}
	*version = (int)v;
	if ((rc = ensure_hash_key(s)) != NF_OK)
		return rc;
	return from > 0 && from < 6 ? fill_key_hashes(s) : NF_OK;
}

/* store_schema_apply - bring the schema to the latest version, under the lock */
int
store_schema_apply(struct store *s, int *version, int *applied)
{
	int rc, n = 0, v = 0, fk_off = 0;

	/*
	 * SQLite rebuilds a table to change its CHECK (version 7), which its
	 * foreign keys forbid; they can only be switched outside a transaction.
	 */
	if (s->ops->dialect == STORE_SQLITE && s->depth == 0) {
		if ((rc = s->ops->script(s, "PRAGMA foreign_keys=OFF")) != NF_OK)
			return rc;
		fk_off = 1;
	}
	if ((rc = store_tx_begin(s)) == NF_OK) {
		rc = apply_locked(s, &v, &n);
		rc = store_tx_end(s, rc);
	}
	if (fk_off && s->ops->script(s, "PRAGMA foreign_keys=ON") != NF_OK && rc == NF_OK)
		rc = NF_ERR_IO;
	if (version)
		*version = rc == NF_OK ? v : 0;
	if (applied)
		*applied = rc == NF_OK ? n : 0;
	return rc;
}
