#!/usr/bin/env bash
# Every command's exit statuses are documented: at the end of its --help
# ("Exit status:" and one line per status) and, in the same words, in the
# man page's EXIT STATUS section; and the documented statuses are the ones
# the commands give (subscribers import exits 1 when rows were skipped).
source tests/lib.sh

MAN=docs/newsflash.1
for cmd in $("$NF" help | sed -n 's/^  \([a-z][a-z]*\) .*/\1/p'); do
	help=$("$NF" "$cmd" --help 2>&1)
	expect_eq "$cmd --help exits 0" "$?" 0
	lines=$(printf '%s\n' "$help" | sed -n '/^Exit status:$/,$p' | sed 1d)
	if [ -z "$lines" ]; then fail "$cmd --help says its exit statuses"; continue; fi
	ok "$cmd --help says its exit statuses"
	# the man page: .Ss newsflash CMD under EXIT STATUS, then .It N / text pairs
	man=$(sed -n '/^\.Sh EXIT STATUS/,/^\.Sh /p' "$MAN" | sed -n "/^\\.Ss newsflash $cmd\$/,/^\\.El/p" |
		sed -n '/^\.It /{s/^\.It //;N;s/\n/  /;p}')
	expect_eq "the man page says the same for $cmd" "$man" "$(printf '%s\n' "$lines" | sed 's/^  //')"
done

# the statuses are the ones given
printf 'email\nok@example.com\nnot an address\n' >"$WORK/rows.csv"
"$NF" db migrate --db "sqlite:$WORK/db" >/dev/null
"$NF" subscribers import "$WORK/rows.csv" --list breaking-news --consent-source test --db "sqlite:$WORK/db" >/dev/null 2>&1
expect_eq "subscribers import with a row skipped: 1, as documented" "$?" 1
"$NF" subscribers import "$WORK/nope.csv" --list breaking-news --consent-source test --db "sqlite:$WORK/db" >/dev/null 2>&1
expect_eq "subscribers import of a file that cannot be read: 2" "$?" 2
"$NF" address check ok@example.com >/dev/null 2>&1
expect_eq "address check, valid: 0" "$?" 0
"$NF" address check 'not an address' >/dev/null 2>&1
expect_eq "address check, not valid: 1" "$?" 1
"$NF" serve --no-such-flag >/dev/null 2>&1
expect_eq "serve with an unknown option: 2" "$?" 2
"$NF" apikey revoke nobody --db "sqlite:$WORK/db" >/dev/null 2>&1
expect_eq "apikey revoke of no key: 1" "$?" 1
# the man page's SIGNALS section says what serve does with each signal, and
# serve does that
source tests/lib/serve.sh
signals=$(sed -n '/^\.Sh SIGNALS/,/^\.Sh /p' "$MAN")
for sig in SIGTERM SIGINT SIGHUP SIGPIPE; do
	expect_contains "the man page's SIGNALS section has $sig" "$signals" ".It Dv $sig"
done
for sig in TERM INT HUP; do
	port=$(free_port)
	serve_start "$port" || fail "serve starts for SIG$sig"
	kill -"$sig" "$SERVE_PID"; wait "$SERVE_PID"; rc=$?
	want=0; [ "$sig" = HUP ] && want=129
	expect_eq "serve on SIG$sig exits $want, as SIGNALS says" "$rc" "$want"
done
finish
