#!/usr/bin/env bash
# The README's two commands as the very first commands on a fresh machine.
#
# A fresh Debian 12 machine has none of the libraries when make reads the
# Makefile, so flags read then are empty. This test recreates that on any
# machine: a copy of the tree (what git tracks, and new files not ignored)
# whose pkg-config finds nothing until its scripts/deps has run. `make -j4
# run` and `make -j4 check` must each work as the first command there; the
# copy builds at -O0 to stay quick (ordering is what is tested, not code).
# Then the binary, run from that build tree, finds the tree's templates
# with nothing configured; a copy of it elsewhere names every place it looked.
source tests/lib.sh
SRC=${NEWSFLASH_SRC:-$PWD}
case "${BUILD:-build}" in
*asan*)
	skip "first run" "builds a tree of its own; make check runs it, make asan need not again"
	finish
	;;
esac
unset NEWSFLASH_TEMPLATES NEWSFLASH_CONFIG

# fresh_tree DIR: the checkout's files, and a pkg-config that knows no
# library until DIR's scripts/deps has run (which then runs the real one)
fresh_tree() {
	local dir=$1
	mkdir -p "$dir/.fakebin"
	(cd "$SRC" && git ls-files -z --cached --others --exclude-standard | \
		xargs -0 cp --parents -t "$dir" 2>/dev/null)
	cat >"$dir/.fakebin/pkg-config" <<FAKE
#!/bin/sh
[ -e "$dir/.deps-done" ] || exit 1
exec /usr/bin/pkg-config "\$@"
FAKE
	# the real scripts/deps runs in the checkout (its npm step looks there);
	# the pause widens the window in which a wrong order would compile
	cat >"$dir/scripts/deps" <<FAKE
#!/bin/sh
sleep 1
(cd "$SRC" && scripts/deps) || exit 1
touch "$dir/.deps-done"
FAKE
	chmod +x "$dir/.fakebin/pkg-config" "$dir/scripts/deps"
}

# ---- make -j4 run ----
T=$WORK/run
fresh_tree "$T"
check "pkg-config finds nothing before deps" test -z "$(PATH=$T/.fakebin:$PATH pkg-config --libs sqlite3)"
port=$(free_port)
(cd "$T" && PATH=$T/.fakebin:$PATH exec make -j4 run OPT=-O0 ARGS="--listen 127.0.0.1:$port") \
	>"$WORK/run.log" 2>&1 &
pid=$!
# scripts/run execs "build/newsflash serve ... --listen 127.0.0.1:PORT" from the tree
stop_run() { pkill -TERM -f "newsflash serve .*--listen 127.0.0.1:$port" 2>/dev/null; }
cleanup_add stop_run
for _ in $(seq 1 300); do
	curl -sf "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.5
done
page=$(curl -s "http://127.0.0.1:$port/")
expect_contains "make -j4 run, the first command: the signup page answers" "$page" \
	"sign up to our breaking news emails"
[ -n "$page" ] || echo "$(tail -20 "$WORK/run.log")"
stop_run
wait "$pid" 2>/dev/null

# ---- make -j4 check (no test selected: the build and the runner are what count) ----
T=$WORK/check
fresh_tree "$T"
if (cd "$T" && PATH=$T/.fakebin:$PATH make -j4 check OPT=-O0 TESTS=no-test-has-this-name) \
	>"$WORK/check.log" 2>&1; then
	ok "make -j4 check, the first command: builds everything and runs"
else
	fail "make -j4 check, the first command" "$(grep -E 'error|Error' "$WORK/check.log" | head -5)"
fi
check "the unit tests and every fuzz replay were built" test -x "$T/build/unit-tests" -a \
	"$(ls "$T/build/fuzz-replay" 2>/dev/null | wc -l)" -eq "$(ls "$SRC"/tests/fuzz/fuzz_*.c | wc -l)"
expect_contains "make without deps says what to do" \
	"$(cd "$WORK" && mkdir -p plain && cd plain && fresh_tree "$PWD" && \
	   PATH=$PWD/.fakebin:$PATH make 2>&1)" "run scripts/deps"

# ---- templates beside the executable ----
NFT=$WORK/check/build/newsflash
out=$(cd "$WORK" && "$NFT" message compose --article "$SRC/examples/limousine.json" \
	--to reader@example.com --secret-file "$WORK/secret" 2>&1)
expect_contains "a build-tree binary finds the checkout's templates" "$out" "Subject: "
cp "$NFT" "$WORK/lonely"
out=$(cd "$WORK" && ./lonely message compose --article "$SRC/examples/limousine.json" \
	--to reader@example.com --secret-file "$WORK/secret" 2>&1)
expect_eq "no templates anywhere: exit 1" "$?" 1
expect_contains "the error names the installed folder" "$out" "/share/newsflash/templates"
expect_contains "and the places beside the program" "$out" "$WORK/templates"
out=$(cd "$WORK" && NEWSFLASH_TEMPLATES=$SRC/templates ./lonely message compose \
	--article "$SRC/examples/limousine.json" --to reader@example.com --secret-file "$WORK/secret" 2>&1)
expect_contains "NEWSFLASH_TEMPLATES still wins" "$out" "Subject: "
out=$(cd "$WORK" && ./lonely serve --listen 127.0.0.1:1 --templates "$WORK/nowhere" 2>&1)
expect_contains "--templates still wins (and a wrong one is reported)" "$out" "$WORK/nowhere"
finish
