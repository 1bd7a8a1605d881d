#!/usr/bin/env bash
# the store unit suite again, against a real PostgreSQL 15 started for the run
#
# build/unit-tests runs every store behaviour twice, NAME_on_sqlite and
# NAME_on_pg; without a server the _on_pg half is skipped. Here a throwaway
# server is started (tests/lib/pg.sh) and the _on_pg half runs against it,
# each test in a schema of its own. Its result line is this script's.
source tests/lib.sh
source tests/lib/pg.sh

UNIT=${BUILD:-build}/unit-tests
if ! pg_start; then
	n=$("$UNIT" -l _on_pg | wc -l)
	echo "no PostgreSQL: $PG_WHY"
	echo "0 passed, 0 failed, $n skipped"
	exit 0
fi
NEWSFLASH_TEST_PG_URL=$PG_URL "$UNIT" _on_pg
