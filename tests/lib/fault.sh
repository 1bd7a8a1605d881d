# tests/lib/fault.sh - an audience, an alert and its outcome, for fault and load tests
#
# Source after tests/lib.sh and tests/lib/serve.sh.
#
# fault_audience DB N [PREFIX]
#     N confirmed subscribers PREFIX1@example.com ... on the breaking-news list
#     (imported, as an operator would); PREFIX defaults to "reader"
# fault_key DB
#     a newsroom API key (stdout)
# fault_publish BASE KEY FILE
#     publish the article FILE through the API; the alert id (stdout)
# fault_alert BASE KEY ID FIELD
#     one field of GET /api/alerts/ID
# fault_wait_alert BASE KEY ID SECONDS
#     until the alert is done with nothing left to retry (0), or 1 at SECONDS
# fault_count_relay SPOOL [PREFIX]
#     from an aiosmtpd spool log: "UNIQUE TOTAL" recipients accepted (those
#     whose address starts with PREFIX, default reader: the audience)
# fault_count_maildir DIR [PREFIX]
#     the same from a Maildir's new/
# fault_ms
#     monotonic-enough wall clock in milliseconds
# fault_note TEXT
#     prints "measured: TEXT" (docs/reliability.md quotes these lines)

fault_audience() {
	local db=$1 n=$2 prefix=${3:-reader}
	seq 1 "$n" | sed "s/.*/$prefix&@example.com/" >"$WORK/audience-$prefix.csv"
	"$NF" db migrate --db "sqlite:$db" >/dev/null 2>&1
	"$NF" subscribers import "$WORK/audience-$prefix.csv" --list breaking-news \
		--consent-source "test fixture" --db "sqlite:$db" >/dev/null 2>&1
}

fault_key() {
	"$NF" db migrate --db "$1" >/dev/null 2>&1
	"$NF" apikey create newsroom --db "$1"
}

_json_field() {
	/usr/bin/python3 -c 'import json,sys
try: print(json.load(sys.stdin)[sys.argv[1]])
except Exception: print("")' "$1"
}

fault_publish() {
	curl -s -m 30 -H "Authorization: Bearer $2" -H 'Content-Type: application/json' \
		--data @"$3" "$1/api/articles" | _json_field alert_id
}

fault_alert() {
	curl -s -m 10 -H "Authorization: Bearer $2" "$1/api/alerts/$3" | _json_field "$4"
}

fault_wait_alert() {
	local base=$1 key=$2 id=$3 secs=$4 t0 a
	t0=$(date +%s)
	while [ $(($(date +%s) - t0)) -lt "$secs" ]; do
		a=$(curl -s -m 10 -H "Authorization: Bearer $key" "$base/api/alerts/$id")
		case "$a" in *'"state":"done"'*'"retrying":0'* | *'"retrying":0'*'"state":"done"'*) return 0 ;; esac
		sleep 0.2
	done
	return 1
}

fault_count_relay() {
	if [ ! -f "$1/log" ]; then echo "0 0"; return; fi
	grep '^accepted' "$1/log" | awk '{print $4}' | grep "^${2:-reader}" | awk '{n++; u[$0]++} END {print length(u)+0, n+0}'
}

fault_count_maildir() {
	local dir=$1/new
	if [ -z "$(ls "$dir" 2>/dev/null | head -1)" ]; then echo "0 0"; return; fi
	find "$dir" -type f -exec grep -h -m1 '^To: ' {} + | grep "^To: ${2:-reader}" | awk '{n++; u[$0]++} END {print length(u)+0, n+0}'
}

fault_ms() {
	echo $(($(date +%s%N) / 1000000))
}

fault_note() {
	echo "measured: $*"
}

# fault_pg_stop / fault_pg_start: stop the server tests/lib/pg.sh started
# (fast shutdown: sessions are cut) and start it again on the same port with
# the same data, as an operator's restart or a failover would
fault_pg_stop() {
	_pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null 2>&1
}
fault_pg_start() {
	local opts="-c listen_addresses=127.0.0.1 -p $PG_PORT -k $PG_DIR"
	[ "$PG_FAST" = 1 ] && opts="$opts -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
	_pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -o "$opts $PG_OPTS" \
		-w -t 30 start >/dev/null 2>&1 && wait_port "$PG_PORT" 10
}
