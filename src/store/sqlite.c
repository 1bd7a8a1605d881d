/*
 * store/sqlite.c - the SQLite backend (the embedded default)
 *
 * Owns: one SQLite connection and its settings, the statement cache, write
 * transactions, and turning SQLite's answers into rows and status codes.
 *
 * Settings, and why:
 *  - journal_mode=WAL: readers (the web front, the engine's streaming) never
 *    wait for the writer, and a commit is an append to the log.
 *  - synchronous=NORMAL by default. In WAL mode this syncs the log only at a
 *    checkpoint, not at each commit: a commit survives a crash of the
 *    process (kill -9) always, but a power loss or OS crash may lose the
 *    last transactions committed before the most recent checkpoint's sync.
 *    The database is never corrupted either way. sqlite:PATH?sync=full
 *    syncs the log at every commit, so a commit that returned is on disk,
 *    at the price of one fsync per transaction (batch writes with
 *    store_begin/store_commit to pay it once per batch: group commit).
 *  - busy_timeout (5 s, ?timeout=MS): another process holding the write lock
 *    makes us wait, not fail; past the timeout the call returns NF_ERR_TEMP.
 *  - foreign_keys=ON: memberships and ledger rows cannot point at nothing.
 *  - secure_delete=ON: freed space (a deleted row, an address blanked by an
 *    erasure, an index entry) is overwritten with zeros, so no copy of an
 *    erased address lingers in the file's free space. The old pages still
 *    sit in the WAL until a checkpoint: store_sqlite_checkpoint truncates
 *    it after an erasure. A database written before this setting should be
 *    VACUUMed once.
 *    Costs a little more I/O on deletes only.
 *  - cache_size 32 MiB (below).
 *  - Every write transaction is BEGIN IMMEDIATE: it takes the single writer
 *    lock at the start, so two writers queue instead of deadlocking on a
 *    lock upgrade; migrations rely on this to run one at a time.
 *
 * Statements are prepared once per connection (SQLITE_PREPARE_PERSISTENT)
 * on first use and reused: binding, stepping and resetting is all a call
 * costs. The shared SQL uses $N placeholders; SQLite reads them as ?N.
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

/*
 * Page cache per connection, in KiB (negative: SQLite's unit). The default
 * 2 MiB cannot hold the interior pages of the address-key index of a
 * million subscribers, so an import pays a read for most insertions.
 */
#define SQLITE_CACHE_KIB "-32768"

struct sqlite_impl {
	sqlite3 *db;
	char *path;
	sqlite3_stmt *stmt[Q_COUNT];
};

#define IMPL(s) ((struct sqlite_impl *)(s)->impl)

static int
fail(struct store *s, int code, const char *what)
{
	struct sqlite_impl *im = IMPL(s);

	store_set_err(s, "sqlite: %s: %s", what, im && im->db ? sqlite3_errmsg(im->db) :
		      sqlite3_errstr(code));
	switch (code & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return NF_ERR_TEMP;
	case SQLITE_CANTOPEN:
	case SQLITE_IOERR:
	case SQLITE_FULL:
		return NF_ERR_IO;
	default:
		return NF_ERR;
	}
}

/* mkdir -p for the folder holding path */
static int
make_parent(struct store *s, const char *path)
{
	char *dir = xstrdup(path), *p;
	int rc = NF_OK;

	for (p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0750) != 0 && errno != EEXIST) {
			store_set_err(s, "sqlite: cannot create folder %s: %s", dir, strerror(errno));
			rc = NF_ERR_IO;
			break;
		}
		*p = '/';
	}
	free(dir);
	return rc;
}

static int
pragma(struct store *s, const char *sql)
{
	int rc = sqlite3_exec(IMPL(s)->db, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? NF_OK : fail(s, rc, sql);
}

/*
 * journal_mode answers with the mode it is in: insist that it is WAL. The
 * switch of a new database takes its write lock, and SQLite answers BUSY at
 * once rather than calling the busy handler when the lock may be held by a
 * connection waiting on this one: several processes opening a fresh file at
 * the same moment would fail, so the switch is tried again for the timeout.
 */
static int
set_wal(struct store *s, int64_t timeout_ms)
{
	sqlite3_stmt *st;
	int rc, ok = 0, waited = 0;

	for (;;) {
		rc = sqlite3_prepare_v2(IMPL(s)->db, "PRAGMA journal_mode=WAL", -1, &st, NULL);
		if (rc == SQLITE_OK) {
			rc = sqlite3_step(st);
			ok = rc == SQLITE_ROW &&
			     sqlite3_stricmp((const char *)sqlite3_column_text(st, 0), "wal") == 0;
			sqlite3_finalize(st);
		}
		if ((rc & 0xff) != SQLITE_BUSY && (rc & 0xff) != SQLITE_LOCKED)
			break;
		if (waited >= timeout_ms)
			break;
		sqlite3_sleep(10);
		waited += 10;
	}
	if (rc != SQLITE_ROW)
		return fail(s, rc, "journal_mode");
	if (!ok) {
		store_set_err(s, "sqlite: the database refused WAL mode");
		return NF_ERR;
	}
	return NF_OK;
}

/*
 * store_sqlite_create_private - a database file that does not exist yet is
 * made 0600 whatever the umask (it holds addresses, IP history and keys);
 * SQLite then gives its -wal and -shm the database's own mode. A file that
 * exists keeps the mode its operator chose.
 */
int
store_sqlite_create_private(struct store *s, const char *path)
{
	int fd;

	if (strcmp(path, ":memory:") == 0 || strncmp(path, "file:", 5) == 0)
		return NF_OK;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return errno == EEXIST ? NF_OK : (store_set_err(s, "%s: %s", path, strerror(errno)), NF_ERR_IO);
	if (fchmod(fd, 0600) != 0) {
		store_set_err(s, "%s: %s", path, strerror(errno));
		close(fd);
		return NF_ERR_IO;
	}
	close(fd);
	return NF_OK;
}

static int
sq_open(struct store *s, const struct store_url *u)
{
	struct sqlite_impl *im = xcalloc(1, sizeof(*im));
	int rc;

	s->impl = im;
	im->path = xstrdup(u->path);
	if ((rc = make_parent(s, u->path)) != NF_OK)
		return rc;
	if ((rc = store_sqlite_create_private(s, u->path)) != NF_OK)
		return rc;
	rc = sqlite3_open_v2(u->path, &im->db,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK)
		return fail(s, rc, u->path);
	sqlite3_extended_result_codes(im->db, 1);
	sqlite3_busy_timeout(im->db, (int)u->timeout_ms);
	if ((rc = set_wal(s, (int64_t)u->timeout_ms)) != NF_OK)
		return rc;
	if ((rc = pragma(s, u->sync_full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL")))
		return rc;
	if ((rc = pragma(s, "PRAGMA cache_size=" SQLITE_CACHE_KIB)) != NF_OK)
		return rc;
	if ((rc = pragma(s, "PRAGMA secure_delete=ON")) != NF_OK)
		return rc;
	return pragma(s, "PRAGMA foreign_keys=ON");
}

/*
 * store_sqlite_checkpoint - copy the WAL into the database and truncate it
 * to zero bytes: until then the log holds the page images from before an
 * erasure. Readers in other connections make it wait (busy_timeout) and,
 * past that, give up with NF_ERR_TEMP; a later checkpoint finishes the job.
 */
int
store_sqlite_checkpoint(struct store *s)
{
	int logged = 0, done = 0;
	int rc = sqlite3_wal_checkpoint_v2(IMPL(s)->db, NULL, SQLITE_CHECKPOINT_TRUNCATE,
					   &logged, &done);

	if (rc == SQLITE_OK)
		return NF_OK;
	return fail(s, rc, "wal_checkpoint");
}

static void
sq_close(struct store *s)
{
	struct sqlite_impl *im = IMPL(s);
	size_t i;

	if (im == NULL)
		return;
	for (i = 0; i < Q_COUNT; i++)
		sqlite3_finalize(im->stmt[i]);
	if (im->db)
		sqlite3_close(im->db);
	free(im->path);
	free(im);
	s->impl = NULL;
}

/* $N placeholders become ?N, SQLite's numbered parameters */
static char *
sqlite_text(const char *sql)
{
	char *t = xstrdup(sql), *p;

	for (p = t; *p; p++)
		if (*p == '$' && p[1] >= '1' && p[1] <= '9')
			*p = '?';
	return t;
}

static int
statement(struct store *s, enum store_q q, sqlite3_stmt **out)
{
	struct sqlite_impl *im = IMPL(s);
	char *sql;
	int rc;

	if (im->stmt[q] == NULL) {
		const char *text = store_queries[q].sqlite_rowid ? store_queries[q].sqlite_rowid :
				   store_queries[q].sql;

		if (text == NULL)
			log_panic("store: statement %s has no SQLite text", store_queries[q].name);
		sql = sqlite_text(text);
		rc = sqlite3_prepare_v3(im->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &im->stmt[q], NULL);
		free(sql);
		if (rc != SQLITE_OK)
			return fail(s, rc, store_queries[q].name);
	}
	*out = im->stmt[q];
	return NF_OK;
}

/* bind_params - the parameters into st; SQLite's result code */
static int
bind_params(sqlite3_stmt *st, const struct store_param *p, size_t np)
{
	size_t i;
	int rc = SQLITE_OK;

	for (i = 0; i < np && rc == SQLITE_OK; i++) {
		switch (p[i].type) {
		case STORE_P_NULL:
			rc = sqlite3_bind_null(st, (int)i + 1);
			break;
		case STORE_P_INT:
			rc = sqlite3_bind_int64(st, (int)i + 1, p[i].i);
			break;
		case STORE_P_TEXT:
			rc = sqlite3_bind_text(st, (int)i + 1, p[i].s, (int)p[i].len, SQLITE_STATIC);
			break;
		}
	}
	return rc;
}

static int
bind(struct store *s, sqlite3_stmt *st, enum store_q q, const struct store_param *p, size_t np)
{
	int rc;

	if ((size_t)sqlite3_bind_parameter_count(st) != np)
		log_panic("store: %s takes %d parameters, given %zu", store_queries[q].name,
			  sqlite3_bind_parameter_count(st), np);
	rc = bind_params(st, p, np);
	return rc == SQLITE_OK ? NF_OK : fail(s, rc, store_queries[q].name);
}

static void
fill_row(sqlite3_stmt *st, struct store_row *row)
{
	int i;

	row->ncols = sqlite3_column_count(st);
	if (row->ncols > STORE_MAX_COLS)
		log_panic("store: a statement returns %d columns", row->ncols);
	for (i = 0; i < row->ncols; i++) {
		if (sqlite3_column_type(st, i) == SQLITE_NULL) {
			row->val[i] = NULL;
			row->len[i] = 0;
			continue;
		}
		row->val[i] = (const char *)sqlite3_column_text(st, i);
		row->len[i] = (size_t)sqlite3_column_bytes(st, i);
	}
}

/* the answer RETURNING id would have given */
static int
rowid_row(struct store *s, store_row_fn fn, void *arg)
{
	struct store_row row;
	char id[24];

	snprintf(id, sizeof(id), "%lld", (long long)sqlite3_last_insert_rowid(IMPL(s)->db));
	row.ncols = 1;
	row.val[0] = id;
	row.len[0] = strlen(id);
	return fn(arg, &row);
}

/* step_rows - run st to the end, handing each row to fn (may be NULL) */
static int
step_rows(struct store *s, sqlite3_stmt *st, store_row_fn fn, void *arg, const char *what)
{
	struct store_row row;
	int rc, src;

	while ((src = sqlite3_step(st)) == SQLITE_ROW) {
		if (fn == NULL)
			continue;
		fill_row(st, &row);
		if ((rc = fn(arg, &row)) != NF_OK)
			return rc;
	}
	return src == SQLITE_DONE ? NF_OK : fail(s, src, what);
}

static int
sq_exec(struct store *s, enum store_q q, const struct store_param *p, size_t np,
	store_row_fn fn, void *arg, int64_t *changes)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = statement(s, q, &st)) != NF_OK)
		return rc;
	if ((rc = bind(s, st, q, p, np)) != NF_OK)
		goto out;
	if ((rc = step_rows(s, st, fn, arg, store_queries[q].name)) != NF_OK)
		goto out;
	if (changes)
		*changes = sqlite3_changes64(IMPL(s)->db);
	if (store_queries[q].sqlite_rowid && fn && sqlite3_changes64(IMPL(s)->db) > 0)
		rc = rowid_row(s, fn, arg);
out:
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc;
}

/* an ad-hoc statement (whole-database tools): prepared, run and finalized */
static int
sq_query(struct store *s, const char *sql, const struct store_param *p, size_t np,
	 store_row_fn fn, void *arg)
{
	sqlite3_stmt *st = NULL;
	char *text = sqlite_text(sql);
	int rc, src;

	src = sqlite3_prepare_v2(IMPL(s)->db, text, -1, &st, NULL);
	free(text);
	if (src != SQLITE_OK)
		return fail(s, src, "query");
	if ((src = bind_params(st, p, np)) != SQLITE_OK)
		rc = fail(s, src, "query");
	else
		rc = step_rows(s, st, fn, arg, "query");
	sqlite3_finalize(st);
	return rc;
}

/* the connection itself, for the online backup (store/backup.c) */
struct sqlite3 *
store_sqlite_db(struct store *s)
{
	return s->ops->dialect == STORE_SQLITE ? IMPL(s)->db : NULL;
}

static int
sq_script(struct store *s, const char *sql)
{
	char *msg = NULL;
	int rc = sqlite3_exec(IMPL(s)->db, sql, NULL, NULL, &msg);

	if (rc == SQLITE_OK)
		return NF_OK;
	rc = fail(s, rc, "script");
	sqlite3_free(msg);
	return rc;
}

static int
sq_begin(struct store *s)
{
	return pragma(s, "BEGIN IMMEDIATE");
}

static int
sq_commit(struct store *s)
{
	int rc = pragma(s, "COMMIT");

	/* a failed COMMIT leaves the transaction open: end it */
	if (rc != NF_OK && !sqlite3_get_autocommit(IMPL(s)->db))
		sqlite3_exec(IMPL(s)->db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

static void
sq_rollback(struct store *s)
{
	if (!sqlite3_get_autocommit(IMPL(s)->db))
		sqlite3_exec(IMPL(s)->db, "ROLLBACK", NULL, NULL, NULL);
}

/* BEGIN IMMEDIATE already holds the only writer lock */
static int
sq_lock_schema(struct store *s)
{
	NF_UNUSED(s);
	return NF_OK;
}

/* one PRAGMA's answer as text */
static void
pragma_value(struct store *s, const char *sql, char *out, size_t len)
{
	sqlite3_stmt *st;

	snprintf(out, len, "?");
	if (sqlite3_prepare_v2(IMPL(s)->db, sql, -1, &st, NULL) != SQLITE_OK)
		return;
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		snprintf(out, len, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
}

static void
sq_describe(struct store *s, char *out, size_t len)
{
	static const char *const sync_names[] = { "OFF", "NORMAL", "FULL", "EXTRA" };
	char mode[16], sync[16], timeout[16];
	int sn;

	pragma_value(s, "PRAGMA journal_mode", mode, sizeof(mode));
	pragma_value(s, "PRAGMA synchronous", sync, sizeof(sync));
	pragma_value(s, "PRAGMA busy_timeout", timeout, sizeof(timeout));
	sn = sync[0] >= '0' && sync[0] <= '3' && sync[1] == '\0' ? sync[0] - '0' : -1;
	snprintf(out, len, "sqlite %s (SQLite %s) journal_mode=%s synchronous=%s busy_timeout=%sms",
		 IMPL(s)->path, sqlite3_libversion(), mode, sn >= 0 ? sync_names[sn] : sync, timeout);
}

const struct store_ops store_sqlite_ops = {
	.name = "sqlite",
	.dialect = STORE_SQLITE,
	.open = sq_open,
	.close = sq_close,
	.begin = sq_begin,
	.commit = sq_commit,
	.rollback = sq_rollback,
	.exec = sq_exec,
	.query = sq_query,
	.script = sq_script,
	.lock_schema = sq_lock_schema,
	.describe = sq_describe,
	.import = store_import_rows,
};
