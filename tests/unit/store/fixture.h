/*
 * tests/unit/store/fixture.h - run each store behaviour on both backends
 *
 * STORE_TEST(name) defines name_on_sqlite and name_on_pg. Each gets a fresh,
 * migrated store: SQLite in a new temporary folder, PostgreSQL in a new
 * schema of the server named by NEWSFLASH_TEST_PG_URL (tests/lib/pg.sh starts
 * one; tests/integration/store_pg.sh runs these with it). Without that
 * variable the PostgreSQL half is counted as skipped, never as passed.
 */
#ifndef NEWSFLASH_TEST_STORE_FIXTURE_H
#define NEWSFLASH_TEST_STORE_FIXTURE_H

#include "store/store_internal.h"	/* the fixture and some checks look underneath */
#include "../../harness.h"

typedef void (*store_body)(struct store *s);

void fixture_run(enum store_dialect d, const char *name, store_body body);
/* the URL of the store under test (to open a second handle) */
const char *fixture_url(void);
/* a URL for another fresh, not yet opened store next to the one under test */
const char *fixture_fresh_url(const char *suffix);
enum store_dialect fixture_dialect(void);
/* a plain SQL script on the store's connection (for checks the API forbids) */
int fixture_sql(struct store *s, const char *sql);
/* a confirmed subscriber NAME@example.org in list (0: breaking-news) */
int64_t fixture_sub(struct store *s, const char *name, int confirmed, int64_t list);

#define STORE_TEST(name)						\
	static void body_##name(struct store *s);			\
	TEST(name##_on_sqlite) { fixture_run(STORE_SQLITE, #name, body_##name); } \
	TEST(name##_on_pg) { fixture_run(STORE_PG, #name, body_##name); } \
	static void body_##name(struct store *s)

#endif
