# tests/lib/serve.sh - run newsflash serve for integration tests (sourced after tests/lib.sh)
#
# serve_start PORT [serve options...]
#     newsflash serve on 127.0.0.1:PORT with its state in $WORK/app (SQLite
#     database, Maildir outbox, secret) unless options say otherwise; waits
#     until it answers. SERVE_PID is its pid; it is stopped at exit.
# serve_stop
#     SIGTERM, and wait; sets SERVE_STATUS to its exit status.
# mail_text FILE
#     the decoded text/plain part of a message (quoted-printable undone)
# mail_header FILE NAME
#     one header field's decoded value
# outbox_files [DIR]
#     the messages in the Maildir's new/ folder, oldest first

serve_start() {
	local port=$1
	shift
	mkdir -p "$WORK/app"
	"$NF" serve --listen "127.0.0.1:$port" --db "sqlite:$WORK/app/newsflash.db" \
		--transport "maildir:$WORK/app/outbox" --templates "${NEWSFLASH_SRC:-$PWD}/templates" \
		--secret-file "$WORK/app/secret" --poll-ms 200 "$@" >>"$WORK/serve.log" 2>&1 &
	SERVE_PID=$!
	cleanup_add "kill $SERVE_PID"
	local i
	# under NEWSFLASH_WRAP (valgrind) starting takes many times longer
	for i in $(seq 1 $([ -n "${NEWSFLASH_WRAP:-}" ] && echo 1200 || echo 100)); do
		curl -sf "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && return 0
		kill -0 "$SERVE_PID" 2>/dev/null || break
		sleep 0.1
	done
	echo "serve did not start:"; tail -5 "$WORK/serve.log"
	return 1
}

serve_stop() {
	kill -TERM "$SERVE_PID" 2>/dev/null
	wait "$SERVE_PID"
	SERVE_STATUS=$?
}

mail_text() {
	/usr/bin/python3 - "$1" <<'PY'
import email, email.policy, sys
m = email.message_from_binary_file(open(sys.argv[1], 'rb'), policy=email.policy.default)
part = m.get_body(preferencelist=('plain',))
sys.stdout.write(part.get_content() if part else '')
PY
}

mail_html() {
	/usr/bin/python3 - "$1" <<'PY'
import email, email.policy, sys
m = email.message_from_binary_file(open(sys.argv[1], 'rb'), policy=email.policy.default)
part = m.get_body(preferencelist=('html',))
sys.stdout.write(part.get_content() if part else '')
PY
}

mail_header() {
	/usr/bin/python3 - "$1" "$2" <<'PY'
import email, email.policy, sys
m = email.message_from_binary_file(open(sys.argv[1], 'rb'), policy=email.policy.default)
v = m.get(sys.argv[2])
sys.stdout.write(str(v) if v is not None else '')
PY
}

outbox_files() {
	ls -1tr "${1:-$WORK/app/outbox}/new" 2>/dev/null | sed "s|^|${1:-$WORK/app/outbox}/new/|"
}

# maildir_repeats DIR...: "RECIPIENTS MESSAGES MISMATCHED" over every message
# in the Maildirs' new/ folders: distinct recipients, messages in all, and
# how many recipients got copies with different Message-IDs (must be 0)
maildir_repeats() {
	/usr/bin/python3 - "$@" <<'PY'
import os, sys
ids = {}
total = 0
for d in sys.argv[1:]:
    new = os.path.join(d, 'new')
    for name in os.listdir(new) if os.path.isdir(new) else []:
        to = mid = None
        with open(os.path.join(new, name), 'rb') as f:
            for line in f:
                if line in (b'\r\n', b'\n'):
                    break
                if line.startswith(b'To: ') and to is None:
                    to = line[4:].strip()
                elif line.startswith(b'Message-ID: ') and mid is None:
                    mid = line[12:].strip()
        total += 1
        ids.setdefault(to, set()).add(mid)
print(len(ids), total, sum(1 for s in ids.values() if len(s) > 1))
PY
}
