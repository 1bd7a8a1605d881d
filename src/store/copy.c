/*
 * store/copy.c - every row from one store into another (newsflash db copy)
 *
 * Owns: moving a whole database between backends - SQLite to PostgreSQL
 * when the audience outgrows one machine, and back - with every id kept, so
 * that tokens in mail already sent (they carry the subscriber id) and the
 * consent ledger stay true.
 *
 * How:
 *  - the destination must be empty: opened (so migrated to the same schema
 *    version as the source), with only what a migration writes (meta's hash
 *    key, the breaking-news list), which the copy replaces;
 *  - the source is read in one snapshot (a deferred BEGIN on SQLite, which
 *    in WAL mode blocks no writer; REPEATABLE READ on PostgreSQL), each table
 *    in key order, batch rows at a time, by key ranges (WHERE key > last
 *    ORDER BY key LIMIT n), so memory stays flat whatever the size;
 *  - each table is written in one transaction on the destination, with
 *    multi-row INSERTs; a failure rolls that table back and stops;
 *  - on PostgreSQL each identity sequence is set past the largest id, so
 *    the next row inserted does not collide with a copied one.
 *
 * The tables and their keys come from store_schema_tables (schema.c); the
 * columns from the source's catalogue, checked against the destination's.
 * Identifiers from the catalogue are checked to be plain names before they
 * are written into SQL; values only ever travel as parameters.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_internal.h"

#define COPY_MAX_COLS STORE_MAX_COLS
#define COPY_ROWS_PER_INSERT 500
#define COPY_PARAMS_MAX 30000		/* under SQLite's 32766 and PostgreSQL's 65535 */

/* names read from a catalogue */
struct names {
	char *v[COPY_MAX_COLS + 8];
	int n;
	int overflow;
};

static int
take_name(void *arg, const struct store_row *r)
{
	struct names *nm = arg;

	if (nm->n == (int)NF_ARRAY_LEN(nm->v)) {
		nm->overflow = 1;
		return NF_OK;
	}
	if (r->ncols > 0 && r->val[0])
		nm->v[nm->n++] = xmemdup0(r->val[0], r->len[0]);
	return NF_OK;
}

static void
names_free(struct names *nm)
{
	while (nm->n > 0)
		free(nm->v[--nm->n]);
}

static int
plain_name(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
			return 0;
	return 1;
}

/* the columns of table in s, in their order */
static int
columns_of(struct store *s, const char *table, struct names *out)
{
	static const char sqlite_sql[] = "SELECT name FROM pragma_table_info($1) ORDER BY cid";
	static const char pg_sql[] =
		"SELECT column_name FROM information_schema.columns"
		" WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position";
	struct store_param p = SP_TEXT(table);
	int rc, i;

	memset(out, 0, sizeof(*out));
	rc = s->ops->query(s, s->ops->dialect == STORE_PG ? pg_sql : sqlite_sql, &p, 1, take_name, out);
	if (rc != NF_OK)
		return rc;
	if (out->overflow || out->n == 0 || out->n > COPY_MAX_COLS) {
		store_set_err(s, "table %s has %d columns", table, out->n);
		return NF_ERR;
	}
	for (i = 0; i < out->n; i++)
		if (!plain_name(out->v[i])) {
			store_set_err(s, "table %s has a column named oddly", table);
			return NF_ERR;
		}
	return NF_OK;
}

static const struct store_table *
known_table(const char *name)
{
	const struct store_table *t;
	size_t n, i;

	t = store_schema_tables(&n);
	for (i = 0; i < n; i++)
		if (strcmp(t[i].name, name) == 0)
			return &t[i];
	return NULL;
}

/* every table in the source is one the copy knows (or the version table) */
static int
check_source_tables(struct store *from)
{
	static const char sqlite_sql[] =
		"SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'";
	static const char pg_sql[] =
		"SELECT table_name FROM information_schema.tables"
		" WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'";
	struct names nm;
	int rc, i;

	memset(&nm, 0, sizeof(nm));
	rc = from->ops->query(from, from->ops->dialect == STORE_PG ? pg_sql : sqlite_sql, NULL, 0,
			      take_name, &nm);
	for (i = 0; rc == NF_OK && i < nm.n; i++)
		if (strcmp(nm.v[i], "schema_version") != 0 && known_table(nm.v[i]) == NULL) {
			store_set_err(from, "the source has a table db copy does not know: %s",
				      nm.v[i]);
			rc = NF_ERR_INVALID;
		}
	if (rc == NF_OK && nm.overflow) {
		store_set_err(from, "the source has more tables than db copy knows");
		rc = NF_ERR_INVALID;
	}
	names_free(&nm);
	return rc;
}

static int
note_row(void *arg, const struct store_row *r)
{
	NF_UNUSED(r);
	*(int *)arg = 1;
	return NF_OK;
}

/* nothing in to but what a migration writes (meta, the default list) */
static int
check_empty(struct store *to)
{
	const struct store_table *t;
	struct buf sql;
	size_t n, i;
	int rc = NF_OK, any = 0;

	t = store_schema_tables(&n);
	buf_init(&sql, 0);
	for (i = 0; i < n && rc == NF_OK && !any; i++) {
		if (strcmp(t[i].name, "meta") == 0)
			continue;
		buf_reset(&sql);
		buf_printf(&sql, "SELECT 1 FROM %s%s LIMIT 1", t[i].name,
			   strcmp(t[i].name, "lists") == 0 ? " WHERE name <> 'breaking-news'" : "");
		rc = to->ops->query(to, sql.data, NULL, 0, note_row, &any);
		if (rc == NF_OK && any) {
			store_set_err(to, "the destination is not empty (table %s has rows)", t[i].name);
			rc = NF_ERR_INVALID;
		}
	}
	buf_free(&sql);
	return rc;
}

/* ---- one table ---- */

struct table_copy {
	const struct store_table *t;
	struct names cols;
	int keyidx[2];			/* positions of the key columns in cols */
	struct buf select_sql;
	/* the current batch */
	struct arena *mem;
	struct store_param *vals;	/* rows x ncols */
	size_t nrows, max;
	int64_t total;
};

static int
take_row(void *arg, const struct store_row *r)
{
	struct table_copy *c = arg;
	struct store_param *p;
	int i;

	if (r->ncols != c->cols.n || c->nrows == c->max)
		return NF_ERR;
	p = c->vals + c->nrows * (size_t)c->cols.n;
	for (i = 0; i < r->ncols; i++) {
		p[i] = SP_NULL;
		if (r->val[i]) {
			p[i].type = STORE_P_TEXT;
			p[i].s = arena_strndup(c->mem, r->val[i], r->len[i]);
			p[i].len = r->len[i];
		}
	}
	c->nrows++;
	return NF_OK;
}

/* SELECT cols FROM t [WHERE key > $..] ORDER BY key LIMIT max */
static void
build_select(struct table_copy *c, int after)
{
	int i;

	buf_reset(&c->select_sql);
	buf_puts(&c->select_sql, "SELECT ");
	for (i = 0; i < c->cols.n; i++)
		buf_printf(&c->select_sql, "%s\"%s\"", i ? ", " : "", c->cols.v[i]);
	buf_printf(&c->select_sql, " FROM %s", c->t->name);
	if (after && c->t->nkey == 1)
		buf_printf(&c->select_sql, " WHERE %s > $1", c->t->key);
	else if (after)
		buf_printf(&c->select_sql, " WHERE (%s) > ($1, $2)", c->t->key);
	buf_printf(&c->select_sql, " ORDER BY %s LIMIT %zu", c->t->key, c->max);
}

/* rows [first, first + n) of the batch in one INSERT */
static int
insert_rows(struct store *to, struct table_copy *c, size_t first, size_t n)
{
	struct buf sql;
	size_t r, k = 1;
	int i, rc;

	buf_init(&sql, 0);
	buf_printf(&sql, "INSERT INTO %s (", c->t->name);
	for (i = 0; i < c->cols.n; i++)
		buf_printf(&sql, "%s\"%s\"", i ? ", " : "", c->cols.v[i]);
	buf_puts(&sql, ") VALUES ");
	for (r = 0; r < n; r++) {
		buf_puts(&sql, r ? ", (" : "(");
		for (i = 0; i < c->cols.n; i++)
			buf_printf(&sql, "%s$%zu", i ? ", " : "", k++);
		buf_putc(&sql, ')');
	}
	rc = to->ops->query(to, sql.data, c->vals + first * (size_t)c->cols.n, n * (size_t)c->cols.n,
			    NULL, NULL);
	buf_free(&sql);
	return rc;
}

static int
write_batch(struct store *to, struct table_copy *c)
{
	size_t per = COPY_PARAMS_MAX / (size_t)c->cols.n, done, n;
	int rc = NF_OK;

	if (per > COPY_ROWS_PER_INSERT)
		per = COPY_ROWS_PER_INSERT;
	for (done = 0; done < c->nrows && rc == NF_OK; done += n) {
		n = c->nrows - done < per ? c->nrows - done : per;
		rc = insert_rows(to, c, done, n);
	}
	return rc;
}

/* PostgreSQL: the identity sequence goes past the largest id copied */
static int
set_sequence(struct store *to, const struct store_table *t)
{
	struct buf sql;
	int rc;

	if (to->ops->dialect != STORE_PG || !t->has_identity)
		return NF_OK;
	buf_init(&sql, 0);
	buf_printf(&sql, "SELECT setval(pg_get_serial_sequence('%s', 'id'),"
		   " COALESCE(MAX(id), 0) + 1, false) FROM %s", t->name, t->name);
	rc = to->ops->query(to, sql.data, NULL, 0, NULL, NULL);
	buf_free(&sql);
	return rc;
}

/* the batches of one table, read from from and written to to */
static int
copy_rows(struct store *from, struct store *to, struct table_copy *c)
{
	struct store_param last[2];
	char *keep[2] = { NULL, NULL };
	int rc, k, after = 0;

	do {
		arena_free(c->mem);
		c->mem = arena_new(0);
		c->nrows = 0;
		build_select(c, after);
		rc = from->ops->query(from, c->select_sql.data, last, after ? (size_t)c->t->nkey : 0,
				      take_row, c);
		if (rc == NF_OK && c->nrows > 0)
			rc = write_batch(to, c);
		if (rc != NF_OK || c->nrows == 0)
			break;
		c->total += (int64_t)c->nrows;
		/* the next batch starts after this one's last key (copied: mem is freed) */
		for (k = 0; k < c->t->nkey; k++) {
			free(keep[k]);
			last[k] = c->vals[(c->nrows - 1) * (size_t)c->cols.n + (size_t)c->keyidx[k]];
			keep[k] = last[k].s ? xmemdup0(last[k].s, last[k].len) : NULL;
			last[k].s = keep[k];
		}
		after = 1;
	} while (c->nrows == c->max);
	free(keep[0]);
	free(keep[1]);
	return rc;
}

/* find the key columns, and check that to has the same columns as from */
static int
prepare_table(struct store *from, struct store *to, struct table_copy *c)
{
	struct names theirs;
	char keys[128], *k, *next;
	int rc, i, n = 0;

	if ((rc = columns_of(from, c->t->name, &c->cols)) != NF_OK)
		return rc;
	if ((rc = columns_of(to, c->t->name, &theirs)) != NF_OK)
		return rc;
	for (i = 0; i < c->cols.n && theirs.n == c->cols.n; i++)
		if (strcmp(c->cols.v[i], theirs.v[i]) != 0)
			break;
	if (theirs.n != c->cols.n || i < c->cols.n) {
		store_set_err(to, "table %s has other columns here than in the source", c->t->name);
		rc = NF_ERR_INVALID;
	}
	names_free(&theirs);
	snprintf(keys, sizeof(keys), "%s", c->t->key);
	for (k = keys; rc == NF_OK && k && n < 2; k = next, n++) {
		next = strchr(k, ',');
		if (next)
			*next++ = '\0';
		while (*k == ' ')
			k++;
		for (i = 0; i < c->cols.n && strcmp(c->cols.v[i], k) != 0; i++)
			;
		if (i == c->cols.n) {
			store_set_err(from, "table %s has no key column %s", c->t->name, k);
			rc = NF_ERR;
		}
		c->keyidx[n] = i;
	}
	return rc;
}

static int
copy_table(struct store *from, struct store *to, const struct store_table *t, size_t batch,
	   int64_t *rows)
{
	struct table_copy c;
	struct buf del;
	int rc;

	memset(&c, 0, sizeof(c));
	c.t = t;
	c.max = batch;
	buf_init(&c.select_sql, 0);
	if ((rc = prepare_table(from, to, &c)) != NF_OK)
		goto out;
	c.vals = xcalloc(batch * (size_t)c.cols.n, sizeof(*c.vals));
	if ((rc = store_tx_begin(to)) != NF_OK)
		goto out;
	buf_init(&del, 0);
	buf_printf(&del, "DELETE FROM %s", t->name);	/* what the migration wrote */
	rc = to->ops->query(to, del.data, NULL, 0, NULL, NULL);
	buf_free(&del);
	if (rc == NF_OK)
		rc = copy_rows(from, to, &c);
	if (rc == NF_OK)
		rc = set_sequence(to, t);
	rc = store_tx_end(to, rc);
out:
	*rows = c.total;
	arena_free(c.mem);
	free(c.vals);
	names_free(&c.cols);
	buf_free(&c.select_sql);
	return rc;
}

/* say which table an error was met in */
static void
name_table(struct store *from, struct store *to, const char *table)
{
	char was[sizeof(to->err)];
	struct store *s = to->err[0] ? to : from;

	snprintf(was, sizeof(was), "%s", s->err);
	store_set_err(s, "table %s: %s", table, was);
}

int
store_copy(struct store *from, struct store *to, size_t batch, store_copy_fn progress, void *arg)
{
	const struct store_table *t;
	size_t n, i;
	int64_t rows;
	int rc, fv = 0, tv = 0;

	if (batch < 1)
		batch = 1;
	from->err[0] = to->err[0] = '\0';
	if ((rc = store_schema_version(from, &fv)) != NF_OK || (rc = store_schema_version(to, &tv)) != NF_OK)
		return rc;
	if (fv != tv) {
		store_set_err(to, "schema version %d here, %d in the source", tv, fv);
		return NF_ERR_INVALID;
	}
	if ((rc = check_source_tables(from)) != NF_OK || (rc = check_empty(to)) != NF_OK)
		return rc;
	rc = from->ops->query(from, from->ops->dialect == STORE_PG ?
			      "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY" : "BEGIN",
			      NULL, 0, NULL, NULL);
	if (rc != NF_OK)
		return rc;
	t = store_schema_tables(&n);
	for (i = 0; i < n && rc == NF_OK; i++) {
		rc = copy_table(from, to, &t[i], batch, &rows);
		if (rc != NF_OK)
			name_table(from, to, t[i].name);
		if (rc == NF_OK && progress)
			progress(arg, t[i].name, rows);
	}
	from->ops->query(from, rc == NF_OK ? "COMMIT" : "ROLLBACK", NULL, 0, NULL, NULL);
	return rc;
}
