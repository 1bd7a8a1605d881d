/*
 * store/pg.c - the PostgreSQL backend (libpq), for scaling out
 *
 * Owns: one libpq connection, its prepared statements, transactions, COPY
 * for bulk import, and turning results into rows and status codes.
 *
 * One connection per store handle: each worker opens its own. Statements
 * are prepared on the connection at first use (PQprepare, named after the
 * catalogue entry) and executed with parameters in text form; nothing is
 * ever formatted into SQL. If the connection breaks between transactions it
 * is reset once and the statements are prepared again on demand.
 *
 * Errors: serialization failures and deadlocks (SQLSTATE 40001, 40P01) are
 * NF_ERR_TEMP, a lost connection NF_ERR_IO, the rest NF_ERR. A COMMIT in an
 * aborted transaction answers "ROLLBACK", which is a failure here.
 *
 * Import (inside the caller's transaction): the batch goes to a temporary
 * table with COPY, then one statement moves it into subscribers,
 * memberships and consent_events (store/query.c, Q_IMPORT_INSERT).
 */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"

/* pg_advisory_xact_lock key for migrations: "newsflash" folded into 63 bits */
#define PG_SCHEMA_LOCK "SELECT pg_advisory_xact_lock(7237126493104836979)"
#define PG_COPY_CHUNK 65536

struct pg_impl {
	PGconn *conn;
	unsigned char prepared[Q_COUNT];
};

#define IMPL(s) ((struct pg_impl *)(s)->impl)

/* notices ("relation already exists, skipping") are not errors: keep them off stderr */
static void
quiet_notices(void *arg, const char *message)
{
	NF_UNUSED(arg);
	NF_UNUSED(message);
}

static void
set_conn_err(struct store *s, const char *what)
{
	const char *m = IMPL(s)->conn ? PQerrorMessage(IMPL(s)->conn) : "no connection";
	size_t n = strlen(m);

	while (n > 0 && (m[n - 1] == '\n' || m[n - 1] == ' '))
		n--;
	store_set_err(s, "postgresql: %s: %.*s", what, (int)n, m);
}

/* fail_result - record why res failed, map it to a status, free it */
static int
fail_result(struct store *s, PGresult *res, const char *what)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	int rc = NF_ERR;

	set_conn_err(s, what);
	if (state && (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0))
		rc = NF_ERR_TEMP;
	else if (PQstatus(IMPL(s)->conn) != CONNECTION_OK)
		rc = NF_ERR_IO;
	PQclear(res);
	return rc;
}

static int
pg_open(struct store *s, const struct store_url *u)
{
	struct pg_impl *im = xcalloc(1, sizeof(*im));

	s->impl = im;
	im->conn = PQconnectdb(u->conninfo);
	if (im->conn == NULL || PQstatus(im->conn) != CONNECTION_OK) {
		set_conn_err(s, "connect");
		return NF_ERR_IO;
	}
	PQsetNoticeProcessor(im->conn, quiet_notices, NULL);
	return NF_OK;
}

static void
pg_close(struct store *s)
{
	struct pg_impl *im = IMPL(s);

	if (im == NULL)
		return;
	PQfinish(im->conn);
	free(im);
	s->impl = NULL;
}

/* a command with no parameters and no rows (BEGIN, COPY setup, scripts) */
static int
command(struct store *s, const char *sql, const char *what)
{
	PGresult *res = PQexec(IMPL(s)->conn, sql);

	if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK)
		return fail_result(s, res, what);
	PQclear(res);
	return NF_OK;
}

/* between transactions a broken connection gets one reset */
static int
ensure_connected(struct store *s)
{
	struct pg_impl *im = IMPL(s);

	if (PQstatus(im->conn) == CONNECTION_OK)
		return NF_OK;
	if (s->depth > 0) {
		set_conn_err(s, "connection lost in a transaction");
		return NF_ERR_IO;
	}
	PQreset(im->conn);
	memset(im->prepared, 0, sizeof(im->prepared));
	if (PQstatus(im->conn) != CONNECTION_OK) {
		set_conn_err(s, "reconnect");
		return NF_ERR_IO;
	}
	return NF_OK;
}

static int
prepare(struct store *s, enum store_q q, size_t np)
{
	struct pg_impl *im = IMPL(s);
	const char *sql = store_queries[q].pg ? store_queries[q].pg : store_queries[q].sql;
	PGresult *res;

	if (im->prepared[q])
		return NF_OK;
	res = PQprepare(im->conn, store_queries[q].name, sql, (int)np, NULL);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		return fail_result(s, res, store_queries[q].name);
	PQclear(res);
	im->prepared[q] = 1;
	return NF_OK;
}

static int
deliver_rows(PGresult *res, store_row_fn fn, void *arg)
{
	struct store_row row;
	int r, c, n = PQntuples(res), rc = NF_OK;

	row.ncols = PQnfields(res);
	if (row.ncols > STORE_MAX_COLS)
		log_panic("store: a statement returns %d columns", row.ncols);
	for (r = 0; r < n && rc == NF_OK; r++) {
		for (c = 0; c < row.ncols; c++) {
			row.val[c] = PQgetisnull(res, r, c) ? NULL : PQgetvalue(res, r, c);
			row.len[c] = (size_t)PQgetlength(res, r, c);
		}
		rc = fn(arg, &row);
	}
	return rc;
}

#define PG_MAX_PARAMS 16

static int
pg_exec(struct store *s, enum store_q q, const struct store_param *p, size_t np,
	store_row_fn fn, void *arg, int64_t *changes)
{
	char ints[PG_MAX_PARAMS][24];
	const char *values[PG_MAX_PARAMS];
	PGresult *res;
	ExecStatusType st;
	size_t i;
	int rc;

	if (np > PG_MAX_PARAMS)
		log_panic("store: %s has %zu parameters", store_queries[q].name, np);
	if ((rc = ensure_connected(s)) != NF_OK || (rc = prepare(s, q, np)) != NF_OK)
		return rc;
	for (i = 0; i < np; i++) {
		values[i] = p[i].type == STORE_P_TEXT ? p[i].s : NULL;
		if (p[i].type == STORE_P_INT) {
			snprintf(ints[i], sizeof(ints[i]), "%lld", (long long)p[i].i);
			values[i] = ints[i];
		}
	}
	res = PQexecPrepared(IMPL(s)->conn, store_queries[q].name, (int)np, values, NULL, NULL, 0);
	st = PQresultStatus(res);
	if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK)
		return fail_result(s, res, store_queries[q].name);
	if (changes)
		*changes = strtoll(PQcmdTuples(res), NULL, 10);
	rc = fn ? deliver_rows(res, fn, arg) : NF_OK;
	PQclear(res);
	return rc;
}

static int
pg_script(struct store *s, const char *sql)
{
	return command(s, sql, "script");
}

static int
pg_begin(struct store *s)
{
	int rc = ensure_connected(s);

	return rc != NF_OK ? rc : command(s, "BEGIN", "begin");
}

static int
pg_commit(struct store *s)
{
	PGresult *res = PQexec(IMPL(s)->conn, "COMMIT");

	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		return fail_result(s, res, "commit");
	if (strcmp(PQcmdStatus(res), "COMMIT") != 0) {
		PQclear(res);
		store_set_err(s, "postgresql: commit: the transaction had failed and was rolled back");
		return NF_ERR;
	}
	PQclear(res);
	return NF_OK;
}

static void
pg_rollback(struct store *s)
{
	PQclear(PQexec(IMPL(s)->conn, "ROLLBACK"));
}

static int
pg_lock_schema(struct store *s)
{
	return command(s, PG_SCHEMA_LOCK, "advisory lock");
}

/* ---- import with COPY ---- */

/* COPY text format: \N is NULL; backslash, tab, newline and CR are escaped */
static void
copy_field(struct buf *b, const char *v, int last)
{
	const char *p;

	if (v == NULL)
		buf_puts(b, "\\N");
	for (p = v; p && *p; p++) {
		switch (*p) {
		case '\\': buf_puts(b, "\\\\"); break;
		case '\t': buf_puts(b, "\\t"); break;
		case '\n': buf_puts(b, "\\n"); break;
		case '\r': buf_puts(b, "\\r"); break;
		default: buf_putc(b, *p); break;
		}
	}
	buf_putc(b, last ? '\n' : '\t');
}

static int
copy_flush(struct store *s, struct buf *b)
{
	if (b->len && PQputCopyData(IMPL(s)->conn, b->data, (int)b->len) != 1) {
		set_conn_err(s, "copy");
		return NF_ERR_IO;
	}
	buf_reset(b);
	return NF_OK;
}

static int
copy_rows(struct store *s, struct store_import_row *rows, size_t n, int hashes)
{
	char ord[24], hash[65], salt[33];
	struct buf b;
	PGresult *res;
	size_t i;
	int rc = NF_OK;

	buf_init(&b, 0);
	for (i = 0; i < n && rc == NF_OK; i++) {
		snprintf(ord, sizeof(ord), "%zu", i);
		store_new_salt(salt);
		if (hashes)
			store_key_hash(s, rows[i].email_key, hash);
		copy_field(&b, ord, 0);
		copy_field(&b, rows[i].email, 0);
		copy_field(&b, rows[i].email_key, 0);
		copy_field(&b, rows[i].email_display, 0);
		copy_field(&b, rows[i].name, 0);
		copy_field(&b, rows[i].marketing ? "1" : "0", 0);
		copy_field(&b, hashes ? hash : NULL, 0);
		copy_field(&b, salt, 1);
		if (b.len >= PG_COPY_CHUNK)
			rc = copy_flush(s, &b);
	}
	if (rc == NF_OK)
		rc = copy_flush(s, &b);
	buf_free(&b);
	if (PQputCopyEnd(IMPL(s)->conn, rc == NF_OK ? NULL : "import failed") != 1) {
		set_conn_err(s, "copy end");
		rc = NF_ERR_IO;
	}
	while ((res = PQgetResult(IMPL(s)->conn)) != NULL) {
		if (PQresultStatus(res) != PGRES_COMMAND_OK && rc == NF_OK) {
			rc = fail_result(s, res, "copy");
			continue;
		}
		PQclear(res);
	}
	return rc;
}

struct import_marks {
	struct store_import_row *rows;
	size_t n;
	enum store_import_outcome mark;
};

static int
mark_row(void *arg, const struct store_row *r)
{
	struct import_marks *m = arg;
	int64_t ord = store_col_int(r, 0);

	if (ord >= 0 && (size_t)ord < m->n)
		m->rows[ord].outcome = m->mark;
	return NF_OK;
}

static int
pg_import(struct store *s, const struct store_import *imp, struct store_import_row *rows,
	  size_t n)
{
	struct import_marks m = { rows, n, STORE_SUPPRESSED };
	struct store_param p[5];
	int64_t any = 0, at = store_now(imp->at);
	PGresult *res;
	size_t i;
	int rc;

	rc = command(s, "CREATE TEMP TABLE IF NOT EXISTS nf_stage (ord integer, email text,"
		     " email_key text, email_display text, name text, marketing integer,"
		     " key_hash text, salt text) ON COMMIT DELETE ROWS", "stage");
	if (rc == NF_OK)
		rc = store_exec_int(s, Q_SUPP_ANY, NULL, 0, &any);
	if (rc != NF_OK)
		return rc;
	res = PQexec(IMPL(s)->conn, "COPY nf_stage FROM STDIN");
	if (PQresultStatus(res) != PGRES_COPY_IN)
		return fail_result(s, res, "copy");
	PQclear(res);
	if ((rc = copy_rows(s, rows, n, any > 0)) != NF_OK)
		return rc;
	for (i = 0; i < n; i++)
		rows[i].outcome = STORE_DUPLICATE;
	if (any && (rc = store_exec(s, Q_IMPORT_SUPPRESSED, NULL, 0, mark_row, &m, NULL)) != NF_OK)
		return rc;
	p[0] = SP_TEXT(imp->confirmed ? "confirmed" : "pending");
	p[1] = SP_INT(at);
	p[2] = imp->confirmed ? SP_INT(at) : SP_NULL;
	p[3] = SP_INT(imp->list_id);
	p[4] = SP_TEXT(imp->source);
	m.mark = STORE_IMPORTED;
	return store_exec(s, Q_IMPORT_INSERT, p, 5, mark_row, &m, NULL);
}

static void
pg_describe(struct store *s, char *out, size_t len)
{
	PGconn *c = IMPL(s)->conn;
	const char *v = PQparameterStatus(c, "server_version");
	PGresult *res = PQexec(c, "SHOW synchronous_commit");
	int ok = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1;

	snprintf(out, len, "postgresql %s:%s/%s (server %s) synchronous_commit=%s",
		 PQhost(c) ? PQhost(c) : "?", PQport(c) ? PQport(c) : "?",
		 PQdb(c) ? PQdb(c) : "?", v ? v : "?", ok ? PQgetvalue(res, 0, 0) : "?");
	PQclear(res);
}

const struct store_ops store_pg_ops = {
	.name = "postgresql",
	.dialect = STORE_PG,
	.open = pg_open,
	.close = pg_close,
	.begin = pg_begin,
	.commit = pg_commit,
	.rollback = pg_rollback,
	.exec = pg_exec,
	.script = pg_script,
	.lock_schema = pg_lock_schema,
	.describe = pg_describe,
	.import = pg_import,
};
