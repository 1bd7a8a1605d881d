# tests/lib.sh - helpers for integration tests (bash), sourced by each script
#
# Each script is a group of cases: ok/fail/skip record one case each, and
# finish prints "N passed, N failed, N skipped" and sets the exit status.
# Scripts run from the project root; $NF is the newsflash binary, $WORK a
# fresh temporary folder removed at exit.

NF=${NEWSFLASH_BIN:-$PWD/build/newsflash}
TESTDATA=${NEWSFLASH_TESTDATA:-$PWD/../shared/testdata}
WORK=$(mktemp -d /tmp/newsflash-test.XXXXXX)
_passed=0 _failed=0 _skipped=0

# NEWSFLASH_WRAP="valgrind --error-exitcode=99 ..." runs every $NF under it
# (serve, worker and the one-shot commands alike): $NF becomes a script that
# execs the wrapper, so $! is still the program's pid for signals.
if [ -n "${NEWSFLASH_WRAP:-}" ]; then
	printf '#!/bin/sh\nexec %s %q "$@"\n' "$NEWSFLASH_WRAP" "$NF" >"$WORK/nf-wrapped"
	chmod +x "$WORK/nf-wrapped"
	NF=$WORK/nf-wrapped
fi
_cleanups=()

cleanup_add() { _cleanups+=("$1"); }
_run_cleanups() {
	local c
	for c in "${_cleanups[@]}"; do eval "$c" >/dev/null 2>&1 || true; done
	rm -rf "$WORK"
}
trap _run_cleanups EXIT

ok()   { _passed=$((_passed + 1)); echo "ok $1"; }
fail() { _failed=$((_failed + 1)); echo "FAIL $1${2:+: $2}"; }
skip() { _skipped=$((_skipped + 1)); echo "skip $1: $2"; }

# check NAME COMMAND...: the case passes when the command exits 0
check() {
	local name=$1; shift
	if "$@"; then ok "$name"; else fail "$name"; fi
}

# expect_eq NAME GOT WANT
expect_eq() {
	if [ "$2" == "$3" ]; then ok "$1"; else fail "$1" "got [$2] want [$3]"; fi
}

# expect_contains NAME HAYSTACK NEEDLE
expect_contains() {
	case "$2" in *"$3"*) ok "$1" ;; *) fail "$1" "[$3] not in [${2:0:400}]" ;; esac
}

# free_port: a TCP port on 127.0.0.1 nobody listens on now
free_port() {
	/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# wait_port PORT [SECONDS]: until something accepts on 127.0.0.1:PORT
wait_port() {
	local i
	for i in $(seq 1 $((${2:-10} * 10))); do
		(exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

finish() {
	echo "$_passed passed, $_failed failed, $_skipped skipped"
	[ "$_failed" -eq 0 ]
	exit $?
}
