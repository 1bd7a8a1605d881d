#!/usr/bin/env bash
# The disk filling while newsflash serve writes, on small tmpfs mounts made
# by the test (root only; skipped when mount is refused):
#  - the Maildir outbox fills mid-alert: the messages that found no room are
#    retried, nothing is half-written in new/, and the alert completes once
#    space is freed, everyone served once;
#  - the SQLite database's disk fills: signups are answered 503, never a
#    crash, every signup answered 200 is in the database; the fan-out's
#    group commits wait and the alert completes once space is freed.
source tests/lib.sh
source tests/lib/serve.sh
source tests/lib/fault.sh

N=${FAULT_N:-300}
[ "${NEWSFLASH_LONG:-0}" = 1 ] && N=3000
story=examples/limousine.json

# small_disk DIR SIZE: a tmpfs of SIZE at DIR, unmounted at exit
small_disk() {
	mkdir -p "$1"
	mount -t tmpfs -o "size=$2,mode=0700" tmpfs "$1" 2>/dev/null || return 1
	cleanup_add "umount -l '$1'"
}

# fill DIR: take every free byte of DIR's file system into DIR/filler-*
fill() {
	local i=0
	while dd if=/dev/zero of="$1/filler-$i" bs=64k count=16 status=none 2>/dev/null; do i=$((i + 1)); done
	dd if=/dev/zero of="$1/filler-tail" bs=4k status=none 2>/dev/null
	return 0
}

if [ "$(id -u)" -ne 0 ] || ! small_disk "$WORK/probe" 1m; then
	skip "disk full" "cannot mount a tmpfs (needs root and CAP_SYS_ADMIN)"
	finish
fi

# ---- 1. the Maildir outbox fills mid-alert
mkdir -p "$WORK/app"
DB="$WORK/app/newsflash.db"
fault_audience "$DB" "$N"
KEY=$(fault_key "sqlite:$DB")
box="$WORK/outbox-fs"
small_disk "$box" 8m || { fail "tmpfs for the outbox"; finish; }
PORT=$(free_port); BASE="http://127.0.0.1:$PORT"
serve_start "$PORT" --transport "maildir:$box/outbox" --retry-base 1 --batch 50 --shards 2 ||
	{ fail "serve starts"; finish; }
# room for a few dozen messages, no more
fill "$box"
rm -f "$box/filler-0"
alert=$(fault_publish "$BASE" "$KEY" "$story")
check "outbox full: published" test -n "$alert"
for i in $(seq 1 100); do [ "$(fault_alert "$BASE" "$KEY" "$alert" retrying)" -gt 0 ] 2>/dev/null && break; sleep 0.1; done
sleep 2
read -r u_full t_full <<<"$(fault_count_maildir "$box/outbox")"
retrying=$(fault_alert "$BASE" "$KEY" "$alert" retrying)
check "outbox full: some written ($u_full), the rest waiting ($retrying)" test "$u_full" -lt "$N" -a "$retrying" -gt 0
check "outbox full: serve still answers" curl -sf -o /dev/null "$BASE/healthz"
expect_eq "outbox full: nothing half-written left in tmp/" "$(ls "$box/outbox/tmp" | wc -l)" 0
expect_contains "outbox full: the reason is logged" "$(cat "$WORK/serve.log")" "No space left on device"
t_free=$(fault_ms)
rm -f "$box"/filler-*
check "outbox full: the alert completes once space is freed" fault_wait_alert "$BASE" "$KEY" "$alert" 120
t_done=$(fault_ms)
read -r u t <<<"$(fault_count_maildir "$box/outbox")"
expect_eq "outbox full: every confirmed subscriber got the alert" "$u" "$N"
expect_eq "outbox full: no repeats" "$((t - u))" 0
fault_note "Maildir outbox full mid-alert ($u_full of $N written, $retrying waiting): done $((t_done - t_free)) ms after space was freed, $((t - u)) repeats"
serve_stop
expect_eq "outbox full: serve exits 0" "$SERVE_STATUS" 0

# ---- 2. the database's disk fills: signups, then a fan-out
dbfs="$WORK/db-fs"
small_disk "$dbfs" 16m || { fail "tmpfs for the database"; finish; }
DB="$dbfs/newsflash.db"
fault_audience "$DB" "$N" fan
sqlite3 "$DB" 'pragma wal_checkpoint(truncate)' >/dev/null
KEY=$(fault_key "sqlite:$DB")
rm -rf "$WORK/app/outbox"
PORT=$(free_port); BASE="http://127.0.0.1:$PORT"
serve_start "$PORT" --db "sqlite:$DB" --signup-rate 0 --retry-base 1 --batch 20 --shards 1 ||
	{ fail "serve starts (database on tmpfs)"; finish; }
fill "$dbfs"
# signups against a full disk: 200 (durable) or 503, never a dead server
: >"$WORK/codes"
for i in $(seq 1 200); do
	code=$(curl -s -o /dev/null -m 10 -w '%{http_code}' -H 'Content-Type: application/json' \
		--data "{\"email\":\"full$i@example.com\"}" "$BASE/api/subscribe")
	echo "$i $code" >>"$WORK/codes"
done
ok200=$(awk '$2 == 200' "$WORK/codes" | wc -l); n503=$(awk '$2 == 503' "$WORK/codes" | wc -l)
other=$(awk '$2 != 200 && $2 != 503' "$WORK/codes" | wc -l)
check "db full: signups answered 503 once the disk is full ($ok200 x 200, $n503 x 503)" test "$n503" -gt 0
expect_eq "db full: no other answer (no crash, no hang)" "$other" 0
check "db full: serve still answers" curl -sf -o /dev/null "$BASE/healthz"
alert=$(fault_publish "$BASE" "$KEY" "$story")
expect_eq "db full: publishing is refused while the disk is full" "$alert" ""
rm -f "$dbfs/filler-0" "$dbfs/filler-1"
alert=$(fault_publish "$BASE" "$KEY" "$story")
check "db: published once a little space is back" test -n "$alert"
fill "$dbfs"
sleep 3
state=$(fault_alert "$BASE" "$KEY" "$alert" sent)
t_free=$(fault_ms)
rm -f "$dbfs"/filler-*
check "db full: the alert completes once space is freed" fault_wait_alert "$BASE" "$KEY" "$alert" 120
t_done=$(fault_ms)
read -r u t <<<"$(fault_count_maildir "$WORK/app/outbox" fan)"
expect_eq "db full: every confirmed subscriber got the alert" "$u" "$N"
fault_note "SQLite disk full mid-alert (sent count $state of $N committed while full): done $((t_done - t_free)) ms after space was freed, $((t - u)) repeats"
check "db full: repeats ($((t - u))) within the uncommitted batches (2 x 20)" test $((t - u)) -le 40
# every signup answered 200 is stored, confirmed or pending
stored=0
while read -r i code; do
	[ "$code" = 200 ] || continue
	[ "$(sqlite3 "$DB" "select count(*) from subscribers where email='full$i@example.com'")" = 1 ] && stored=$((stored + 1))
done <"$WORK/codes"
expect_eq "db full: every signup answered 200 is in the database" "$stored" "$ok200"
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' --data '{"email":"after@example.com"}' "$BASE/api/subscribe")
expect_eq "db: signups work again once space is freed" "$code" 200
serve_stop
expect_eq "db full: serve exits 0" "$SERVE_STATUS" 0
expect_eq "db full: integrity" "$(sqlite3 "$DB" 'pragma integrity_check')" ok
finish
