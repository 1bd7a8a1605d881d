#!/usr/bin/env bash
# bench/inbound.sh - returned mail per second: `newsflash inbound process` on a Maildir
#
# N subscribers (imported), and for each one a Postfix soft-bounce DSN
# (tests/data/inbound/postfix-soft.eml) carrying that subscriber's real VERP
# token, made here with the service's secret and the subscriber's salt, in
# one Maildir. Measured in the same run:
#   reference: Python's email package (the standard library parser) reading
#     every file and walking to its message/delivery-status part: parsing
#     only, no verification, no database;
#   newsflash: `inbound process`: GMime parse, RFC 3464 reading, token
#     verification against the store, one transaction per message (the
#     soft-bounce count and the processed-message record), rename to cur/;
#   newsflash again: the same files put back in new/ (every one a duplicate).
# Each line: messages/s, peak RSS (/usr/bin/time) and the ratio of its time
# to the reference's. BENCH_N (default 5000) sets the size.
set -uo pipefail
source tests/lib.sh

N=${BENCH_N:-5000}
NFBIN=${NEWSFLASH_BIN:-$PWD/${BUILD:-build}/newsflash}
SRC=$PWD
DB="$WORK/bench.db"
MD="$WORK/returns"

measure() {	# measure LABEL REF_SECONDS CMD...
	local label=$1 ref=$2 ratio=""
	shift 2
	/usr/bin/time -q -f "%e %M" -o "$WORK/time" "$@" >"$WORK/out" 2>"$WORK/err"
	local rc=$?
	read -r SECS RSS <"$WORK/time"
	[ -n "$ref" ] && ratio=$(awk -v a="$SECS" -v b="$ref" 'BEGIN { printf "%.2fx", (b > 0 ? a / b : 0) }')
	printf "%-46s %7.2f s %9.0f msg/s %8d KB  %s\n" "$label" "$SECS" \
		"$(awk -v n="$N" -v s="$SECS" 'BEGIN { print (s > 0 ? n / s : 0) }')" "$RSS" \
		"${ratio:+$ratio the reference time}"
	[ "$rc" -eq 0 ] || echo "  exit $rc: $(head -c 300 "$WORK/err")"
}

echo "== $N subscribers, $N soft-bounce DSNs"
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
/usr/bin/python3 -c "
import sys
print('email')
for i in range($N): print('reader%d@example.org' % i)" >"$WORK/subs.csv"
"$NFBIN" db migrate --db "sqlite:$DB" >/dev/null
"$NFBIN" subscribers import "$WORK/subs.csv" --list breaking-news --consent-source bench --db "sqlite:$DB" >/dev/null
head -c 32 /dev/urandom >"$WORK/secret"
mkdir -p "$MD/new" "$MD/cur" "$MD/tmp"
/usr/bin/python3 - "$DB" "$WORK/secret" "$SRC/tests/data/inbound/postfix-soft.eml" "$MD/new" <<'PY'
import hashlib, hmac, sqlite3, sys
db, secret, sample, out = sys.argv[1:5]
key = open(secret, 'rb').read()
text = open(sample).read()
for sid, email, salt in sqlite3.connect(db).execute('select id, email, token_salt from subscribers'):
    mac = hmac.new(key, ('bounce:%d:%s' % (sid, salt)).encode(), hashlib.sha256).digest()[:10].hex()
    m = text.replace('12-0a1b2c3d4e5f60718293', '%d-%s' % (sid, mac)).replace('reader@example.org', email)
    m = m.replace('Message-Id: <', 'Message-Id: <b%d.' % sid)
    open('%s/%010d.dsn' % (out, sid), 'w').write(m)
PY
cat >"$WORK/ref.py" <<'PY'
import email, email.policy, os, sys
d = sys.argv[1]
found = 0
for name in sorted(os.listdir(d)):
    with open(os.path.join(d, name), 'rb') as f:
        m = email.message_from_binary_file(f, policy=email.policy.default)
    for part in m.walk():
        if part.get_content_type() == 'message/delivery-status':
            found += 1
            break
assert found == len(os.listdir(d)), found
PY
measure "reference: Python email, parse only" "" /usr/bin/python3 "$WORK/ref.py" "$MD/new"
REF=$SECS
measure "newsflash inbound process" "$REF" \
	"$NFBIN" inbound process "$MD" --db "sqlite:$DB" --secret-file "$WORK/secret" --log-level warn
echo "  $(cat "$WORK/out")"
for f in "$MD"/cur/*; do b=${f##*/}; mv "$f" "$MD/new/${b%:2,S}"; done
measure "newsflash inbound process, all duplicates" "$REF" \
	"$NFBIN" inbound process "$MD" --db "sqlite:$DB" --secret-file "$WORK/secret" --log-level warn
echo "  $(cat "$WORK/out")"
