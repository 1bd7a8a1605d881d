/*
 * store/backup.c - an online backup of a SQLite store (newsflash db backup)
 *
 * Owns: copying a live SQLite database to a file with SQLite's online
 * backup API (sqlite3_backup_*), so the service need not stop. Does not own
 * PostgreSQL backups: pg_dump does that better than we could.
 *
 * Why one step of every page (sqlite3_backup_step(-1)) and not many small
 * ones: in WAL mode a reader never blocks the writer, so one step holds one
 * read transaction - one consistent snapshot - while the service goes on
 * writing. Small steps would let a write from another connection restart
 * the backup from page one, over and over on a busy service.
 *
 * The copy is written to PATH.tmp, checked with PRAGMA quick_check,
 * fsync'd, renamed over PATH and the folder fsync'd: PATH is either the old
 * backup or the whole new one, never half of one. It is made 0600 whatever
 * the umask, like the database.
 *
 * Restoring runs the same API the other way, from the backup file into the
 * store's own connection: the pages go through its WAL, so no stale -wal or
 * -shm can outlive the restore (copying the file over the database would
 * leave the old -wal to be replayed onto it). store_verify is the check an
 * operator runs after either: integrity_check and the counts.
 */
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store_internal.h"

#define BACKUP_BUSY_TRIES 100		/* x 50 ms: the source's writer lock, rarely */

/* fsync a file or folder by name */
static int
sync_path(const char *path, int flags)
{
	int fd = open(path, flags), rc;

	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

static int
sync_parent(const char *path)
{
	char *dir = xstrdup(path), *slash = strrchr(dir, '/');
	int rc;

	if (slash == NULL)
		rc = sync_path(".", O_RDONLY | O_DIRECTORY);
	else {
		*(slash == dir ? slash + 1 : slash) = '\0';
		rc = sync_path(dir, O_RDONLY | O_DIRECTORY);
	}
	free(dir);
	return rc;
}

/* copy every page of src into dst, in one read transaction on src */
static int
copy_pages(struct store *s, sqlite3 *src, sqlite3 *dst)
{
	sqlite3_backup *b = sqlite3_backup_init(dst, "main", src, "main");
	int rc, tries = 0;

	if (b == NULL) {
		store_set_err(s, "%s", sqlite3_errmsg(dst));
		return NF_ERR;
	}
	while ((rc = sqlite3_backup_step(b, -1)) == SQLITE_BUSY || rc == SQLITE_LOCKED) {
		if (++tries > BACKUP_BUSY_TRIES)
			break;
		sqlite3_sleep(50);
	}
	sqlite3_backup_finish(b);
	if (rc != SQLITE_DONE) {
		store_set_err(s, "%s", sqlite3_errstr(rc));
		return rc == SQLITE_BUSY || rc == SQLITE_LOCKED ? NF_ERR_TEMP : NF_ERR;
	}
	return NF_OK;
}

/* PRAGMA quick_check answers "ok" for a sound file */
static int
quick_check(struct store *s, sqlite3 *db)
{
	sqlite3_stmt *st;
	int ok = 0;

	if (sqlite3_prepare_v2(db, "PRAGMA quick_check", -1, &st, NULL) != SQLITE_OK) {
		store_set_err(s, "quick_check: %s", sqlite3_errmsg(db));
		return NF_ERR;
	}
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		ok = strcmp((const char *)sqlite3_column_text(st, 0), "ok") == 0;
	if (!ok)
		store_set_err(s, "quick_check of the copy: %s",
			      sqlite3_column_text(st, 0) ? (const char *)sqlite3_column_text(st, 0) : "?");
	sqlite3_finalize(st);
	return ok ? NF_OK : NF_ERR;
}

/* refuse to write over the database itself, or over a file unasked */
static int
check_target(struct store *s, const char *path, int overwrite)
{
	struct stat target, live;
	const char *live_path = sqlite3_db_filename(store_sqlite_db(s), "main");

	if (stat(path, &target) != 0)
		return NF_OK;
	if (live_path && stat(live_path, &live) == 0 && live.st_dev == target.st_dev &&
	    live.st_ino == target.st_ino) {
		store_set_err(s, "%s is the database itself", path);
		return NF_ERR_INVALID;
	}
	if (!overwrite) {
		store_set_err(s, "%s exists (overwrite it with --force)", path);
		return NF_ERR_INVALID;
	}
	return NF_OK;
}

int
store_backup(struct store *s, const char *path, int overwrite)
{
	sqlite3 *src = store_sqlite_db(s), *dst = NULL;
	struct buf tmp;
	int rc;

	if (src == NULL) {
		store_set_err(s, "this is PostgreSQL: back it up with pg_dump");
		return NF_ERR_INVALID;
	}
	if ((rc = check_target(s, path, overwrite)) != NF_OK)
		return rc;
	buf_init(&tmp, 0);
	buf_printf(&tmp, "%s.tmp", path);
	unlink(tmp.data);
	if ((rc = store_sqlite_create_private(s, tmp.data)) != NF_OK)
		goto out;
	if (sqlite3_open_v2(tmp.data, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
		store_set_err(s, "%s: %s", tmp.data, dst ? sqlite3_errmsg(dst) : "out of memory");
		rc = NF_ERR_IO;
		goto out;
	}
	if ((rc = copy_pages(s, src, dst)) != NF_OK || (rc = quick_check(s, dst)) != NF_OK)
		goto out;
	/* closing the last connection checkpoints and removes the copy's -wal */
	sqlite3_close(dst);
	dst = NULL;
	if (sync_path(tmp.data, O_RDONLY) != 0 || rename(tmp.data, path) != 0 || sync_parent(path) != 0) {
		store_set_err(s, "%s: %s", path, strerror(errno));
		rc = NF_ERR_IO;
	}
out:
	if (dst)
		sqlite3_close(dst);
	if (rc != NF_OK)
		unlink(tmp.data);
	buf_free(&tmp);
	return rc;
}

/* integrity - PRAGMA integrity_check: every row "ok", else the first complaint */
static int
integrity(struct store *s, sqlite3 *db)
{
	sqlite3_stmt *st;
	int ok = 0;

	if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL) != SQLITE_OK) {
		store_set_err(s, "integrity_check: %s", sqlite3_errmsg(db));
		return NF_ERR;
	}
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		ok = strcmp((const char *)sqlite3_column_text(st, 0), "ok") == 0;
	if (!ok)
		store_set_err(s, "integrity_check: %s",
			      sqlite3_column_text(st, 0) ? (const char *)sqlite3_column_text(st, 0) :
			      sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return ok ? NF_OK : NF_ERR;
}

/* one count, -1 when the query fails (a file without our schema) */
static long long
count_of(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	long long n = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

int
store_restore(struct store *s, const char *path)
{
	sqlite3 *dst = store_sqlite_db(s), *src = NULL;
	long long version = 0;
	int rc;

	if (dst == NULL) {
		store_set_err(s, "this is PostgreSQL: restore it with pg_restore");
		return NF_ERR_INVALID;
	}
	if (sqlite3_open_v2(path, &src, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		store_set_err(s, "%s: %s", path, src ? sqlite3_errmsg(src) : "out of memory");
		sqlite3_close(src);
		return NF_ERR_IO;
	}
	if ((rc = integrity(s, src)) != NF_OK) {
		char why[sizeof(s->err)];

		memcpy(why, s->err, sizeof(why));	/* not formatted into itself */
		store_set_err(s, "%s: %s", path, why);
	}
	if (rc == NF_OK)
		version = count_of(src, "SELECT max(version) FROM schema_version");
	if (rc == NF_OK && (version < 1 || version > store_schema_latest())) {
		store_set_err(s, "%s is not a newsflash backup this program can read (schema %lld)",
			      path, version);
		rc = NF_ERR_INVALID;
	}
	if (rc == NF_OK)
		rc = copy_pages(s, src, dst);
	sqlite3_close(src);
	return rc;
}

int
store_verify(struct store *s, struct buf *out)
{
	static const struct {
		const char *name, *sql;
	} counts[] = {
		{ "schema", "SELECT max(version) FROM schema_version" },
		{ "subscribers", "SELECT count(*) FROM subscribers" },
		{ "confirmed", "SELECT count(*) FROM subscribers WHERE status = 'confirmed'" },
		{ "lists", "SELECT count(*) FROM lists" },
		{ "memberships", "SELECT count(*) FROM memberships" },
		{ "consent_events", "SELECT count(*) FROM consent_events" },
		{ "alerts", "SELECT count(*) FROM alerts" },
		{ "suppressions", "SELECT count(*) FROM suppressions" },
	};
	sqlite3 *db = store_sqlite_db(s);
	size_t i;
	int rc;

	if (db == NULL) {
		store_set_err(s, "this is PostgreSQL: check its dumps with pg_restore --list");
		return NF_ERR_INVALID;
	}
	if ((rc = integrity(s, db)) != NF_OK)
		return rc;
	buf_puts(out, "integrity ok\n");
	for (i = 0; i < NF_ARRAY_LEN(counts); i++)
		buf_printf(out, "%s %lld\n", counts[i].name, count_of(db, counts[i].sql));
	return NF_OK;
}
