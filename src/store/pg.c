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
 * Bulk import (store/pg_import.c) writes with COPY through store_pg_copy.
 */
#include <libpq-fe.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_internal.h"

/* pg_advisory_xact_lock key for migrations: "newsflash" folded into 63 bits */
#define PG_SCHEMA_LOCK "SELECT pg_advisory_xact_lock(7237126493104836979)"
#define PG_COPY_CHUNK 65536

struct pg_impl {
	PGconn *conn;
	unsigned char prepared[Q_COUNT];
	char listening[64];	/* the LISTEN channel, renewed after a reset */
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

static int pg_listen(struct store *s, const char *channel);

/* reset - a new connection for a broken one: statements are prepared again on demand */
static int
reset(struct store *s)
{
	struct pg_impl *im = IMPL(s);

	PQreset(im->conn);
	memset(im->prepared, 0, sizeof(im->prepared));
	if (PQstatus(im->conn) != CONNECTION_OK) {
		set_conn_err(s, "reconnect");
		return NF_ERR_IO;
	}
	return im->listening[0] ? pg_listen(s, im->listening) : NF_OK;
}

/*
 * A server that shut down while we were idle has said so (a FATAL notice,
 * then end of file) on the socket, but libpq learns it only when it reads.
 * Reading whatever is waiting, without blocking, turns such a connection
 * into a known broken one before a statement is sent on it: a statement
 * outside a transaction cannot be sent twice safely, so it must not be
 * the one that finds out.
 */
static void
notice_server_gone(PGconn *c)
{
	struct pollfd pfd = { PQsocket(c), POLLIN, 0 };
	int reads;

	/* the notice and the end of file may take a read each */
	for (reads = 0; reads < 4 && PQstatus(c) == CONNECTION_OK; reads++) {
		if ((pfd.fd = PQsocket(c)) < 0 || poll(&pfd, 1, 0) <= 0 || !PQconsumeInput(c))
			break;
	}
}

/* between transactions a broken connection gets one reset */
static int
ensure_connected(struct store *s)
{
	if (s->depth == 0)
		notice_server_gone(IMPL(s)->conn);
	if (PQstatus(IMPL(s)->conn) == CONNECTION_OK)
		return NF_OK;
	if (s->depth > 0) {
		set_conn_err(s, "connection lost in a transaction");
		return NF_ERR_IO;
	}
	return reset(s);
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

/* a parameter in libpq's text form; ints are written into room */
static const char *
param_text(const struct store_param *p, char room[24])
{
	if (p->type == STORE_P_INT) {
		snprintf(room, 24, "%lld", (long long)p->i);
		return room;
	}
	return p->type == STORE_P_TEXT ? p->s : NULL;
}

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
	for (i = 0; i < np; i++)
		values[i] = param_text(&p[i], ints[i]);
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

/* an ad-hoc statement (whole-database tools): parsed each time, never prepared */
static int
pg_query(struct store *s, const char *sql, const struct store_param *p, size_t np,
	 store_row_fn fn, void *arg)
{
	char (*ints)[24] = xcalloc(np + 1, sizeof(*ints));
	const char **values = xcalloc(np + 1, sizeof(*values));
	PGresult *res;
	ExecStatusType st;
	size_t i;
	int rc;

	if ((rc = ensure_connected(s)) != NF_OK)
		goto out;
	for (i = 0; i < np; i++)
		values[i] = param_text(&p[i], ints[i]);
	res = PQexecParams(IMPL(s)->conn, sql, (int)np, NULL, values, NULL, NULL, 0);
	st = PQresultStatus(res);
	if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
		rc = fail_result(s, res, "query");
		goto out;
	}
	rc = fn ? deliver_rows(res, fn, arg) : NF_OK;
	PQclear(res);
out:
	free(ints);
	free(values);
	return rc;
}

static int
pg_script(struct store *s, const char *sql)
{
	return command(s, sql, "script");
}

/*
 * store_tx_begin counts the level before it calls us, but nothing has run
 * in the transaction yet, so a broken connection may still be reset here:
 * one already known broken, or one that BEGIN finds broken (the server
 * restarted while we were idle; libpq learns it only by trying). BEGIN
 * changes nothing, so it is safe to send again. Without this, every
 * transaction on a connection that saw the server go failed for ever.
 */
static int
pg_begin(struct store *s)
{
	int rc = NF_OK;

	if (PQstatus(IMPL(s)->conn) != CONNECTION_OK)
		rc = reset(s);
	if (rc == NF_OK)
		rc = command(s, "BEGIN", "begin");
	if (rc == NF_ERR_IO && (rc = reset(s)) == NF_OK)
		rc = command(s, "BEGIN", "begin");
	return rc;
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

/* ---- COPY ---- */

/*
 * store_pg_copy - COPY ... FROM STDIN with data (text format) as the rows.
 * A unique violation (SQLSTATE 23505) means a concurrent writer stored one
 * of the keys after the caller looked: NF_ERR_TEMP, so the batch is redone.
 */
int
store_pg_copy(struct store *s, const char *sql, const struct buf *data)
{
	PGconn *c = IMPL(s)->conn;
	PGresult *res = PQexec(c, sql);
	const char *state;
	size_t off, n;
	int rc = NF_OK;

	if (PQresultStatus(res) != PGRES_COPY_IN)
		return fail_result(s, res, "copy");
	PQclear(res);
	for (off = 0; off < data->len && rc == NF_OK; off += n) {
		n = data->len - off < PG_COPY_CHUNK ? data->len - off : PG_COPY_CHUNK;
		if (PQputCopyData(c, data->data + off, (int)n) != 1)
			rc = NF_ERR_IO;
	}
	if (PQputCopyEnd(c, rc == NF_OK ? NULL : "client failed") != 1)
		rc = NF_ERR_IO;
	if (rc != NF_OK)
		set_conn_err(s, "copy");
	while ((res = PQgetResult(c)) != NULL) {
		if (PQresultStatus(res) == PGRES_COMMAND_OK || rc != NF_OK) {
			PQclear(res);
			continue;
		}
		state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		if (state && strcmp(state, "23505") == 0) {
			set_conn_err(s, "copy (a concurrent writer)");
			PQclear(res);
			rc = NF_ERR_TEMP;
			continue;
		}
		rc = fail_result(s, res, "copy");
	}
	return rc;
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

/* channel is one of the store's own names, never outside text */
static int
pg_listen(struct store *s, const char *channel)
{
	char sql[96];

	snprintf(IMPL(s)->listening, sizeof(IMPL(s)->listening), "%s", channel);
	snprintf(sql, sizeof(sql), "LISTEN %s", channel);
	return command(s, sql, "listen");
}

/* inside the caller's transaction: delivered when it commits */
static int
pg_notify(struct store *s, const char *channel)
{
	char sql[96];

	snprintf(sql, sizeof(sql), "NOTIFY %s", channel);
	return command(s, sql, "notify");
}

static int
pg_notify_fd(struct store *s)
{
	return IMPL(s)->conn ? PQsocket(IMPL(s)->conn) : -1;
}

static int
pg_notify_drain(struct store *s)
{
	PGconn *c = IMPL(s)->conn;
	PGnotify *n;
	int count = 0;

	if (c == NULL || !PQconsumeInput(c))
		return 0;
	while ((n = PQnotifies(c)) != NULL) {
		count++;
		PQfreemem(n);
	}
	return count;
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
	.query = pg_query,
	.script = pg_script,
	.lock_schema = pg_lock_schema,
	.describe = pg_describe,
	.import = store_pg_import,
	.listen = pg_listen,
	.notify = pg_notify,
	.notify_fd = pg_notify_fd,
	.notify_drain = pg_notify_drain,
};
