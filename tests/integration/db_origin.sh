#!/usr/bin/env bash
# The right database or a clear error: an admin command never creates a
# database. Run where no database is, each names the URL it tried and where
# it came from (the flag, the environment, the file and its line, or the
# built-in default and the folder it is relative to) and leaves nothing
# behind; serve, worker and db migrate are the ones that create.
source tests/lib.sh
source tests/lib/serve.sh
unset NEWSFLASH_DB NEWSFLASH_CONFIG

mkdir -p "$WORK/elsewhere" && cd "$WORK/elsewhere" || exit 1
cmds=("subscribers count" "subscribers export" "lists" "alerts" "apikey list" "editor list"
	"subscribers show a@example.com")
for c in "${cmds[@]}"; do
	# shellcheck disable=SC2086
	out=$("$NF" $c 2>&1); rc=$?
	expect_eq "$c without a database: exit 1 or 2, not 0" "$([ $rc -ne 0 ] && echo refused)" refused
	expect_contains "$c names the URL it tried" "$out" "no newsflash database at sqlite:var/newsflash.db"
	expect_contains "$c says where the URL came from" "$out" "the URL came from the built-in default"
	expect_contains "$c says what the path is relative to" "$out" "a path relative to $WORK/elsewhere"
done
printf 'sekret-password-123\n' | "$NF" editor add alice >"$WORK/out" 2>&1
expect_eq "editor add without a database: refused" "$?" 1
printf 'email\nx@example.com\n' >"$WORK/rows.csv"
"$NF" subscribers import "$WORK/rows.csv" --list breaking-news --consent-source t >>"$WORK/out" 2>&1
expect_eq "subscribers import without a database: refused" "$?" 1
printf '{"headline":"T","url":"https://e.com/a","summary":"s"}' >"$WORK/a.json"
"$NF" publish "$WORK/a.json" --breaking >>"$WORK/out" 2>&1
expect_eq "publish without a database: refused" "$?" 1
expect_eq "nothing was created in the working directory" "$(ls -A "$WORK/elsewhere")" ""

# where the URL came from
out=$(NEWSFLASH_DB=sqlite:$WORK/env.db "$NF" subscribers count 2>&1)
expect_contains "from the environment" "$out" "the URL came from the environment (NEWSFLASH_DB)"
printf '# the service\n\ndb = sqlite:%s/file.db\n' "$WORK" >"$WORK/nf.conf"
out=$("$NF" subscribers count --config "$WORK/nf.conf" 2>&1)
expect_contains "from --config, with its line" "$out" "the URL came from the configuration file ($WORK/nf.conf:3)"
out=$(NEWSFLASH_CONFIG=$WORK/nf.conf "$NF" lists 2>&1)
expect_contains "from NEWSFLASH_CONFIG, with its line" "$out" "the configuration file ($WORK/nf.conf:3)"
out=$("$NF" alerts --config "$WORK/nf.conf" --db "sqlite:$WORK/flag.db" 2>&1)
expect_contains "from the flag, over the file" "$out" "no newsflash database at sqlite:$WORK/flag.db"
expect_contains "the flag is named" "$out" "the URL came from the flag --db"
out=$("$NF" subscribers count --db "postgresql://u:hunter2secret@127.0.0.1:1/nf" 2>&1)
expect_contains "a PostgreSQL URL is named" "$out" "postgresql://u:***@127.0.0.1:1/nf"
expect_eq "without its password" "$(grep -c hunter2secret <<<"$out")" 0
for f in env.db file.db flag.db; do
	check "nothing created: $f" test ! -e "$WORK/$f"
done
: >"$WORK/other.db"
out=$("$NF" lists --db "sqlite:$WORK/other.db" 2>&1)
expect_contains "a file that is not a newsflash database is refused" "$out" "holds no newsflash schema"

# db migrate and serve create; then the admin commands find the database
out=$("$NF" db migrate --db "sqlite:$WORK/made.db" 2>&1)
expect_eq "db migrate creates a database" "$?" 0
expect_eq "then subscribers count finds it" "$("$NF" subscribers count --db "sqlite:$WORK/made.db" 2>&1)" 0
cd "$OLDPWD" || exit 1
port=$(free_port)
serve_start "$port" || fail "serve starts"
cd "$WORK/elsewhere" || exit 1
got=$(NEWSFLASH_DB=sqlite:$WORK/app/newsflash.db "$NF" lists 2>&1)
expect_contains "serve created the database; an admin command from another folder finds it" "$got" "breaking-news"
serve_stop
finish
