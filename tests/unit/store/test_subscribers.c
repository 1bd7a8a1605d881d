/* store: opening, migrations, transactions, subscribers, the consent ledger, lists, streaming */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fixture.h"

static const struct store_consent_in form = {
	"form", "192.0.2.7", "Mozilla/5.0 test", "signup-v3",
	"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", 1700000000
};

STORE_TEST(open_migrates_and_second_migrate_does_nothing)
{
	int version = 0, applied = -1;
	int64_t list = 0;
	struct store *again = NULL;

	CHECK_INT(store_schema_version(s, &version), NF_OK);
	CHECK_INT(version, store_schema_latest());
	CHECK_INT(store_migrate(s, &version, &applied), NF_OK);
	CHECK_INT(applied, store_schema_latest());	/* all of them, when the handle opened */
	CHECK_INT(store_open(fixture_url(), &again), NF_OK);
	CHECK_INT(store_migrate(again, &version, &applied), NF_OK);
	store_close(again);
	CHECK_INT(applied, 0);
	CHECK_INT(version, store_schema_latest());
	CHECK_INT(store_list_get(s, STORE_LIST_DEFAULT, &list), NF_OK);
	CHECK(list > 0);
}

/* four processes open a fresh database at once: each succeeds, the schema is applied once */
STORE_TEST(migrations_from_several_processes_at_once)
{
	const char *u = fixture_fresh_url("race");
	int go[2], i, status, ok = 0, version = 0;
	struct store *t = NULL;
	pid_t kids[4];

	NF_UNUSED(s);
	CHECK(u != NULL);
	CHECK(pipe(go) == 0);
	for (i = 0; i < 4; i++) {
		kids[i] = fork();
		CHECK(kids[i] >= 0);
		if (kids[i] == 0) {
			char c;
			struct store *mine = NULL;

			close(go[1]);
			if (read(go[0], &c, 1) < 0)
				_exit(3);
			if (store_open(u, &mine) != NF_OK) {
				fprintf(stderr, "child: %s\n", store_errmsg(NULL));
				_exit(1);
			}
			store_close(mine);
			_exit(0);
		}
	}
	close(go[0]);
	close(go[1]);	/* everyone starts now */
	for (i = 0; i < 4; i++)
		if (waitpid(kids[i], &status, 0) == kids[i] && WIFEXITED(status) &&
		    WEXITSTATUS(status) == 0)
			ok++;
	CHECK_INT(ok, 4);
	CHECK_INT(store_open(u, &t), NF_OK);
	CHECK_INT(store_schema_version(t, &version), NF_OK);
	store_close(t);
	CHECK_INT(version, store_schema_latest());
}

STORE_TEST(signup_creates_pending_subscriber_with_consent_rows)
{
	struct store_signup in = { "Reader@Example.org", "reader@example.org", " Reader@Example.org",
				   NULL, NULL, 0, 1, form };
	struct store_subscriber *sub = NULL;
	struct store_consent **evs = NULL;
	enum store_sub_status st = STORE_ERASED;
	int64_t id = 0;
	size_t n = 0;
	int created = 0;

	CHECK_INT(store_subscriber_create(s, &in, &id, &st, &created), NF_OK);
	CHECK_INT(created, 1);
	CHECK_INT(st, STORE_PENDING);
	CHECK_INT(store_subscriber_get(s, id, &sub), NF_OK);
	CHECK_STR(sub->email, "Reader@Example.org");
	CHECK_STR(sub->email_key, "reader@example.org");
	CHECK_STR(sub->email_display, " Reader@Example.org");
	CHECK_INT(sub->status, STORE_PENDING);
	CHECK_INT(sub->created_at, form.at);
	CHECK_INT(sub->confirmed_at, 0);
	CHECK_INT(sub->marketing, 1);
	CHECK_INT(strlen(sub->token_salt), 32);
	store_subscriber_free(sub);

	CHECK_INT(store_consent_list(s, id, &evs, &n), NF_OK);
	CHECK_INT(n, 2);
	CHECK_INT(evs[0]->purpose, STORE_ALERTS);
	CHECK_INT(evs[0]->action, STORE_GIVEN);
	CHECK_STR(evs[0]->source, "form");
	CHECK_STR(evs[0]->ip, "192.0.2.7");
	CHECK_STR(evs[0]->user_agent, "Mozilla/5.0 test");
	CHECK_STR(evs[0]->wording_version, "signup-v3");
	CHECK_STR(evs[0]->wording_hash, form.wording_hash);
	CHECK_INT(evs[0]->at, form.at);
	CHECK_INT(evs[1]->purpose, STORE_MARKETING);
	CHECK_INT(evs[1]->action, STORE_GIVEN);
	store_consent_list_free(evs, n);
}

/* the web front answers the same whatever state the address is in: nothing changes */
STORE_TEST(signup_of_existing_key_returns_its_status_unchanged)
{
	struct store_signup in = { "a@example.org", "a@example.org", "a@example.org", NULL, NULL,
				   0, 0, form };
	struct store_subscriber *sub = NULL;
	struct store_consent **evs = NULL;
	enum store_sub_status st;
	int64_t id = 0, again = 0;
	size_t n = 0;
	int created = 1;

	CHECK_INT(store_subscriber_create(s, &in, &id, &st, &created), NF_OK);
	CHECK_INT(store_subscriber_set_status(s, id, STORE_UNSUBSCRIBED, &form, NULL), NF_OK);
	in.email_display = "A@EXAMPLE.ORG";
	in.marketing = 1;
	in.confirmed = 1;
	CHECK_INT(store_subscriber_create(s, &in, &again, &st, &created), NF_OK);
	CHECK_INT(created, 0);
	CHECK_INT(again, id);
	CHECK_INT(st, STORE_UNSUBSCRIBED);
	CHECK_INT(store_subscriber_get_by_key(s, "a@example.org", &sub), NF_OK);
	CHECK_STR(sub->email_display, "a@example.org");
	CHECK_INT(sub->marketing, 0);
	CHECK_INT(sub->status, STORE_UNSUBSCRIBED);
	store_subscriber_free(sub);
	CHECK_INT(store_consent_list(s, id, &evs, &n), NF_OK);
	store_consent_list_free(evs, n);
	CHECK_INT(n, 2);	/* given, withdrawn: the second signup wrote nothing */
}

STORE_TEST(signup_needs_address_key_and_source)
{
	struct store_signup in = { "a@example.org", NULL, NULL, NULL, NULL, 0, 0, form };
	int64_t n = -1;

	CHECK_INT(store_subscriber_create(s, &in, NULL, NULL, NULL), NF_ERR_INVALID);
	in.email_key = "a@example.org";
	in.consent.source = NULL;
	CHECK_INT(store_subscriber_create(s, &in, NULL, NULL, NULL), NF_ERR_INVALID);
	in.consent.source = "form";
	in.list = "no-such-list";
	CHECK_INT(store_subscriber_create(s, &in, NULL, NULL, NULL), NF_ERR_INVALID);
	CHECK_INT(store_subscriber_count(s, NULL, STORE_ANY, &n), NF_OK);
	CHECK_INT(n, 0);
}

STORE_TEST(status_moves_follow_the_rules_and_write_the_ledger)
{
	struct store_consent_in click = { "confirm-link", "192.0.2.8", "ua", NULL, NULL, 1700000100 };
	struct store_subscriber *sub = NULL;
	struct store_consent **evs = NULL;
	int64_t id = fixture_sub(s, "m", 0, 0);
	size_t n = 0;
	int changed = -1;

	CHECK(id > 0);
	CHECK_INT(store_subscriber_set_status(s, id, STORE_CONFIRMED, &click, &changed), NF_OK);
	CHECK_INT(changed, 1);
	CHECK_INT(store_subscriber_get(s, id, &sub), NF_OK);
	CHECK_INT(sub->status, STORE_CONFIRMED);
	CHECK_INT(sub->confirmed_at, 1700000100);
	store_subscriber_free(sub);
	/* a second click changes nothing and writes nothing */
	CHECK_INT(store_subscriber_set_status(s, id, STORE_CONFIRMED, &click, &changed), NF_OK);
	CHECK_INT(changed, 0);
	CHECK_INT(store_subscriber_set_status(s, id, STORE_PENDING, &click, &changed), NF_ERR_INVALID);
	CHECK_INT(store_subscriber_set_status(s, id, STORE_ERASED, &click, &changed), NF_ERR_INVALID);
	CHECK_INT(store_subscriber_set_status(s, id, STORE_UNSUBSCRIBED, &click, &changed), NF_OK);
	CHECK_INT(store_subscriber_set_status(s, id, STORE_CONFIRMED, &click, NULL), NF_ERR_INVALID);
	CHECK_INT(store_subscriber_set_status(s, id, STORE_PENDING, &click, NULL), NF_OK);
	CHECK_INT(store_subscriber_set_status(s, 999999, STORE_CONFIRMED, &click, NULL),
		  NF_ERR_NOTFOUND);
	CHECK_INT(store_subscriber_set_status(s, id, STORE_CONFIRMED, NULL, NULL), NF_ERR_INVALID);

	CHECK_INT(store_consent_list(s, id, &evs, &n), NF_OK);
	CHECK_INT(n, 4);
	CHECK_INT(evs[1]->action, STORE_CONFIRMED_ACT);
	CHECK_STR(evs[1]->source, "confirm-link");
	CHECK_INT(evs[2]->action, STORE_WITHDRAWN);
	CHECK_INT(evs[3]->action, STORE_GIVEN);
	store_consent_list_free(evs, n);
	CHECK_INT(store_subscriber_get(s, id, &sub), NF_OK);
	CHECK_INT(sub->status, STORE_PENDING);
	CHECK_INT(sub->confirmed_at, 1700000100);	/* when it last was confirmed */
	store_subscriber_free(sub);
}

STORE_TEST(marketing_consent_is_separate_and_recorded)
{
	struct store_consent **evs = NULL;
	struct store_subscriber *sub = NULL;
	int64_t id = fixture_sub(s, "mk", 1, 0);
	size_t n = 0;
	int changed = -1;

	CHECK_INT(store_subscriber_set_marketing(s, id, 1, &form, &changed), NF_OK);
	CHECK_INT(changed, 1);
	CHECK_INT(store_subscriber_set_marketing(s, id, 1, &form, &changed), NF_OK);
	CHECK_INT(changed, 0);
	CHECK_INT(store_subscriber_set_marketing(s, id, 0, &form, &changed), NF_OK);
	CHECK_INT(changed, 1);
	CHECK_INT(store_subscriber_get(s, id, &sub), NF_OK);
	CHECK_INT(sub->marketing, 0);
	CHECK_INT(sub->status, STORE_CONFIRMED);
	store_subscriber_free(sub);
	CHECK_INT(store_consent_list(s, id, &evs, &n), NF_OK);
	CHECK_INT(n, 3);
	CHECK_INT(evs[1]->purpose, STORE_MARKETING);
	CHECK_INT(evs[1]->action, STORE_GIVEN);
	CHECK_INT(evs[2]->purpose, STORE_MARKETING);
	CHECK_INT(evs[2]->action, STORE_WITHDRAWN);
	store_consent_list_free(evs, n);
}

STORE_TEST(consent_ledger_refuses_changes_and_deletes)
{
	int64_t id = fixture_sub(s, "ledger", 1, 0);
	struct store_consent **evs = NULL;
	size_t n = 0;

	CHECK(id > 0);
	CHECK(fixture_sql(s, "UPDATE consent_events SET source = 'forged'") != NF_OK);
	CHECK(fixture_sql(s, "UPDATE consent_events SET ip = '203.0.113.1'") != NF_OK);
	CHECK(fixture_sql(s, "DELETE FROM consent_events") != NF_OK);
	CHECK_INT(fixture_sql(s, "UPDATE consent_events SET ip = NULL"), NF_OK);
	CHECK_INT(store_consent_list(s, id, &evs, &n), NF_OK);
	CHECK_INT(n, 1);
	CHECK_STR(evs[0]->source, "test");
	store_consent_list_free(evs, n);
	CHECK_INT(store_consent_append(s, id, STORE_MARKETING, STORE_GIVEN, &form), NF_OK);
	CHECK_INT(store_consent_append(s, 424242, STORE_MARKETING, STORE_GIVEN, &form),
		  NF_ERR_NOTFOUND);
}

STORE_TEST(erasure_removes_the_person_and_keeps_a_keyed_hash)
{
	struct store_signup in = { "gone@example.org", "gone@example.org", "Gone@example.org",
				   "Gone Person", NULL, 1, 1, form };
	struct store_subscriber *sub = NULL;
	struct store_consent **evs = NULL;
	struct store_import_row row = { "gone@example.org", "gone@example.org", NULL, NULL, 0, 7,
					STORE_IMPORTED };
	struct store_import imp = { 0, 1, "old crm", 0 };
	char *reason = NULL;
	int64_t id = 0, n = -1;
	size_t i, nev = 0;

	CHECK_INT(store_subscriber_create(s, &in, &id, NULL, NULL), NF_OK);
	CHECK_INT(store_suppression_add(s, "gone@example.org", "bounce"), NF_OK);
	CHECK_INT(store_subscriber_erase(s, id, "request by email"), NF_OK);
	CHECK_INT(store_subscriber_erase(s, id, "again"), NF_OK);	/* idempotent */

	CHECK_INT(store_subscriber_get(s, id, &sub), NF_OK);
	CHECK_INT(sub->status, STORE_ERASED);
	CHECK(sub->email == NULL && sub->email_key == NULL && sub->email_display == NULL);
	CHECK(sub->name == NULL);
	CHECK_INT(sub->marketing, 0);
	store_subscriber_free(sub);
	CHECK_INT(store_subscriber_get_by_key(s, "gone@example.org", &sub), NF_ERR_NOTFOUND);

	CHECK_INT(store_consent_list(s, id, &evs, &nev), NF_OK);
	CHECK_INT(nev, 4);	/* alerts given, marketing given, then both withdrawn */
	for (i = 0; i < nev; i++)
		CHECK(evs[i]->ip == NULL && evs[i]->user_agent == NULL);
	CHECK_STR(evs[2]->source, "request by email");
	CHECK_INT(evs[2]->action, STORE_WITHDRAWN);
	CHECK_INT(evs[3]->purpose, STORE_MARKETING);
	store_consent_list_free(evs, nev);

	/* the address is known only as a keyed hash now, and cannot be imported back */
	CHECK_INT(store_suppression_check(s, "gone@example.org", &reason), NF_OK);
	CHECK_STR(reason, "erased");
	free(reason);
	CHECK_INT(store_subscriber_count(s, NULL, STORE_ANY, &n), NF_OK);
	CHECK_INT(n, 0);
	imp.list_id = s->default_list;
	CHECK_INT(store_import_batch(s, &imp, &row, 1), NF_OK);
	CHECK_INT(row.outcome, STORE_SUPPRESSED);
	CHECK_INT(store_subscriber_erase(s, 777777, NULL), NF_ERR_NOTFOUND);
}

STORE_TEST(counts_by_list_and_status)
{
	int64_t topic = 0, n = -1;
	int64_t a = fixture_sub(s, "c1", 1, 0), b = fixture_sub(s, "c2", 1, 0);

	fixture_sub(s, "c3", 0, 0);
	CHECK_INT(store_list_ensure(s, "politics", &topic), NF_OK);
	CHECK_INT(store_membership_add(s, a, topic), NF_OK);
	CHECK_INT(store_subscriber_set_status(s, b, STORE_BOUNCED, &form, NULL), NF_OK);
	CHECK_INT(store_subscriber_count(s, NULL, STORE_ANY, &n), NF_OK);
	CHECK_INT(n, 3);
	CHECK_INT(store_subscriber_count(s, NULL, STORE_CONFIRMED, &n), NF_OK);
	CHECK_INT(n, 1);
	CHECK_INT(store_subscriber_count(s, NULL, STORE_PENDING, &n), NF_OK);
	CHECK_INT(n, 1);
	CHECK_INT(store_subscriber_count(s, "breaking-news", STORE_ANY, &n), NF_OK);
	CHECK_INT(n, 3);
	CHECK_INT(store_subscriber_count(s, "politics", STORE_ANY, &n), NF_OK);
	CHECK_INT(n, 1);
	CHECK_INT(store_subscriber_count(s, "politics", STORE_BOUNCED, &n), NF_OK);
	CHECK_INT(n, 0);
	CHECK_INT(store_subscriber_count(s, "nope", STORE_ANY, &n), NF_ERR_NOTFOUND);
}

STORE_TEST(lists_are_ensured_once_and_names_are_slugs)
{
	int64_t a = 0, b = 0, id = fixture_sub(s, "l", 1, 0), n = -1;

	CHECK_INT(store_list_ensure(s, "sport", &a), NF_OK);
	CHECK_INT(store_list_ensure(s, "sport", &b), NF_OK);
	CHECK_INT(a, b);
	CHECK_INT(store_list_ensure(s, "Sport News", &b), NF_ERR_INVALID);
	CHECK_INT(store_list_ensure(s, "", &b), NF_ERR_INVALID);
	CHECK_INT(store_list_get(s, "politics", &b), NF_ERR_NOTFOUND);
	CHECK_INT(store_membership_add(s, id, a), NF_OK);
	CHECK_INT(store_membership_add(s, id, a), NF_OK);
	CHECK_INT(store_subscriber_count(s, "sport", STORE_ANY, &n), NF_OK);
	CHECK_INT(n, 1);
	CHECK_INT(store_membership_remove(s, id, a), NF_OK);
	CHECK_INT(store_subscriber_count(s, "sport", STORE_ANY, &n), NF_OK);
	CHECK_INT(n, 0);
}

/* batches reuse their memory; only confirmed, unsuppressed members, in id order, each once */
STORE_TEST(members_stream_by_cursor_in_batches)
{
	struct store_batch b;
	struct store_subscriber *first_rows = NULL;
	int64_t ids[30], cursor = 0, seen = 0, last = 0;
	char name[16];
	int i, calls = 0;

	for (i = 0; i < 30; i++) {
		snprintf(name, sizeof(name), "s%02d", i);
		ids[i] = fixture_sub(s, name, i % 5 != 0, 0);	/* every fifth stays pending */
		CHECK(ids[i] > 0);
	}
	CHECK_INT(store_suppression_add(s, "s01@example.org", "bounce"), NF_OK);
	CHECK_INT(store_subscriber_set_status(s, ids[2], STORE_UNSUBSCRIBED, &form, NULL), NF_OK);
	store_batch_init(&b);
	for (;;) {
		CHECK_INT(store_members_next(s, s->default_list, &cursor, 0, 7, &b), NF_OK);
		if (b.count == 0)
			break;
		if (first_rows == NULL)
			first_rows = b.rows;
		CHECK(b.rows == first_rows);	/* the same array every time */
		CHECK(b.count <= 7);
		for (i = 0; i < (int)b.count; i++) {
			CHECK(b.rows[i].id > last);
			last = b.rows[i].id;
			CHECK_INT(b.rows[i].status, STORE_CONFIRMED);
			CHECK(b.rows[i].email && strstr(b.rows[i].email, "@example.org"));
			CHECK(strcmp(b.rows[i].email, "s01@example.org") != 0);
			CHECK(strcmp(b.rows[i].email, "s02@example.org") != 0);
			seen++;
		}
		calls++;
	}
	CHECK_INT(seen, 30 - 6 - 2);
	CHECK_INT(calls, 4);
	CHECK_INT(cursor, ids[29]);
	/* an upper bound, as a shard has */
	cursor = ids[9];
	CHECK_INT(store_members_next(s, s->default_list, &cursor, ids[14], 100, &b), NF_OK);
	CHECK_INT(b.count, 4);	/* 11, 12, 13, 14; 10 is pending */
	CHECK_INT(b.rows[0].id, ids[11]);
	CHECK_INT(cursor, ids[14]);
	store_batch_free(&b);
}

STORE_TEST(export_pages_carry_lists_and_skip_erased)
{
	struct store_batch b;
	int64_t topic = 0, cursor = 0, a = fixture_sub(s, "e1", 1, 0), c;

	fixture_sub(s, "e2", 0, 0);
	c = fixture_sub(s, "e3", 1, 0);
	CHECK_INT(store_list_ensure(s, "sport", &topic), NF_OK);
	CHECK_INT(store_membership_add(s, a, topic), NF_OK);
	CHECK_INT(store_subscriber_erase(s, c, NULL), NF_OK);
	store_batch_init(&b);
	CHECK_INT(store_subscribers_next(s, &cursor, 10, &b), NF_OK);
	CHECK_INT(b.count, 2);
	CHECK_STR(b.rows[0].email, "e1@example.org");
	CHECK_STR(b.rows[0].lists, "breaking-news sport");
	CHECK_STR(b.rows[1].lists, "breaking-news");
	CHECK_INT(b.rows[1].status, STORE_PENDING);
	CHECK_INT(store_subscribers_next(s, &cursor, 10, &b), NF_OK);
	CHECK_INT(b.count, 0);
	store_batch_free(&b);
}

STORE_TEST(batch_commits_together_or_not_at_all)
{
	int64_t n = -1;

	CHECK_INT(store_begin(s), NF_OK);
	CHECK(fixture_sub(s, "t1", 1, 0) > 0);
	CHECK(fixture_sub(s, "t2", 1, 0) > 0);
	store_rollback(s);
	CHECK_INT(store_subscriber_count(s, NULL, STORE_ANY, &n), NF_OK);
	CHECK_INT(n, 0);

	CHECK_INT(store_begin(s), NF_OK);
	CHECK(fixture_sub(s, "t1", 1, 0) > 0);
	CHECK(fixture_sub(s, "t2", 1, 0) > 0);
	CHECK_INT(store_commit(s), NF_OK);
	CHECK_INT(store_subscriber_count(s, NULL, STORE_ANY, &n), NF_OK);
	CHECK_INT(n, 2);

	/* a database failure inside spoils the whole batch: commit rolls back and says so */
	CHECK_INT(store_begin(s), NF_OK);
	CHECK(fixture_sub(s, "t3", 1, 0) > 0);
	CHECK(store_membership_add(s, 1, 99999) != NF_OK);	/* no such list */
	CHECK(store_commit(s) != NF_OK);
	CHECK_INT(store_subscriber_count(s, NULL, STORE_ANY, &n), NF_OK);
	CHECK_INT(n, 2);

	/* an answer (not found, refused) is not a failure of the batch */
	CHECK_INT(store_begin(s), NF_OK);
	CHECK(fixture_sub(s, "t4", 1, 0) > 0);
	CHECK_INT(store_subscriber_set_status(s, 4242, STORE_CONFIRMED, &form, NULL),
		  NF_ERR_NOTFOUND);
	CHECK_INT(store_commit(s), NF_OK);
	CHECK_INT(store_subscriber_count(s, NULL, STORE_ANY, &n), NF_OK);
	CHECK_INT(n, 3);
}

STORE_TEST(confirmation_sent_time_is_kept_for_rate_limits)
{
	struct store_subscriber *sub = NULL;
	int64_t id = fixture_sub(s, "rl", 0, 0);

	CHECK_INT(store_subscriber_confirm_sent(s, id, 1700000500), NF_OK);
	CHECK_INT(store_subscriber_get(s, id, &sub), NF_OK);
	CHECK_INT(sub->confirm_sent_at, 1700000500);
	store_subscriber_free(sub);
	CHECK_INT(store_subscriber_confirm_sent(s, 999999, 1), NF_ERR_NOTFOUND);
}

STORE_TEST(describe_reports_the_settings_in_force)
{
	char d[512];

	store_describe(s, d, sizeof(d));
	if (fixture_dialect() == STORE_SQLITE) {
		struct store *full = NULL;
		char url[1200];

		CHECK(strstr(d, "journal_mode=wal") != NULL);
		CHECK(strstr(d, "synchronous=NORMAL") != NULL);
		CHECK(strstr(d, "busy_timeout=5000ms") != NULL);
		snprintf(url, sizeof(url), "%s?sync=full&timeout=250", fixture_url());
		CHECK_INT(store_open(url, &full), NF_OK);
		store_describe(full, d, sizeof(d));
		store_close(full);
		CHECK(strstr(d, "synchronous=FULL") != NULL);
		CHECK(strstr(d, "busy_timeout=250ms") != NULL);
	} else {
		CHECK(strstr(d, "postgresql ") == d);
		CHECK(strstr(d, "synchronous_commit=") != NULL);
	}
	CHECK_STR(store_backend(s), fixture_dialect() == STORE_SQLITE ? "sqlite" : "postgresql");
}

static int
take_text(void *arg, const struct store_row *r)
{
	snprintf(arg, 32, "%s", r->val[0] ? r->val[0] : "");
	return NF_OK;
}

/*
 * The server closed our idle connection (a restart does this to every
 * one): the next statement outside a transaction must notice before it is
 * sent and reconnect, not fail, since such a statement cannot be re-sent.
 */
STORE_TEST(a_connection_the_server_closed_while_idle_is_replaced)
{
	char pid[32] = "", sql[96];
	struct store *other = NULL;
	int64_t n = -1;

	if (fixture_dialect() != STORE_PG) {
		test_skip("SQLite has no server connection to lose");
		return;
	}
	fixture_sub(s, "before", 1, 0);
	CHECK_INT(s->ops->query(s, "SELECT pg_backend_pid()", NULL, 0, take_text, pid), NF_OK);
	CHECK_INT(store_open(fixture_url(), &other), NF_OK);
	snprintf(sql, sizeof(sql), "SELECT pg_terminate_backend(%s)", pid);
	CHECK_INT(fixture_sql(other, sql), NF_OK);
	store_close(other);
	usleep(100 * 1000);	/* the notice and the close reach our socket */
	CHECK_INT(store_subscriber_count(s, NULL, STORE_ANY, &n), NF_OK);
	CHECK_INT(n, 1);
}
