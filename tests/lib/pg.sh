# tests/lib/pg.sh - a throwaway PostgreSQL 15 server for tests and benchmarks
#
# Source after tests/lib.sh (it uses free_port, wait_port and cleanup_add):
#
#     source tests/lib.sh
#     source tests/lib/pg.sh
#     pg_start || { skip "postgresql" "no server: $PG_WHY"; finish; }
#     psql "$PG_URL" -c 'select 1'
#
# pg_start runs initdb and pg_ctl as the postgres user (they refuse root),
# with the data folder under a fresh temporary folder owned by that user,
# listening on 127.0.0.1 on a free port only (the Unix socket goes in the
# same private folder), and registers a cleanup that stops the server and
# removes the folder when the script exits. It sets and exports PG_URL and
# NEWSFLASH_TEST_PG_URL (a database named "newsflash", user postgres, trust
# authentication: nobody else can reach 127.0.0.1:PORT on a test machine
# that matters, and the server lives only as long as the script).
#
# PG_FAST=1 (the default) turns fsync and synchronous_commit off, which is
# right for tests; benchmarks set PG_FAST=0 to measure a durable server.
# PG_OPTS adds server settings ("-c shared_buffers=1GB ...").

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
PG_FAST=${PG_FAST:-1}
PG_OPTS=${PG_OPTS:-}
PG_DIR= PG_PORT= PG_URL= PG_WHY=

# _pg_as_owner CMD...: run a server command as postgres when we are root
_pg_as_owner() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

pg_stop() {
	[ -n "$PG_DIR" ] || return 0
	if [ -f "$PG_DIR/data/postmaster.pid" ]; then
		_pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate -w stop >/dev/null 2>&1
	fi
	rm -rf "$PG_DIR"
	PG_DIR=
}

pg_start() {
	local opts
	if [ ! -x "$PG_BIN/initdb" ] || [ ! -x "$PG_BIN/pg_ctl" ]; then
		PG_WHY="no initdb/pg_ctl in $PG_BIN"
		return 1
	fi
	if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
		PG_WHY="running as root and there is no postgres user to run the server"
		return 1
	fi
	PG_DIR=$(mktemp -d /tmp/newsflash-pg.XXXXXX)
	cleanup_add pg_stop
	[ "$(id -u)" -eq 0 ] && chown postgres: "$PG_DIR"
	chmod 700 "$PG_DIR"
	if ! _pg_as_owner "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres -A trust \
		-E UTF8 --locale=C --no-sync >"$PG_DIR/initdb.log" 2>&1; then
		PG_WHY="initdb failed: $(tail -n 3 "$PG_DIR/initdb.log")"
		return 1
	fi
	PG_PORT=$(free_port)
	opts="-c listen_addresses=127.0.0.1 -p $PG_PORT -k $PG_DIR"
	[ "$PG_FAST" = 1 ] && opts="$opts -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
	opts="$opts $PG_OPTS"
	if ! _pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" \
		-o "$opts" -w -t 30 start >/dev/null 2>&1; then
		PG_WHY="pg_ctl start failed: $(tail -n 3 "$PG_DIR/server.log")"
		return 1
	fi
	if ! wait_port "$PG_PORT" 10; then
		PG_WHY="server not listening on 127.0.0.1:$PG_PORT"
		return 1
	fi
	if ! _pg_as_owner "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres newsflash \
		>>"$PG_DIR/server.log" 2>&1; then
		PG_WHY="createdb failed"
		return 1
	fi
	PG_URL="postgresql://postgres@127.0.0.1:$PG_PORT/newsflash"
	export PG_URL NEWSFLASH_TEST_PG_URL=$PG_URL
	return 0
}
