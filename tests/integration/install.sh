#!/usr/bin/env bash
# make install, as a package build does it: staged into a DESTDIR, then put in
# place under its PREFIX; then the installed program runs with its installed
# templates (no --templates: the compiled-in default follows PREFIX), the
# man page renders and covers every command and flag the program prints,
# the systemd unit passes systemd-analyze verify, and a second install
# keeps an edited configuration file. PREFIX=/usr lays out what the Debian
# package does: configuration in /etc, which the program reads by default.
source tests/lib.sh
SRC=${NEWSFLASH_SRC:-$PWD}
BUILD=${BUILD:-build}
unset NEWSFLASH_TEMPLATES NEWSFLASH_CONFIG	# the installed defaults, not the tree's

# a build tree of its own (the test's PREFIX is compiled in), seeded with the
# library objects so only the program is rebuilt
mkdir -p "$WORK/build"
cp -a "$SRC/$BUILD/obj" "$SRC/$BUILD/libnewsflash.a" "$WORK/build/"
PREFIX=$WORK/prefix
if ! make -s -C "$SRC" BUILD="$WORK/build" PREFIX="$PREFIX" DESTDIR="$WORK/stage" install \
	>"$WORK/make.log" 2>&1; then
	fail "make install" "$(tail -5 "$WORK/make.log")"
	finish
fi
ok "make install into a DESTDIR"
for f in bin/newsflash share/newsflash/templates/signup.html.mustache share/man/man1/newsflash.1 \
	lib/systemd/system/newsflash.service etc/newsflash/newsflash.conf share/newsflash/newsflash.conf.example; do
	check "staged: $f" test -e "$WORK/stage$PREFIX/$f"
done
expect_eq "nothing outside the DESTDIR" "$(ls "$WORK" | grep -c '^prefix$')" 0
expect_eq "every template installed" "$(ls "$WORK/stage$PREFIX/share/newsflash/templates" | wc -l)" \
	"$(ls "$SRC"/templates/*.mustache "$SRC"/templates/embed.js | wc -l)"
mkdir -p "$PREFIX"
cp -a "$WORK/stage$PREFIX/." "$PREFIX/"
NFI=$PREFIX/bin/newsflash

# ---- the installed program, on its installed templates ----
expect_contains "default templates follow PREFIX" "$("$NFI" serve --help)" "$PREFIX/share/newsflash/templates"
mkdir -p "$WORK/run" && cd "$WORK/run" || exit 1
port=$(free_port)
# (the installed configuration names /var/lib/newsflash's database: this
# run keeps its state here)
"$NFI" serve --listen "127.0.0.1:$port" --db sqlite:var/newsflash.db >"$WORK/serve.log" 2>&1 &
pid=$!
cleanup_add "kill $pid"
wait_port "$port" 10
page=$(curl -s "http://127.0.0.1:$port/")
expect_contains "installed serve renders the installed signup page" "$page" "sign up to our breaking news emails"
expect_contains "the access log names the request" "$(cat "$WORK/serve.log")" 'event=http.request method=GET path=/ status=200'
kill -TERM "$pid"; wait "$pid"
expect_eq "serve stops cleanly on SIGTERM" "$?" 0
check "state under the working directory (var/)" test -f var/newsflash.db -a -f var/secret
check "the installed configuration names the service's database" \
	grep -qx "db = sqlite:/var/lib/newsflash/var/newsflash.db" "$PREFIX/etc/newsflash/newsflash.conf"
out=$(NEWSFLASH_DB=sqlite:var/newsflash.db "$NFI" config check --config "$PREFIX/etc/newsflash/newsflash.conf" 2>&1)
expect_eq "the installed example configuration checks ok" "$(tail -n 1 <<<"$out")" "ok: $PREFIX/etc/newsflash/newsflash.conf"
expect_contains "with a warning: its Maildir keeps the mail on this machine" "$out" "warning: --transport: is a Maildir"
# the installed configuration is every command's default: from any folder,
# an admin command finds the service's database without --config
sed -i "s|^db = .*|db = sqlite:$WORK/run/var/newsflash.db|" "$PREFIX/etc/newsflash/newsflash.conf"
cd "$WORK" || exit 1
expect_contains "an admin command elsewhere reads $PREFIX/etc/newsflash/newsflash.conf" \
	"$("$NFI" lists 2>&1)" "breaking-news"
out=$(NEWSFLASH_CONFIG= "$NFI" lists 2>&1)
expect_contains "NEWSFLASH_CONFIG set empty reads no file, and creates nothing" "$out" "no newsflash database at sqlite:var/newsflash.db"
check "nothing created" test ! -e "$WORK/var"
cd "$SRC" || exit 1

# ---- the man page ----
MAN=$PREFIX/share/man/man1/newsflash.1
rendered=$(MANWIDTH=100 man -l "$MAN" 2>"$WORK/man.err" | col -b)
expect_eq "man page renders without warnings" "$(cat "$WORK/man.err")" ""
expect_contains "man page has its name" "$rendered" "newsflash — breaking-news email alerts"
missing=()
commands=$("$NFI" --help | awk '/^commands:/{on=1; next} /^$/{on=0} on{print $1}')
for c in $commands; do
	grep -qE "newsflash $c\b" <<<"$rendered" || missing+=("$c")
done
expect_eq "man page has every command of newsflash --help ($(echo $commands | wc -w))" "${missing[*]}" ""
# every flag of every command and verb, as their --help prints them
helps() {
	local c v
	for c in $commands; do
		"$NFI" "$c" --help 2>/dev/null
		for v in $("$NFI" "$c" --help 2>/dev/null | sed -nE "s/^(usage:|      ) +newsflash $c ([a-z]+).*/\2/p" | sort -u); do
			"$NFI" "$c" "$v" --help 2>/dev/null
		done
	done
}
flags=$(helps | grep -oE '^  --[a-z0-9-]+' | sort -u)
missing=()
for f in $flags; do
	grep -qE -- "$f\b" <<<"$rendered" || missing+=("$f")
done
expect_eq "man page has every flag the commands print ($(echo $flags | wc -w))" "${missing[*]}" ""

# ---- the systemd unit ----
UNIT=$PREFIX/lib/systemd/system/newsflash.service
expect_contains "unit runs the installed binary" "$(grep ^ExecStart= "$UNIT")" "$NFI serve --config $PREFIX/etc/newsflash/newsflash.conf"
for k in User=newsflash StateDirectoryMode=0750 ProtectSystem=strict NoNewPrivileges=yes PrivateTmp=yes StateDirectory=newsflash \
	WorkingDirectory=/var/lib/newsflash Restart=on-failure KillSignal=SIGTERM TimeoutStopSec=; do
	check "unit sets $k" grep -q "^$k" "$UNIT"
done
if command -v systemd-analyze >/dev/null; then
	out=$(systemd-analyze verify --man=no "$UNIT" 2>&1); rc=$?
	expect_eq "systemd-analyze verify passes (${out:-no output})" "$rc" 0
	expect_eq "systemd-analyze verify says nothing" "$out" ""
else
	skip "systemd-analyze verify" "systemd-analyze is not installed"
fi

# ---- PREFIX=/usr: the package's layout (configuration in /etc, not /usr/etc) ----
mkdir -p "$WORK/build-usr"
cp -a "$SRC/$BUILD/obj" "$SRC/$BUILD/libnewsflash.a" "$WORK/build-usr/"
if make -s -C "$SRC" BUILD="$WORK/build-usr" PREFIX=/usr DESTDIR="$WORK/usr-stage" install >"$WORK/make-usr.log" 2>&1; then
	check "PREFIX=/usr: the configuration in /etc" test -f "$WORK/usr-stage/etc/newsflash/newsflash.conf"
	check "PREFIX=/usr: nothing in /usr/etc" test ! -e "$WORK/usr-stage/usr/etc"
	check "PREFIX=/usr: the unit in /usr/lib/systemd/system" test -f "$WORK/usr-stage/usr/lib/systemd/system/newsflash.service"
	expect_contains "PREFIX=/usr: the unit reads /etc/newsflash/newsflash.conf" \
		"$(grep ^ExecStart= "$WORK/usr-stage/usr/lib/systemd/system/newsflash.service")" \
		"/usr/bin/newsflash serve --config /etc/newsflash/newsflash.conf"
	expect_contains "PREFIX=/usr: the program's default file is /etc/newsflash/newsflash.conf" \
		"$("$WORK/usr-stage/usr/bin/newsflash" lists --help)" "else /etc/newsflash/newsflash.conf when it is there"
	expect_contains "PREFIX=/usr: its default templates are /usr/share/newsflash/templates" \
		"$("$WORK/usr-stage/usr/bin/newsflash" serve --help)" "/usr/share/newsflash/templates"
	# the documents say the same
	for doc in README.md docs/operations.md docs/newsflash.1; do
		check "$doc: no /usr/etc" bash -c "! grep -q '/usr/etc' '$SRC/$doc'"
	done
	expect_contains "operations.md: make install PREFIX=/usr, configuration in /etc" \
		"$(cat "$SRC/docs/operations.md")" "make install PREFIX=/usr"
	expect_contains "README: make install PREFIX=/usr" "$(cat "$SRC/README.md")" "make install PREFIX=/usr "
else
	fail "make install PREFIX=/usr" "$(tail -5 "$WORK/make-usr.log")"
fi

# ---- installing again keeps the operator's configuration ----
echo "publication = Edited" >>"$WORK/stage$PREFIX/etc/newsflash/newsflash.conf"
make -s -C "$SRC" BUILD="$WORK/build" PREFIX="$PREFIX" DESTDIR="$WORK/stage" install >/dev/null 2>&1
expect_eq "a second install keeps an edited configuration" \
	"$(tail -n 1 "$WORK/stage$PREFIX/etc/newsflash/newsflash.conf")" "publication = Edited"
finish
