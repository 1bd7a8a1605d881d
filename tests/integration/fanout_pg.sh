#!/usr/bin/env bash
# Scale-out on a real PostgreSQL: three `newsflash worker` processes share
# one alert by claiming shards (FOR UPDATE SKIP LOCKED), wake on NOTIFY the
# moment it is published, and when one is killed -9 mid-alert its shards are
# taken over once their leases expire: everyone served, repeats within the
# bound, the same Message-ID on a repeat.
source tests/lib.sh
source tests/lib/pg.sh
source tests/lib/serve.sh

pg_start || { skip "fan-out on postgresql" "no server: $PG_WHY"; finish; }
M=3000 BATCH=100
for i in $(seq 1 $M); do echo "pg$i@example.net"; done >"$WORK/subs.csv"
"$NF" db migrate --db "$PG_URL" >/dev/null
"$NF" subscribers import "$WORK/subs.csv" --list breaking-news --consent-source "test fixture" --db "$PG_URL" >/dev/null 2>&1
expect_eq "imported into postgresql" "$("$NF" subscribers count --db "$PG_URL")" "$M"

pids=()
for w in 1 2 3; do
	"$NF" worker --db "$PG_URL" --transport "maildir:$WORK/out$w" --secret-file "$WORK/secret" \
		--templates "$PWD/templates" --lease 3 --batch "$BATCH" --poll-ms 60000 >>"$WORK/worker$w.log" 2>&1 &
	pids+=($!)
	cleanup_add "kill ${pids[-1]}"
done
sleep 1	# the workers are idle, listening; --poll-ms 60000: only NOTIFY can wake them in time

count() { find "$WORK" -path '*/out*/new/*' -type f | wc -l; }
t0=$(date +%s%N)
"$NF" publish examples/limousine.json --breaking --shards 12 --db "$PG_URL" >/dev/null
for i in $(seq 1 500); do [ "$(ls "$WORK"/out*/new 2>/dev/null | wc -l)" -gt 0 ] && break; sleep 0.01; done
t1=$(date +%s%N)
echo "measured: first message $(( (t1 - t0) / 1000000 )) ms after publish began (workers woken by NOTIFY)"
check "a NOTIFY woke the workers well before their poll interval" test $(( (t1 - t0) / 1000000 )) -lt 10000
for i in $(seq 1 400); do [ "$(count)" -ge 600 ] && break; sleep 0.05; done
kill -9 "${pids[0]}"; wait "${pids[0]}" 2>/dev/null
at_kill=$(count)
check "worker 1 killed mid-alert ($at_kill of $M)" test "$at_kill" -lt "$M"

state=""
for i in $(seq 1 300); do
	state=$("$NF" alerts --db "$PG_URL" | awk 'NR==2 {print $2}')
	[ "$state" = done ] && break
	sleep 0.2
done
expect_eq "alert done after takeover" "$state" done
read -r served total mismatched <<<"$(maildir_repeats "$WORK"/out1 "$WORK"/out2 "$WORK"/out3)"
expect_eq "every recipient served" "$served" "$M"
dups=$((total - M))
check "repeats ($dups) within the bound ($((BATCH * 2)): the dead worker's uncommitted batches)" test "$dups" -le $((BATCH * 2))
expect_eq "a repeated message carries the same Message-ID" "$mismatched" 0
served=0
for w in 2 3; do [ -n "$(ls "$WORK/out$w/new" 2>/dev/null)" ] && served=$((served + 1)); done
expect_eq "both surviving workers took part" "$served" 2
echo "measured: $dups repeated after kill -9 at $at_kill of $M"
for p in "${pids[@]:1}"; do kill -TERM "$p"; done
st=0; for p in "${pids[@]:1}"; do wait "$p" || st=1; done
expect_eq "workers exit 0 on SIGTERM" "$st" 0
finish
