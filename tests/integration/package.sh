#!/usr/bin/env bash
# The Debian package, as an operator meets it: make deb builds it (debhelper,
# lintian finds no error), dpkg -i installs it, the unit's ExecStart runs as
# the packaged user with the packaged configuration (there is no systemd
# here: runuser starts it, and systemd-analyze verify checks the unit), a
# reader signs up and confirms over HTTP, a story is published and the alert
# lands in the packaged Maildir; dpkg -r keeps configuration and data,
# dpkg -P removes them.
#
# It installs a package on this machine, so it runs only as root, only where
# dpkg-buildpackage is, and never over a newsflash someone installed.
source tests/lib.sh
source tests/lib/serve.sh
SRC=${NEWSFLASH_SRC:-$PWD}
STATE=/var/lib/newsflash
CONF=/etc/newsflash/newsflash.conf
UNIT=/lib/systemd/system/newsflash.service

why=
case "${BUILD:-build}" in *asan*) why="builds its own package; make check runs it, make asan need not again" ;; esac
[ -z "$why" ] && [ "$(id -u)" -ne 0 ] && why="needs root to install a package"
[ -z "$why" ] && ! command -v dpkg-buildpackage >/dev/null && why="no dpkg-buildpackage (scripts/deps installs it)"
[ -z "$why" ] && dpkg-query -W -f='${Status}' newsflash 2>/dev/null | grep -q installed && \
	why="a newsflash package is installed here already; not touching it"
[ -z "$why" ] && [ -e "$STATE" -o -e /etc/newsflash ] && why="$STATE or /etc/newsflash exists already; not touching it"
if [ -n "$why" ]; then skip "the Debian package" "$why"; finish; fi

# ---- build ----
if ! deb=$(cd "$SRC" && scripts/deb 2>"$WORK/deb.err" | tail -1) || [ ! -f "$deb" ]; then
	fail "make deb builds the package" "$(tail -5 "$WORK/deb.err")"
	finish
fi
ok "make deb builds the package"
version=$(cd "$SRC" && scripts/version)
expect_eq "the package's version comes from the repository" \
	"$(dpkg-deb -f "$deb" Version)" "$version"
if command -v lintian >/dev/null; then
	lintian "${deb%.deb}.changes" >"$WORK/lintian" 2>/dev/null
	expect_eq "lintian finds no error" "$(grep -c '^E:' "$WORK/lintian")" 0
	grep '^[EW]:' "$WORK/lintian"
else
	skip "lintian" "not installed (scripts/deps installs it)"
fi

# ---- install ----
purge() { dpkg -P newsflash >/dev/null 2>&1; }
cleanup_add "pkill -u newsflash -f '^/usr/bin/newsflash serve' 2>/dev/null; sleep 0.5; purge"
if ! dpkg -i "$deb" >"$WORK/dpkg.log" 2>&1; then
	fail "dpkg -i" "$(tail -5 "$WORK/dpkg.log")"
	finish
fi
ok "dpkg -i installs it"
for f in /usr/bin/newsflash /usr/share/newsflash/templates/signup.html.mustache \
	/usr/share/man/man1/newsflash.1.gz "$CONF" "$UNIT"; do
	check "installed: $f" test -e "$f"
done
expect_contains "the configuration is a conffile" "$(dpkg-query -W -f='${Conffiles}' newsflash)" "$CONF"
expect_eq "configuration 0640 root:newsflash" "$(stat -c '%a %U:%G' "$CONF")" "640 root:newsflash"
expect_eq "state directory 0750 newsflash" "$(stat -c '%a %U' "$STATE")" "750 newsflash"
expect_eq "a system user without a login shell" "$(getent passwd newsflash | cut -d: -f7)" /usr/sbin/nologin
expect_eq "the installed program says its version" "$(/usr/bin/newsflash --version)" "newsflash $version"
if command -v systemd-analyze >/dev/null; then
	out=$(systemd-analyze verify "$UNIT" 2>&1)
	expect_eq "systemd-analyze verify the unit" "$out" ""
else
	skip "systemd-analyze verify" "no systemd here"
fi

# ---- run it as the unit does ----
exec_start=$(sed -n 's/^ExecStart=//p' "$UNIT")
workdir=$(sed -n 's/^WorkingDirectory=//p' "$UNIT")
expect_eq "the unit runs serve on the packaged configuration" "$exec_start" \
	"/usr/bin/newsflash serve --config $CONF"
# the packaged defaults listen on 127.0.0.1:8080; another test's port there
# would make this one fail for the wrong reason, so only then move it
port=8080 moved=
if (exec 3<>/dev/tcp/127.0.0.1/8080) 2>/dev/null; then
	port=$(free_port) moved="NEWSFLASH_LISTEN=127.0.0.1:$port"
fi
runuser -u newsflash -- env -i PATH=/usr/bin:/bin $moved sh -c "cd '$workdir' && umask 0077 && exec $exec_start" \
	>"$WORK/serve.log" 2>&1 &
pid=$!
wait_port "$port" 20 || { fail "the packaged service starts" "$(tail -5 "$WORK/serve.log")"; finish; }
ok "the packaged service starts as user newsflash"
if [ -z "$moved" ]; then
	expect_eq "it listens on 127.0.0.1 only" \
		"$(ss -Hltn "sport = :$port" | awk '{print $4}' | sort -u)" "127.0.0.1:$port"
else
	skip "it listens on 127.0.0.1 only" "port 8080 was taken; the test moved it"
fi
base="http://127.0.0.1:$port"
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
	--data '{"email":"reader@example.org"}' "$base/api/subscribe")
expect_eq "a reader signs up" "$code" 200
box=$STATE/var/outbox/new
for _ in $(seq 1 50); do [ -n "$(ls "$box" 2>/dev/null)" ] && break; sleep 0.1; done
msg=$(ls -1 "$box"/* 2>/dev/null | head -1)
link=$( [ -n "$msg" ] && mail_text "$msg" | grep -o "$base/confirm/[A-Za-z0-9_-]*" | head -1)
check "the confirmation lands in the packaged Maildir" test -n "$link"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$link")
expect_eq "the reader confirms" "$code" 200
runuser -u newsflash -- sh -c "cd '$workdir' && /usr/bin/newsflash publish '$SRC/examples/limousine.json' --breaking --wait" \
	>"$WORK/publish.log" 2>&1
expect_eq "an editor publishes as the service's user" "$?" 0
for _ in $(seq 1 50); do [ "$(ls "$box" | wc -l)" -ge 2 ] && break; sleep 0.1; done
alert=$(grep -l '^Subject: President receives a limousine' "$box"/* 2>/dev/null | head -1)
check "the alert lands in the packaged Maildir" test -n "$alert"
expect_eq "state is the service user's alone" "$(stat -c '%U %a' "$STATE/var/newsflash.db")" "newsflash 600"
# runuser stays as the parent and passes on the program's exit status
pkill -TERM -u newsflash -f '^/usr/bin/newsflash serve'; wait "$pid"
expect_eq "it stops cleanly on SIGTERM" "$?" 0

# ---- remove, then purge ----
echo "# an operator's edit" >>"$CONF"
dpkg -r newsflash >"$WORK/dpkg.log" 2>&1
expect_eq "dpkg -r" "$?" 0
check "removed: the program" test ! -e /usr/bin/newsflash
check "kept: the edited configuration" grep -q "an operator's edit" "$CONF"
check "kept: the database" test -f "$STATE/var/newsflash.db"
dpkg -P newsflash >"$WORK/dpkg.log" 2>&1
expect_eq "dpkg -P" "$?" 0
check "purged: the configuration" test ! -e /etc/newsflash
check "purged: the state" test ! -e "$STATE"
expect_eq "purged: no permission override left" "$(dpkg-statoverride --list "$CONF")" ""
finish
