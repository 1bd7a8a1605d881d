/* tests for store/dburl.c and store_open: the backend a URL names, and failing to open */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store_internal.h"
#include "../../harness.h"

TEST(url_names_the_backend_and_its_options)
{
	struct store_url u;
	char err[256];

	CHECK_INT(store_url_parse("sqlite:var/newsflash.db", &u, err, sizeof(err)), NF_OK);
	CHECK_INT(u.dialect, STORE_SQLITE);
	CHECK_STR(u.path, "var/newsflash.db");
	CHECK_INT(u.sync_full, 0);
	CHECK_INT(u.timeout_ms, 5000);
	store_url_free(&u);
	CHECK_INT(store_url_parse("sqlite:///srv/nf.db?sync=full&timeout=100", &u, err, sizeof(err)),
		  NF_OK);
	CHECK_STR(u.path, "/srv/nf.db");
	CHECK_INT(u.sync_full, 1);
	CHECK_INT(u.timeout_ms, 100);
	store_url_free(&u);
	CHECK_INT(store_url_parse("postgresql://nf@127.0.0.1:5432/nf", &u, err, sizeof(err)), NF_OK);
	CHECK_INT(u.dialect, STORE_PG);
	CHECK_STR(u.conninfo, "postgresql://nf@127.0.0.1:5432/nf");
	store_url_free(&u);
	CHECK_INT(store_url_parse("sqlite:x.db?sync=fast", &u, err, sizeof(err)), NF_ERR_USAGE);
	CHECK(strstr(err, "sync=fast") != NULL);
	CHECK_INT(store_url_parse("sqlite:x.db?timeout=-1", &u, err, sizeof(err)), NF_ERR_USAGE);
	CHECK_INT(store_url_parse("sqlite:", &u, err, sizeof(err)), NF_ERR_USAGE);
	CHECK_INT(store_url_parse("mysql://x", &u, err, sizeof(err)), NF_ERR_USAGE);
	CHECK(strstr(err, "sqlite:PATH") != NULL);
}

TEST(open_fails_with_a_reason)
{
	struct store *s = (struct store *)1;

	CHECK(store_open("sqlite:/proc/nope/x.db", &s) != NF_OK);
	CHECK(s == NULL);
	CHECK(strlen(store_errmsg(NULL)) > 0);
	CHECK(store_open("postgresql://nobody@127.0.0.1:1/none?connect_timeout=2", &s) != NF_OK);
	CHECK(strstr(store_errmsg(NULL), "postgresql") != NULL);
}

/* a second connection holding the writer lock makes a write wait, then answer TEMP */
TEST(sqlite_busy_writer_gives_temp_after_the_timeout)
{
	char dir[] = "/tmp/nf-store-busy.XXXXXX", url[128], path[128];
	struct store *a = NULL, *b = NULL;
	int64_t id = 0;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(url, sizeof(url), "sqlite:%s/b.db?timeout=50", dir);
	CHECK_INT(store_open(url, &a), NF_OK);
	CHECK_INT(store_open(url, &b), NF_OK);
	CHECK_INT(store_begin(a), NF_OK);
	CHECK_INT(store_list_ensure(b, "x", &id), NF_ERR_TEMP);
	CHECK_INT(store_commit(a), NF_OK);
	CHECK_INT(store_list_ensure(b, "x", &id), NF_OK);
	store_close(a);
	store_close(b);
	snprintf(path, sizeof(path), "%s/b.db", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/b.db-wal", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/b.db-shm", dir);
	unlink(path);
	rmdir(dir);
}
