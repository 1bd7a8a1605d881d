/*
 * store/probe.c - can a --db URL be used? (newsflash config check)
 *
 * Owns: answering, without changing anything, whether store_open would
 * succeed: the URL parses; for SQLite an existing file is a database we can
 * read, or the file can be created (its nearest existing folder is
 * writable); for PostgreSQL the server takes our connection. Opening for
 * real would create the file, switch it to WAL and migrate: a check must
 * not do that.
 */
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store_internal.h"

/* the nearest folder above path that exists is one we may write in */
static int
creatable(const char *path, char *err, size_t errlen)
{
	char *dir = xstrdup(path), *slash;
	struct stat st;
	int rc = NF_OK;

	for (;;) {
		slash = strrchr(dir, '/');
		if (slash == NULL) {
			snprintf(dir, strlen(dir) + 1, ".");
		} else if (slash == dir) {
			dir[1] = '\0';
		} else {
			*slash = '\0';
		}
		if (stat(dir, &st) == 0 || strcmp(dir, ".") == 0 || strcmp(dir, "/") == 0)
			break;
	}
	if (access(dir, W_OK) != 0) {
		snprintf(err, errlen, "cannot create %s: folder %s is not writable: %s", path, dir,
			 strerror(errno));
		rc = NF_ERR_IO;
	}
	free(dir);
	return rc;
}

static int
probe_sqlite(const struct store_url *u, char *err, size_t errlen)
{
	sqlite3 *db = NULL;
	int rc = NF_OK;

	if (access(u->path, F_OK) != 0)
		return creatable(u->path, err, errlen);
	if (sqlite3_open_v2(u->path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    sqlite3_exec(db, "SELECT count(*) FROM sqlite_master", NULL, NULL, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", u->path, db ? sqlite3_errmsg(db) : "cannot open");
		rc = NF_ERR_IO;
	} else if (access(u->path, W_OK) != 0) {
		snprintf(err, errlen, "%s is not writable: %s", u->path, strerror(errno));
		rc = NF_ERR_IO;
	}
	sqlite3_close(db);
	return rc;
}

/* connect, and nothing more */
static int
probe_pg(const struct store_url *u, char *err, size_t errlen)
{
	struct store *s = xcalloc(1, sizeof(*s));
	int rc;

	s->ops = &store_pg_ops;
	rc = s->ops->open(s, u);
	if (rc != NF_OK)
		snprintf(err, errlen, "%s", s->err);
	s->ops->close(s);
	free(s);
	return rc;
}

/* store_probe - NF_OK when url looks usable; else err says why (no secret in it) */
int
store_probe(const char *url, char *err, size_t errlen)
{
	struct store_url u;
	int rc;

	if (url == NULL || *url == '\0')
		url = STORE_DEFAULT_URL;
	if ((rc = store_url_parse(url, &u, err, errlen)) != NF_OK)
		return rc;
	rc = u.dialect == STORE_PG ? probe_pg(&u, err, errlen) : probe_sqlite(&u, err, errlen);
	store_url_free(&u);
	return rc;
}
