# tests/lib/smtp.sh - start real SMTP peers for integration tests (sourced after tests/lib.sh)
#
# smtp_sink_start PORT [smtp-sink options...]
#     Postfix's smtp-sink on 127.0.0.1:PORT (fault injection: -f 5xx, -r 4xx,
#     -q disconnect, -Q 421 on chosen commands; -d TEMPLATE dumps each message).
#     SMTP_SINK_PID is its pid.
# smtpd_start PORT SPOOL [tests/lib/smtpd.py options...]
#     an aiosmtpd relay whose behaviour follows the recipients' local parts
#     (see tests/lib/smtpd.py); what it accepts lands in SPOOL.
# smtp_make_cert DIR
#     a self-signed certificate for 127.0.0.1 and localhost: DIR/cert.pem, DIR/key.pem
# smtp_log_count SPOOL WORD
#     how many lines of SPOOL/log begin with WORD
# Every server started is stopped at exit (cleanup_add).

SMTPD_PY=${NEWSFLASH_SRC:-$PWD}/tests/lib/smtpd.py

smtp_sink_start() {
	local port=$1 pid
	shift
	# as root smtp-sink wants a user to drop to
	/usr/sbin/smtp-sink -u nobody "$@" 127.0.0.1:"$port" 256 >>"$WORK/smtp-sink-$port.log" 2>&1 &
	pid=$!
	SMTP_SINK_PID=$pid
	cleanup_add "kill -CONT $pid; kill $pid"
	wait_port "$port" 5
}

smtpd_start() {
	local port=$1 spool=$2 pid
	shift 2
	/usr/bin/python3 "$SMTPD_PY" --port "$port" --spool "$spool" "$@" \
		>>"$WORK/smtpd-$port.log" 2>&1 &
	pid=$!
	cleanup_add "kill $pid"
	wait_port "$port" 10
}

smtp_make_cert() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$1/key.pem" -out "$1/cert.pem" -days 2 -subj "/CN=localhost" \
		-addext "subjectAltName=IP:127.0.0.1,DNS:localhost" >/dev/null 2>&1
}

smtp_log_count() {
	[ -f "$1/log" ] || { echo 0; return; }
	grep -c "^$2" "$1/log"
}
