/* store: the whole database - the table list, db copy between stores, db backup */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fixture.h"

struct names {
	char text[1024];
	int n;
};

static int
add_name(void *arg, const struct store_row *r)
{
	struct names *nm = arg;
	size_t len = strlen(nm->text);

	snprintf(nm->text + len, sizeof(nm->text) - len, "%s%s", len ? " " : "", r->val[0]);
	nm->n++;
	return NF_OK;
}

/* the table list db copy walks is every table the migrations make */
STORE_TEST(schema_tables_are_the_database_tables)
{
	static const char sqlite_sql[] = "SELECT name FROM sqlite_master WHERE type = 'table' AND "
		"name NOT LIKE 'sqlite_%' AND name <> 'schema_version' ORDER BY name";
	static const char pg_sql[] = "SELECT table_name FROM information_schema.tables WHERE "
		"table_schema = current_schema() AND table_name <> 'schema_version' ORDER BY table_name";
	const struct store_table *t;
	struct names db = { "", 0 };
	size_t n, i;

	CHECK_INT(s->ops->query(s, fixture_dialect() == STORE_PG ? pg_sql : sqlite_sql, NULL, 0,
				add_name, &db), NF_OK);
	t = store_schema_tables(&n);
	CHECK_INT(db.n, n);
	for (i = 0; i < n; i++)
		CHECK(strstr(db.text, t[i].name) != NULL);
}

static int64_t
count(struct store *s, const char *table)
{
	char sql[128];
	struct names nm = { "", 0 };

	snprintf(sql, sizeof(sql), "SELECT CAST(COUNT(*) AS TEXT) FROM %s", table);
	if (s->ops->query(s, sql, NULL, 0, add_name, &nm) != NF_OK)
		return -1;
	return strtoll(nm.text, NULL, 10);
}

/* a source with a row in every table */
static int
fill(struct store *s, int64_t *erased, int64_t *last)
{
	struct store_article a = { 0 };
	struct store_consent_in ev = { "test", "192.0.2.1", "ua", NULL, NULL, 0 };
	char key[STORE_APIKEY_MAX], name[16];
	int64_t art = 0, alert = 0, list = 0, id = 0;
	struct store_shard sh;
	int i;

	for (i = 0; i < 7; i++) {
		snprintf(name, sizeof(name), "c%d", i);
		if ((id = fixture_sub(s, name, i != 3, 0)) == 0)
			return NF_ERR;
	}
	*last = id;
	if (store_list_ensure(s, "sport", &list) != NF_OK ||
	    store_membership_add(s, id, list) != NF_OK ||
	    store_subscriber_set_marketing(s, 2, 1, &ev, NULL) != NF_OK ||
	    store_subscriber_erase(s, 5, "test") != NF_OK ||
	    store_suppression_add(s, "c6@example.org", "bounce") != NF_OK ||
	    store_apikey_create(s, "newsroom", key) != NF_OK)
		return NF_ERR;
	*erased = 5;
	a.headline = "Copied \"quotes\", commas,\nnewlines and ünïcode";
	a.topics_json = "[\"x\"]";
	if (store_article_insert(s, &a, &art) != NF_OK ||
	    store_alert_create(s, art, s->default_list, 2, 1700000000, &alert) != NF_OK ||
	    store_shard_claim(s, "w1", 1700000001, 30, &sh) != NF_OK ||
	    store_delivery_temp(s, alert, 1, 1700000100, "451 later") != NF_OK ||
	    store_delivery_perm(s, alert, 2, "550 no such user") != NF_OK)
		return NF_ERR;
	return NF_OK;
}

static void
copy_to(struct store *s, const char *to_url)
{
	const struct store_table *t;
	struct store_subscriber *sub = NULL;
	struct store *to = NULL;
	int64_t erased = 0, last = 0, id = 0;
	size_t n, i;

	CHECK(to_url != NULL);
	CHECK_INT(fill(s, &erased, &last), NF_OK);
	CHECK_INT(store_open(to_url, &to), NF_OK);
	/* batches of 2 rows: every table is read in several key ranges */
	CHECK_INT(store_copy(s, to, 2, NULL, NULL), NF_OK);
	t = store_schema_tables(&n);
	for (i = 0; i < n; i++) {
		int64_t a = count(s, t[i].name), b = count(to, t[i].name);

		if (a != b)
			test_fail_at(__FILE__, __LINE__, "%s: %lld rows, copied %lld", t[i].name,
				     (long long)a, (long long)b);
		CHECK_INT(a, b);
	}
	/* ids kept, values byte for byte, the hash key too: the erased stays suppressed */
	CHECK_INT(store_subscriber_get(to, 2, &sub), NF_OK);
	CHECK_STR(sub->email, "c1@example.org");
	CHECK_INT(sub->marketing, 1);
	store_subscriber_free(sub);
	CHECK_INT(store_suppression_check(to, "c6@example.org", NULL), NF_OK);
	store_close(to);
	CHECK_INT(store_open(to_url, &to), NF_OK);	/* hash key reloaded from the copied meta */
	CHECK(memcmp(to->hash_key, s->hash_key, sizeof(s->hash_key)) == 0);
	/* the sequences moved on: a new row gets the next id, not a copied one */
	id = fixture_sub(to, "newcomer", 1, 0);
	CHECK_INT(id, last + 1);
	/* a second copy into a store that has rows is refused, and changes nothing */
	CHECK_INT(store_copy(s, to, 100, NULL, NULL), NF_ERR_INVALID);
	CHECK(strstr(store_errmsg(to), "not empty") != NULL);
	CHECK_INT(count(to, "subscribers"), count(s, "subscribers") + 1);
	store_close(to);
}

/* into a fresh store of the same backend */
STORE_TEST(copy_keeps_every_row_and_id)
{
	copy_to(s, fixture_fresh_url("copy"));
}

/* across backends: whichever this is, into SQLite */
STORE_TEST(copy_into_sqlite)
{
	static char u[512];

	snprintf(u, sizeof(u), "%s", fixture_fresh_url("x"));
	if (fixture_dialect() == STORE_PG) {
		/* a SQLite file beside nothing: a temporary path */
		snprintf(u, sizeof(u), "sqlite:/tmp/nf-copy-%d.db", (int)getpid());
		unlink(u + 7);
	}
	copy_to(s, u);
	if (fixture_dialect() == STORE_PG) {
		char side[600];

		unlink(u + 7);
		snprintf(side, sizeof(side), "%s-wal", u + 7);
		unlink(side);
		snprintf(side, sizeof(side), "%s-shm", u + 7);
		unlink(side);
	}
}

/* SQLite's online backup gives a database with the same rows; PostgreSQL says pg_dump */
STORE_TEST(backup_is_a_whole_copy)
{
	int64_t erased, last;
	struct store *b = NULL;
	const char *u;
	char path[512];

	CHECK_INT(fill(s, &erased, &last), NF_OK);
	if (fixture_dialect() == STORE_PG) {
		CHECK_INT(store_backup(s, "/tmp/never", 0), NF_ERR_INVALID);
		CHECK(strstr(store_errmsg(s), "pg_dump") != NULL);
		return;
	}
	u = fixture_fresh_url("backup");
	snprintf(path, sizeof(path), "%s", u + 7);
	CHECK_INT(store_backup(s, path, 0), NF_OK);
	CHECK_INT(store_backup(s, path, 0), NF_ERR_INVALID);	/* exists */
	CHECK_INT(store_backup(s, fixture_url() + 7, 1), NF_ERR_INVALID);	/* itself */
	CHECK_INT(store_backup(s, path, 1), NF_OK);
	CHECK_INT(store_open(u, &b), NF_OK);
	CHECK_INT(count(b, "subscribers"), count(s, "subscribers"));
	CHECK_INT(count(b, "deliveries"), 2);
	CHECK_INT(count(b, "consent_events"), count(s, "consent_events"));
	store_close(b);
}
