/*
 * tests/unit/store/fixture.c - fresh stores for the store tests, per backend
 */
#include <dirent.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fixture.h"

static char dir[256];
static char url[1024];
static char fresh[1024];
static char schema[64];
static enum store_dialect dialect;

const char *
fixture_url(void)
{
	return url;
}

enum store_dialect
fixture_dialect(void)
{
	return dialect;
}

int
fixture_sql(struct store *s, const char *sql)
{
	return s->ops->script(s, sql);
}

int64_t
fixture_sub(struct store *s, const char *name, int confirmed, int64_t list)
{
	char email[128];
	struct store_signup in = { email, email, email, NULL, NULL, confirmed, 0,
				   { "test", NULL, NULL, NULL, NULL, 0 } };
	int64_t id = 0;

	snprintf(email, sizeof(email), "%s@example.org", name);
	if (store_subscriber_create(s, &in, &id, NULL, NULL) != NF_OK)
		return 0;
	if (list && store_membership_add(s, id, list) != NF_OK)
		return 0;
	return id;
}

static void
remove_dir(void)
{
	char path[512];
	struct dirent *e;
	DIR *d = opendir(dir);

	while (d && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		unlink(path);
	}
	if (d)
		closedir(d);
	rmdir(dir);
}

static void
quiet(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

/* a new empty schema on the test server, and a URL whose search_path is it */
static int
pg_schema(const char *base, const char *name, char *out, size_t outlen)
{
	char sql[512];
	PGconn *c = PQconnectdb(base);
	PGresult *r;
	int ok;

	if (PQstatus(c) != CONNECTION_OK) {
		printf("  cannot connect to %s: %s", base, PQerrorMessage(c));
		PQfinish(c);
		return 0;
	}
	PQsetNoticeProcessor(c, quiet, NULL);
	snprintf(sql, sizeof(sql), "DROP SCHEMA IF EXISTS %s CASCADE; CREATE SCHEMA %s", name, name);
	r = PQexec(c, sql);
	ok = PQresultStatus(r) == PGRES_COMMAND_OK;
	if (!ok)
		printf("  %s", PQerrorMessage(c));
	PQclear(r);
	PQfinish(c);
	snprintf(out, outlen, "%s%soptions=-csearch_path%%3D%s", base,
		 strchr(base, '?') ? "&" : "?", name);
	return ok;
}

const char *
fixture_fresh_url(const char *suffix)
{
	char name[160];

	if (dialect == STORE_SQLITE) {
		snprintf(fresh, sizeof(fresh), "sqlite:%s/%s.db", dir, suffix);
		return fresh;
	}
	snprintf(name, sizeof(name), "%s_%.8s", schema, suffix);
	if (!pg_schema(getenv("NEWSFLASH_TEST_PG_URL"), name, fresh, sizeof(fresh)))
		return NULL;
	return fresh;
}

void
fixture_run(enum store_dialect d, const char *name, store_body body)
{
	const char *base = getenv("NEWSFLASH_TEST_PG_URL");
	struct store *s = NULL;

	dialect = d;
	snprintf(dir, sizeof(dir), "/tmp/nf-store-test.XXXXXX");
	if (mkdtemp(dir) == NULL) {
		test_fail_at(__FILE__, __LINE__, "mkdtemp");
		return;
	}
	if (d == STORE_SQLITE) {
		snprintf(url, sizeof(url), "sqlite:%s/test.db", dir);
	} else if (base == NULL || *base == '\0') {
		rmdir(dir);
		test_skip("NEWSFLASH_TEST_PG_URL is not set (tests/integration/store_pg.sh sets it)");
		return;
	} else {
		snprintf(schema, sizeof(schema), "t_%.48s", name);	/* identifiers: 63 bytes */
		if (!pg_schema(base, schema, url, sizeof(url))) {
			rmdir(dir);
			test_fail_at(__FILE__, __LINE__, "cannot make schema %s", schema);
			return;
		}
	}
	if (store_open(url, &s) != NF_OK) {
		test_fail_at(__FILE__, __LINE__, "store_open %s: %s", url, store_errmsg(NULL));
	} else {
		body(s);
		store_close(s);
	}
	remove_dir();
}
